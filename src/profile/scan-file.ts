/**
 * The fast path for a local delimited file: the bytes are tokenized and hashed in one loop, and a
 * field whose bytes were seen before in its column is matched to that value's entry without
 * decoding it (`ColumnStats.repeat`). Only new values are decoded and parsed; only rows that the
 * reservoir samples keep are turned into strings.
 *
 * It profiles exactly like the streaming path (tests hold the two equal). Where the input needs
 * the slow path's judgement — a quote inside an unquoted field, text after a closing quote, a
 * ragged row, an unterminated quote, a field or row over the buffer limit — it throws Fallback and
 * the caller profiles the file again through the streaming path, which reads it or fails with the
 * row and line named.
 */
import { open } from 'node:fs/promises';
import type { Cell } from '../table.ts';
import { EMPTY_CELL, laneA, laneB, ROW_KEY_A, ROW_KEY_B } from './duplicate-rows.ts';
import type { ColumnStats, ValueEntry } from './infer.ts';
import { mix32 } from './infer.ts';

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

export class Fallback extends Error {
  constructor(reason: string) {
    super(`fast path declined: ${reason}`);
  }
}

/**
 * Byte strings of one column mapped to their value entries. The table starts small and doubles
 * as values come (a wide file of low-cardinality columns stays small), up to 2^TABLE_BITS slots.
 */
class Interner {
  private bits = FIRST_BITS;
  private hashes = new Int32Array(1 << FIRST_BITS);
  private starts = new Int32Array(1 << FIRST_BITS);
  private lengths = new Int32Array(1 << FIRST_BITS).fill(-1);
  private entries: (ValueEntry | undefined)[] = new Array(1 << FIRST_BITS);
  private arena = new Uint8Array(1 << 10);
  private used = 0;
  private size = 0;
  private cacheHashes: Int32Array | undefined;
  private cacheKeys: (Uint8Array | undefined)[] = [];
  private cacheEntries: (ValueEntry | undefined)[] = [];

  find(buf: Uint8Array, s: number, e: number, h: number): ValueEntry | undefined {
    const mask = (1 << this.bits) - 1;
    const n = e - s;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const len = this.lengths[slot]!;
      if (len === -1) break;
      if (this.hashes[slot] === h && len === n && same(buf, s, this.arena, this.starts[slot]!, n))
        return this.entries[slot];
    }
    if (this.cacheHashes === undefined) return undefined;
    const c = h & ((1 << CACHE_BITS) - 1);
    const key = this.cacheKeys[c];
    if (key !== undefined && this.cacheHashes[c] === h && key.length === n && same(buf, s, key, 0, n))
      return this.cacheEntries[c];
    return undefined;
  }

  remember(buf: Uint8Array, s: number, e: number, h: number, entry: ValueEntry): void {
    const n = e - s;
    if (entry.count > 0 && this.size < 1 << (TABLE_BITS - 1)) {
      if ((this.size + 1) * 2 > 1 << this.bits) this.grow();
      if (this.used + n > this.arena.length) {
        const grown = new Uint8Array(Math.max(this.arena.length * 2, this.used + n));
        grown.set(this.arena.subarray(0, this.used));
        this.arena = grown;
      }
      this.arena.set(buf.subarray(s, e), this.used);
      this.place(h, this.used, n, entry);
      this.used += n;
      this.size++;
      return;
    }
    this.cacheHashes ??= new Int32Array(1 << CACHE_BITS);
    const c = h & ((1 << CACHE_BITS) - 1);
    this.cacheHashes[c] = h;
    this.cacheKeys[c] = Uint8Array.prototype.slice.call(buf, s, e); // a copy: buf is reused
    this.cacheEntries[c] = entry;
  }

  private place(h: number, start: number, n: number, entry: ValueEntry | undefined): void {
    const mask = (1 << this.bits) - 1;
    let slot = h & mask;
    while (this.lengths[slot] !== -1) slot = (slot + 1) & mask;
    this.hashes[slot] = h;
    this.starts[slot] = start;
    this.lengths[slot] = n;
    this.entries[slot] = entry;
  }

  private grow(): void {
    const { hashes, starts, lengths, entries } = this;
    this.bits++;
    this.hashes = new Int32Array(1 << this.bits);
    this.starts = new Int32Array(1 << this.bits);
    this.lengths = new Int32Array(1 << this.bits).fill(-1);
    this.entries = new Array(1 << this.bits);
    for (let i = 0; i < lengths.length; i++) {
      if (lengths[i] !== -1) this.place(hashes[i]!, starts[i]!, lengths[i]!, entries[i]);
    }
  }
}

