/**
 * `npm run bench -- profile`: doppel's profiler against DuckDB's SUMMARIZE on the same files, in
 * the same run (machine load moves both), each tool in its own child process at 2 threads/workers.
 * Inputs, built once and cached under .bench/ (git-ignored): flights-3m.parquet (vega-datasets)
 * as CSV by DuckDB's COPY (about 106 MB), and that CSV's data rows repeated to >= 1 GB.
 * Then the pipeline's profile stage on the 106 MB file: one thread, the seed read as a stream
 * (profileStream, as ingest runs it, gzipped or not; profileSource, the row reader, whose pass
 * JSON Lines and Parquet chunks take), against DuckDB at 1 thread.
 * Accuracy on the 106 MB file against DuckDB's exact figures: null counts exact, distinct counts
 * within 2 %, each reported quantile's rank within 1 % of its target, the rows that repeat an
 * earlier row within 1 % of the rows (exact up to 262,144 distinct rows).
 *
 * The same file gzipped, through both paths (the scanner inflates the stream itself).
 * Then a table of people, as seeds with PII are (the bundled customers sample, 300,000 rows, about
 * 44 MB, built once): names, emails, phones, addresses, mostly distinct values, each decoded and
 * tested on its own, at 2 threads each; no target, the ratio says where doppel stands. And on it,
 * ingest's PII index, against the previous release's index (bench/lib/pii-index-v1.ts); and the
 * index pass by the profile's chunks on worker threads against one stream through the row reader,
 * on it and on 2,000,000 orders of 50,000 customers (values that repeat; 173 MB, built once).
 *
 * And a table of distinct numbers, as measurements and amounts are (1,000,000 rows of four float
 * columns from a fixed seed, about 35 MB, built once): every value past the counted ones parsed
 * and sketched (KLL); no target either.
 *
 * And the flights table as the Parquet file it ships as (13 MB, zstd): read by row group into the
 * row reader, against DuckDB's SUMMARIZE over read_parquet; no target either.
 *
 * And the first million flights as JSON Lines (92 MB, built once), against read_json_auto.
 *
 * Options: --skip-big (only the 106 MB file), --skip-people (no table of people), --skip-numbers
 * (no table of numbers), --skip-parquet (no Parquet file), --skip-jsonl (no JSON Lines), --runs N (runs per tool and file, the fastest counts; default 1;
 * the 106 MB throughput comparison runs in at least 3 rounds, doppel and DuckDB alternately),
 * --workers N (doppel workers and DuckDB threads, default 2).
 * Targets: throughput >= 1.5x DuckDB's MB/s; peak RSS <= 256 MiB on the 1 GB file; the accuracy
 * bounds above.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { createRng } from '../src/random.ts';
import { sampleCustomers } from '../src/sample/customers.ts';
import { toCsv } from '../src/table.ts';
import { count, fixed, type Row, since, textTable } from './lib/print.ts';

export const description = 'profile MB/s and peak RSS vs DuckDB SUMMARIZE on flights-3m (106 MB, 1 GB)';

const PARQUET = 'node_modules/vega-datasets/data/flights-3m.parquet';
const SMALL = '.bench/flights-3m.csv';
const BIG = '.bench/flights-3m-x10.csv';
const BIG_BYTES = 1e9;
const SMALL_GZ = '.bench/flights-3m.csv.gz';
const JSONL = '.bench/flights-1m.jsonl';
const PEOPLE = '.bench/customers-300k.csv';
const PEOPLE_ROWS = 300_000;
const ORDERS = '.bench/orders-2m.csv';
const ORDERS_ROWS = 2_000_000;
const ORDER_CUSTOMERS = 50_000;
/** The orders' identifying columns (their customers'). */
const ORDER_IDENTIFIERS = 'full_name,email,phone';
const NUMBERS = '.bench/numbers-1m.csv';
const NUMBERS_ROWS = 1_000_000;
const SPEED_TARGET = 1.5;
const RSS_TARGET_MIB = 256;
const DISTINCT_ERROR = 0.02;
const RANK_ERROR = 0.01;
/** Duplicate rows scaled up from a sample of the row keys: within 1 % of the rows. */
const DUPLICATE_ERROR = 0.01;

