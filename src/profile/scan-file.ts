/**
 * The fast path for delimited text (a file, a URL read by ranges, a stream; see byte-source.ts):
 * the bytes are tokenized and hashed in one loop, and a field whose bytes were seen before in its
 * column is matched to that value's entry without decoding it (`ColumnStats.repeat`). Only new
 * values are decoded and parsed; a row the samples keep is copied as its record's bytes, and turned
 * into cells only if it is still in the sample at the end (`recordDecoder`).
 *
 * It profiles exactly like the streaming path (tests hold the two equal). Where the input needs
 * the slow path's judgement — a quote inside an unquoted field, text after a closing quote, a
 * ragged row, an unterminated quote, a field or row over the buffer limit — it throws Fallback and
 * the caller profiles the file again through the streaming path, which reads it or fails with the
 * row and line named.
 */
import { type ByteSource, openLocation } from '../formats/byte-source.ts';
import { hash32Bytes } from '../random.ts';
import type { Cell } from '../table.ts';
import { type DuplicateRows, EMPTY_CELL, laneA, laneB, ROW_KEY_A, ROW_KEY_B } from './duplicate-rows.ts';
import type { ValueEntry } from './infer.ts';
import { mix32, mix32i, sampledCell } from './infer.ts';

const QUOTE = 34;
const LF = 10;
const CR = 13;
const BLOCK = 4 << 20;
const MAX_BUFFER = 64 << 20;
const MAX_COLUMNS = 1 << 16;
/** Slots of the exact table per column; filled to half at most so probes stay short. */
const TABLE_BITS = 15;
const FIRST_BITS = 8;
/** Slots of the recent-values cache used once a column is past its distinct cap. */
const CACHE_BITS = 12;
const CACHE_KEY_BYTES = 32;
/** Probes of a column's recent-values cache before it judges whether it pays. */
const CACHE_TRIAL = 16_384;
/** `Interner.find`'s answers besides a table slot. */
const MISSING = -1;
const CACHED = -2;

export class Fallback extends Error {
  constructor(reason: string) {
    super(`fast path declined: ${reason}`);
  }
}

/**
 * Byte strings of one column mapped to their value entries. The table starts small and doubles
 * as values come (a wide file of low-cardinality columns stays small), up to 2^TABLE_BITS slots
 * (or the column's own `internBits`).
 */
class Interner {
  private bits = FIRST_BITS;
  private hashes = new Int32Array(1 << FIRST_BITS);
  private starts = new Int32Array(1 << FIRST_BITS);
  private lengths = new Int32Array(1 << FIRST_BITS).fill(-1);
  entries: (ValueEntry | undefined)[] = new Array(1 << FIRST_BITS);
  /** Per slot: the entry's value hash (for the row key), and repeats not yet handed to the column. */
  valueHashes = new Int32Array(1 << FIRST_BITS);
  pending = new Int32Array(1 << FIRST_BITS);
  /**
   * Bit p: some value in the table has the hash prefix p (h >>> 16). A column past its cap asks it
   * before the table: one of mostly new values (emails, names) misses its table on nearly every
   * value, and those misses went to memory (7 such columns' tables outgrow the cache).
   */
  private readonly prefixes = new Int32Array(1 << 11);
  /** The entry of the latest CACHED answer of `find`. */
  cached: ValueEntry | undefined;
  private arena = new Uint8Array(1 << 10);
  private arenaView = new DataView(this.arena.buffer);
  private used = 0;
  private size = 0;
  /**
   * The recent-values cache, direct-mapped by hash: keys of up to CACHE_KEY_BYTES in one arena (no
   * allocation per value), longer ones copied.
   */
  private cacheHashes: Int32Array | undefined;
  private cacheLengths = new Int32Array(0);
  private cacheArena = new Uint8Array(0);
  private cacheView = new DataView(this.cacheArena.buffer);
  private cacheLong: (Uint8Array | undefined)[] = [];
  private cacheEntries: (ValueEntry | undefined)[] = [];
  /**
   * Probes of the cache and hits among them: after CACHE_TRIAL probes with fewer than 1 % hits it
   * stops taking values (and being probed). A value it misses is decoded and added again, to the
   * same statistics: the cache only saves work.
   */
  private cacheTries = 0;
  private cacheHits = 0;
  private caching = true;
  /** Values the table holds at most: half its most slots. */
  private readonly limit: number;

