import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.ts';
import { holdoutSplitter, Reservoir, sampleRate, unpack } from '../../src/profile/profile-chunks.ts';
import { profileFile, profileSource, profileStream } from '../../src/profile/profile-seed.ts';
import { createRng } from '../../src/random.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { type Cell, toCsv } from '../../src/table.ts';
import { chunked } from '../helpers/byte-stream.ts';
import { vegaCsv } from '../helpers/vega.ts';

const dir = mkdtempSync(join(tmpdir(), 'doppel-profile-file-'));
let files = 0;
const fileOf = (content: string | Uint8Array, name = 'seed.csv'): string => {
  const path = join(dir, `${files++}-${name}`);
  writeFileSync(path, content);
  return path;
};

/** A stream opener that counts how often the seed was opened, as the pipeline's store would be. */
const opener = (content: string | Uint8Array, size = 4096) => {
  const opened = { count: 0 };
  return {
    opened,
    open: async () => {
      opened.count++;
      return chunked(content, size);
    },
  };
};

/**
 * The file path, the stream path and the stream fast path over the same bytes, with the same seed;
 * the stream fast path (the pipeline's) must give exactly the stream path's result.
 */
const both = async (content: string | Uint8Array, name = 'seed.csv', options = {}) => {
  const path = fileOf(content, name);
  const file = await profileFile(path, name, { seed: 3, ...options });
  const stream = await profileSource(chunked(content, 4096), name, { seed: 3, ...options });
  const { open, opened } = opener(content);
  const fast = await profileStream(open, name, { seed: 3, ...options });
  expect(fast.profile).toEqual(stream.profile);
  expect(fast.train).toEqual(stream.train);
  expect(fast.holdout).toEqual(stream.holdout);
  expect(fast.quantiles).toEqual(stream.quantiles);
  return { file, stream, opens: opened.count };
};

