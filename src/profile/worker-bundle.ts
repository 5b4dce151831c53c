/**
 * The code of the profiler's worker threads: each script and what it imports as one CommonJS
 * script a thread evaluates. Plain JavaScript keeps each thread free of the TypeScript loader
 * (about 30 MiB a thread, and its start-up).
 *
 * A deployed function ships the scripts prebuilt beside its bundle (infra/constructs/house-function.ts).
 * From the sources (the CLI, the local pipeline, tests) esbuild bundles them, 75-90 ms a script in
 * a fresh process, every run: so the bundle is kept on disk (node_modules/.cache/doppel) with the
 * size and modification time of every file it was built from, and used again while those stand.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The worker scripts: delimited text's, and Parquet's (parquet-chunk-worker.ts, apart so the
 * Parquet reader stays out of the script every CSV profile starts: 83 KB against 356).
 */
export type WorkerScript = 'profile-chunk-worker' | 'parquet-chunk-worker';

/**
 * Where bundles are kept: the project's node_modules/.cache, as build tools keep theirs. A function,
 * not a constant: this module is in the worker scripts too, where a CommonJS bundle has no
 * import.meta.url to resolve at load.
 */
const workerCache = (): string =>
  fileURLToPath(new URL('../../node_modules/.cache/doppel/', import.meta.url));

/** A cached bundle: the code, and each input file's size and modification time when it was built. */
interface Cached {
  code: string;
  inputs: Record<string, [size: number, mtimeMs: number]>;
}

export interface WorkerCode {
  code: string;
  /** Where it came from: shipped beside the bundle, the disk cache, or a build just now. */
  from: 'prebuilt' | 'cache' | 'build';
}

/**
 * The cached bundle of `entry`, if every file it was built from is as it was. Read synchronously:
 * a few milliseconds, where asynchronous reads waited 40-130 ms for turns of a thread busy sniffing
 * the seed (the threads wait for their code, and the chunks for the threads).
 */
const fromCache = (file: string): string | undefined => {
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as Cached;
    for (const [path, [size, mtimeMs]] of Object.entries(cached.inputs)) {
      const now = statSync(path);
      if (now.size !== size || now.mtimeMs !== mtimeMs) return undefined;
    }
    return typeof cached.code === 'string' ? cached.code : undefined;
  } catch {
    return undefined; // none, unreadable, or an input gone: built again
  }
};

/** Builds the script with esbuild, and keeps it in the cache (where the cache can be written). */
const build = async (entry: string, file: string | undefined): Promise<string> => {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    metafile: true,
    external: ['esbuild'],
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  if (file === undefined) return code;
  try {
    // Inputs are relative to the working directory, as esbuild names them.
    const inputs: Cached['inputs'] = {};
    for (const input of Object.keys(out.metafile.inputs)) {
      const path = resolve(input);
      const { size, mtimeMs } = await stat(path);
      inputs[path] = [size, mtimeMs];
    }
    await mkdir(dirname(file), { recursive: true });
    // Written aside, then renamed: a reader sees the whole file or none.
    const temporary = `${file}.${randomUUID()}.tmp`; // threads of one process share its pid
    await writeFile(temporary, JSON.stringify({ code, inputs } satisfies Cached));
    await rename(temporary, file);
  } catch {
    // A read-only install: built every time, as before the cache.
  }
  return code;
};

/** A script shipped beside this module, if there is one (read at once, as the cache is). */
const readPrebuilt = (url: URL): string | undefined => {
  try {
    return readFileSync(url, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * The script's code: prebuilt beside this module, else from the cache in `cacheDir` (default
 * node_modules/.cache/doppel; null: none), else bundled now (and cached).
 */
export const loadWorkerCode = async (script: WorkerScript, cacheDir?: string | null): Promise<WorkerCode> => {
  const prebuilt = readPrebuilt(new URL(`./${script}.cjs`, import.meta.url));
  if (prebuilt !== undefined) return { code: prebuilt, from: 'prebuilt' };
  const entry = fileURLToPath(new URL(`./${script}.ts`, import.meta.url));
  // One cache file per script and source tree (two checkouts share no bundle).
  const tree = createHash('sha256').update(entry).digest('hex').slice(0, 16);
  const dir = cacheDir === undefined ? workerCache() : cacheDir;
  const file = dir === null ? undefined : resolve(dir, `${script}-${tree}.json`);
  const cached = file === undefined ? undefined : fromCache(file);
  if (cached !== undefined) return { code: cached, from: 'cache' };
  return { code: await build(entry, file), from: 'build' };
};

const workerCode = new Map<WorkerScript, Promise<string>>();

/** The script's code, loaded once a process. */
export const bundleWorker = (script: WorkerScript = 'profile-chunk-worker'): Promise<string> => {
  let code = workerCode.get(script);
  if (code === undefined) {
    code = loadWorkerCode(script).then((c) => c.code);
    workerCode.set(script, code);
  }
  return code;
};
