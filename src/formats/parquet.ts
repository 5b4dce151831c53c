/**
 * Parquet seeds, read with hyparquet one row group at a time by positional reads from where the
 * seed lies (a local file, or a URL read by HTTP ranges: an S3 object's presigned GET), never
 * whole. Only a seed that can only be streamed is spooled to a temp file first: Parquet keeps its
 * schema in a footer at the end, so it needs random access. Cells are text like every other
 * format: numbers as their decimal text, booleans 'true'/'false', dates and timestamps ISO 8601,
 * nested values as JSON text.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
} from 'hyparquet';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { compressors } from 'hyparquet-compressors';
import { BadInputError, errorMessage } from '../errors.ts';
import type { Cell } from '../table.ts';
import { type ByteSource, openLocation, type SeedLocation } from './byte-source.ts';
import { allFlat, chunkRange, flatDecoder, readFlatChunk } from './parquet-flat.ts';

export const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31];

/** A row group decoding to more than this is refused: it would not fit the profiler's memory. */
export const MAX_ROW_GROUP_BYTES = 1024 * 1024 * 1024;

class ShortRead extends Error {}

/**
 * A read of the seed's bytes failed (a reset connection, an expired URL): not the file's fault, so
 * it leaves as the source's own error (retried where the pipeline retries), never as a corrupt file.
 */
class ReadFailed extends Error {
  constructor(readonly error: unknown) {
    super(errorMessage(error));
  }
}

/** Rethrows a failed read as its own error; anything else is the file's. */
const unlessReadFailed = (error: unknown): void => {
  if (error instanceof ReadFailed) throw error.error;
};

/**
 * hyparquet's random access over a seed's bytes: each slice read whole from its position, one at a
 * time (a URL's source reads on from one request while slices follow each other, as a row group's
 * column chunks do).
 */
const sourceBuffer = (source: ByteSource, byteLength: number): AsyncBuffer => {
  let last: Promise<unknown> = Promise.resolve();
  const read = async (start: number, end: number): Promise<ArrayBuffer> => {
    const length = end - start;
    if (start < 0 || end > byteLength || length < 0) {
      throw new ShortRead(`bytes ${start} to ${end} lie outside the file (${byteLength} bytes)`);
    }
    const buffer = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await source
        .read(buffer, done, length - done, start + done)
        .catch((error: unknown) => Promise.reject(new ReadFailed(error)));
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done !== length) throw new ShortRead(`only ${done} of ${length} bytes at offset ${start}`);
    return buffer.buffer;
  };
  return {
    byteLength,
    slice(start: number, end = byteLength): Promise<ArrayBuffer> {
      const next = last.then(() => read(start, end));
      last = next.catch(() => {});
      return next;
    },
  };
};

const pad = (n: bigint, digits: number): string => n.toString().padStart(digits, '0');

/** An ISO 8601 timestamp from a count of `unit`s (1000n: ms) since the epoch; the fraction only when non-zero. */
const isoTimestamp = (count: bigint, perSecond: bigint, digits: number): string => {
  let seconds = count / perSecond;
  let fraction = count % perSecond;
  if (fraction < 0n) {
    fraction += perSecond;
    seconds -= 1n;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, -5); // drop '.000Z'
  return `${base}${fraction === 0n ? '' : `.${pad(fraction, digits)}`}Z`;
};

const text = new TextDecoder();

/** hyparquet parsers that give text straight away, keeping every digit of the timestamp's unit. */
const PARSERS = {
  timestampFromMilliseconds: (v: bigint) => isoTimestamp(v, 1000n, 3),
  timestampFromMicroseconds: (v: bigint) => isoTimestamp(v, 1_000_000n, 6),
  timestampFromNanoseconds: (v: bigint) => isoTimestamp(v, 1_000_000_000n, 9),
  dateFromDays: (days: number) => new Date(days * 86_400_000).toISOString().slice(0, 10),
  jsonFromBytes: (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : text.decode(bytes)),
};

const jsonReplacer = (_key: string, value: unknown): unknown => {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
};

/** How a column's values are written beyond their JavaScript type. */
export interface CellStyle {
  /** A timestamp without a time zone (wall-clock time): no 'Z'. */
  local?: boolean;
  /** A DECIMAL's scale: its digits after the point, kept (1.50 stays '1.50'). */
  scale?: number;
}