interface Options {
  skipBig: boolean;
  skipPeople: boolean;
  skipNumbers: boolean;
  skipParquet: boolean;
  skipJsonl: boolean;
  runs: number;
  workers: number;
}

const optionsOf = (args: string[]): Options => {
  const options: Options = {
    skipBig: false,
    skipPeople: false,
    skipNumbers: false,
    skipParquet: false,
    skipJsonl: false,
    runs: 1,
    workers: 2,
  };
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    if (args[i] === '--skip-big') options.skipBig = true;
    else if (args[i] === '--skip-people') options.skipPeople = true;
    else if (args[i] === '--skip-numbers') options.skipNumbers = true;
    else if (args[i] === '--skip-parquet') options.skipParquet = true;
    else if (args[i] === '--skip-jsonl') options.skipJsonl = true;
    else if (args[i] === '--runs' && value !== undefined) {
      options.runs = Math.max(1, Number(value));
      i++;
    } else if (args[i] === '--workers' && value !== undefined) {
      options.workers = Math.max(1, Number(value));
      i++;
    } else
      throw new Error(
        `unknown option '${args[i]}' (--skip-big, --skip-people, --skip-numbers, --skip-parquet, --skip-jsonl, --runs N, --workers N)`,
      );
  }
  return options;
};

const duck = async () => (await DuckDBInstance.create(':memory:')).connect();

/** The 106 MB CSV gzipped (level 1), written once. */
const ensureGzipped = async (): Promise<void> => {
  if (existsSync(SMALL_GZ)) return;
  const started = performance.now();
  await pipeline(createReadStream(SMALL), createGzip({ level: 1 }), createWriteStream(`${SMALL_GZ}.tmp`));
  renameSync(`${SMALL_GZ}.tmp`, SMALL_GZ);
  console.log(`built ${SMALL_GZ} in ${fixed(since(started), 1)} s`);
};

/** The bundled customers sample (faker from a fixed seed) at 300,000 rows, written once. */
const ensurePeople = (): void => {
  if (existsSync(PEOPLE)) return;
  mkdirSync('.bench', { recursive: true });
  const started = performance.now();
  writeFileSync(`${PEOPLE}.tmp`, toCsv(sampleCustomers(PEOPLE_ROWS)));
  renameSync(`${PEOPLE}.tmp`, PEOPLE);
  console.log(`built ${PEOPLE} (${count(PEOPLE_ROWS)} customers) in ${fixed(since(started), 1)} s`);
};

/**
 * Orders, as a seed whose identifying values repeat: 2,000,000 rows, each one of 50,000 customers
 * (the bundled sample from a fixed seed: name, email, phone), an amount and a day; built once.
 */
const ensureOrders = (): void => {
  if (existsSync(ORDERS)) return;
  mkdirSync('.bench', { recursive: true });
  const started = performance.now();
  const customers = sampleCustomers(ORDER_CUSTOMERS, 7);
  const at = (name: string) => customers.columns.indexOf(name);
  const [name, email, phone] = [at('full_name'), at('email'), at('phone')];
  const rng = createRng(2026);
  const out = ['order_id,full_name,email,phone,amount,day'];
  for (let i = 0; i < ORDERS_ROWS; i++) {
    const c = customers.rows[rng.int(ORDER_CUSTOMERS)]!;
    const day = `2024-${String(1 + rng.int(12)).padStart(2, '0')}-${String(1 + rng.int(28)).padStart(2, '0')}`;
    out.push(
      `ORD-${10_000_000 + i},${c[name]},${c[email]},${c[phone]},${(rng.next() * 500).toFixed(2)},${day}`,
    );
  }
  writeFileSync(`${ORDERS}.tmp`, `${out.join('\n')}\n`);
  renameSync(`${ORDERS}.tmp`, ORDERS);
  console.log(`built ${ORDERS} (${count(ORDERS_ROWS)} orders) in ${fixed(since(started), 1)} s`);
};

