/**
 * `doppel`: the pipeline on this machine.
 *   doppel run <seed-file> [--rows N] [--seed S] [--out DIR] [--policy NAME] [--where col=value]...
 *              [--generator-url URL] [--keep]
 *   doppel profile <seed-file>
 *   doppel serve-generator [--port 8080] [--host 127.0.0.1]
 *   doppel dev [--once] [--root .doppel]        (what `npm start` runs)
 *   doppel invoke <function> <event-file> [--root .doppel]   (what `npm run invoke` runs)
 * Exit codes: 0 published, 3 quarantined by the gate, 2 bad input, 1 anything else.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createGeneratorServer, listen } from '../adapters/local/generator-server.ts';
import { FUNCTIONS, type FunctionName, LocalRuntime } from '../adapters/local/runtime.ts';
import { DatasetSpec, POLICIES, PolicyName, parse, RunRecord } from '../src/contracts.ts';
import { BadInputError, ContractError, errorMessage } from '../src/errors.ts';
import { openSeedFile } from '../src/formats/read-seed.ts';
import { SEED_PREFIX, specKey } from '../src/pipeline/layout.ts';
import { readJson } from '../src/pipeline/run-store.ts';
import type { Progress } from '../src/ports.ts';
import { checkTables } from '../src/privacy/check-tables.ts';
import { profileFile } from '../src/profile/profile-seed.ts';
import { renderReportHtml } from '../src/report/report.ts';
import { sampleCustomers } from '../src/sample/customers.ts';
import { type Table, toCsv } from '../src/table.ts';

export const EXIT = { ok: 0, failed: 1, badInput: 2, quarantined: 3 } as const;

class UsageError extends BadInputError {}

const USAGE = `usage:
  doppel run <seed-file> [--rows N] [--seed S] [--out DIR] [--policy standard|strict]
             [--where column=value]... [--locale de|fr|en_GB|…] [--generator-url URL] [--keep]
  doppel profile <seed-file>
  doppel check --train T --holdout H --synthetic S [--policy standard|strict] [--quasi col,col] [--html FILE]
  doppel serve-generator [--port 8080] [--host 127.0.0.1]
  doppel dev [--once] [--root .doppel]
  doppel invoke <${FUNCTIONS.join('|')}> <event-file> [--root .doppel]`;

const say = (line: string) => process.stderr.write(`${line}\n`);

const progressPrinter =
  (seen?: Set<string>): Progress =>
  (event) => {
    if (event.runId !== undefined) seen?.add(event.runId);
    const count = event.total === undefined ? '' : ` [${event.done ?? 0}/${event.total}]`;
    say(`  ${event.stage.padEnd(8)}${count} ${event.message}`);
  };

const int = (value: string | undefined, name: string, min: number, max: number): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not ${value}`);
  return n;
};

/** `customers.csv.gz` → `customers`; anything outside [A-Za-z0-9._-] becomes '-'. */
export const datasetName = (file: string): string =>
  basename(file)
    .replace(/(\.(csv|tsv|txt|jsonl|ndjson|json|parquet))?(\.gz)?$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 100) || 'dataset';

const seedFileOf = async (path: string | undefined): Promise<string> => {
  if (path === undefined) throw new UsageError(`a seed file is required\n${USAGE}`);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new BadInputError(`${path}: no such file`);
  if (!info.isFile()) throw new BadInputError(`${path}: not a file`);
  return path;
};

/** Every run record in the work bucket, newest update last. */
const allRuns = async (runtime: LocalRuntime): Promise<RunRecord[]> => {
  const infos = await runtime.store.list(runtime.buckets.work, 'runs/');
  const records = await Promise.all(
    infos
      .filter((i) => i.key.endsWith('/run.json'))
      .map((i) => readJson(runtime.store, runtime.buckets.work, i.key, RunRecord)),
  );
  return records.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
};

/** Where a finished run's files are on this machine. */
const outputDir = (runtime: LocalRuntime, run: RunRecord): string | undefined =>
  run.output === undefined ? undefined : runtime.store.pathOf(run.output.bucket, run.output.prefix);

