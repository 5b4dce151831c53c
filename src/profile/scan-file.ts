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
/** Slots of the recent-values cache used once a column is past its distinct cap. */
const CACHE_BITS = 12;

export class Fallback extends Error {
  constructor(reason: string) {
    super(`fast path declined: ${reason}`);
  }
}

/** Byte strings of one column mapped to their value entries. */
class Interner {
  private readonly hashes = new Int32Array(1 << TABLE_BITS);
  private readonly starts = new Int32Array(1 << TABLE_BITS);
  private readonly lengths = new Int32Array(1 << TABLE_BITS).fill(-1);
  private readonly entries: (ValueEntry | undefined)[] = new Array(1 << TABLE_BITS);
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private size = 0;
  private cacheHashes = new Int32Array(1 << CACHE_BITS);
  private cacheKeys: (Uint8Array | undefined)[] = [];
  private cacheEntries: (ValueEntry | undefined)[] = [];

  find(buf: Uint8Array, s: number, e: number, h: number): ValueEntry | undefined {
    const mask = (1 << TABLE_BITS) - 1;
    const n = e - s;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const len = this.lengths[slot]!;
      if (len === -1) break;
      if (this.hashes[slot] === h && len === n && same(buf, s, this.arena, this.starts[slot]!, n))
        return this.entries[slot];
    }
    if (this.cacheKeys.length === 0) return undefined;
    const c = h & ((1 << CACHE_BITS) - 1);
    const key = this.cacheKeys[c];
    if (key !== undefined && this.cacheHashes[c] === h && key.length === n && same(buf, s, key, 0, n))
      return this.cacheEntries[c];
    return undefined;
  }

  remember(buf: Uint8Array, s: number, e: number, h: number, entry: ValueEntry): void {
    const n = e - s;
    if (entry.count > 0 && this.size < 1 << (TABLE_BITS - 1)) {
      const mask = (1 << TABLE_BITS) - 1;
      let slot = h & mask;
      while (this.lengths[slot] !== -1) slot = (slot + 1) & mask;
      if (this.used + n > this.arena.length) {
        const grown = new Uint8Array(Math.max(this.arena.length * 2, this.used + n));
        grown.set(this.arena.subarray(0, this.used));
        this.arena = grown;
      }
      this.arena.set(buf.subarray(s, e), this.used);
      this.hashes[slot] = h;
      this.starts[slot] = this.used;
      this.lengths[slot] = n;
      this.entries[slot] = entry;
      this.used += n;
      this.size++;
      return;
    }
    const c = h & ((1 << CACHE_BITS) - 1);
    this.cacheHashes[c] = h;
    this.cacheKeys[c] = buf.slice(s, e);
    this.cacheEntries[c] = entry;
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
}

export interface ScanResult {
  rows: number;
  bytes: number;
}

/** Reads `path` as delimited text (delimiter known) into `sink`; throws Fallback where it may not. */
export const scanDelimitedFile = async (
  path: string,
  delimiter: string,
  sink: ScanSink,
): Promise<ScanResult> => {
  const d = delimiter.charCodeAt(0);
  const handle = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(BLOCK);
    let filled = 0;
    let eof = false;
    let bytes = 0;
    let first = true;
    let stats: ColumnStats[] | undefined;
    let interners: Interner[] = [];
    let width = 0;
    let rows = 0;
    const fs = new Int32Array(MAX_COLUMNS);
    const fe = new Int32Array(MAX_COLUMNS);
    const fh = new Int32Array(MAX_COLUMNS);
    const fflags = new Uint8Array(MAX_COLUMNS); // 1 quoted, 2 doubled quotes inside, 4 non-ASCII
    const cellEntries: (ValueEntry | undefined)[] = [];

    const decode = (f: number): string => {
      const flags = fflags[f]!;
      const text = buf.toString(flags & 4 ? 'utf8' : 'latin1', fs[f], fe[f]);
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
        const { bytesRead } = await handle.read(buf, filled, buf.length - filled, null);
        if (bytesRead === 0) eof = true;
        filled += bytesRead;
        bytes += bytesRead;
      }
      let pos = 0;
      if (first && filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
      if (first) first = false;
      // One record per pass of this loop; an incomplete one at the end waits for more bytes.
      record: while (pos < filled) {
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
              if (b === d || b === LF || b === CR) break;
              if (b === QUOTE) throw new Fallback('a quote inside an unquoted field');
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
        }
        if (wanted) {
          const cells: Cell[] = new Array(width);
          for (let c = 0; c < width; c++) cells[c] = cellEntries[c]?.value ?? null;
          sink.keep(cells);
        }
        rows++;
      }
      if (eof) {
        if (pos < filled) throw new Fallback('an incomplete last record');
        break;
      }
      // Keep the incomplete record's bytes at the front; the next read appends to them.
      buf.copy(buf, 0, pos, filled);
      filled -= pos;
    }
    if (stats === undefined) throw new Fallback('no header');
    return { rows, bytes };
  } finally {
    await handle.close();
  }
};
