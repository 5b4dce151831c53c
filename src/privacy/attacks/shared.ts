/**
 * What the privacy attacks share: which columns take part, Gower coordinates for mixed data,
 * exact nearest neighbours with seeded tie-breaking, and the attack-versus-control risk figure.
 */
import type { ColumnKind, Profile } from '../../contracts.ts';
import { sampleIndices, wilson } from '../../quality/stats.ts';
import { columnRole } from '../../quality/values.ts';
import type { Rng } from '../../random.ts';
import { normalInv } from '../../synth/stats.ts';
import type { Cell, Table } from '../../table.ts';
import type { CheckVerdict } from '../gate.ts';
import { type Compared, gowerEncoder } from '../gower.ts';

/** A risk above this (attack success on train rows beyond the control, 0–1) fails by default. */
export const DEFAULT_RISK_MAX = 0.1;
/** Most reference rows (train and holdout each) and synthetic rows an attack looks at. */
export const DEFAULT_ATTACK_ROWS = 2_000;
/** Most target rows an attack tries to learn about, from train and from holdout each. */
export const DEFAULT_TARGETS = 500;
/** Fewer attempts than this on either side make a risk too noisy to call. */
export const MIN_ATTEMPTS = 30;

/** A compared column, as the gate's Gower encoder takes it. */
export type AttackColumn = Compared & { kind: ColumnKind };

/** The inputs every attack takes. Tables hold text cells; train and holdout are the gate's samples. */
export interface AttackInput {
  profile: Profile;
  /** Rows the model was fitted on (a sample of them). */
  train: Table;
  /** Real rows the model never saw: the control. */
  holdout: Table;
  /** A sample of the synthetic output. */
  synthetic: Table;
  seed: number;
  /** Highest acceptable risk; DEFAULT_RISK_MAX when left out. */
  threshold?: number;
  /** Most rows drawn from each table; DEFAULT_ATTACK_ROWS when left out. */
  maxRows?: number;
}

/**
 * Columns that carry a distribution and sit in every table, in the first table's order: PII, keys
 * and free text never take part (they are checked by value elsewhere). A column the profile does not
 * know is read as a category. `only` narrows them to the names it lists.
 */
export const attackColumns = (
  profile: Profile,
  tables: readonly Table[],
  only?: readonly string[],
): AttackColumn[] => {
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  const first = tables[0];
  if (first === undefined) return [];
  const out: AttackColumn[] = [];
  for (const name of first.columns) {
    if (only !== undefined && !only.includes(name)) continue;
    if (!tables.every((t) => t.columns.includes(name))) continue;
    const column = byName.get(name);
    const role = column === undefined ? 'categorical' : columnRole(column);
    if (role === 'skip') continue;
    out.push({
      name,
      role,
      kind: column?.kind ?? 'categorical',
      ...(column?.format === undefined ? {} : { format: column.format }),
    });
  }
  return out;
};

/** Rows as Gower coordinates (gower.ts: the gate's encoding), row-major, `width` per row. */
export interface Encoded {
  values: Float32Array;
  rows: number;
  width: number;
}

export interface GowerSpace {
  columns: AttackColumn[];
  /** 1 where a column compares by scaled difference, 0 where by equality. */
  numeric: Uint8Array;
  /** Encodes the named rows of a table (all when left out); category codes are shared across calls. */
  encode(table: Table, rows?: readonly number[]): Encoded;
}

/**
 * Gower coordinates, the gate's own (gower.ts): numbers and dates scaled by the range the reference
 * tables show, categories as codes, a missing value as a sentinel one apart from everything.
 */
export const gowerSpace = (columns: AttackColumn[], reference: readonly Table[]): GowerSpace => {
  const encodeRows = gowerEncoder(columns, [...reference]);
  const numeric = Uint8Array.from(columns, (c) => (c.role === 'categorical' ? 0 : 1));
  const encode = (table: Table, rows?: readonly number[]): Encoded => {
    const at = columns.map((c) => table.columns.indexOf(c.name));
    const picked = rows ?? table.rows.map((_, r) => r);
    const cells = picked.map((r) => {
      const row = table.rows[r] ?? [];
      return at.map((i): Cell => (i < 0 ? null : (row[i] ?? null)));
    });
    const encoded = encodeRows(cells);
    return { values: encoded.values, rows: encoded.rows, width: columns.length };
  };
  return { columns, numeric, encode };
};

/** The three tables of an attack in one Gower space: targets from train and holdout, and the output. */
export interface AttackTables {
  space: GowerSpace;
  train: Encoded;
  holdout: Encoded;
  synthetic: Encoded;
}

/**
 * Draws `size` targets from train and from holdout and a sample of the output, in that order from
 * `rng`, and encodes them in a space scaled by the reference samples.
 */
export const encodeAttack = (
  input: AttackInput,
  columns: AttackColumn[],
  size: number,
  rng: Rng,
): AttackTables => {
  const space = gowerSpace(columns, [input.train, input.holdout]);
  const train = space.encode(input.train, pickRows(input.train, size, rng));
  const holdout = space.encode(input.holdout, pickRows(input.holdout, size, rng));
  const synthetic = space.encode(
    input.synthetic,
    pickRows(input.synthetic, input.maxRows ?? DEFAULT_ATTACK_ROWS, rng),
  );
  return { space, train, holdout, synthetic };
};