describe('profileFile and profileStream', () => {
  it('gives the same profile and samples as profileSource on the customer sample', async () => {
    // Prepare
    const csv = toCsv(sampleCustomers(3000));

    // Act
    const { file, stream } = await both(csv, 'customers.csv', {
      trainSampleSize: 500,
      holdoutSampleSize: 100,
    });

    // Assess
    expect(file.profile).toEqual({
      ...stream.profile,
      source: { ...stream.profile.source, bytes: csv.length },
    });
    expect(file.train).toEqual(stream.train);
    expect(file.holdout).toEqual(stream.holdout);
    expect(file.quantiles).toEqual(stream.quantiles);
    expect(file.train.rows).toHaveLength(500);
  });

  it('gives the same profile as profileSource on public tables (vega-datasets)', async () => {
    for (const table of ['penguins.json', 'cars.json', 'movies.json'] as const) {
      // Act
      const csv = vegaCsv(table);
      const { file, stream } = await both(csv, 'table.csv');

      // Assess
      expect(file.profile.columns).toEqual(stream.profile.columns);
      expect(file.train).toEqual(stream.train);
    }
  });

  it('samples padded and blank cells as their columns count them (trimmed; null), whichever path reads the seed', async () => {
    // Prepare: categories padded with spaces, quoted text padded inside its quotes, blank cells
    const lines = ['id,tier,note'];
    for (let i = 0; i < 300; i++) lines.push(`${i}, ${['gold', 'silver'][i % 2]} ,"  hi ${i % 3}  "`);
    lines.push('300,   ,"   "');
    const csv = `${lines.join('\n')}\n`;

    // Act (both: the stream fast path must equal the row reader, samples included)
    const { file, stream } = await both(csv, 'padded.csv', { trainSampleSize: 400, holdoutSampleSize: 100 });

    // Assess
    expect(file.train).toEqual(stream.train);
    const sampled = [...stream.train.rows, ...stream.holdout.rows];
    expect(new Set(sampled.map((row) => row[1]))).toEqual(new Set(['gold', 'silver', null]));
    expect(new Set(sampled.map((row) => row[2]))).toEqual(new Set(['hi 0', 'hi 1', 'hi 2', null]));
    expect(stream.profile.columns[1]!.top.map((t) => t.value).sort()).toEqual(['gold', 'silver']);
  });

  it('counts a value padded only later as the value seen bare before (the scanner skips no lookup it needs)', async () => {
    // Prepare: 'gold' bare in the first rows, then ' gold' and 'gold ' padded
    const lines = ['id,tier'];
    for (let i = 0; i < 200; i++) lines.push(`${i},${i < 100 ? 'gold' : i % 2 === 0 ? ' gold' : 'gold '}`);
    const csv = `${lines.join('\n')}\n`;

    // Act
    const { file, stream } = await both(csv, 'late-padding.csv');

    // Assess: one category of 200, on every path
    expect(stream.profile.columns[1]).toMatchObject({ distinct: 1, top: [{ value: 'gold', count: 200 }] });
    expect(file.profile.columns).toEqual(stream.profile.columns);
  });

  it('reads quoted fields with delimiters, doubled quotes, newlines, CRLF, a BOM and UTF-8 across its buffer', async () => {
    // Prepare: enough rows that records straddle the 4 MiB read buffer.
    const lines = ['\uFEFFid,note,city'];
    for (let i = 0; i < 120_000; i++) {
      const note = i % 7 === 0 ? `"line one\r\nline ""two"", ${i}"` : i % 5 === 0 ? '""' : `plain ${i % 50}`;
      lines.push(`${i},${note},${i % 3 === 0 ? 'Zürich' : 'Köln'}`);
    }
    const csv = `${lines.join('\r\n')}\r\n`;

    // Act
    const { file, stream } = await both(csv);

    // Assess
    expect(file.profile.rows).toBe(120_000);
    expect(file.profile.columns).toEqual(stream.profile.columns);
    expect(file.train).toEqual(stream.train);
    expect(file.profile.columns.map((c) => c.name)).toEqual(['id', 'note', 'city']);
    expect(file.profile.columns[2]!.top.map((t) => t.value).sort()).toEqual(['Köln', 'Zürich']);
  });

  it('counts numbers past the distinct cap from their bytes exactly as the row reader counts their text', async () => {
    // Prepare: 40,000 rows of distinct numbers (past the 10,000 counted per column), in the forms
    // the scanner reads from bytes (signs, points, fractions of every length) and, late in the
    // columns (long past their caps), the ones it leaves to the text: an exponent, a leading zero,
    // 16 digits, padding, quotes, null tokens and blanks
    const rows = ['id,amount,code,wide,padded,quoted,gaps'];
    for (let i = 0; i < 40_000; i++) {
      const late = i > 30_000;
      // (its widest fraction, five places, comes late: '.30008')
      const amount =
        i % 7 === 0
          ? `+${i}.5`
          : late && i % 11 === 0
            ? `.${i}`
            : i % 13 === 0
              ? `${i}.`
              : (i * 0.37 - 4000).toFixed(i % 4);
      const code = late && i % 997 === 0 ? '007' : late && i % 499 === 0 ? '1e3' : `${i * 3}`;
      const wide = late && i % 101 === 0 ? `${1234567890123456 + i}` : `${i}.25`;
      const padded = late && i % 89 === 0 ? ` ${i} ` : `-${i}`;
      const gaps = i % 17 === 0 ? '' : late && i % 23 === 0 ? 'NA' : `${i / 8}`;
      rows.push(`${i},${amount},${code},${wide},${padded},"${i}.75",${gaps}`);
    }
    const csv = `${rows.join('\n')}\n`;

    // Act
    const { file, stream } = await both(csv, 'numbers.csv', { trainSampleSize: 500, holdoutSampleSize: 100 });

    // Assess: every figure the same on every path, and the late forms counted as what they are
    expect(file.profile.columns).toEqual(stream.profile.columns);
    expect(file.quantiles).toEqual(stream.quantiles);
    expect(file.profile.duplicateRows).toEqual(stream.profile.duplicateRows);
    const [id, amount, code, wide, padded, quoted, gaps] = stream.profile.columns;
    expect(id).toMatchObject({ kind: 'id', distinctEstimated: true });
    expect(amount).toMatchObject({ kind: 'float', decimals: 5 });
    expect(['integer', 'float']).not.toContain(code!.kind); // '007' is a code, not a number
    expect(wide).toMatchObject({ kind: 'float', decimals: 2 });
    expect(padded!.kind).toBe('integer');
    expect(quoted).toMatchObject({ kind: 'float', decimals: 2 });
    const blanks = rows.filter((row) => row.endsWith(',') || row.endsWith(',NA')).length;
    expect(gaps).toMatchObject({ kind: 'float', nulls: blanks });
  });

  it('matches the stream path on a column of distinct values that comes round again (its cache given up)', async () => {
    // Prepare: 40,000 distinct emails, then the same 40,000 again in the same order
    const rows = ['id,email'];
    for (let i = 0; i < 80_000; i++) rows.push(`${i},user${i % 40_000}@example.com`);

    // Act
    const { file, stream } = await both(`${rows.join('\n')}\n`, 'emails.csv', { trainSampleSize: 2000 });

    // Assess: every repeat counted, as the row reader counts it; the sampled cells of values past
    // the cap (whose entries the scanner does not keep) are those rows' own
    expect(file.profile.columns).toEqual(stream.profile.columns);
    expect(file.profile.duplicateRows).toEqual(stream.profile.duplicateRows);
    expect(file.train.rows).toEqual(stream.train.rows);
    expect(file.holdout.rows).toEqual(stream.holdout.rows);
    for (const [id, email] of file.train.rows) expect(email).toBe(`user${Number(id) % 40_000}@example.com`);
    expect(stream.profile.columns[1]!.distinct).toBeGreaterThan(39_000);
    expect(stream.profile.columns[1]!.distinct).toBeLessThan(41_000);
  });

  it('matches the stream path past the distinct cap (sketched distinct counts and quantiles)', async () => {
    // Prepare: 60,000 distinct floats, each twice, nearly sorted like a time column (0, 1, 0, 1,
    // 2, 3, 2, 3…: a value comes back after another new one, from the scanner's cache)
    const rows = ['x,label'];
    for (let i = 0; i < 120_000; i++) {
      const k = Math.floor(i / 4) * 2 + (i % 2);
      rows.push(`${(k * 0.37).toFixed(2)},k${i % 40}`);
    }

    // Act
    const { file, stream } = await both(`${rows.join('\n')}\n`);

    // Assess
    expect(file.profile.columns).toEqual(stream.profile.columns);
    expect(file.quantiles).toEqual(stream.quantiles);
    expect(file.train.rows).toEqual(stream.train.rows);
    const x = file.profile.columns[0]!;
    expect(Math.abs(x.distinct - 60_000) / 60_000).toBeLessThanOrEqual(0.02);
    const median = file.quantiles[0]!.find(([p]) => p === 0.5)![1];
    expect(Math.abs(median / 0.37 - 30_000) / 60_000).toBeLessThanOrEqual(0.01);
  });

  it('hands what the fast path does not read to the stream path: JSON Lines, stray quotes, TSV', async () => {
    // Prepare
    const csv = 'a,b\n1,x"y\n2,"q"z\n';
    const jsonl = '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n';

    // Act
    const stray = await both(csv);
    const gz = await profileFile(fileOf(gzipSync(csv), 'seed.csv.gz'), 'seed.csv.gz', { seed: 3 });
    const lines = await profileFile(fileOf(jsonl, 'seed.jsonl'), 'seed.jsonl', { seed: 3 });
    const tsv = await both('a\tb\n1\tx\n2\ty\n', 'seed.tsv');
    const gzStream = opener(gzipSync(csv));
    const gzFast = await profileStream(gzStream.open, 'seed.csv.gz', { seed: 3 });
    const linesStream = opener(jsonl);
    const linesFast = await profileStream(linesStream.open, 'seed.jsonl', { seed: 3 });

    // Assess
    expect(stray.file.profile).toEqual(stray.stream.profile);
    expect(stray.file.train).toEqual(stray.stream.train);
    expect(gz.profile.source.compression).toBe('gzip');
    expect(gz.profile.rows).toBe(2);
    expect(lines.profile.source.format).toBe('jsonl');
    expect(tsv.file.profile.source.format).toBe('tsv');
    expect(tsv.file.profile.columns).toEqual(tsv.stream.profile.columns);
    // The stream fast path: opened again only when it gave up midway (the stray quote, gzipped or not).
    expect(stray.opens).toBe(2);
    expect(tsv.opens).toBe(1);
    expect(gzFast.profile).toEqual(gz.profile);
    expect(linesFast.profile).toEqual(lines.profile);
    expect([gzStream.opened.count, linesStream.opened.count]).toEqual([2, 1]);
  });

  it('scans gzipped CSV with the fast path too, as the stream path would read it', async () => {
    // Prepare: the customer sample, gzipped
    const csv = toCsv(sampleCustomers(3000));
    const gzipped = gzipSync(csv);

    // Act
    const { open, opened } = opener(gzipped);
    const fast = await profileStream(open, 'customers.csv.gz', { seed: 3, trainSampleSize: 500 });
    const slow = await profileSource(chunked(gzipped, 4096), 'customers.csv.gz', {
      seed: 3,
      trainSampleSize: 500,
    });
    const file = await profileFile(fileOf(gzipped, 'customers.csv.gz'), 'customers.csv.gz', {
      seed: 3,
      trainSampleSize: 500,
    });

    // Assess: one read, the same profile and samples, the compressed size as the source's bytes
    expect(opened.count).toBe(1);
    expect(fast.profile).toEqual(slow.profile);
    expect(fast.train).toEqual(slow.train);
    expect(fast.holdout).toEqual(slow.holdout);
    expect(fast.profile.source).toMatchObject({ compression: 'gzip', format: 'csv', bytes: gzipped.length });
    expect(file.profile).toEqual(fast.profile);
  });

  it("fails on bad input with the stream path's message naming the row and line", async () => {
    // Prepare
    const ragged = fileOf('a,b\n1,2\n3\n');
    const unterminated = fileOf('a,b\n1,"open\n2,3\n');

    // Act / Assess
    await expect(profileFile(ragged, 'ragged.csv', { seed: 1 })).rejects.toThrow(
      /ragged\.csv: row 2 \(line 3\) has 1 fields, the header has 2/,
    );
    await expect(profileFile(unterminated, 'open.csv', { seed: 1 })).rejects.toBeInstanceOf(BadInputError);
    await expect(profileStream(opener('a,b\n1,2\n3\n').open, 'ragged.csv', { seed: 1 })).rejects.toThrow(
      /ragged\.csv: row 2 \(line 3\) has 1 fields, the header has 2/,
    );
    await expect(
      profileStream(opener('a,b\n1,"open\n2,3\n').open, 'open.csv', { seed: 1 }),
    ).rejects.toBeInstanceOf(BadInputError);
  });
});

