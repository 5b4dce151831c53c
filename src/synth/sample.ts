/**
 * Samples one shard from a model artifact: a pure function of (model, seed, shard), so a redelivered
 * job rewrites the same rows.
 * Steps:
 *  1. factor the copula correlation once (Cholesky) and compile each column into a writer: its
 *     inverse marginal as flat tables, its formatting rules;
 *  2. per block of rows, draw correlated normals for the copula members (Acklam on uniforms, then
 *     the Cholesky factor) and keep u = Φ(z) per member, column by column;
 *  3. each column's writer fills its cells of the block: u below the null rate is a null, otherwise
 *     the marginal is inverted at the rescaled u; other columns draw on their own: PII from a
 *     seeded faker, ids from (shard, row) so shards never collide, text as filler words of a
 *     seed-like length.
 * Column by column within a block keeps each inner loop on one kind of column (it was ~3x slower
 * cell by cell through a closure per column).
 */
import { en, en_US, Faker } from '@faker-js/faker';
import { BadInputError } from '../errors.ts';
import { createRng, deriveSeed, type Rng } from '../random.ts';
import type { Cell, Table } from '../table.ts';
import { compileConditions, meets } from './conditions.ts';
import { compileConstraints } from './constraints.ts';
import { dateFormatter, startOfDay } from './datetime.ts';
import type { Marginal, ModelArtifact, WordTable } from './model.ts';
import { createPiiGenerator } from './pii.ts';
import {
  cholesky,
  formatNumber,
  interpolate,
  locate,
  normalCdf,
  normalInv,
  POW10,
  repairCorrelation,
} from './stats.ts';

export interface SampleOptions {
  rows: number;
  seed: number;
  shard: number;
  /** Conditional sampling: only rows with these exact values (see conditions.ts). */
  where?: Record<string, string>;
}

/** Row numbers of different shards are this far apart: the most rows one request may ask for. */
export const SHARD_STRIDE = 1_000_000;

type Numeric = Extract<Marginal, { type: 'numeric' }>;

const DAY_MS = 86_400_000;

/** Fills one column's cells of a block of rows. */
interface Writer {
  /**
   * `u` holds the block's copula values of this column from `offset` (unused outside the copula);
   * rows[base + r][column] gets the cell of block row r, whose row number in the shard is start + r.
   */
  fill(
    u: Float64Array,
    offset: number,
    rows: Cell[][],
    base: number,
    start: number,
    count: number,
    column: number,
  ): void;
}

/** Where v in [0, 1) lands once the nulls (the bottom `nullRate` of u) are cut away. */
const rescaler = (nullRate: number): ((p: number) => number) => {
  if (!(nullRate < 1)) return () => 0;
  const scale = 1 / (1 - nullRate);
  return (p) => {
    const v = (p - nullRate) * scale;
    return Math.min(v, 1 - 1e-12);
  };
};

/** Numeric columns with at most this many possible written values keep each one's text. */
const TEXT_CACHE_MAX = 1 << 20;

/** The inverse CDF of a numeric marginal: point masses at their place among the continuous values. */
class NumericWriter implements Writer {
  private readonly quantiles: Float64Array;
  private readonly last: number;
  /** Sorted point masses: where each starts on the v scale, its share, its value. */
  private readonly starts: Float64Array;
  private readonly shares: Float64Array;
  private readonly values: Float64Array;
  private readonly continuous: number;
  private readonly fallback: number;
  private readonly rescale: (p: number) => number;
  /** Written values by rounded scaled value from the lowest (x·10^decimals − lowest). */
  private readonly texts: (string | undefined)[] | undefined;
  private readonly scale: number;
  private readonly lowest: number;