/**
 * One column's Gower term in that encoding: the scaled difference capped at 1 for numbers and dates,
 * 0 or 1 for category codes, and a missing value 0 from a missing one and 1 from anything else.
 */
export const term = (a: number, b: number, _numeric?: boolean): number => Math.min(1, Math.abs(a - b));

export interface Neighbour {
  index: number;
  distance: number;
}

/**
 * The reference row nearest to query row `q` (summed Gower terms over the columns `mask` marks, all
 * when left out). Ties go to a uniformly drawn one of the tied rows when `rng` is given, else the
 * first: an attacker facing several equally good candidates has to guess.
 */
export const nearest = (
  query: Encoded,
  q: number,
  ref: Encoded,
  numeric: Uint8Array,
  options: { mask?: Uint8Array; rng?: Rng; skip?: number } = {},
): Neighbour => {
  const { mask, rng, skip } = options;
  const c = query.width;
  const qo = q * c;
  const qv = query.values;
  const rv = ref.values;
  // Float32 sums of the same terms can differ in the last bits; closer than this is a tie.
  const eps = 1e-5 * c;
  let best = Number.POSITIVE_INFINITY;
  let index = -1;
  let ties = 0;
  for (let r = 0; r < ref.rows; r++) {
    if (r === skip) continue;
    const ro = r * c;
    let d = 0;
    const bound = best + eps;
    for (let j = 0; j < c && d <= bound; j++) {
      if (mask !== undefined && mask[j] === 0) continue;
      d += term(qv[qo + j]!, rv[ro + j]!, numeric[j] === 1);
    }
    if (d < best - eps) {
      best = d;
      index = r;
      ties = 1;
    } else if (d <= bound) {
      ties++;
      if (rng !== undefined && rng.int(ties) === 0) index = r;
      if (d < best) best = d;
    }
  }
  return { index, distance: best };
};

/** Uniform sample of at most `n` row numbers of a table, ascending. */
export const pickRows = (table: Table, n: number, rng: Rng): number[] =>
  sampleIndices(table.rows.length, n, rng);

/** z of a two-sided interval at `level` split Bonferroni-wise over `parts` estimates. */
export const zFor = (level: number, parts = 1): number => normalInv(1 - (1 - level) / (2 * parts));

/**
 * Attack risk: how much better the attack does on train rows than on the control rows it never saw,
 * scaled to what was left to gain, (p_train - p_control) / (1 - p_control). 0 is no gain; 1 is every
 * train fact learned. The interval combines Wilson intervals of the two rates, each at 97.5% so that
 * both hold together at least 95% of the time.
 */
export const attackRisk = (
  trainHits: number,
  trainTries: number,
  controlHits: number,
  controlTries: number,
  parts = 1,
): { figure: number; interval: [number, number]; pTrain: number; pControl: number } => {
  const pTrain = trainTries > 0 ? trainHits / trainTries : 0;
  const pControl = controlTries > 0 ? controlHits / controlTries : 0;
  const z = zFor(0.95, 2 * parts);
  const [tLo, tHi] = wilson(trainHits, trainTries, z);
  const [cLo, cHi] = wilson(controlHits, controlTries, z);
  const scaled = (p: number, c: number): number => (c >= 1 ? (p >= 1 ? 0 : -1) : (p - c) / (1 - c));
  const clamp = (x: number): number => Math.max(-1, Math.min(1, x));
  return {
    figure: clamp(scaled(pTrain, pControl)),
    interval: [clamp(scaled(tLo, cHi)), clamp(scaled(tHi, cLo))],
    pTrain,
    pControl,
  };
};

/**
 * Fail only on evidence, the whole interval above the threshold; a figure above it whose interval
 * reaches below is too noisy to call; too few attempts decide nothing.
 */
export const riskVerdict = (
  figure: number,
  interval: readonly [number, number],
  threshold: number,
  enough: boolean,
): CheckVerdict => {
  if (interval[0] > threshold) return 'fail';
  if (!enough || figure > threshold) return 'inconclusive';
  return 'pass';
};

/** Canonical text of a cell for exact matching: trimmed, numbers as numbers ('1.50' equals '1.5'). */
export const canonical = (cell: Cell): string => {
  if (cell === null) return '\u0000';
  const text = cell.trim();
  if (text !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return String(Number(text));
  return text;
};

/** A row's exact-match key over the cells at `indices` (-1 reads as null). */
export const rowKey = (row: readonly Cell[], indices: readonly number[]): string =>
  indices.map((i) => canonical(i < 0 ? null : (row[i] ?? null))).join('\u0001');

/** A risk as a signed percentage with its interval, for report sentences. */
export const formatRisk = (figure: number, interval: readonly [number, number]): string =>
  `${(figure * 100).toFixed(1)}% (95% interval ${(interval[0] * 100).toFixed(1)} to ${(interval[1] * 100).toFixed(1)}%)`;
