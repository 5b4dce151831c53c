/**
 * One measured profiling run in its own process, so its peak RSS is that tool's alone:
 * `node --import tsx bench/lib/profile-child.ts <doppel|doppel-stream|duckdb> <file> [threads]`.
 * Prints one JSON line: seconds (opening the file to the finished profile, process start-up
 * excluded), peak RSS in MiB, and the figures the bench compares.
 */
import { createReadStream } from 'node:fs';
import { profileFile, profileSource } from '../../src/profile/profile-seed.ts';

const [tool, file, threadsArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: profile-child.ts <doppel|doppel-stream|duckdb> <file>');
const threads = Number(threadsArg ?? 2);

const doppel = async (stream: boolean): Promise<unknown> => {
  const options = { seed: 2026 };
  const profiled = stream
    ? await profileSource(createReadStream(file, { highWaterMark: 1 << 20 }), file, options)
    : await profileFile(file, file, options);
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
const result = tool === 'duckdb' ? await duckdb() : await doppel(tool === 'doppel-stream');
const seconds = (performance.now() - started) / 1000;
const rssMiB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ seconds, rssMiB, result })}\n`);