describe('profileFile progress', () => {
  it('reports rising byte counts up to the file size, on the chunk path and the stream path (gzip)', async () => {
    // Prepare: flights-200k as CSV (about 4.4 MB) in 1 MiB chunks; three times over gzipped (2.4 MB).
    const csv = vegaCsv('flights-200k.json');
    const plain = fileOf(csv, 'flights.csv');
    const rows = csv.slice(csv.indexOf('\n') + 1);
    const gz = fileOf(gzipSync(csv + rows + rows), 'flights.csv.gz');
    const record = () => {
      const calls: [number, number][] = [];
      return { calls, progress: (done: number, total: number) => calls.push([done, total]) };
    };
    const chunked = record();
    const streamed = record();

    // Act
    const a = await profileFile(plain, 'flights.csv', {
      seed: 1,
      chunkBytes: 1 << 20,
      progress: chunked.progress,
    });
    const b = await profileFile(gz, 'flights.csv.gz', { seed: 1, progress: streamed.progress });

    // Assess
    expect(3 * a.profile.rows).toBe(b.profile.rows);
    for (const [{ calls }, file] of [
      [chunked, plain],
      [streamed, gz],
    ] as const) {
      const size = statSync(file).size;
      expect(calls.length).toBeGreaterThanOrEqual(4);
      expect(calls.every(([, total]) => total === size)).toBe(true);
      expect(calls.every(([done], i) => i === 0 || done >= calls[i - 1]![0])).toBe(true);
      expect(calls.at(-1)).toEqual([size, size]);
      expect(calls[0]![0]).toBeLessThan(size);
    }
  });
});

