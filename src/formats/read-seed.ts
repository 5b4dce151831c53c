/**
 * Opens a seed table as a stream of row batches, whatever its size. Steps:
 * 1. gzip by its magic bytes (decompressed as it streams, a likely gzip bomb refused), never by the name;
 * 2. Parquet by its magic bytes: read row group by row group (a stream is spooled to a temp file
 *    first, since Parquet needs random access; `openParquetSeed` reads one where it lies);
 * 3. the first 64 KiB checked: empty, other archives, binary; the text encoding detected (UTF-8 with
 *    or without BOM; UTF-16 and Windows-1252 decoded with a warning; broken UTF-8 an error);
 * 4. JSON Lines when the first non-space character is `{`, else delimited text with the delimiter
 *    sniffed from the first lines;
 * 5. the header (or the JSON Lines keys) read up front, so a header-only file fails here;
 * 6. the rest tokenized lazily, batch by batch, as the caller iterates.
 * Every failure is a BadInputError starting with the file name and naming the row, line or offset.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BadInputError } from '../errors.ts';
import type { Cell } from '../table.ts';
import type { SeedLocation } from './byte-source.ts';
import { DelimitedTokenizer, sniffDelimiter } from './delimited.ts';
import { decodeText, detectEncoding, firstInvalidUtf8 } from './encoding.ts';
import {
  JSONL_SCHEMA_LINES,
  JsonArraySplitter,
  JsonlRows,
  LineSplitter,
  parseJsonLine,
  unionKeys,
} from './jsonl.ts';
import { openParquet, PARQUET_MAGIC, type ParquetSource, spoolToTemp } from './parquet.ts';

export type SeedFormatName = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet';

export interface SeedReader {
  format: SeedFormatName;
  compression: 'none' | 'gzip';
  /** The delimiter of delimited text; absent for JSON Lines and Parquet. */
  delimiter?: string;
  /** Column names, unique and non-empty (see `warnings` for any renamed). */
  columns: string[];
  /**
   * File-level notes for the profile, e.g. a duplicate header renamed or the text encoding. More
   * may be added while the batches are read (an encoding found mid-file): read it after them.
   */
  warnings: string[];
  /** Bytes taken from the source so far (compressed bytes for gzip). */
  readonly bytesRead: number;
  /** Row batches, every row `columns.length` cells wide. Iterable once. */
  batches(): AsyncIterable<Cell[][]>;
  /** Releases files the reader holds (Parquet); `batches()` does it when it ends, so only needed if it is abandoned early. */
  close(): Promise<void>;
}

export interface OpenSeedOptions {
  /** Rows per batch (default 4096). */
  batchSize?: number;
}

/** Bytes looked at to decide format and reject binaries. */
export const SNIFF_BYTES = 64 * 1024;
/** Share of control characters in the first bytes above which a file is binary. */
const BINARY_SHARE = 0.1;
/** Share of bytes that are not UTF-8 above which a file is binary rather than Windows-1252 text. */
const MAX_SINGLE_BYTE_SHARE = 0.3;
/**
 * Decompressed-to-compressed ratio above which gzip input is refused as a likely gzip bomb. Real
 * tables compress 3- to 50-fold; DEFLATE tops out near 1032-fold, which only degenerate input reaches.
 */
export const MAX_GZIP_RATIO = 200;
/** Decompressed bytes before the ratio is judged, so a small file's header-heavy start is not. */
export const GZIP_RATIO_FLOOR = 32 * 1024 * 1024;

/** Holds the first chunks of a byte stream for inspection, then replays them before the rest. */
class Peekable {
  private buffered: Uint8Array[] = [];
  private size = 0;
  done = false;

  constructor(private readonly iterator: AsyncIterator<Uint8Array>) {}

  async head(bytes: number): Promise<Uint8Array> {
    while (this.size < bytes && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else if (next.value.byteLength > 0) {
        this.buffered.push(next.value);
        this.size += next.value.byteLength;
      }
    }
    return Buffer.concat(this.buffered);
  }

  async *stream(): AsyncGenerator<Uint8Array> {
    const buffered = this.buffered;
    this.buffered = [];
    yield* buffered;
    while (!this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else yield next.value;
    }
  }
}

const isZlibError = (error: unknown): error is Error => {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('Z_');
};

/**
 * The gzip stream inflated, refusing a likely bomb (more than MAX_GZIP_RATIO times the compressed
 * bytes read so far, `rawBytes`) and naming truncated or corrupt data by its compressed offset.
 */
