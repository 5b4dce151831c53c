/**
 * A delimited seed (a local file, or a URL answering range requests) profiled as byte ranges
 * ("chunks") on several threads. Steps:
 * 1. the header is read on the calling thread; the data bytes after it are cut into chunks whose
 *    size depends only on the file's size, so the result is the same whatever the thread count;
 * 2. each chunk is scanned by the byte-level fast path (scan-file.ts) on a worker thread into its
 *    own column statistics, duplicate-row sketch and seeded train/holdout reservoirs; a chunk
 *    starts after the first line feed past its nominal start, a guess that a quoted newline can
 *    fool;
 * 3. the calling thread merges the chunks in file order, checking that each one starts where the
 *    previous one ended; a chunk that guessed wrong is scanned again from the true boundary.
 * Row i of chunk k goes to the holdout by a seeded hash of (k, i); chunk 0 uses the one-pass
 * split, so a file of one chunk profiles exactly as the streaming path does.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BadInputError, errorMessage } from '../errors.ts';
import { openLocation, type SeedLocation } from '../formats/byte-source.ts';
import { JsonlRows, MAX_LINE_CHARS, parseJsonLine } from '../formats/jsonl.ts';
import type { PiiIndex } from '../privacy/pii-index.ts';
import { createRng, deriveSeed, type Rng } from '../random.ts';
import type { Cell } from '../table.ts';
import { DuplicateRows, EMPTY_CELL } from './duplicate-rows.ts';
import { ColumnStats, detach, mix32i, sampledCell, type ValueEntry } from './infer.ts';
import {
  Fallback,
  type RecordDecoder,
  recordDecoder,
  type ScanRange,
  type ScanSink,
  scanDelimitedFile,
} from './scan-file.ts';
import type { ValueTask } from './value-chunks.ts';
import { bundleWorker, type WorkerScript } from './worker-bundle.ts';

/**
 * Chunks per file: 2 under about 1.5 GB, else 4 (about one per 512 MiB, an even number, at most
 * one per thread the pool ever runs), each of at least 16 MiB. Each chunk costs a warm-up (its
 * samples and tables fill again) and its results cross threads and merge, so there are few; an
 * even count keeps 2 threads busy alike. Two chunks on 2 threads are the calling thread and one
 * worker (see `profileChunks`): the 1 GB flights file took 6.1-6.3 s and 204-208 MiB so, against
 * 7.4-7.7 s and 238-241 MiB as four chunks (one per 256 MiB) on two workers. A 4.2 GB file took
 * 22.1-22.8 s and 213-220 MiB as four chunks (3 runs of 4), against 24.6 s and 251 MiB as eight.
 * On 2 cores, one chunk is as fast as two up to about 100 MB and needs far less CPU (README,
 * "Performance"); the cut stays a function of the file alone, so a profile is the same anywhere.
 */
const MIN_CHUNK = 16 << 20;
const BYTES_PER_CHUNK = 512 << 20;
const MAX_CHUNKS = 4;
/**
 * Each thread's heap is bounded so it collects its garbage early instead of growing: a chunk's
 * live data is its columns' statistics and its samples. A thread that runs out anyway is not an
 * error: its chunk is scanned again on the calling thread, whose heap is not bounded.
 */
/**
 * A thread's young generation: 4 MiB for narrow rows; wide rows of text (a new string per distinct
 * value) get more, a MiB per 8 bytes of row, up to 32, so their strings die young instead of being
 * promoted and collected again (customers, 145 bytes a row: 4.1 s on two threads at 18 MiB, 4.7 s at
 * 4). Narrow rows keep 4: the 1 GB flights file stays within its 256 MiB.
 */
const youngGenerationMb = (rowBytes: number): number => Math.min(32, Math.max(4, Math.round(rowBytes / 8)));
/**
 * A thread's old-generation bound: 8 MiB, its columns' statistics (6 MiB a column: a column of
 * distinct values keeps 10,000 counted values, each an entry and a string, about 2 MiB live) and
 * its samples' rows (`sampleRows` of about `rowBytes` each, kept as strings: about six bytes of heap
 * per byte of short text, the strings' headers and the rows' slots included). Too tight a bound
 * makes the collector thrash (a 44 MB table of customers: 5.8 s on two threads at three bytes a
 * byte, 4.6 s at six; 16 s before the samples counted at all; 1,000,000 rows of four distinct float
 * columns: 6.6-7.6 s at 2 MiB a column, 4.9-5.5 s at 6); a looser one lets narrow rows' garbage pile up
 * (the 1 GB flights file: 235-255 MiB peak RSS with a base of 24 MiB, 230-241 with 8).
 */
const oldGenerationMb = (columns: number, sampleRows: number, rowBytes: number): number =>
  Math.min(2048, 8 + 6 * columns + Math.ceil((sampleRows * rowBytes * 6) / 2 ** 20));
/** Worker threads at most by default: enough to outrun the disk on a Lambda's 6 vCPUs. */
export const MAX_THREADS = 4;

export interface SampleOptions {
  seed: number;
  holdoutShare: number;
  trainSampleSize: number;
  holdoutSampleSize: number;
  /**
   * The rows of the whole seed, where known ahead of the pass (a file cut into several chunks: its
   * size over the mean length of its first lines; Parquet: its metadata). Each part's sample then
   * starts at a rate that keeps about twice the rows it needs (`sampleRate`), instead of every row
   * until it is full: far fewer rows are kept and then dropped.
   */
  expectedRows?: number;
}

/** A uniform sample of the rows offered to it. */
export interface Sample<Row = Cell[]> {
  rows: Row[];
  offered: number;
}

/**
 * A sample as a Reservoir draws it: each row's priority, and the threshold under which every
 * offered row's priority is in it, so two such samples merge exactly (`mergeSamples`).
 */
export interface Drawn<Row = Cell[]> extends Sample<Row> {
  priorities: Float64Array;
  threshold: number;
  /**
   * The rows as records, where the byte scanner kept them (Reservoir.keepRecord): their bytes end to
   * end, and where each ends. Row i is then `rows[i]` where set (decoded), else record i.
   */
  records?: { bytes: Uint8Array; ends: Int32Array };
}

/**
 * A sample to cross threads (see Reservoir.sample): each row as the JSON text of its cells without
 * the brackets, or (rows empty) its records' bytes in `records`.
 */
export type Packed = Drawn<string>;

/**
 * A chunk's sample: rows of cells or records when scanned on this thread, JSON texts or records
 * when it crossed from a worker (`unpack` turns them all into cells).
 */
export type ChunkSample = Drawn<Cell[] | string>;

export interface ChunkTask {
  /** The seed: a file, or a URL read by ranges (each thread opens it itself). */
  source: SeedLocation;
  delimiter: string;
  columns: string[];
  index: number;
  range: Omit<ScanRange, 'stats'>;
  sampling: SampleOptions;
  /** A Parquet file's chunk, read through the row reader (`delimiter` unused). */
  parquet?: ParquetChunk;
  /** A JSON Lines file's chunk (`columns` from its first lines); its lines go through the row reader's pass. */
  jsonl?: { name: string };
  /** A second pass's chunk (value-chunks.ts): these columns' values collected, nothing profiled. */
  values?: ValueTask;
}

