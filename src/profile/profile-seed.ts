/**
 * Profiles a seed in one streaming pass, in bounded memory. Steps:
 * 1. open the seed (format, compression, delimiter, header; bad input fails here or mid-stream);
 * 2. per row: every cell into its column's statistics; the row to the holdout or the train part
 *    by a seeded hash of its index, and into that part's seeded reservoir sample;
 * 3. per column: infer the kind, apply the spec's overrides, detect PII, summarize, raise alerts;
 * 4. null tokens ('NA', 'null'…) in typed columns and blank cells become null in the samples.
 * The same seed and the same bytes give the same profile and the same samples.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  type ColumnProfile,
  type DatasetSpec,
  IDENTIFYING,
  type Profile,
  Profile as ProfileSchema,
  parse,
} from '../contracts.ts';
import { BadInputError } from '../errors.ts';
import { openLocation, type SeedLocation, StreamSource, withHead } from '../formats/byte-source.ts';
import { DELIMITERS, sniffDelimiter } from '../formats/delimited.ts';
import { JSONL_SCHEMA_LINES, LineSplitter, parseJsonLine, unionKeys } from '../formats/jsonl.ts';
import { openParquet, PARQUET_MAGIC, spoolToTemp } from '../formats/parquet.ts';
import {
  checkHead,
  gunzip,
  openSeed,
  openSeedFile,
  type SeedReader,
  SNIFF_BYTES,
  uniqueColumns,
} from '../formats/read-seed.ts';
import { createRng, deriveSeed } from '../random.ts';
import type { Cell, Table } from '../table.ts';
import { type DuplicateCount, DuplicateRows } from './duplicate-rows.ts';
import { ColumnStats, type Inferred, isNullToken } from './infer.ts';
import { scanParquetChunk, scanParquetValues } from './parquet-chunks.ts';
import { detectSemantic, preloadPii, preparePii, type SemanticDetection } from './pii.ts';
import {
  type ChunkCut,
  type ChunkOptions,
  parquetParts,
  profileChunks,
  RowPass,
  type Sample,
  type SampleOptions,
  samplingSink,
  startChunkPool,
  unpack,
} from './profile-chunks.ts';
import { Fallback, scanDelimitedFile } from './scan-file.ts';

export interface ProfileOptions {
  seed: number;
  /** Size of the seed object, when the caller knows it (else the bytes read). */
  bytes?: number;
  /** Share of rows set aside for the privacy gate's holdout (default 0.2). */
  holdoutShare?: number;
  /**
   * Fewest holdout rows (default 1,000) where the seed has them: a small seed's share is raised
   * toward it, never past half the rows (train keeps at least as many as the holdout).
   */
  holdoutMin?: number;
  trainSampleSize?: number;
  holdoutSampleSize?: number;
  overrides?: DatasetSpec['columns'];
  /**
   * Files and URLs read by ranges: threads scanning chunks (default: the cores available, at most
   * 4; see ChunkOptions).
   */
  threads?: number;
  /**
   * Files and URLs read by ranges: bytes per chunk (default: 2 chunks under about 1.5 GB, else 4;
   * at least 16 MiB each); Parquet's chunks hold the cells that many bytes of delimited text
   * would, in whole row groups.
   */
  chunkBytes?: number;
  /**
   * Files and URLs read by ranges: told the bytes profiled so far and the file's size, as the work
   * goes on (a chunk merged, a batch of rows read), the last time with done = total.
   */
  progress?: (done: number, total: number) => void;
}

export interface ProfiledSeed {
  profile: Profile;
  /** A uniform sample of the train rows (all columns, PII included). */
  train: Table;
  /** A uniform sample of the holdout rows, disjoint from every train row. */
  holdout: Table;
  /**
   * Per column (by index), numeric columns only: [probability, value] at QUANTILE_PROBS, exact
   * below the distinct cap and from a KLL sketch past it. Not in the Profile contract yet.
   */
  quantiles: ([number, number][] | undefined)[];
  /**
   * How the seed was cut when it was read as chunks (by ranges: delimited text, JSON Lines,
   * Parquet): a second pass over it (`indexChunks`) reads the same chunks on as many threads.
   */
  cut?: ChunkCut;
  /**
   * True where the byte scanner read the seed (delimited text) as one stream: a second pass may
   * read its values the same way. Not where it declined the text or was never asked (another
   * dialect, another format), for the row reader's values may then differ from the scanner's.
   */
  scanned?: boolean;
}

