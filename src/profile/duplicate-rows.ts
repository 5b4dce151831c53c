/**
 * Duplicate rows in bounded memory: every row's content key goes into an exact set up to
 * EXACT_ROWS rows and into a HyperLogLog always; past the cap the number of distinct rows is the
 * sketch's estimate (about 0.8 % standard error), so only a large share of duplicates is reported.
 * Parts of a file merge (the sets unite while they fit; the sketches merge).
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

/** Open addressing over the keys' two halves (hi + 1 marks a used slot), filled to half at most. */
const FIRST_SLOTS = 1 << 12;

export class DuplicateRows {
  rows = 0;
  private distinct = 0;
  private exact = true;
  private his: Int32Array | undefined = new Int32Array(FIRST_SLOTS);
  private los: Int32Array | undefined = new Int32Array(FIRST_SLOTS);
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
    if (this.exact) this.insert((mix32(a) >>> 11) + 1, lo | 0);
  }

  merge(other: DuplicateRows): void {
    this.rows += other.rows;
    this.sketch.merge(other.sketch);
    if (!other.exact) this.drop();
    if (!this.exact) return;
    const his = other.his!;
    const los = other.los!;
    for (let i = 0; i < his.length && this.exact; i++) if (his[i] !== 0) this.insert(his[i]!, los[i]!);
  }

  count(): DuplicateCount {
    const distinct = this.exact ? this.distinct : Math.min(this.rows, this.sketch.estimate());
    return { rows: this.rows, duplicates: this.rows - distinct, estimated: !this.exact };
  }

  private insert(hi: number, lo: number): void {
    const his = this.his!;
    const los = this.los!;
    const mask = his.length - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const h = his[slot]!;
      if (h === 0) {
        his[slot] = hi;
        los[slot] = lo;
        this.distinct++;
        if (this.distinct > EXACT_ROWS) this.drop();
        else if (this.distinct * 2 > his.length) this.grow();
        return;
      }
      if (h === hi && los[slot] === lo) return;
    }
  }

  /** Twice the slots, the keys placed again. */
  private grow(): void {
    const his = this.his!;
    const los = this.los!;
    this.his = new Int32Array(his.length * 2);
    this.los = new Int32Array(his.length * 2);
    this.distinct = 0;
    for (let i = 0; i < his.length; i++) if (his[i] !== 0) this.insert(his[i]!, los[i]!);
  }

  /** Past the cap only the sketch counts. */
  private drop(): void {
    this.exact = false;
    this.his = undefined;
    this.los = undefined;
  }
}