/** Four columns of distinct floats (uniform, exponential, signed, large), 1,000,000 rows, written once. */
const ensureNumbers = (): void => {
  if (existsSync(NUMBERS)) return;
  mkdirSync('.bench', { recursive: true });
  const started = performance.now();
  const rng = createRng(2026);
  const lines = ['reading,wait,change,amount'];
  for (let i = 0; i < NUMBERS_ROWS; i++) {
    const reading = (rng.next() * 1000).toFixed(4);
    const wait = (-50 * Math.log(1 - rng.next())).toFixed(3);
    const change = (rng.next() * 2 - 1).toFixed(6);
    const amount = (rng.next() * 1e6).toFixed(2);
    lines.push(`${reading},${wait},${change},${amount}`);
  }
  writeFileSync(`${NUMBERS}.tmp`, `${lines.join('\n')}\n`);
  renameSync(`${NUMBERS}.tmp`, NUMBERS);
  console.log(
    `built ${NUMBERS} (${count(NUMBERS_ROWS)} rows of distinct numbers) in ${fixed(since(started), 1)} s`,
  );
};

/** doppel against DuckDB on one more shape of table: the two measured, and a table of them. */
const versus = (title: string, file: string, options: Options): Measured[] => {
  const measured = ['doppel', 'duckdb'].map((tool) => measure(tool, file, options));
  const ratio = measured[0]!.mbPerSecond / measured[1]!.mbPerSecond;
  console.log(
    `\n${title}, ${options.workers} workers/threads each; no target, the ratio says where doppel stands`,
  );
  console.log(
    textTable(
      ['tool', 'MB', 's', 'MB/s', 'peak RSS MiB', 'ratio'],
      measured.map((m, i) => [
        m.tool,
        fixed(m.mb, 0),
        fixed(m.seconds, 2),
        fixed(m.mbPerSecond, 1),
        fixed(m.rssMiB, 0),
        i === 0 ? fixed(ratio, 2) : null,
      ]),
    ),
  );
  return measured;
};

const ensureSmall = async (): Promise<void> => {
  if (existsSync(SMALL)) return;
  mkdirSync('.bench', { recursive: true });
  const started = performance.now();
  const connection = await duck();
  await connection.run(`COPY (SELECT * FROM '${PARQUET}') TO '${SMALL}.tmp' (HEADER, FORMAT csv)`);
  renameSync(`${SMALL}.tmp`, SMALL);
  console.log(`built ${SMALL} from ${PARQUET} in ${fixed(since(started), 1)} s`);
};

/** The first million flights as JSON Lines (DuckDB's COPY), built once. */
const ensureJsonl = async (): Promise<void> => {
  if (existsSync(JSONL)) return;
  const started = performance.now();
  const connection = await duck();
  await connection.run(`COPY (SELECT * FROM '${PARQUET}' LIMIT 1000000) TO '${JSONL}.tmp' (FORMAT json)`);
  renameSync(`${JSONL}.tmp`, JSONL);
  console.log(`built ${JSONL} from ${PARQUET} in ${fixed(since(started), 1)} s`);
};

