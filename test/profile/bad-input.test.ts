/**
 * Bad seeds through the profiler's entry points: each fails with a BadInputError (or reads with a
 * warning) naming the row, line or byte offset, and big ones stop before they take the memory.
 * Big inputs are generated as streams, never written whole.
 */
import { mkdtemp, open as openFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.ts';
import { profileFile, profileSource, profileStream } from '../../src/profile/profile-seed.ts';

const FLIGHTS = fileURLToPath(
  new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url),
);
const MiB = 1024 * 1024;

/** The error a profiling run fails with; fails the test when it succeeds or fails otherwise. */
const rejection = async (run: Promise<unknown>): Promise<BadInputError> => {
  try {
    await run;
  } catch (error) {
    expect(error).toBeInstanceOf(BadInputError);
    return error as BadInputError;
  }
  throw new Error('expected the seed to be rejected');
};

/** A byte stream that counts what the reader pulled from it. */
const counting = (chunks: () => Iterable<Uint8Array>) => {
  const state = { pulled: 0 };
  async function* stream() {
    for (const chunk of chunks()) {
      state.pulled += chunk.byteLength;
      yield chunk;
    }
  }
  return { stream: stream(), state };
};

describe('bad input', () => {
  let dir = '';
  const temp = async (name: string, data: string | Uint8Array): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, data);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doppel-bad-input-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a ragged row: names the row and its line', async () => {
    // Prepare
    const rows = Array.from({ length: 5000 }, (_, i) => (i === 4321 ? `${i},x,extra` : `${i},x`));
    const path = await temp('ragged.csv', `id,name\n${rows.join('\n')}\n`);
    // Act
    const error = await rejection(profileFile(path, 'ragged.csv', { seed: 1 }));
    // Assess
    expect(error.message).toBe('ragged.csv: row 4322 (line 4323) has 3 fields, the header has 2');
  });

  it('an unterminated quote: names the row where the quote opened', async () => {
    // Prepare
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},plain`);
    rows[10] = '10,"never closed';
    const path = await temp('quote.csv', `id,note\n${rows.join('\n')}\n`);
    // Act
    const error = await rejection(profileFile(path, 'quote.csv', { seed: 1 }));
    // Assess
    expect(error.message).toBe(
      'quote.csv: row 11 (line 12) has a quoted field that is never closed (unterminated quote at end of file)',
    );
  });

  it('an unterminated quote in a big stream: stops at the field cap, not at the end', async () => {
    // Prepare: 200 MiB of rows after the quote opens
    const block = Buffer.from('1,plain\n'.repeat(MiB / 8));
    const input = counting(function* () {
      yield Buffer.from('id,note\n1,ok\n2,"open\n');
      for (let i = 0; i < 200; i++) yield block;
    });
    // Act
    const error = await rejection(profileSource(input.stream, 'big-quote.csv', { seed: 1 }));
    // Assess
    expect(error.message).toBe(
      'big-quote.csv: row 2 (line 3) has a field longer than 16 Mi characters; most likely a quote that is never closed',
    );
    expect(input.state.pulled).toBeLessThan(40 * MiB);
  });

  it('invalid UTF-8 after UTF-8 text at the head: names the byte offset', async () => {
    // Prepare
    const path = await temp(
      'mixed-head.csv',
      Buffer.concat([Buffer.from('name\nZürich\nK'), Buffer.from([0xf6, 0x0a])]),
    );
    // Act
    const error = await rejection(profileFile(path, 'mixed-head.csv', { seed: 1 }));
    // Assess
    expect(error.message).toBe(
      'mixed-head.csv: invalid UTF-8 at byte offset 14 (byte 0xF6) after valid UTF-8 text; ' +
        'the file mixes encodings or is corrupt — save it as UTF-8',
    );
  });

  it('invalid UTF-8 deep in a stream, past the sniffed head: names the byte offset', async () => {
    // Prepare
    const head = Buffer.from(`name,city\nJosé,Zürich\n${'a,b\n'.repeat(250_000)}`);
    const bytes = Buffer.concat([head, Buffer.from([0x78, 0xe9, 0x2c, 0x79, 0x0a])]);
    // Act
    const error = await rejection(
      profileSource(
        counting(() => [bytes.subarray(0, 500_000), bytes.subarray(500_000)]).stream,
        'deep.csv',
        {
          seed: 1,
        },
      ),
    );
    // Assess
    expect(error.message).toBe(
      `deep.csv: invalid UTF-8 at byte offset ${head.byteLength + 1} (byte 0xE9) after valid UTF-8 text; ` +
        'the file mixes encodings or is corrupt — save it as UTF-8',
    );
  });

  it('Windows-1252 text: read as such, with a warning naming the encoding and the first byte', async () => {
    // Prepare
    const path = await temp('latin.csv', Buffer.from('name,city\nJosé,Zürich\nRenée,Besançon\n', 'latin1'));
    // Act
    const { profile, train, holdout } = await profileFile(path, 'latin.csv', { seed: 1 });
    // Assess
    expect(profile.warnings).toContain(
      'latin.csv is not UTF-8 (byte 0xE9 at offset 13 is not valid UTF-8 and no UTF-8 text came before it); it was read as Windows-1252 (Latin-1)',
    );
    const names = [...train.rows, ...holdout.rows].map((r) => r[0]).sort();
    expect(names).toEqual(['José', 'Renée']);
  });

  it('UTF-16 text: decoded, with a warning naming the encoding', async () => {
    // Prepare
    const path = await temp('utf16.csv', Buffer.from('\ufeffname,n\nJosé,1\nZoë,2\n', 'utf16le'));
    // Act
    const { profile } = await profileFile(path, 'utf16.csv', { seed: 1 });
    // Assess
    expect(profile.rows).toBe(2);
    expect(profile.columns.map((c) => c.name)).toEqual(['name', 'n']);
    expect(profile.warnings).toContain(
      'utf16.csv is UTF-16 LE text (byte order mark); it was decoded as such, not as UTF-8',
    );
  });

  it('a 100 MB single line: one huge field stops at the field cap, naming the row', async () => {
    // Prepare
    const block = Buffer.alloc(MiB, 0x78);
    const input = counting(function* () {
      yield Buffer.from('id,text\n1,');
      for (let i = 0; i < 100; i++) yield block;
      yield Buffer.from('\n');
    });
    const rss = process.memoryUsage().rss;
    // Act
    const error = await rejection(profileSource(input.stream, 'one-line.csv', { seed: 1 }));
    // Assess
    expect(error.message).toBe(
      'one-line.csv: row 1 (line 2) has a field longer than 16 Mi characters; no table cell is that long (is this a table?)',
    );
    expect(input.state.pulled).toBeLessThan(24 * MiB);
    expect(process.memoryUsage().rss - rss).toBeLessThan(512 * MiB);
  });

  it('a 100 MB single JSON line stops at the line cap, naming the line', async () => {
    // Prepare
    const block = Buffer.alloc(MiB, 0x78);
    const input = counting(function* () {
      yield Buffer.from('{"id":1,"text":"short"}\n{"id":2,"text":"');
      for (let i = 0; i < 100; i++) yield block;
      yield Buffer.from('"}\n');
    });
    // Act
    const error = await rejection(profileSource(input.stream, 'one-line.jsonl', { seed: 1 }));
    // Assess
    expect(error.message).toBe(
      'one-line.jsonl: line 2 is longer than 64 Mi characters; no JSON Lines row is that long (is the file one JSON document?)',
    );
    expect(input.state.pulled).toBeLessThan(72 * MiB);
  });

  it('a 100 MB single line of tiny fields stops at the width cap', async () => {
    // Prepare
    const block = Buffer.from('1,'.repeat(MiB / 2));
    const input = counting(function* () {
      yield Buffer.from('a,b\n');
      for (let i = 0; i < 100; i++) yield block;
    });
    // Act
    const error = await rejection(profileSource(input.stream, 'fields.csv', { seed: 1 }));
    // Assess
    expect(error.message).toBe(
      'fields.csv: row 1 (line 2) has more than 65536 fields; doppel reads tables up to that width',
    );
    expect(input.state.pulled).toBeLessThan(4 * MiB);
  });

  it('10,000 columns: a wide table is profiled, within seconds and bounded memory', async () => {
    // Prepare
    const width = 10_000;
    const header = Array.from({ length: width }, (_, c) => `c${c}`).join(',');
    const rows = Array.from({ length: 100 }, (_, r) =>
      Array.from({ length: width }, (_, c) => String((r * 31 + c * 7) % 97)).join(','),
    );
    const csv = Buffer.from(`${header}\n${rows.join('\n')}\n`);
    const rss = process.memoryUsage().rss;
    const started = Date.now();
    // Act
    const { profile } = await profileSource(counting(() => [csv]).stream, 'wide.csv', { seed: 1 });
    // Assess
    expect(profile.columns).toHaveLength(width);
    expect(profile.columns[9999]?.name).toBe('c9999');
    expect(profile.columns[9999]?.kind).toBe('integer');
    expect(profile.rows).toBe(100);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(1024 * MiB);
  }, 20_000);

  it('a gzip bomb of table rows: refused by its expansion ratio long before it is all inflated', async () => {
    // Prepare: gzip members concatenated, 10 GiB of '0,0' rows in about 10 MB
    const member = gzipSync(Buffer.from('0,0\n'.repeat(MiB / 4)), { level: 9 });
    const bomb = () =>
      counting(function* () {
        yield gzipSync(Buffer.from('a,b\n'));
        for (let i = 0; i < 10 * 1024; i++) yield member;
      });
    // Act: the row reader, and the byte-level scanner the pipeline streams gzipped CSV through
    const input = bomb();
    const error = await rejection(profileSource(input.stream, 'bomb.csv.gz', { seed: 1 }));
    const streamed = bomb();
    const streamError = await rejection(
      profileStream(async () => streamed.stream, 'bomb.csv.gz', { seed: 1 }),
    );
    // Assess
    expect(error.message).toMatch(
      /^bomb\.csv\.gz: the gzip data expands more than 200-fold \(\d+ bytes from the first \d+ compressed bytes\); refused as a likely gzip bomb$/,
    );
    expect(streamError.message).toMatch(/^bomb\.csv\.gz: the gzip data expands more than 200-fold/);
    expect(member.byteLength * 10 * 1024).toBeGreaterThan(9 * MiB);
    expect(input.state.pulled).toBeLessThan(MiB);
    expect(streamed.state.pulled).toBeLessThan(MiB);
  }, 20_000);

  it('a gzip bomb of zeros: refused as binary at once', async () => {
    // Prepare
    const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
    const input = counting(function* () {
      for (let i = 0; i < 10 * 1024; i++) yield member;
    });
    // Act
    const error = await rejection(profileSource(input.stream, 'zeros.csv.gz', { seed: 1 }));
    // Assess
    expect(error.message).toBe('zeros.csv.gz looks binary, not CSV/TSV/JSONL (a NUL byte at offset 0)');
    expect(input.state.pulled).toBeLessThan(MiB);
  });

  it('a truncated gzip file: names the compressed bytes read', async () => {
    // Prepare
    const csv = `a,b\n${Array.from({ length: 50_000 }, (_, i) => `${i},${i * i}`).join('\n')}\n`;
    const gz = gzipSync(Buffer.from(csv));
    const cut = gz.subarray(0, Math.floor(gz.byteLength / 2));
    const path = await temp('cut.csv.gz', cut);
    // Act
    const error = await rejection(profileFile(path, 'cut.csv.gz', { seed: 1 }));
    // Assess
    expect(error.message).toBe(
      `cut.csv.gz: the gzip data is truncated or corrupt after ${cut.byteLength} compressed bytes (unexpected end of file)`,
    );
  });

  it('a truncated Parquet file: says its footer is missing, with its size', async () => {
    // Prepare: the first 1 MB of the real flights-3m.parquet
    const handle = await openFile(FLIGHTS, 'r');
    const head = Buffer.alloc(1_000_000);
    try {
      await handle.read(head, 0, head.byteLength, 0);
    } finally {
      await handle.close();
    }
    const path = await temp('flights-cut.parquet', head);
    // Act
    const error = await rejection(profileFile(path, 'flights-cut.parquet', { seed: 1 }));
    // Assess
    expect(error.message).toBe(
      'flights-cut.parquet is a truncated or corrupt Parquet file: its footer is missing (the file does not end ' +
        'with the PAR1 magic); the file is 1000000 bytes',
    );
  });
});