/**
 * A Parquet file's chunk: row groups [from, to) (the task's `range` is their bytes, for headway and
 * the order of chunks). `name`: the seed's, for errors; `size`: its bytes (a URL's is not asked again).
 */
export interface ParquetChunk {
  name: string;
  size: number;
  groups: [number, number];
}

export interface ChunkResult {
  index: number;
  start: number;
  end: number;
  rows: number;
  stats: ColumnStats[];
  duplicates: DuplicateRows;
  train: ChunkSample;
  holdout: ChunkSample;
}

/**
 * A seeded uniform sample of `size` rows by priorities (bottom-k): every offered row has a uniform
 * priority, and the sample is the rows of the `size` smallest. Only rows under the current threshold
 * are candidates, and the gap to the next one is drawn at once (geometric), so a row that is not kept
 * costs a counter increment (it is never copied, and on the file path never decoded). Candidates are
 * appended; when twice `size` are held, the larger half goes and the threshold falls to the smallest
 * priority dropped. So the sample is always every offered row whose priority is under the threshold,
 * and two samples merge exactly (`mergeSamples`).
 *
 * `rate`, the starting threshold, is 1 unless the rows to come are known (`sampleRate`): at 1 every
 * row is kept until twice `size` are held, and about size x log2(offered / size) more are kept and
 * dropped after; at the rate of a known count, about twice `size` in all.
 */
export class Reservoir {
  /**
   * The kept rows (from the row reader), each a copy of the row offered: an array of its own, not
   * cells in one long array, whose every store of a young string is the collector's slow path.
   */
  private kept: Cell[][] = [];
  /** Or, from the byte scanner, the kept records' bytes (`keepRecord`), slot after slot. */
  private arena = new Uint8Array(0);
  private ends = new Int32Array(0);
  private priorities = new Float64Array(0);
  private width = -1;
  private offered = 0;
  private count = 0;
  /** The index (among offered rows) of the next candidate. */
  private next = 0;
  private threshold: number;
  /** log(1 - threshold), for the gaps between candidates. */
  private log1m = Number.NEGATIVE_INFINITY;
  private slot = -1;

  constructor(
    private readonly size: number,
    private readonly rng: Rng,
    rate = 1,
  ) {
    this.threshold = size > 0 ? Math.min(1, Math.max(0, rate)) : 0;
    this.lower(this.threshold);
    this.next = this.gap();
  }

  /** Counts one offered row; whether it is kept (then `keep` must follow with its cells). */
  wants(): boolean {
    const n = this.offered++;
    if (n !== this.next) return false;
    // A candidate: its priority is uniform under the threshold it was drawn at.
    const priority = this.threshold * this.rng.next();
    if (this.count >= 2 * this.size) this.compact(this.size);
    this.next = n + 1 + this.gap();
    if (priority >= this.threshold) return false; // over the threshold a compaction just lowered
    if (this.count === this.priorities.length) {
      const slots = Math.min(2 * this.size, Math.max(1024, 2 * this.count));
      const grown = new Float64Array(slots);
      grown.set(this.priorities);
      this.priorities = grown;
      const ends = new Int32Array(slots);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.slot = this.count++;
    this.priorities[this.slot] = priority;
    return true;
  }

  /**
   * Stores a copy of the wanted row; its strings must not view a larger buffer (see `detach`). The
   * caller may reuse the array.
   */
  keep(row: Cell[]): void {
    const width = row.length;
    if (this.width !== width) {
      if (this.width !== -1)
        throw new Error(`Reservoir: a row of ${width} cells after rows of ${this.width}`);
      this.width = width;
    }
    this.kept[this.slot] = row.slice();
  }

  /**
   * Stores a copy of the wanted row's record, bytes [start, end) of `buf` (see ScanSink.keep): a
   * copy, not cells, so a kept row makes no garbage, and only the rows a merge keeps are decoded.
   */
  keepRecord(buf: Uint8Array, start: number, end: number): void {
    const from = this.slot === 0 ? 0 : this.ends[this.slot - 1]!;
    const to = from + end - start;
    if (to > this.arena.length) {
      const grown = new Uint8Array(Math.max(1 << 16, 2 * to));
      grown.set(this.arena.subarray(0, from));
      this.arena = grown;
    }
    // A short record byte by byte: a view per kept row (120,000 a flights chunk) cost more than its copy.
    const arena = this.arena;
    if (end - start <= 64) for (let k = start, at = from; k < end; k++, at++) arena[at] = buf[k]!;
    else arena.set(buf.subarray(start, end), from);
    this.ends[this.slot] = to;
  }

  /**
   * The sample, for the thread that drew it: rows of cells, or (records kept) the records
   * (`unpack` decodes them).
   */
  rows(): Drawn {
    this.compact(this.size);
    return this.arena.length > 0 ? this.drawn([], true) : this.drawn(this.kept.slice(0, this.count));
  }

  /** Just past the kept records' bytes. */
  private end(): number {
    return this.count === 0 ? 0 : this.ends[this.count - 1]!;
  }

  /**
   * The sample, each row as the JSON text of its cells without the brackets (`unpack` reads it), to
   * cross to another thread: a fraction of the memory of an array of strings.
   */
  sample(): Packed {
    this.compact(this.size);
    // The records as two arrays: a view object per row would cost more to cross than the bytes.
    if (this.arena.length > 0) return this.drawn([], true);
    const kept = this.count;
    // One JSON text of every row, cut at each row's brackets outside a string: a row is a slice of
    // it, not a text of its own (in a thread's bounded heap, a JSON text per row took 77 ms of
    // 60,000 rows, and main waited for it). Cells are strings or null: no other brackets.
    const text = JSON.stringify(this.kept.length === kept ? this.kept : this.kept.slice(0, kept));
    const rows: string[] = new Array(kept);
    let row = 0;
    let start = 0;
    for (let i = 1; i < text.length - 1; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        // A string: to its closing quote, past escaped characters.
        for (i++; ; i++) {
          const d = text.charCodeAt(i);
          if (d === 92) i++;
          else if (d === 34) break;
        }
      } else if (c === 91) start = i + 1;
      else if (c === 93) rows[row++] = text.slice(start, i);
    }
    return this.drawn(rows);
  }

  /** The sample of these rows, or (`records`) of the kept records. */
  private drawn<Row>(rows: Row[], records = false): Drawn<Row> {
    const drawn: Drawn<Row> = {
      rows,
      offered: this.offered,
      priorities: this.priorities.slice(0, this.count),
      threshold: this.threshold,
    };
    if (records)
      drawn.records = { bytes: this.arena.slice(0, this.end()), ends: this.ends.slice(0, this.count) };
    return drawn;
  }

  /**
   * Keeps the rows of the `keep` smallest priorities, in the order they came, when more are held;
   * the threshold falls to the smallest priority dropped.
   */
  private compact(keep: number): void {
    if (this.count <= keep) return;
    const cut = nthSmallest(this.priorities.slice(0, this.count), keep);
    let kept = 0;
    let to = 0;
    for (let i = 0, from = 0; i < this.count; i++) {
      const p = this.priorities[i]!;
      const end = this.ends[i]!;
      if (p < cut) {
        this.priorities[kept] = p;
        if (this.arena.length > 0) {
          this.arena.copyWithin(to, from, end);
          to += end - from;
          this.ends[kept] = to;
        } else this.kept[kept] = this.kept[i]!;
        kept++;
      }
      from = end;
    }
    this.count = kept;
    this.kept.length = Math.min(this.kept.length, kept); // the dropped rows go
    this.lower(cut);
  }

