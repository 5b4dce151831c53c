/**
 * A second pass over a seed the profile cut into chunks: every value of some columns into a PII
 * index (ingest's index of the seed's identifying values, for the gate's replay check), chunk by
 * chunk on worker threads, the chunks' indexes then united on the calling thread. The chunks are
 * the profile's own (`ChunkCut`: each one's exact records), so no boundary is guessed again.
 *
 * The pass before read the whole seed once more on one thread through the row reader, at about 12
 * MB/s on a table of people: 15 minutes (a function's most) went by at about 10 GB, a seed the
 * profile itself reads in a minute or two.
 *
 * Delimited text goes through the byte scanner (scan-file.ts) with columns that only collect: a
 * value seen before in its column is known by its bytes and never decoded or hashed again. JSON
 * Lines chunks go through the row reader's cells, Parquet chunks through their row groups
 * (parquet-chunks.ts), as the profile read them.
 */
import { availableParallelism } from 'node:os';
import { openLocation, StreamSource } from '../formats/byte-source.ts';
import { PiiIndex } from '../privacy/pii-index.ts';
import type { Cell } from '../table.ts';
import { DuplicateRows } from './duplicate-rows.ts';
import type { ValueEntry } from './infer.ts';
import { type ChunkCut, ChunkPool, type ChunkTask, MAX_THREADS, readJsonlChunk } from './profile-chunks.ts';
import { Fallback, type ScanColumn, type ScanSink, scanDelimitedFile } from './scan-file.ts';

/** What a value pass collects: the cells of the columns at `positions`, into an index of this salt and cap. */
export interface ValueTask {
  positions: number[];
  salt: string;
  cap: number;
}

/**
 * Slots of the scanner's table of a collected column's values (2^17: 65,536 values, against 16,384
 * when profiling): a value met again is known by its bytes, never decoded, normalized and hashed
 * again. 2,000,000 orders of 50,000 customers: 2.0-2.8 s against 4.8-5.0 s with the profile's
 * table; 2^18 cost columns of distinct values (the customers' own) 10 % more. The table's arrays lie
 * off the heap.
 */
const COLLECTED_BITS = 17;

/** Thrown out of the scanner when a chunk's index is full: reading on adds nothing. */
class Full extends Error {}

/**
 * A column as the byte scanner sees it in a value pass: one entry for all its values (the scanner
 * keeps it with each value's bytes, and knows a value again by them), each new value into the
 * index when the column is one of those collected (whose table is the larger).
 */
class CollectingColumn implements ScanColumn {
  private readonly entry: ValueEntry = {
    count: 1,
    value: '',
    hash: 0,
    x: Number.NaN,
    layout: -1,
    token: false,
    length: 0,
    space: false,
  };

  readonly internBits: number | undefined;

  constructor(private readonly index: PiiIndex | undefined) {
    this.internBits = index === undefined ? undefined : COLLECTED_BITS;
  }

  add(cell: Cell): ValueEntry | undefined {
    if (cell === null) return undefined;
    if (this.index !== undefined) {
      this.index.add(cell);
      if (this.index.truncated) throw new Full();
    }
    return this.entry;
  }

  repeat(): void {}

  repeatCounted(): void {}
}

/** One chunk's values into an index of its own (on whichever thread runs it). */
export const scanValues = async (task: ChunkTask): Promise<PiiIndex> => {
  const values = task.values;
  if (values === undefined) throw new Error('scanValues: not a value pass chunk');
  const index = new PiiIndex(values.salt, values.cap);
  if (task.jsonl !== undefined) {
    await readJsonlChunk(task, (row) => {
      for (const p of values.positions) {
        const cell = row[p];
        if (cell != null) index.add(cell);
      }
      return !index.truncated;
    });
    return index;
  }
  const columns = collecting(task.columns.length, values.positions, index);
  const source = await openLocation(task.source);
  try {
    await scanDelimitedFile(source, task.delimiter, collectingSink(), { ...task.range, stats: columns });
  } catch (error) {
    if (!(error instanceof Full)) throw error;
  } finally {
    await source.close();
  }
  return index;
};

/** A row's columns for the scanner, those at `positions` collecting into `index`. */
const collecting = (width: number, positions: readonly number[], index: PiiIndex): CollectingColumn[] => {
  const wanted = new Set(positions);
  return Array.from({ length: width }, (_, c) => new CollectingColumn(wanted.has(c) ? index : undefined));
};

/** The scanner's sink in a value pass: no samples; `header` given the columns where the scan reads one. */
const collectingSink = (header?: ScanSink['header']): ScanSink => ({
  header:
    header ??
    (() => {
      throw new Error('a value pass: a header inside a chunk');
    }),
  wants: () => false,
  keep: () => {},
  duplicates: new DuplicateRows(),
});

/**
 * Every value of the columns at `values.positions` of delimited text read as one stream (a seed
 * streamed to its profile: gzip, or under the ranged size), header first, through the byte
 * scanner on this thread; undefined where the scanner declines the text (the row reader reads it
 * then, and names what it must).
 */
export const indexStream = async (
  text: AsyncIterable<Uint8Array>,
  delimiter: string,
  values: ValueTask,
): Promise<PiiIndex | undefined> => {
  const index = new PiiIndex(values.salt, values.cap);
  const source = new StreamSource(text);
  const sink = collectingSink((cells) => collecting(cells.length, values.positions, index));
  try {
    await scanDelimitedFile(source, delimiter, sink);
  } catch (error) {
    if (error instanceof Fallback) return undefined;
    if (!(error instanceof Full)) throw error;
  } finally {
    await source.close();
  }
  return index;
};

/**
 * Every value of the columns at `values.positions`, in every chunk of the cut, into one index:
 * chunks on worker threads (or, without them, on this thread one by one), united in file order, so
 * the index is the same whatever the threads. Equal to one pass over the seed unless the index
 * fills up (it is then truncated either way, holding other keys; the threads stop then).
 */
export const indexChunks = async (cut: ChunkCut, values: ValueTask): Promise<PiiIndex> => {
  const scan = cut.scanValues ?? scanValues;
  const tasks = cut.tasks.map((task) => ({ ...task, values }));
  const threads = Math.min(tasks.length, cut.threads ?? Math.min(MAX_THREADS, availableParallelism()));
  // A heap like a profile's without samples, and each collected column's larger table of entries
  // (8 bytes a slot on the heap; its other arrays, and an index's table, lie off it).
  const collected = values.positions.length * Math.ceil((8 << COLLECTED_BITS) / 2 ** 20);
  const heapMb = 8 + 6 * (tasks[0]?.columns.length ?? 0) + collected;
  const pool =
    threads > 1
      ? await ChunkPool.start(threads, heapMb, 8, undefined, cut.worker).catch(() => undefined)
      : undefined;
  const index = new PiiIndex(values.salt, values.cap);
  try {
    const pending = tasks.map((task) => pool?.run(task));
    for (let i = 0; i < tasks.length; i++) {
      const outcome = await pending[i];
      // Without a pool, or where its thread failed (out of its memory, say): on this thread.
      const part = outcome?.ok === true ? PiiIndex.revive(outcome.result as PiiIndex) : await scan(tasks[i]!);
      index.union(part);
      if (index.truncated) break;
    }
  } finally {
    await pool?.close();
  }
  return index;
};