const same = (a: Uint8Array, i: number, b: Uint8Array, j: number, n: number): boolean => {
  for (let k = 0; k < n; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
};

export interface ScanSink {
  /** The header record; returns the statistics of each column (in order). */
  header(cells: Cell[]): ColumnStats[];
  /** Before each data row (0-based index): whether its cells are wanted as strings. */
  wants(index: number): boolean;
  /** The wanted row's cells (trimmed values; null for empty). */
  keep(cells: Cell[]): void;
  /** Every data row's content key as its two 32-bit lanes (see duplicate-rows.ts). */
  row(a: number, b: number): void;
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
  stats?: ColumnStats[];
}

export interface ScanResult {
  rows: number;
  bytes: number;
  /** Offset of the first record scanned, and just past the last one. */
  start: number;
  end: number;
}

/** Reads `path` as delimited text (delimiter known) into `sink`; throws Fallback where it may not. */
export const scanDelimitedFile = async (
  path: string,
  delimiter: string,
  sink: ScanSink,
  range: ScanRange = { start: 0, end: Number.POSITIVE_INFINITY, aligned: true },
): Promise<ScanResult> => {
  const d = delimiter.charCodeAt(0);
  const special = new Uint8Array(256);
  for (const b of [d, LF, CR, QUOTE]) special[b] = 1;
  const handle = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(BLOCK);
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
    let stats: ColumnStats[] | undefined = range.stats;
    let interners: Interner[] = stats?.map(() => new Interner()) ?? [];
    let width = stats?.length ?? 0;
    let rows = 0;
    const fs = new Int32Array(MAX_COLUMNS);
    const fe = new Int32Array(MAX_COLUMNS);
    const fh = new Int32Array(MAX_COLUMNS);
    const fflags = new Uint8Array(MAX_COLUMNS); // 1 quoted, 2 doubled quotes inside, 4 non-ASCII
    const cellEntries: (ValueEntry | undefined)[] = [];

    const decode = (f: number): string => {
      const flags = fflags[f]!;
      const text = buf.toString(flags & 4 ? 'utf8' : 'latin1', fs[f], fe[f]);
      // Invalid UTF-8 decodes to U+FFFD: the streaming path names the encoding and the offset.
      if (flags & 4 && text.includes('\uFFFD')) throw new Fallback('a value that is not valid UTF-8');
      return flags & 2 ? text.replaceAll('""', '"') : text;
    };

    for (;;) {
      if (!eof) {
        if (filled === buf.length) {
          if (buf.length >= MAX_BUFFER) throw new Fallback('a record longer than the buffer limit');
          const grown = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(grown, 0, 0, filled);
          buf = grown;
        }
        const { bytesRead } = await handle.read(buf, filled, buf.length - filled, position);
        if (bytesRead === 0) eof = true;
        filled += bytesRead;
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
      let done = false;
      // One record per pass of this loop; an incomplete one at the end waits for more bytes.
      record: while (pos < filled) {
        if (base + pos >= range.end) {
          done = true;
          break;
        }
        let i = pos;
        let f = 0;
        for (;;) {
          if (f >= MAX_COLUMNS) throw new Fallback('too many columns');
          let h = 0x811c9dc5;
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
            for (let k = s; k < e; k++) {
              const b = buf[k]!;
              h = Math.imul(h ^ b, 16777619);
              high |= b;
            }
            h = Math.imul(h ^ 0xff, 16777619); // a quoted value is a different key from the bare one
            i = q + 1;
            const b = buf[i];
            if (i < filled && b !== d && b !== LF && b !== CR)
              throw new Fallback('text after a closing quote');
          } else {
            let k = i;
            for (; k < filled; k++) {
              const b = buf[k]!;
              // One table look-up tells an ordinary byte from the delimiter, a line end or a quote.
              if (special[b] !== 0) {
                if (b === QUOTE) throw new Fallback('a quote inside an unquoted field');
                break;
              }
              h = Math.imul(h ^ b, 16777619);
              high |= b;
            }
            e = k;
            i = k;
          }
          if (high & 0x80) flags |= 4;
          fs[f] = s;
          fe[f] = e;
          fh[f] = mix32(h);
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
          for (let k = 0; k < f; k++) header.push(fflags[k] === 0 && fe[k] === fs[k] ? null : decode(k));
          stats = sink.header(header);
          width = f;
          interners = stats.map(() => new Interner());
          continue;
        }
        if (f !== width) throw new Fallback('a ragged row');
        const wanted = sink.wants(rows);
        let ka = ROW_KEY_A;
        let kb = ROW_KEY_B;
        for (let c = 0; c < width; c++) {
          const column = stats[c]!;
          const s = fs[c]!;
          const e = fe[c]!;
          let entry: ValueEntry | undefined;
          if (e === s && fflags[c] === 0) column.add(null);
          else {
            const h = fh[c]!;
            const interner = interners[c]!;
            entry = interner.find(buf, s, e, h);
            if (entry !== undefined) column.repeat(entry);
            else {
              entry = column.add(decode(c));
              if (entry !== undefined) interner.remember(buf, s, e, h, entry);
            }
          }
          cellEntries[c] = entry;
          // The row's key (see duplicate-rows.ts), lane by lane as the cells come.
          const eh = entry === undefined ? EMPTY_CELL : entry.hash;
          ka = laneA(ka, eh);
          kb = laneB(kb, eh);
        }
        sink.row(ka, kb);
        if (wanted) {
          const cells: Cell[] = new Array(width);
          for (let c = 0; c < width; c++) cells[c] = cellEntries[c]?.value ?? null;
          sink.keep(cells);
        }
        rows++;
      }
      if (done) {
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
    if (stats === undefined) throw new Fallback('no header');
    return { rows, bytes, start: seeking ? base : start, end: base };
  } finally {
    await handle.close();
  }
};
