/**
 * Constraints: relations found in every train row, enforced on every sampled row.
 * - order: lo ≤ hi for two numeric columns written alike (both integers, or both with the same
 *   decimals), or two date columns of one format (start ≤ end), when
 *   their ranges overlap (otherwise the relation is trivially true and never needs enforcing);
 * - fixed: one categorical column's value fixes another's (city → state), when the determinant has
 *   more categories than the dependent;
 * - sum: one numeric column is two or three others added (total = subtotal + tax + shipping), the
 *   total then computed.
 * Ranges and non-negativity need no entry: numeric marginals never leave the seed's [min, max].
 */
import type { Profile } from '../contracts.ts';
import type { Cell, Table } from '../table.ts';
import { dateParser } from './datetime.ts';
import type { Constraint, ModelArtifact, ModelColumn } from './model.ts';
import { formatNumber } from './stats.ts';

/** Fewer rows with both values than this say nothing about a relation. */
const MIN_SUPPORT = 30;

type Reader = (cell: string) => number | null;

const readerFor = (column: ModelColumn): { group: string; read: Reader } | undefined => {
  const m = column.marginal;
  if (m.type === 'numeric') {
    return {
      // Only columns written alike are compared: a swap must not put '0.00' in an integer column.
      group: `number:${m.integer ? 0 : m.decimals}`,
      read: (cell) => {
        const x = Number(cell);
        return cell.trim() === '' || !Number.isFinite(x) ? null : x;
      },
    };
  }
  if (m.type === 'datetime') return { group: `date:${m.format}`, read: dateParser(m.format) };
  return undefined;
};

/**
 * Whether dates written in this format sort as text: fixed-width fields from the year down
 * (YYYY MM DD HH mm ss SSS) with separators only. Then an order is checked without parsing.
 */
const sortsAsText = (format: string): boolean => {
  const tokens = format.match(/YYYY|MM|DD|HH|mm|ss|SSS|[A-Za-z]+/g) ?? [];
  const order = ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss', 'SSS'];
  return tokens.every((t, i) => t === order[i]) && !/Z/.test(format.replace(/\[[^\]]*\]/g, ''));
};

/** a > b for two cells of the column: text comparison where the format allows, else parsed. */
const greaterThan = (column: ModelColumn, read: Reader): ((a: string, b: string) => boolean) => {
  const m = column.marginal;
  if (m.type === 'datetime' && sortsAsText(m.format)) return (a, b) => a > b;
  return (a, b) => {
    const x = read(a);
    const y = read(b);
    return x !== null && y !== null && x > y;
  };
};

const columnValues = (train: Table, name: string, read: Reader): (number | null)[] => {
  const at = train.columns.indexOf(name);
  return train.rows.map((row) => {
    const cell = row[at];
    return cell == null ? null : read(cell);
  });
};

const detectOrders = (model: ModelArtifact, train: Table): Constraint[] => {
  const candidates = model.columns
    .map((column) => ({ column, reader: readerFor(column) }))
    .filter(
      (c): c is { column: ModelColumn; reader: { group: string; read: Reader } } => c.reader !== undefined,
    )
    .filter((c) => train.columns.includes(c.column.name))
    .map((c) => ({ ...c, values: columnValues(train, c.column.name, c.reader.read) }));
  const found: Constraint[] = [];
  for (const a of candidates) {
    for (const b of candidates) {
      if (a === b || a.reader.group !== b.reader.group) continue;
      let support = 0;
      let strict = 0;
      let holds = true;
      let maxA = Number.NEGATIVE_INFINITY;
      let minB = Number.POSITIVE_INFINITY;
      for (let r = 0; r < a.values.length && holds; r++) {
        const x = a.values[r];
        const y = b.values[r];
        if (x == null || y == null) continue;
        support++;
        if (x > y) holds = false;
        else if (x < y) strict++;
        if (x > maxA) maxA = x;
        if (y < minB) minB = y;
      }
      // Overlapping ranges: without the constraint, independent draws would break it.
      if (holds && support >= MIN_SUPPORT && strict > 0 && minB < maxA) {
        found.push({ type: 'order', lo: a.column.name, hi: b.column.name });
      }
    }
  }
  return found;
};

