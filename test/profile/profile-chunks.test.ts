import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { parseCsv } from '../../src/formats/csv.ts';
import { ColumnStats, DISTINCT_CAP, mix32 } from '../../src/profile/infer.ts';
import {
  ChunkPool,
  type ChunkTask,
  chunkRanges,
  mergeSamples,
  parquetParts,
  Reservoir,
  transferables,
  UNPACK_BATCH,
  unpack,
  unpackWhile,
} from '../../src/profile/profile-chunks.ts';
import { profileFile, profileSource } from '../../src/profile/profile-seed.ts';
import type { WorkerScript } from '../../src/profile/worker-bundle.ts';
import { createRng, hash32 } from '../../src/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'doppel-chunks-'));

const stream = async function* (path: string) {
  yield new Uint8Array(readFileSync(path));
};

/** Rows with quoted fields holding delimiters, doubled quotes and line breaks (LF and CRLF). */
const trickyCsv = (rows: number, seed: number): string => {
  const rng = createRng(seed);
  const words = ['alpha', 'beta, gamma', 'say "hi"', 'two\nlines', 'crlf\r\ninside', 'plain'];
  const lines = ['id,amount,note,city,when'];
  for (let i = 0; i < rows; i++) {
    const word = words[rng.int(words.length)]!;
    const note = /[",\n\r]/.test(word) ? `"${word.replaceAll('"', '""')}"` : word;
    const amount = rng.next() < 0.05 ? '' : (rng.normal() * 100).toFixed(2);
    const city = ['Oslo', 'Lima', 'Pune', 'Kiev'][rng.int(4)];
    const day = `2024-0${1 + rng.int(9)}-1${rng.int(9)}`;
    lines.push(`${i},${amount},${note},${city},${day}`);
  }
  return `${lines.join('\n')}\n`;
};

const sortRows = (rows: (string | null)[][]) => rows.map((r) => JSON.stringify(r)).sort();

describe('profileFile in chunks (byte ranges on worker threads)', () => {
  it('reads every row exactly once when quoted line breaks straddle the chunk boundaries', async () => {
    // Prepare: 4 KiB chunks over ~300 KiB, so dozens of boundaries, many inside quoted fields
    const path = join(dir, 'tricky.csv');
    writeFileSync(path, trickyCsv(8000, 1));
    const table = parseCsv(readFileSync(path, 'utf8'));

    // Act
    const chunked = await profileFile(path, 'tricky.csv', { seed: 7, threads: 2, chunkBytes: 4096 });

    // Assess: the samples hold every row (fewer rows than their sizes), so together they are the file
    expect(chunked.profile.rows).toBe(8000);
    expect(sortRows([...chunked.train.rows, ...chunked.holdout.rows])).toEqual(
      sortRows(table.rows.map((row) => row.map((cell) => (cell === '' ? null : cell)))),
    );
    const holdoutShare = chunked.holdout.rows.length / 8000;
    expect(holdoutShare).toBeGreaterThan(0.17);
    expect(holdoutShare).toBeLessThan(0.23);
  });

  it('gives the same statistics as one streaming pass, and the same result on 1 thread as on 2', async () => {
    // Prepare
    const path = join(dir, 'same.csv');
    writeFileSync(path, trickyCsv(20_000, 2));

    // Act
    const one = await profileSource(stream(path), 'same.csv', { seed: 3 });
    const twoThreads = await profileFile(path, 'same.csv', { seed: 3, threads: 2, chunkBytes: 64 << 10 });
    const oneThread = await profileFile(path, 'same.csv', { seed: 3, threads: 1, chunkBytes: 64 << 10 });

    // Assess: counts, ranges and kinds as one pass; moments within rounding
    const strip = ({ mean, std, ...rest }: (typeof one.profile.columns)[number]) => rest;
    expect(twoThreads.profile.columns.map(strip)).toEqual(one.profile.columns.map(strip));
    one.profile.columns.forEach((column, i) => {
      const other = twoThreads.profile.columns[i]!;
      if (column.mean !== undefined) expect(other.mean).toBeCloseTo(column.mean, 9);
      if (column.std !== undefined) expect(other.std).toBeCloseTo(column.std, 9);
    });
    expect(twoThreads.profile.rows).toBe(one.profile.rows);
    // The chunking depends on the file alone: threads change nothing, samples included
    expect(oneThread.profile).toEqual(twoThreads.profile);
    expect(oneThread.train.rows).toEqual(twoThreads.train.rows);
    expect(oneThread.holdout.rows).toEqual(twoThreads.holdout.rows);
  });

  it('gives the same result when this thread scans the first of two chunks beside one worker', async () => {
    // Prepare: two chunks for two threads, so this thread takes the first one itself
    const path = join(dir, 'two-chunks.csv');
    writeFileSync(path, trickyCsv(20_000, 5));
    const half = Math.ceil(statSync(path).size / 2);

    // Act
    const shared = await profileFile(path, 'two-chunks.csv', { seed: 5, threads: 2, chunkBytes: half });
    const alone = await profileFile(path, 'two-chunks.csv', { seed: 5, threads: 1, chunkBytes: half });

    // Assess
    expect(shared.profile.rows).toBe(20_000);
    expect(shared.profile).toEqual(alone.profile);
    expect(shared.train.rows).toEqual(alone.train.rows);
    expect(shared.holdout.rows).toEqual(alone.holdout.rows);
  });

  it('starts its threads from the first bytes, and closes them whichever way the seed is then read', async () => {
    // Prepare: a CSV and a JSON Lines file of two chunks each, and a CSV the fast path declines
    const csv = join(dir, 'early.csv');
    writeFileSync(csv, trickyCsv(20_000, 8));
    const jsonl = join(dir, 'early.jsonl');
    writeFileSync(
      jsonl,
      `${Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, tier: i % 3 })).join('\n')}\n`,
    );
    const stray = join(dir, 'stray.csv');
    writeFileSync(
      stray,
      `a,b\n${Array.from({ length: 20_000 }, (_, i) => `${i},x${i === 15_000 ? '"' : ''}`).join('\n')}\n`,
    );
    const latin1 = join(dir, 'latin1.csv');
    writeFileSync(
      latin1,
      Buffer.from(
        `a,b\n${Array.from({ length: 20_000 }, (_, i) => `${i},caf\u00e9`).join('\n')}\n`,
        'latin1',
      ),
    );
    const start = vi.spyOn(ChunkPool, 'start');
    const close = vi.spyOn(ChunkPool.prototype, 'close');
    const profile = async (path: string) => {
      start.mockClear();
      close.mockClear();
      const half = Math.ceil(statSync(path).size / 2);
      const { profile } = await profileFile(path, path, { seed: 1, threads: 2, chunkBytes: half });
      const pools = await Promise.all(start.mock.results.map((r) => r.value as Promise<ChunkPool>));
      return { rows: profile.rows, started: pools.length, closed: new Set(close.mock.contexts).size };
    };

    try {
      // Act
      const [delimited, lines, declined, decoded] = [
        await profile(csv),
        await profile(jsonl),
        await profile(stray),
        await profile(latin1),
      ];

      // Assess: one pool each, started from the first bytes and closed, whether the chunks used it,
      // the fast path declined a chunk, or the encoding sent the seed to the row reader before any
      expect(delimited).toEqual({ rows: 20_000, started: 1, closed: 1 });
      expect(lines).toEqual({ rows: 20_000, started: 1, closed: 1 });
      expect(declined).toEqual({ rows: 20_000, started: 1, closed: 1 });
      expect(decoded).toEqual({ rows: 20_000, started: 1, closed: 1 });
    } finally {
      start.mockRestore();
      close.mockRestore();
    }
  });

  it('samples a file of several chunks at the rate its size calls for: full samples, every part represented', async () => {
    // Prepare: 200,000 rows of even length, in 4 chunks
    const path = join(dir, 'rated.csv');
    writeFileSync(path, `i,v\n${Array.from({ length: 200_000 }, (_, i) => `${100_000 + i},x`).join('\n')}\n`);

    // Act
    const { profile, train, holdout } = await profileFile(path, 'rated.csv', {
      seed: 4,
      threads: 2,
      chunkBytes: (statSync(path).size >> 2) + 1,
      trainSampleSize: 2000,
      holdoutSampleSize: 500,
    });

    // Assess: samples of the size asked, no warning, rows from every quarter of the file
    expect(train.rows).toHaveLength(2000);
    expect(holdout.rows).toHaveLength(500);
    expect(profile.warnings).toEqual([]);
    const quarters = new Array(4).fill(0);
    for (const row of train.rows) quarters[Math.floor((Number(row[0]) - 100_000) / 50_000)]++;
    for (const q of quarters) expect(q).toBeGreaterThan(400);
  });

  it('takes a record of several lines (a quoted note) for one row when it sets the rate: full samples', async () => {
    // Prepare: every record's note spans six lines
    const note = (i: number) => `"line one of ${i}\nline two\nline three\nline four\nline five\nline six"`;
    const path = join(dir, 'multiline.csv');
    writeFileSync(
      path,
      `id,note\n${Array.from({ length: 60_000 }, (_, i) => `${i},${note(i)}`).join('\n')}\n`,
    );

    // Act
    const { profile, train, holdout } = await profileFile(path, 'multiline.csv', {
      seed: 1,
      threads: 2,
      chunkBytes: 1 << 20,
      trainSampleSize: 5000,
      holdoutSampleSize: 1000,
    });

    // Assess: counted as six short lines each, the rate would have kept about a third of this
    expect(profile.rows).toBe(60_000);
    expect(train.rows).toHaveLength(5000);
    expect(holdout.rows).toHaveLength(1000);
    expect(profile.warnings).toEqual([]);
  });

  it('says so when the rows run longer than the first lines and its samples come out short', async () => {
    // Prepare: 64 KiB of 6-byte rows, then rows of 400 bytes: the first lines promise far more rows
    const short = Array.from({ length: 12_000 }, (_, i) => `${i % 10},abcd`);
    const long = Array.from({ length: 8000 }, (_, i) => `${i % 10},${'y'.repeat(398)}`);
    const path = join(dir, 'longer-later.csv');
    writeFileSync(path, `n,s\n${[...short, ...long].join('\n')}\n`);

    // Act
    const { profile, train } = await profileFile(path, 'longer-later.csv', {
      seed: 2,
      threads: 2,
      chunkBytes: 1 << 20,
      trainSampleSize: 5000,
    });

    // Assess: fewer rows than asked (a uniform sample at the rate set), and a warning that says why
    expect(train.rows.length).toBeLessThan(5000);
    expect(profile.warnings.join(' ')).toContain('the train sample holds');
    expect(profile.warnings.join(' ')).toContain('rows ran longer than its first lines');
  });

  it('merges sketches past the distinct cap: quantiles within 1 % rank, distinct count within 2 %', async () => {
    // Prepare: 300,000 distinct floats, far past the 10,000 counted exactly per chunk
    const rng = createRng(11);
    const values = Array.from({ length: 300_000 }, () => Math.exp(rng.normal()).toFixed(6));
    const path = join(dir, 'wide-range.csv');
    writeFileSync(path, `x\n${values.join('\n')}\n`);
    const sorted = values.map(Number).sort((a, b) => a - b);

    // Act
    const { profile, quantiles } = await profileFile(path, 'wide-range.csv', {
      seed: 1,
      threads: 2,
      chunkBytes: 512 << 10,
    });

    // Assess
    const column = profile.columns[0]!;
    const distinct = new Set(values).size;
    expect(Math.abs(column.distinct - distinct) / distinct).toBeLessThan(0.02);
    for (const [p, x] of quantiles[0]!) {
      const rank = sorted.findIndex((v) => v >= x) / sorted.length;
      expect(Math.abs(rank - p)).toBeLessThan(0.01);
    }
    expect(column.min).toBe(sorted[0]);
    expect(column.max).toBe(sorted[sorted.length - 1]);
  });

  it('raises a duplicate-rows alert with the exact count, chunked or not', async () => {
    // Prepare: 3 rows repeated (one of them twice) among 5,000 distinct rows
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},${i % 7},x${i % 13}`);
    rows.push(rows[10]!, rows[20]!, rows[20]!, rows[4000]!);
    const path = join(dir, 'dupes.csv');
    writeFileSync(path, `a,b,c\n${rows.join('\n')}\n`);

    // Act
    const chunked = await profileFile(path, 'dupes.csv', { seed: 1, threads: 2, chunkBytes: 8192 });
    const streamed = await profileSource(stream(path), 'dupes.csv', { seed: 1 });

    // Assess
    for (const { profile } of [chunked, streamed]) {
      expect(profile.duplicateRows).toEqual({ count: 4, estimated: false });
      expect(profile.alerts).toEqual(['duplicate-rows: 4 rows (<1%) repeat an earlier row']);
    }
  });

  it('finds a frequent value that first appears past the distinct cap (Space-Saving), chunked or not', async () => {
    // Prepare: 12,000 codes seen 3 times each (a category column past the 10,000 counted exactly),
    // then 'HOT' 600 times among 3,000 one-off codes
    const codes = Array.from({ length: 36_000 }, (_, i) => `c${Math.floor(i / 3)}`);
    for (let i = 0; i < 3600; i++) codes.push(i % 6 === 0 ? 'HOT' : `d${i}`);
    const path = join(dir, 'late-hitter.csv');
    writeFileSync(path, `code,n\n${codes.map((c, i) => `${c},${i % 3}`).join('\n')}\n`);

    // Act
    const chunked = await profileFile(path, 'late-hitter.csv', { seed: 1, threads: 2, chunkBytes: 32 << 10 });
    const streamed = await profileSource(stream(path), 'late-hitter.csv', { seed: 1 });

    // Assess: HOT leads the most frequent values, with no more occurrences than it has
    for (const { profile } of [chunked, streamed]) {
      const top = profile.columns[0]!.top;
      expect(top[0]!.value).toBe('HOT');
      expect(top[0]!.count).toBeGreaterThan(500);
      expect(top[0]!.count).toBeLessThanOrEqual(600);
    }
  });

  it('adds up a frequent value one chunk counted exactly and the other only sketched, whatever its hash', async () => {
    // Prepare: a value whose hash has its top bit set (a hash that crossed from a worker was once
    // read back signed, and then missed the same value's counter on this thread); the first half
    // is 12,000 codes seen 3 times each, then the value 300 times (past the cap: sketched); the
    // second half has it 300 times first (counted exactly), then 12,000 more codes
    const hot = ['HOT', 'HOT1', 'HOT2', 'HOT3', 'HOT4', 'HOT5'].find((v) => mix32(hash32(v)) >= 2 ** 31)!;
    const codes = (prefix: string) =>
      Array.from({ length: 36_000 }, (_, i) => `${prefix}${Math.floor(i / 3)}`);
    const first = [...codes('a'), ...Array(300).fill(hot)];
    const second = [...Array(300).fill(hot), ...codes('b')];
    const path = join(dir, 'hot-in-both.csv');
    const half = `code\n${first.join('\n')}\n`;
    writeFileSync(path, `${half}${second.join('\n')}\n`);

    // Act: two chunks, cut where the halves meet
    const chunked = await profileFile(path, 'hot-in-both.csv', {
      seed: 1,
      threads: 2,
      chunkBytes: half.length - 5,
    });
    const streamed = await profileSource(stream(path), 'hot-in-both.csv', { seed: 1 });

    // Assess: one counter for the value, with all 600 of its rows, chunked as streamed
    for (const { profile } of [chunked, streamed]) {
      const top = profile.columns[0]!.top;
      expect(top.filter((t) => t.value === hot)).toEqual([{ value: hot, count: 600 }]);
    }
  });

  it('raises no duplicate-rows alert on a table without repeated rows', async () => {
    const path = join(dir, 'unique.csv');
    writeFileSync(path, `a,b\n${Array.from({ length: 3000 }, (_, i) => `${i % 10},${i}`).join('\n')}\n`);

    const { profile } = await profileFile(path, 'unique.csv', { seed: 1 });

    expect(profile.duplicateRows).toEqual({ count: 0, estimated: false });
    expect(profile.alerts).toEqual([]);
  });
});

describe('chunkRanges', () => {
  it('cuts the data bytes into ranges that cover them exactly, sized by the file alone', () => {
    const ranges = chunkRanges(100, 1000, 300);
    expect(ranges).toEqual([
      [100, 400],
      [400, 700],
      [700, 1000],
    ]);
    // Default: 2 chunks under about 1.5 GB, else 4 (one per thread at most), at least 16 MiB each
    expect(chunkRanges(10, 10 + 1.1e9)).toHaveLength(2);
    expect(chunkRanges(10, 10 + 2.2e9)).toHaveLength(4);
    expect(chunkRanges(10, 10 + 40e9)).toHaveLength(4);
    expect(chunkRanges(10, 10 + 106e6)).toHaveLength(2);
    expect(chunkRanges(10, 10 + 20e6)).toHaveLength(2);
    expect(chunkRanges(10, 10)).toEqual([[10, 10]]);
  });

  it('gives the first chunk of an automatic cut a lead (this thread scans it, and starts first)', () => {
    // 106 MB: 3 MiB ahead of an even cut; 20 MB (16 MiB, then the rest): a quarter of the second ahead
    const [first, second] = chunkRanges(0, 106e6);
    expect(first![1] - first![0]).toBe(53e6 + (3 << 20));
    expect(second).toEqual([53e6 + (3 << 20), 106e6]);
    const [, small] = chunkRanges(0, 20e6);
    expect(small![1] - small![0]).toBe(Math.ceil((20e6 - (16 << 20)) * 0.75));
  });
});

describe('profileFile on JSON Lines in chunks (byte ranges on worker threads)', () => {
  /** Lines of varied lengths: multi-byte text, nested values, nulls, CRLF and blank lines here and there. */
  const jsonLines = (rows: number, seed: number): string => {
    const rng = createRng(seed);
    const words = ['Zoë', 'naïve café', '東京', 'plain', 'a "quoted" word', 'tab\there', 'x'.repeat(300)];
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const record = {
        id: i,
        word: words[rng.int(words.length)],
        amount: rng.next() < 0.1 ? null : Number((rng.normal() * 100).toFixed(2)),
        tags: rng.next() < 0.5 ? ['a', i % 3] : { k: i % 5 },
        ok: i % 4 === 0,
      };
      // One line of 2.5 MB: ranges start inside it, and their first read holds no line feed.
      if (i === 3000) record.word = 'y'.repeat(2_500_000);
      lines.push(JSON.stringify(record) + (rng.next() < 0.2 ? '\r' : ''));
      if (rng.next() < 0.02) lines.push('  ');
    }
    return `${lines.join('\n')}${seed % 2 === 0 ? '\n' : ''}`;
  };

  it('reads every line exactly once, wherever the boundaries fall, and profiles as the row reader does', async () => {
    // Prepare: 3 KiB chunks over ~3 MB (a file without a final line feed)
    const path = join(dir, 'lines.jsonl');
    writeFileSync(path, jsonLines(6000, 1));
    // Act
    const two = await profileFile(path, 'lines.jsonl', { seed: 7, threads: 2, chunkBytes: 3072 });
    const one = await profileFile(path, 'lines.jsonl', { seed: 7, threads: 1, chunkBytes: 3072 });
    const rows = await profileSource(stream(path), 'lines.jsonl', { seed: 7 });
    // Assess: the samples hold every row (fewer rows than their sizes), so together they are the file
    expect(two.profile.rows).toBe(6000);
    expect(sortRows([...two.train.rows, ...two.holdout.rows])).toEqual(
      sortRows([...rows.train.rows, ...rows.holdout.rows]),
    );
    expect(two.profile).toEqual(one.profile);
    expect(two.profile.source).toEqual(rows.profile.source);
    expect(two.profile.columns).toEqual(rows.profile.columns);
  });

  it('leaves a bad line or a late key to the row reader, which names its line', async () => {
    // Prepare: past the first chunk, a line that is no JSON, and (elsewhere) a key the first lines lack
    const lines = jsonLines(4000, 2).split('\n');
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, [...lines.slice(0, 3000), '{"id": 1,', ...lines.slice(3000)].join('\n'));
    const late = join(dir, 'late.jsonl');
    writeFileSync(late, [...lines.slice(0, 3000), '{"id": 1, "extra": 2}', ...lines.slice(3000)].join('\n'));
    // Act and assess, one run at a time (a second run left pending would reject unheard)
    await expect(profileFile(bad, 'bad.jsonl', { seed: 7, threads: 2, chunkBytes: 4096 })).rejects.toThrow(
      /bad\.jsonl: line 30\d\d is not valid JSON/,
    );
    await expect(profileFile(late, 'late.jsonl', { seed: 7, threads: 2, chunkBytes: 4096 })).rejects.toThrow(
      /late\.jsonl: line 30\d\d has key "extra"/,
    );
  });
});

describe('parquetParts', () => {
  const groups = (rows: number[]) => rows.map((n, g) => ({ rows: n, offset: 4 + 1000 * g }));

  it('cuts a Parquet file into runs of whole row groups that cover it, by its cells alone', () => {
    // flights-3m: 11 groups of about 272,727 rows, 5 columns: two chunks of 6 and 5 groups.
    const flights = groups([...Array(10).fill(272_727), 272_730]);
    const parts = parquetParts(flights, 5, 11_004);
    expect(parts).toEqual([
      { groups: [0, 6], range: [4, 6004] },
      { groups: [6, 11], range: [6004, 11_004] },
    ]);
    // Few cells: one chunk (as delimited text under 32 MiB); never more chunks than groups; 4 at most.
    expect(parquetParts(groups([100_000, 100_000]), 10, 2004)).toHaveLength(1);
    expect(parquetParts(groups([3_000_000]), 5, 1004)).toEqual([{ groups: [0, 1], range: [4, 1004] }]);
    expect(parquetParts(groups(Array(40).fill(10_000_000)), 20, 40_004)).toHaveLength(4);
  });

  it('gives each chunk about an even share of the rows, whatever the groups weigh', () => {
    // Act
    const parts = parquetParts(groups([5e6, 1e6, 1e6, 1e6, 1e6, 1e6]), 8, 6004);
    // Assess: every group once, in order; the big group alone, the rest together.
    expect(parts.map((p) => p.groups)).toEqual([
      [0, 1],
      [1, 6],
    ]);
  });
});

describe('profileFile on a Parquet file in chunks (runs of row groups on worker threads)', () => {
  const FLIGHTS = 'node_modules/vega-datasets/data/flights-3m.parquet';

  it('gives the same profile and samples on 1 thread as on 2, and the statistics of one pass', async () => {
    // Prepare: the row reader's single pass over the same file.
    const { size } = statSync(FLIGHTS);
    const headway: number[] = [];
    // Act
    const one = await profileFile(FLIGHTS, 'flights.parquet', { seed: 3, threads: 1 });
    const two = await profileFile(FLIGHTS, 'flights.parquet', {
      seed: 3,
      threads: 2,
      progress: (done) => headway.push(done),
    });
    const pass = await profileSource(stream(FLIGHTS), 'flights.parquet', { seed: 3 });
    // Assess
    expect(two.profile).toEqual(one.profile);
    expect(two.train).toEqual(one.train);
    expect(two.holdout).toEqual(one.holdout);
    expect(two.profile.rows).toBe(3_000_000);
    expect(two.profile.source).toMatchObject({ format: 'parquet', bytes: size });
    // Exact figures agree with one pass; the distinct count of a column past the cap is an estimate.
    const exact = (p: typeof pass) =>
      p.profile.columns.map(({ name, kind, count, nulls, min, max }) => ({
        name,
        kind,
        count,
        nulls,
        min,
        max,
      }));
    expect(exact(two)).toEqual(exact(pass));
    expect(two.profile.columns.map((c) => c.distinct)).toEqual(pass.profile.columns.map((c) => c.distinct));
    expect(headway.at(-1)).toBe(size);
    expect(headway.every((b, i) => i === 0 || b >= headway[i - 1]!)).toBe(true);
  }, 60_000);
});

describe('merging partial statistics', () => {
  it('gives the statistics of the whole column from those of its two halves', () => {
    // Prepare
    const rng = createRng(5);
    const values = Array.from({ length: 4000 }, (_, i) =>
      i % 97 === 0 ? null : (rng.normal() * 3).toFixed(3),
    );
    const whole = new ColumnStats('x');
    const first = new ColumnStats('x');
    const second = new ColumnStats('x');
    values.forEach((v, i) => {
      whole.add(v);
      (i < 1500 ? first : second).add(v);
    });

    // Act
    first.merge(second);

    // Assess
    const a = whole.summarize(whole.infer(), { keepTop: true });
    const b = first.summarize(first.infer(), { keepTop: true });
    expect(first.infer()).toEqual(whole.infer());
    expect({ ...b, mean: 0, std: 0, skewness: 0 }).toEqual({ ...a, mean: 0, std: 0, skewness: 0 });
    expect(b.mean).toBeCloseTo(a.mean!, 10);
    expect(b.std).toBeCloseTo(a.std!, 10);
    expect(b.skewness).toBeCloseTo(a.skewness!, 8);
  });

  it('merges a part as it crossed a thread (counts as arrays) exactly as the same part revived whole', () => {
    // Prepare: a first part past its distinct cap, a second with values of both (repeats, new ones,
    // null tokens), and a first part under the cap, each merged with the second part both ways
    const part = (from: number, to: number) => {
      const stats = new ColumnStats('code');
      for (let i = from; i < to; i++) stats.add(i % 7 === 0 ? 'NA' : `c${i}`);
      return stats;
    };
    const crossed = (stats: ColumnStats, counts: boolean) =>
      ColumnStats.revive(structuredClone(stats.wire()), counts);
    const summaries = [0, DISTINCT_CAP - 3000].map((start) => {
      const [whole, arrays] = [true, false].map((counts) => {
        const first = part(start, DISTINCT_CAP + 2000);
        first.merge(crossed(part(5000, 40_000), counts));
        const inferred = first.infer();
        return { inferred, summary: first.summarize(inferred, { keepTop: true }) };
      });
      return { whole: whole!, arrays: arrays! };
    });

    // Assess: the same figures either way, past the cap and under it
    for (const { whole, arrays } of summaries) expect(arrays).toEqual(whole);
    // (the second first part reaches its cap within the merge)
    expect(summaries.map((s) => s.whole.summary.distinctEstimated)).toEqual([true, true]);
    expect(summaries[0]!.whole.summary.top.length).toBeGreaterThan(0);
  });

  it('rules a kind out when either half rules it out', () => {
    const first = new ColumnStats('n');
    const second = new ColumnStats('n');
    for (const v of ['1', '2', '3']) first.add(v);
    for (const v of ['4', 'five']) second.add(v);

    first.merge(second);

    expect(first.infer().kind).not.toBe('integer');
  });

  it('draws a merged sample in proportion to the rows behind each part', () => {
    // Prepare: part A stands for 1,000 rows, part B for 3,000; each keeps 200
    const part = (rows: number, label: string, seed: number) => {
      const reservoir = new Reservoir(200, createRng(seed));
      for (let i = 0; i < rows; i++) if (reservoir.wants()) reservoir.keep([label]);
      return unpack(reservoir.sample());
    };
    let fromA = 0;

    // Act
    for (let seed = 0; seed < 50; seed++) {
      const merged = mergeSamples(part(1000, 'a', 2 * seed), part(3000, 'b', 2 * seed + 1), 200);
      expect(merged.rows).toHaveLength(200);
      expect(merged.offered).toBe(4000);
      fromA += merged.rows.filter((r) => r[0] === 'a').length;
    }

    // Assess: a quarter of the rows come from A
    expect(fromA / (50 * 200)).toBeGreaterThan(0.23);
    expect(fromA / (50 * 200)).toBeLessThan(0.27);
  });

  it('decodes a sample a batch at a time until told to stop, and unpack finishes it alike', async () => {
    // Prepare: 10,000 records end to end in one buffer (quotes, a doubled quote, a blank field)
    const lines = Array.from({ length: 10_000 }, (_, i) => `${i},"name ${i % 7}",,"say ""${i % 3}"""`);
    const bytes = new Uint8Array(Buffer.from(lines.join('')));
    const ends = new Int32Array(lines.length);
    for (let i = 0, to = 0; i < lines.length; i++) ends[i] = to += lines[i]!.length;
    const n = lines.length;
    const sample = {
      rows: [],
      records: { bytes, ends },
      offered: n,
      priorities: new Float64Array(n),
      threshold: 1,
    };
    let looks = 0;

    // Act: told to stop at its third look (one before it starts, one after each batch)
    const partial = await unpackWhile(sample, ',', () => ++looks < 3);

    // Assess: two batches decoded, the rest still records; unpack gives every row's cells
    const decoded = partial.rows.filter((row) => Array.isArray(row)).length;
    expect(decoded).toBe(2 * UNPACK_BATCH);
    expect(partial.rows[0]).toEqual(['0', 'name 0', null, 'say "0"']);
    expect(partial.rows[2 * UNPACK_BATCH]).toBeUndefined();
    const whole = unpack(partial, ',').rows;
    expect(whole).toEqual(unpack(sample, ',').rows);
    expect(whole[9999]).toEqual(['9999', 'name 3', null, 'say "0"']);
  });

  it('merges into the rows of smallest priority under both thresholds, in order', () => {
    // Prepare: A holds every row under 0.5, B every row under 0.3
    const a = {
      rows: ['a1', 'a2', 'a3'],
      offered: 10,
      priorities: Float64Array.of(0.4, 0.1, 0.25),
      threshold: 0.5,
    };
    const b = { rows: ['b1', 'b2'], offered: 10, priorities: Float64Array.of(0.05, 0.2), threshold: 0.3 };

    // Act
    const three = mergeSamples(a, b, 3);
    const all = mergeSamples(a, b, 10);

    // Assess: a1 (0.4) is over B's threshold; of the rest, the three smallest, A's before B's
    expect(three).toMatchObject({ rows: ['a2', 'b1', 'b2'], offered: 20, threshold: 0.25 });
    expect(all).toMatchObject({ rows: ['a2', 'a3', 'b1', 'b2'], threshold: 0.3 });
  });
});

describe('transferables', () => {
  it("hands over a reply's own buffers, and no slice of a shared one", async () => {
    // Prepare: a reply as a chunk's (a sketch in a class, records, a count), plus a small Buffer
    // (a slice of Node's pool, which cannot be transferred) and a view of part of a buffer
    class Sketch {
      registers = new Uint8Array(16).fill(3);
    }
    const records = { bytes: new Uint8Array([1, 2, 3]), ends: Int32Array.of(1, 3) };
    const shared = new Float64Array(8);
    const reply = {
      stats: [{ sketch: new Sketch(), values: ['a', 'b'] }],
      train: { rows: [], records, priorities: shared.subarray(0, 2) },
      key: Buffer.from('small'),
      rows: 2,
    };

    // Act
    const list = transferables(reply);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<typeof reply>((resolve) => port2.once('message', resolve));
    port1.postMessage(reply, list);
    const copy = await received;
    port1.close();

    // Assess: the three owned buffers moved (the sender's views emptied), the rest was copied
    expect(list).toHaveLength(3);
    expect(records.bytes.length).toBe(0);
    expect(shared.length).toBe(8);
    expect([...copy.stats[0]!.sketch.registers]).toEqual(new Array(16).fill(3));
    expect([...copy.train.records.ends]).toEqual([1, 3]);
    expect(Buffer.from(copy.key).toString()).toBe('small');
  });
});

describe('ChunkPool', () => {
  it('outlives a thread that fails while idle (an unheard error event would end the process)', async () => {
    // Prepare: two threads that each fail 100 ms after they start; one chunk, answered at once
    const code = `
      const { parentPort } = require('node:worker_threads');
      setTimeout(() => { throw new Error('failed while idle'); }, 100);
      parentPort.on('message', () => parentPort.postMessage({ ok: false, message: 'declined' }));`;
    const pool = await ChunkPool.start(2, 16, 4, code);

    // Act: the idle thread fails while this waits
    const outcome = await pool.run({ index: 0 } as ChunkTask);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pool.close();

    // Assess: the reply came through, and nothing was thrown past the pool (vitest fails a run on it)
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : String(outcome.error)).toContain('declined');
  });

  it('starts its threads while their script loads, and leaves none running where it fails to load', async () => {
    // Prepare: a script that does not exist (no prebuilt file, nothing to bundle)
    const terminate = vi.spyOn(Worker.prototype, 'terminate');

    // Act
    const started = ChunkPool.start(2, 16, 4, undefined, 'no-such-worker' as WorkerScript);

    // Assess: the start fails, and both threads it had started are ended
    await expect(started).rejects.toThrow();
    expect(terminate).toHaveBeenCalledTimes(2);
    terminate.mockRestore();
  });

  it('answers a chunk sent after every thread failed while idle, instead of keeping it waiting', async () => {
    // Prepare: threads whose script fails as it loads; both are gone before the chunk comes
    const pool = await ChunkPool.start(2, 16, 4, `throw new Error('broken script');`);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act
    const outcome = await pool.run({ index: 0 } as ChunkTask);
    await pool.close();

    // Assess: the chunk failed with the threads' error (its caller then scans it on its own thread)
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : String(outcome.error)).toContain('broken script');
  }, 10_000);

  it('answers a chunk whose thread ends without a reply or an error, instead of keeping it waiting', async () => {
    // Prepare: threads whose script exits on the first chunk it is sent
    const code = `
      const { parentPort } = require('node:worker_threads');
      parentPort.on('message', () => process.exit(0));`;
    const pool = await ChunkPool.start(2, 16, 4, code);

    // Act
    const outcome = await pool.run({ index: 0 } as ChunkTask);
    await pool.close();

    // Assess: the chunk failed, saying why (its caller then scans it on its own thread)
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : String(outcome.error)).toContain('ended (exit code 0) before it replied');
  }, 10_000);

  it('answers a chunk sent after every thread ended while idle without an error', async () => {
    // Prepare: threads whose script exits 100 ms after it starts unless a chunk came first
    const code = `
      const { parentPort } = require('node:worker_threads');
      const idle = setTimeout(() => process.exit(0), 100);
      parentPort.on('message', () => {
        clearTimeout(idle);
        parentPort.postMessage({ ok: false, message: 'declined' });
      });`;
    const pool = await ChunkPool.start(2, 16, 4, code, undefined, 200);
    // Both gone: each has left the pool, or (were it kept) has no thread id left
    const idle = (pool as unknown as { idle: Worker[] }).idle;
    for (let waited = 0; waited < 5000 && !idle.every((w) => w.threadId < 0); waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));

    // Act
    const outcome = await pool.run({ index: 0 } as ChunkTask);
    await pool.close();

    // Assess: a thread started for the chunk answered it (the two gone were not sent it)
    expect(outcome.ok ? '' : String(outcome.error)).toContain('declined');
  }, 10_000);

  it('fails a chunk whose reply cannot be read on this thread, instead of keeping it waiting', async () => {
    // Prepare: threads that never answer; the reply's deserialization fails (Node's 'messageerror')
    const code = `require('node:worker_threads').parentPort.on('message', () => {});`;
    const pool = await ChunkPool.start(1, 16, 4, code, undefined, 200);
    const running = pool.run({ index: 0 } as ChunkTask);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Act
    for (const worker of (pool as unknown as { busy: Set<Worker> }).busy)
      worker.emit('messageerror', new Error('could not deserialize the reply'));
    const outcome = await running;
    await pool.close();

    // Assess
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : String(outcome.error)).toContain('could not deserialize');
  }, 10_000);

  it('leaves behind a thread that does not end even when terminated, instead of waiting for good', async () => {
    // Prepare: threads that, told to end, block in a native call (opening a FIFO nobody writes to),
    // where neither STOP nor terminate reaches them, as a thread stuck in Node's own teardown
    const fifo = join(dir, 'stuck.fifo');
    execFileSync('mkfifo', [fifo]);
    const code = `
      const { parentPort } = require('node:worker_threads');
      parentPort.on('message', (m) => {
        if (m === 'stop') require('node:fs').readFileSync(${JSON.stringify(fifo)});
        else parentPort.postMessage({ ok: false, message: 'declined' });
      });`;
    const pool = await ChunkPool.start(2, 16, 4, code, undefined, 200);
    await pool.run({ index: 0 } as ChunkTask);

    try {
      // Act
      const started = performance.now();
      await pool.close();
      const waited = performance.now() - started;

      // Assess: close came back after the two graces, both threads left behind; closing again
      // (as a profile does with the threads it started ahead) does not wait for them again
      expect(waited).toBeGreaterThanOrEqual(350);
      expect(waited).toBeLessThan(3000);
      expect(pool.abandoned).toBe(2);
      const again = performance.now();
      await pool.close();
      expect(performance.now() - again).toBeLessThan(150);
      expect(pool.abandoned).toBe(2);
    } finally {
      // The threads' reads end (a writer came and went), and the terminated threads with them.
      closeSync(openSync(fifo, 'w'));
    }
  });

  it('terminates a thread that does not end when told to, after the grace', async () => {
    // Prepare: threads that answer every message, STOP included, and keep a timer alive
    const code = `
      const { parentPort } = require('node:worker_threads');
      setInterval(() => {}, 1000);
      parentPort.on('message', () => parentPort.postMessage({ ok: false, message: 'declined' }));`;
    const pool = await ChunkPool.start(2, 16, 4, code, undefined, 200);
    const outcome = await pool.run({ index: 0 } as ChunkTask);

    // Act
    const started = performance.now();
    await pool.close();
    const waited = performance.now() - started;

    // Assess: close came back, after about the grace, not never
    expect(outcome.ok).toBe(false);
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(3000);
    expect(pool.abandoned).toBe(0);
  });
});
