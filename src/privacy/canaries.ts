/**
 * Canaries: a few made-up rows planted in the train sample before the model is fitted. A model that
 * memorises its training rows replays them; one that learned only the distribution does not.
 *
 * A canary is unlike any real row but valid: each attribute is taken from a different real row
 * (categories only among those common enough for the model to keep, drawn uniformly so the mix is
 * rare), one wide-ranging number lies a little beyond the seed's maximum, identifying values are
 * real ones with every letter and digit redrawn (card numbers and IBANs keep a valid checksum), and
 * the relations the model enforces (a ≤ b between columns, one category fixing another, a total of
 * two or three columns) still hold, so planting them never costs the model a constraint.
 *
 * The gate then fails when a canary reappears: exactly (on the compared columns, beyond the rate at
 * which unseen holdout rows find an exact twin by chance), by an identifying value, or as the
 * nearest neighbour of a synthetic row closer than 99% of unseen holdout rows are to theirs.
 */
import { type ColumnProfile, IDENTIFYING, type Profile } from '../contracts.ts';
import { formatCount, formatPercent } from '../quality/format.ts';
import { Reservoir } from '../quality/stats.ts';
import { parseDate, parseNumber } from '../quality/values.ts';
import { createRng, deriveSeed, type Rng } from '../random.ts';
import { findSums, type NumberSeries } from '../synth/constraints.ts';
import { formatNumber } from '../synth/stats.ts';
import type { Cell, Table } from '../table.ts';
import {
  type AttackColumn,
  attackColumns,
  type Encoded,
  type GowerSpace,
  gowerSpace,
  nearest,
  pickRows,
  rowKey,
} from './attacks/shared.ts';
import type { Check } from './gate.ts';

export const DEFAULT_CANARIES = 5;
/** A category seen fewer times than this is never drawn (the model would drop it as rare). */
const CATEGORY_MIN = 5;
/** Fewest distinct values for a number to be pushed past its maximum (a 1–5 score stays in range). */
const PUSH_DISTINCT_MIN = 20;
/** Fewest rows with both values for a relation between two columns to count. */
const RELATION_SUPPORT = 30;
const ATTEMPTS = 200;

export interface PlantedCanaries {
  /** The train rows with the canaries appended: what the model is fitted on. */
  train: Table;
  /** The canaries alone, every column: what the gate looks for. */
  canaries: Table;
}

type Plan = 'scramble' | 'category' | 'number' | 'date' | 'keep';

const planOf = (column: ColumnProfile | undefined): Plan => {
  if (column === undefined) return 'category';
  if (column.semantic !== undefined && IDENTIFYING.has(column.semantic.type)) return 'scramble';
  if (column.kind === 'id' || column.kind === 'text') return 'scramble';
  if (column.kind === 'integer' || column.kind === 'float')
    return column.semantic === undefined ? 'number' : 'keep';
  if (column.kind === 'date' || column.kind === 'datetime') return 'date';
  return column.semantic === undefined ? 'category' : 'keep';
};

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();

/** Every letter and digit redrawn, the shape (case, separators, length) kept. */
const scrambleText = (text: string, rng: Rng): string => {
  let out = '';
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') out += String(rng.int(10));
    else if (ch >= 'a' && ch <= 'z') out += LOWER[rng.int(26)];
    else if (ch >= 'A' && ch <= 'Z') out += UPPER[rng.int(26)];
    else out += ch;
  }
  return out;
};

/** Sets the last digit so the digits pass the Luhn check (card numbers). */
const withLuhn = (text: string): string => {
  const digits = [...text].filter((c) => c >= '0' && c <= '9').map(Number);
  if (digits.length < 2) return text;
  let sum = 0;
  for (let i = digits.length - 2, double = true; i >= 0; i--, double = !double) {
    let d = digits[i]!;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  const check = (10 - (sum % 10)) % 10;
  const last = text.search(/\d(?=\D*$)/);
  return `${text.slice(0, last)}${check}${text.slice(last + 1)}`;
};

/** Sets an IBAN's check digits (ISO 13616 mod 97), spaces allowed. */
const withIbanCheck = (text: string): string => {
  const compact = text.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return text;
  const moved = `${compact.slice(4)}${compact.slice(0, 2)}00`;
  let mod = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) mod = (mod * 10 + Number(d)) % 97;
  }
  const check = String(98 - mod).padStart(2, '0');
  const at = text.search(/\d/);
  return `${text.slice(0, at)}${check}${text.slice(at + 2)}`;
};

