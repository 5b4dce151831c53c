import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.ts';
import { openSeed, type SeedReader } from '../../src/formats/read-seed.ts';
import type { Cell } from '../../src/table.ts';
import { chunked } from '../helpers/byte-stream.ts';

const readAll = async (reader: SeedReader): Promise<Cell[][]> => {
  const rows: Cell[][] = [];
  for await (const batch of reader.batches()) rows.push(...batch);
  return rows;
};

const open = (data: string | Uint8Array, name = 'seed.csv', size = 7) => openSeed(chunked(data, size), name);

/** Opens and reads the whole seed, returning the error it fails with. */
const failure = async (data: string | Uint8Array, name = 'seed.csv', size = 7): Promise<BadInputError> => {
  try {
    await readAll(await open(data, name, size));
  } catch (error) {
    expect(error).toBeInstanceOf(BadInputError);
    return error as BadInputError;
  }
  throw new Error('expected the seed to be rejected');
};

describe('openSeed: delimited text', () => {
  it('reads quotes, doubled quotes, quoted newlines, CRLF and a BOM across any chunk boundary', async () => {
    // Prepare
    const csv = '\ufeffid,note,amount\r\n1,"say ""hi""\r\nthen leave",3.5\r\n2,,""\r\n3,"a,b",\r\n';
    for (const size of [1, 2, 3, 7, 64]) {
      // Act
      const reader = await open(csv, 'notes.csv', size);
      const rows = await readAll(reader);
      // Assess
      expect(reader.format).toBe('csv');
      expect(reader.compression).toBe('none');
      expect(reader.columns).toEqual(['id', 'note', 'amount']);
      expect(rows).toEqual([
        ['1', 'say "hi"\r\nthen leave', '3.5'],
        ['2', null, ''],
        ['3', 'a,b', null],
      ]);
    }
  });

  it('sniffs the delimiter when the first 64 KiB end inside a quoted note of several lines', async () => {
    // Prepare: notes of ten lines each, the first row padded so the sniffed sample's last line
    // feed falls inside a note (before, the note left open at the sample's end ruled ';' out)
    const note = Array.from({ length: 10 }, (_, k) => `line ${k}`).join('\n');
    const build = (pad: number) =>
      `id;note;n\n${['x'.repeat(pad), ...Array.from({ length: 2000 }, (_, i) => String(i))]
        .map((id) => `${id};"${note}";5`)
        .join('\n')}\n`;
    const insideNote = (text: string) => {
      const cut = text.lastIndexOf('\n', 65_535);
      return (text.slice(0, cut).match(/"/g) ?? []).length % 2 === 1;
    };
    let pad = 1;
    while (!insideNote(build(pad))) pad++;
    const text = build(pad);

    // Act
    const reader = await open(text, 'notes.txt', 4096);
    const rows = await readAll(reader);

    // Assess
    expect(reader.delimiter).toBe(';');
    expect(reader.columns).toEqual(['id', 'note', 'n']);
    expect(rows).toHaveLength(2001);
    expect(rows[1]).toEqual(['0', note, '5']);
  });

  it('sniffs tab, semicolon and pipe delimiters from the content, whatever the name says', async () => {
    for (const delimiter of ['\t', ';', '|']) {
      // Prepare
      const text = ['city,state', 'price', 'n']
        .join(delimiter)
        .concat('\n', ['Austin, TX', '1,5', '2'].join(delimiter), '\n');
      // Act
      const reader = await open(text, 'export.txt');
      const rows = await readAll(reader);
      // Assess
      expect(reader.delimiter).toBe(delimiter);
      expect(reader.format).toBe(delimiter === '\t' ? 'tsv' : 'csv');
      expect(reader.columns).toEqual(['city,state', 'price', 'n']);
      expect(rows).toEqual([['Austin, TX', '1,5', '2']]);
    }
  });

  it('skips blank lines and keeps a last line without a newline', async () => {
    // Act
    const rows = await readAll(await open('a,b\n1,2\n\n3,4'));
    // Assess
    expect(rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('yields batches of the requested size, every row as wide as the header', async () => {
    // Prepare
    const csv = `x,y\n${Array.from({ length: 10 }, (_, i) => `${i},${i * 2}`).join('\n')}\n`;
    const reader = await openSeed(chunked(csv, 5), 'xy.csv', { batchSize: 4 });
    // Act
    const sizes: number[] = [];
    for await (const batch of reader.batches()) {
      sizes.push(batch.length);
      for (const row of batch) expect(row).toHaveLength(2);
    }
    // Assess
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('renames empty and duplicate header names and says so', async () => {
    // Act
    const reader = await open('id,name,,name\n1,a,b,c\n');
    // Assess
    expect(reader.columns).toEqual(['id', 'name', 'column_3', 'name_2']);
    expect(reader.warnings).toHaveLength(2);
    expect(reader.warnings.join(' ')).toMatch(/column 3 has no name/);
    expect(reader.warnings.join(' ')).toMatch(/repeats the header name "name"; it is called "name_2"/);
  });

  it('decompresses gzip found by its magic bytes, not by the name', async () => {
    // Prepare
    const gz = gzipSync(Buffer.from('a\tb\n1\t2\n3\t4\n'));
    // Act
    const reader = await open(gz, 'upload.bin', 3);
    const rows = await readAll(reader);
    // Assess
    expect(reader.compression).toBe('gzip');
    expect(reader.format).toBe('tsv');
    expect(rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });
});

describe('openSeed: JSON Lines', () => {
  it('takes the union of keys in order of first appearance and turns values into text', async () => {
    // Prepare
    const jsonl = [
      '{"id": 1, "name": "Ann", "tags": ["a", "b"]}',
      '',
      '{"id": 2, "active": true, "name": null, "meta": {"k": 1}}',
      '{"id": 3.5}',
    ].join('\r\n');
    // Act
    const reader = await open(`\ufeff${jsonl}`, 'people.data');
    const rows = await readAll(reader);
    // Assess
    expect(reader.format).toBe('jsonl');
    expect(reader.delimiter).toBeUndefined();
    expect(reader.columns).toEqual(['id', 'name', 'tags', 'active', 'meta']);
    expect(rows).toEqual([
      ['1', 'Ann', '["a","b"]', null, null],
      ['2', null, null, 'true', '{"k":1}'],
      ['3.5', null, null, null, null],
    ]);
  });

  it('rejects a key first seen after the schema lines, naming the line', async () => {
    // Prepare
    const lines = Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify(i === 1100 ? { id: i, extra: 1 } : { id: i }),
    );
    // Act
    const error = await failure(lines.join('\n'), 'events.jsonl', 4096);
    // Assess
    expect(error.message).toMatch(/^events\.jsonl: line 1101 has key "extra"/);
  });

  it('rejects a line that is not JSON, naming the line', async () => {
    // Act
    const error = await failure('{"a":1}\n{"a":2\n', 'broken.jsonl');
    // Assess
    expect(error.message).toMatch(/^broken\.jsonl: line 2 is not valid JSON/);
  });
});

describe('openSeed: a JSON array of objects', () => {
  it('reads it element by element across any chunk boundary, strings with brackets and escapes included', async () => {
    // Prepare: the usual "export as JSON", pretty-printed, in 3-byte chunks
    const array = JSON.stringify(
      [
        { id: 1, note: 'a } inside', tags: ['x', 'y'] },
        { id: 2, note: 'say "hi" [ok]', nested: { k: [1, { z: 2 }] } },
        { id: 3, note: null },
      ],
      null,
      2,
    );

    // Act
    const reader = await open(array, 'export.json', 3);
    const rows = await readAll(reader);

    // Assess
    expect(reader.format).toBe('json');
    expect(reader.columns).toEqual(['id', 'note', 'tags', 'nested']);
    expect(rows).toEqual([
      ['1', 'a } inside', '["x","y"]', null],
      ['2', 'say "hi" [ok]', null, '{"k":[1,{"z":2}]}'],
      ['3', null, null, null],
    ]);
  });

  it.each([
    [
      'an element that is not an object',
      '[{"a":1}, 2]',
      /^x\.json: element 2 of the JSON array \(line 1\) is not an object/,
    ],
    ['an array cut short', '[{"a":1},\n{"a":2', /^x\.json: the JSON array ends early \(line 2\)/],
    [
      'text after the array',
      '[{"a":1}]\n[{"a":2}]',
      /^x\.json: line 2 has text after the JSON array's closing \]/,
    ],
    ['an element that is not valid JSON', '[{"a":1},\n{"a":}]', /^x\.json: line 2 is not valid JSON/],
  ])('rejects %s, naming the line', async (_what, data, message) => {
    const error = await failure(data, 'x.json');
    expect(error.message).toMatch(message);
  });
});

describe('openSeed: bad input', () => {
  it.each([
    ['an empty file', '', /^seed\.csv is empty/],
    ['a file of whitespace', '  \n\n \t\n', /^seed\.csv is empty/],
    ['a header without rows', 'a,b,c\n\n', /^seed\.csv has a header but no data rows/],
  ])('rejects %s', async (_what, data, message) => {
    // Act
    const error = await failure(data);
    // Assess
    expect(error.message).toMatch(message);
  });

  it('rejects binary content: NUL bytes, or mostly invalid UTF-8', async () => {
    // Prepare
    const withNul = Buffer.from('a,b\n1,\u00002\n');
    const garbage = Buffer.from(Array.from({ length: 4000 }, (_, i) => 0x80 + ((i * 37) % 0x7f)));
    // Act
    const nulError = await failure(withNul, 'image.csv');
    const garbageError = await failure(garbage, 'blob.csv');
    // Assess
    expect(nulError.message).toMatch(
      /^image\.csv looks binary, not CSV\/TSV\/JSONL \(a NUL byte at offset 6\)/,
    );
    expect(garbageError.message).toMatch(/^blob\.csv looks binary, not CSV\/TSV\/JSONL/);
  });

  it('rejects a ragged row, naming the row and its line', async () => {
    // Prepare
    const rows = Array.from({ length: 20 }, (_, i) => (i === 16 ? '1,2,3,4,5' : '1,2,3,4'));
    // Act
    const error = await failure(`a,b,c,d\n${rows.join('\n')}\n`, 'wide.csv');
    // Assess
    expect(error.message).toBe('wide.csv: row 17 (line 18) has 5 fields, the header has 4');
  });

  it('counts quoted newlines when naming the line of a ragged row', async () => {
    // Act
    const error = await failure('a,b\n"x\ny",1\n2\n', 'multi.csv');
    // Assess
    expect(error.message).toBe('multi.csv: row 2 (line 4) has 1 fields, the header has 2');
  });

  it('rejects a quote never closed, naming the row where it started', async () => {
    // Act
    const error = await failure('a,b\n1,2\n3,"open\n4,5\n6,7\n', 'open.csv');
    // Assess
    expect(error.message).toMatch(/^open\.csv: row 2 \(line 3\) has a quoted field that is never closed/);
  });

  it('rejects truncated gzip with a clear message', async () => {
    // Prepare
    const csv = `a,b\n${Array.from({ length: 2000 }, (_, i) => `${i},${i * i}`).join('\n')}\n`;
    const gz = gzipSync(Buffer.from(csv));
    // Act
    const error = await failure(gz.subarray(0, Math.floor(gz.byteLength / 2)), 'cut.csv.gz', 512);
    // Assess
    expect(error.message).toMatch(/^cut\.csv\.gz: the gzip data is truncated or corrupt/);
  });
});

describe('openSeed: text encodings', () => {
  const table = 'name,city\nJosé,Zürich\nRenée,Besançon €\n';
  const decoded = [
    ['José', 'Zürich'],
    ['Renée', 'Besançon €'],
  ];
  const utf16be = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();

  it('decodes UTF-16 LE by its byte order mark, with a warning naming the encoding', async () => {
    // Act: odd chunk sizes split characters between chunks
    const reader = await open(Buffer.from(`\ufeff${table}`, 'utf16le'), 'excel.csv', 7);
    const rows = await readAll(reader);
    // Assess
    expect(reader.columns).toEqual(['name', 'city']);
    expect(rows).toEqual(decoded);
    expect(reader.warnings).toEqual([
      'excel.csv is UTF-16 LE text (byte order mark); it was decoded as such, not as UTF-8',
    ]);
  });

  it('decodes UTF-16 BE without a byte order mark from its NUL bytes', async () => {
    // Act
    const reader = await open(utf16be(table), 'export.csv', 5);
    const rows = await readAll(reader);
    // Assess
    expect(rows).toEqual(decoded);
    expect(reader.warnings).toEqual([
      'export.csv is UTF-16 BE text (NUL bytes between its characters, no byte order mark); it was decoded as such, not as UTF-8',
    ]);
  });

  it('reads Windows-1252 text as such, naming the first byte that is not UTF-8', async () => {
    // Prepare: 0x80 is the euro sign in Windows-1252
    const bytes = Buffer.from(table.replace(' €', ' \u0080'), 'latin1');
    // Act
    const reader = await open(bytes, 'latin.csv');
    const rows = await readAll(reader);
    // Assess
    expect(rows).toEqual(decoded);
    expect(reader.warnings).toEqual([
      'latin.csv is not UTF-8 (byte 0xE9 at offset 13 is not valid UTF-8 and no UTF-8 text came before it); it was read as Windows-1252 (Latin-1)',
    ]);
  });

  it('switches to Windows-1252 past the sniffed head when all before was ASCII', async () => {
    // Prepare
    const filler = Array.from({ length: 10_000 }, (_, i) => `row${i},plain`).join('\n');
    const head = Buffer.from(`name,city\n${filler}\n`, 'latin1');
    const bytes = Buffer.concat([head, Buffer.from('Zoë,Köln\n', 'latin1')]);
    // Act
    const reader = await open(bytes, 'late.csv', 65_536);
    const rows = await readAll(reader);
    // Assess
    expect(head.byteLength).toBeGreaterThan(65_536);
    expect(rows.at(-1)).toEqual(['Zoë', 'Köln']);
    expect(reader.warnings).toEqual([
      `late.csv is not UTF-8 (byte 0xEB at offset ${head.byteLength + 2} is not valid UTF-8 and no UTF-8 text came before it); it was read as Windows-1252 (Latin-1)`,
    ]);
  });

  it('rejects invalid UTF-8 after UTF-8 text, deep in the file, naming the byte offset', async () => {
    // Prepare: valid UTF-8 up front, one Latin-1 byte 100 kB in
    const before = Buffer.from(`name,city\nJosé,Zürich\n${'a,b\n'.repeat(25_000)}`);
    const bytes = Buffer.concat([before, Buffer.from([0x78, 0xe9, 0x2c, 0x79, 0x0a])]);
    // Act
    const plain = await failure(bytes, 'mixed.csv', 4096);
    const gzipped = await failure(gzipSync(bytes), 'mixed.csv.gz', 4096);
    // Assess
    expect(plain.message).toBe(
      `mixed.csv: invalid UTF-8 at byte offset ${before.byteLength + 1} (byte 0xE9) after valid UTF-8 text; ` +
        'the file mixes encodings or is corrupt — save it as UTF-8',
    );
    expect(gzipped.message).toMatch(
      `mixed.csv.gz: invalid UTF-8 at byte offset ${before.byteLength + 1} of the decompressed data (byte 0xE9)`,
    );
  });

  it('rejects UTF-8 text after Windows-1252 was assumed: the file mixes encodings', async () => {
    // Prepare
    const bytes = Buffer.concat([Buffer.from('a,b\nJos\xe9,1\n', 'latin1'), Buffer.from('Zürich,2\n')]);
    // Act
    const error = await failure(bytes, 'two.csv', 64);
    // Assess
    expect(error.message).toBe(
      'two.csv: byte offset 12 holds UTF-8 text (0xC3 0xBC), but earlier bytes were not UTF-8; ' +
        'the file mixes encodings — save it as UTF-8',
    );
  });

  it('rejects text that ends inside a UTF-8 character', async () => {
    // Prepare
    const bytes = Buffer.from('a,b\nJosé,1\n€');
    // Act
    const error = await failure(bytes.subarray(0, bytes.byteLength - 1), 'cut.csv', 3);
    // Assess
    expect(error.message).toBe(
      'cut.csv: the text ends inside a UTF-8 character at byte offset 12 (byte 0xE2); the file is truncated or not UTF-8',
    );
  });
});

describe('openSeed: limits', () => {
  it('rejects a line too long to be a row, naming the row, before buffering it all', async () => {
    // Prepare: 20 M characters of one field, 1 MiB at a time
    async function* huge() {
      yield Buffer.from('a,b\n1,');
      const block = Buffer.alloc(1 << 20, 0x78);
      for (let i = 0; i < 20; i++) yield block;
    }
    // Act
    let error: unknown;
    try {
      await readAll(await openSeed(huge(), 'long.csv'));
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as Error).message).toBe(
      'long.csv: row 1 (line 2) has a field longer than 16 Mi characters; no table cell is that long (is this a table?)',
    );
  });

  it('rejects a row of more fields than any table has', async () => {
    // Act
    const error = await failure(`a\n${'1,'.repeat(70_000)}\n`, 'many.csv', 1 << 16);
    // Assess
    expect(error.message).toBe(
      'many.csv: row 1 (line 2) has more than 65536 fields; doppel reads tables up to that width',
    );
  });
});