/** A share as a person reads it: never '0%' or '100%' for a share that is neither. */
const pct = (x: number): string =>
  x > 0 && x < 0.005 ? '<1%' : x < 1 && x > 0.995 ? '>99%' : `${Math.round(x * 100)}%`;

/** Alert thresholds; the imbalance one is ydata-profiling's default. */
const MISSING_SHARE = 0.2;
const IMBALANCE = 0.5;
const SKEWNESS = 2;
const ZEROS_SHARE = 0.5;
/**
 * In text, numbers below this share are titles like '1984', not a mixed column. Where numbers or
 * dates lead, any word is reported: it is why the column is not numeric.
 */
const MIXED_SHARE = 0.05;
const NUMBER_SHAPES: ReadonlySet<string> = new Set(['integer', 'float', 'formatted number']);

/**
 * The alerts ydata-profiling would raise, where a person would agree: constant, unique (ID-like),
 * high cardinality, high missing share, imbalanced, skewed, mostly zeros, mixed value shapes,
 * numbers written as text. (A distinct count that is a sketch's estimate is said by the column's
 * `distinctEstimated`: a fact about the figure, not a problem with the data.)
 */
const alertsFor = (
  kind: ColumnProfile['kind'],
  inferred: Inferred,
  summary: ReturnType<ColumnStats['summarize']>,
  topCount: number,
): string[] => {
  const alerts: string[] = [];
  const { rows, nulls, count, distinct, min, max } = summary;
  if (count > 0 && distinct === 1) alerts.push('constant: every non-null value is the same');
  // A unique measurement (a gross, a weight) is no key; a unique integer is one when it is dense.
  const keyLike =
    kind === 'id' ||
    kind === 'categorical' ||
    (kind === 'integer' && typeof min === 'number' && typeof max === 'number' && max - min < 2 * count);
  if (summary.unique && keyLike) alerts.push('unique: every non-null value is distinct (ID-like)');
  if (inferred.highCardinality) alerts.push(`high-cardinality: ${distinct} distinct values in ${count}`);
  if (rows > 0 && nulls / rows > MISSING_SHARE) {
    alerts.push(`high-missing: ${pct(nulls / rows)} of values are missing`);
  }
  const topShare = summary.topShare ?? (count > 0 ? topCount / count : 0);
  if (summary.imbalance !== undefined && summary.imbalance > IMBALANCE) {
    alerts.push(`imbalanced: the most frequent value holds ${pct(topShare)} of non-null values`);
  }
  if (summary.skewness !== undefined && Math.abs(summary.skewness) > SKEWNESS) {
    alerts.push(`skewed: skewness ${summary.skewness.toFixed(1)}`);
  }
  if (summary.zeros !== undefined && count > 0 && summary.zeros / count > ZEROS_SHARE) {
    alerts.push(`zeros: ${pct(summary.zeros / count)} of values are 0`);
  }
  const shapes = summary.shapes ?? [];
  const lead = shapes[0];
  const formatted = shapes.find((s) => s.shape === 'formatted number')?.share ?? 0;
  if (formatted > 0 && shapes.every((s) => NUMBER_SHAPES.has(s.shape))) {
    const what = 'numbers with separators, currency or percent signs; kept as text';
    alerts.push(`numbers-as-text: ${pct(formatted)} of values are ${what}`);
  } else if (lead !== undefined && shapes.length > 1) {
    // Where text leads, a few numbers are titles like '1984'; where numbers lead, any word matters.
    if (lead.shape !== 'text' || 1 - lead.share >= MIXED_SHARE) {
      alerts.push(`mixed: ${shapes.map((s) => `${pct(s.share)} ${s.shape}`).join(', ')}`);
    }
  }
  return alerts;
};

/** Identifying values are regenerated, never modelled: the column is text (a UUID stays an id). */
const kindForSemantic = (kind: ColumnProfile['kind'], semantic: SemanticDetection | undefined) => {
  if (semantic === undefined || !IDENTIFYING.has(semantic.type)) return kind;
  if (kind === 'date' || kind === 'datetime') return kind;
  return semantic.type === 'uuid' ? 'id' : 'text';
};

