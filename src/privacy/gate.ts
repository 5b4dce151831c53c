/**
 * The privacy gate: does the synthetic output leak the seed? Shards stream through `add` (counters
 * plus a seeded reservoir sample, so memory stays bounded whatever the row count); `finish` runs:
 *  1. pii-replay: every synthetic cell against the salted index of the seed's identifying values;
 *  2. exact-copies: synthetic rows that repeat a train-sample row, against the rate at which real
 *     holdout rows (never seen by the model) repeat one by chance;
 *  3. dcr-share: for sampled synthetic rows, is the nearest real row more often a train row than a
 *     holdout row? (Gower distance; 0.5 is what a model that learned only the distribution shows.)
 * Details are written for a compliance reader and never print a seed value.
 */
import { z } from 'zod';
import type { ColumnProfile, Policy, Profile } from '../contracts.ts';
import { ContractError } from '../errors.ts';
import { formatCount, formatInterval, formatList, formatPercent } from '../quality/format.ts';
import { Reservoir, sampleIndices, wilson } from '../quality/stats.ts';
import { type ColumnRole, categoryOf, columnRole, numberOf } from '../quality/values.ts';
import { createRng, deriveSeed } from '../random.ts';
import type { Cell, Table } from '../table.ts';
import type { PiiIndex } from './pii-index.ts';

export const CheckVerdict = z.enum(['pass', 'fail', 'inconclusive']);
export type CheckVerdict = z.infer<typeof CheckVerdict>;

export const Check = z.object({
  id: z.string(),
  title: z.string(),
  figure: z.number(),
  threshold: z.number(),
  /** 95% interval of the figure, where it is an estimate. */
  interval: z.tuple([z.number(), z.number()]).optional(),
  /** The figure real unseen data shows, where the threshold is relative to it. */
  baseline: z.number().optional(),
  verdict: CheckVerdict,
  detail: z.string(),
});
export type Check = z.infer<typeof Check>;

export const PrivacyResult = z.object({
  verdict: z.enum(['pass', 'fail']),
  checks: z.array(Check),
  syntheticRows: z.number().int().min(0),
});
export type PrivacyResult = z.infer<typeof PrivacyResult>;

export interface PrivacyGateInput {
  profile: Profile;
  /** Reference samples, PII columns already dropped; their columns are a subset of the output's. */
  train: Table;
  holdout: Table;
  piiIndex: PiiIndex;
  policy: Policy;
  seed: number;
  /** Synthetic rows kept for the distance check. */
  sampleSize?: number;
}

export interface PrivacyGate {
  add(shard: Table): void;
  finish(): PrivacyResult;
}

/** Below this many holdout rows the distance share is too noisy to judge. */
export const MIN_HOLDOUT_ROWS = 20;
const DEFAULT_SAMPLE = 2_000;
const PII_MEMO_PER_COLUMN = 4_096;

interface Compared {
  name: string;
  role: Exclude<ColumnRole, 'skip'>;
  profile: ColumnProfile | undefined;
}

