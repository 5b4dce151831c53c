import { describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/profile/scan-file.ts';
import type { Cell } from '../../src/table.ts';

/** Records end to end in one buffer, as a chunk's sample holds them, and a view of each. */
const recordsOf = (lines: string[]): Uint8Array[] => {
  const bytes = Buffer.from(lines.join(''));
  const views: Uint8Array[] = [];
  let from = 0;
  for (const line of lines) {
    const n = Buffer.byteLength(line);
    views.push(bytes.subarray(from, from + n));
    from += n;
  }
  return views;
};

describe('decodeRecords', () => {
  it('gives each record the cells its columns counted: unquoted, decoded, trimmed, null when blank', () => {
    // Prepare
    const records = recordsOf([
      'a,"b, ""c""",  padded  ,,"",Zürich',
      `${'x'.repeat(40)},"two\nlines",a,b,"  ",Köln`,
    ]);

    // Act
    const rows = decodeRecords(records, ',');

    // Assess
    expect(rows).toEqual<Cell[][]>([
      ['a', 'b, "c"', 'padded', null, null, 'Zürich'],
      ['x'.repeat(40), 'two\nlines', 'a', 'b', null, 'Köln'],
    ]);
  });

  it('gives a value repeated in any column, and in records of another buffer, the same cell each time', () => {
    // Prepare: the same bytes in different columns and rows (the cache of recent values), then a second
    // sample's buffer, where the first one's offsets hold other bytes
    const first = recordsOf(['1;2;1', '2;1;2', '1;1;1']);
    const second = recordsOf(['9;1;1', '1;9;1', ' 1;1;9']);

    // Act
    const rows = decodeRecords([...first, ...second], ';');

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