/** Hex digits redrawn as hex digits of the same case (UUIDs, hashes). */
const scrambleHex = (text: string, rng: Rng): string =>
  text.replace(/[0-9a-fA-F]/g, (ch) => {
    const digit = '0123456789abcdef'[rng.int(16)]!;
    return ch >= 'A' && ch <= 'F' ? digit.toUpperCase() : digit;
  });

const HEXLIKE = /^(?=.*\d)(?=.*[a-fA-F])[0-9a-fA-F-]+$/;

const scramble = (text: string, column: ColumnProfile | undefined, rng: Rng): string => {
  const type = column?.semantic?.type;
  if (type === 'uuid' || HEXLIKE.test(text)) return scrambleHex(text, rng);
  // Keys keep their letters (prefixes such as 'CUS-' are part of the pattern the model learns).
  if (column?.kind === 'id' && /\d/.test(text)) return text.replace(/\d/g, () => String(rng.int(10)));
  if (type === 'email') {
    const at = text.lastIndexOf('@');
    return at < 0 ? scrambleText(text, rng) : `${scrambleText(text.slice(0, at), rng)}${text.slice(at)}`;
  }
  if (type === 'credit_card') return withLuhn(scrambleText(text, rng));
  // The country code stays: the check digits are computed for it.
  if (type === 'iban') return withIbanCheck(`${text.slice(0, 2)}${scrambleText(text.slice(2), rng)}`);
  if (type === 'ssn') {
    // A valid area number (001–665): 000, 666 and 9xx are never issued.
    const s = scrambleText(text, rng);
    return s.replace(/^\d{3}/, String(100 + rng.int(566)).padStart(3, '0'));
  }
  return scrambleText(text, rng);
};

const decimalsOf = (texts: string[]): number =>
  texts.reduce((m, t) => Math.max(m, t.includes('.') ? t.length - t.indexOf('.') - 1 : 0), 0);

interface Order {
  lo: number;
  hi: number;
  read: (cell: Cell) => number;
}

interface Fixed {
  from: number;
  to: number;
  map: Map<string, Cell>;
}

/**
 * Relations that hold in every train row: lo ≤ hi between numbers or dates; one category fixing
 * another; a number that is two or three others added.
 */
const relationsOf = (train: Table, plans: Plan[], columns: (ColumnProfile | undefined)[]) => {
  const orders: Order[] = [];
  const fixed: Fixed[] = [];
  const readers = plans.map((plan, j) =>
    plan === 'number'
      ? parseNumber
      : plan === 'date'
        ? (cell: Cell) => parseDate(cell, columns[j]?.format)
        : undefined,
  );
  const values = readers.map((read, j) =>
    read === undefined ? undefined : Float64Array.from(train.rows, (row) => read(row[j] ?? null)),
  );
  for (let a = 0; a < plans.length; a++) {
    for (let b = 0; b < plans.length; b++) {
      const x = values[a];
      const y = values[b];
      if (a === b || x === undefined || y === undefined || plans[a] !== plans[b]) continue;
      let support = 0;
      let holds = true;
      for (let r = 0; r < x.length && holds; r++) {
        if (Number.isNaN(x[r]!) || Number.isNaN(y[r]!)) continue;
        support++;
        holds = x[r]! <= y[r]!;
      }
      if (holds && support >= RELATION_SUPPORT) orders.push({ lo: a, hi: b, read: readers[a]! });
    }
  }
  const categories = plans.map((p, j) => (p === 'category' ? j : -1)).filter((j) => j >= 0);
  const distinct = new Map(categories.map((j) => [j, new Set(train.rows.map((row) => row[j] ?? null)).size]));
  for (const a of categories) {
    for (const b of categories) {
      if (a === b || distinct.get(a)! <= distinct.get(b)!) continue;
      const map = new Map<string, Cell>();
      let support = 0;
      let holds = true;
      for (const row of train.rows) {
        const from = row[a] ?? null;
        const to = row[b] ?? null;
        if (from === null || to === null) continue;
        support++;
        const known = map.get(from);
        if (known === undefined) map.set(from, to);
        else if (known !== to) {
          holds = false;
          break;
        }
      }
      if (holds && support >= RELATION_SUPPORT) fixed.push({ from: a, to: b, map });
    }
  }
  // Sums of numbers, found as the model finds them (synth/constraints.ts).
  const series = plans.flatMap((plan, j): (NumberSeries & { at: number })[] => {
    if (plan !== 'number') return [];
    const texts = train.rows.map((row) => row[j] ?? null);
    const present = texts.filter((c): c is string => c !== null);
    const decimals = columns[j]?.kind === 'integer' ? 0 : (columns[j]?.decimals ?? decimalsOf(present));
    return [{ name: train.columns[j]!, at: j, decimals, values: Float64Array.from(texts, parseNumber) }];
  });
  const sums = findSums(series).map(([t, ...parts]) => ({
    total: series[t!]!.at,
    parts: parts.map((k) => series[k]!.at),
    decimals: series[t!]!.decimals,
  }));
  return { orders, fixed, sums };
};