/** The small file's header once, then its data rows again and again until the file is >= 1 GB. */
const ensureBig = async (): Promise<void> => {
  if (existsSync(BIG) && statSync(BIG).size >= BIG_BYTES) return;
  const started = performance.now();
  const size = statSync(SMALL).size;
  const copies = Math.ceil(BIG_BYTES / size);
  const out = createWriteStream(`${BIG}.tmp`);
  for (let k = 0; k < copies; k++) {
    let first = true;
    for await (const chunk of createReadStream(SMALL, { highWaterMark: 4 << 20 })) {
      let bytes = chunk as Buffer;
      if (first && k > 0) bytes = bytes.subarray(bytes.indexOf(10) + 1);
      first = false;
      if (!out.write(bytes)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
  renameSync(`${BIG}.tmp`, BIG);
  console.log(`built ${BIG} (${copies} copies of the data rows) in ${fixed(since(started), 1)} s`);
};

interface Measured {
  tool: string;
  file: string;
  mb: number;
  seconds: number;
  mbPerSecond: number;
  rssMiB: number;
  // biome-ignore lint/suspicious/noExplicitAny: the child's figures, read back as JSON
  result: any;
}

const measure = (
  tool: string,
  file: string,
  options: Options,
  threads = options.workers,
  /** The identifying columns of a PII index pass (default: the customers'). */
  identifiers?: string,
  runs = options.runs,
): Measured => {
  let best: Measured | undefined;
  for (let r = 0; r < runs; r++) {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/lib/profile-child.ts',
        tool,
        file,
        String(threads),
        ...(identifiers === undefined ? [] : [identifiers]),
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    const { seconds, rssMiB, result } = JSON.parse(out.trim().split('\n').pop()!);
    const mb = statSync(file).size / 1e6;
    const m = { tool, file, mb, seconds, mbPerSecond: mb / seconds, rssMiB, result };
    if (best === undefined || m.seconds < best.seconds) best = m;
  }
  return best!;
};

interface Check {
  column: string;
  what: string;
  doppel: number;
  exact: number;
  error: number;
  bound: number;
  pass: boolean;
}

/**
 * Rows that repeat an earlier row, doppel's against DuckDB's exact count: exact up to 262,144
 * distinct rows, then from a sample of the row keys; the error is a share of the rows.
 */
const duplicatesCheck = async (
  connection: Awaited<ReturnType<typeof duck>>,
  from: string,
  doppel: Measured,
): Promise<Check> => {
  const sql = `SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT * FROM ${from})) FROM ${from}`;
  const [all, distinct] = (await connection.runAndReadAll(sql)).getRows()[0]!.map((v) => Number(v));
  const repeats = all! - distinct!;
  const counted = doppel.result.duplicateRows as { count: number; estimated: boolean };
  const error = Math.abs(counted.count - repeats) / all!;
  const bound = counted.estimated ? DUPLICATE_ERROR : 0;
  return {
    column: '(rows)',
    what: 'duplicates',
    doppel: counted.count,
    exact: repeats,
    error,
    bound,
    pass: error <= bound,
  };
};

/** doppel's nulls, distinct counts and quantiles against DuckDB's exact figures on the same file. */
const accuracy = async (file: string, doppel: Measured): Promise<Check[]> => {
  const connection = await duck();
  await connection.run(`CREATE TABLE t AS SELECT * FROM read_csv_auto('${file}')`);
  const checks: Check[] = [];
  const q = async (sql: string): Promise<number[]> =>
    (await connection.runAndReadAll(sql)).getRows()[0]!.map((v) => Number(v));
  checks.push(await duplicatesCheck(connection, 't', doppel));
  for (const column of doppel.result.columns) {
    const c = `"${column.name}"`;
    const [rows, nonNull, distinct] = await q(`SELECT count(*), count(${c}), count(DISTINCT ${c}) FROM t`);
    const nulls = rows! - nonNull!;
    checks.push({
      column: column.name,
      what: 'nulls',
      doppel: column.nulls,
      exact: nulls,
      error: Math.abs(column.nulls - nulls),
      bound: 0,
      pass: column.nulls === nulls,
    });
    const distinctError = Math.abs(column.distinct - distinct!) / Math.max(1, distinct!);
    checks.push({
      column: column.name,
      what: 'distinct',
      doppel: column.distinct,
      exact: distinct!,
      error: distinctError,
      bound: DISTINCT_ERROR,
      pass: distinctError <= DISTINCT_ERROR,
    });
    for (const [p, value] of (column.quantiles ?? []) as [number, number][]) {
      // Any rank in [below, atOrBelow] is the value's: the error is the distance from p to that span.
      const [below, atOrBelow] = await q(
        `SELECT count(*) FILTER (WHERE ${c} < ${value}), count(*) FILTER (WHERE ${c} <= ${value}) FROM t`,
      );
      const lo = below! / nonNull!;
      const hi = atOrBelow! / nonNull!;
      const error = p < lo ? lo - p : p > hi ? p - hi : 0;
      checks.push({
        column: column.name,
        what: `q${p}`,
        doppel: value,
        exact: p,
        error,
        bound: RANK_ERROR,
        pass: error <= RANK_ERROR,
      });
    }
  }
  return checks;
};

const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS');

/** Rounds of the 106 MB throughput comparison at least (see `run`). */
const THROUGHPUT_ROUNDS = 3;

export const run = async (args: string[]): Promise<unknown> => {
  const options = optionsOf(args);
  const started = performance.now();
  await ensureSmall();
  if (!options.skipBig) await ensureBig();
  const files = options.skipBig ? [SMALL] : [SMALL, BIG];
  const results: Measured[] = [];
  const rows: Row[] = [];
  const ratios: { file: string; ratio: number }[] = [];
  for (const file of files) {
    // In rounds, doppel and DuckDB one after the other (who goes first alternates), the fastest of
    // each counting: both meet the same spells of a busy machine. The 106 MB file: 3 rounds at least.
    const rounds = file === SMALL ? Math.max(THROUGHPUT_ROUNDS, options.runs) : options.runs;
    let doppel: Measured | undefined;
    let duckdb: Measured | undefined;
    const faster = (a: Measured | undefined, b: Measured) =>
      a === undefined || b.seconds < a.seconds ? b : a;
    for (let r = 0; r < rounds; r++) {
      for (const tool of r % 2 === 0 ? ['doppel', 'duckdb'] : ['duckdb', 'doppel']) {
        const m = measure(tool, file, options, options.workers, undefined, 1);
        if (tool === 'doppel') doppel = faster(doppel, m);
        else duckdb = faster(duckdb, m);
      }
    }
    if (doppel === undefined || duckdb === undefined) throw new Error('no rounds measured');
    results.push(doppel, duckdb);
    const ratio = doppel.mbPerSecond / duckdb.mbPerSecond;
    ratios.push({ file, ratio });
    for (const m of [doppel, duckdb]) {
      rows.push([
        m.tool,
        m.file,
        fixed(m.mb, 0),
        fixed(m.seconds, 2),
        fixed(m.mbPerSecond, 1),
        fixed(m.rssMiB, 0),
        m === doppel ? fixed(ratio, 2) : null,
      ]);
    }
  }
  console.log(
    `Profiling throughput, ${options.workers} workers/threads each, doppel and DuckDB alternately, fastest of ${Math.max(THROUGHPUT_ROUNDS, options.runs)} rounds${options.skipBig ? '' : ` (1 GB: of ${options.runs})`}`,
  );
  console.log(textTable(['tool', 'file', 'MB', 's', 'MB/s', 'peak RSS MiB', 'ratio'], rows));

  // The pipeline's profile stage reads the seed as a stream (S3, a local bucket) on one thread.
  const streamed = ['doppel-stream', 'doppel-rows', 'duckdb'].map((tool) => measure(tool, SMALL, options, 1));
  const streamDuck = streamed[2]!;
  // The same file gzipped: the scanner over the inflated stream, against the row reader.
  await ensureGzipped();
  const gzipped = ['doppel-stream', 'doppel-rows'].map((tool) => ({
    ...measure(tool, SMALL_GZ, options, 1),
    tool: `${tool} (gzip)`,
  }));
  console.log(
    `\nThe pipeline's profile stage on ${SMALL}: one thread, the seed read as a stream ` +
      '(doppel-stream: byte-level fast path, as ingest runs it; doppel-rows: the row reader it ' +
      'replaced, still the path of gzipped JSON Lines, JSON arrays and bad input), against DuckDB at 1 thread; then the ' +
      `file gzipped (${SMALL_GZ}, MB compressed; no ratio: DuckDB is not run on it)`,
  );
  console.log(
    textTable(
      ['tool', 'MB', 's', 'MB/s', 'peak RSS MiB', 'ratio'],
      [...streamed, ...gzipped].map((m) => [
        m.tool,
        fixed(m.mb, 0),
        fixed(m.seconds, 2),
        fixed(m.mbPerSecond, 1),
        fixed(m.rssMiB, 0),
        m === streamDuck || gzipped.includes(m) ? null : fixed(m.mbPerSecond / streamDuck.mbPerSecond, 2),
      ]),
    ),
  );
  for (const m of [...streamed, ...gzipped])
    if (m !== streamDuck && m.result.rows !== results[0]!.result.rows)
      throw new Error(`${m.tool} counted ${m.result.rows} rows, doppel ${results[0]!.result.rows}`);

  const checks = await accuracy(SMALL, results[0]!);
  console.log(`\nAccuracy on ${SMALL} (doppel vs DuckDB's exact figures)`);
  console.log(
    textTable(
      ['column', 'figure', 'doppel', 'exact', 'error', 'bound', ''],
      checks.map((c) => [
        c.column,
        c.what,
        Number.isInteger(c.doppel) ? count(c.doppel) : fixed(c.doppel, 2),
        c.what.startsWith('q') ? `rank ${c.exact}` : count(c.exact),
        c.what === 'nulls' ? count(c.error) : `${fixed(100 * c.error, 2)}%`,
        c.what === 'nulls' ? 'exact' : `${fixed(100 * c.bound, 0)}%`,
        verdict(c.pass),
      ]),
    ),
  );

  // Seeds with PII: mostly distinct text, each value decoded and tested on its own.
  const people = options.skipPeople
    ? []
    : (() => {
        ensurePeople();
        return versus(
          `A table of people (${PEOPLE}: names, emails, phones, SSNs, addresses, dates; mostly distinct values)`,
          PEOPLE,
          options,
        );
      })();
  // Measurements and amounts: distinct numbers, each parsed and sketched past the counted ones.
  const numbers = options.skipNumbers
    ? []
    : (() => {
        ensureNumbers();
        return versus(`A table of distinct numbers (${NUMBERS}: four float columns)`, NUMBERS, options);
      })();
  // No row of it repeats: the duplicate count must say none, sampled or not.
  const numbersRepeats =
    numbers.length === 0
      ? undefined
      : await duplicatesCheck(await duck(), `read_csv_auto('${NUMBERS}')`, numbers[0]!);
  if (numbersRepeats !== undefined)
    console.log(
      `rows that repeat an earlier row: doppel ${count(numbersRepeats.doppel)}, DuckDB ${count(numbersRepeats.exact)} ` +
        `(error ${fixed(100 * numbersRepeats.error, 2)}% of the rows, bound ${fixed(100 * numbersRepeats.bound, 0)}%) ${verdict(numbersRepeats.pass)}`,
    );
  // Parquet: the same flights table as its own file, read by row group into the row reader.
  const parquet = options.skipParquet
    ? []
    : versus(
        `The same table as Parquet (${PARQUET}: zstd, 11 row groups; MB are the file's, compressed)`,
        PARQUET,
        options,
      );
  if (parquet.length > 0 && parquet[0]!.result.rows !== results[0]!.result.rows)
    throw new Error(
      `doppel counted ${parquet[0]!.result.rows} rows in ${PARQUET}, ${results[0]!.result.rows} in ${SMALL}`,
    );
  // JSON Lines: a million of those flights, a line each, cut into byte ranges like delimited text.
  const jsonl = options.skipJsonl
    ? []
    : await (async () => {
        await ensureJsonl();
        return versus(`The same flights as JSON Lines (${JSONL}: the first 1,000,000 rows)`, JSONL, options);
      })();
  // Ingest's second pass over a seed with PII: its identifying values into the index the gate reads.
  const indexed = options.skipPeople
    ? []
    : ['pii-index', 'pii-index-v1'].map((tool) => measure(tool, PEOPLE, options, 1));
  /** The index pass by chunks against one stream, per seed, for the JSON. */
  const indexPasses: {
    file: string;
    values: number;
    chunks: number;
    rowReaderSeconds: number;
    scannerSeconds: number;
    chunksSeconds: number;
  }[] = [];
  if (indexed.length > 0) {
    const [now, before] = indexed as [Measured, Measured];
    console.log(
      `\nThe PII index on ${PEOPLE} (six identifying columns through the row reader into the index, ` +
        'which is then written as JSON and read back as each shard and the gate read it): this ' +
        `release's index against the previous one's (a Set of hash strings), one thread`,
    );
    console.log(
      textTable(
        ['index', 'values', 'pass s', 'write s', 'read back s', 'JSON MB', 'peak RSS MiB', 'pass ratio'],
        indexed.map((m) => [
          m === now ? 'doppel (64-bit keys in a table)' : 'previous (Set of strings)',
          count(m.result.values),
          fixed(m.result.indexSeconds, 2),
          fixed(m.result.writeSeconds, 2),
          fixed(m.result.readBackSeconds, 2),
          fixed(m.result.jsonMB, 0),
          fixed(m.rssMiB, 0),
          m === now ? fixed(before.result.indexSeconds / now.result.indexSeconds, 2) : null,
        ]),
      ),
    );
    if (now.result.values !== before.result.values || now.result.readBack !== now.result.values)
      throw new Error(
        `the indexes disagree: ${now.result.values} values (${now.result.readBack} read back) against ${before.result.values}`,
      );

    // The pass itself: by the profile's chunks on worker threads, against one stream through the
    // row reader (the previous release's), on distinct values and on values that repeat.
    ensureOrders();
    const passes = [
      {
        file: PEOPLE,
        rows: now,
        scanner: measure('pii-index-stream', PEOPLE, options, 1),
        chunks: measure('pii-index-chunks', PEOPLE, options),
      },
      {
        file: ORDERS,
        rows: measure('pii-index', ORDERS, options, 1, ORDER_IDENTIFIERS),
        scanner: measure('pii-index-stream', ORDERS, options, 1, ORDER_IDENTIFIERS),
        chunks: measure('pii-index-chunks', ORDERS, options, options.workers, ORDER_IDENTIFIERS),
      },
    ];
    console.log(
      `\nIngest's PII index pass: by the profile's chunks on ${options.workers} worker threads (a seed read ` +
        'by ranges) and over one stream through the byte scanner (delimited text streamed to its ' +
        "profile: gzip, or under 32 MiB), this release's, against one stream through the row reader " +
        `(the previous release's, still the path of what the scanner declines); ${ORDERS}: ` +
        `${count(ORDERS_ROWS)} orders of ${count(ORDER_CUSTOMERS)} customers, their names, emails and phones`,
    );
    console.log(
      textTable(
        ['seed', 'pass', 'values', 's', 'MB/s', 'ratio'],
        passes.flatMap(({ file, rows, scanner, chunks }) => {
          const mb = statSync(file).size / 1e6;
          for (const m of [scanner, chunks])
            if (m.result.values !== rows.result.values)
              throw new Error(
                `the passes disagree on ${file}: ${m.result.values} against ${rows.result.values}`,
              );
          indexPasses.push({
            file,
            values: rows.result.values,
            chunks: chunks.result.chunks,
            rowReaderSeconds: rows.result.indexSeconds,
            scannerSeconds: scanner.result.indexSeconds,
            chunksSeconds: chunks.result.indexSeconds,
          });
          return [
            ['stream, row reader', rows],
            ['stream, byte scanner', scanner],
            [`${chunks.result.chunks} chunks`, chunks],
          ].map(([pass, m]) => {
            const seconds = (m as Measured).result.indexSeconds;
            return [
              file,
              pass as string,
              count((m as Measured).result.values),
              fixed(seconds, 2),
              fixed(mb / seconds, 1),
              m === rows ? null : fixed(rows.result.indexSeconds / seconds, 2),
            ];
          });
        }),
      ),
    );
  }

  console.log('\nTargets');
  for (const r of ratios)
    console.log(
      `  ${verdict(r.ratio >= SPEED_TARGET)}  throughput on ${r.file}: ${fixed(r.ratio, 2)}x DuckDB (target >= ${SPEED_TARGET}x)`,
    );
  const big = results.find((m) => m.tool === 'doppel' && m.file === BIG);
  if (big !== undefined)
    console.log(
      `  ${verdict(big.rssMiB <= RSS_TARGET_MIB)}  peak RSS on ${BIG}: ${fixed(big.rssMiB, 0)} MiB (target <= ${RSS_TARGET_MIB})`,
    );
  for (const what of ['duplicates', 'nulls', 'distinct', 'quantiles']) {
    const mine = checks.filter((c) => (what === 'quantiles' ? c.what.startsWith('q') : c.what === what));
    const failed = mine.filter((c) => !c.pass);
    console.log(
      `  ${verdict(mine.length > 0 && failed.length === 0)}  ${what}: ${mine.length - failed.length}/${mine.length} within bounds`,
    );
  }
  const seconds = since(started);
  console.log(`\n${fixed(seconds, 1)} s in all`);
  return {
    options,
    targets: {
      ratio: SPEED_TARGET,
      rssMiB: RSS_TARGET_MIB,
      distinctError: DISTINCT_ERROR,
      rankError: RANK_ERROR,
    },
    runs: results.map(({ result, ...m }) => m),
    stream: [...streamed, ...gzipped].map(({ result, ...m }) => m),
    people: people.map(({ result, ...m }) => m),
    numbers: numbers.map(({ result, ...m }) => m),
    numbersDuplicates: numbersRepeats,
    parquet: parquet.map(({ result, ...m }) => m),
    jsonl: jsonl.map(({ result, ...m }) => m),
    piiIndex: indexed.map((m) => ({ tool: m.tool, rssMiB: m.rssMiB, ...m.result })),
    piiIndexPasses: indexPasses,
    ratios,
    accuracy: checks,
    seconds,
  };
};