/** One Parquet value as a cell. */
export const parquetCell = (value: unknown, style: CellStyle = {}): Cell => {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return style.local === true && value.endsWith('Z') ? value.slice(0, -1) : value;
    case 'number':
      return style.scale !== undefined && Number.isFinite(value)
        ? value.toFixed(style.scale)
        : value.toString();
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      if (value instanceof Date) return value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      return JSON.stringify(value, jsonReplacer);
  }
};

export interface ParquetSource {
  columns: string[];
  rows: number;
  /** The row groups: their rows, and the byte offset where each one's data starts. */
  groups: { rows: number; offset: number }[];
  /**
   * Row batches, row group by row group: every group, or groups [from, to). Closes the file when
   * done, failing or not.
   */
  batches(batchSize: number, groups?: [number, number]): AsyncGenerator<Cell[][]>;
  /** Each row group's columns of cells (a group of no rows is skipped), as `batches`. */
  groupColumns(groups?: [number, number]): AsyncGenerator<Cell[][]>;
  close(): Promise<void>;
}

const footerError = (name: string, size: number, error: unknown): BadInputError => {
  const message = errorMessage(error);
  const reason = /footer != PAR1/.test(message)
    ? 'its footer is missing (the file does not end with the PAR1 magic)'
    : `its footer metadata cannot be read (${message})`;
  return new BadInputError(
    `${name} is a truncated or corrupt Parquet file: ${reason}; the file is ${size} bytes`,
    {
      cause: error,
    },
  );
};

/** Where a row group's bytes start: its first column chunk's first page. */
const groupOffset = (metadata: FileMetaData, g: number): number => {
  let offset = Number.POSITIVE_INFINITY;
  for (const chunk of metadata.row_groups[g]?.columns ?? []) {
    const meta = chunk.meta_data;
    if (meta === undefined) continue;
    const first = meta.dictionary_page_offset ?? meta.data_page_offset;
    offset = Math.min(offset, Number(first));
  }
  return Number.isFinite(offset) ? offset : 0;
};

export interface OpenParquetOptions {
  /** The seed's size in bytes: a URL's must be given; a file's is read. */
  size?: number;
  /** Runs after the seed is closed (e.g. removing a spooled copy), on every path: done, failed, or abandoned through `close`. */
  cleanup?: () => Promise<void>;
}