const detectFixed = (model: ModelArtifact, train: Table): Constraint[] => {
  const categorical = model.columns.filter(
    (c) =>
      (c.marginal.type === 'categorical' || c.marginal.type === 'boolean') && train.columns.includes(c.name),
  );
  const emitted = (column: ModelColumn): Set<string> => {
    const m = column.marginal;
    if (m.type === 'categorical') return new Set(m.categories);
    if (m.type === 'boolean') return new Set(m.labels);
    return new Set();
  };
  const found: Constraint[] = [];
  for (const a of categorical) {
    const aAt = train.columns.indexOf(a.name);
    const aKnown = emitted(a);
    for (const b of categorical) {
      if (a === b) continue;
      const bKnown = emitted(b);
      if (aKnown.size <= bKnown.size || bKnown.size < 2) continue;
      const bAt = train.columns.indexOf(b.name);
      const map = new Map<string, string>();
      let support = 0;
      let holds = true;
      for (const row of train.rows) {
        const x = row[aAt];
        const y = row[bAt];
        if (x == null || y == null) continue;
        support++;
        const seen = map.get(x);
        if (seen === undefined) map.set(x, y);
        else if (seen !== y) {
          holds = false;
          break;
        }
      }
      if (!holds || support < MIN_SUPPORT) continue;
      // Only pairs the model may emit: a rare seed category never enters the artifact this way.
      const entries = [...map]
        .filter(([x, y]) => aKnown.has(x) && bKnown.has(y))
        .sort(([x], [y]) => (x < y ? -1 : 1));
      if (entries.length < 2) continue;
      found.push({ type: 'fixed', determinant: a.name, dependent: b.name, map: Object.fromEntries(entries) });
    }
  }
  return found;
};

/** Most numeric columns searched for sums. */
const SUM_COLUMNS_MAX = 64;

/** A numeric column for the sum search: its values (NaN where missing) and its decimals. */
export interface NumberSeries {
  name: string;
  decimals: number;
  values: Float64Array;
}

/** Most numeric columns searched for sums of three parts (n⁴ / 6 quadruples). */
const SUM3_COLUMNS_MAX = 24;

/**
 * Whether `total` is the sum of the `parts` in every row that has them all (to the total's
 * decimals), in MIN_SUPPORT rows or more, each part non-zero somewhere (else the total merely
 * copies fewer columns).
 */
const adds = (total: NumberSeries, parts: readonly NumberSeries[]): boolean => {
  const tolerance = 0.5 * 10 ** -total.decimals;
  const nonZero = parts.map(() => false);
  let support = 0;
  for (let r = 0; r < total.values.length; r++) {
    const z = total.values[r]!;
    if (Number.isNaN(z)) continue;
    let sum = 0;
    let complete = true;
    for (const part of parts) {
      const x = part.values[r]!;
      if (Number.isNaN(x)) {
        complete = false;
        break;
      }
      sum += x;
    }
    if (!complete) continue;
    if (Math.abs(sum - z) > tolerance * (1 + 1e-9) + 1e-9 * Math.abs(z)) return false;
    support++;
    parts.forEach((part, k) => {
      if (part.values[r] !== 0) nonZero[k] = true;
    });
  }
  return support >= MIN_SUPPORT && nonZero.every(Boolean);
};

/**
 * Sums: one numeric column equal to two others added (or three, in tables of up to 24 numeric
 * columns: subtotal + tax + shipping), as [total, ...parts] indices into `series`; two parts are
 * tried first. A column is the total of one sum at most and never also a part, so computing
 * totals needs no order. The canaries (privacy/canaries.ts) keep to the same sums, so planting
 * them never costs the model one.
 */
export const findSums = (series: readonly NumberSeries[]): number[][] => {
  const found: number[][] = [];
  // Every (total, part, part) triple is tried: a table this wide is not searched (n³ / 2 triples).
  if (series.length > SUM_COLUMNS_MAX) return found;
  // A column without a non-zero value adds to anything: it is no part, and no total, of a sum.
  const used = new Set(
    series.flatMap((s, k) => (s.values.some((x) => x !== 0 && !Number.isNaN(x)) ? [] : [k])),
  );
  const free = (...at: number[]) => at.every((k) => !used.has(k));
  for (let t = 0; t < series.length; t++) {
    if (used.has(t)) continue;
    const total = series[t]!;
    let parts: number[] | undefined;
    for (let i = 0; i < series.length && parts === undefined; i++) {
      for (let j = i + 1; j < series.length && parts === undefined; j++) {
        if (i === t || j === t || !free(i, j)) continue;
        if (adds(total, [series[i]!, series[j]!])) parts = [i, j];
      }
    }
    for (let i = 0; i < series.length && parts === undefined && series.length <= SUM3_COLUMNS_MAX; i++) {
      for (let j = i + 1; j < series.length && parts === undefined; j++) {
        for (let k = j + 1; k < series.length && parts === undefined; k++) {
          if (i === t || j === t || k === t || !free(i, j, k)) continue;
          if (adds(total, [series[i]!, series[j]!, series[k]!])) parts = [i, j, k];
        }
      }
    }
    if (parts === undefined) continue;
    found.push([t, ...parts]);
    for (const k of [t, ...parts]) used.add(k);
  }
  return found;
};