/** Canonical text of a cell for exact matching: trimmed, numbers as numbers ('1.50' equals '1.5'). */
const canonical = (cell: Cell): string => {
  if (cell === null) return '\u0000';
  const text = cell.trim();
  if (text !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return String(Number(text));
  return text;
};

const rowKey = (row: Cell[], indices: number[]): string =>
  indices.map((i) => canonical(row[i] ?? null)).join('\u0001');

const indicesOf = (table: Table, names: string[], what: string): number[] =>
  names.map((name) => {
    const i = table.columns.indexOf(name);
    if (i < 0)
      throw new ContractError(`${what} has no column '${name}' (columns: ${table.columns.join(', ')})`);
    return i;
  });

export const createPrivacyGate = (input: PrivacyGateInput): PrivacyGate => {
  const { profile, train, holdout, piiIndex, policy, seed } = input;
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  // Columns the samples hold that carry a distribution: PII, keys and free text never take part.
  const candidates: Compared[] = [];
  for (const name of train.columns) {
    const column = byName.get(name);
    const role = column === undefined ? 'categorical' : columnRole(column);
    if (role !== 'skip') candidates.push({ name, role, profile: column });
  }
  const reservoir = new Reservoir<Cell[]>(
    input.sampleSize ?? DEFAULT_SAMPLE,
    createRng(deriveSeed(seed, 'privacy-gate', 'reservoir')),
  );

  let compared: Compared[] | undefined;
  let trainKeys: Set<string> | undefined;
  let rows = 0;
  let shards = 0;
  let copies = 0;
  const hits = new Map<string, number>();
  // Category-like columns repeat a few values endlessly: remembering their answers saves the hashing.
  // Each column remembers its first values only, so columns of unique values cost no extra memory.
  const memos = new Map<string, Map<string, boolean>>();
  const isSeedValue = (column: string, value: string): boolean => {
    let memo = memos.get(column);
    if (memo === undefined) {
      memo = new Map();
      memos.set(column, memo);
    }
    let known = memo.get(value);
    if (known === undefined) {
      known = piiIndex.has(value);
      if (memo.size < PII_MEMO_PER_COLUMN) memo.set(value, known);
    }
    return known;
  };

  const add = (shard: Table): void => {
    if (compared === undefined) {
      compared = candidates.filter((c) => shard.columns.includes(c.name));
      const names = compared.map((c) => c.name);
      const trainIdx = indicesOf(train, names, 'the train sample');
      trainKeys = new Set(train.rows.map((row) => rowKey(row, trainIdx)));
    }
    const shardIdx = indicesOf(
      shard,
      compared.map((c) => c.name),
      `synthetic shard ${shards}`,
    );
    shards++;
    for (const row of shard.rows) {
      for (let j = 0; j < shard.columns.length; j++) {
        const cell = row[j];
        if (cell === null || cell === undefined) continue;
        const column = shard.columns[j]!;
        if (isSeedValue(column, cell)) hits.set(column, (hits.get(column) ?? 0) + 1);
      }
      if (shardIdx.length > 0 && trainKeys!.has(rowKey(row, shardIdx))) copies++;
      reservoir.offer(() => shardIdx.map((i) => row[i] ?? null));
      rows++;
    }
  };

  const finish = (): PrivacyResult => {
    const columns = compared ?? [];
    const checks = [
      piiReplayCheck(hits, piiIndex, rows),
      exactCopiesCheck({ columns, train, holdout, trainKeys, copies, rows, policy }),
      dcrCheck({ columns, train, holdout, sample: reservoir.items, rows, policy, seed }),
    ];
    return {
      verdict: checks.some((c) => c.verdict === 'fail') ? 'fail' : 'pass',
      checks,
      syntheticRows: rows,
    };
  };

  return { add, finish };
};

const piiReplayCheck = (hits: Map<string, number>, piiIndex: PiiIndex, rows: number): Check => {
  const total = [...hits.values()].reduce((a, b) => a + b, 0);
  const base = {
    id: 'pii-replay',
    title: 'No identifying value from the seed appears in the output',
    figure: total,
    threshold: 0,
  };
  if (total > 0) {
    const where = [...hits.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([column, n]) => `${column} (${formatCount(n)})`);
    return {
      ...base,
      verdict: 'fail',
      detail:
        `${formatCount(total)} synthetic ${total === 1 ? 'cell equals' : 'cells equal'} an identifying value ` +
        `(name, email, phone, ID number, address…) found in the seed, in ${formatList(where)}. ` +
        'Real personal data would be published; the values themselves are not shown here.',
    };
  }
  if (rows === 0) {
    return { ...base, verdict: 'inconclusive', detail: 'The output has no rows, so nothing was checked.' };
  }
  if (piiIndex.truncated) {
    return {
      ...base,
      verdict: 'inconclusive',
      detail:
        'No synthetic cell matched, but the seed held more identifying values than the index keeps, ' +
        'so some seed values were not checked against.',
    };
  }
  return {
    ...base,
    verdict: 'pass',
    detail:
      piiIndex.size === 0
        ? 'The seed had no identifying values to index, so none can reappear in the output.'
        : `None of the ${formatCount(rows)} synthetic rows contains any of the ${formatCount(piiIndex.size)} ` +
          'identifying values found in the seed, in any column.',
  };
};

const exactCopiesCheck = (args: {
  columns: Compared[];
  train: Table;
  holdout: Table;
  trainKeys: Set<string> | undefined;
  copies: number;
  rows: number;
  policy: Policy;
}): Check => {
  const { columns, train, holdout, trainKeys, copies, rows, policy } = args;
  const names = columns.map((c) => c.name);
  let holdoutCopies = 0;
  if (trainKeys !== undefined && names.length > 0) {
    const idx = indicesOf(holdout, names, 'the holdout sample');
    for (const row of holdout.rows) if (trainKeys.has(rowKey(row, idx))) holdoutCopies++;
  }
  const baseline = holdout.rows.length > 0 ? holdoutCopies / holdout.rows.length : 0;
  const threshold = baseline + policy.exactCopyExcess;
  const figure = rows > 0 ? copies / rows : 0;
  const base = {
    id: 'exact-copies',
    title: 'Synthetic rows do not copy real rows',
    figure,
    threshold,
    baseline,
  };
  if (rows === 0 || names.length === 0 || train.rows.length === 0) {
    return {
      ...base,
      verdict: 'inconclusive',
      detail:
        rows === 0
          ? 'The output has no rows, so nothing was checked.'
          : 'There are no non-personal columns shared with the reference samples to compare rows on.',
    };
  }
  const interval = wilson(copies, rows);
  const verdict = figure > threshold ? 'fail' : 'pass';
  return {
    ...base,
    interval,
    verdict,
    detail:
      `${formatCount(copies)} of ${formatCount(rows)} synthetic rows (${formatPercent(figure, 2)}, 95% interval ` +
      `${formatInterval(interval, 2)}) exactly repeat a row of the training sample on the ${names.length} ` +
      `compared columns (${formatList(names)}). Real rows the model never saw repeat one ` +
      `${formatPercent(baseline, 2)} of the time by chance; the policy allows ` +
      `${formatPercent(policy.exactCopyExcess, 2)} above that, so at most ${formatPercent(threshold, 2)}.` +
      (verdict === 'fail' ? ' The model reproduces real records.' : ''),
  };
};

/**
 * Rows as Gower coordinates, row-major: numeric and date columns scaled by the real range (so a
 * difference of 1 or more caps at 1), categories as codes compared for equality; NaN is null.
 */
interface Encoded {
  values: Float32Array;
  rows: number;
}

const encoder = (columns: Compared[], real: Table[]) => {
  const scales = columns.map((column) => {
    if (column.role === 'categorical') return { min: 0, scale: 1, codes: new Map<string, number>() };
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const table of real) {
      const i = table.columns.indexOf(column.name);
      for (const row of table.rows) {
        const v = numberOf(row[i] ?? null, column.role, column.profile?.format);
        if (Number.isNaN(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (min > max) return { min: 0, scale: 1, codes: undefined };
    // A constant real column: any difference at all is as far as a value can be.
    return { min, scale: max > min ? 1 / (max - min) : 1e12, codes: undefined };
  });
  const encode = (cells: Cell[], out: Float32Array, offset: number): void => {
    for (let j = 0; j < columns.length; j++) {
      const column = columns[j]!;
      const s = scales[j]!;
      const cell = cells[j] ?? null;
      if (s.codes !== undefined) {
        const label = categoryOf(cell, column.profile?.kind ?? 'categorical');
        if (label === null) {
          out[offset + j] = Number.NaN;
          continue;
        }
        let code = s.codes.get(label);
        if (code === undefined) {
          code = s.codes.size;
          s.codes.set(label, code);
        }
        out[offset + j] = code;
      } else {
        const v = numberOf(cell, column.role as 'numeric' | 'date', column.profile?.format);
        out[offset + j] = Number.isNaN(v)
          ? Number.NaN
          : Math.min(Math.max((v - s.min) * s.scale, -1e30), 1e30);
      }
    }
  };
  return (rows: Cell[][]): Encoded => {
    const values = new Float32Array(rows.length * columns.length);
    rows.forEach((cells, r) => {
      encode(cells, values, r * columns.length);
    });
    return { values, rows: rows.length };
  };
};

/** Smallest summed Gower distance from one query row to any reference row (early exit per row). */
const nearest = (query: Float32Array, q: number, ref: Encoded, numeric: Uint8Array): number => {
  const c = numeric.length;
  const qo = q * c;
  const v = ref.values;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ref.rows; r++) {
    const ro = r * c;
    let d = 0;
    for (let j = 0; j < c && d < best; j++) {
      const a = query[qo + j]!;
      const b = v[ro + j]!;
      if (Number.isNaN(a)) d += Number.isNaN(b) ? 0 : 1;
      else if (Number.isNaN(b)) d += 1;
      else if (numeric[j] === 1) d += Math.min(1, Math.abs(a - b));
      else d += a === b ? 0 : 1;
    }
    if (d < best) {
      best = d;
      if (best === 0) break;
    }
  }
  return best;
};

const dcrCheck = (args: {
  columns: Compared[];
  train: Table;
  holdout: Table;
  sample: Cell[][];
  rows: number;
  policy: Policy;
  seed: number;
}): Check => {
  const { columns, train, holdout, sample, policy, seed } = args;
  const base = {
    id: 'dcr-share',
    title: 'Synthetic rows are not closer to training rows than to unseen rows',
  };
  const threshold = policy.dcrShareMax;
  if (sample.length === 0 || columns.length === 0 || holdout.rows.length === 0 || train.rows.length === 0) {
    return {
      ...base,
      figure: 0,
      threshold,
      verdict: 'inconclusive',
      detail:
        sample.length === 0
          ? 'The output has no rows, so nothing was checked.'
          : columns.length === 0
            ? 'There are no non-personal columns shared with the reference samples to measure distance on.'
            : 'The reference samples are empty, so there is nothing to measure distance to.',
    };
  }
  // Equal-size references, so that a model which never saw the train rows lands at 0.5 exactly.
  const size = Math.min(train.rows.length, holdout.rows.length);
  const rng = createRng(deriveSeed(seed, 'privacy-gate', 'dcr-subsample'));
  const names = columns.map((c) => c.name);
  const project = (table: Table, what: string): Cell[][] => {
    const idx = indicesOf(table, names, what);
    return sampleIndices(table.rows.length, size, rng).map((r) => idx.map((i) => table.rows[r]![i] ?? null));
  };
  const encode = encoder(columns, [train, holdout]);
  const trainRef = encode(project(train, 'the train sample'));
  const holdoutRef = encode(project(holdout, 'the holdout sample'));
  const synthetic = encode(sample);
  const numeric = Uint8Array.from(columns, (c) => (c.role === 'categorical' ? 0 : 1));
  // Float32 sums of the same terms can differ in the last bits; closer than this is a tie.
  const eps = 1e-5 * columns.length;
  let closer = 0;
  let ties = 0;
  for (let q = 0; q < synthetic.rows; q++) {
    const dTrain = nearest(synthetic.values, q, trainRef, numeric);
    const dHoldout = nearest(synthetic.values, q, holdoutRef, numeric);
    if (Math.abs(dTrain - dHoldout) <= eps) ties++;
    else if (dTrain < dHoldout) closer++;
  }
  const n = synthetic.rows;
  const score = closer + ties / 2;
  const figure = score / n;
  const interval = wilson(score, n);
  const small = holdout.rows.length < MIN_HOLDOUT_ROWS;
  // Fail only on evidence: the whole 95% interval above the threshold. A figure above it whose
  // interval still reaches below is too noisy to call (small samples) and is reported as such.
  const verdict = small
    ? 'inconclusive'
    : interval[0] > threshold
      ? 'fail'
      : figure > threshold
        ? 'inconclusive'
        : 'pass';
  const measured =
    `Of ${formatCount(n)} sampled synthetic rows, ${formatPercent(figure)} (95% interval ${formatInterval(interval)}) ` +
    `lie nearer to a training row than to any unseen holdout row (ties count half), measured on ` +
    `${formatCount(size)} rows of each and ${columns.length} columns. About 50% is what a model that learned ` +
    `only the overall distribution shows; the policy allows at most ${formatPercent(threshold)}.`;
  const verdictNote = small
    ? ` The holdout sample has only ${holdout.rows.length} rows (fewer than ${MIN_HOLDOUT_ROWS}), too few to judge.`
    : verdict === 'fail'
      ? ' Synthetic rows sit unusually close to the records the model was trained on.'
      : verdict === 'inconclusive'
        ? ' The figure is above the threshold but its interval reaches below it: too few rows to tell a leak from chance; a larger seed or holdout would decide.'
        : '';
  return { ...base, figure, threshold, interval, verdict, detail: measured + verdictNote };
};