  constructor(
    private readonly m: Numeric,
    private readonly nullRate: number,
  ) {
    this.quantiles = Float64Array.from(m.quantiles);
    this.last = m.quantiles.length - 1;
    const masses = [...m.pointMasses].sort((a, b) => a.value - b.value);
    const massTotal = masses.reduce((a, p) => a + p.p, 0);
    this.continuous = Math.max(0, 1 - massTotal);
    // Each mass starts where the continuous values below it and the masses before it end.
    this.starts = new Float64Array(masses.length);
    let before = 0;
    masses.forEach((mass, k) => {
      this.starts[k] = this.continuous * locate(m.quantiles, mass.value) + before;
      before += mass.p;
    });
    this.shares = Float64Array.from(masses, (p) => p.p);
    this.values = Float64Array.from(masses, (p) => p.value);
    this.fallback = masses[masses.length - 1]?.value ?? m.min;
    this.rescale = rescaler(nullRate);
    const decimals = m.integer ? 0 : m.decimals;
    this.scale = POW10[decimals] ?? Number.POSITIVE_INFINITY;
    const keyOf = (x: number): number => (x < 0 ? -Math.round(-x * this.scale) : Math.round(x * this.scale));
    this.lowest = keyOf(m.min);
    const span = keyOf(m.max) - this.lowest + 1;
    // Repeated values share one string (fewer allocations, less GC), when the values are few.
    const cacheable =
      Math.max(Math.abs(m.min), Math.abs(m.max)) * this.scale < 9e15 && span <= TEXT_CACHE_MAX;
    this.texts = cacheable ? new Array(span) : undefined;
  }

  value(v: number): number {
    let massesBefore = 0;
    const starts = this.starts;
    for (let k = 0; k < starts.length; k++) {
      const start = starts[k] as number;
      if (v < start) break;
      const share = this.shares[k] as number;
      if (v < start + share) return this.values[k] as number;
      massesBefore += share;
    }
    if (this.continuous <= 0) return this.fallback;
    let w = (v - massesBefore) / this.continuous;
    w = w < 0 ? 0 : Math.min(w, 1);
    const pos = w * this.last;
    const i = Math.floor(pos);
    if (i >= this.last) return this.quantiles[this.last] as number;
    const a = this.quantiles[i] as number;
    return a + (pos - i) * ((this.quantiles[i + 1] as number) - a);
  }

  fill(
    u: Float64Array,
    offset: number,
    rows: Cell[][],
    base: number,
    _start: number,
    count: number,
    column: number,
  ): void {
    const { m, nullRate, rescale, texts, scale, lowest } = this;
    const decimals = m.integer ? 0 : m.decimals;
    for (let r = 0; r < count; r++) {
      const p = u[offset + r] as number;
      const row = rows[base + r] as Cell[];
      if (p < nullRate) {
        row[column] = null;
        continue;
      }
      let x = this.value(rescale(p));
      x = x < m.min ? m.min : Math.min(x, m.max);
      if (m.integer) x = Math.round(x);
      if (texts === undefined) {
        row[column] = formatNumber(x, decimals);
        continue;
      }
      // The text depends only on the rounded scaled value (sign apart), so it is written once.
      const key = (x < 0 ? -Math.round(-x * scale) : Math.round(x * scale)) - lowest;
      let text = texts[key];
      if (text === undefined) {
        text = formatNumber(x, decimals);
        texts[key] = text;
      }
      row[column] = text;
    }
  }
}

type Categorical = Extract<Marginal, { type: 'categorical' }>;

class CategoricalWriter implements Writer {
  private readonly cumulative: Float64Array;
  private readonly total: number;
  private readonly rescale: (p: number) => number;

  constructor(
    private readonly m: Categorical,
    private readonly nullRate: number,
  ) {
    this.cumulative = new Float64Array(m.probs.length);
    let acc = 0;
    m.probs.forEach((p, i) => {
      acc += p;
      this.cumulative[i] = acc;
    });
    this.total = acc;
    this.rescale = rescaler(nullRate);
  }

  fill(
    u: Float64Array,
    offset: number,
    rows: Cell[][],
    base: number,
    _start: number,
    count: number,
    column: number,
  ): void {
    const { cumulative, nullRate, rescale, total } = this;
    const categories = this.m.categories;
    const last = categories.length - 1;
    for (let r = 0; r < count; r++) {
      const p = u[offset + r] as number;
      const row = rows[base + r] as Cell[];
      if (p < nullRate) {
        row[column] = null;
        continue;
      }
      const target = rescale(p) * total;
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((cumulative[mid] as number) > target) hi = mid;
        else lo = mid + 1;
      }
      row[column] = categories[lo] as string;
    }
  }
}

