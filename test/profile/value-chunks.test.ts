import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { openSeed } from '../../src/formats/read-seed.ts';
import { indexSeedValues } from '../../src/pipeline/ingest-seed.ts';
import { PiiIndex } from '../../src/privacy/pii-index.ts';
import { type ProfiledSeed, profileFile } from '../../src/profile/profile-seed.ts';
import { indexChunks, indexStream } from '../../src/profile/value-chunks.ts';
import { createRng } from '../../src/random.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { toCsv } from '../../src/table.ts';

const dir = mkdtempSync(join(tmpdir(), 'doppel-values-'));

/**
 * Orders of 400 customers: their names, emails and phones repeat; each order's reference is new;
 * some notes quoted, with commas and line breaks.
 */
const orders = (rows: number, seed: number): string[][] => {
  const rng = createRng(seed);
  const people = sampleCustomers(400, seed).rows;
  const out: string[][] = [['order', 'full_name', 'email', 'phone', 'note', 'amount', 'ref']];
  for (let i = 0; i < rows; i++) {
    const p = people[rng.int(people.length)]!;
    const note = ['gift, wrapped', 'leave at\ndoor', 'say "hi"', ''][rng.int(4)]!;
    const amount = (rng.next() * 300).toFixed(2);
    out.push([
      String(i),
      String(p[1]),
      String(p[2]),
      String(p[3]),
      note,
      amount,
      `ORD-${seed}-${100_000 + i}`,
    ]);
  }
  return out;
};

const asCsv = (rows: string[][]): string =>
  `${rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',')).join('\n')}\n`;

/** One pass of the row reader over the whole file, as ingest made the index before. */
const onePass = async (path: string, positions: number[], salt: string, cap?: number): Promise<PiiIndex> => {
  const index = new PiiIndex(salt, cap);
  const reader = await openSeed(createReadStream(path), path);
  await indexSeedValues(reader, positions, index).finally(() => reader.close());
  return index;
};

const POSITIONS = [1, 2, 3, 6];

describe("indexChunks: the PII index by the profile's chunks", () => {
  it('holds exactly the keys of one pass over delimited text, whatever the threads', async () => {
    // Prepare: 6,000 orders cut into 8 KiB chunks, quoted line breaks across their guessed boundaries
    const path = join(dir, 'orders.csv');
    writeFileSync(path, asCsv(orders(6000, 1)));
    const two = await profileFile(path, 'orders.csv', { seed: 1, threads: 2, chunkBytes: 8192 });
    const one = await profileFile(path, 'orders.csv', { seed: 1, threads: 1, chunkBytes: 8192 });

    // Act
    const chunked = await indexChunks(two.cut!, { positions: POSITIONS, salt: 'run', cap: 1_000_000 });
    const alone = await indexChunks(one.cut!, { positions: POSITIONS, salt: 'run', cap: 1_000_000 });

    // Assess
    const expected = (await onePass(path, POSITIONS, 'run')).toJSON();
    expect(two.cut!.tasks.length).toBeGreaterThan(20);
    expect(chunked.toJSON()).toEqual(expected);
    expect(alone.toJSON()).toEqual(expected);
    expect(chunked.size).toBeGreaterThan(7000); // 6,000 references and 400 people's names, emails and phones
  });

  it('holds the keys of one pass over JSON Lines and over Parquet, chunk by chunk', async () => {
    // Prepare: the same orders as JSON Lines, and as Parquet in row groups of 500
    const rows = orders(4000, 2);
    const [header, ...body] = rows;
    const jsonl = join(dir, 'orders.jsonl');
    writeFileSync(
      jsonl,
      `${body.map((r) => JSON.stringify(Object.fromEntries(header!.map((h, i) => [h, r[i]])))).join('\n')}\n`,
    );
    const csv = join(dir, 'for-parquet.csv');
    const parquet = join(dir, 'orders.parquet');
    writeFileSync(csv, asCsv(rows));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(
      `COPY (SELECT * FROM read_csv('${csv}', all_varchar = true)) TO '${parquet}' (FORMAT parquet, ROW_GROUP_SIZE 500)`,
    );
    const cut = async (path: string): Promise<ProfiledSeed> =>
      profileFile(path, path, { seed: 2, threads: 2, chunkBytes: 8192 });

    // Act
    const fromJsonl = await indexChunks((await cut(jsonl)).cut!, {
      positions: POSITIONS,
      salt: 's',
      cap: 1e6,
    });
    const parquetCut = (await cut(parquet)).cut!;
    const fromParquet = await indexChunks(parquetCut, { positions: POSITIONS, salt: 's', cap: 1e6 });

    // Assess
    expect(parquetCut.tasks.length).toBeGreaterThan(1);
    expect(fromJsonl.toJSON()).toEqual((await onePass(jsonl, POSITIONS, 's')).toJSON());
    expect(fromParquet.toJSON()).toEqual((await onePass(parquet, POSITIONS, 's')).toJSON());
  });

  it('stops at its cap and says the index is partial', async () => {
    // Prepare: every email new
    const path = join(dir, 'customers.csv');
    writeFileSync(path, toCsv(sampleCustomers(5000, 3)));
    const profiled = await profileFile(path, 'customers.csv', { seed: 3, threads: 2, chunkBytes: 65536 });
    const email = profiled.profile.columns.findIndex((c) => c.name === 'email');

    // Act
    const index = await indexChunks(profiled.cut!, { positions: [email], salt: 's', cap: 250 });

    // Assess
    expect(index.truncated).toBe(true);
    expect(index.size).toBe(250);
  });

  it('holds the keys of one pass when delimited text comes as one stream, and declines what the scanner declines', async () => {
    // Prepare: the orders as one stream in pieces, and with a stray quote in an unquoted field
    const path = join(dir, 'streamed.csv');
    const text = asCsv(orders(3000, 5));
    writeFileSync(path, text);
    const pieces = async function* (bytes: Uint8Array) {
      for (let at = 0; at < bytes.length; at += 7000) yield bytes.subarray(at, at + 7000);
    };
    const stray = new TextEncoder().encode(text.replace(/\n(\d+),([A-Z][a-z]+)/, '\n$1,$2"s'));

    // Act
    const streamed = await indexStream(pieces(readFileSync(path)), ',', {
      positions: POSITIONS,
      salt: 's',
      cap: 1e6,
    });
    const declined = await indexStream(pieces(stray), ',', { positions: POSITIONS, salt: 's', cap: 1e6 });

    // Assess
    expect(streamed!.toJSON()).toEqual((await onePass(path, POSITIONS, 's')).toJSON());
    expect(streamed!.size).toBeGreaterThan(3000);
    expect(declined).toBeUndefined();
  });
});
