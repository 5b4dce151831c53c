/**
 * One measured profiling run in its own process, so its peak RSS is that tool's alone:
 * `node --import tsx bench/lib/profile-child.ts <tool> <file> [threads]`, the tool one of
 * doppel (profileFile: chunks on worker threads), doppel-stream (profileStream: the pipeline's
 * one-thread stream path), doppel-rows (profileSource: the row reader every format shares), duckdb.
 * Prints one JSON line: seconds (opening the file to the finished profile, process start-up
 * excluded), peak RSS in MiB, and the figures the bench compares.
 */
import { createReadStream } from 'node:fs';
import { profileFile, profileSource, profileStream } from '../../src/profile/profile-seed.ts';

const [tool, file, threadsArg] = process.argv.slice(2);
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
  const reader = await connection.runAndReadAll(`SUMMARIZE SELECT * FROM read_csv_auto('${file}')`);
  return { columns: reader.getRowObjectsJson() };
};

const started = performance.now();
const result =
  tool === 'duckdb'
    ? await duckdb()
    : await doppel(tool === 'doppel-stream' ? 'stream' : tool === 'doppel-rows' ? 'rows' : 'file');
const seconds = (performance.now() - started) / 1000;
const rssMiB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ seconds, rssMiB, result })}\n`);
