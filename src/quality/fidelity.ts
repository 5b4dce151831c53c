/**
 * Fidelity: how closely the synthetic output follows the real data, scored as SDMetrics' Quality
 * Report does, so the numbers mean what data scientists expect:
 *  - Column Shapes: KSComplement (1 − Kolmogorov–Smirnov statistic) for numeric and date columns,
 *    TVComplement (1 − total variation distance) for categorical and boolean ones; nulls left out;
 *  - Column Pair Trends: CorrelationSimilarity (1 − |ρ_real − ρ_syn| / 2, Pearson) for two numeric or
 *    date columns, ContingencySimilarity (1 − TVD of the 2-D frequency tables, numbers in 10 bins)
 *    otherwise;
 *  - overall = mean(Column Shapes, Column Pair Trends).
 * Shards stream through `add`: null rates are exact, the rest is scored on a seeded reservoir sample.
 * Also kept per column for the report's plots: shared-bin histograms or the top categories.
 */
import { z } from 'zod';
import { ColumnKind, type ColumnProfile, type Profile } from '../contracts.ts';
import { createRng, deriveSeed } from '../random.ts';
import type { Cell, Table } from '../table.ts';
import { ksStatistic, pearson, Reservoir } from './stats.ts';
import { categoryOf, columnRole, numberOf, skipReason } from './values.ts';

const Shares = z.array(z.number());

export const ColumnPlot = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('histogram'),
    /** How to label the edges: plain numbers or epoch milliseconds shown as dates. */
    scale: z.enum(['number', 'date']),
    /** Bin edges shared by both sides, one more than the bins. */
    edges: z.array(z.number()),
    real: Shares,
    synthetic: Shares,
  }),
  z.object({
    type: z.literal('categories'),
    /** The most frequent real categories; ones too rare for the model to emit are pooled into other. */
    categories: z.array(z.string()),
    real: Shares,
    synthetic: Shares,
    other: z.object({ real: z.number(), synthetic: z.number() }),
  }),
]);
export type ColumnPlot = z.infer<typeof ColumnPlot>;

export const FidelityColumn = z.object({
  name: z.string(),
  kind: ColumnKind,
  metric: z.enum(['KSComplement', 'TVComplement']),
  score: z.number(),
  nullRate: z.object({ real: z.number(), synthetic: z.number() }),
  plot: ColumnPlot,
});
export type FidelityColumn = z.infer<typeof FidelityColumn>;

export const FidelityPair = z.object({
  columns: z.tuple([z.string(), z.string()]),
  metric: z.enum(['CorrelationSimilarity', 'ContingencySimilarity']),
  score: z.number(),
  /** Pearson ρ on each side, for CorrelationSimilarity. */
  real: z.number().optional(),
  synthetic: z.number().optional(),
});
export type FidelityPair = z.infer<typeof FidelityPair>;

export const Fidelity = z.object({
  /** Mean of the two property scores; null when nothing could be scored. */
  overall: z.number().nullable(),
  columnShapes: z.number().nullable(),
  columnPairTrends: z.number().nullable(),
  columns: z.array(FidelityColumn),
  pairs: z.array(FidelityPair),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
  realRows: z.number().int(),
  syntheticRows: z.number().int(),
  /** Synthetic rows the shapes and pairs were scored on. */
  sampledRows: z.number().int(),
});
export type Fidelity = z.infer<typeof Fidelity>;

export interface FidelityInput {
  profile: Profile;
  /** The real reference (the train sample, PII columns dropped). */
  real: Table;
  seed: number;
  /** Synthetic rows kept for scoring. */
  sampleSize?: number;
  /** Real categories seen fewer times than this are not named in plots (the model never emits them). */
  rareCategoryMin?: number;
}

export interface FidelityScorer {
  add(shard: Table): void;
  finish(): Fidelity;
}

const DEFAULT_SAMPLE = 5_000;
const HISTOGRAM_BINS = 20;
const CONTINGENCY_BINS = 10;
const TOP_CATEGORIES = 15;

interface Scored {
  profile: ColumnProfile;
  role: 'numeric' | 'date' | 'categorical';
}