interface Pass {
  columns: string[];
  stats: ColumnStats[];
  duplicates: DuplicateRows;
  train: Sample;
  holdout: Sample;
  rows: number;
  warnings: string[];
  source: Profile['source'];
  /** The chunks, where the seed was read as chunks. */
  cut?: ChunkCut;
  /** Whether the byte scanner read the seed as one stream. */
  scanned?: boolean;
  /** Where worker threads read it: when they have ended (the profile is done no sooner). */
  closed?: Promise<void>;
}

const sampling = (options: ProfileOptions): SampleOptions => ({
  seed: options.seed,
  holdoutShare: options.holdoutShare ?? 0.2,
  trainSampleSize: options.trainSampleSize ?? 50_000,
  holdoutSampleSize: options.holdoutSampleSize ?? 10_000,
});

export const profileSource = async (
  source: AsyncIterable<Uint8Array>,
  name: string,
  options: ProfileOptions,
): Promise<ProfiledSeed> => profileReader(await openSeed(source, name), name, options);

const profileReader = async (
  reader: SeedReader,
  name: string,
  options: ProfileOptions,
  /** The source's size, for `options.progress` (a local file's; unknown for a bare stream). */
  total?: number,
): Promise<ProfiledSeed> => {
  const { columns } = reader;
  const pass = new RowPass(columns, sampling(options), 0);
  for await (const batch of reader.batches()) {
    for (const row of batch) pass.add(row);
    if (total !== undefined) options.progress?.(Math.min(reader.bytesRead, total), total);
  }
  if (total !== undefined) options.progress?.(total, total);
  return summarizePass(name, options, {
    columns,
    stats: pass.stats,
    duplicates: pass.duplicates,
    train: unpack(pass.train.rows()),
    holdout: unpack(pass.holdout.rows()),
    rows: pass.rows,
    warnings: reader.warnings,
    source: {
      name,
      bytes: options.bytes ?? reader.bytesRead,
      format: reader.format,
      compression: reader.compression,
      ...(reader.delimiter === undefined ? {} : { delimiter: reader.delimiter }),
    },
  });
};

const isGzip = (bytes: Uint8Array): boolean => bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * The delimiter when the first bytes are plain delimited text the fast path (scan-file.ts) may
 * read: not gzip, not JSON, UTF-8 (checkHead); undefined otherwise. `complete`: these are all the
 * bytes there are.
 */
const fastDelimiter = (bytes: Uint8Array, name: string, complete: boolean): string | undefined => {
  if (bytes.length === 0 || isGzip(bytes)) return undefined;
  const text = new TextDecoder('utf-8').decode(bytes, { stream: true });
  const lead = text.trimStart()[0];
  if (lead === undefined || lead === '{' || lead === '[') return undefined;
  try {
    checkHead(bytes, name, complete);
  } catch {
    return undefined;
  }
  return sniffDelimiter(text, name);
};

/**
 * Profiles a local file: delimited text through the byte-level fast path (scan-file.ts), in
 * chunks on worker threads when it is large (profile-chunks.ts); gzipped text through the same
 * fast path as a stream (`profileStream`: gzip cannot be cut into ranges); anything else — JSON
 * Lines, Parquet, input the fast path declines — through `profileSource`. A file of one chunk
 * gives exactly the result of `profileSource` over its bytes; a larger one the same within the
 * sketches' error, with samples as uniform.
 */
export const profileFile = async (
  path: string,
  name: string,
  options: ProfileOptions,
): Promise<ProfiledSeed> => {
  const { size } = await stat(path);
  return profileRanges({ path }, size, name, options, async (head) => {
    if (isGzip(head)) {
      // Compressed reads of 256 KiB: headway in steps a small file still shows.
      const stream = async () => createReadStream(path, { highWaterMark: 1 << 18 });
      return profileStream(stream, name, { ...options, bytes: options.bytes ?? size });
    }
    return profileReader(await openSeedFile(path, name), name, options, size);
  });
};

/** What a chunked profile takes from the profile's options, whatever the format. */
const chunking = ({
  threads,
  chunkBytes,
  progress,
  pool,
}: ProfileOptions & Pick<ChunkOptions, 'pool'>): ChunkOptions => ({
  threads,
  chunkBytes,
  progress,
  pool,
});