  private lower(threshold: number): void {
    this.threshold = threshold;
    this.log1m = Math.log1p(-threshold);
  }

  /** Rows to pass over before the next candidate: each row is one with chance `threshold`. */
  private gap(): number {
    if (this.threshold >= 1) return 0;
    if (this.threshold <= 0) return Number.POSITIVE_INFINITY;
    const g = Math.floor(Math.log(1 - this.rng.next()) / this.log1m);
    return Number.isFinite(g) ? g : Number.POSITIVE_INFINITY;
  }
}

/** The k-th smallest (0-based) of `values`, which it reorders (Hoare's selection). */
export const nthSmallest = (values: Float64Array, k: number): number => {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
};

/** Whether row `index` belongs to the holdout: a pure function of (seed, index). */
export const holdoutSplitter = (seed: number, share: number): ((index: number) => boolean) => {
  const base = deriveSeed(seed, 'holdout');
  const cut = share * 4294967296;
  // mix32i: called for every row, and not always inlined (see mix32i); the same bits as mix32.
  return (index) => mix32i(base ^ mix32i(index >>> 0) ^ Math.floor(index / 4294967296)) >>> 0 < cut;
};

/**
 * A part's starting rate: about twice the rows its sample needs, of the rows expected in it (1 where
 * none are expected, or too few).
 */
export const sampleRate = (size: number, expected: number | undefined): number =>
  expected === undefined || !(expected > 0) ? 1 : Math.min(1, (2 * size) / expected);

/** The split and the reservoirs of one chunk; chunk 0's are those of a single pass. */
export const chunkSamplers = (sampling: SampleOptions, chunk: number) => {
  const seed = chunk === 0 ? sampling.seed : deriveSeed(sampling.seed, 'chunk', chunk);
  const { expectedRows: expected, holdoutShare: share } = sampling;
  return {
    inHoldout: holdoutSplitter(seed, share),
    train: new Reservoir(
      sampling.trainSampleSize,
      createRng(deriveSeed(seed, 'sample', 'train')),
      sampleRate(sampling.trainSampleSize, expected === undefined ? undefined : expected * (1 - share)),
    ),
    holdout: new Reservoir(
      sampling.holdoutSampleSize,
      createRng(deriveSeed(seed, 'sample', 'holdout')),
      sampleRate(sampling.holdoutSampleSize, expected === undefined ? undefined : expected * share),
    ),
  };
};

/**
 * A uniform sample of `size` rows of A's rows and B's together (B's after A's in the seed): the rows
 * of both under the lower threshold, where each holds every row it was offered, and of those the
 * `size` of smallest priority, in order. Fewer than `size` only where a sample started at a rate
 * that proved too low for the rows that came (see SampleOptions.expectedRows). `rowAt`: a part's
 * row as the merged sample holds it (`cellsAt` decodes the records it keeps, and no others).
 */
export const mergeSamples = <Row, Out = Row>(
  a: Drawn<Row>,
  b: Drawn<Row>,
  size: number,
  rowAt: (part: Drawn<Row>, i: number) => Out = (part, i) => part.rows[i] as unknown as Out,
): Drawn<Out> => {
  // Each loop over one part's priorities, read into locals: this runs once a profile, mostly before
  // it is compiled, over some 100,000 rows, and each property read there costs.
  let threshold = Math.min(a.threshold, b.threshold);
  const counts = [drawnRows(a), drawnRows(b)] as const;
  const priorities = new Float64Array(counts[0] + counts[1]);
  let n = 0;
  for (let k = 0; k < 2; k++) {
    const own = (k === 0 ? a : b).priorities;
    for (let i = 0, count = counts[k]!; i < count; i++) {
      const p = own[i]!;
      if (p < threshold) priorities[n++] = p;
    }
  }
  // Past `size`, the threshold falls to the smallest priority left out.
  if (n > size) threshold = nthSmallest(priorities.slice(0, n), size);
  const rows: Out[] = [];
  n = 0;
  for (let k = 0; k < 2; k++) {
    const part = k === 0 ? a : b;
    const own = part.priorities;
    for (let i = 0, count = counts[k]!; i < count; i++) {
      const p = own[i]!;
      if (p < threshold) {
        rows.push(rowAt(part, i));
        priorities[n++] = p;
      }
    }
  }
  return { rows, offered: a.offered + b.offered, priorities: priorities.slice(0, n), threshold };
};

/** The rows of a drawn sample: its records', where it holds records. */
const drawnRows = (sample: Drawn<unknown>): number => sample.records?.ends.length ?? sample.rows.length;

/** Row `i` of a chunk's sample as cells: as it is, its JSON text read, or its record decoded. */
const cellsAt = (sample: ChunkSample, i: number, decode: RecordDecoder): Cell[] => {
  const row = sample.rows[i];
  if (row !== undefined) return typeof row === 'string' ? (JSON.parse(`[${row}]`) as Cell[]) : row;
  const { bytes, ends } = sample.records!;
  return decode(bytes, i === 0 ? 0 : ends[i - 1]!, ends[i]!);
};

/**
 * The scan sink of one pass over chunk `chunk`'s rows: each row to the train or holdout part by
 * its index, into that part's seeded reservoir; every row's key into the duplicate sketch.
 */
export const samplingSink = (sampling: SampleOptions, chunk: number, header: ScanSink['header']) => {
  const { inHoldout, train, holdout } = chunkSamplers(sampling, chunk);
  const duplicates = new DuplicateRows();
  let part = train;
  const sink: ScanSink = {
    header,
    wants: (index) => {
      part = inHoldout(index) ? holdout : train;
      return part.wants();
    },
    keep: (buf, start, end) => part.keepRecord(buf, start, end),
    duplicates,
  };
  return { sink, train, holdout, duplicates };
};

/** Values a column's recent-values cache holds before it starts again, and its trial (see RecentValues). */
const RECENT_VALUES = 4096;
const RECENT_TRIAL = 16_384;

/**
 * A column's latest values and their entries, asked before the column's statistics: the row
 * reader's answer to the byte scanner's recent-values cache. Past the distinct cap a value is no
 * longer in the column's table, so every cell of it would be parsed again; in a sorted or
 * clustered column (flights' dates: 215,000 distinct in 3,000,000 rows) most repeat a recent one.
 * A hit hands the entry to `repeat`, which counts it exactly as `add` would. After RECENT_TRIAL
 * lookups with fewer than 1 % hits (a column of distinct values) it is no longer asked.
 */
class RecentValues {
  private readonly entries = new Map<string, ValueEntry>();
  private tries = 0;
  private hits = 0;
  private asking = true;

