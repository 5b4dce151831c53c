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

/**
 * RFC 4180 CSV with a header and LF line ends. A null is an empty field and an empty string a quoted
 * empty field (`""`), so the two survive a round trip.
 */
export const toCsv = (table: Table, options: { header?: boolean } = {}): string => {
  const lines: string[] = [];
  if (options.header ?? true) lines.push(table.columns.map(csvCell).join(','));
  for (const row of table.rows) lines.push(row.map(csvCell).join(','));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
};
