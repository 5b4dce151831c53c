/**
 * How the gate and the fidelity scores read a cell: which columns take part, and what number or
 * category a text cell stands for. Shared so both judge a column the same way.
 */
import type { ColumnProfile } from '../contracts.ts';
import type { Cell } from '../table.ts';

/** numeric and date compare by distance, categorical by equality; skip columns are never compared. */
export type ColumnRole = 'numeric' | 'date' | 'categorical' | 'skip';

/** Why a column takes no part, or null when it does. PII and keys carry no distribution worth scoring. */
export const skipReason = (column: Pick<ColumnProfile, 'kind' | 'semantic'>): string | null => {
  if (column.semantic !== undefined)
    return `personal data (${column.semantic.type}), regenerated not modelled`;
  if (column.kind === 'id') return 'identifier column, unique by design';
  if (column.kind === 'text') return 'free text, not compared';
  return null;
};

export const columnRole = (column: Pick<ColumnProfile, 'kind' | 'semantic'>): ColumnRole => {
  if (skipReason(column) !== null) return 'skip';
  switch (column.kind) {
    case 'integer':
    case 'float':
      return 'numeric';
    case 'date':
    case 'datetime':
      return 'date';
    default:
      return 'categorical';
  }
};

const thousands = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;

/** A finite number, or NaN for null and for text that is not a number ('1,234.5' reads as 1234.5). */
export const parseNumber = (cell: Cell): number => {
  if (cell === null) return Number.NaN;
  let text = cell.trim();
  if (text === '') return Number.NaN;
  if (thousands.test(text)) text = text.replaceAll(',', '');
  const value = Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
};

const TOKEN = /YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|SSS/g;

/**
 * Epoch milliseconds (UTC, so the figure never depends on the machine's time zone), or NaN.
 * The profile's format tokens say which digit group is which; without one, ISO order is assumed.
 */
export const parseDate = (cell: Cell, format?: string): number => {
  if (cell === null) return Number.NaN;
  const text = cell.trim();
  if (text === '') return Number.NaN;
  const groups = text.match(/\d+/g);
  if (groups === null) return Number.NaN;
  const tokens = format?.match(TOKEN) ?? ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss', 'SSS'];
  const parts = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
  const n = Math.min(tokens.length, groups.length);
  if (n === 0) return Number.NaN;
  for (let i = 0; i < n; i++) {
    const v = Number(groups[i]);
    switch (tokens[i]) {
      case 'YYYY':
        parts.year = v;
        break;
      case 'YY':
        parts.year = v < 70 ? 2000 + v : 1900 + v;
        break;
      case 'MM':
      case 'M':
        parts.month = v;
        break;
      case 'DD':
      case 'D':
        parts.day = v;
        break;
      case 'HH':
      case 'H':
        parts.hour = v;
        break;
      case 'mm':
      case 'm':
        parts.minute = v;
        break;
      case 'ss':
      case 's':
        parts.second = v;
        break;
      case 'SSS':
        parts.ms = v;
        break;
    }
  }
  if (parts.month < 1 || parts.month > 12 || parts.day < 1 || parts.day > 31) return Number.NaN;
  const ms = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
    parts.ms,
  );
  return Number.isFinite(ms) ? ms : Number.NaN;
};

/** A category label: trimmed, booleans lowercased so 'True' and 'true' agree; null stays null. */
export const categoryOf = (cell: Cell, kind: ColumnProfile['kind']): string | null => {
  if (cell === null) return null;
  const text = cell.trim();
  return kind === 'boolean' ? text.toLowerCase() : text;
};

/** Reads a cell for a numeric or date role; NaN stands for null or unreadable. */
export const numberOf = (cell: Cell, role: 'numeric' | 'date', format?: string): number =>
  role === 'numeric' ? parseNumber(cell) : parseDate(cell, format);
