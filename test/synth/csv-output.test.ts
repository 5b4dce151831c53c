import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/formats/csv.ts';
import { createRng } from '../../src/random.ts';
import { type Cell, type Table, toCsv } from '../../src/table.ts';

// The writer shards were written with before it wrote bytes into a buffer: the reference output.
const quoted = (cell: Cell): string => {
  if (cell === null) return '';
  if (cell === '' || /[",\r\n]/.test(cell) || cell.startsWith(' ') || cell.endsWith(' '))
    return `"${cell.replaceAll('"', '""')}"`;
  return cell;
};
const reference = (table: Table, header = true): string => {
  const lines = [...(header ? [table.columns] : []), ...table.rows].map((row) => row.map(quoted).join(','));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
};

describe('toCsv', () => {
  it('quotes separators, quotes, line breaks, edge spaces and empty strings; a null is an empty field', () => {
    // Prepare
    const table: Table = {
      columns: ['a', 'b c', 'd,e'],
      rows: [
        ['1', null, ''],
        ['say "hi"', ' lead', 'trail '],
        ['two\nlines', 'cr\r', 'x'],
      ],
    };
    // Act
    const csv = toCsv(table);
    // Assess
    expect(csv).toBe('a,b c,"d,e"\n1,,""\n"say ""hi"""," lead","trail "\n"two\nlines","cr\r",x\n');
    expect(parseCsv(csv, 't.csv').rows).toEqual(table.rows);
  });

  it('writes exactly what the reference writer wrote, for any text: accents, emoji, lone surrogates', () => {
    // Prepare: random tables over an alphabet of the characters that matter.
    const alphabet = [
      'a',
      'Z',
      '1',
      ' ',
      '"',
      ',',
      '\n',
      '\r',
      '\t',
      'é',
      '€',
      '😀',
      '\ud800',
      '\udc00',
      '\u07ff',
      '\u0800',
    ];
    const rng = createRng(4);
    const cell = (wide: boolean): Cell => {
      if (rng.int(8) === 0) return null;
      let text = '';
      for (let i = rng.int(6); i > 0; i--) text += alphabet[rng.int(wide ? alphabet.length : 10)];
      return text;
    };
    const differences: string[] = [];
    // Act
    for (let t = 0; t < 2000; t++) {
      const wide = t % 3 === 0;
      const table: Table = {
        columns: Array.from({ length: 1 + rng.int(4) }, () => cell(wide) ?? 'h'),
        rows: Array.from({ length: rng.int(5) }, () => Array.from({ length: rng.int(5) }, () => cell(wide))),
      };
      // A sparse row (holes read as nulls).
      if (t % 7 === 0) table.rows.push(new Array<Cell>(3));
      for (const header of [true, false]) {
        if (toCsv(table, { header }) !== reference(table, header)) differences.push(JSON.stringify(table));
      }
    }
    // Assess
    expect(differences).toEqual([]);
    expect(toCsv({ columns: [], rows: [] }, { header: false })).toBe('');
  });
});