const describeRun = (runtime: LocalRuntime, run: RunRecord): string => {
  const dir = outputDir(runtime, run);
  switch (run.status) {
    case 'published':
      return `${run.dataset}: published ${run.rows} synthetic rows (run ${run.runId})\n    data:   ${dir}/data/\n    report: ${dir}/report.html\n    manifest: ${dir}/manifest.json`;
    case 'quarantined':
      return `${run.dataset}: QUARANTINED by the privacy gate (${run.reason}) (run ${run.runId})\n    report: ${dir}/report.html`;
    case 'failed':
      return `${run.dataset}: failed: ${run.reason} (run ${run.runId})`;
    default:
      return `${run.dataset}: ${run.status} (run ${run.runId})`;
  }
};

const startRuntime = async (root: string, progress: Progress, generatorUrl?: string): Promise<LocalRuntime> =>
  new LocalRuntime({
    root,
    progress,
    onError: (fn, error) => say(`  ${fn}: ${errorMessage(error)} (will retry)`),
    ...(generatorUrl === undefined ? {} : { generatorUrl }),
  }).start();

const commandRun = async (args: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rows: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      policy: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'generator-url': { type: 'string' },
      where: { type: 'string', multiple: true },
      locale: { type: 'string' },
    },
  });
  const file = await seedFileOf(positionals[0]);
  const rows = int(values.rows, 'rows', 1, 1_000_000_000);
  const seed = int(values.seed, 'seed', 0, 0xffffffff);
  const policy = values.policy ?? 'standard';
  if (!PolicyName.safeParse(policy).success)
    throw new UsageError(`--policy must be standard or strict, not ${policy}`);
  const dataset = datasetName(file);
  const out = resolve(values.out ?? join('out', dataset));
  const conditions = Object.fromEntries(
    (values.where ?? []).map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new UsageError(`--where takes column=value, not ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const spec = parse(
    DatasetSpec,
    {
      ...(rows === undefined ? {} : { rows }),
      ...(seed === undefined ? {} : { seed }),
      policy,
      conditions,
      ...(values.locale === undefined ? {} : { locale: values.locale }),
    },
    'the run options',
  );

  const root = await mkdtemp(join(tmpdir(), 'doppel-run-'));
  say(`doppel run ${file} → ${out}`);
  const runtime = await startRuntime(root, progressPrinter(), values['generator-url']);
  try {
    await runtime.store.put(runtime.buckets.seed, specKey(dataset), JSON.stringify(spec));
    const key = `${SEED_PREFIX}${dataset}/${basename(file)}`;
    await runtime.store.putStream(runtime.buckets.seed, key, createReadStream(file));
    await runtime.whenIdle();
    const run = (await allRuns(runtime)).find((r) => r.seedObject.key === key);
    if (run === undefined) throw new Error(`no run was started for ${file}`);
    return await exportRun(runtime, run, out);
  } finally {
    await runtime.stop();
    if (!values.keep) await rm(root, { recursive: true, force: true });
    else say(`  kept the local buckets in ${root}`);
  }
};

/** Copies a finished run's files to `out`: data only when published. */
const exportRun = async (runtime: LocalRuntime, run: RunRecord, out: string): Promise<number> => {
  if (run.status === 'failed') {
    say(`doppel: ${run.reason}`);
    // Failing before any shard was planned means the seed itself was unusable.
    return run.shards === undefined ? EXIT.badInput : EXIT.failed;
  }
  if (run.output === undefined) {
    say(`doppel: run ${run.runId} did not finish (${run.status})`);
    return EXIT.failed;
  }
  await rm(join(out, 'data'), { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const files = await runtime.store.list(run.output.bucket, run.output.prefix);
  for (const info of files) {
    const name = info.key.slice(run.output.prefix.length);
    if (run.status !== 'published' && name.startsWith('data/')) continue;
    const target = join(out, name);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(runtime.store.pathOf(run.output.bucket, info.key), target);
  }
  process.stdout.write(`${describeRun(runtime, run).replaceAll(outputDir(runtime, run) ?? '', out)}\n`);
  return run.status === 'published' ? EXIT.ok : EXIT.quarantined;
};

/** Files from this size on show their headway on stderr (stdout stays the profile's JSON). */
const PROGRESS_BYTES = 8 << 20;

/** A progress callback printing one line per tenth of the file profiled. */
const tenthsOf = (name: string, started: number) => {
  let shown = 0;
  return (done: number, total: number): void => {
    const tenths = Math.floor((10 * done) / total);
    if (tenths <= shown) return;
    shown = tenths;
    const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `profiling ${name}: ${10 * tenths}% (${mb(done)} of ${mb(total)} MB, ${seconds} s)\n`,
    );
  };
};

const commandProfile = async (args: string[]): Promise<number> => {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const file = await seedFileOf(positionals[0]);
  const { size } = await stat(file);
  // The file path allows the byte-level scanner (it falls back to the stream reader when it must).
  const { profile } = await profileFile(file, basename(file), {
    seed: 0,
    bytes: size,
    ...(size >= PROGRESS_BYTES ? { progress: tenthsOf(basename(file), Date.now()) } : {}),
  });
  process.stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
  return EXIT.ok;
};

/** A whole CSV/TSV/JSONL/Parquet file (gzipped or not) as a table; a missing or unreadable file is bad input. */
const readTableFile = async (path: string, flag: string): Promise<Table> => {
  const file = await seedFileOf(path).catch((error: Error) => {
    throw new BadInputError(`--${flag} ${error.message}`);
  });
  const reader = await openSeedFile(file, basename(file));
  const rows: Table['rows'] = [];
  for await (const batch of reader.batches()) for (const row of batch) rows.push(row);
  return { columns: reader.columns, rows };
};

/** Runs the privacy gate on three files; prints report.json. Exit 0 pass, 3 fail, 2 bad input. */
const commandCheck = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: {
      train: { type: 'string' },
      holdout: { type: 'string' },
      synthetic: { type: 'string' },
      policy: { type: 'string', default: 'standard' },
      quasi: { type: 'string' },
      html: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  for (const flag of ['train', 'holdout', 'synthetic'] as const) {
    if (values[flag] === undefined) throw new UsageError(`check needs --${flag} FILE`);
  }
  if (!PolicyName.safeParse(values.policy).success)
    throw new UsageError(`--policy must be standard or strict, not ${values.policy}`);
  const seed = int(values.seed, 'seed', 0, 0xffffffff) ?? 0;
  const [train, holdout, synthetic] = await Promise.all([
    readTableFile(values.train!, 'train'),
    readTableFile(values.holdout!, 'holdout'),
    readTableFile(values.synthetic!, 'synthetic'),
  ]);
  const quasi =
    values.quasi
      ?.split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '') ?? [];
  const { report } = await checkTables({
    train: { name: values.train!, table: train },
    holdout: { name: values.holdout!, table: holdout },
    synthetic: { name: values.synthetic!, table: synthetic },
    policy: POLICIES[values.policy as PolicyName],
    seed,
    quasiIdentifiers: quasi,
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (values.html !== undefined) {
    await mkdir(dirname(resolve(values.html)), { recursive: true });
    await writeFile(values.html, renderReportHtml(report));
    say(`report written to ${values.html}`);
  }
  say(`doppel check: ${report.summary}`);
  return report.verdict === 'published' ? EXIT.ok : EXIT.quarantined;
};

const commandServeGenerator = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = int(values.port, 'port', 0, 65535) ?? 8080;
  const server = createGeneratorServer();
  const url = await listen(server, port, values.host);
  say(`generator listening on ${url} (GET /ping, POST /invocations); Ctrl-C stops it`);
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => server.close(() => resolveStop()));
    process.once('SIGTERM', () => server.close(() => resolveStop()));
  });
  return EXIT.ok;
};

/** The bundled sample: 1,000 customers made with faker from a fixed seed (same bytes everywhere). */
const SAMPLE_KEY = `${SEED_PREFIX}customers/customers.csv`;

const commandDev = async (args: string[]): Promise<number> => {
  const { values } = parseArgs({
    args,
    options: { once: { type: 'boolean', default: false }, root: { type: 'string', default: '.doppel' } },
  });
  const root = resolve(values.root);
  const touched = new Set<string>();
  const runtime = await startRuntime(root, progressPrinter(touched));
  const seedFolder = runtime.store.pathOf(runtime.buckets.seed, SEED_PREFIX.slice(0, -1));
  say(`doppel dev: local buckets in ${root}`);
  say(`processing the bundled sample seed (${SAMPLE_KEY})`);
  await runtime.markExistingSeen();
  await runtime.store.put(runtime.buckets.seed, SAMPLE_KEY, toCsv(sampleCustomers(1000, 42)), {
    contentType: 'text/csv',
  });

  const report = async (): Promise<RunRecord[]> => {
    await runtime.whenIdle();
    const runs = (await allRuns(runtime)).filter((r) => touched.has(r.runId));
    touched.clear();
    for (const run of runs) process.stdout.write(`\n${describeRun(runtime, run)}\n`);
    return runs;
  };
  const first = await report();
  if (values.once) {
    await runtime.stop();
    return first.every((r) => r.status === 'published') ? EXIT.ok : EXIT.failed;
  }
  say(
    `\nwatching ${seedFolder}/<dataset>/ for new seed files (CSV, TSV, JSONL, gzipped or not); Ctrl-C stops`,
  );
  runtime.watchSeedFolder();
  let idle = true;
  const timer = setInterval(() => {
    if (touched.size > 0 && idle) {
      idle = false;
      void report().finally(() => {
        idle = true;
      });
    }
  }, 500);
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', resolveStop);
    process.once('SIGTERM', resolveStop);
  });
  clearInterval(timer);
  await runtime.stop();
  say('stopped');
  return EXIT.ok;
};

const commandInvoke = async (args: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { root: { type: 'string', default: '.doppel' } },
  });
  const [fn, eventFile] = positionals;
  if (fn === undefined || !FUNCTIONS.includes(fn as FunctionName))
    throw new UsageError(`invoke needs a function: ${FUNCTIONS.join(', ')}`);
  if (eventFile === undefined)
    throw new UsageError('invoke needs an event file, e.g. events/s3/seed-put.json');
  let event: unknown;
  try {
    event = JSON.parse(await readFile(eventFile, 'utf8'));
  } catch (error) {
    throw new BadInputError(`${eventFile}: ${errorMessage(error)}`);
  }
  const runtime = await startRuntime(resolve(values.root), progressPrinter());
  try {
    const result = await runtime.invoke(fn as FunctionName, event);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    await runtime.whenIdle();
  } finally {
    await runtime.stop();
  }
  return EXIT.ok;
};

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  run: commandRun,
  profile: commandProfile,
  check: commandCheck,
  'serve-generator': commandServeGenerator,
  dev: commandDev,
  invoke: commandInvoke,
};

export const main = async (argv: string[]): Promise<number> => {
  const [command, ...args] = argv;
  const run = command === undefined ? undefined : COMMANDS[command];
  if (run === undefined) {
    say(
      command === undefined || command === '--help' || command === 'help'
        ? USAGE
        : `unknown command ${command}\n${USAGE}`,
    );
    return command === undefined || command === '--help' || command === 'help' ? EXIT.ok : EXIT.badInput;
  }
  try {
    return await run(args);
  } catch (error) {
    const bad =
      error instanceof BadInputError ||
      error instanceof ContractError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    say(`doppel: ${errorMessage(error).split('\n')[0]}`);
    if (error instanceof UsageError) say(USAGE);
    return bad ? EXIT.badInput : EXIT.failed;
  }
};