  add(stats: ColumnStats, cell: Cell): ValueEntry | undefined {
    if (cell === null) return stats.add(cell);
    // Not asked any more (a column of distinct values): its entries are read at once, never kept,
    // so a column past its cap fills one scratch entry instead of allocating one per new value.
    if (!this.asking) return stats.add(cell, false, true);
    const known = this.entries.get(cell);
    if (++this.tries === RECENT_TRIAL && this.hits < RECENT_TRIAL / 100) {
      this.asking = false;
      this.entries.clear();
    }
    if (known !== undefined) {
      this.hits++;
      stats.repeat(known);
      return known;
    }
    const entry = stats.add(cell);
    if (entry !== undefined && this.asking) {
      if (this.entries.size >= RECENT_VALUES) this.entries.clear();
      // The entry's value is the cell, detached from the text it was cut from, unless it was trimmed.
      this.entries.set(entry.value === cell ? entry.value : detach(cell), entry);
    }
    return entry;
  }
}

/**
 * One pass of rows as the row reader gives them (JSON Lines, Parquet, text it decodes) into a
 * chunk's column statistics, duplicate-row sketch and train/holdout reservoirs: chunk 0's split
 * and samples are those of a single pass, like the byte scanner's (`samplingSink`).
 */
export class RowPass {
  readonly stats: ColumnStats[];
  readonly duplicates = new DuplicateRows();
  readonly train: Reservoir;
  readonly holdout: Reservoir;
  rows = 0;
  private readonly recent: RecentValues[];
  private readonly hashes: number[];
  private readonly inHoldout: (index: number) => boolean;

  constructor(columns: string[], sampling: SampleOptions, chunk: number) {
    this.stats = columns.map((c) => new ColumnStats(c));
    this.recent = columns.map(() => new RecentValues());
    this.hashes = new Array(columns.length).fill(EMPTY_CELL);
    ({
      inHoldout: this.inHoldout,
      train: this.train,
      holdout: this.holdout,
    } = chunkSamplers(sampling, chunk));
  }

  add(row: Cell[]): void {
    const width = this.stats.length;
    for (let c = 0; c < width; c++)
      this.hashes[c] = this.recent[c]!.add(this.stats[c]!, row[c] ?? null)?.hash ?? EMPTY_CELL;
    this.duplicates.addRow(this.hashes, width);
    const part = this.inHoldout(this.rows) ? this.holdout : this.train;
    if (part.wants()) part.keep(row.map(sampledCell));
    this.rows++;
  }

  /** Adds row `r` of these columns (a Parquet row group's): as `add`, without a row array. */
  addAt(columns: Cell[][], r: number): void {
    const width = this.stats.length;
    for (let c = 0; c < width; c++)
      this.hashes[c] = this.recent[c]!.add(this.stats[c]!, columns[c]![r] ?? null)?.hash ?? EMPTY_CELL;
    this.duplicates.addRow(this.hashes, width);
    const part = this.inHoldout(this.rows) ? this.holdout : this.train;
    if (part.wants()) part.keep(columns.map((column) => sampledCell(column[r] ?? null)));
    this.rows++;
  }
}

/**
 * Scans one chunk on this thread; `pack`: its samples as JSON texts, to cross to another thread;
 * `headway`: told the bytes of the chunk done so far, as it goes, where the scan can tell.
 */
export type ChunkScan = (
  task: ChunkTask,
  pack?: boolean,
  headway?: (done: number) => void,
) => Promise<ChunkResult>;

/** Scans one chunk of delimited text (the byte-level fast path). */
export const scanChunk: ChunkScan = async (task, pack = true) => {
  if (task.parquet !== undefined) throw new Error('a Parquet chunk is scanned by scanParquetChunk');
  if (task.jsonl !== undefined) return scanJsonlChunk(task, pack);
  const { sink, train, holdout, duplicates } = samplingSink(task.sampling, task.index, () => {
    throw new Fallback('a header inside a chunk');
  });
  const stats = task.columns.map((name) => new ColumnStats(name));
  const source = await openLocation(task.source);
  const result = await scanDelimitedFile(source, task.delimiter, sink, { ...task.range, stats }).finally(() =>
    source.close(),
  );
  return {
    index: task.index,
    start: result.start,
    end: result.end,
    rows: result.rows,
    stats: pack ? stats.map((s) => s.wire()) : stats,
    duplicates,
    train: pack ? train.sample() : train.rows(),
    holdout: pack ? holdout.sample() : holdout.rows(),
  };
};

/** Bytes a JSON Lines chunk reads at a time. */
const JSONL_BLOCK = 1 << 20;
const LINE_FEED = 10;

/**
 * A JSON Lines chunk: the lines that start inside its range (a line feed ends every record; JSON
 * escapes the ones in strings), each parsed and counted as the row reader would. Bad input (a line
 * that is no JSON object, a key the first lines lack, invalid UTF-8) is Fallback: the row reader
 * reads the file again and names the line.
 */
const scanJsonlChunk = async (task: ChunkTask, pack: boolean): Promise<ChunkResult> => {
  const pass = new RowPass(task.columns, task.sampling, task.index);
  const { start, end } = await readJsonlChunk(task, (row) => {
    pass.add(row);
    return true;
  });
  return {
    index: task.index,
    start,
    end,
    rows: pass.rows,
    stats: pack ? pass.stats.map((s) => s.wire()) : pass.stats,
    duplicates: pass.duplicates,
    train: pack ? pass.train.sample() : pass.train.rows(),
    holdout: pack ? pass.holdout.sample() : pass.holdout.rows(),
  };
};

/**
 * Reads a JSON Lines chunk's lines, each as the row reader's cells to `take` (false: stop); gives
 * the file offsets of its first line and just past its last (-1 when `take` stopped it).
 */