/** Opens a Parquet seed where it lies: a file, or a URL read by ranges. */
export const openParquet = async (
  location: SeedLocation,
  name: string,
  options: OpenParquetOptions = {},
): Promise<ParquetSource> => {
  const { cleanup = async () => {} } = options;
  let handle: ByteSource | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      await handle?.close();
    } finally {
      await cleanup();
    }
  };
  try {
    let size = options.size;
    if (size === undefined) {
      if (!('path' in location))
        throw new Error(`openParquet: the size of ${name} is needed to read it by ranges`);
      size = (await stat(location.path)).size;
    }
    handle = await openLocation(location);
    const file = sourceBuffer(handle, size);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file, { parsers: PARSERS });
    } catch (error) {
      unlessReadFailed(error);
      throw footerError(name, size, error);
    }
    const tree = parquetSchema(metadata);
    const fields = tree.children;
    const columns = fields.map((f) => f.element.name);
    const styles = fields.map((f): CellStyle => {
      const { logical_type: logical, converted_type: converted, scale } = f.element;
      // Timestamps not adjusted to UTC are wall-clock times: written without a zone.
      if (logical?.type === 'TIMESTAMP' && !logical.isAdjustedToUTC) return { local: true };
      if (logical?.type === 'DECIMAL') return { scale: logical.scale };
      if (converted === 'DECIMAL' && scale !== undefined) return { scale };
      return {};
    });
    const rows = Number(metadata.num_rows);
    if (rows === 0 || columns.length === 0) throw new BadInputError(`${name} is a Parquet file with no rows`);

    const flat = allFlat(metadata, tree);
    const parsers = { ...DEFAULT_PARSERS, ...PARSERS };
    /** Row group `g`'s columns as cells. */
    const readGroup = async (g: number, groupStart: number, groupRows: number): Promise<Cell[][]> => {
      const group = metadata.row_groups[g]!;
      if (Number(group.total_byte_size) > MAX_ROW_GROUP_BYTES) {
        throw new BadInputError(
          `${name}: Parquet row group ${g + 1} of ${metadata.row_groups.length} holds ${group.total_byte_size} bytes ` +
            `uncompressed, more than the ${MAX_ROW_GROUP_BYTES / 1024 / 1024} MiB one row group may take; ` +
            'write the file with smaller row groups',
        );
      }
      const pieces = new Map<string, { start: number; data: ArrayLike<unknown> }[]>();
      try {
        if (flat) {
          const cells: Cell[][] = [];
          for (let c = 0; c < columns.length; c++) {
            const [start, end] = chunkRange(metadata, g, c);
            const decoder = flatDecoder(metadata, tree, g, c, { parsers, compressors });
            const style = styles[c];
            cells.push(
              readFlatChunk(await file.slice(start, end), decoder, groupRows, (v) => parquetCell(v, style)),
            );
          }
          return cells;
        }
        await parquetRead({
          file,
          metadata,
          rowStart: groupStart,
          rowEnd: groupStart + groupRows,
          compressors,
          parsers: PARSERS,
          onChunk: (chunk) => {
            const list = pieces.get(chunk.columnName) ?? [];
            list.push({ start: chunk.rowStart, data: chunk.columnData });
            pieces.set(chunk.columnName, list);
          },
        });
      } catch (error) {
        unlessReadFailed(error);
        const last = groupStart + groupRows;
        throw new BadInputError(
          `${name}: Parquet row group ${g + 1} of ${metadata.row_groups.length} (rows ${groupStart + 1} to ${last}, ` +
            `at byte offset ${groupOffset(metadata, g)}) cannot be read; the file is truncated or corrupt (${errorMessage(error)})`,
          { cause: error },
        );
      }
      return columns.map((column, c) => {
        const list = (pieces.get(column) ?? []).sort((a, b) => a.start - b.start);
        const style = styles[c];
        const cells = (data: ArrayLike<unknown>): Cell[] => Array.from(data, (v) => parquetCell(v, style));
        if (list.length === 1 && list[0]!.data.length >= groupRows) return cells(list[0]!.data);
        const values: unknown[] = [];
        for (const piece of list) {
          for (let i = 0; i < piece.data.length; i++) values.push(piece.data[i]);
        }
        if (values.length < groupRows) {
          throw new BadInputError(
            `${name}: Parquet row group ${g + 1} has ${values.length} values in column "${column}", not ${groupRows}; the file is corrupt`,
          );
        }
        return cells(values);
      });
    };

    const groups = metadata.row_groups.map((group, g) => ({
      rows: Number(group.num_rows),
      offset: groupOffset(metadata, g),
    }));
    async function* groupColumns(
      [from, to]: [number, number] = [0, groups.length],
    ): AsyncGenerator<Cell[][]> {
      try {
        let groupStart = 0;
        for (let g = 0; g < from; g++) groupStart += groups[g]!.rows;
        for (let g = from; g < to; g++) {
          const groupRows = groups[g]!.rows;
          if (groupRows > 0) yield await readGroup(g, groupStart, groupRows);
          groupStart += groupRows;
        }
      } finally {
        await close();
      }
    }
    return {
      columns,
      rows,
      groups,
      close,
      async *batches(batchSize: number, range?: [number, number]) {
        for await (const data of groupColumns(range)) {
          const groupRows = data[0]?.length ?? 0;
          for (let r = 0; r < groupRows; r += batchSize) {
            const end = Math.min(groupRows, r + batchSize);
            const batch: Cell[][] = [];
            for (let i = r; i < end; i++) {
              const row: Cell[] = new Array(columns.length);
              for (let c = 0; c < columns.length; c++) row[c] = data[c]![i] ?? null;
              batch.push(row);
            }
            yield batch;
          }
        }
      },
      groupColumns,
    };
  } catch (error) {
    await close();
    throw error;
  }
};

/** Writes a byte stream to a fresh temp folder; `remove` deletes it. */
export const spoolToTemp = async (
  bytes: AsyncIterable<Uint8Array>,
  file: string,
): Promise<{ path: string; remove: () => Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), 'doppel-spool-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, file);
  try {
    await pipeline(bytes, createWriteStream(path));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, remove };
};
