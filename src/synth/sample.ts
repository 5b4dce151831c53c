/**
 * Samples one shard from a model artifact: a pure function of (model, seed, shard), so a redelivered
 * job rewrites the same rows.
 * Steps:
 *  1. factor the copula correlation once (Cholesky) and compile each column's inverse marginal;
 *  2. per row, draw correlated normals for the copula members; u = Φ(z) below the column's null
 *     rate is a null, otherwise the marginal is inverted at the rescaled u;
 *  3. other columns draw on their own: PII from a seeded faker, ids from (shard, row) so shards
 *     never collide, text as filler words of a seed-like length.
 */
import { en, en_US, Faker } from '@faker-js/faker';
import { createRng, deriveSeed, type Rng } from '../random.ts';
import type { Cell, Table } from '../table.ts';
import { dateFormatter, startOfDay } from './datetime.ts';
import type { Marginal, ModelArtifact } from './model.ts';
import { createPiiGenerator } from './pii.ts';
import { cholesky, interpolate, locate, normalCdf, repairCorrelation } from './stats.ts';

export interface SampleOptions {
  rows: number;
  seed: number;
  shard: number;
}

/** Row numbers of different shards are this far apart: the most rows one request may ask for. */
export const SHARD_STRIDE = 1_000_000;

type Numeric = Extract<Marginal, { type: 'numeric' }>;

/** Writes a number with fixed decimals, never in exponent form and never as '-0'. */
export const formatNumber = (x: number, decimals: number): string => {
  if (Math.abs(x) >= 1e21) return BigInt(Math.round(x)).toString();
  const text = x.toFixed(decimals);
  return text.startsWith('-') && Number(text) === 0 ? text.slice(1) : text;
};

/** The inverse CDF of a numeric marginal: point masses at their place among the continuous values. */
const numericInverse = (m: Numeric): ((v: number) => number) => {
  const masses = [...m.pointMasses].sort((a, b) => a.value - b.value);
  const massTotal = masses.reduce((a, p) => a + p.p, 0);
  const continuous = Math.max(0, 1 - massTotal);
  // Each mass starts where the continuous values below it and the masses before it end.
  const starts: number[] = [];
  let before = 0;
  for (const mass of masses) {
    starts.push(continuous * locate(m.quantiles, mass.value) + before);
    before += mass.p;
  }
  return (v) => {
    let massesBefore = 0;
    for (let k = 0; k < masses.length; k++) {
      const start = starts[k] as number;
      const mass = masses[k] as { value: number; p: number };
      if (v < start) break;
      if (v < start + mass.p) return mass.value;
      massesBefore += mass.p;
    }
    if (continuous <= 0) return masses[masses.length - 1]?.value ?? m.min;
    return interpolate(m.quantiles, Math.min(1, Math.max(0, (v - massesBefore) / continuous)));
  };
};

type Draw = (v: number, row: number) => string;

/** A drawer for a copula member: maps v in [0, 1) (the non-null part of the scale) to a cell. */
const memberDraw = (m: Marginal): Draw => {
  switch (m.type) {
    case 'numeric': {
      const inverse = numericInverse(m);
      const decimals = m.integer ? 0 : m.decimals;
      return (v) => {
        let x = Math.min(m.max, Math.max(m.min, inverse(v)));
        if (m.integer) x = Math.round(x);
        return formatNumber(x, decimals);
      };
    }
    case 'categorical': {
      const cumulative: number[] = [];
      let acc = 0;
      for (const p of m.probs) {
        acc += p;
        cumulative.push(acc);
      }
      const last = m.categories.length - 1;
      return (v) => {
        const target = v * acc;
        let lo = 0;
        let hi = last;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((cumulative[mid] as number) > target) hi = mid;
          else lo = mid + 1;
        }
        return m.categories[lo] as string;
      };
    }
    case 'boolean':
      return (v) => (v < 1 - m.pTrue ? m.labels[0] : m.labels[1]);
    case 'datetime': {
      const write = dateFormatter(m.format);
      const lo = m.quantiles[0] as number;
      const hi = m.quantiles[m.quantiles.length - 1] as number;
      return (v) => {
        const ms = interpolate(m.quantiles, v);
        // A date stays inside the seed's range of days.
        return write(
          m.dateOnly ? Math.min(Math.max(startOfDay(ms), startOfDay(lo)), startOfDay(hi)) : Math.round(ms),
        );
      };
    }
    default:
      throw new Error(`a ${m.type} column cannot be a copula member`);
  }
};

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

/** Filler words (lorem) cut to a length drawn from the seed's text lengths. */
const textDraw = (lengths: number[], rng: Rng): (() => string) => {
  loremWords ??= (new Faker({ locale: [en_US, en] }).rawDefinitions.lorem?.word as string[] | undefined) ?? [
    'lorem',
    'ipsum',
  ];
  const words = loremWords;
  return () => {
    const target = Math.max(0, Math.round(interpolate(lengths, rng.next())));
    let out = '';
    while (out.length < target) out += (out === '' ? '' : ' ') + (words[rng.int(words.length)] as string);
    return out.slice(0, target).trimEnd();
  };
};

/** Samples `rows` rows of shard `shard`; columns in model order. */
export const sampleShard = (model: ModelArtifact, options: SampleOptions): Table => {
  const { rows, seed, shard } = options;
  const rng = createRng(deriveSeed(seed, 'shard', shard));
  const columns = model.columns;
  const members = model.copula.members;
  const m = members.length;
  const factor =
    m === 0
      ? []
      : (cholesky(model.copula.correlation) ?? cholesky(repairCorrelation(model.copula.correlation)) ?? []);
  const memberOf = new Int32Array(columns.length).fill(-1);
  members.forEach((c, k) => {
    memberOf[c] = k;
  });
  const draws: Draw[] = columns.map((column, c) => {
    const mg = column.marginal;
    if (memberOf[c] !== -1) return memberDraw(mg);
    switch (mg.type) {
      case 'pii': {
        const next = createPiiGenerator(mg.semantic, deriveSeed(seed, 'shard', shard, 'pii', c), mg.format);
        return () => next();
      }
      case 'id': {
        const next = idDraw(mg.pattern, seed, shard, createRng(deriveSeed(seed, 'shard', shard, 'id', c)));
        return (_, row) => next(row);
      }
      case 'text': {
        const next = textDraw(mg.lengths, createRng(deriveSeed(seed, 'shard', shard, 'text', c)));
        return () => next();
      }
      default:
        // A marginal outside the copula still draws independently (e.g. a model with no members listed).
        return memberDraw(mg);
    }
  });
  const nullRates = columns.map((c) => c.nullRate);
  const e = new Float64Array(m);
  const u = new Float64Array(m);
  const out: Cell[][] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < m; k++) e[k] = rng.normal();
    for (let i = 0; i < m; i++) {
      const li = factor[i] as Float64Array;
      let z = 0;
      for (let k = 0; k <= i; k++) z += (li[k] as number) * (e[k] as number);
      u[i] = normalCdf(z);
    }
    const row: Cell[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const k = memberOf[c] as number;
      const nullRate = nullRates[c] as number;
      const p = k >= 0 ? (u[k] as number) : rng.next();
      if (p < nullRate) {
        row[c] = null;
        continue;
      }
      const v = nullRate < 1 ? Math.min((p - nullRate) / (1 - nullRate), 1 - 1e-12) : 0;
      row[c] = (draws[c] as Draw)(v, r);
    }
    out[r] = row;
  }
  return { columns: columns.map((c) => c.name), rows: out };
};