export const readJsonlChunk = async (
  task: ChunkTask,
  take: (row: Cell[]) => boolean,
): Promise<{ start: number; end: number }> => {
  const name = task.jsonl!.name;
  const rows = new JsonlRows(task.columns, name);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const source = await openLocation(task.source);
  const { end } = task.range;
  let buf = Buffer.allocUnsafe(JSONL_BLOCK);
  // Read from one byte early when guessing: a range starting right after a line feed keeps its first line.
  const seeking = !task.range.aligned && task.range.start > 0;
  let base = seeking ? task.range.start - 1 : task.range.start;
  let filled = 0;
  let eof = false;
  let first = -1; // file offset of the chunk's first line
  let stop = -1; // file offset past its last line
  try {
    while (stop < 0) {
      if (filled === buf.length) {
        // A line longer than the row reader takes: it names the line.
        if (filled >= MAX_LINE_CHARS) throw new Fallback('a line longer than the row reader takes');
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const { bytesRead } = await source.read(buf, filled, buf.length - filled, base + filled);
      if (bytesRead === 0) eof = true;
      filled += bytesRead;
      if (first < 0) {
        // Past the line the range starts inside: the bytes before the first line feed are dropped.
        const feed = seeking ? buf.subarray(0, filled).indexOf(LINE_FEED) : -1;
        if (seeking && feed < 0 && !eof) continue;
        const skip = !seeking ? 0 : feed < 0 ? filled : feed + 1;
        buf.copy(buf, 0, skip, filled);
        base += skip;
        filled -= skip;
        first = base;
      }
      // Whole lines: to the last line feed read, or to the end of the file.
      let last = buf.subarray(0, filled).lastIndexOf(LINE_FEED);
      last = last < 0 ? (eof ? filled : -1) : last + 1;
      if (last < 0) continue;
      // The chunk's last line is the one holding byte end - 1 (none, when that byte lies before it).
      const cut = end - 1 - base;
      if (cut < 0) {
        last = 0;
        stop = base;
      } else if (cut < last) {
        const feed = buf.subarray(cut, last).indexOf(LINE_FEED);
        if (feed >= 0) {
          last = cut + feed + 1;
          stop = base + last;
        }
      } else if (eof) stop = base + last;
      for (const line of decoder.decode(buf.subarray(0, last)).split('\n')) {
        if (line.trim() === '') continue;
        if (!take(rows.row(parseJsonLine(line, 0, name), 0))) return { start: first, end: -1 };
      }
      buf.copy(buf, 0, last, filled);
      base += last;
      filled -= last;
      if (eof && stop < 0) stop = base;
    }
  } catch (error) {
    if (error instanceof BadInputError || error instanceof TypeError) throw new Fallback(errorMessage(error));
    throw error;
  } finally {
    await source.close();
  }
  return { start: first, end: stop };
};

/**
 * Rows `unpackWhile` decodes between two looks at whether to go on: a thread's reply waits at most
 * a batch (4,096 rows kept it 10-15 ms).
 */
export const UNPACK_BATCH = 1024;

/**
 * `unpack`, a batch at a time while `going()` says so, with a turn of the event loop between
 * batches (a thread's reply is taken then); rows not reached stay records, for `unpack` to finish.
 * Rows of priority under the sample's median go first: those a merge with an equal part keeps.
 */
export const unpackWhile = async (
  sample: ChunkSample,
  delimiter: string,
  going: () => boolean,
  decode = recordDecoder(delimiter),
): Promise<ChunkSample> => {
  const { records, priorities } = sample;
  if (records === undefined || !going()) return sample;
  const count = records.ends.length;
  // Rows not decoded yet are holes: the records stand for them.
  const rows: Cell[][] = sample.rows.length === 0 ? new Array(count) : (sample.rows.slice() as Cell[][]);
  const median = count === 0 ? 0 : nthSmallest(priorities.slice(0, count), count >> 1);
  let batch = 0;
  for (const low of [true, false]) {
    for (let i = 0; i < count; i++) {
      if (priorities[i]! < median !== low || rows[i] !== undefined) continue;
      rows[i] = cellsAt(sample, i, decode);
      if (++batch < UNPACK_BATCH) continue;
      batch = 0;
      await new Promise((resolve) => setImmediate(resolve));
      if (!going()) return { ...sample, rows };
    }
  }
  return { ...sample, rows };
};

/** The sample's rows as cells; `delimiter`: the records' (a delimited seed's). */
export const unpack = (packed: ChunkSample, delimiter = ','): Drawn => {
  const { records, ...sample } = packed;
  const decode = recordDecoder(delimiter);
  const count = drawnRows(packed);
  const rows: Cell[][] = new Array(count);
  for (let i = 0; i < count; i++) rows[i] = cellsAt(packed, i, decode);
  return { ...sample, rows };
};

export interface ChunkedProfile {
  stats: ColumnStats[];
  duplicates: DuplicateRows;
  train: Sample;
  holdout: Sample;
  rows: number;
  chunks: number;
  cut: ChunkCut;
  /** Resolves when the worker threads have ended: the caller awaits it before its profile is done. */
  closed: Promise<void>;
}

/**
 * How a seed was cut: each chunk's task, its range the records the profile found in it (aligned),
 * so a second pass over the seed (value-chunks.ts) reads the same chunks on as many threads.
 */
export interface ChunkCut {
  tasks: ChunkTask[];
  /** The threads' script. */
  worker?: WorkerScript;
  /** The profile's `threads` option. */
  threads?: number;
  /** Collects a chunk's values on this thread, where it is not delimited text or JSON Lines (Parquet's). */
  scanValues?: (task: ChunkTask) => Promise<PiiIndex>;
}

export interface ChunkOptions {
  /**
   * Threads scanning chunks (default: the cores available, at most 4); 1 scans every chunk on this
   * thread. When there are as many chunks as threads, this thread is one of them (it scans the
   * first chunk); otherwise they are all worker threads and this one merges.
   */
  threads?: number;
  /** Bytes per chunk (default: 2 chunks under about 1.5 GB, else 4; at least 16 MiB each). */
  chunkBytes?: number;
  /** Told, as each chunk is scanned, the bytes scanned so far (the header's included), and the file's size. */
  progress?: (done: number, total: number) => void;
  /** Mean bytes of a row (from the first lines), to size each thread's heap for its samples; default 64. */
  rowBytes?: number;
  /**
   * The seed's rows, where known or estimated ahead (see SampleOptions.expectedRows): used when it is
   * cut into more than one chunk.
   */
  expectedRows?: number;
  /**
   * Worker threads started ahead (`startChunkPool`): used if as many as the cut wants, else closed;
   * closed at the end either way.
   */
  pool?: Promise<ChunkPool | undefined>;
  /** The chunks, planned by the caller (a Parquet file's row groups, `parquetParts`), instead of byte ranges. */
  parts?: ParquetPart[];
  /** Scans a chunk on this thread (default `scanChunk`); `worker`: the threads' script, which runs the same. */
  scan?: ChunkScan;
  worker?: WorkerScript;
}

/** A chunk of a Parquet file: row groups [from, to) and the bytes they span. */
export interface ParquetPart {
  groups: [number, number];
  range: [number, number];
}

/**
 * Cells (rows times columns) per Parquet chunk: about what BYTES_PER_CHUNK of delimited text holds
 * at 7 bytes a cell (flights-3m: 106 MB of CSV, 15,000,000 cells); a file of fewer than twice
 * MIN_PART_CELLS (a 16 MiB chunk's worth) is one chunk.
 */
const CELLS_PER_CHUNK = BYTES_PER_CHUNK / 7;
const MIN_PART_CELLS = MIN_CHUNK / 7;

/**
 * A Parquet file's chunks: as many as delimited text of as many cells would get (`chunkRanges`),
 * never more than its row groups, each a run of whole row groups holding about an even share of the
 * rows. A function of the file alone, like the cut of delimited text.
 */
export const parquetParts = (
  groups: { rows: number; offset: number }[],
  columns: number,
  size: number,
  /** As `chunkRanges`' (tests): the cells that many bytes of delimited text hold, per chunk. */
  chunkBytes?: number,
): ParquetPart[] => {
  const rows = groups.reduce((sum, g) => sum + g.rows, 0);
  const cells = rows * columns;
  const wanted =
    chunkBytes !== undefined
      ? Math.ceil(cells / Math.max(1, chunkBytes / 7))
      : cells < 2 * MIN_PART_CELLS
        ? 1
        : Math.min(MAX_CHUNKS, 2 * Math.max(1, Math.round(cells / (2 * CELLS_PER_CHUNK))));
  const count = Math.max(1, Math.min(wanted, groups.length));
  const parts: ParquetPart[] = [];
  let from = 0;
  let seen = 0;
  for (let k = 1; k <= count; k++) {
    let to = from;
    // Whole groups while the next one brings this part nearer its share of the rows, leaving a
    // group for each part after.
    const share = (rows * k) / count;
    while (to < groups.length - (count - k) && (to === from || seen + groups[to]!.rows / 2 <= share)) {
      seen += groups[to]!.rows;
      to++;
    }
    if (k === count) {
      for (; to < groups.length; to++) seen += groups[to]!.rows;
    }
    const end = to < groups.length ? groups[to]!.offset : size;
    parts.push({ groups: [from, to], range: [groups[from]?.offset ?? 0, end] });
    from = to;
  }
  return parts;
};

/**
 * Bytes the first chunk of an automatic cut takes from the second: the calling thread scans it
 * (see `poolPlan`) and starts 60-80 ms before a worker thread can (a thread's start-up, its code),
 * about 4-5 MB of flights. Less than that head start: a thread done first decodes its samples while
 * it waits. flights-3m (106 MB), alternate runs: 3-4 MB ahead, median 1.08-1.09 s against 1.10.
 */
const FIRST_CHUNK_LEAD = 3 << 20;

/**
 * Chunk boundaries over the data bytes [from, size): of `chunkBytes` each, or an automatic cut (see
 * MAX_CHUNKS) whose first chunk leads by FIRST_CHUNK_LEAD (at most a quarter of the second).
 */
export const chunkRanges = (from: number, size: number, chunkBytes?: number): [number, number][] => {
  const bytes = Math.max(0, size - from);
  const count = Math.min(MAX_CHUNKS, 2 * Math.max(1, Math.round(bytes / (2 * BYTES_PER_CHUNK))));
  const chunk = chunkBytes ?? Math.max(MIN_CHUNK, Math.ceil(bytes / count));
  const ranges: [number, number][] = [];
  for (let start = from; start < size || ranges.length === 0; start += chunk) {
    ranges.push([start, Math.min(size, start + chunk)]);
  }
  if (chunkBytes === undefined && ranges.length > 1) {
    const lead = Math.min(FIRST_CHUNK_LEAD, Math.floor((ranges[1]![1] - ranges[1]![0]) / 4));
    ranges[0]![1] += lead;
    ranges[1]![0] += lead;
  }
  return ranges;
};

type Outcome<R = ChunkResult> = { ok: true; result: R } | { ok: false; error: unknown };

/**
 * A chunk's result as it crossed from a worker, its classes back. `counts`: its counted values as a
 * map too (the first chunk, which the others merge into); else they stay arrays, for `merge`.
 */
const revive = (result: ChunkResult, counts: boolean): ChunkResult => ({
  ...result,
  stats: result.stats.map((s) => ColumnStats.revive(s, counts)),
  duplicates: DuplicateRows.revive(result.duplicates),
  // The samples stay records: a merge decodes the rows it keeps, and no others.
});

type Reply = { ok: true; result: unknown } | { ok: false; fallback?: string; message: string };

/**
 * The buffers a thread's reply hands over instead of copying them (postMessage's transfer list):
 * those of its typed arrays that each own a whole buffer (not a slice of Node's pool), found through
 * its objects' fields and arrays. A thread keeps nothing it replies with. A flights chunk's reply
 * (4.4 MB, 3.4 of it in typed arrays) took 16-20 ms to copy on the thread, where main waited.
 */
export const transferables = (value: unknown): ArrayBuffer[] => {
  const found = new Set<ArrayBuffer>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    if (ArrayBuffer.isView(v)) {
      const { buffer } = v;
      if (buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === buffer.byteLength)
        found.add(buffer);
    } else if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object') walk(item);
    } else for (const key in v) walk((v as Record<string, unknown>)[key]);
  };
  walk(value);
  return [...found];
};