const mean = (xs: number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

const present = (xs: Float64Array): Float64Array => xs.filter((x) => !Number.isNaN(x));

const numbersOf = (cells: Cell[], column: Scored): Float64Array =>
  Float64Array.from(cells, (cell) =>
    numberOf(cell, column.role as 'numeric' | 'date', column.profile.format),
  );

const labelsOf = (cells: Cell[], column: Scored): (string | null)[] =>
  cells.map((cell) => categoryOf(cell, column.profile.kind));

const frequencies = (labels: (string | null)[]): { counts: Map<string, number>; total: number } => {
  const counts = new Map<string, number>();
  let total = 0;
  for (const label of labels) {
    if (label === null) continue;
    counts.set(label, (counts.get(label) ?? 0) + 1);
    total++;
  }
  return { counts, total };
};

const histogram = (real: Float64Array, synthetic: Float64Array, scale: 'number' | 'date'): ColumnPlot => {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const xs of [real, synthetic]) {
    for (const x of xs) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  if (min > max) return { type: 'histogram', scale, edges: [], real: [], synthetic: [] };
  const bins = max > min ? HISTOGRAM_BINS : 1;
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const shares = (xs: Float64Array): number[] => {
    const counts = new Array<number>(bins).fill(0);
    for (const x of xs) counts[width > 0 ? Math.min(bins - 1, Math.floor((x - min) / width)) : 0]!++;
    return counts.map((c) => (xs.length > 0 ? c / xs.length : 0));
  };
  return { type: 'histogram', scale, edges, real: shares(real), synthetic: shares(synthetic) };
};

const categoryPlot = (
  real: { counts: Map<string, number>; total: number },
  synthetic: { counts: Map<string, number>; total: number },
  rareMin: number,
): ColumnPlot => {
  const categories = [...real.counts.entries()]
    .filter(([, n]) => n >= rareMin)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, TOP_CATEGORIES)
    .map(([label]) => label);
  const shares = (side: { counts: Map<string, number>; total: number }): number[] =>
    categories.map((c) => (side.total > 0 ? (side.counts.get(c) ?? 0) / side.total : 0));
  const r = shares(real);
  const s = shares(synthetic);
  const rest = (xs: number[], total: number): number =>
    total > 0 ? Math.max(0, 1 - xs.reduce((a, b) => a + b, 0)) : 0;
  return {
    type: 'categories',
    categories,
    real: r,
    synthetic: s,
    other: { real: rest(r, real.total), synthetic: rest(s, synthetic.total) },
  };
};

/** Category codes (−1 for null) for contingency tables; numbers binned on the real range. */
const contingencyCodes = (
  column: Scored,
  real: Cell[],
  synthetic: Cell[],
): { real: Int32Array; synthetic: Int32Array; size: number } => {
  if (column.role === 'categorical') {
    const codes = new Map<string, number>();
    const encode = (cells: Cell[]): Int32Array =>
      Int32Array.from(labelsOf(cells, column), (label) => {
        if (label === null) return -1;
        let code = codes.get(label);
        if (code === undefined) {
          code = codes.size;
          codes.set(label, code);
        }
        return code;
      });
    const r = encode(real);
    const s = encode(synthetic);
    return { real: r, synthetic: s, size: codes.size };
  }
  const r = numbersOf(real, column);
  const s = numbersOf(synthetic, column);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of present(r).length > 0 ? r : s) {
    if (Number.isNaN(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const width = max > min ? (max - min) / CONTINGENCY_BINS : 0;
  const bin = (x: number): number =>
    Number.isNaN(x)
      ? -1
      : width > 0
        ? Math.min(CONTINGENCY_BINS - 1, Math.max(0, Math.floor((x - min) / width)))
        : 0;
  return { real: Int32Array.from(r, bin), synthetic: Int32Array.from(s, bin), size: CONTINGENCY_BINS };
};

const jointShares = (a: Int32Array, b: Int32Array, sizeB: number): Map<number, number> => {
  const counts = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < 0 || y < 0) continue;
    const key = x * sizeB + y;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
  }
  for (const [key, n] of counts) counts.set(key, n / total);
  return counts;
};

const totalVariation = (p: Map<number | string, number>, q: Map<number | string, number>): number => {
  let sum = 0;
  for (const [key, x] of p) sum += Math.abs(x - (q.get(key) ?? 0));
  for (const [key, y] of q) if (!p.has(key)) sum += y;
  return sum / 2;
};