/** Plain UTF-8 whose first character is '{': JSON Lines, which profileJsonl may cut into byte ranges. */
const isJsonLines = (bytes: Uint8Array, name: string, complete: boolean): boolean => {
  if (bytes.length === 0 || isGzip(bytes)) return false;
  if (new TextDecoder('utf-8').decode(bytes, { stream: true }).trimStart()[0] !== '{') return false;
  try {
    checkHead(bytes, name, complete);
  } catch {
    return false;
  }
  return true;
};

/** A JSON Lines seed's columns: the keys of its first lines, as the row reader takes them. */
const jsonlColumns = async (location: SeedLocation, size: number, name: string): Promise<string[]> => {
  const source = await openLocation(location);
  try {
    const splitter = new LineSplitter(name);
    const decoder = new TextDecoder('utf-8');
    const buf = Buffer.allocUnsafe(SNIFF_BYTES);
    let position = 0;
    while (splitter.lines.length < JSONL_SCHEMA_LINES && position < size) {
      const { bytesRead } = await source.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      splitter.push(decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
    }
    if (splitter.lines.length < JSONL_SCHEMA_LINES) splitter.finish();
    const objects = splitter.lines
      .slice(0, JSONL_SCHEMA_LINES)
      .map((l) => parseJsonLine(l.text, l.line, name));
    return unionKeys(objects);
  } catch (error) {
    if (error instanceof BadInputError) throw new Fallback(error.message); // the row reader names it
    throw error;
  } finally {
    await source.close();
  }
};

/**
 * A JSON Lines seed as byte ranges on worker threads (its lines cut where delimited text's are;
 * each line one record), each range's lines through the row reader's pass, merged as delimited
 * chunks are. Fallback on anything the row reader should name (a bad line, a late key).
 */
const profileJsonl = async (
  location: SeedLocation,
  size: number,
  name: string,
  options: ProfileOptions & Pick<ChunkOptions, 'pool'>,
  rowBytes: number,
): Promise<ProfiledSeed> => {
  const columns = await jsonlColumns(location, size, name);
  if (columns.length === 0) throw new Fallback('no keys in the first lines');
  const chunks = await profileChunks(
    { source: location, delimiter: '', columns, sampling: sampling(options), jsonl: { name } },
    0,
    size,
    { rowBytes, expectedRows: size / rowBytes, ...chunking(options) },
  );
  if (chunks.rows === 0) {
    await chunks.closed;
    throw new Fallback('no rows');
  }
  return summarizePass(name, options, {
    ...chunks,
    columns,
    warnings: [],
    source: { name, bytes: options.bytes ?? size, format: 'jsonl', compression: 'none' },
  });
};

const isParquet = (bytes: Uint8Array): boolean => PARQUET_MAGIC.every((b, i) => bytes[i] === b);

/**
 * A Parquet seed where it lies (a file, one spooled from a stream, or a URL read by ranges): a large
 * one as runs of row groups on worker threads (`parquetParts`), each through the row reader's
 * pass, merged as delimited chunks are; a small one in one pass on this thread.
 */
const profileParquet = async (
  location: SeedLocation,
  name: string,
  options: ProfileOptions,
  size: number,
): Promise<ProfiledSeed> => {
  const source = await openParquet(location, name, { size });
  await source.close();
  const { columns, warnings } = uniqueColumns(source.columns, name);
  const parts = parquetParts(source.groups, columns.length, size, options.chunkBytes);
  const chunks = await profileChunks(
    { source: location, delimiter: '', columns, sampling: sampling(options), parquet: { name, size } },
    parts[0]!.range[0],
    size,
    {
      parts,
      expectedRows: source.groups.reduce((rows, group) => rows + group.rows, 0),
      scan: scanParquetChunk,
      worker: 'parquet-chunk-worker',
      ...chunking(options),
    },
  );
  return summarizePass(name, options, {
    ...chunks,
    cut: { ...chunks.cut, scanValues: scanParquetValues },
    columns,
    warnings,
    source: { name, bytes: options.bytes ?? size, format: 'parquet', compression: 'none' },
  });
};

/** The profile's source of uncompressed delimited text read by the byte-level scanner. */
const delimitedSource = (
  name: string,
  bytes: number,
  delimiter: string,
  compression: Profile['source']['compression'] = 'none',
): Profile['source'] => ({
  name,
  bytes,
  format: delimiter === '\t' ? 'tsv' : 'csv',
  compression,
  delimiter,
});

/**
 * The first lines' values, roughly (lines cut at the delimiter, quotes stripped; a quoted delimiter
 * splits a value): enough for `preloadPii` to guess what detection will need.
 */
const headValues = (bytes: Uint8Array, delimiter: string): string[] =>
  new TextDecoder()
    .decode(bytes)
    .split('\n')
    .slice(1, 200)
    .flatMap((line) => line.split(delimiter))
    .map((value) => value.replace(/^\s*"|"\s*$/g, ''));

/** Bytes per line of these first bytes (the header's line included). */
const meanLineBytes = (bytes: Uint8Array): number => {
  let lines = 0;
  for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) lines++;
  return Math.ceil(bytes.length / Math.max(1, lines));
};