/**
 * What a pool thread is sent to end: it closes its port and its thread exits as a script that ran
 * out of work does, after V8's background jobs for its isolate are done. `Worker.terminate` stops
 * an isolate with optimizing compiles still running on V8's helper threads, and in Node 20 one of
 * them can then ask for the gone isolate's task runner and abort the whole process
 * (`NodePlatform::ForIsolate`, `(data.first) != nullptr`): seen once in a CI run of the test
 * suite while threads were terminated (see the README's performance notes).
 */
export const STOP = 'stop';

/**
 * How long a thread told to end may take (its V8 jobs drain in well under a second) before it is
 * terminated, and a terminated thread before the pool stops waiting for it.
 */
const STOP_GRACE_MS = 2_000;

/**
 * What a pool thread starts as: Node's start-up of a thread (100-140 ms while the other core scans)
 * runs while the script's code is still loading (a few file reads from the bundle cache, or a
 * build); the code comes as the thread's first message, and runs as a CommonJS script would.
 */
const BOOT = `
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (message) => {
    if (typeof message !== 'object' || message === null || typeof message.code !== 'string')
      return parentPort.close();
    const run = require('node:vm').runInThisContext(
      '(function (exports, require, module, __filename, __dirname) {' + message.code + '\\n})',
      { filename: message.name },
    );
    run.call(module.exports, module.exports, require, module, __filename, __dirname);
  });`;