/**
 * Appends `count` canaries to the train sample (before fitting) and returns them apart as well.
 * The same train, profile and seed always give the same canaries.
 */
export const plantCanaries = (
  train: Table,
  profile: Profile,
  seed: number,
  count = DEFAULT_CANARIES,
): PlantedCanaries => {
  const empty = { train, canaries: { columns: [...train.columns], rows: [] } };
  if (train.rows.length === 0 || count <= 0) return empty;
  const rng = createRng(deriveSeed(seed, 'canaries'));
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  const columns = train.columns.map((name) => byName.get(name));
  const plans = columns.map(planOf);
  // Categories common enough that the model keeps them, each equally likely: a rare mix of common values.
  const pools = plans.map((plan, j) => {
    if (plan !== 'category') return [];
    const counts = new Map<string, number>();
    for (const row of train.rows) {
      const cell = row[j];
      if (cell !== null && cell !== undefined) counts.set(cell, (counts.get(cell) ?? 0) + 1);
    }
    const common = [...counts].filter(([, n]) => n >= CATEGORY_MIN).map(([v]) => v);
    return (common.length > 0 ? common : [...counts.keys()]).sort();
  });
  const ranges = plans.map((plan, j) => {
    if (plan !== 'number') return undefined;
    const texts = train.rows.map((row) => row[j] ?? null).filter((c): c is string => c !== null);
    const xs = texts.map(parseNumber).filter((x) => !Number.isNaN(x));
    if (xs.length === 0 || new Set(xs).size < PUSH_DISTINCT_MIN) return undefined;
    const min = xs.reduce((m, x) => Math.min(m, x));
    const max = xs.reduce((m, x) => Math.max(m, x));
    const integer = columns[j]?.kind === 'integer';
    return { min, max, integer, decimals: columns[j]?.decimals ?? decimalsOf(texts) };
  });
  const pushable = ranges.map((r, j) => (r === undefined ? -1 : j)).filter((j) => j >= 0);
  const { orders, fixed, sums } = relationsOf(train, plans, columns);
  const compared = plans.map((p, j) => (p === 'scramble' ? -1 : j)).filter((j) => j >= 0);
  const keys = new Set(train.rows.map((row) => rowKey(row, compared)));
  const donor = (): Cell[] => train.rows[rng.int(train.rows.length)]!;

  const draw = (push: number | undefined): Cell[] => {
    const row = plans.map((plan, j): Cell => {
      const cell = donor()[j] ?? null;
      if (plan === 'category') return pools[j]!.length > 0 ? pools[j]![rng.int(pools[j]!.length)]! : cell;
      if (plan === 'scramble') return cell === null ? null : scramble(cell, columns[j], rng);
      return cell;
    });
    if (push !== undefined) {
      const r = ranges[push]!;
      const x = r.max + (0.02 + 0.04 * rng.next()) * (r.max - r.min);
      row[push] = r.integer ? String(Math.max(Math.round(x), r.max + 1)) : x.toFixed(r.decimals);
    }
    // Twice, so a chain (city → county → state) settles.
    for (let pass = 0; pass < 2; pass++) {
      for (const f of fixed) {
        const from = row[f.from] ?? null;
        const to = from === null ? undefined : f.map.get(from);
        if (to !== undefined) row[f.to] = to;
      }
    }
    // A total is its parts added, as in every train row (a pushed part pushes its total along).
    for (const sum of sums) {
      const x = sum.parts.reduce((total, k) => total + parseNumber(row[k] ?? null), 0);
      if (!Number.isNaN(x) && row[sum.total] != null) row[sum.total] = formatNumber(x, sum.decimals);
    }
    return row;
  };
  const valid = (row: Cell[]): boolean =>
    orders.every((o) => {
      const lo = o.read(row[o.lo] ?? null);
      const hi = o.read(row[o.hi] ?? null);
      return Number.isNaN(lo) || Number.isNaN(hi) || lo <= hi;
    });

  const canaries: Cell[][] = [];
  for (let c = 0; c < count; c++) {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      // Half the attempts push a number past its maximum; then give up on that and mix values only.
      const push =
        pushable.length > 0 && attempt < ATTEMPTS / 2 ? pushable[(c + attempt) % pushable.length] : undefined;
      const row = draw(push);
      const key = rowKey(row, compared);
      if (!valid(row) || keys.has(key)) continue;
      keys.add(key);
      canaries.push(row);
      break;
    }
  }
  return {
    train: { columns: train.columns, rows: [...train.rows, ...canaries] },
    canaries: { columns: [...train.columns], rows: canaries },
  };
};