  constructor(bits = TABLE_BITS) {
    this.limit = 1 << (bits - 1);
  }

  /**
   * The table slot of these bytes (a counted value: its repeats go to `pending[slot]`), CACHED
   * (a value past the cap, its entry in `cached`), or MISSING.
   */
  find(buf: Uint8Array, view: DataView, s: number, e: number, h: number): number {
    const n = e - s;
    // A value is in the table or the cache, never both; once the cache exists (the column is past
    // its cap) it is asked first: a column of mostly new values seldom finds them in the table.
    const caching = this.cacheHashes !== undefined && this.caching;
    const c = h & ((1 << CACHE_BITS) - 1);
    if (
      caching &&
      this.cacheHashes![c] === h &&
      this.cacheLengths[c] === n &&
      (n <= 4 ||
        (n <= CACHE_KEY_BYTES
          ? same(view, s, this.cacheView, c * CACHE_KEY_BYTES, n)
          : sameBytes(buf, s, this.cacheLong[c]!, 0, n)))
    ) {
      this.cached = this.cacheEntries[c];
      this.cacheTries++;
      this.cacheHits++;
      return CACHED;
    }
    const p = h >>> 16;
    if (this.cacheHashes === undefined || (this.prefixes[p >>> 5]! & (1 << (p & 31))) !== 0) {
      const mask = (1 << this.bits) - 1;
      for (let slot = h & mask; ; slot = (slot + 1) & mask) {
        const len = this.lengths[slot]!;
        if (len === -1) break;
        // Up to 4 bytes the key is the bytes themselves and mix32 is one-to-one: equal hashes, equal bytes.
        if (
          this.hashes[slot] === h &&
          len === n &&
          (n <= 4 || same(view, s, this.arenaView, this.starts[slot]!, n))
        )
          return slot;
      }
    }
    if (caching) this.cacheTries++;
    return MISSING;
  }

  /** Whether `remember` may keep the entry of a value past the cap (in its cache). */
  get keeps(): boolean {
    return this.caching;
  }

  /** Hands the tallied repeats of counted values to their column. */
  flush(column: ScanColumn): void {
    const { pending, entries } = this;
    for (let slot = 0; slot < pending.length; slot++) {
      const times = pending[slot]!;
      if (times === 0) continue;
      column.repeatCounted(entries[slot]!, times);
      pending[slot] = 0;
    }
  }

  remember(buf: Uint8Array, s: number, e: number, h: number, entry: ValueEntry): void {
    const n = e - s;
    if (entry.count > 0 && this.size < this.limit) {
      if ((this.size + 1) * 2 > 1 << this.bits) this.grow();
      if (this.used + n > this.arena.length) {
        const grown = new Uint8Array(Math.max(this.arena.length * 2, this.used + n));
        grown.set(this.arena.subarray(0, this.used));
        this.arena = grown;
        this.arenaView = new DataView(grown.buffer);
      }
      this.arena.set(buf.subarray(s, e), this.used);
      this.place(h, this.used, n, entry, 0);
      this.used += n;
      this.size++;
      return;
    }
    if (!this.caching) return;
    if (this.cacheTries >= CACHE_TRIAL && this.cacheHits * 100 < this.cacheTries) {
      // A column of distinct values (names, emails): remembering them only costs copies and garbage.
      this.caching = false;
      return;
    }
    if (this.cacheHashes === undefined) {
      this.cacheHashes = new Int32Array(1 << CACHE_BITS);
      this.cacheLengths = new Int32Array(1 << CACHE_BITS).fill(-1);
      this.cacheArena = new Uint8Array(CACHE_KEY_BYTES << CACHE_BITS);
      this.cacheView = new DataView(this.cacheArena.buffer);
      // Sized up front: an empty array written at scattered indexes turns into a dictionary.
      this.cacheLong = new Array(1 << CACHE_BITS).fill(undefined);
      this.cacheEntries = new Array(1 << CACHE_BITS).fill(undefined);
    }
    const c = h & ((1 << CACHE_BITS) - 1);
    this.cacheHashes[c] = h;
    this.cacheLengths[c] = n;
    // Copies: buf is reused.
    if (n <= CACHE_KEY_BYTES) {
      const arena = this.cacheArena;
      const at = c * CACHE_KEY_BYTES;
      for (let k = 0; k < n; k++) arena[at + k] = buf[s + k]!;
      this.cacheLong[c] = undefined;
    } else this.cacheLong[c] = Uint8Array.prototype.slice.call(buf, s, e);
    this.cacheEntries[c] = entry;
  }