/** A pool of worker threads running `scanChunk`; a worker that dies is replaced. */
export class ChunkPool {
  private readonly idle: Worker[] = [];
  /** Threads started (those that failed and were replaced count once). */
  private started = 0;
  private readonly busy = new Set<Worker>();
  private readonly queue: { task: ChunkTask; done: (outcome: Outcome<unknown>) => void }[] = [];
  /** Threads told to end. */
  private readonly ending: Promise<void>[] = [];
  /** The threads' script, once loaded. */
  private code: string | undefined;
  /** Threads that failed or ended while idle, and the latest one's error. */
  private failures = 0;
  private failure: unknown;
  /** Threads left behind by `close` (see `abandoned`). */
  private left = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly name: string,
    private readonly heapMb: number,
    private readonly youngMb: number,
    private readonly graceMs: number,
  ) {}

  /**
   * `code`: the threads' script (default: the bundled `script`, profile-chunk-worker.ts). The
   * threads start at once and the script follows them when loaded; no thread is left running
   * where it fails to load.
   */
  static async start(
    threads: number,
    heapMb: number,
    youngMb: number,
    code?: string,
    script: WorkerScript = 'profile-chunk-worker',
    graceMs = STOP_GRACE_MS,
  ): Promise<ChunkPool> {
    const pool = new ChunkPool(`${script}.cjs`, heapMb, youngMb, graceMs);
    for (let i = 0; i < threads; i++) pool.idle.push(pool.spawn());
    pool.started = threads;
    // After the threads: they start while it loads (from the cache, at once).
    const loading = code === undefined ? bundleWorker(script) : Promise.resolve(code);
    try {
      pool.code = await loading;
    } catch (error) {
      await Promise.all(pool.idle.map((w) => w.terminate()));
      throw error;
    }
    for (const worker of pool.idle) pool.send(worker);
    return pool;
  }

  /** The threads it was started with. */
  get threads(): number {
    return this.started;
  }

  /** Runs the task on a thread; its result as it crossed (`revive` puts classes back). */
  run(task: ChunkTask): Promise<Outcome<unknown>> {
    return new Promise((done) => {
      this.queue.push({ task, done });
      this.pump();
    });
  }

  /**
   * Ends every thread, those that ended early included: nothing of the pool outlives the call. Idle
   * threads are told to end (STOP); a thread still on a chunk (the profile failed elsewhere) is
   * terminated.
   */
  close(): Promise<void> {
    // Once: a second call (the threads started ahead are closed again when the profile ends) waits
    // for the same threads, and does not wait again for one left behind.
    this.closing ??= Promise.all([
      ...this.ending,
      ...this.idle.map((w) => this.end(w)),
      ...[...this.busy].map((w) => this.stop(w)),
    ]).then(() => {});
    return this.closing;
  }

  /**
   * Threads the pool stopped waiting for: told to end and then terminated, each was still running
   * a grace after both (see `exited`).
   */
  get abandoned(): number {
    return this.left;
  }

  /** Tells an idle thread to end; resolves when it has (or is left behind, see `exited`). */
  private end(worker: Worker): Promise<void> {
    worker.postMessage(STOP); // a no-op for a thread gone already (`exited` then resolves at once)
    // One that does not end by itself (a script that ignores STOP, a handle left open) is
    // terminated after the grace: a profile never waits on it for good.
    return this.exited(worker, () => void worker.terminate());
  }

  /** Terminates a thread (on a chunk, or dead already); resolves when it has ended (or is left behind). */
  private stop(worker: Worker): Promise<void> {
    void worker.terminate();
    return this.exited(worker);
  }

  /**
   * Resolves when `worker` has exited: `nudge` runs if it has not after the grace, and a thread
   * still running a grace after that is left behind, unreferenced (the process may exit without it)
   * and counted in `abandoned`. Neither STOP nor terminate reaches a thread blocked in native code,
   * as in Node's own teardown of a thread (NodePlatform::DrainTasks waits for every background task
   * of the process, and can wait for good: nodejs/node#54918); a profile then goes on without it
   * instead of hanging (a CI run of the suite saw pool profiles wait past 60 s, where is not known).
   */
  private exited(worker: Worker, nudge?: () => void): Promise<void> {
    // A thread that has exited already has no thread id left.
    if (worker.threadId < 0) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        worker.off('exit', done);
        resolve();
      };
      const leave = () => {
        this.left++;
        worker.unref();
        done();
      };
      worker.once('exit', done);
      timer = setTimeout(() => {
        if (nudge === undefined) return leave();
        nudge();
        timer = setTimeout(leave, this.graceMs);
      }, this.graceMs);
    });
  }

  /** The script, the thread's first message. */
  private send(worker: Worker): void {
    worker.postMessage({ code: this.code, name: this.name });
  }

  private spawn(): Worker {
    const worker = new Worker(BOOT, {
      eval: true,
      resourceLimits: {
        maxYoungGenerationSizeMb: this.youngMb,
        maxOldGenerationSizeMb: this.heapMb,
      },
    });
    // A thread can fail outside a chunk too: idle, or winding down after its last reply (out of its
    // bounded memory, say). An 'error' event nobody listens to is thrown, and would end the process;
    // no chunk is lost, so the thread only leaves the pool (replaced if chunks still wait for one).
    const leaves = (error: unknown) => {
      const at = this.idle.indexOf(worker);
      if (at < 0) return; // a chunk's own listener has it, or it was ending
      this.idle.splice(at, 1);
      this.failures++;
      this.failure = error;
      this.pump();
    };
    worker.on('error', leaves);
    // One that ends while idle without an error (its script exits) leaves too: a chunk sent to a
    // thread already gone would wait for an exit that came before it.
    worker.on('exit', (code) => leaves(new Error(`a worker thread ended while idle (exit code ${code})`)));
    // A thread started before the script loaded gets it from `start`.
    if (this.code !== undefined) this.send(worker);
    return worker;
  }

  private pump(): void {
    // Chunks wait and no thread is left (each failed while idle, before or between chunks): one
    // more, unless the threads keep failing; then the chunks fail, and their callers scan them.
    if (this.idle.length === 0 && this.busy.size === 0 && this.queue.length > 0) {
      if (this.failures <= this.started) this.idle.push(this.spawn());
      else for (const { done } of this.queue.splice(0)) done({ ok: false, error: this.failure });
    }
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const { task, done } = this.queue.shift()!;
      this.busy.add(worker);
      const finish = (outcome: Outcome<unknown>, alive: boolean) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.off('messageerror', onMessageError);
        this.busy.delete(worker);
        // Every chunk is queued up front: a thread with nothing left to take ends now, its heap freed
        // (`close` waits for it: a process that exits while a thread still winds down can crash).
        if (this.queue.length === 0) this.ending.push(alive ? this.end(worker) : this.stop(worker));
        else this.idle.push(alive ? worker : this.spawn());
        done(outcome);
        this.pump();
      };
      const onMessage = (reply: Reply) => {
        if (reply.ok) finish({ ok: true, result: reply.result }, true);
        else {
          const error =
            reply.fallback === undefined ? new Error(reply.message) : new Fallback(reply.fallback);
          finish({ ok: false, error }, true);
        }
      };
      const onError = (error: unknown) => finish({ ok: false, error }, false);
      // A thread can end with no error and no reply (its script exits, or `close` terminates it): the
      // chunk fails then (its caller scans it on its own thread) instead of waiting for good.
      const onExit = (code: number) =>
        finish(
          { ok: false, error: new Error(`a worker thread ended (exit code ${code}) before it replied`) },
          false,
        );
      // A reply that cannot be read here (its deserialization failed) is lost: the chunk fails.
      const onMessageError = (error: unknown) => finish({ ok: false, error }, true);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.on('messageerror', onMessageError);
      worker.postMessage(task);
    }
  }
}

const local = async (
  scan: ChunkScan,
  task: ChunkTask,
  headway?: (done: number) => void,
): Promise<Outcome> => {
  try {
    return { ok: true, result: await scan(task, false, headway) };
  } catch (error) {
    return { ok: false, error };
  }
};

/**
 * The threads a cut of `chunks` chunks runs on, and the worker threads among them. When each chunk
 * has a thread of its own, this thread scans the first one instead of only waiting: one thread
 * fewer to start, and that chunk's samples and statistics cross no thread (flights-3m, 106 MB in 2
 * chunks: 1.62 s against 1.75). With more chunks than threads it only merges: its heap is not
 * bounded, and scanning while merging took the 1 GB file, then cut into 4 chunks for 2 threads, to
 * 263 MiB against 236-241.
 */
export const poolPlan = (chunks: number, threadsOption?: number) => {
  const threads = Math.min(chunks, threadsOption ?? Math.min(MAX_THREADS, availableParallelism()));
  const here = threads > 1 && threads === chunks;
  return { threads, here, workers: threads > 1 ? (here ? threads - 1 : threads) : 0 };
};

/** Worker threads for chunks of rows of `columns` columns (about `rowBytes` each); none where they cannot start. */
const startPool = (
  workers: number,
  columns: number,
  sampling: SampleOptions,
  rowBytes = 64,
  script?: WorkerScript,
): Promise<ChunkPool | undefined> =>
  ChunkPool.start(
    workers,
    oldGenerationMb(columns, sampling.trainSampleSize + sampling.holdoutSampleSize, rowBytes),
    youngGenerationMb(rowBytes),
    undefined,
    script,
  ).catch(() => undefined);

/**
 * The worker threads a delimited or JSON Lines seed of `size` bytes will be profiled on, started
 * before its header is read (a thread takes 70-110 ms to start; the delimiter's sniffing and the
 * header's reading, 40-50 ms): a promise to hand `profileChunks` (option `pool`), which closes
 * them. `columns`: at least the seed's (its heap bound grows with them). None where the seed is
 * one chunk.
 */