type BooleanMarginal = Extract<Marginal, { type: 'boolean' }>;

class BooleanWriter implements Writer {
  constructor(
    private readonly m: BooleanMarginal,
    private readonly nullRate: number,
  ) {}

  fill(
    u: Float64Array,
    offset: number,
    rows: Cell[][],
    base: number,
    _start: number,
    count: number,
    column: number,
  ): void {
    const { nullRate } = this;
    const [no, yes] = this.m.labels;
    // v < 1 − pTrue on the rescaled scale, i.e. p below this cut on u.
    const cut = nullRate + (1 - nullRate) * (1 - this.m.pTrue);
    for (let r = 0; r < count; r++) {
      const p = u[offset + r] as number;
      (rows[base + r] as Cell[])[column] = p < nullRate ? null : p < cut ? no : yes;
    }
  }
}

type Datetime = Extract<Marginal, { type: 'datetime' }>;
/** Dates-only columns spanning more days than this are written without a per-day cache. */
const DAY_CACHE_MAX = 200_000;

class DatetimeWriter implements Writer {
  private readonly quantiles: Float64Array;
  private readonly write: (ms: number) => string;
  private readonly firstDay: number;
  private readonly lastDay: number;
  /** Written days of a date-only column, by day from the first (a date is written once per shard). */
  private readonly days: (string | undefined)[] | undefined;
  private readonly rescale: (p: number) => number;

  constructor(
    private readonly m: Datetime,
    private readonly nullRate: number,
  ) {
    this.quantiles = Float64Array.from(m.quantiles);
    this.write = dateFormatter(m.format);
    this.firstDay = Math.floor(startOfDay(m.quantiles[0] as number) / DAY_MS);
    this.lastDay = Math.floor(startOfDay(m.quantiles[m.quantiles.length - 1] as number) / DAY_MS);
    const span = this.lastDay - this.firstDay + 1;
    this.days = m.dateOnly && span <= DAY_CACHE_MAX ? new Array(span) : undefined;
    this.rescale = rescaler(nullRate);
  }

  fill(
    u: Float64Array,
    offset: number,
    rows: Cell[][],
    base: number,
    _start: number,
    count: number,
    column: number,
  ): void {
    const { nullRate, rescale, quantiles, write, days, firstDay, lastDay } = this;
    const dateOnly = this.m.dateOnly;
    for (let r = 0; r < count; r++) {
      const p = u[offset + r] as number;
      const row = rows[base + r] as Cell[];
      if (p < nullRate) {
        row[column] = null;
        continue;
      }
      const ms = interpolate(quantiles, rescale(p));
      if (!dateOnly) {
        row[column] = write(Math.round(ms));
        continue;
      }
      // A date stays inside the seed's range of days.
      let day = Math.floor(ms / DAY_MS);
      day = day < firstDay ? firstDay : Math.min(day, lastDay);
      if (days === undefined) row[column] = write(day * DAY_MS);
      else {
        let text = days[day - firstDay];
        if (text === undefined) {
          text = write(day * DAY_MS);
          days[day - firstDay] = text;
        }
        row[column] = text;
      }
    }
  }
}

/** A writer for a marginal on the copula scale (or drawn alone from uniforms). */
const memberWriter = (m: Marginal, nullRate: number): Writer => {
  switch (m.type) {
    case 'numeric':
      return new NumericWriter(m, nullRate);
    case 'categorical':
      return new CategoricalWriter(m, nullRate);
    case 'boolean':
      return new BooleanWriter(m, nullRate);
    case 'datetime':
      return new DatetimeWriter(m, nullRate);
    default:
      throw new Error(`a ${m.type} column cannot be a copula member`);
  }
};