/**
 * Mean bytes of a record of delimited text in its first bytes: a line feed inside a quoted field
 * (a note of several lines) ends no record, so such a seed is not taken for one of many short rows
 * (its samples would start at too low a rate; see SampleOptions.expectedRows). Doubled quotes
 * toggle twice.
 */
const meanRecordBytes = (bytes: Uint8Array): number => {
  let records = 0;
  let end = 0;
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 34) quoted = !quoted;
    else if (b === 10 && !quoted) {
      records++;
      end = i + 1;
    }
  }
  return records === 0 ? Math.max(1, bytes.length) : Math.ceil(end / records);
};

/**
 * Profiles a seed any thread can open by itself (a file, or an object's presigned URL, read by
 * ranges) and whose size is known: delimited text as byte ranges on worker threads, like
 * `profileFile`; anything else, or input the fast path declines, through `fallback` (which reads
 * it through the row reader).
 */
export const profileRanges = async (
  location: SeedLocation,
  size: number,
  name: string,
  options: ProfileOptions,
  /** Reads the seed another way; handed its first bytes (gzip's magic says how). */
  fallback: (head: Uint8Array) => Promise<ProfiledSeed>,
): Promise<ProfiledSeed> => {
  preloadPii();
  const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
  const source = await openLocation(location);
  let headBytes = 0;
  try {
    while (headBytes < head.length) {
      const { bytesRead } = await source.read(head, headBytes, head.length - headBytes, headBytes);
      if (bytesRead === 0) break;
      headBytes += bytesRead;
    }
  } finally {
    await source.close();
  }
  // Parquet is read where it lies too: its row groups by ranges, never spooled.
  if (isParquet(head)) return profileParquet(location, name, options, size);
  const bytes = head.subarray(0, headBytes);
  const complete = headBytes < SNIFF_BYTES;
  const lineBytes = meanLineBytes(bytes);
  // Worker threads start while the delimiter is sniffed and the header read (none for a seed of one
  // chunk); the chunks take them, and they are closed before any other way of reading the seed.
  const pool = isGzip(bytes)
    ? undefined
    : startChunkPool(size, headColumns(bytes), sampling(options), {
        ...chunking(options),
        rowBytes: lineBytes,
      });
  const release = async () => (await pool)?.close();
  const otherwise = async (): Promise<ProfiledSeed> => {
    await release();
    return fallback(bytes);
  };
  try {
    const delimiter = fastDelimiter(bytes, name, complete);
    if (delimiter === undefined) {
      if (!isJsonLines(bytes, name, complete)) return await otherwise();
      try {
        return await profileJsonl(location, size, name, { ...options, pool }, lineBytes);
      } catch (error) {
        if (error instanceof Fallback) return await otherwise();
        throw error;
      }
    }
    preloadPii(headValues(bytes, delimiter));
    try {
      let columns: string[] = [];
      let warnings: string[] = [];
      // The header from the bytes read already (the file is opened only for a header longer than them).
      const headerSource = withHead(bytes, complete, () => openLocation(location));
      const header = await scanDelimitedFile(
        headerSource,
        delimiter,
        {
          header: (cells) => {
            ({ columns, warnings } = uniqueColumns(cells, name));
            return columns.map((c) => new ColumnStats(c));
          },
          wants: () => false,
          keep: () => {},
          duplicates: new DuplicateRows(),
        },
        { start: 0, end: 1, aligned: true },
      ).finally(() => headerSource.close());
      const rowBytes = meanRecordBytes(bytes);
      const chunks = await profileChunks(
        { source: location, delimiter, columns, sampling: sampling(options) },
        header.end,
        size,
        { rowBytes, expectedRows: (size - header.end) / rowBytes, ...chunking({ ...options, pool }) },
      );
      if (chunks.rows === 0) {
        await chunks.closed;
        return await otherwise(); // the row reader names the problem
      }
      return summarizePass(name, options, {
        ...chunks,
        columns,
        warnings,
        source: delimitedSource(name, options.bytes ?? size, delimiter),
      });
    } catch (error) {
      if (error instanceof Fallback) return await otherwise();
      throw error;
    }
  } finally {
    await release(); // closed already, unless something failed on the way
  }
};