export interface CanaryWatchInput {
  profile: Profile;
  /** The planted canaries, as plantCanaries returned them. */
  canaries: Table;
  /** The gate's train and holdout samples (PII columns dropped). */
  train: Table;
  holdout: Table;
  seed: number;
  /** Synthetic rows kept for the nearest-neighbour test; 2,000 when left out. */
  sampleSize?: number;
}

export interface CanaryWatch {
  add(shard: Table): void;
  finish(): Check;
}

const ID = 'canaries';
const TITLE = 'Planted canary rows do not reappear in the output';
/** Holdout rows used as the yardstick of "typical" closeness and of chance exact twins. */
const HOLDOUT_ROWS = 1_000;
const NEAR_QUANTILE = 0.01;
/** Synthetic rows kept for the nearness test. */
const SAMPLE_ROWS = 2_000;
/** Below this many holdout rows the 1st percentile of their distances means little. */
const NEAR_MIN_HOLDOUT = 100;
/** An exact replay counts when chance would give this many this rarely. */
const EXACT_ALPHA = 0.01;

/** P(X ≥ k) for X ~ Binomial(n, p). */
const binomialTail = (k: number, n: number, p: number): number => {
  if (k <= 0 || p >= 1) return 1;
  let total = 0;
  let term = (1 - p) ** n;
  for (let i = 0; i <= n; i++) {
    if (i >= k) total += term;
    term = (term * (n - i) * p) / ((i + 1) * (1 - p));
  }
  return Math.min(1, total);
};

/**
 * The distance below which a canary's nearest synthetic row counts as a replay: the 1st percentile
 * of unseen holdout rows' distances to their nearest synthetic row (0: nothing is near).
 */
const nearCutoff = (space: GowerSpace, holdout: Encoded, synthetic: Encoded): number => {
  const yardstick = Array.from(
    { length: holdout.rows },
    (_, q) => nearest(holdout, q, synthetic, space.numeric).distance,
  ).sort((a, b) => a - b);
  return yardstick[Math.floor(NEAR_QUANTILE * yardstick.length)] ?? 0;
};

