/**
 * Duplicate rows in bounded memory: every row's content key is kept exactly while there are at most
 * EXACT_ROWS distinct ones. Past that cap the keys are sampled by their own bits (Gibbons' distinct
 * sampling): a row is kept when its key's lowest `level` bits are zero, so every copy of a row is in
 * the sample or none is, and the level rises (the kept keys halve at each step) whenever the sample
 * outgrows its room. The count then scales the sample's distinct keys up (see `count`): a table
 * without repeats still counts none, and one with repeats is off by the sample's error (about
 * 0.4 % of the rows at SAMPLE_ROWS sampled keys). Parts of a file merge (at the higher of their
 * levels). */
import { mix32i } from './infer.ts';

/** The lane value of an empty cell in a row key. */
export const EMPTY_CELL = 0x6b43a9b5;

/** Distinct rows whose keys are kept; a 53-bit key makes a false duplicate among them unlikely (< 1e-5). */
const EXACT_ROWS = 1 << 18;

/**
 * A row's key is two 32-bit lanes folded over its cells' value hashes (EMPTY_CELL for an empty
 * cell), from these starting values; 21 + 32 bits of them are kept. scan-file.ts folds them inline.
 */
export const ROW_KEY_A = 0x2545f491;
export const ROW_KEY_B = 0x9e3779b9;
export const laneA = (a: number, hash: number): number => Math.imul(a ^ hash, 0x01000193);
export const laneB = (b: number, hash: number): number => Math.imul((b + hash) ^ (b >>> 15), 0x5bd1e995);

export interface DuplicateCount {
  rows: number;
  /** Rows that repeat an earlier row (rows minus distinct rows). */
  duplicates: number;
  /** True when the count is scaled up from a sample of the rows' keys. */
  estimated: boolean;
}

/** Keys the buffer starts with; it doubles up to MAX_KEYS while every row's key is kept. */
const FIRST_KEYS = 1 << 12;
const MAX_KEYS = 2 * EXACT_ROWS;
/** Distinct keys a sample is thinned to once past EXACT_ROWS (a relative error of about 0.4 %). */
const SAMPLE_ROWS = 1 << 16;
/** Keys a sample may hold, repeats included, before it is thinned or its repeats taken out. */
const SAMPLE_KEYS = 2 * SAMPLE_ROWS;
/** A full buffer's distinct keys are estimated from 1 in 2^PROBE_BITS of them (about 1 % error). */
const PROBE_BITS = 6;
/** An estimate this many times the cap (over 10 of its standard errors) is surely past it. */
const SURELY_PAST = 1.2;
/** Rows are counted by their key's trailing zero bits, up to 31. */
const LEVELS = 32;
/**
 * Standard errors by which the sampled rows may stray from their expected number before the
 * sample is taken to hold a heavy group of repeats (see count).
 */
const HEAVY_Z = 4;

export class DuplicateRows {
  rows = 0;
  /** A row's key is kept when its lowest `level` bits are zero (every key at level 0). */
  private level = 0;
  private mask = 0;
  /**
   * The kept rows' 53-bit keys (21 + 32 bits, exact in a double), appended: a row costs one write
   * in order, not a probe of a table that outgrows the cache. Keys [0, used) are live, repeats
   * among them until `dedupe`; at `room` the buffer grows, or is thinned or deduplicated.
   */
  private keys = new Float64Array(FIRST_KEYS);
  private used = 0;
  private room = FIRST_KEYS;
  /** Rows by the trailing zero bits of their key: a level keeps the rows at or above it. */
  private byLevel = new Float64Array(LEVELS);

  /** A DuplicateRows that crossed a thread (structured clone keeps fields, not classes). */
  static revive(state: DuplicateRows): DuplicateRows {
    return Object.setPrototypeOf(state, DuplicateRows.prototype) as DuplicateRows;
  }

  /** Adds the row whose cells have these value hashes. */
  addRow(hashes: readonly number[], width: number): void {
    let a = ROW_KEY_A;
    let b = ROW_KEY_B;
    for (let c = 0; c < width; c++) {
      a = laneA(a, hashes[c]!);
      b = laneB(b, hashes[c]!);
    }
    this.addLanes(a, b);
  }

  /** Adds a row by its key's two lanes, folded over all its cells. */
  addLanes(a: number, b: number): void {
    this.rows++;
    const lo = mix32i(b);
    const low = lo | 0x80000000;
    const level = 31 - Math.clz32(low & -low);
    this.byLevel[level] = this.byLevel[level]! + 1;
    if ((lo & this.mask) !== 0) return;
    if (this.used >= this.room) {
      this.makeRoom();
      if ((lo & this.mask) !== 0) return;
    }
    this.keys[this.used++] = (mix32i(a) >>> 11) * 4294967296 + (lo >>> 0);
  }

  merge(other: DuplicateRows): void {
    this.rows += other.rows;
    for (let l = 0; l < LEVELS; l++) this.byLevel[l] = this.byLevel[l]! + other.byLevel[l]!;
    if (other.level > this.level) this.raise(other.level);
    const keys = other.keys;
    for (let i = 0; i < other.used; i++) {
      const key = keys[i]!;
      if ((key & this.mask) !== 0) continue;
      if (this.used >= this.room) {
        this.makeRoom();
        if ((key & this.mask) !== 0) continue;
      }
      this.keys[this.used++] = key;
    }
  }