const detectSums = (model: ModelArtifact, train: Table): Constraint[] => {
  const series = model.columns
    .filter((c) => c.marginal.type === 'numeric' && train.columns.includes(c.name))
    .map((column): NumberSeries => {
      const m = column.marginal;
      const at = train.columns.indexOf(column.name);
      const values = Float64Array.from(train.rows, (row) => {
        const cell = row[at];
        const x = cell == null || cell.trim() === '' ? Number.NaN : Number(cell);
        return Number.isFinite(x) ? x : Number.NaN;
      });
      return { name: column.name, decimals: m.type === 'numeric' && !m.integer ? m.decimals : 0, values };
    });
  return findSums(series).map(([t, ...parts]) => ({
    type: 'sum',
    total: series[t!]!.name,
    parts: parts.map((k) => series[k]!.name),
  }));
};

/**
 * The constraints that held in every row of the train sample. An order with a sum's total is
 * implied by the sum (its parts keep to their seed ranges, so a part never passes the total where
 * it did not in the seed), and left out: swapping values there would only reshuffle the parts.
 */
export const detectConstraints = (model: ModelArtifact, train: Table, _profile?: Profile): Constraint[] => {
  const sums = detectSums(model, train);
  const totals = new Set(sums.flatMap((c) => (c.type === 'sum' ? [c.total] : [])));
  const orders = detectOrders(model, train).filter(
    (c) => c.type !== 'order' || (!totals.has(c.lo) && !totals.has(c.hi)),
  );
  return [...orders, ...sums, ...detectFixed(model, train)];
};

/** A constraint in words, naming columns only (a fixed map's categories stay in the model). */
export const describeConstraint = (c: Constraint): string =>
  c.type === 'order'
    ? `${c.lo} ≤ ${c.hi}`
    : c.type === 'sum'
      ? `${c.total} = ${c.parts.join(' + ')}`
      : `${c.determinant} determines ${c.dependent}`;

type Enforce = (rows: Cell[][], from: number, count: number) => void;

/**
 * Compiles the model's constraints into one function that enforces them on sampled rows (model
 * column order), in place: an order broken by independent draws is mended by swapping the two values
 * (each keeps its own marginal's values); a fixed dependent takes the value its determinant implies.
 * Passes repeat so chains (a ≤ b ≤ c) settle. Compile once per shard; call per block.
 */
export const compileConstraints = (model: ModelArtifact): Enforce | undefined => {
  if (model.constraints.length === 0) return undefined;
  const names = model.columns.map((c) => c.name);
  const at = (name: string): number => names.indexOf(name);
  const orders: { lo: number; hi: number; greater: (a: string, b: string) => boolean }[] = [];
  const fixed: { from: number; to: number; map: Map<string, string> }[] = [];
  const sums: { total: number; parts: number[]; decimals: number }[] = [];
  for (const c of model.constraints) {
    if (c.type === 'order') {
      const column = model.columns.find((m) => m.name === c.lo);
      const reader = column === undefined ? undefined : readerFor(column);
      if (column === undefined || reader === undefined || at(c.lo) < 0 || at(c.hi) < 0) continue;
      orders.push({ lo: at(c.lo), hi: at(c.hi), greater: greaterThan(column, reader.read) });
    } else if (c.type === 'sum') {
      const m = model.columns[at(c.total)]?.marginal;
      const parts = c.parts.map(at);
      if (m?.type !== 'numeric' || parts.some((k) => k < 0)) continue;
      sums.push({ total: at(c.total), parts, decimals: m.integer ? 0 : m.decimals });
    } else if (at(c.determinant) >= 0 && at(c.dependent) >= 0) {
      fixed.push({ from: at(c.determinant), to: at(c.dependent), map: new Map(Object.entries(c.map)) });
    }
  }
  const passes = Math.max(1, orders.length);
  return (rows, from, count) => {
    for (let i = from; i < from + count; i++) {
      const row = rows[i] as Cell[];
      for (const f of fixed) {
        const key = row[f.from];
        const implied = key == null ? undefined : f.map.get(key);
        if (implied !== undefined && row[f.to] != null) row[f.to] = implied;
      }
      for (let pass = 0; pass < passes; pass++) {
        let swapped = false;
        for (const o of orders) {
          const a = row[o.lo];
          const b = row[o.hi];
          if (a == null || b == null || !o.greater(a, b)) continue;
          row[o.lo] = b;
          row[o.hi] = a;
          swapped = true;
        }
        if (!swapped) break;
      }
      // A total is computed from its parts, where the row has them all (null rates stay the model's).
      for (const sum of sums) {
        if (row[sum.total] == null) continue;
        let x = 0;
        for (const k of sum.parts) {
          const part = row[k];
          x = part == null ? Number.NaN : x + Number(part);
        }
        if (Number.isFinite(x)) row[sum.total] = formatNumber(x, sum.decimals);
      }
    }
  };
};
