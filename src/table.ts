/**
 * A table in memory: a header and rows of text cells, null for a missing value. Seeds are read into
 * this shape (samples only; whole seeds are streamed), and synthetic shards are written from it.
 */
export type Cell = string | null;

export interface Table {
  columns: string[];
  rows: Cell[][];
}

const needsQuotes = /[",\r\n]/;

const csvCell = (cell: Cell): string => {
  if (cell === null) return '';
  if (cell === '' || needsQuotes.test(cell) || cell.startsWith(' ') || cell.endsWith(' ')) {
    return `"${cell.replaceAll('"', '""')}"`;
  }
  return cell;
};

const csvLines = (table: Table, header: boolean): string => {
  const lines: string[] = [];
  if (header) lines.push(table.columns.map(csvCell).join(','));
  for (const row of table.rows) lines.push(row.map(csvCell).join(','));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
};

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const SPACE = 32;

/**
 * Appends a cell's UTF-8 bytes to `buffer` from `at`, quote marks doubled when `quoted`; the end,
 * -1 when the cell needs quotes and is not written as such, -2 when it holds a lone surrogate
 * (which UTF-8 cannot carry; the caller then takes the general path).
 */
const encodeCell = (buffer: Uint8Array, at: number, cell: string, quoted: boolean): number => {
  let i = 0;
  const n = cell.length;
  while (i < n) {
    const ch = cell.charCodeAt(i++);
    if (ch < 0x80) {
      if (ch === QUOTE || ch === COMMA || ch === LF || ch === CR) {
        if (!quoted) return -1;
        if (ch === QUOTE) buffer[at++] = QUOTE;
      }
      buffer[at++] = ch;
    } else if (ch < 0x800) {
      buffer[at++] = 0xc0 | (ch >> 6);
      buffer[at++] = 0x80 | (ch & 0x3f);
    } else if (ch >= 0xd800 && ch <= 0xdfff) {
      const low = i < n ? cell.charCodeAt(i) : 0;
      if (ch > 0xdbff || low < 0xdc00 || low > 0xdfff) return -2;
      i++;
      const code = 0x10000 + ((ch - 0xd800) << 10) + (low - 0xdc00);
      buffer[at++] = 0xf0 | (code >> 18);
      buffer[at++] = 0x80 | ((code >> 12) & 0x3f);
      buffer[at++] = 0x80 | ((code >> 6) & 0x3f);
      buffer[at++] = 0x80 | (code & 0x3f);
    } else {
      buffer[at++] = 0xe0 | (ch >> 12);
      buffer[at++] = 0x80 | ((ch >> 6) & 0x3f);
      buffer[at++] = 0x80 | (ch & 0x3f);
    }
  }
  return at;
};

/**
 * The same CSV written as UTF-8 into one growing buffer and decoded once: no string per line or
 * per cell, several times cheaper on a large shard. Undefined when a cell holds a lone surrogate.
 */
const bufferedCsv = (table: Table, header: boolean): string | undefined => {
  let buffer = new Uint8Array(1 << 16);
  let at = 0;
  const reserve = (n: number): void => {
    if (at + n <= buffer.length) return;
    const grown = new Uint8Array(Math.max(buffer.length * 2, at + n));
    grown.set(buffer.subarray(0, at));
    buffer = grown;
  };
  const writeRow = (row: Cell[]): boolean => {
    // Read by index, as map does: a holey row reads as nulls.
    for (let c = 0; c < row.length; c++) {
      const cell = row[c] ?? null;
      const n = cell === null ? 0 : cell.length;
      // At most 3 bytes per UTF-16 unit, two quotes, the separator and a line end.
      reserve(3 * n + 4);
      if (c > 0) buffer[at++] = COMMA;
      if (cell === null) continue;
      const begin = at;
      let end = -1;
      if (n > 0 && cell.charCodeAt(0) !== SPACE && cell.charCodeAt(n - 1) !== SPACE)
        end = encodeCell(buffer, at, cell, false);
      if (end === -1) {
        buffer[begin] = QUOTE;
        end = encodeCell(buffer, begin + 1, cell, true);
        if (end >= 0) buffer[end++] = QUOTE;
      }
      if (end === -2) return false;
      at = end;
    }
    reserve(1);
    buffer[at++] = LF;
    return true;
  };
  if (header && !writeRow(table.columns)) return undefined;
  for (const row of table.rows) if (!writeRow(row)) return undefined;
  return Buffer.from(buffer.buffer, buffer.byteOffset, at).toString('utf8');
};

/**
 * RFC 4180 CSV with a header and LF line ends. A null is an empty field and an empty string a quoted
 * empty field (`""`), so the two survive a round trip.
 */
export const toCsv = (table: Table, options: { header?: boolean } = {}): string => {
  const header = options.header ?? true;
  return bufferedCsv(table, header) ?? csvLines(table, header);
};
