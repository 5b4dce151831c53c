/**
 * Rows as Gower coordinates for the distance checks, on Float32Array (row-major, one float a column):
 * numeric and date columns scaled by the real data's range, categories as integer codes. With that
 * encoding one formula, min(1, |a - b|), is the Gower term of every column: a scaled difference capped
 * at 1, and 0 or 1 for two codes. A missing value is a sentinel far from any value, so two missing
 * values are 0 apart and a missing one is 1 from anything else.
 */
import type { ColumnKind } from '../contracts.ts';
import { type ColumnRole, categoryOf, numberOf } from '../quality/values.ts';
import type { Cell, Table } from '../table.ts';

export interface Compared {
  name: string;
  role: Exclude<ColumnRole, 'skip'>;
  /** The profiled kind (categorical when the profile does not know the column). */
  kind?: ColumnKind;
  /** The date format, for date columns. */
  format?: string;
}

export interface Encoded {
  /** rows × columns values; backed by a SharedArrayBuffer so worker threads read it without a copy. */
  values: Float32Array;
  rows: number;
  columns: number;
}

/** Missing: |MISSING - anything real| caps at 1, MISSING - MISSING is 0. */
const MISSING = 1e20;
/** Real values stay well inside the sentinel's distance (a synthetic value far outside the range caps at 1 anyway). */
const LIMIT = 1e6;

/** An encoder fitted on the real tables (their ranges, first codes); synthetic rows reuse it. */
export const gowerEncoder = (columns: Compared[], real: Table[]) => {
  const scales = columns.map((column) => {
    if (column.role === 'categorical') return { min: 0, scale: 1, codes: new Map<string, number>() };
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const table of real) {
      const i = table.columns.indexOf(column.name);
      if (i < 0) continue;
      for (const row of table.rows) {
        const v = numberOf(row[i] ?? null, column.role, column.format);
        if (Number.isNaN(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (min > max) return { min: 0, scale: 1, codes: undefined };
    // A constant real column: any difference at all is as far as a value can be.
    return { min, scale: max > min ? 1 / (max - min) : 1e6, codes: undefined };
  });
  const encodeRow = (cells: Cell[], out: Float32Array, offset: number): void => {
    for (let j = 0; j < columns.length; j++) {
      const column = columns[j]!;
      const s = scales[j]!;
      const cell = cells[j] ?? null;
      if (s.codes !== undefined) {
        const label = categoryOf(cell, column.kind ?? 'categorical');
        if (label === null) {
          out[offset + j] = MISSING;
          continue;
        }
        let code = s.codes.get(label);
        if (code === undefined) {
          code = s.codes.size;
          s.codes.set(label, code);
        }
        out[offset + j] = code;
      } else {
        const v = numberOf(cell, column.role as 'numeric' | 'date', column.format);
        out[offset + j] = Number.isNaN(v)
          ? MISSING
          : Math.min(Math.max((v - s.min) * s.scale, -LIMIT), LIMIT);
      }
    }
  };
  /** Rows whose cells are in `columns` order. */
  return (rows: Cell[][]): Encoded => {
    const width = columns.length;
    const values = new Float32Array(new SharedArrayBuffer(Math.max(1, rows.length * width) * 4));
    rows.forEach((cells, r) => {
      encodeRow(cells, values, r * width);
    });
    return { values, rows: rows.length, columns: width };
  };
};
