import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.ts';
import { openSeed, openSeedFile, type SeedReader } from '../../src/formats/read-seed.ts';
import { profileFile, profileSource, profileStream } from '../../src/profile/profile-seed.ts';
import type { Cell } from '../../src/table.ts';
import { chunked } from '../helpers/byte-stream.ts';

const FLIGHTS = fileURLToPath(
  new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url),
);

const readAll = async (reader: SeedReader): Promise<Cell[][]> => {
  const rows: Cell[][] = [];
  for await (const batch of reader.batches()) rows.push(...batch);
  return rows;
};

const failure = async (open: () => Promise<SeedReader>): Promise<BadInputError> => {
  try {
    await readAll(await open());
  } catch (error) {
    expect(error).toBeInstanceOf(BadInputError);
    return error as BadInputError;
  }
  throw new Error('expected the seed to be rejected');
};

/** Spool folders left in the temp dir by the reader. */
const spools = async (): Promise<string[]> =>
  (await readdir(tmpdir())).filter((f) => f.startsWith('doppel-spool-'));

/** Every kind of column a Parquet seed may hold, in 10,000 rows and row groups of 2048. */
const ALL_TYPES = `SELECT i::INTEGER AS id, i::BIGINT * 10000000000 AS big, i / 4 AS ratio,
  (i * 1.25)::DECIMAL(10, 2) AS price, i % 2 = 0 AS even, DATE '2024-01-01' + i::INTEGER AS day,
  TIMESTAMP '2024-01-01 10:00:00' + INTERVAL (i) SECOND AS local_ts,
  TIMESTAMPTZ '2024-01-01 10:00:00.250+00' AS utc_ts,
  [i, i + 1] AS pair, {'a': i, 'b': 'x'} AS obj,
  CASE WHEN i % 3 = 0 THEN NULL ELSE 'name ' || i END AS name
  FROM range(10000) t(i)`;

