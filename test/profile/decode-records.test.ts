import { describe, expect, it } from 'vitest';
import { type RecordDecoder, recordDecoder } from '../../src/profile/scan-file.ts';
import type { Cell } from '../../src/table.ts';

/** Records end to end in one buffer, as a chunk's sample holds them, decoded one by one by `decode`. */
const decodeAll = (decode: RecordDecoder, lines: string[]): Cell[][] => {
  const bytes = new Uint8Array(Buffer.from(lines.join('')));
  const rows: Cell[][] = [];
  let from = 0;
  for (const line of lines) {
    const n = Buffer.byteLength(line);
    rows.push(decode(bytes, from, from + n));
    from += n;
  }
  return rows;
};

describe('recordDecoder', () => {
  it('gives each record the cells its columns counted: unquoted, decoded, trimmed, null when blank', () => {
    // Prepare
    const lines = ['a,"b, ""c""",  padded  ,,"",Zürich', `${'x'.repeat(40)},"two\nlines",a,b,"  ",Köln`];

    // Act
    const rows = decodeAll(recordDecoder(','), lines);

    // Assess
    expect(rows).toEqual<Cell[][]>([
      ['a', 'b, "c"', 'padded', null, null, 'Zürich'],
      ['x'.repeat(40), 'two\nlines', 'a', 'b', null, 'Köln'],
    ]);
  });

  it('gives a value repeated in any column, and in records of another buffer, the same cell each time', () => {
    // Prepare: the same bytes in different columns and rows (the cache of recent values), then a second
    // sample's buffer, where the first one's offsets hold other bytes
    const decode = recordDecoder(';');

    // Act
    const rows = [
      ...decodeAll(decode, ['1;2;1', '2;1;2', '1;1;1']),
      ...decodeAll(decode, ['9;1;1', '1;9;1', ' 1;1;9']),
    ];

    // Assess
    expect(rows).toEqual([
      ['1', '2', '1'],
      ['2', '1', '2'],
      ['1', '1', '1'],
      ['9', '1', '1'],
      ['1', '9', '1'],
      ['1', '1', '9'],
    ]);
  });
});