  /**
   * Exact while at most EXACT_ROWS rows differ. Past that, two estimates of the distinct rows from
   * the sample: its distinct keys scaled by the rows it stands for (exact for a table without
   * repeats, however large), and scaled by the sampling rate (right even where one group of repeats
   * — a thousand blank rows — falls in or out of the sample whole). The first is taken unless the
   * sampled rows stray from their expected number by more than HEAVY_Z standard errors of the
   * second, which says such a group is in play.
   */
  count(): DuplicateCount {
    this.dedupe();
    if (this.level === 0) return { rows: this.rows, duplicates: this.rows - this.used, estimated: false };
    let sampledRows = 0;
    for (let l = this.level; l < LEVELS; l++) sampledRows += this.byLevel[l]!;
    const scale = 2 ** this.level;
    const byRate = this.used * scale;
    const byRows = sampledRows > 0 ? (this.used * this.rows) / sampledRows : byRate;
    const error = Math.sqrt(this.used * scale * (scale - 1));
    const distinct = Math.abs(byRows - byRate) <= HEAVY_Z * error ? byRows : byRate;
    const duplicates = Math.max(0, Math.min(this.rows - 1, Math.round(this.rows - distinct)));
    return { rows: this.rows, duplicates, estimated: true };
  }

  /**
   * Room for another key: a larger buffer while every key is kept; else the repeats taken out where
   * that can keep the count exact or frees much room, or the sample thinned by its keys' bits alone
   * where the keys are mostly distinct and far past the cap (no pass over all of them).
   */
  private makeRoom(): void {
    while (this.used >= this.room) {
      if (this.keys.length < (this.level === 0 ? MAX_KEYS : SAMPLE_KEYS)) {
        const grown = new Float64Array(this.keys.length * 2);
        grown.set(this.keys);
        this.keys = grown;
        this.fit();
        continue;
      }
      const distinct = this.probe();
      const cap = this.level === 0 ? EXACT_ROWS : SAMPLE_ROWS;
      if (distinct <= SURELY_PAST * cap || distinct < this.used / 2) this.dedupe();
      else {
        let level = this.level + 1;
        while (distinct / 2 ** (level - this.level) > SAMPLE_ROWS) level++;
        this.raise(level);
      }
    }
  }

  /** The buffer's room at this level: all of it while every key is kept, SAMPLE_KEYS past that. */
  private fit(): void {
    this.room = this.level === 0 ? this.keys.length : Math.min(this.keys.length, SAMPLE_KEYS);
  }

  /** The distinct live keys, estimated from those PROBE_BITS levels up. */
  private probe(): number {
    const mask = 2 ** (this.level + PROBE_BITS) - 1;
    const keys = this.keys;
    let n = 0;
    for (let i = 0; i < this.used; i++) if ((keys[i]! & mask) === 0) n++;
    const some = new Float64Array(n);
    n = 0;
    for (let i = 0; i < this.used; i++) if ((keys[i]! & mask) === 0) some[n++] = keys[i]!;
    return distinctInPlace(some, n, this.level + PROBE_BITS) * 2 ** PROBE_BITS;
  }

  /**
   * Takes the repeats out of the live keys; past the cap (EXACT_ROWS, or SAMPLE_ROWS once sampling)
   * the level rises until at most SAMPLE_ROWS are left.
   */
  private dedupe(): void {
    this.used = distinctInPlace(this.keys, this.used, this.level);
    if (this.used > (this.level === 0 ? EXACT_ROWS : SAMPLE_ROWS)) {
      this.raise(this.level + 1);
      while (this.used > SAMPLE_ROWS) this.raise(this.level + 1);
    }
  }

  /** Keeps only the live keys whose lowest `level` bits are zero: a sample of the rows. */
  private raise(level: number): void {
    this.level = level;
    this.mask = (2 ** level - 1) | 0;
    const keys = this.keys;
    let n = 0;
    for (let i = 0; i < this.used; i++) if ((keys[i]! & this.mask) === 0) keys[n++] = keys[i]!;
    this.used = n;
    // A sample needs no more than SAMPLE_KEYS of buffer (and crosses threads smaller).
    if (keys.length > SAMPLE_KEYS && n < SAMPLE_KEYS) this.keys = keys.slice(0, SAMPLE_KEYS);
    this.fit();
  }
}

/**
 * Takes the repeats out of keys [0, used) in place, order kept, and returns how many are left: an
 * open-addressed table of their positions. `zeros`: the low bits that are zero in every key.
 */
const distinctInPlace = (keys: Float64Array, used: number, zeros: number): number => {
  let size = 1024;
  while (size < 2 * used) size *= 2;
  const table = new Int32Array(size).fill(-1);
  const slots = size - 1;
  let n = 0;
  for (let i = 0; i < used; i++) {
    const key = keys[i]!;
    // The low 32 bits past the zeros, mixed with the high lane's 21 bits (above 2^32).
    let j = ((key >>> zeros) ^ Math.imul(Math.floor(key / 4294967296), 0x9e3779b1)) & slots;
    for (;;) {
      const at = table[j]!;
      if (at < 0) {
        table[j] = n;
        keys[n++] = key;
        break;
      }
      if (keys[at] === key) break;
      j = (j + 1) & slots;
    }
  }
  return n;
};
