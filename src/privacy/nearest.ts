/**
 * Exact nearest neighbours by brute force, Gower distance (see gower.ts), Float32Array in and out.
 * Large searches are split over worker threads by halves of the queries. The caller stays
 * synchronous: the workers write into shared memory and the calling thread waits on an Atomics
 * flag, so the gate's `finish()` keeps its signature.
 */
import { Worker } from 'node:worker_threads';
import type { Encoded } from './gower.ts';

export interface NearestJob {
  /** Rows searched for. */
  queries: Encoded;
  /** Rows searched among. */
  reference: Encoded;
  /** 1: the nearest distance; 2: the nearest and the second nearest. */
  k: 1 | 2;
}

export interface NearestResult {
  /** Summed Gower distance to the nearest reference row, per query (Infinity without reference rows). */
  first: Float32Array;
  /** To the second nearest (k = 2 only; Infinity when there is none). */
  second: Float32Array;
  /** Row number of the nearest reference row (-1 without reference rows). */
  nearest: Int32Array;
}

export interface NearestOptions {
  /** Worker threads for a large search (default 2: this service's functions run on 2 vCPUs). */
  threads?: number;
  /** Below this many distance evaluations in all, the calling thread does the work itself. */
  parallelMinPairs?: number;
}

const DEFAULT_THREADS = 2;
const PARALLEL_MIN_PAIRS = 20_000_000;
const WAIT_MS = 15 * 60_000;

/**
 * The search loop, kept free of closures and imports: its source is sent to the worker threads as
 * text, so it must run on its own. Partial sums stop as soon as a row cannot make the top k.
 */
function searchRange(
  queries: Float32Array,
  reference: Float32Array,
  refRows: number,
  cols: number,
  k: number,
  from: number,
  to: number,
  first: Float32Array,
  second: Float32Array,
  nearest: Int32Array,
): void {
  for (let q = from; q < to; q++) {
    const qo = q * cols;
    let best1 = Number.POSITIVE_INFINITY;
    let best2 = Number.POSITIVE_INFINITY;
    let at = -1;
    for (let r = 0; r < refRows; r++) {
      const ro = r * cols;
      const cutoff = k === 1 ? best1 : best2;
      let d = 0;
      for (let j = 0; j < cols && d < cutoff; j++) {
        const diff = Math.abs(queries[qo + j]! - reference[ro + j]!);
        d += Math.min(diff, 1);
      }
      if (d < best1) {
        best2 = best1;
        best1 = d;
        at = r;
        if (k === 1 && best1 === 0) break;
      } else if (d < best2) {
        best2 = d;
        if (best2 === 0) break;
      }
    }
    first[q] = best1;
    nearest[q] = at;
    if (k === 2) second[q] = best2;
  }
}

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
${searchRange.toString()}
const { tasks, flag } = workerData;
const done = new Int32Array(flag);
try {
  for (const t of tasks) {
    searchRange(new Float32Array(t.queries), new Float32Array(t.reference), t.refRows, t.cols, t.k,
      t.from, t.to, new Float32Array(t.first), new Float32Array(t.second), new Int32Array(t.nearest));
  }
  Atomics.store(done, 0, 1);
} catch (error) {
  Atomics.store(done, 0, 2);
}
Atomics.notify(done, 0);
`;

const shared = (n: number): Float32Array => new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4));

/** Copies into shared memory when the array is not there already. */
const sharedCopy = (values: Float32Array): Float32Array => {
  if (values.buffer instanceof SharedArrayBuffer) return values;
  const copy = shared(values.length);
  copy.set(values);
  return copy;
};

/** Runs every job, each split over the threads by ranges of its queries. */
export const nearestNeighbours = (jobs: NearestJob[], options: NearestOptions = {}): NearestResult[] => {
  const results = jobs.map((job) => ({
    first: shared(job.queries.rows),
    second: shared(job.k === 2 ? job.queries.rows : 0),
    nearest: new Int32Array(new SharedArrayBuffer(Math.max(1, job.queries.rows) * 4)),
  }));
  const pairs = jobs.reduce((sum, job) => sum + job.queries.rows * job.reference.rows, 0);
  const threads = Math.max(1, options.threads ?? DEFAULT_THREADS);
  if (threads === 1 || pairs < (options.parallelMinPairs ?? PARALLEL_MIN_PAIRS)) {
    jobs.forEach((job, i) => {
      const { first, second, nearest } = results[i]!;
      searchRange(
        job.queries.values,
        job.reference.values,
        job.reference.rows,
        job.queries.columns,
        job.k,
        0,
        job.queries.rows,
        first,
        second,
        nearest,
      );
    });
    return results;
  }
  const inputs = jobs.map((job) => ({
    queries: sharedCopy(job.queries.values).buffer,
    reference: sharedCopy(job.reference.values).buffer,
  }));
  const flags: Int32Array[] = [];
  for (let t = 0; t < threads; t++) {
    const tasks = jobs.map((job, i) => {
      const size = Math.ceil(job.queries.rows / threads);
      return {
        ...inputs[i]!,
        refRows: job.reference.rows,
        cols: job.queries.columns,
        k: job.k,
        from: Math.min(job.queries.rows, t * size),
        to: Math.min(job.queries.rows, (t + 1) * size),
        first: results[i]!.first.buffer,
        second: results[i]!.second.buffer,
        nearest: results[i]!.nearest.buffer,
      };
    });
    const flag = new Int32Array(new SharedArrayBuffer(4));
    flags.push(flag);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { tasks, flag: flag.buffer } });
    // The thread ends when its loop does; nothing here should keep the process alive for it.
    worker.unref();
  }
  for (const flag of flags) {
    const outcome = Atomics.wait(flag, 0, 0, WAIT_MS);
    if (outcome === 'timed-out') throw new Error('the nearest-neighbour search timed out');
    if (Atomics.load(flag, 0) !== 1) throw new Error('a nearest-neighbour worker thread failed');
  }
  return results;
};