export async function* gunzip(chunks: AsyncIterable<Uint8Array>, name: string, rawBytes: () => number) {
  const unzip = createGunzip();
  // Errors surface through `unzip`'s iterator below; the callback only keeps pipeline from throwing.
  pipeline(Readable.from(chunks), unzip, () => {});
  let total = 0;
  try {
    for await (const chunk of unzip) {
      total += (chunk as Uint8Array).byteLength;
      if (total > GZIP_RATIO_FLOOR && total > MAX_GZIP_RATIO * rawBytes()) {
        throw new BadInputError(
          `${name}: the gzip data expands more than ${MAX_GZIP_RATIO}-fold (${total} bytes from the first ` +
            `${rawBytes()} compressed bytes); refused as a likely gzip bomb`,
        );
      }
      yield chunk as Uint8Array;
    }
  } catch (error) {
    if (!isZlibError(error)) throw error;
    throw new BadInputError(
      `${name}: the gzip data is truncated or corrupt after ${rawBytes()} compressed bytes (${error.message})`,
      { cause: error },
    );
  } finally {
    unzip.destroy();
  }
}

const startsWith = (bytes: Uint8Array, magic: number[]): boolean => magic.every((b, i) => bytes[i] === b);

/** Shares of control characters and of U+FFFD (invalid UTF-8, when decoded from it) in `text`. */
const textShares = (text: string): { controls: number; invalid: number } => {
  let controls = 0;
  let invalid = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) invalid++;
    else if (c === 0x7f || (c < 0x20 && c !== 9 && c !== 10 && c !== 13)) controls++;
  }
  const n = Math.max(1, text.length);
  return { controls: controls / n, invalid: invalid / n };
};

const rejectArchivesAndBinary = (head: Uint8Array, name: string): void => {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    throw new BadInputError(`${name} is a zip archive; doppel reads CSV/TSV/JSONL/Parquet, plain or gzipped`);
  }
  const sample = head.subarray(0, SNIFF_BYTES);
  const nul = sample.indexOf(0);
  if (nul !== -1) {
    throw new BadInputError(`${name} looks binary, not CSV/TSV/JSONL (a NUL byte at offset ${nul})`);
  }
  const { controls, invalid } = textShares(new TextDecoder('utf-8').decode(sample, { stream: true }));
  if (controls > BINARY_SHARE) {
    throw new BadInputError(
      `${name} looks binary, not CSV/TSV/JSONL (${Math.round(100 * controls)}% of the first ${sample.byteLength} bytes are control characters)`,
    );
  }
  // Single-byte Latin text has a few bytes that are not UTF-8 (read as Windows-1252); most such bytes is not text.
  if (invalid > MAX_SINGLE_BYTE_SHARE) {
    throw new BadInputError(
      `${name} looks binary, not CSV/TSV/JSONL (${Math.round(100 * invalid)}% of the first ${sample.byteLength} bytes ` +
        'are not UTF-8; if it is text, save it as UTF-8)',
    );
  }
};

/**
 * Whether the byte-level fast path may read this head as plain UTF-8 delimited text: throws on
 * anything else (empty, Parquet, archives, binary, another encoding, invalid UTF-8), which
 * `openSeed` then reads or rejects with its full message.
 */
export const checkHead = (head: Uint8Array, name: string, done: boolean): void => {
  if (head.byteLength === 0) throw new BadInputError(`${name} is empty (0 bytes)`);
  if (startsWith(head, PARQUET_MAGIC)) throw new BadInputError(`${name} is Parquet, not delimited text`);
  const detected = detectEncoding(head, name);
  if (detected.encoding !== 'utf-8') throw new BadInputError(`${name} is ${detected.encoding} text`);
  rejectArchivesAndBinary(head, name);
  const sample = head.subarray(0, SNIFF_BYTES);
  const bad = firstInvalidUtf8(sample);
  // A character cut by the end of the sample is no fault of the file.
  if (bad !== -1 && (done || bad < sample.byteLength - 3)) {
    throw new BadInputError(`${name}: invalid UTF-8 at byte offset ${bad}`);
  }
  if (done && new TextDecoder('utf-8').decode(sample).trim() === '') {
    throw new BadInputError(`${name} is empty (only whitespace)`);
  }
};