export const startChunkPool = (
  size: number,
  columns: number,
  sampling: SampleOptions,
  options: Pick<ChunkOptions, 'threads' | 'chunkBytes' | 'rowBytes'>,
): Promise<ChunkPool | undefined> | undefined => {
  const { workers } = poolPlan(chunkRanges(0, size, options.chunkBytes).length, options.threads);
  return workers > 0 ? startPool(workers, columns, sampling, options.rowBytes) : undefined;
};

/**
 * Profiles the data rows of a delimited file, from `dataStart` (just past the header) to `size`,
 * chunk by chunk. Throws Fallback where the fast path declines a chunk that starts on a true
 * record boundary (the caller then reads the whole file through the streaming path).
 */
export const profileChunks = async (
  /** The task every chunk shares; a Parquet file's names the file (`parts` give each chunk's groups). */
  base: Omit<ChunkTask, 'index' | 'range' | 'parquet'> & { parquet?: Omit<ParquetChunk, 'groups'> },
  dataStart: number,
  size: number,
  options: ChunkOptions = {},
): Promise<ChunkedProfile> => {
  const { parts, scan = scanChunk } = options;
  const ranges = parts?.map((p) => p.range) ?? chunkRanges(dataStart, size, options.chunkBytes);
  const { here, workers } = poolPlan(ranges.length, options.threads);
  const { parquet, ...shared } = base;
  // A seed of several chunks samples at the rate its expected rows call for; one of a single chunk
  // keeps every row until its samples fill, as the streaming path does (so the two agree).
  const { expectedRows, ...sampling } = base.sampling;
  const expected = options.expectedRows ?? expectedRows;
  if (ranges.length > 1 && expected !== undefined) Object.assign(sampling, { expectedRows: expected });
  const task = (index: number, start: number, aligned: boolean): ChunkTask => ({
    ...shared,
    sampling,
    index,
    range: { start, end: ranges[index]![1], aligned },
    ...(parts === undefined || parquet === undefined
      ? {}
      : { parquet: { ...parquet, groups: parts[index]!.groups } }),
  });
  // Threads started ahead by the caller serve when there are as many as the plan wants.
  const early = await options.pool;
  const fits = early !== undefined && early.threads === workers;
  if (early !== undefined && !fits) await early.close();
  // Without a bundler at hand (a trimmed install), every chunk runs on this thread: slower, same result.
  const pool = fits
    ? early
    : workers > 0
      ? await startPool(workers, base.columns.length, base.sampling, options.rowBytes, options.worker)
      : undefined;
  // Headway: the bytes of the chunks scanned so far, in whatever order the threads finish them, and
  // of the one this thread is scanning (where its scan tells: a Parquet chunk, group by group).
  const counted = new Set<number>();
  let scanned = dataStart;
  // This thread scans one chunk at a time: its bytes done so far, until the chunk is counted.
  let inFlight = { chunk: -1, done: 0 };
  const tick = (i: number): void => {
    if (counted.has(i)) return;
    counted.add(i);
    scanned += ranges[i]![1] - ranges[i]![0];
    if (inFlight.chunk === i) inFlight = { chunk: -1, done: 0 };
    options.progress?.(scanned + inFlight.done, size);
  };
  const partial = (i: number) => (done: number) => {
    if (counted.has(i)) return;
    inFlight = { chunk: i, done };
    options.progress?.(scanned + done, size);
  };
  const onThisThread = (t: ChunkTask) => local(scan, t, partial(t.index));
  const run = (t: ChunkTask): Promise<Outcome> =>
    pool === undefined
      ? onThisThread(t)
      : pool
          .run(t)
          .then((o) => (o.ok ? { ok: true, result: revive(o.result as ChunkResult, t.index === 0) } : o));
  // With workers, every chunk is queued at once; on this thread they run one by one as merged.
  // The workers first: they start while this thread scans.
  const pending: (Promise<Outcome> | undefined)[] = ranges.map((_, i) =>
    pool === undefined || (here && i === 0)
      ? undefined
      : run(task(i, ranges[i]![0], i === 0)).then((outcome) => {
          tick(i);
          return outcome;
        }),
  );
  if (pool !== undefined && here) pending[0] = onThisThread(task(0, ranges[0]![0], true));
  let merged: ChunkResult | undefined;
  // A merge decodes the rows it keeps: no row is decoded that a merge drops. One decoder for all
  // (its texts of each buffer made once, its code warm).
  const decode = recordDecoder(base.delimiter);
  const rowAt = (part: ChunkSample, i: number) => cellsAt(part, i, decode);
  const exact: [number, number][] = [];
  let chunks = 0;
  let end = dataStart;
  try {
    for (let i = 0; i < ranges.length; i++) {
      let outcome = await (pending[i] ?? run(task(i, ranges[i]![0], i === 0)));
      pending[i] = undefined; // let the merged chunk's memory go
      const start = outcome.ok ? outcome.result.start : undefined;
      if (i > 0 && start !== end) {
        // The guess fell inside a quoted field (or the chunk failed on bytes it misread): again from the true boundary.
        outcome = await local(scan, task(i, end, true));
      } else if (!outcome.ok && !(outcome.error instanceof Fallback)) {
        // The thread died (out of its bounded memory, say): this thread tries the chunk itself.
        outcome = await local(scan, task(i, start ?? end, i === 0 || start !== undefined));
      }
      if (!outcome.ok) throw outcome.error;
      const chunk = outcome.result;
      end = chunk.end;
      exact.push([chunk.start, chunk.end]);
      chunks++;
      tick(i);
      if (merged === undefined) {
        merged = chunk;
        // While the next chunk is still being scanned, the rows merged so far are decoded (after
        // the merge only the later chunks' would be left to decode); once it is in, only the rows
        // that stay in the merged sample are: the decoding stops where it came in.
        const waiting = () => i + 1 < ranges.length && !counted.has(i + 1);
        merged.train = await unpackWhile(merged.train, base.delimiter, waiting, decode);
        merged.holdout = await unpackWhile(merged.holdout, base.delimiter, waiting, decode);
        continue;
      }
      for (let c = 0; c < chunk.stats.length; c++) merged.stats[c]!.merge(chunk.stats[c]!);
      merged.duplicates.merge(chunk.duplicates);
      merged.train = mergeSamples(merged.train, chunk.train, base.sampling.trainSampleSize, rowAt);
      merged.holdout = mergeSamples(merged.holdout, chunk.holdout, base.sampling.holdoutSampleSize, rowAt);
      merged.rows += chunk.rows;
    }
  } catch (error) {
    await pool?.close();
    throw error;
  }
  // The threads wind down (each isolate torn down on its own thread: 25-35 ms, up to 150 while this
  // thread works) while the samples are decoded and the profile summed up: `closed` says when.
  const closed = pool?.close() ?? Promise.resolve();
  try {
    const { stats, duplicates, rows, train, holdout } = merged!;
    const cut: ChunkCut = {
      tasks: exact.map(([start, stop], i) => ({
        ...task(i, start, true),
        range: { start, end: stop, aligned: true },
      })),
      worker: options.worker,
      threads: options.threads,
    };
    return {
      stats,
      duplicates,
      rows,
      chunks,
      train: unpack(train, base.delimiter),
      holdout: unpack(holdout, base.delimiter),
      cut,
      closed,
    };
  } catch (error) {
    await closed;
    throw error;
  }
};