  private place(h: number, start: number, n: number, entry: ValueEntry, pending: number): void {
    const mask = (1 << this.bits) - 1;
    let slot = h & mask;
    while (this.lengths[slot] !== -1) slot = (slot + 1) & mask;
    this.hashes[slot] = h;
    this.prefixes[h >>> 21]! |= 1 << ((h >>> 16) & 31);
    this.starts[slot] = start;
    this.lengths[slot] = n;
    this.entries[slot] = entry;
    this.valueHashes[slot] = entry.hash;
    this.pending[slot] = pending;
  }

  private grow(): void {
    const { hashes, starts, lengths, entries, pending } = this;
    this.bits++;
    const slots = 1 << this.bits;
    this.hashes = new Int32Array(slots);
    this.starts = new Int32Array(slots);
    this.lengths = new Int32Array(slots).fill(-1);
    this.entries = new Array(slots);
    this.valueHashes = new Int32Array(slots);
    this.pending = new Int32Array(slots);
    for (let i = 0; i < lengths.length; i++) {
      if (lengths[i] !== -1) this.place(hashes[i]!, starts[i]!, lengths[i]!, entries[i]!, pending[i]!);
    }
  }
}

/**
 * The interning key of bytes [s, e) before mixing: up to 4 bytes, the bytes themselves (so equal
 * keys of equal length are equal bytes, no comparison needed); longer, a hash over 4-byte words.
 * Bytes decide the value whether quoted or not (a bare field holds no quote), so both share keys.
 */
const keyOf = (buf: Uint8Array, view: DataView, s: number, e: number): number => {
  const n = e - s;
  if (n <= 4) {
    let v = 0;
    for (let k = s; k < e; k++) v = (v << 8) | buf[k]!;
    return v;
  }
  let h = n;
  let k = s;
  for (; k + 4 <= e; k += 4) h = Math.imul(((h << 5) | (h >>> 27)) ^ view.getInt32(k, true), 0x9e3779b1);
  for (; k < e; k++) h = Math.imul(h ^ buf[k]!, 16777619);
  return h;
};

/** Whether n bytes at a[i] and b[j] are equal, compared four at a time. */
const same = (a: DataView, i: number, b: DataView, j: number, n: number): boolean => {
  let k = 0;
  for (; k + 4 <= n; k += 4) if (a.getInt32(i + k) !== b.getInt32(j + k)) return false;
  for (; k < n; k++) if (a.getUint8(i + k) !== b.getUint8(j + k)) return false;
  return true;
};