/**
 * For row-level repair: whether a synthetic row lies near a canary, by the check's own yardstick
 * measured on (a sample of) `synthetic`, the output being repaired. A row nearer to a canary than
 * 99% of unseen holdout rows get to theirs would keep the check failing; undefined where the check
 * cannot judge nearness (no shared columns, too few holdout rows), so nothing is dropped for it.
 */
export const nearCanaryTest = (
  input: Omit<CanaryWatchInput, 'sampleSize'>,
  synthetic: Table,
): ((row: readonly Cell[]) => boolean) | undefined => {
  const { profile, canaries, train, holdout, seed } = input;
  const used = attackColumns(profile, [canaries, train, holdout, synthetic]);
  if (used.length === 0 || canaries.rows.length === 0 || synthetic.rows.length === 0) return undefined;
  const rng = createRng(deriveSeed(seed, 'privacy-gate', ID, 'repair'));
  const holdoutRows = pickRows(holdout, HOLDOUT_ROWS, rng);
  if (holdoutRows.length < NEAR_MIN_HOLDOUT) return undefined;
  const space = gowerSpace(used, [train, holdout]);
  const sample = space.encode(synthetic, pickRows(synthetic, SAMPLE_ROWS, rng));
  const cutoff = nearCutoff(space, space.encode(holdout, holdoutRows), sample);
  if (cutoff <= 0) return undefined;
  const planted = space.encode(canaries);
  return (row) => {
    const encoded = space.encode({ columns: synthetic.columns, rows: [row as Cell[]] });
    return nearest(encoded, 0, planted, space.numeric).distance < cutoff;
  };
};