/**
 * At least the columns of a seed's first line, whatever its delimiter (or a JSON line's keys): the
 * most of any candidate separator, plus one.
 */
const headColumns = (bytes: Uint8Array): number => {
  const end = bytes.indexOf(10);
  const line = bytes.subarray(0, end < 0 ? bytes.length : end);
  let most = 0;
  for (const separator of [...DELIMITERS, ':'].map((c) => c.charCodeAt(0))) {
    let n = 0;
    for (const b of line) if (b === separator) n++;
    most = Math.max(most, n);
  }
  return most + 1;
};

/** The first bytes of a stream (SNIFF_BYTES or all of it), and the whole stream again. */
interface Peeked {
  head: Buffer;
  /** Whether the stream ended within `head`. */
  complete: boolean;
  /** The bytes peeked, then the rest; stopping early releases the stream. */
  replay(): AsyncIterable<Uint8Array>;
  /** Releases the stream unread. */
  close(): Promise<unknown>;
}

const peek = async (stream: AsyncIterable<Uint8Array>): Promise<Peeked> => {
  const chunks = stream[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await chunks.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.byteLength;
  }
  return {
    head: Buffer.concat(head).subarray(0, SNIFF_BYTES),
    complete: ended && headBytes <= SNIFF_BYTES,
    replay: async function* () {
      try {
        yield* head;
        if (ended) return;
        for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value;
      } finally {
        await chunks.return?.();
      }
    },
    close: async () => chunks.return?.(),
  };
};

/**
 * Profiles a seed that can only be streamed (the pipeline's path: an S3 object, a local bucket;
 * a gzipped local file): plain delimited text, gzipped or not, through the byte-level fast path
 * on this thread, in one pass; anything else, or input the fast path declines, through
 * `profileSource` — on the same stream when the format says so at once (uncompressed), on a fresh
 * one from `open` otherwise. The result is exactly `profileSource`'s. With `options.bytes`, the
 * compressed bytes read go to `options.progress`.
 */
export const profileStream = async (
  open: () => Promise<AsyncIterable<Uint8Array>>,
  name: string,
  options: ProfileOptions,
): Promise<ProfiledSeed> => {
  let rawBytes = 0;
  const total = options.bytes;
  const counted = async function* (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      rawBytes += chunk.byteLength;
      if (total !== undefined) options.progress?.(Math.min(rawBytes, total), total);
      yield chunk;
    }
  };
  const raw = await peek(counted(await open()));
  const gzipped = isGzip(raw.head);
  // Inflated by the row reader's own gunzip: the same bomb and truncation checks, the same messages.
  const text = gzipped ? await peek(gunzip(raw.replay(), name, () => rawBytes)) : raw;
  const delimiter = fastDelimiter(text.head, name, text.complete);
  if (delimiter === undefined) {
    if (!gzipped && isParquet(raw.head)) {
      // Parquet needs random access: spooled to a file (headway so far is its download), then read as one.
      const spool = await spoolToTemp(raw.replay(), 'seed.parquet');
      try {
        const { progress, ...rest } = options;
        // No cut: its chunks would name the spool, gone once this returns.
        const { cut, ...profiled } = await profileParquet(
          { path: spool.path },
          name,
          rest,
          (await stat(spool.path)).size,
        );
        return profiled;
      } finally {
        await spool.remove();
      }
    }
    if (!gzipped) return profileSource(text.replay(), name, options);
    await text.close();
    await raw.close();
    return profileSource(await open(), name, options);
  }
  preloadPii(headValues(text.head, delimiter));
  const source = new StreamSource(text.replay());
  try {
    let columns: string[] = [];
    let warnings: string[] = [];
    let stats: ColumnStats[] = [];
    const { sink, train, holdout, duplicates } = samplingSink(sampling(options), 0, (cells) => {
      ({ columns, warnings } = uniqueColumns(cells, name));
      stats = columns.map((c) => new ColumnStats(c));
      return stats;
    });
    const scanned = await scanDelimitedFile(source, delimiter, sink);
    if (scanned.rows === 0) throw new Fallback('no data rows'); // the streaming path names the problem
    return summarizePass(name, options, {
      columns,
      stats,
      duplicates,
      train: unpack(train.rows(), delimiter),
      holdout: unpack(holdout.rows(), delimiter),
      rows: scanned.rows,
      warnings,
      source: delimitedSource(name, options.bytes ?? rawBytes, delimiter, gzipped ? 'gzip' : 'none'),
      scanned: true,
    });
  } catch (error) {
    if (!(error instanceof Fallback)) throw error;
    await source.close();
    return profileSource(await open(), name, options);
  }
};