/** A writer for a column drawn cell by cell, outside the copula: nulls by its own uniform draws. */
const standaloneWriter = (nullRate: number, rng: Rng, draw: (row: number) => string): Writer => ({
  fill(_u, _offset, rows, base, start, count, column) {
    for (let r = 0; r < count; r++) {
      (rows[base + r] as Cell[])[column] = rng.next() < nullRate ? null : draw(start + r);
    }
  },
});

const HEX = '0123456789abcdef';

const uuidFrom = (rng: Rng): string => {
  let out = '';
  for (let i = 0; i < 32; i++) {
    let d = rng.int(16);
    if (i === 12) d = 4;
    else if (i === 16) d = 8 + (d & 3);
    out += HEX[d];
    if (i === 7 || i === 11 || i === 15 || i === 19) out += '-';
  }
  return out;
};

type Slot = { literal: string } | { kind: '#' | 'A' | 'a' | 'X' | 'x' } | { number: number };

const parsePattern = (pattern: string): Slot[] => {
  const slots: Slot[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length) slots.push({ literal: pattern[++i] as string });
    else if (ch === '#' || ch === 'A' || ch === 'a' || ch === 'X' || ch === 'x') slots.push({ kind: ch });
    else slots.push({ literal: ch });
  }
  // The last run of '#' becomes one number slot as wide as the run.
  let end = -1;
  for (let i = slots.length - 1; i >= 0; i--) {
    const s = slots[i] as Slot;
    if ('kind' in s && s.kind === '#') {
      end = i;
      break;
    }
  }
  if (end < 0) return slots;
  let start = end;
  while (start > 0) {
    const s = slots[start - 1] as Slot;
    if (!('kind' in s && s.kind === '#')) break;
    start--;
  }
  return [...slots.slice(0, start), { number: end - start + 1 }, ...slots.slice(end + 1)];
};

/**
 * A seeded bijection of [0, SHARD_STRIDE): a 4-round Feistel network on two base-1000 halves, so
 * ids of consecutive rows look unrelated while staying unique.
 */
const rowPermutation = (runSeed: number): ((row: number) => number) => {
  const keys = [0, 1, 2, 3].map((round) => deriveSeed(runSeed, 'id-permutation', round));
  return (row) => {
    let left = Math.floor(row / 1000) % 1000;
    let right = row % 1000;
    for (const key of keys) {
      let h = Math.imul(right ^ key, 0x9e3779b1);
      h ^= h >>> 15;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      const next = (left + ((h >>> 0) % 1000)) % 1000;
      left = right;
      right = next;
    }
    return left * 1000 + right;
  };
};

/**
 * Ids unique within a run and never a seed id: the number slot holds 10^width + shard × stride +
 * a seeded permutation of the row, so it is one digit wider than any seed id of the pattern's shape.
 */
const idDraw = (pattern: string, runSeed: number, shard: number, rng: Rng): ((row: number) => string) => {
  if (pattern === 'uuid') return () => uuidFrom(rng);
  const permute = rowPermutation(runSeed);
  const index = (row: number): number => shard * SHARD_STRIDE + permute(row);
  if (pattern === 'integer') return (row) => String(1 + index(row));
  const slots = parsePattern(pattern);
  const hasNumber = slots.some((s) => 'number' in s);
  const numberText = (width: number, n: number): string =>
    width >= 15 ? `1${String(n).padStart(width, '0')}` : String(10 ** width + n);
  return (row) => {
    let out = '';
    // Without a number slot the row index fills the trailing placeholders (mixed radix), enough
    // of them to hold any index (2^40), zeros included; the rest are random.
    let rest = hasNumber ? 0 : index(row);
    let capacity = hasNumber ? Number.POSITIVE_INFINITY : 1;
    const chars: string[] = new Array(slots.length);
    for (let i = slots.length - 1; i >= 0; i--) {
      const s = slots[i] as Slot;
      if ('literal' in s) chars[i] = s.literal;
      else if ('number' in s) chars[i] = numberText(s.number, index(row));
      else {
        const radix = s.kind === '#' ? 10 : s.kind === 'X' || s.kind === 'x' ? 16 : 26;
        const encode = capacity < 2 ** 40;
        const d = encode ? rest % radix : rng.int(radix);
        if (encode) {
          rest = Math.floor(rest / radix);
          capacity *= radix;
        }
        if (s.kind === '#') chars[i] = String(d);
        else if (s.kind === 'A') chars[i] = String.fromCharCode(65 + d);
        else if (s.kind === 'a') chars[i] = String.fromCharCode(97 + d);
        else if (s.kind === 'X') chars[i] = (HEX[d] as string).toUpperCase();
        else chars[i] = HEX[d] as string;
      }
    }
    for (const c of chars) out += c;
    return out;
  };
};

