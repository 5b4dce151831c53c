/**
 * One measured profiling run in its own process, so its peak RSS is that tool's alone:
 * `node --import tsx bench/lib/profile-child.ts <tool> <file> [threads]`, the tool one of
 * doppel (profileFile: chunks on worker threads), doppel-stream (profileStream: the pipeline's
 * one-thread stream path), doppel-rows (profileSource: the row reader every format shares), duckdb;
 * or pii-index / pii-index-v1: ingest's second pass over a seed as one stream through the row
 * reader, every value of its identifying columns into the PII index (this release's, or the
 * previous one's), then the index written as JSON and read back as each shard and the gate read it;
 * or pii-index-chunks: the seed profiled by chunks, then that pass by the profile's chunks on
 * worker threads (ingest's, for a seed read by ranges); or pii-index-stream: that pass over one
 * stream through the byte scanner (ingest's, for delimited text streamed to its profile). The identifying columns: a fifth argument,
 * comma-separated (default: the customers').
 * Prints one JSON line: seconds (opening the file to the finished profile, process start-up
 * excluded), peak RSS in MiB, and the figures the bench compares.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { openSeed } from '../../src/formats/read-seed.ts';
import { indexSeedValues } from '../../src/pipeline/ingest-seed.ts';
import { PiiIndex } from '../../src/privacy/pii-index.ts';
import { profileFile, profileSource, profileStream } from '../../src/profile/profile-seed.ts';
import { indexChunks, indexStream } from '../../src/profile/value-chunks.ts';
import { PiiIndexV1 } from './pii-index-v1.ts';

const [tool, file, threadsArg, columnsArg] = process.argv.slice(2);
if (file === undefined)
  throw new Error('usage: profile-child.ts <doppel|doppel-stream|doppel-rows|duckdb> <file> [threads]');
const threads = Number(threadsArg ?? 2);

const doppel = async (path: 'file' | 'stream' | 'rows'): Promise<unknown> => {
  const options = { seed: 2026 };
  const open = async () => createReadStream(file, { highWaterMark: 1 << 20 });
  const profiled =
    path === 'file'
      ? await profileFile(file, file, options)
      : path === 'stream'
        ? await profileStream(open, file, options)
        : await profileSource(await open(), file, options);
  return {
    rows: profiled.profile.rows,
    trainSample: profiled.train.rows.length,
    holdoutSample: profiled.holdout.rows.length,
    duplicateRows: profiled.profile.duplicateRows,
    columns: profiled.profile.columns.map((c, i) => ({
      name: c.name,
      kind: c.kind,
      nulls: c.nulls,
      distinct: c.distinct,
      min: c.min,
      max: c.max,
      quantiles: profiled.quantiles[i],
    })),
  };
};

const duckdb = async (): Promise<unknown> => {
  // Loaded here only: the DuckDB library is no part of doppel's footprint.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`SET threads=${threads}`);
  const read = file.endsWith('.parquet')
    ? 'read_parquet'
    : file.endsWith('.jsonl')
      ? 'read_json_auto'
      : 'read_csv_auto';
  const reader = await connection.runAndReadAll(`SUMMARIZE SELECT * FROM ${read}('${file}')`);
  return { columns: reader.getRowObjectsJson() };
};

/** The customers sample's identifying columns (its profile finds these six). */
const CUSTOMER_IDENTIFIERS = ['full_name', 'email', 'phone', 'ssn', 'street_address', 'date_of_birth'];

const identifiers = columnsArg?.split(',') ?? CUSTOMER_IDENTIFIERS;

const positionsIn = (columns: readonly string[]): number[] => {
  const positions = identifiers.map((name) => columns.indexOf(name));
  if (positions.includes(-1)) throw new Error(`${file} lacks one of ${identifiers.join(', ')}`);
  return positions;
};

/** The index pass by the profile's chunks: the profile first (not timed), then the pass. */
const piiIndexChunks = async (): Promise<unknown> => {
  const { profile, cut } = await profileFile(file, file, { seed: 2026, threads });
  if (cut === undefined) throw new Error(`${file} was not profiled in chunks`);
  const positions = positionsIn(profile.columns.map((c) => c.name));
  const pass = performance.now();
  const index = await indexChunks(cut, { positions, salt: 'bench-run', cap: 2_000_000 });
  return { values: index.size, indexSeconds: (performance.now() - pass) / 1000, chunks: cut.tasks.length };
};

/** The index pass over one stream of the file through the byte scanner, on this thread. */
const piiIndexStream = async (): Promise<unknown> => {
  const reader = await openSeed(createReadStream(file), file);
  const positions = positionsIn(reader.columns);
  await reader.close();
  const pass = performance.now();
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  const index = await indexStream(stream, ',', { positions, salt: 'bench-run', cap: 2_000_000 });
  if (index === undefined) throw new Error(`the byte scanner declined ${file}`);
  return { values: index.size, indexSeconds: (performance.now() - pass) / 1000 };
};

const piiIndex = async (v1: boolean): Promise<unknown> => {
  const index = v1 ? new PiiIndexV1('bench-run') : new PiiIndex('bench-run');
  const reader = await openSeed(createReadStream(file, { highWaterMark: 1 << 20 }), file);
  const positions = positionsIn(reader.columns);
  // Ingest's own loop over the seed's values.
  await indexSeedValues(reader, positions, index).finally(() => reader.close());
  const indexSeconds = (performance.now() - started) / 1000;
  const write = performance.now();
  const text = JSON.stringify(index.toJSON());
  const writeSeconds = (performance.now() - write) / 1000;
  const read = performance.now();
  const back = v1 ? PiiIndexV1.fromJSON(JSON.parse(text)) : PiiIndex.fromJSON(JSON.parse(text));
  return {
    values: index.size,
    indexSeconds,
    writeSeconds,
    readBackSeconds: (performance.now() - read) / 1000,
    readBack: back.size,
    jsonMB: text.length / 1e6,
  };
};

/**
 * This process's own peak RSS in MiB: Linux's VmHWM, the high-water mark of its own memory. Not
 * ru_maxrss (`process.resourceUsage().maxRSS`): a spawned child inherits its parent's peak in it
 * through exec (a child of a 400 MiB parent reported 404 MiB for its own 40), so every section of
 * the bench run after the parent had grown read at least the parent's size.
 */
function peakRssMiB(): number {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return hwm === null ? process.resourceUsage().maxRSS / 1024 : Number(hwm[1]) / 1024;
}

const started = performance.now();
const result =
  tool === 'duckdb'
    ? await duckdb()
    : tool === 'pii-index' || tool === 'pii-index-v1'
      ? await piiIndex(tool === 'pii-index-v1')
      : tool === 'pii-index-chunks'
        ? await piiIndexChunks()
        : tool === 'pii-index-stream'
          ? await piiIndexStream()
          : await doppel(tool === 'doppel-stream' ? 'stream' : tool === 'doppel-rows' ? 'rows' : 'file');
const seconds = (performance.now() - started) / 1000;
const rssMiB = peakRssMiB();
process.stdout.write(`${JSON.stringify({ seconds, rssMiB, result })}\n`);
