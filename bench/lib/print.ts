/** Plain-text tables for bench output: right-aligned numbers, left-aligned text. */

export type Row = (string | number | null)[];

/** A number with `digits` decimals, '—' for null or NaN. */
export const fixed = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits);

/** 1234567 → '1,234,567'. */
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export const textTable = (header: string[], rows: Row[]): string => {
  const cells = rows.map((row) => row.map((c) => (c === null ? '—' : String(c))));
  const numeric = header.map((_, j) =>
    rows.every((row) => typeof row[j] !== 'string' || /^[\d.,%—+-]+$/.test(row[j] as string)),
  );
  const widths = header.map((h, j) => Math.max(h.length, ...cells.map((row) => (row[j] ?? '').length)));
  const line = (row: string[]): string =>
    row
      .map((c, j) => (numeric[j] && j > 0 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
};

/** Seconds since `start` (a performance.now() reading). */
export const since = (start: number): number => (performance.now() - start) / 1000;