/** Unique, non-empty column names; each change is reported. */
export const uniqueColumns = (header: Cell[], name: string): { columns: string[]; warnings: string[] } => {
  const warnings: string[] = [];
  const trimmed = header.map((h) => (h ?? '').trim());
  const taken = new Set(trimmed.filter((h) => h !== ''));
  const used = new Set<string>();
  const columns = trimmed.map((h, i) => {
    let base = h;
    if (base === '') {
      base = `column_${i + 1}`;
      if (!used.has(base) && !taken.has(base)) {
        warnings.push(`${name}: column ${i + 1} has no name in the header; it is called "${base}"`);
        used.add(base);
        return base;
      }
    }
    if (!used.has(base)) {
      used.add(base);
      return base;
    }
    let k = 2;
    while (used.has(`${base}_${k}`) || taken.has(`${base}_${k}`)) k++;
    const renamed = `${base}_${k}`;
    warnings.push(`${name}: column ${i + 1} repeats the header name "${base}"; it is called "${renamed}"`);
    used.add(renamed);
    return renamed;
  });
  return { columns, warnings };
};

const parquetReader = async (
  source: ParquetSource,
  name: string,
  compression: SeedReader['compression'],
  batchSize: number,
  bytesRead: () => number,
): Promise<SeedReader> => {
  let once = false;
  let rowsRead = 0;
  const { columns, warnings } = uniqueColumns(source.columns, name);
  async function* counted(): AsyncGenerator<Cell[][]> {
    for await (const batch of source.batches(batchSize)) {
      rowsRead += batch.length;
      yield batch;
    }
  }
  return {
    format: 'parquet',
    compression,
    columns,
    warnings,
    // The file is at hand before a row is read (spooled, or on disk): headway is the share of rows read.
    get bytesRead() {
      return source.rows > 0
        ? Math.floor((bytesRead() * Math.min(rowsRead, source.rows)) / source.rows)
        : bytesRead();
    },
    batches() {
      if (once) throw new Error(`${name}: SeedReader.batches() can be iterated once; open the seed again`);
      once = true;
      return counted();
    },
    close: () => source.close(),
  };
};

/** Parquet from a stream: spooled to a temp file (removed when the reader is done or fails), then read from it. */
const spooledParquet = async (
  bytes: AsyncIterable<Uint8Array>,
  name: string,
  compression: SeedReader['compression'],
  batchSize: number,
  bytesRead: () => number,
): Promise<SeedReader> => {
  const spool = await spoolToTemp(bytes, 'seed.parquet');
  const source = await openParquet({ path: spool.path }, name, { cleanup: spool.remove });
  return parquetReader(source, name, compression, batchSize, bytesRead);
};

