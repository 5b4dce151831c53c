/**
 * Opens a seed table as a stream of row batches, whatever its size. Steps:
 * 1. gzip by its magic bytes (decompressed as it streams), never by the file name;
 * 2. the first 64 KiB checked: empty, Parquet, other archives, binary;
 * 3. UTF-8 decoded (a BOM is dropped); JSON Lines when the first non-space character is `{`,
 *    else delimited text with the delimiter sniffed from the first lines;
 * 4. the header (or the JSON Lines keys) read up front, so a header-only file fails here;
 * 5. the rest tokenized lazily, batch by batch, as the caller iterates.
 * Every failure is a BadInputError starting with the file name and naming the row, line or offset.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BadInputError } from '../errors.ts';
import type { Cell } from '../table.ts';
import { DelimitedTokenizer, sniffDelimiter } from './delimited.ts';
import { JSONL_SCHEMA_LINES, JsonlRows, LineSplitter, parseJsonLine, unionKeys } from './jsonl.ts';

export type SeedFormatName = 'csv' | 'tsv' | 'jsonl';

export interface SeedReader {
  format: SeedFormatName;
  compression: 'none' | 'gzip';
  /** The delimiter of delimited text; absent for JSON Lines. */
  delimiter?: string;
  /** Column names, unique and non-empty (see `warnings` for any renamed). */
  columns: string[];
  /** File-level notes for the profile, e.g. a duplicate header renamed. */
  warnings: string[];
  /** Bytes taken from the source so far (compressed bytes for gzip). */
  readonly bytesRead: number;
  /** Row batches, every row `columns.length` cells wide. Iterable once. */
  batches(): AsyncIterable<Cell[][]>;
}

export interface OpenSeedOptions {
  /** Rows per batch (default 4096). */
  batchSize?: number;
}

/** Bytes looked at to decide format and reject binaries. */
export const SNIFF_BYTES = 64 * 1024;
/** Share of control characters or invalid UTF-8 in the first bytes above which a file is binary. */
const BINARY_SHARE = 0.1;

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

async function* gunzip(chunks: AsyncIterable<Uint8Array>, name: string, rawBytes: () => number) {
  const unzip = createGunzip();
  // Errors surface through `unzip`'s iterator below; the callback only keeps pipeline from throwing.
  pipeline(Readable.from(chunks), unzip, () => {});
  try {
    for await (const chunk of unzip) yield chunk as Uint8Array;
  } catch (error) {
    if (!isZlibError(error)) throw error;
    throw new BadInputError(
      `${name}: the gzip data is truncated or corrupt after ${rawBytes()} compressed bytes (${error.message})`,
      { cause: error },
    );
  }
}

async function* decode(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8'); // drops a leading BOM
  for await (const chunk of bytes) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const tail = decoder.decode();
  if (tail !== '') yield tail;
}

const startsWith = (bytes: Uint8Array, magic: number[]): boolean => magic.every((b, i) => bytes[i] === b);

/** Rejects what is not delimited text or JSON Lines, with the reason a user can act on. */
export const checkHead = (head: Uint8Array, name: string, done: boolean): void => {
  if (head.byteLength === 0) throw new BadInputError(`${name} is empty (0 bytes)`);
  if (startsWith(head, [0x50, 0x41, 0x52, 0x31])) {
    throw new BadInputError(`${name} is Parquet, which this version cannot read yet; convert it to CSV`);
  }
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    throw new BadInputError(`${name} is a zip archive; doppel reads CSV/TSV/JSONL, plain or gzipped`);
  }
  const sample = head.subarray(0, SNIFF_BYTES);
  const nul = sample.indexOf(0);
  if (nul !== -1) {
    throw new BadInputError(`${name} looks binary, not CSV/TSV/JSONL (a NUL byte at offset ${nul})`);
  }
  const text = new TextDecoder('utf-8').decode(sample, { stream: true });
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd || c === 0x7f || (c < 0x20 && c !== 9 && c !== 10 && c !== 13)) bad++;
  }
  if (text.length > 0 && bad / text.length > BINARY_SHARE) {
    const share = Math.round((100 * bad) / text.length);
    throw new BadInputError(
      `${name} looks binary, not CSV/TSV/JSONL (${share}% of the first ${sample.byteLength} bytes are control characters or invalid UTF-8)`,
    );
  }
  if (done && text.trim() === '') throw new BadInputError(`${name} is empty (only whitespace)`);
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

  const raw = new Peekable(counted()[Symbol.asyncIterator]());
  const magic = await raw.head(2);
  const compression = startsWith(magic, [0x1f, 0x8b]) ? 'gzip' : 'none';
  const bytes =
    compression === 'gzip'
      ? new Peekable(gunzip(raw.stream(), name, () => bytesRead)[Symbol.asyncIterator]())
      : raw;
  const head = await bytes.head(SNIFF_BYTES);
  checkHead(head, name, bytes.done);

  const headText = new TextDecoder('utf-8').decode(head.subarray(0, SNIFF_BYTES), { stream: true });
  const first = headText.trimStart()[0];
  if (first === '[') {
    throw new BadInputError(
      `${name} is a JSON array; doppel reads JSON Lines (one object per line), CSV or TSV`,
    );
  }
  const text = decode(bytes.stream())[Symbol.asyncIterator]();
  let once = false;
  const claim = () => {
    if (once) throw new Error(`${name}: SeedReader.batches() can be iterated once; open the seed again`);
    once = true;
  };

  if (first === '{') {
    const splitter = new LineSplitter();
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
    if (columns.length === 0) throw new BadInputError(`${name}: the first JSON Lines objects have no keys`);
    const rows = new JsonlRows(columns, name);
    return {
      format: 'jsonl',
      compression,
      columns,
      warnings: [],
      get bytesRead() {
        return bytesRead;
      },
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
  const early = tokenizer.take();
  const headerRow = early.shift();
  if (headerRow === undefined) throw new BadInputError(`${name} is empty (no header line)`);
  if (early.length === 0) throw new BadInputError(`${name} has a header but no data rows`);
  const { columns, warnings } = uniqueColumns(headerRow, name);
  return {
    format: delimiter === '\t' ? 'tsv' : 'csv',
    compression,
    delimiter,
    columns,
    warnings,
    get bytesRead() {
      return bytesRead;
    },
    async *batches() {
      claim();
      let batch: Cell[][] = [];
      let pending = early;
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