let loremWords: string[] | undefined;

/**
 * Draws a word of a table in proportion to the rows it appears in (cumulative counts, binary
 * search); never `avoid` where the table has another word (its neighbour in the table instead).
 */
const wordDraw = (table: WordTable, rng: Rng): ((avoid?: string) => string) => {
  const cumulative = new Float64Array(table.rows.length);
  let total = 0;
  table.rows.forEach((n, i) => {
    total += n;
    cumulative[i] = total;
  });
  const n = table.words.length;
  return (avoid) => {
    const x = rng.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    const word = table.words[lo]!;
    return word === avoid && n > 1 ? table.words[(lo + 1) % n]! : word;
  };
};

/**
 * Text of a length drawn from the seed's text lengths: the seed's common words, each drawn on its
 * own by how many rows have it (the first word from the words that start a text), whole words
 * while the length allows; filler words (lorem), cut to the length, where the model kept none.
 */
const textDraw = (marginal: Extract<Marginal, { type: 'text' }>, rng: Rng): (() => string) => {
  const { lengths, words } = marginal;
  if (words !== undefined) {
    const first = wordDraw(words.first, rng);
    const rest = wordDraw(words.rest, rng);
    return () => {
      const target = Math.max(0, Math.round(interpolate(lengths, rng.next())));
      if (target === 0) return '';
      let out = first();
      let last = out;
      for (;;) {
        // A word straight after itself ('the the') reads as a stutter.
        const word = rest(last);
        last = word;
        // A word that would overshoot by more than half of itself ends the text instead.
        if (out.length + 1 + word.length / 2 > target) return out;
        out += ` ${word}`;
      }
    };
  }
  loremWords ??= (new Faker({ locale: [en_US, en] }).rawDefinitions.lorem?.word as string[] | undefined) ?? [
    'lorem',
    'ipsum',
  ];
  const filler = loremWords;
  return () => {
    const target = Math.max(0, Math.round(interpolate(lengths, rng.next())));
    let out = '';
    while (out.length < target) out += (out === '' ? '' : ' ') + (filler[rng.int(filler.length)] as string);
    return out.slice(0, target).trimEnd();
  };
};

/** Rows drawn per block: the block's copula values (block × members) stay in cache. */
const BLOCK = 512;