describe('Parquet seeds', () => {
  let dir = '';
  const fixture = (file: string) => join(dir, file);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doppel-parquet-test-'));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4']) {
      await duck.run(
        `COPY (${ALL_TYPES}) TO '${fixture(`${codec}.parquet`)}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048)`,
      );
    }
    // The same columns without the list and the struct: every column flat, read by the flat path.
    const flat = `SELECT * EXCLUDE (pair, obj), (i % 7)::VARCHAR AS week_day, NULL::VARCHAR AS nothing,
      'same' AS constant FROM (${ALL_TYPES.replace('AS name', 'AS name, i')})`;
    const flatFiles: [string, string][] = [
      ['flat-zstd.parquet', 'COMPRESSION zstd'],
      ['flat-snappy-v2.parquet', "COMPRESSION snappy, PARQUET_VERSION 'V2'"],
      ['flat-plain.parquet', 'COMPRESSION uncompressed, DICTIONARY_SIZE_LIMIT 1'],
    ];
    for (const [file, options] of flatFiles) {
      await duck.run(
        `COPY (${flat}) TO '${fixture(file)}' (FORMAT parquet, ${options}, ROW_GROUP_SIZE 2048)`,
      );
    }
    await duck.run(`COPY (SELECT 1 AS a WHERE false) TO '${fixture('empty.parquet')}' (FORMAT parquet)`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the real flights-3m table from the file, row group by row group', async () => {
    // Act
    const reader = await openSeedFile(FLIGHTS, 'flights-3m.parquet', { batchSize: 50_000 });
    let rows = 0;
    let first: Cell[] | undefined;
    let last: Cell[] | undefined;
    let maxBatch = 0;
    const headway: number[] = [];
    for await (const batch of reader.batches()) {
      first ??= batch[0];
      last = batch.at(-1);
      rows += batch.length;
      maxBatch = Math.max(maxBatch, batch.length);
      headway.push(reader.bytesRead);
    }
    // Assess
    expect(reader.format).toBe('parquet');
    expect(reader.compression).toBe('none');
    expect(reader.columns).toEqual(['date', 'delay', 'distance', 'origin', 'destination']);
    expect(rows).toBe(3_000_000);
    expect(maxBatch).toBe(50_000);
    expect(reader.bytesRead).toBe(13_493_022);
    // Headway grows with the rows read, batch by batch (the file is on disk from the start).
    expect(headway[0]).toBe(Math.floor((13_493_022 * 50_000) / 3_000_000));
    expect(headway.every((b, i) => i === 0 || b > headway[i - 1]!)).toBe(true);
    // A timestamp without a time zone is written as wall-clock ISO 8601, integers as their digits.
    expect(first).toEqual(['2001-01-01T00:01:00', '33', '2176', 'LAS', 'PHL']);
    expect(last).toHaveLength(5);
    expect(last?.[0]).toMatch(/^2001-\d\d-\d\dT\d\d:\d\d:00$/);
  }, 30_000);

  it.each(['uncompressed', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4'])(
    'turns every value of a %s file into text: numbers, decimals, booleans, dates, lists, structs, nulls',
    async (codec) => {
      // Act
      const reader = await openSeedFile(fixture(`${codec}.parquet`), `${codec}.parquet`);
      const rows = await readAll(reader);
      // Assess
      expect(reader.columns).toEqual([
        'id',
        'big',
        'ratio',
        'price',
        'even',
        'day',
        'local_ts',
        'utc_ts',
        'pair',
        'obj',
        'name',
      ]);
      expect(rows).toHaveLength(10_000);
      expect(rows[0]).toEqual([
        '0',
        '0',
        '0',
        '0.00',
        'true',
        '2024-01-01',
        '2024-01-01T10:00:00',
        '2024-01-01T10:00:00.250000Z',
        '[0,1]',
        '{"a":0,"b":"x"}',
        null,
      ]);
      expect(rows[9999]).toEqual([
        '9999',
        '99990000000000',
        '2499.75',
        '12498.75',
        'false',
        '2051-05-18',
        '2024-01-01T12:46:39',
        '2024-01-01T10:00:00.250000Z',
        '[9999,10000]',
        '{"a":9999,"b":"x"}',
        null,
      ]);
      expect(rows[4]?.[3]).toBe('5.00');
      expect(rows[5]?.[10]).toBe('name 5');
    },
  );

  it.each(['flat-zstd', 'flat-snappy-v2', 'flat-plain'])(
    'reads a file of flat columns (%s) cell for cell as the general path reads the same columns',
    async (file) => {
      // Prepare: the general path (hyparquet's nested assembly) reads the file with the list and struct.
      const nested = await readAll(await openSeedFile(fixture('zstd.parquet'), 'zstd.parquet'));
      const drop = new Set([8, 9]); // pair, obj
      // Act
      const reader = await openSeedFile(fixture(`${file}.parquet`), `${file}.parquet`);
      const rows = await readAll(reader);
      // Assess
      expect(reader.columns).toEqual([
        ...['id', 'big', 'ratio', 'price', 'even', 'day', 'local_ts', 'utc_ts', 'name', 'i'],
        'week_day',
        'nothing',
        'constant',
      ]);
      expect(rows).toHaveLength(10_000);
      for (let r = 0; r < rows.length; r++) {
        const flatOnly = [String(r), String(r % 7), null, 'same'];
        const expected = [...nested[r]!.filter((_, c) => !drop.has(c)), ...flatOnly];
        if (JSON.stringify(rows[r]) !== JSON.stringify(expected)) expect(rows[r]).toEqual(expected);
      }
      expect(rows.filter((row) => row[8] === null)).toHaveLength(3334);
    },
  );

  it.each(['SNAPPY', 'UNCOMPRESSED'] as const)(
    'reads DATA_PAGE_V2 pages (%s; as Spark and hyparquet-writer write them) cell for cell, nulls included',
    async (codec) => {
      // Prepare: 10,000 rows in row groups of 3,000 and pages of about 4 KB, every kind of flat
      // column with nulls somewhere; the text each value reads as alongside.
      const n = 10_000;
      const at = (f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));
      const cities = ['Lyon', 'Zürich', 'Oslo'];
      const columns = {
        id: { type: 'INT32', data: at((i) => i), text: (i: number) => String(i) },
        big: {
          type: 'INT64',
          data: at((i) => (i % 11 === 0 ? null : BigInt(i) * 10_000_000_000n)),
          text: (i: number) => (i % 11 === 0 ? null : `${i}0000000000`),
        },
        score: {
          type: 'DOUBLE',
          data: at((i) => (i % 5 === 0 ? null : i / 8)),
          text: (i: number) => (i % 5 === 0 ? null : String(i / 8)),
        },
        flag: {
          type: 'BOOLEAN',
          data: at((i) => (i % 7 === 0 ? null : i % 2 === 0)),
          text: (i: number) => (i % 7 === 0 ? null : String(i % 2 === 0)),
        },
        city: {
          type: 'STRING',
          data: at((i) => (i % 3 === 0 ? null : cities[i % 3])),
          text: (i: number) => (i % 3 === 0 ? null : cities[i % 3]!),
        },
        note: {
          type: 'STRING',
          data: at((i) => (i % 4 === 1 ? null : `note ${i} ✓`)),
          text: (i: number) => (i % 4 === 1 ? null : `note ${i} ✓`),
        },
        nothing: { type: 'STRING', data: at(() => null), text: () => null },
        constant: { type: 'STRING', data: at(() => 'same'), text: () => 'same' },
      } as const;
      const buffer = parquetWriteBuffer({
        columnData: Object.entries(columns).map(([name, c]) => ({
          name,
          type: c.type,
          data: c.data as never,
        })),
        codec,
        rowGroupSize: 3000,
        pageSize: 4096,
      });
      const file = fixture(`v2-${codec}.parquet`);
      await writeFile(file, new Uint8Array(buffer));
      const pages = parquetMetadata(buffer).row_groups[0]!.columns.map((c) => c.meta_data?.encoding_stats);
      expect(pages.flat().every((p) => p?.page_type !== 'DATA_PAGE')).toBe(true);
      expect(pages[0]!.some((p) => p.page_type === 'DATA_PAGE_V2' && p.count > 1)).toBe(true);

      // Act
      const reader = await openSeedFile(file, 'v2.parquet');
      const rows = await readAll(reader);

      // Assess
      expect(reader.columns).toEqual(Object.keys(columns));
      expect(rows).toHaveLength(n);
      const texts = Object.values(columns).map((c) => c.text);
      for (let r = 0; r < n; r++) {
        const expected = texts.map((text) => text(r));
        if (JSON.stringify(rows[r]) !== JSON.stringify(expected)) expect([r, rows[r]]).toEqual([r, expected]);
      }
    },
  );

  it('reads Parquet from a stream through a temp file it removes afterwards, gzipped or not', async () => {
    // Prepare
    const bytes = await readFile(fixture('zstd.parquet'));
    const before = await spools();
    // Act
    const plain = await openSeed(chunked(bytes, 4096), 'upload.bin');
    const plainRows = await readAll(plain);
    const gz = await openSeed(chunked(gzipSync(bytes), 4096), 'upload.parquet.gz');
    const gzRows = await readAll(gz);
    // Assess
    expect(plain.format).toBe('parquet');
    expect(plain.bytesRead).toBe(bytes.byteLength);
    expect(gz.format).toBe('parquet');
    expect(gz.compression).toBe('gzip');
    expect(plainRows).toHaveLength(10_000);
    expect(gzRows).toEqual(plainRows);
    expect(await spools()).toEqual(before);
  });

  it("is profiled from the pipeline's stream as from the file, its spool removed afterwards", async () => {
    // Prepare
    const before = await spools();
    const bytes = await readFile(FLIGHTS);
    // Act: the stream path of ingest (an S3 object), and the file path of the CLI.
    const streamed = await profileStream(async () => chunked(bytes, 1 << 20), 'flights.parquet', { seed: 5 });
    const fromFile = await profileFile(FLIGHTS, 'flights.parquet', { seed: 5 });
    // Assess
    expect(streamed.profile).toEqual(fromFile.profile);
    expect(streamed.train).toEqual(fromFile.train);
    expect(streamed.profile.rows).toBe(3_000_000);
    expect(await spools()).toEqual(before);
  }, 60_000);

  it('rejects a truncated Parquet file, saying its footer is missing', async () => {
    // Prepare
    const bytes = await readFile(fixture('snappy.parquet'));
    const cut = bytes.subarray(0, Math.floor(bytes.byteLength * 0.6));
    await writeFile(fixture('cut.parquet'), cut);
    const before = await spools();
    // Act
    const fromFile = await failure(() => openSeedFile(fixture('cut.parquet'), 'cut.parquet'));
    const fromStream = await failure(() => openSeed(createReadStream(fixture('cut.parquet')), 'cut.parquet'));
    // Assess
    const expected =
      'cut.parquet is a truncated or corrupt Parquet file: its footer is missing (the file does not end ' +
      `with the PAR1 magic); the file is ${cut.byteLength} bytes`;
    expect(fromFile.message).toBe(expected);
    expect(fromStream.message).toBe(expected);
    expect(await spools()).toEqual(before);
  });

  it('rejects a row group that cannot be decoded, naming it, its rows and its byte offset', async () => {
    // Prepare
    const bytes = await readFile(fixture('gzip.parquet'));
    const metadata = parquetMetadata(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    const chunk = metadata.row_groups[2]!.columns[0]!.meta_data!;
    const offset = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
    const broken = Buffer.from(bytes);
    broken.fill(0xff, offset, offset + 16);
    await writeFile(fixture('broken.parquet'), broken);
    const reader = await openSeedFile(fixture('broken.parquet'), 'broken.parquet');
    let rowsBefore = 0;
    // Act
    let error: unknown;
    try {
      for await (const batch of reader.batches()) rowsBefore += batch.length;
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^broken\\.parquet: Parquet row group 3 of 5 \\(rows 4097 to 6144, at byte offset ${offset}\\) ` +
          'cannot be read; the file is truncated or corrupt \\(',
      ),
    );
    expect(rowsBefore).toBe(4096);
  });

  it('is profiled like any seed: the source says Parquet, the columns get their kinds', async () => {
    // Act
    const { profile } = await profileFile(fixture('snappy.parquet'), 'orders.parquet', { seed: 7 });
    // Assess
    expect(profile.source.format).toBe('parquet');
    expect(profile.rows).toBe(10_000);
    const kinds = Object.fromEntries(profile.columns.map((c) => [c.name, c.kind]));
    expect(kinds).toMatchObject({
      id: 'id',
      big: 'integer',
      price: 'float',
      even: 'boolean',
      day: 'date',
      local_ts: 'datetime',
    });
    expect(profile.columns.find((c) => c.name === 'price')?.decimals).toBe(2);
    expect(profile.columns.find((c) => c.name === 'name')?.nulls).toBe(3334);
    // Read from the file by row groups, it profiles exactly as the row reader's pass over a stream.
    const streamed = await profileSource(createReadStream(fixture('snappy.parquet')), 'orders.parquet', {
      seed: 7,
    });
    const fromFile = await profileFile(fixture('snappy.parquet'), 'orders.parquet', { seed: 7 });
    expect(fromFile.profile).toEqual(streamed.profile);
    expect(fromFile.train).toEqual(streamed.train);
  });

  it('rejects a Parquet file without rows', async () => {
    // Act
    const error = await failure(() => openSeedFile(fixture('empty.parquet'), 'empty.parquet'));
    // Assess
    expect(error.message).toBe('empty.parquet is a Parquet file with no rows');
  });
});