/**
 * Moves train rows to the holdout until it has `holdoutMin` rows (or half the seed). Only a seed
 * whose train rows all sit in the train sample can fall short (a larger one has 20 % of over
 * 50,000 rows held out), so the rows moved are drawn, seeded, from every train row.
 */
const topUpHoldout = (pass: Pass, options: ProfileOptions): { train: Sample; holdout: Sample } => {
  const { train, holdout } = pass;
  const target = Math.min(options.holdoutMin ?? 1000, Math.floor(pass.rows / 2));
  const need = target - holdout.offered;
  if (need <= 0 || train.rows.length !== train.offered) return { train, holdout };
  const rng = createRng(deriveSeed(options.seed, 'holdout', 'top-up'));
  const rows = train.rows.slice();
  for (let i = 0; i < need; i++) {
    const j = i + rng.int(rows.length - i);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return {
    train: { rows: rows.slice(need), offered: train.offered - need },
    holdout: { rows: [...holdout.rows, ...rows.slice(0, need)], offered: holdout.offered + need },
  };
};

/**
 * Scaled up from a sample of the row keys past the exact cap (duplicate-rows.ts), a count this
 * small could be the sample's error (about 0.4 % of the rows where a large group of repeats is in play).
 */
const ESTIMATED_DUPLICATES_MIN = 0.01;

const tableAlerts = (duplicates: DuplicateCount): string[] => {
  const { rows, duplicates: count, estimated } = duplicates;
  const share = rows > 0 ? count / rows : 0;
  if (count === 0 || (estimated && share < ESTIMATED_DUPLICATES_MIN)) return [];
  const shown = share < 0.01 ? '<1%' : pct(share);
  return [
    estimated
      ? `duplicate-rows: about ${shown} of rows repeat an earlier row (estimated)`
      : `duplicate-rows: ${count} rows (${shown}) repeat an earlier row`,
  ];
};

/** The profile of a pass, once its threads (if any) have ended: they end while it is summed up. */
const summarizePass = async (name: string, options: ProfileOptions, pass: Pass): Promise<ProfiledSeed> => {
  try {
    return await profileOfPass(name, options, pass);
  } finally {
    await pass.closed;
  }
};

const profileOfPass = async (name: string, options: ProfileOptions, pass: Pass): Promise<ProfiledSeed> => {
  const overrides = options.overrides ?? {};
  const { columns, stats } = pass;
  const { train, holdout } = topUpHoldout(pass, options);
  const duplicates = pass.duplicates.count();
  const warnings = [...pass.warnings];
  const asked = sampling(options);
  for (const [part, sample, size] of [
    ['train', train, asked.trainSampleSize],
    ['holdout', holdout, asked.holdoutSampleSize],
  ] as const) {
    // Only a sample that started at the rate of an estimate can come out short (see SampleOptions).
    if (sample.rows.length < Math.min(size, sample.offered))
      warnings.push(
        `the ${part} sample holds ${sample.rows.length} of the ${size} rows asked: ${name}'s rows ran longer than its first lines, which set the sampling rate`,
      );
  }
  for (const column of Object.keys(overrides)) {
    if (!columns.includes(column))
      warnings.push(`the spec overrides column "${column}", which ${name} does not have`);
  }

  const tokensAreNull: boolean[] = [];
  const quantiles: ([number, number][] | undefined)[] = [];
  const firsts = stats.map((s, i) => {
    const inferred = s.infer(overrides[s.name]?.kind);
    tokensAreNull[i] = inferred.tokensAreNull && s.hasNullTokens();
    const first = s.detectionSample(inferred);
    return { inferred, first };
  });
  // Dates go to the birth-date check alone; the other columns' samples say what detection needs.
  await preparePii(
    firsts.flatMap(({ inferred, first }, i) =>
      overrides[stats[i]!.name]?.semantic !== undefined ||
      inferred.kind === 'date' ||
      inferred.kind === 'datetime'
        ? []
        : first.sample,
    ),
  );
  const profiles = stats.map((s, i): ColumnProfile => {
    const override = overrides[s.name];
    const { inferred, first } = firsts[i]!;
    let semantic: SemanticDetection | undefined;
    if (override?.semantic === null) semantic = undefined;
    else if (override?.semantic !== undefined) {
      semantic = { type: override.semantic, confidence: 1, evidence: 'set by the dataset spec' };
    } else {
      semantic = detectSemantic({
        name: s.name,
        kind: inferred.kind,
        values: first.sample,
        distinctRatio: first.count > 0 ? first.distinct / first.count : 0,
      });
    }
    const kind = override?.kind ?? kindForSemantic(inferred.kind, semantic);
    const final: Inferred = {
      ...inferred,
      kind,
      highCardinality: inferred.highCardinality && kind === inferred.kind,
    };
    const keepTop = semantic === undefined && kind !== 'id' && kind !== 'text';
    const summary = s.summarize(final, { keepTop });
    quantiles[i] = summary.quantiles;
    const identifying = semantic !== undefined && IDENTIFYING.has(semantic.type);
    const profile: ColumnProfile = {
      name: s.name,
      index: i,
      kind,
      count: summary.count,
      nulls: summary.nulls,
      nullRate: summary.rows > 0 ? summary.nulls / summary.rows : 0,
      distinct: summary.distinct,
      top: summary.top,
      alerts: alertsFor(kind, final, summary, summary.top[0]?.count ?? 0),
    };
    if (summary.distinctEstimated) profile.distinctEstimated = true;
    if (final.format !== undefined && (kind === 'date' || kind === 'datetime')) profile.format = final.format;
    if (final.decimals !== undefined && kind === 'float') profile.decimals = final.decimals;
    // An identifying column's extremes are seed values (a phone number, a card): they stay out.
    if (!identifying) {
      if (summary.min !== undefined) profile.min = summary.min;
      if (summary.max !== undefined) profile.max = summary.max;
      if (summary.mean !== undefined) profile.mean = summary.mean;
      if (summary.std !== undefined) profile.std = summary.std;
    }
    if (semantic !== undefined) profile.semantic = semantic;
    return profile;
  });

  // Sampled cells come trimmed, blanks as null (sampledCell; the scanner's entries): only null
  // tokens are left to turn into nulls, in columns whose kind counts them so and that had any.
  // Only those columns are visited: a sample of 62,500 rows took 7-10 ms to find nothing to do.
  const nullable = tokensAreNull.flatMap((tokens, c) => (tokens ? [c] : []));
  const clean = (rows: Cell[][]): Cell[][] => {
    if (nullable.length === 0) return rows;
    for (const row of rows) {
      for (const c of nullable) {
        const cell = row[c];
        if (cell != null && isNullToken(cell)) row[c] = null;
      }
    }
    return rows;
  };

  const profile = parse(
    ProfileSchema,
    {
      version: 1,
      source: pass.source,
      rows: pass.rows,
      duplicateRows: { count: duplicates.duplicates, estimated: duplicates.estimated },
      split: { train: train.offered, holdout: holdout.offered },
      columns: profiles,
      alerts: tableAlerts(duplicates),
      warnings,
    } satisfies Profile,
    `profile of ${name}`,
  );
  return {
    profile,
    train: { columns: [...columns], rows: clean(train.rows) },
    holdout: { columns: [...columns], rows: clean(holdout.rows) },
    quantiles,
    ...(pass.cut === undefined ? {} : { cut: pass.cut }),
    ...(pass.scanned === true ? { scanned: true } : {}),
  };
};
