/**
 * Duplicate rows in bounded memory: every row's content key is kept exactly while there are at most
 * EXACT_ROWS distinct ones, and goes into a HyperLogLog always; past the cap the number of distinct
 * rows is the sketch's estimate (about 0.8 % standard error), so only a large share of duplicates
 * is reported. Parts of a file merge (the keys join while they fit; the sketches merge).
 */
import { mix32 } from './infer.ts';
import { HyperLogLog } from './sketches.ts';

/** The lane value of an empty cell in a row key. */
export const EMPTY_CELL = 0x6b43a9b5;

/** Rows whose keys are kept exactly; a 53-bit key makes a false duplicate among them unlikely (< 1e-5). */
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
  estimated: boolean;
}

/** Keys the buffer starts with; it doubles up to MAX_KEYS, then sorts out its repeats to go on. */
const FIRST_KEYS = 1 << 12;
const MAX_KEYS = 2 * EXACT_ROWS;
/**
 * A full buffer whose sketch says this many times EXACT_ROWS distinct rows (12 of its standard
 * errors over) is dropped without sorting: it would be past the cap after sorting too.
 */
const SURELY_PAST = 1.1;

export class DuplicateRows {
  rows = 0;
  private exact = true;
  /**
   * Every row's 53-bit key (21 + 32 bits, exact in a double), appended: a row costs one write in
   * order, not a probe of a table that outgrows the cache (and grows again and again on the first
   * rows of every chunk). Repeats are sorted out when the buffer fills, and for `count`; keys
   * [0, used) are live.
   */
  private keys: Float64Array | undefined = new Float64Array(FIRST_KEYS);
  private used = 0;
  private sketch = new HyperLogLog();

  /** A DuplicateRows that crossed a thread (structured clone keeps fields, not classes). */
  static revive(state: DuplicateRows): DuplicateRows {
    const revived = Object.setPrototypeOf(state, DuplicateRows.prototype) as DuplicateRows;
    HyperLogLog.revive(revived.sketch);
    return revived;
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
    const lo = mix32(b);
    this.sketch.add(lo);
    if (!this.exact) return;
    if (this.used === this.keys!.length) this.makeRoom();
    if (this.exact) this.keys![this.used++] = (mix32(a) >>> 11) * 4294967296 + (lo >>> 0);
  }

  merge(other: DuplicateRows): void {
    this.rows += other.rows;
    this.sketch.merge(other.sketch);
    if (!other.exact) this.drop();
    const keys = other.keys!;
    for (let i = 0; i < other.used && this.exact; i++) {
      if (this.used === this.keys!.length) this.makeRoom();
      if (this.exact) this.keys![this.used++] = keys[i]!;
    }
  }

  count(): DuplicateCount {
    if (this.exact) this.compact();
    const distinct = this.exact ? this.used : Math.min(this.rows, this.sketch.estimate());
    return { rows: this.rows, duplicates: this.rows - distinct, estimated: !this.exact };
  }

  /** Room for another key: a larger buffer, or the repeats sorted out of a full one (or the keys dropped). */
  private makeRoom(): void {
    const keys = this.keys!;
    if (keys.length < MAX_KEYS) {
      const grown = new Float64Array(keys.length * 2);
      grown.set(keys);
      this.keys = grown;
      return;
    }
    if (this.sketch.estimate() > SURELY_PAST * EXACT_ROWS) this.drop();
    else this.compact();
  }

  /** The live keys sorted and each once; past EXACT_ROWS of them only the sketch counts. */
  private compact(): void {
    const keys = this.keys!.subarray(0, this.used);
    keys.sort();
    let n = 0;
    for (let i = 0; i < keys.length; i++) if (n === 0 || keys[i] !== keys[n - 1]) keys[n++] = keys[i]!;
    this.used = n;
    if (n > EXACT_ROWS) this.drop();
  }

  /** Past the cap only the sketch counts. */
  private drop(): void {
    this.exact = false;
    this.keys = undefined;
    this.used = 0;
  }
}