export const createFidelity = (input: FidelityInput): FidelityScorer => {
  const { profile, real, seed } = input;
  const rareMin = input.rareCategoryMin ?? 1;
  const reservoir = new Reservoir<Cell[]>(
    input.sampleSize ?? DEFAULT_SAMPLE,
    createRng(deriveSeed(seed, 'fidelity', 'reservoir')),
  );
  let scored: Scored[] | undefined;
  const skipped: { name: string; reason: string }[] = [];
  let nulls: number[] = [];
  let rows = 0;

  const select = (output: string[] | undefined): Scored[] => {
    const chosen: Scored[] = [];
    for (const column of profile.columns) {
      const reason =
        skipReason(column) ??
        (!real.columns.includes(column.name)
          ? 'not in the real reference sample'
          : output !== undefined && !output.includes(column.name)
            ? 'not in the synthetic output'
            : null);
      if (reason !== null) skipped.push({ name: column.name, reason });
      else chosen.push({ profile: column, role: columnRole(column) as Scored['role'] });
    }
    nulls = chosen.map(() => 0);
    return chosen;
  };

  const add = (shard: Table): void => {
    scored ??= select(shard.columns);
    const idx = scored.map((c) => shard.columns.indexOf(c.profile.name));
    for (const row of shard.rows) {
      for (let j = 0; j < idx.length; j++) if ((row[idx[j]!] ?? null) === null) nulls[j]!++;
      reservoir.offer(() => idx.map((i) => (i < 0 ? null : (row[i] ?? null))));
      rows++;
    }
  };

  const finish = (): Fidelity => {
    scored ??= select(undefined);
    const columns = scored;
    const sample = reservoir.items;
    const realCells = columns.map((c) => {
      const i = real.columns.indexOf(c.profile.name);
      return real.rows.map((row) => row[i] ?? null);
    });
    const synCells = columns.map((_, j) => sample.map((row) => row[j] ?? null));
    const realNumbers = columns.map((c, j) =>
      c.role === 'categorical' ? undefined : numbersOf(realCells[j]!, c),
    );
    const synNumbers = columns.map((c, j) =>
      c.role === 'categorical' ? undefined : numbersOf(synCells[j]!, c),
    );

    const results: FidelityColumn[] = columns.map((column, j) => {
      const realNulls = realCells[j]!.filter((cell) => cell === null).length;
      const nullRate = {
        real: real.rows.length > 0 ? realNulls / real.rows.length : 0,
        synthetic: rows > 0 ? nulls[j]! / rows : 0,
      };
      const base = { name: column.profile.name, kind: column.profile.kind, nullRate };
      if (column.role === 'categorical') {
        const r = frequencies(labelsOf(realCells[j]!, column));
        const s = frequencies(labelsOf(synCells[j]!, column));
        const share = (f: typeof r): Map<string, number> =>
          new Map([...f.counts].map(([k, n]) => [k, f.total > 0 ? n / f.total : 0]));
        const score =
          r.total === 0 && s.total === 0
            ? 1
            : r.total === 0 || s.total === 0
              ? 0
              : 1 - totalVariation(share(r), share(s));
        return { ...base, metric: 'TVComplement', score, plot: categoryPlot(r, s, rareMin) };
      }
      const r = present(realNumbers[j]!);
      const s = present(synNumbers[j]!);
      const plot = histogram(r, s, column.role === 'date' ? 'date' : 'number');
      return { ...base, metric: 'KSComplement', score: 1 - ksStatistic(r, s), plot };
    });

    const pairs: FidelityPair[] = [];
    const codes =
      columns.length > 1 ? columns.map((c, j) => contingencyCodes(c, realCells[j]!, synCells[j]!)) : [];
    for (let a = 0; a < columns.length; a++) {
      for (let b = a + 1; b < columns.length; b++) {
        const columnsAB: [string, string] = [columns[a]!.profile.name, columns[b]!.profile.name];
        if (columns[a]!.role !== 'categorical' && columns[b]!.role !== 'categorical') {
          const rho = pearson(realNumbers[a]!, realNumbers[b]!);
          const rhoSyn = pearson(synNumbers[a]!, synNumbers[b]!);
          pairs.push({
            columns: columnsAB,
            metric: 'CorrelationSimilarity',
            score: 1 - Math.abs(rho - rhoSyn) / 2,
            real: rho,
            synthetic: rhoSyn,
          });
          continue;
        }
        const x = codes[a]!;
        const y = codes[b]!;
        const p = jointShares(x.real, y.real, y.size);
        const q = jointShares(x.synthetic, y.synthetic, y.size);
        const score =
          p.size === 0 && q.size === 0 ? 1 : p.size === 0 || q.size === 0 ? 0 : 1 - totalVariation(p, q);
        pairs.push({ columns: columnsAB, metric: 'ContingencySimilarity', score });
      }
    }

    const columnShapes = mean(results.map((c) => c.score));
    const columnPairTrends = mean(pairs.map((p) => p.score));
    const parts = [columnShapes, columnPairTrends].filter((x): x is number => x !== null);
    return {
      overall: mean(parts),
      columnShapes,
      columnPairTrends,
      columns: results,
      pairs,
      skipped,
      realRows: real.rows.length,
      syntheticRows: rows,
      sampledRows: sample.length,
    };
  };

  return { add, finish };
};