/** Streams the output shard by shard: exact and identifier replays over every row, a sample for distances. */
export const createCanaryWatch = (input: CanaryWatchInput): CanaryWatch => {
  const { profile, canaries, train, holdout, seed } = input;
  const rng = createRng(deriveSeed(seed, 'privacy-gate', ID));
  const reservoir = new Reservoir<Cell[]>(input.sampleSize ?? SAMPLE_ROWS, rng);
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  // Identifying values of the canaries: made up, so any appearance in the output is a replay.
  const identifiers = new Map<string, number>();
  canaries.columns.forEach((name, j) => {
    const semantic = byName.get(name)?.semantic?.type;
    if (semantic === undefined || !IDENTIFYING.has(semantic)) return;
    canaries.rows.forEach((row, i) => {
      const cell = row[j];
      if (cell !== null && cell !== undefined && cell.trim() !== '') identifiers.set(cell.trim(), i);
    });
  });
  const holdoutRows = pickRows(holdout, HOLDOUT_ROWS, rng);

  let columns: AttackColumn[] | undefined;
  let canaryKeys = new Map<string, number>();
  let holdoutKeys = new Set<string>();
  const twins = new Set<string>();
  const replayed = new Set<number>();
  let identifierHits = 0;
  const identified = new Set<number>();
  let rows = 0;

  const add = (shard: Table): void => {
    if (columns === undefined) {
      columns = attackColumns(profile, [canaries, train, holdout, shard]);
      const names = columns.map((c) => c.name);
      const at = (t: Table) => names.map((n) => t.columns.indexOf(n));
      const canaryAt = at(canaries);
      canaryKeys = new Map(canaries.rows.map((row, i) => [rowKey(row, canaryAt), i]));
      const holdoutAt = at(holdout);
      holdoutKeys = new Set(holdoutRows.map((r) => rowKey(holdout.rows[r]!, holdoutAt)));
    }
    const at = columns.map((c) => shard.columns.indexOf(c.name));
    for (const row of shard.rows) {
      rows++;
      if (at.length > 0) {
        const key = rowKey(row, at);
        const canary = canaryKeys.get(key);
        if (canary !== undefined) replayed.add(canary);
        if (holdoutKeys.has(key)) twins.add(key);
        reservoir.offer(() => at.map((i) => row[i] ?? null));
      }
      if (identifiers.size > 0) {
        for (const cell of row) {
          const canary = cell === null ? undefined : identifiers.get(cell.trim());
          if (canary === undefined) continue;
          identifierHits++;
          identified.add(canary);
        }
      }
    }
  };

  const finish = (): Check => {
    const base = { id: ID, title: TITLE, threshold: 0 };
    const used = columns ?? [];
    if (canaries.rows.length === 0 || rows === 0) {
      return {
        ...base,
        figure: 0,
        verdict: 'inconclusive',
        detail:
          canaries.rows.length === 0
            ? 'No canaries were planted for this run, so none could be looked for.'
            : 'The output has no rows, so nothing was checked.',
      };
    }
    // Exact twins: how often an unseen holdout row finds one by chance sets what one canary replay means.
    const holdoutAt = used.map((c) => holdout.columns.indexOf(c.name));
    const twinRows = holdoutRows.filter((r) => twins.has(rowKey(holdout.rows[r]!, holdoutAt))).length;
    const twinRate = holdoutRows.length > 0 ? twinRows / holdoutRows.length : 0;
    const chance = Math.max(twinRate, 0.5 / Math.max(1, holdoutRows.length));
    const exact =
      replayed.size > 0 && binomialTail(replayed.size, canaries.rows.length, chance) < EXACT_ALPHA;
    const caught = new Set<number>(identified);
    if (exact) for (const i of replayed) caught.add(i);

    // Near replays: a canary whose nearest synthetic row is closer than 99% of unseen rows' nearest.
    let near = 0;
    let cutoff = 0;
    const sample = reservoir.items;
    const judgeNear = used.length > 0 && holdoutRows.length >= NEAR_MIN_HOLDOUT && sample.length > 0;
    if (judgeNear) {
      const space = gowerSpace(used, [train, holdout]);
      const synth: Encoded = space.encode({ columns: used.map((c) => c.name), rows: sample });
      cutoff = nearCutoff(space, space.encode(holdout, holdoutRows), synth);
      const encoded = space.encode(canaries);
      for (let i = 0; i < encoded.rows; i++) {
        if (cutoff > 0 && nearest(encoded, i, synth, space.numeric).distance < cutoff) {
          near++;
          caught.add(i);
        }
      }
    }
    const verdict = caught.size > 0 ? 'fail' : used.length === 0 || !judgeNear ? 'inconclusive' : 'pass';
    const parts = [
      `${formatCount(canaries.rows.length)} made-up canary rows were planted among the training rows before the model was fitted, and ${formatCount(rows)} synthetic rows were searched for them.`,
      replayed.size > 0
        ? ` ${formatCount(replayed.size)} ${replayed.size === 1 ? 'canary reappears' : 'canaries reappear'} exactly on the ${used.length} compared columns` +
          (exact
            ? ', far more than chance allows'
            : `, which chance explains here (${formatPercent(twinRate)} of unseen holdout rows find an exact twin too)`) +
          '.'
        : ` No canary reappears exactly on the ${used.length} compared columns.`,
      identifierHits > 0
        ? ` ${formatCount(identifierHits)} synthetic ${identifierHits === 1 ? 'cell repeats' : 'cells repeat'} a canary's made-up identifying value.`
        : identifiers.size > 0
          ? " None of the canaries' made-up identifying values appears."
          : '',
      judgeNear
        ? near > 0
          ? ` ${formatCount(near)} ${near === 1 ? 'canary has' : 'canaries have'} a synthetic row nearer than 99% of unseen holdout rows have theirs.`
          : ` No canary has a synthetic row nearer than 99% of unseen holdout rows have theirs (measured on ${formatCount(sample.length)} sampled synthetic rows).`
        : ` Nearness was not judged: ${used.length === 0 ? 'no non-personal columns are shared' : `fewer than ${NEAR_MIN_HOLDOUT} holdout rows`}.`,
      verdict === 'fail' ? ' The model replays rows it was trained on.' : '',
    ];
    return { ...base, figure: caught.size, baseline: twinRate, verdict, detail: parts.join('') };
  };

  return { add, finish };
};

/** The same check on an output held in one table. */
export const checkCanaries = (input: CanaryWatchInput & { synthetic: Table }): Check => {
  const watch = createCanaryWatch(input);
  watch.add(input.synthetic);
  return watch.finish();
};