export const openSeed = async (
  source: AsyncIterable<Uint8Array>,
  name: string,
  options: OpenSeedOptions = {},
): Promise<SeedReader> => {
  const batchSize = Math.max(1, options.batchSize ?? 4096);
  let bytesRead = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytesRead += bytes.byteLength;
      yield bytes;
    }
  }
  const read = () => bytesRead;

  const raw = new Peekable(counted()[Symbol.asyncIterator]());
  const magic = await raw.head(4);
  if (startsWith(magic, PARQUET_MAGIC)) return spooledParquet(raw.stream(), name, 'none', batchSize, read);
  const compression = startsWith(magic, [0x1f, 0x8b]) ? 'gzip' : 'none';
  const bytes =
    compression === 'gzip' ? new Peekable(gunzip(raw.stream(), name, read)[Symbol.asyncIterator]()) : raw;
  const head = await bytes.head(SNIFF_BYTES);
  if (head.byteLength === 0) throw new BadInputError(`${name} is empty (0 bytes)`);
  if (startsWith(head, PARQUET_MAGIC))
    return spooledParquet(bytes.stream(), name, compression, batchSize, read);

  const detected = detectEncoding(head, name);
  if (detected.encoding === 'utf-8') rejectArchivesAndBinary(head, name);
  const warnings: string[] = [];
  const decoded = decodeText(bytes.stream(), {
    name,
    detected,
    warnings,
    ...(compression === 'gzip' ? { offsetNote: ' of the decompressed data' } : {}),
  })[Symbol.asyncIterator]();
  const early: string[] = [];
  let earlyChars = 0;
  let decodedAll = false;
  while (earlyChars < SNIFF_BYTES && !decodedAll) {
    const next = await decoded.next();
    if (next.done) decodedAll = true;
    else {
      early.push(next.value);
      earlyChars += next.value.length;
    }
  }
  const headText = early.join('').slice(0, SNIFF_BYTES);
  if (decodedAll && headText.trim() === '') throw new BadInputError(`${name} is empty (only whitespace)`);
  if (detected.encoding !== 'utf-8') {
    const { controls } = textShares(headText);
    if (controls > BINARY_SHARE) {
      throw new BadInputError(
        `${name} looks binary, not CSV/TSV/JSONL (mostly control characters as ${detected.encoding})`,
      );
    }
  }
  async function* textChunks(): AsyncGenerator<string> {
    yield* early.splice(0, early.length);
    for (;;) {
      const next = await decoded.next();
      if (next.done) return;
      yield next.value;
    }
  }

  const first = headText.trimStart()[0];
  const text = textChunks();
  let once = false;
  const claim = () => {
    if (once) throw new Error(`${name}: SeedReader.batches() can be iterated once; open the seed again`);
    once = true;
  };
  const close = async () => {
    await text.return(undefined);
  };

  if (first === '{' || first === '[') {
    const splitter = first === '[' ? new JsonArraySplitter(name) : new LineSplitter(name);
    let ended = false;
    while (splitter.lines.length < JSONL_SCHEMA_LINES && !ended) {
      const next = await text.next();
      if (next.done) {
        splitter.finish();
        ended = true;
      } else splitter.push(next.value);
    }
    const early = splitter.lines.splice(0, splitter.lines.length);
    const objects = early.map((l) => parseJsonLine(l.text, l.line, name));
    const columns = unionKeys(objects.slice(0, JSONL_SCHEMA_LINES));
    if (columns.length === 0) throw new BadInputError(`${name}: the first JSON objects have no keys`);
    const rows = new JsonlRows(columns, name);
    return {
      format: first === '[' ? 'json' : 'jsonl',
      compression,
      columns,
      warnings,
      get bytesRead() {
        return bytesRead;
      },
      close,
      async *batches() {
        claim();
        let batch: Cell[][] = [];
        for (let i = 0; i < objects.length; i++) {
          batch.push(rows.row(objects[i]!, early[i]!.line));
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
        }
        while (!ended) {
          const next = await text.next();
          if (next.done) {
            splitter.finish();
            ended = true;
          } else splitter.push(next.value);
          for (const l of splitter.lines.splice(0, splitter.lines.length)) {
            batch.push(rows.row(parseJsonLine(l.text, l.line, name), l.line));
            if (batch.length === batchSize) {
              yield batch;
              batch = [];
            }
          }
        }
        if (batch.length > 0) yield batch;
      },
    };
  }

  const delimiter = sniffDelimiter(headText, name);
  const tokenizer = new DelimitedTokenizer(delimiter, name);
  let ended = false;
  const pull = async (): Promise<void> => {
    const next = await text.next();
    if (next.done) {
      tokenizer.finish();
      ended = true;
    } else tokenizer.push(next.value);
  };
  while (tokenizer.records.length < 2 && !ended) await pull();
  const earlyRecords = tokenizer.take();
  const headerRow = earlyRecords.shift();
  if (headerRow === undefined) throw new BadInputError(`${name} is empty (no header line)`);
  if (earlyRecords.length === 0) throw new BadInputError(`${name} has a header but no data rows`);
  const unique = uniqueColumns(headerRow, name);
  warnings.push(...unique.warnings);
  return {
    format: delimiter === '\t' ? 'tsv' : 'csv',
    compression,
    delimiter,
    columns: unique.columns,
    warnings,
    get bytesRead() {
      return bytesRead;
    },
    close,
    async *batches() {
      claim();
      let batch: Cell[][] = [];
      let pending = earlyRecords;
      for (;;) {
        for (const record of pending) {
          batch.push(record);
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
        }
        if (ended) break;
        await pull();
        pending = tokenizer.take();
      }
      if (batch.length > 0) yield batch;
    },
  };
};

/**
 * Opens a Parquet seed where it lies (a file, or a URL read by ranges: no spooling), as `openSeed`
 * would from its bytes; headway is the share of its rows read, of `size`.
 */
export const openParquetSeed = async (
  location: SeedLocation,
  name: string,
  size: number,
  options: OpenSeedOptions = {},
): Promise<SeedReader> => {
  const source = await openParquet(location, name, { size });
  return parquetReader(source, name, 'none', Math.max(1, options.batchSize ?? 4096), () => size);
};

/**
 * Opens a local seed file: Parquet straight from the file (positional reads, no spooling), every
 * other format through `openSeed` over the file's bytes.
 */
export const openSeedFile = async (
  path: string,
  name: string,
  options: OpenSeedOptions = {},
): Promise<SeedReader> => {
  const magic = Buffer.alloc(4);
  const handle = await open(path, 'r');
  let size: number;
  try {
    await handle.read(magic, 0, 4, 0);
    size = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  if (startsWith(magic, PARQUET_MAGIC)) return openParquetSeed({ path }, name, size, options);
  return openSeed(createReadStream(path, { highWaterMark: 1 << 20 }), name, options);
};
