/**
 * Where the byte-level scanner (scan-file.ts) reads a seed from: a local file, a URL answering
 * HTTP range requests (an S3 object's presigned GET), or a stream read once in order. A location
 * (`SeedLocation`) is plain data, so a worker thread can open the same seed by itself.
 */
import { open } from 'node:fs/promises';
import { SeedChangedError } from '../errors.ts';

/** Reads come in file order, each starting where the previous one ended (a jump reopens, where it can). */
export interface ByteSource {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/**
 * A seed every thread can open on its own: a file path, or a URL that answers range requests. A URL
 * may carry credentials (a presigned GET): errors name only its path, and it is never logged.
 * Pinned to one version of the seed: a file by the identity it had when its content was checked
 * (`pin`), a URL by the entity tag every request sends as If-Match (`ifMatch`; a presigned GET of
 * one version id needs neither). Opening or reading a seed that changed since throws
 * SeedChangedError.
 */
export type SeedLocation = { path: string; pin?: FilePin } | { url: string; ifMatch?: string };

/** What a file was when its version was checked: a file replaced or rewritten since differs in one. */
export interface FilePin {
  ino: number;
  size: number;
  mtimeMs: number;
}

export const sameFile = (a: FilePin, b: FilePin): boolean =>
  a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** Opens a location for reading; the caller closes it. */
export const openLocation = async (location: SeedLocation): Promise<ByteSource> => {
  if ('url' in location) return new HttpRangeSource(location.url, location.ifMatch);
  const handle = await open(location.path, 'r');
  if (location.pin !== undefined && !sameFile(await handle.stat(), location.pin)) {
    await handle.close();
    throw new SeedChangedError(
      `${location.path} changed while this run read it: it is no longer the version its upload named (a new upload makes a run of its own)`,
    );
  }
  return handle;
};

/** A stream as a ByteSource: reads must come in order from `start` (the stream's first byte). */
export class StreamSource implements ByteSource {
  private readonly chunks: AsyncIterator<Uint8Array>;
  private pending: Uint8Array | undefined;
  private consumed: number;

  constructor(stream: AsyncIterable<Uint8Array>, start = 0) {
    this.chunks = stream[Symbol.asyncIterator]();
    this.consumed = start;
  }

  /** Where the next read must start. */
  get position(): number {
    return this.consumed;
  }

  async read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }> {
    if (position !== this.consumed)
      throw new Error(`a stream reads in order: asked for byte ${position}, at ${this.consumed}`);
    let bytesRead = 0;
    while (bytesRead < length) {
      if (this.pending === undefined || this.pending.byteLength === 0) {
        const next = await this.chunks.next();
        if (next.done === true) break;
        this.pending = next.value;
        continue;
      }
      const take = Math.min(length - bytesRead, this.pending.byteLength);
      buffer.set(this.pending.subarray(0, take), offset + bytesRead);
      this.pending = this.pending.subarray(take);
      bytesRead += take;
    }
    this.consumed += bytesRead;
    return { bytesRead };
  }

  /** Stops the stream early (an S3 body or an HTTP response is released). */
  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}

/**
 * A URL read with HTTP range requests: one request from the first position asked for to the end,
 * read as far as the scanner needs, then cancelled; a read elsewhere starts a new request there.
 */
export class HttpRangeSource implements ByteSource {
  private stream: StreamSource | undefined;
  private abort: AbortController | undefined;

  constructor(
    private readonly url: string,
    private readonly ifMatch?: string,
  ) {}

  async read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }> {
    if (this.stream === undefined || this.stream.position !== position) await this.openAt(position);
    return this.stream!.read(buffer, offset, length, position);
  }

  private async openAt(position: number): Promise<void> {
    await this.close();
    const abort = new AbortController();
    const response = await fetch(this.url, {
      headers: {
        Range: `bytes=${position}-`,
        ...(this.ifMatch === undefined ? {} : { 'If-Match': this.ifMatch }),
      },
      signal: abort.signal,
    });
    const where = `${new URL(this.url).pathname} from byte ${position}`;
    if (response.status === 412) {
      abort.abort();
      throw new SeedChangedError(
        `reading ${where}: the object changed while this run read it (HTTP 412: its entity tag is no longer ${this.ifMatch}); a new upload makes a run of its own`,
      );
    }
    // 416: nothing at or past the position (an empty object, or a read at its end).
    if (response.status === 416) {
      this.stream = new StreamSource((async function* () {})(), position);
      return;
    }
    if (response.status !== 206 && !(response.status === 200 && position === 0))
      throw new Error(`reading ${where}: HTTP ${response.status} ${response.statusText}`);
    if (response.body === null) throw new Error(`reading ${where}: the response has no body`);
    this.abort = abort;
    // Node's web streams are async iterable (the DOM typings do not say so).
    this.stream = new StreamSource(response.body as unknown as AsyncIterable<Uint8Array>, position);
  }

  async close(): Promise<void> {
    const { stream, abort } = this;
    this.stream = undefined;
    this.abort = undefined;
    abort?.abort();
    await stream?.close().catch(() => {});
  }
}

/**
 * A source whose first bytes were read already (`head`, from position 0; `complete`: all there are):
 * reads within them come from memory, and only a read past them opens the source (`open`), closed
 * with this one. A seed's header is read this way: no second open, no block read (for a URL, no
 * second request).
 */
export const withHead = (
  head: Uint8Array,
  complete: boolean,
  open: () => Promise<ByteSource>,
): ByteSource => {
  let rest: Promise<ByteSource> | undefined;
  return {
    async read(buffer, offset, length, position) {
      if (position < head.length) {
        const n = Math.min(length, head.length - position);
        buffer.set(head.subarray(position, position + n), offset);
        return { bytesRead: n };
      }
      if (complete) return { bytesRead: 0 };
      rest ??= open();
      return (await rest).read(buffer, offset, length, position);
    },
    async close() {
      if (rest !== undefined) await (await rest).close();
    },
  };
};