describe('Reservoir (bottom-k by priority)', () => {
  it('keeps a uniform sample: every decile of the offered rows about equally represented', () => {
    // Prepare
    const reservoir = new Reservoir(1000, createRng(4));

    // Act
    for (let i = 0; i < 200_000; i++) if (reservoir.wants()) reservoir.keep([String(i)]);

    // Assess
    const { rows } = unpack(reservoir.sample());
    const deciles = new Array(10).fill(0);
    for (const row of rows) deciles[Math.floor(Number(row[0]) / 20_000)]++;
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r[0])).size).toBe(1000);
    for (const d of deciles) expect(d).toBeGreaterThan(60);
    for (const d of deciles) expect(d).toBeLessThan(140);
  });

  it('keeps every row while fewer rows than its size are offered', () => {
    // Prepare
    const reservoir = new Reservoir(50, createRng(1));

    // Act
    for (let i = 0; i < 30; i++) if (reservoir.wants()) reservoir.keep([String(i)]);

    // Assess
    expect(unpack(reservoir.sample()).rows.map((r) => r[0])).toEqual(
      Array.from({ length: 30 }, (_, i) => String(i)),
    );
  });

  it('packs its rows to cross threads and gives back the same cells: commas, quotes, escapes, nulls', () => {
    // Prepare: awkward cells, and rows of one cell and of none kept
    const rows: Cell[][] = [
      ['a,b', '"quoted", he said', null],
      ['back\\slash\\', '\\"', 'tab\tnew\nline'],
      ['', 'é ✓ 😀', ','],
    ];
    const wide = new Reservoir(10, createRng(2));
    const narrow = new Reservoir(10, createRng(2));
    const none = new Reservoir(10, createRng(2));

    // Act
    for (const row of rows) if (wide.wants()) wide.keep(row);
    for (const row of rows) if (narrow.wants()) narrow.keep([row[1]!]);

    // Assess
    expect(unpack(wide.sample())).toMatchObject({ rows, offered: 3, threshold: 1 });
    expect(unpack(narrow.sample()).rows).toEqual(rows.map((row) => [row[1]]));
    expect(unpack(none.sample())).toMatchObject({ rows: [], offered: 0 });
  });

  it('started at the rate of a known count, keeps about twice its size and stays uniform', () => {
    // Prepare: 200,000 rows expected and offered; a sample of 1,000
    const reservoir = new Reservoir(1000, createRng(5), sampleRate(1000, 200_000));
    let kept = 0;

    // Act
    for (let i = 0; i < 200_000; i++) {
      if (!reservoir.wants()) continue;
      kept++;
      reservoir.keep([String(i)]);
    }

    // Assess: about 2,000 rows kept (a rate of 1 %), where a rate of 1 keeps every row until 2,000 and
    // about 1,000 x log2(100) more
    expect(kept).toBeGreaterThan(1800);
    expect(kept).toBeLessThan(2200);
    const { rows } = unpack(reservoir.sample());
    expect(rows).toHaveLength(1000);
    const deciles = new Array(10).fill(0);
    for (const row of rows) deciles[Math.floor(Number(row[0]) / 20_000)]++;
    for (const d of deciles) expect(d).toBeGreaterThan(60);
    for (const d of deciles) expect(d).toBeLessThan(140);
  });

  it('falls short, still uniform, when far fewer rows come than its rate expected', () => {
    // Prepare: a rate for 1,000,000 rows; 100,000 come
    const reservoir = new Reservoir(1000, createRng(6), sampleRate(1000, 1_000_000));

    // Act
    for (let i = 0; i < 100_000; i++) if (reservoir.wants()) reservoir.keep([String(i)]);

    // Assess: about 200 rows (2,000 per million), from every part of the rows
    const { rows, offered } = unpack(reservoir.sample());
    expect(offered).toBe(100_000);
    expect(rows.length).toBeGreaterThan(150);
    expect(rows.length).toBeLessThan(250);
    expect(rows.some((row) => Number(row[0]) < 20_000)).toBe(true);
    expect(rows.some((row) => Number(row[0]) >= 80_000)).toBe(true);
  });

  it('splits rows into a disjoint ~20 % holdout by their global index', () => {
    // Act
    const inHoldout = holdoutSplitter(9, 0.2);
    let held = 0;
    for (let i = 0; i < 100_000; i++) if (inHoldout(i)) held++;

    // Assess
    expect(held / 100_000).toBeGreaterThan(0.19);
    expect(held / 100_000).toBeLessThan(0.21);
  });
});