const sameBytes = (a: Uint8Array, i: number, b: Uint8Array, j: number, n: number): boolean => {
  for (let k = 0; k < n; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
};

/**
 * What the scanner asks of a column: ColumnStats when profiling; a second pass that only collects
 * a column's values (value-chunks.ts) gives its own.
 */
export interface ScanColumn {
  /** A cell (null: empty); `unseen`: no entry of this column holds it; `transient`: not kept. */
  add(cell: Cell, unseen?: boolean, transient?: boolean): ValueEntry | undefined;
  /** One more occurrence of a value whose entry `add` returned. */
  repeat(entry: ValueEntry): void;
  /**
   * A cell's bytes (unquoted ASCII), new to the column, counted without decoding them where the
   * column can (ColumnStats.addNumber): the value's hash, or undefined (then `add` its text).
   */
  addNumber?(buf: Uint8Array, s: number, e: number): number | undefined;
  /** `times` more occurrences of a counted value (entry.count > 0). */
  repeatCounted(entry: ValueEntry, times: number): void;
  /** Slots of the table that knows the column's values by their bytes, as a power of two (default 15). */
  readonly internBits?: number;
}

export interface ScanSink {
  /** The header record; returns the statistics of each column (in order). */
  header(cells: Cell[]): ScanColumn[];
  /** Before each data row (0-based index): whether its cells are wanted as strings. */
  wants(index: number): boolean;
  /**
   * The wanted row's record: its bytes [start, end) of `buf` (its fields, without the line end),
   * which the next read reuses. `recordDecoder` gives its cells as the columns counted them.
   */
  keep(buf: Uint8Array, start: number, end: number): void;
  /**
   * Takes every data row's content key (see duplicate-rows.ts). An object, not a callback: a call
   * the compiler cannot inline would box the two 32-bit lanes on every row.
   */
  duplicates: DuplicateRows;
}

/**
 * A byte range of the file. The range owns the records that start in [start, end). When `aligned`
 * is false, `start` is a guess: the range begins after the first line feed at or after start - 1,
 * which is a record boundary unless a quoted field spans it — the caller checks that against the
 * previous range's `end` and scans again from there when they differ.
 */
export interface ScanRange {
  start: number;
  end: number;
  aligned: boolean;
  /** The column statistics to fill, for a range other than the first (which reads the header). */
  stats?: ScanColumn[];
}

export interface ScanResult {
  rows: number;
  bytes: number;
  /** Offset of the first record scanned, and just past the last one. */
  start: number;
  end: number;
}

/** A field's text, decoded as its flags say (4: non-ASCII, 2: doubled quotes inside). */
const decodeField = (buf: Buffer, flags: number, s: number, e: number): string => {
  const text = buf.toString(flags & 4 ? 'utf8' : 'latin1', s, e);
  // Invalid UTF-8 decodes to U+FFFD: the streaming path names the encoding and the offset.
  if (flags & 4 && text.includes('\uFFFD')) throw new Fallback('a value that is not valid UTF-8');
  return flags & 2 ? text.replaceAll('""', '"') : text;
};

/**
 * The record loop of `scanDelimitedFile`, over one buffer of bytes at a time: a synchronous method
 * apart from the reads. The compiler optimizes a hot loop in place (on-stack replacement), but
 * such code serves only the call it was entered in: with the loop inside the async reader, every
 * read's await left it, and each 4 MiB block ran slow code again until a recompile (two to four
 * of them per thread, 40-70 ms each, on two cores the scans share). A method called once per block
 * is compiled once, as a whole, and stays so.
 */
class RecordScanner {
  buf: Buffer = Buffer.alloc(1);
  view = new DataView(this.buf.buffer, this.buf.byteOffset, 1);
  /** Bytes of `buf` read; `buf[filled]` is a line feed. */
  filled = 0;
  eof = false;
  /** File offset of buf[0]. */
  base = 0;
  stats: ScanColumn[] | undefined;
  interners: Interner[];
  width: number;
  rows = 0;
  /** Whether the last `records` reached the range's end. */
  done = false;
  private readonly d: number;
  /** Byte classes for unquoted fields: 0 ordinary ASCII, 1 the delimiter, a line end or a quote, 2 non-ASCII. */
  private readonly special = new Uint8Array(256);
  private readonly fs = new Int32Array(MAX_COLUMNS);
  private readonly fe = new Int32Array(MAX_COLUMNS);
  private readonly fh = new Int32Array(MAX_COLUMNS);
  /** 1 quoted, 2 doubled quotes inside, 4 non-ASCII. */
  private readonly fflags = new Uint8Array(MAX_COLUMNS);

  constructor(
    delimiter: string,
    private readonly sink: ScanSink,
    private readonly end: number,
    stats: ScanColumn[] | undefined,
  ) {
    this.d = delimiter.charCodeAt(0);
    this.special.fill(2, 0x80);
    for (const b of [this.d, LF, CR, QUOTE]) this.special[b] = 1;
    this.stats = stats;
    this.interners = stats?.map((column) => new Interner(column.internBits)) ?? [];
    this.width = stats?.length ?? 0;
  }

  /**
   * Scans the whole records of `buf` from `pos`; returns where it stopped: at an incomplete record
   * (more bytes to come), at the range's end (`done`), or at `filled`.
   */
  records(from: number): number {
    const { buf, view, filled, eof, d, special, fs, fe, fh, fflags, sink, end, base } = this;
    const { duplicates } = sink;
    let { stats, interners, width, rows } = this;
    let pos = from;
    this.done = false;
    // One record per pass of this loop; an incomplete one at the end waits for more bytes.
    record: while (pos < filled) {
      if (base + pos >= end) {
        this.done = true;
        break;
      }
      const record = pos;
      let i = pos;
      let f = 0;
      for (;;) {
        if (f >= MAX_COLUMNS) throw new Fallback('too many columns');
        let high = 0;
        let flags = 0;
        let s = i;
        let e: number;
        if (buf[i] === QUOTE) {
          flags = 1;
          s = i + 1;
          let q = s;
          for (;;) {
            q = buf.indexOf(QUOTE, q);
            if (q === -1 || q + 1 >= filled) {
              if (eof) throw new Fallback('an unterminated quote');
              break record;
            }
            if (buf[q + 1] === QUOTE) {
              flags |= 2;
              q += 2;
              continue;
            }
            break;
          }
          e = q;
          for (let k = s; k < e; k++) high |= buf[k]!;
          i = q + 1;
          const b = buf[i];
          if (i < filled && b !== d && b !== LF && b !== CR) throw new Fallback('text after a closing quote');
        } else {
          let k = i;
          // One table look-up tells an ordinary byte from the delimiter, a line end or a quote; the
          // line feed past the data ends the loop there.
          for (;;) {
            const kind = special[buf[k]!]!;
            if (kind === 0) k++;
            else if (kind === 2) {
              high = 0x80;
              k++;
            } else break;
          }
          if (buf[k] === QUOTE) throw new Fallback('a quote inside an unquoted field');
          e = k;
          i = k;
        }
        if (high & 0x80) flags |= 4;
        fs[f] = s;
        fe[f] = e;
        fh[f] = mix32i(keyOf(buf, view, s, e));
        fflags[f] = flags;
        f++;
        if (i >= filled) {
          if (!eof) break record;
          break;
        }
        const b = buf[i]!;
        if (b === d) {
          i++;
          continue;
        }
        if (b === CR) {
          if (i + 1 >= filled && !eof) break record;
          i += buf[i + 1] === LF ? 2 : 1;
        } else i++;
        break;
      }
      pos = i;
      // A blank line is no record.
      if (f === 1 && fflags[0] === 0 && fe[0] === fs[0]) continue;
      if (stats === undefined) {
        const header: Cell[] = [];
        for (let k = 0; k < f; k++)
          header.push(
            fflags[k] === 0 && fe[k] === fs[k] ? null : decodeField(buf, fflags[k]!, fs[k]!, fe[k]!),
          );
        stats = sink.header(header);
        width = f;
        interners = stats.map((column) => new Interner(column.internBits));
        continue;
      }
      if (f !== width) throw new Fallback('a ragged row');
      const wanted = sink.wants(rows);
      let ka = ROW_KEY_A;
      let kb = ROW_KEY_B;
      for (let c = 0; c < width; c++) {
        const s = fs[c]!;
        const e = fe[c]!;
        let eh: number;
        if (e === s && fflags[c] === 0) {
          stats[c]!.add(null);
          eh = EMPTY_CELL;
        } else {
          const h = fh[c]!;
          const interner = interners[c]!;
          const slot = interner.find(buf, view, s, e, h);
          if (slot >= 0) {
            // A counted value seen before: a tally, handed to the column at the end.
            interner.pending[slot]!++;
            eh = interner.valueHashes[slot]!;
          } else {
            // A number of a column of distinct numbers counts from its bytes, where the column can
            // (ColumnStats.addNumber). Its entry is in no cache then: the cache only saves work, and
            // a number read from its bytes costs less than a repeat found there.
            const number = slot === MISSING && fflags[c] === 0 ? stats[c]!.addNumber?.(buf, s, e) : undefined;
            if (number !== undefined) eh = number;
            else {
              let entry: ValueEntry | undefined;
              if (slot === CACHED) {
                entry = interner.cached!;
                stats[c]!.repeat(entry);
              } else {
                // Bytes the table does not hold are no counted value's (it holds every one's).
                entry = stats[c]!.add(decodeField(buf, fflags[c]!, s, e), true, !interner.keeps);
                if (entry !== undefined) interner.remember(buf, s, e, h, entry);
              }
              eh = entry === undefined ? EMPTY_CELL : entry.hash;
            }
          }
        }
        // The row's key (see duplicate-rows.ts), lane by lane as the cells come.
        ka = laneA(ka, eh);
        kb = laneB(kb, eh);
      }
      duplicates.addLanes(ka, kb);
      // The record's bytes, to its last field's closing quote if it has one.
      if (wanted) sink.keep(buf, record, fe[width - 1]! + (fflags[width - 1]! & 1));
      rows++;
    }
    this.stats = stats;
    this.interners = interners;
    this.width = width;
    this.rows = rows;
    return pos;
  }
}

/**
 * Reads a file (by path) or a ByteSource as delimited text (delimiter known) into `sink`; throws
 * Fallback where it may not. A source passed in stays open: its owner closes it.
 */
export const scanDelimitedFile = async (
  input: string | ByteSource,
  delimiter: string,
  sink: ScanSink,
  range: ScanRange = { start: 0, end: Number.POSITIVE_INFINITY, aligned: true },
): Promise<ScanResult> => {
  const file = typeof input === 'string' ? await openLocation({ path: input }) : undefined;
  const handle: ByteSource = file ?? (input as ByteSource);
  try {
    const scanner = new RecordScanner(delimiter, sink, range.end, range.stats);
    // One byte past the data is always a line feed, so the field loop needs no bounds check.
    let buf = Buffer.allocUnsafe(BLOCK + 1);
    let filled = 0;
    let eof = false;
    let bytes = 0;
    let first = range.start === 0;
    // Reading starts one byte early when guessing, so a range starting right after a line feed keeps its first record.
    let seeking = !range.aligned && range.start > 0;
    let position = seeking ? range.start - 1 : range.start;
    /** File offset of buf[0]. */
    let base = position;
    let start = range.start;
    for (;;) {
      if (!eof) {
        if (filled === buf.length - 1) {
          if (buf.length > MAX_BUFFER) throw new Fallback('a record longer than the buffer limit');
          const grown = Buffer.allocUnsafe((buf.length - 1) * 2 + 1);
          buf.copy(grown, 0, 0, filled);
          buf = grown;
        }
        const { bytesRead } = await handle.read(buf, filled, buf.length - 1 - filled, position);
        if (bytesRead === 0) eof = true;
        filled += bytesRead;
        buf[filled] = LF;
        bytes += bytesRead;
        position += bytesRead;
      }
      let pos = 0;
      if (seeking) {
        const lf = buf.indexOf(LF, 0);
        if (lf === -1 || lf >= filled) {
          // No line feed yet: these bytes belong to the previous range's record.
          base += filled;
          filled = 0;
          if (eof) break;
          continue;
        }
        seeking = false;
        pos = lf + 1;
        start = base + pos;
      }
      if (first && filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
      if (first) first = false;
      if (scanner.buf !== buf) {
        scanner.buf = buf;
        scanner.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
      }
      scanner.filled = filled;
      scanner.eof = eof;
      scanner.base = base;
      pos = scanner.records(pos);
      if (scanner.done) {
        base += pos;
        break;
      }
      if (eof) {
        if (pos < filled) throw new Fallback('an incomplete last record');
        base += pos;
        break;
      }
      // Keep the incomplete record's bytes at the front; the next read appends to them.
      buf.copy(buf, 0, pos, filled);
      filled -= pos;
      base += pos;
    }
    const { stats, interners, rows } = scanner;
    if (stats === undefined) throw new Fallback('no header');
    for (let c = 0; c < interners.length; c++) interners[c]!.flush(stats[c]!);
    return { rows, bytes, start: seeking ? base : start, end: base };
  } finally {
    await file?.close();
  }
};

/** Slots of `recordDecoder`'s cache of recent values, per column. */
const DECODED_BITS = 10;
/** Bytes of a value the cache takes at most. */
const DECODED_KEY_BYTES = 32;

/**
 * The cells of a record `keep` was handed (see ScanSink), bytes [start, end) of records kept end to
 * end: each field unquoted, decoded, trimmed, null when blank (sampledCell), the values its column
 * counted, as the streaming path samples them. The records passed the scan, so they need no checks.
 *
 * Decoding makes garbage that survives (every cell of the sample), which is what costs: ASCII fields
 * are cut from one text of their buffer (no copy of a value, which keeps only that text alive,
 * about the records' bytes), and a value the same column had lately is the same string again (a
 * cache by the bytes' hash, per column). 60,000 flights records: 65-150 ms before, mostly collection.
 * A record is its offsets, not a view: a view per record cost more than decoding it.
 */
export type RecordDecoder = (bytes: Uint8Array, start: number, end: number) => Cell[];

/** A RecordDecoder for records of `delimiter`: its caches kept from one call to the next (for one buffer). */
export const recordDecoder = (delimiter: string): RecordDecoder => {
  const d = delimiter.charCodeAt(0);
  const slots = 1 << DECODED_BITS;
  let source: Uint8Array | undefined;
  let buf: Buffer = Buffer.alloc(0);
  let text = '';
  // Each buffer's text, made once: a merge goes back to buffers that were decoded from before.
  const texts = new WeakMap<Uint8Array, string>();
  // Per column (slot = column * slots + hash bits): the hash, start and length of a value lately
  // decoded from this buffer, and its cell.
  let hashes = new Int32Array(0);
  let starts = new Int32Array(0);
  let lengths = new Int32Array(0);
  let values: Cell[] = [];
  let width = 0;
  const cell = (column: number, s: number, e: number, high: number, doubled: boolean): Cell => {
    const n = e - s;
    if (n === 0) return null;
    if (high & 0x80 || doubled || n > DECODED_KEY_BYTES) {
      const value = high & 0x80 ? buf.toString('utf8', s, e) : text.slice(s, e);
      return sampledCell(doubled ? value.replaceAll('""', '"') : value);
    }
    const h = hash32Bytes(buf, s, e);
    if (column * slots >= hashes.length) {
      const grown = (column + 1) * slots * 2;
      const more = (a: Int32Array) => {
        const b = new Int32Array(grown).fill(-1);
        b.set(a);
        return b;
      };
      hashes = more(hashes);
      starts = more(starts);
      lengths = more(lengths);
    }
    const slot = column * slots + (mix32(h) & (slots - 1));
    if (hashes[slot] === h && lengths[slot] === n) {
      const at = starts[slot]!;
      let same = true;
      for (let k = 0; k < n && same; k++) same = buf[at + k] === buf[s + k];
      if (same) return values[slot] ?? null;
    }
    // Trimmed, or null when blank, as sampledCell; a value with no space at either end is the slice.
    const value = buf[s]! <= 32 || buf[e - 1]! <= 32 ? sampledCell(text.slice(s, e)) : text.slice(s, e);
    hashes[slot] = h;
    starts[slot] = s;
    lengths[slot] = n;
    values[slot] = value;
    return value;
  };
  return (bytes, start, end) => {
    if (bytes !== source) {
      source = bytes;
      buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      text = texts.get(bytes) ?? buf.toString('latin1');
      texts.set(bytes, text);
      hashes.fill(-1);
      lengths.fill(-1);
      values = [];
    }
    // Sized as the last record was: every record of a seed has its width.
    const cells: Cell[] = new Array(width);
    let i = start;
    for (let column = 0; ; column++) {
      let s = i;
      let e: number;
      let doubled = false;
      let high = 0;
      if (i < end && buf[i] === QUOTE) {
        s = i + 1;
        let q = s;
        for (;;) {
          while (buf[q] !== QUOTE) high |= buf[q++]!;
          if (q + 1 < end && buf[q + 1] === QUOTE) {
            doubled = true;
            q += 2;
            continue;
          }
          break;
        }
        e = q;
        i = q + 1;
      } else {
        // (A JavaScript loop: Buffer's indexOf is a call into C++, slower for a few bytes.)
        e = i;
        while (e < end && buf[e] !== d) high |= buf[e++]!;
        i = e;
      }
      cells[column] = cell(column, s, e, high, doubled);
      if (i >= end) {
        width = column + 1;
        cells.length = width;
        return cells;
      }
      i++; // the delimiter
    }
  };
};