/** Samples `rows` rows of shard `shard`; columns in model order. */
export const sampleShard = (model: ModelArtifact, options: SampleOptions): Table => {
  const { rows, seed, shard } = options;
  const rng = createRng(deriveSeed(seed, 'shard', shard));
  const columns = model.columns;
  const members = model.copula.members;
  const m = members.length;
  const factorRows =
    m === 0
      ? []
      : (cholesky(model.copula.correlation) ?? cholesky(repairCorrelation(model.copula.correlation)) ?? []);
  // Row-major lower factor; identity where it could not be factored.
  const factor = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const li = factorRows[i];
    for (let k = 0; k <= i; k++) factor[i * m + k] = li === undefined ? (i === k ? 1 : 0) : (li[k] as number);
  }
  const memberOf = new Int32Array(columns.length).fill(-1);
  members.forEach((c, k) => {
    memberOf[c] = k;
  });
  const writers: Writer[] = columns.map((column, c) => {
    const mg = column.marginal;
    if (memberOf[c] !== -1) return memberWriter(mg, column.nullRate);
    const own = createRng(deriveSeed(seed, 'shard', shard, 'nulls', c));
    switch (mg.type) {
      case 'pii': {
        const next = createPiiGenerator(
          mg.semantic,
          deriveSeed(seed, 'shard', shard, 'pii', c),
          mg.format,
          mg.locale,
        );
        if (mg.distinctShare === undefined) return standaloneWriter(column.nullRate, own, () => next());
        // Repeating identities: a pool of fake values about as many as the seed's distinct share
        // of these rows, each drawn once; cells pick from it, so a fake customer recurs as real ones did.
        const pool = Array.from({ length: Math.max(1, Math.round(mg.distinctShare * rows)) }, () => next());
        const pickRng = createRng(deriveSeed(seed, 'shard', shard, 'pool', c));
        return standaloneWriter(column.nullRate, own, () => pool[pickRng.int(pool.length)] as string);
      }
      case 'id': {
        const next = idDraw(mg.pattern, seed, shard, createRng(deriveSeed(seed, 'shard', shard, 'id', c)));
        return standaloneWriter(column.nullRate, own, next);
      }
      case 'text': {
        const next = textDraw(mg, createRng(deriveSeed(seed, 'shard', shard, 'text', c)));
        return standaloneWriter(column.nullRate, own, () => next());
      }
      default: {
        // A marginal outside the copula still draws independently (e.g. a model with no members listed).
        const writer = memberWriter(mg, column.nullRate);
        const u = new Float64Array(BLOCK);
        return {
          fill(_u, _offset, rowsOut, base, start, count, at) {
            for (let r = 0; r < count; r++) u[r] = own.next();
            writer.fill(u, 0, rowsOut, base, start, count, at);
          },
        };
      }
    }
  });
  const width = columns.length;
  const conditions = compileConditions(model, options.where);
  const enforce = compileConstraints(model);
  const free = conditions.length === 0;
  // Unconditioned rows are written straight into the output; conditioned ones into a scratch block
  // first, and kept when they meet the conditions.
  const out: Cell[][] = free ? new Array(rows) : [];
  const scratch: Cell[][] = free ? [] : new Array(BLOCK);
  let kept = 0;
  const e = new Float64Array(m);
  // The block's copula values, member by member: u[k * BLOCK + r].
  const u = new Float64Array(Math.max(1, m) * BLOCK);
  // Row numbers (ids derive from them) stay below the shard stride, so shards never collide.
  for (let start = 0; kept < rows; start += BLOCK) {
    if (start >= SHARD_STRIDE) {
      throw new BadInputError(
        `conditions ${Object.entries(options.where ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')} are too rare: ${kept} of ${rows} rows met them in ${start} draws`,
      );
    }
    const count = free ? Math.min(BLOCK, rows - start) : BLOCK;
    const target = free ? out : scratch;
    const base = free ? start : 0;
    for (let r = 0; r < count; r++) {
      // Standard normals from uniforms by the inverse CDF; the half step keeps u off 0.
      for (let k = 0; k < m; k++) e[k] = normalInv(rng.next() + 1.1641532182693481e-10);
      for (let i = 0; i < m; i++) {
        let z = 0;
        const at = i * m;
        for (let k = 0; k <= i; k++) z += (factor[at + k] as number) * (e[k] as number);
        u[i * BLOCK + r] = normalCdf(z);
      }
      target[base + r] = new Array<Cell>(width);
    }
    for (let c = 0; c < width; c++) {
      const k = memberOf[c] as number;
      (writers[c] as Writer).fill(u, k >= 0 ? k * BLOCK : 0, target, base, start, count, c);
    }
    enforce?.(target, base, count);
    if (free) kept += count;
    else {
      for (let r = 0; r < count && kept < rows; r++) {
        const row = scratch[r] as Cell[];
        if (meets(row, conditions)) {
          out.push(row);
          kept++;
        }
      }
    }
  }
  return { columns: columns.map((c) => c.name), rows: out };
};
