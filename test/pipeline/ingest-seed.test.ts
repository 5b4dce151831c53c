import { renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderObjectStore } from '../../adapters/local/folder-object-store.ts';
import type { ShardJob } from '../../src/contracts.ts';
import { type IngestDeps, ingestSeed } from '../../src/pipeline/ingest-seed.ts';
import { runKeys } from '../../src/pipeline/layout.ts';
import type { Buckets, ObjectStore, ObjectVersion } from '../../src/ports.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { toCsv } from '../../src/table.ts';

const BUCKETS: Buckets = { seed: 'seed', work: 'work', curated: 'curated', quarantine: 'quarantine' };
const KEY = 'datasets/customers/customers.csv';

describe('ingestSeed: how the seed is read', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'doppel-ingest-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /**
   * Ingests the customers seed into a fresh folder store; counts the store's locate calls and the
   * bytes each stream of the seed handed over.
   */
  const ingest = async (
    csv: string | Uint8Array,
    rangedProfileBytes?: number,
    piiIndexCap?: number,
    key = KEY,
  ) => {
    const folder = new FolderObjectStore(join(root, `${rangedProfileBytes}-${piiIndexCap}-${key.length}`));
    await folder.put(BUCKETS.seed, key, csv);
    let located = 0;
    const streamed: number[] = [];
    const store: ObjectStore = Object.assign(Object.create(folder) as FolderObjectStore, {
      locate: (bucket: string, key: string, version?: ObjectVersion) => {
        located++;
        return folder.locate(bucket, key, version);
      },
      getStream: async (bucket: string, key: string, version?: ObjectVersion) => {
        const source = await folder.getStream(bucket, key, version);
        if (!key.startsWith('datasets/')) return source;
        const at = streamed.push(0) - 1;
        return (async function* () {
          for await (const chunk of source) {
            streamed[at]! += chunk.byteLength;
            yield chunk;
          }
        })();
      },
    });
    const jobs: ShardJob[] = [];
    const messages: string[] = [];
    const deps: IngestDeps = {
      store,
      queue: { send: async (sent) => void jobs.push(...sent) },
      buckets: BUCKETS,
      now: () => new Date('2026-12-03T00:00:00Z'),
      progress: (event) => void messages.push(event.message),
      ...(rangedProfileBytes === undefined ? {} : { rangedProfileBytes }),
      ...(piiIndexCap === undefined ? {} : { piiIndexCap }),
    };
    const outcome = await ingestSeed(deps, { bucket: BUCKETS.seed, key });
    if (outcome.status !== 'started') throw new Error(`ingest ${outcome.status}`);
    const keys = runKeys(outcome.run.runId);
    const text = async (key: string) => new TextDecoder().decode(await folder.get(BUCKETS.work, key));
    return {
      located,
      streamed,
      piiIndex: JSON.parse(await text(keys.piiIndex)),
      messages,
      jobs,
      profile: JSON.parse(await text(keys.profile)),
      train: await text(keys.train),
      holdout: await text(keys.holdout),
    };
  };

  it('reads a seed past the size limit as byte ranges from its location, to the same profile and samples', async () => {
    // Prepare
    const csv = toCsv(sampleCustomers(2000, 4));

    // Act: the default (a small seed streams), then every seed as ranges
    const streamed = await ingest(csv);
    const ranged = await ingest(csv, 1);

    // Assess
    expect(streamed.located).toBe(0);
    expect(ranged.located).toBe(1);
    expect(ranged.profile).toEqual(streamed.profile);
    expect(ranged.train).toBe(streamed.train);
    expect(ranged.holdout).toBe(streamed.holdout);
    expect(ranged.jobs).toEqual(streamed.jobs);
    expect(ranged.messages).toContain('read 100% of customers.csv');
    // The PII index by the profile's chunks: the same keys, and no stream of the seed at all
    expect(ranged.piiIndex).toEqual(streamed.piiIndex);
    expect(ranged.piiIndex.count).toBeGreaterThan(2000);
    expect(streamed.streamed).toHaveLength(2);
    expect(ranged.streamed).toEqual([]);
    expect(ranged.messages).toContain(
      'indexing the values of full_name, email, phone, ssn, street_address in 1 chunk(s)',
    );
  });

  it('scans a gzipped seed as a stream, past the size limit too (gzip has no byte ranges)', async () => {
    // Prepare
    const csv = toCsv(sampleCustomers(2000, 4));
    const gz = gzipSync(csv);

    // Act
    const plain = await ingest(csv);
    const small = await ingest(gz, undefined, undefined, `${KEY}.gz`);
    const large = await ingest(gz, 1, undefined, `${KEY}.gz`);

    // Assess: the same profile as the plain seed but for its source; one read for the profile
    expect(large.profile).toEqual(small.profile);
    expect(small.profile.source).toMatchObject({ compression: 'gzip', format: 'csv', bytes: gz.length });
    expect({ ...small.profile, source: plain.profile.source }).toEqual(plain.profile);
    expect(large.train).toBe(small.train);
    // one stream for the profile, one for the PII index (the byte scanner's, over the inflated text)
    expect(large.streamed).toEqual([gz.length, gz.length]);
    expect(large.piiIndex).toEqual(small.piiIndex);
    expect(small.piiIndex.count).toBe(plain.piiIndex.count); // another key, so another salt
    expect(plain.piiIndex.count).toBeGreaterThan(2000);
  });

  it('reads a seed the byte-level scanner declines through the row reader, to the same profile', async () => {
    // Prepare: a stray quote in an unquoted field, which the byte-level scanner leaves to the row reader
    const lines = toCsv(sampleCustomers(500, 4)).split('\n');
    lines[400] = lines[400]!.replace(/,([A-Za-z]+),/, ',$1"s,');
    const csv = lines.join('\n');

    // Act
    const streamed = await ingest(csv);
    const ranged = await ingest(csv, 1);

    // Assess
    expect(ranged.located).toBe(1);
    expect(ranged.profile).toEqual(streamed.profile);
    expect(ranged.profile.rows).toBe(500);
    // The index too: the scanner declines the stream again, the row reader reads it
    expect(ranged.piiIndex).toEqual(streamed.piiIndex);
    expect(streamed.piiIndex.count).toBeGreaterThan(2000);
  });

  it('reads a Parquet seed past the size limit where it lies, profile and PII index, never as a stream', async () => {
    // Prepare: 3,000 customers as Parquet, in row groups of 500
    const csv = join(root, 'customers.csv');
    const parquet = join(root, 'customers.parquet');
    await writeFile(csv, toCsv(sampleCustomers(3000, 4)));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(
      `COPY (SELECT * FROM read_csv_auto('${csv}')) TO '${parquet}' (FORMAT parquet, ROW_GROUP_SIZE 500)`,
    );
    const bytes = await readFile(parquet);
    const key = 'datasets/customers/customers.parquet';
    const spools = async () => (await readdir(tmpdir())).filter((f) => f.startsWith('doppel-spool-'));
    const before = await spools();

    // Act: the default (a small seed streams to the profile), then every seed by its location
    const small = await ingest(bytes, undefined, undefined, key);
    const large = await ingest(bytes, 1, undefined, key);

    // Assess: the same profile, samples and index; the large one's bytes never streamed
    expect(large.profile).toEqual(small.profile);
    expect(large.profile.source).toMatchObject({ format: 'parquet', bytes: bytes.length });
    expect(large.train).toBe(small.train);
    expect(large.piiIndex).toEqual(small.piiIndex);
    expect(large.piiIndex.count).toBeGreaterThan(3000);
    expect(small.streamed).toEqual([bytes.length]); // the profile's stream; the index read by location
    expect(large.streamed).toEqual([]);
    expect(large.located).toBe(1); // the index pass reads the profile's chunks
    expect(large.messages).toContain('read 100% of customers.parquet');
    expect(await spools()).toEqual(before);
  });

  it('stops reading the seed for the PII index once the index is full', async () => {
    // Prepare: 70,000 customers (10 MB: the scanner reads 4 MiB at a time), each with a unique
    // email, phone and SSN; an index of 100 values
    const csv = toCsv(sampleCustomers(70_000, 4));

    // Act
    const full = await ingest(csv, undefined, 100);

    // Assess: the profile read every byte, the index pass a fraction, and the index says it is partial
    const size = Buffer.byteLength(csv);
    expect(full.streamed).toHaveLength(2);
    expect(full.streamed[0]).toBe(size);
    expect(full.streamed[1]).toBeLessThan(size / 2);
    expect(full.piiIndex.truncated).toBe(true);
    expect(full.piiIndex.count).toBe(100);
  });

  it("says the PII index is partial when it fills up on the profile's chunks too", async () => {
    // Prepare
    const csv = toCsv(sampleCustomers(5_000, 4));

    // Act
    const full = await ingest(csv, 1, 100);

    // Assess
    expect(full.streamed).toEqual([]);
    expect(full.piiIndex.truncated).toBe(true);
    expect(full.piiIndex.count).toBe(100);
  });

  it('fails the run, saying why, when the seed is replaced between the profile and the PII index', async () => {
    // Prepare: the seed as a stream (under the size limit) and as byte ranges; the same key
    // uploaded again once the profile is done (the index pass is announced first)
    const csv = toCsv(sampleCustomers(2000, 4));
    const newer = toCsv(sampleCustomers(2000, 5));
    const outcomes = [];
    for (const rangedProfileBytes of [undefined, 1]) {
      const folder = new FolderObjectStore(join(root, `replaced-${rangedProfileBytes}`));
      await folder.put(BUCKETS.seed, KEY, csv);
      const path = folder.pathOf(BUCKETS.seed, KEY);
      const deps: IngestDeps = {
        store: folder,
        queue: { send: async () => {} },
        buckets: BUCKETS,
        now: () => new Date('2026-12-07T00:00:00Z'),
        progress: (event) => {
          if (!event.message.startsWith('indexing the values')) return;
          writeFileSync(`${path}.new`, newer);
          renameSync(`${path}.new`, path);
        },
        ...(rangedProfileBytes === undefined ? {} : { rangedProfileBytes }),
      };

      // Act
      const outcome = await ingestSeed(deps, { bucket: BUCKETS.seed, key: KEY });
      outcomes.push({ outcome, curated: await readdir(join(folder.root, BUCKETS.curated)).catch(() => []) });
    }

    // Assess: failed, not retried, the reason says what happened; nothing reached curated
    for (const { outcome, curated } of outcomes) {
      expect(outcome.status).toBe('failed');
      if (outcome.status !== 'failed') continue;
      expect(outcome.reason).toMatch(/customers\.csv changed while this run read it/);
      expect(outcome.reason).toMatch(/a new upload makes a run of its own/);
      expect(outcome.run.status).toBe('failed');
      expect(curated).toEqual([]);
    }
  });
});
