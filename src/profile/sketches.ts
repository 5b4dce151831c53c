/**
 * Mergeable sketches for statistics a bounded-memory pass cannot keep exactly:
 * - HyperLogLog (2^14 registers, 16 KiB): distinct counts, about 0.8 % standard error;
 * - KLL quantiles (k = 400): rank error under 1 % with high probability, a few thousand numbers.
 * Both merge: sketches of parts of a column merged give the sketch of the whole, within its error.
 * - Space-Saving (Metwally, Agrawal, El Abbadi 2005; 64 counters): the most frequent values, each
 *   count over by at most its recorded error.
 * All are deterministic: the same values in the same order give the same figures.
 */

const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** HyperLogLog over 32-bit hashes (the caller hashes: the same value must give the same hash). */
export class HyperLogLog {
  readonly registers = new Uint8Array(M);

  /** A sketch passed between threads (structured clone keeps the fields, not the class). */
  static revive(state: HyperLogLog): HyperLogLog {
    return Object.setPrototypeOf(state, HyperLogLog.prototype);
  }

  add(hash: number): void {
    const index = hash >>> (32 - P);
    // The rank of the first 1 bit in the remaining bits; the sentinel bit caps it at 32 - P + 1.
    const rank = Math.clz32((hash << P) | (1 << (P - 1))) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  merge(other: HyperLogLog): void {
    const a = this.registers;
    const b = other.registers;
    for (let i = 0; i < M; i++) if (b[i]! > a[i]!) a[i] = b[i]!;
  }

  estimate(): number {
    // Registers by rank (at most 32 - P + 1), then a power per rank: not one per register.
    const ranks = new Float64Array(34);
    for (let i = 0; i < M; i++) ranks[this.registers[i]!]!++;
    let sum = 0;
    for (let r = 0; r < ranks.length; r++) sum += ranks[r]! * 2 ** -r;
    const zeros = ranks[0]!;
    const raw = (ALPHA * M * M) / sum;
    // Small cardinalities: linear counting on the empty registers is the better estimate.
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(raw);
  }
}

const KLL_K = 400;
const KLL_MIN_WIDTH = 8;
/** (2/3)^depth, a level's capacity shrink per level above it (a power on every update cost more than the sort). */
const SHRINK = Array.from({ length: 64 }, (_, depth) => (2 / 3) ** depth);

/**
 * KLL sketch (Karnin, Lang, Liberty 2016) of numbers: level h holds items that each stand for 2^h
 * values; a full level is sorted and every other item moves up. The coin deciding odd or even
 * items comes from a fixed-seed generator, so runs repeat exactly.
 */
export class QuantileSketch {
  private levels: number[][] = [[]];
  private coin = 0x9e3779b9;
  count = 0;

  constructor(private readonly k = KLL_K) {}

  /** A sketch passed between threads (structured clone keeps the fields, not the class). */
  static revive(state: QuantileSketch): QuantileSketch {
    return Object.setPrototypeOf(state, QuantileSketch.prototype);
  }

  update(x: number): void {
    const level0 = this.levels[0]!;
    // -0 kept as 0: a sorted level then has one order however it is sorted (see compress).
    level0.push(x === 0 ? 0 : x);
    this.count++;
    if (level0.length >= this.capacity(0)) this.compress();
  }

  /** Adds `x` standing for `weight` values: one item at each level whose bit is set in the weight. */
  add(x: number, weight: number): void {
    for (let h = 0, w = weight; w > 0; h++, w = Math.floor(w / 2)) {
      if (w % 2 === 0) continue;
      while (this.levels.length <= h) this.levels.push([]);
      this.levels[h]!.push(x === 0 ? 0 : x);
    }
    this.count += weight;
    this.compress();
  }

  merge(other: QuantileSketch): void {
    for (let h = 0; h < other.levels.length; h++) {
      if (this.levels[h] === undefined) this.levels.push([]);
      const mine = this.levels[h]!;
      for (const x of other.levels[h]!) mine.push(x);
    }
    this.count += other.count;
    this.compress();
  }

  /** The value at each probability in `probs` (0..1), or [] when empty. */
  quantiles(probs: readonly number[]): number[] {
    return weightedQuantiles(this.weighted(), probs);
  }

  /** The kept items with the number of values each stands for. */
  weighted(): [number, number][] {
    const out: [number, number][] = [];
    this.levels.forEach((level, h) => {
      for (const x of level) out.push([x, 2 ** h]);
    });
    return out;
  }

  private capacity(h: number): number {
    const depth = this.levels.length - 1 - h;
    return Math.max(KLL_MIN_WIDTH, Math.ceil(this.k * (SHRINK[depth] ?? (2 / 3) ** depth)));
  }

  private flip(): number {
    // xorshift32: a fixed sequence, independent of the data.
    let s = this.coin;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.coin = s >>> 0;
    return this.coin & 1;
  }

  private compress(): void {
    for (let h = 0; h < this.levels.length; h++) {
      const level = this.levels[h]!;
      if (level.length < this.capacity(h)) continue;
      if (h + 1 === this.levels.length) this.levels.push([]);
      // Above level 0 a level is mostly sorted already (compaction merges into it in order): it is
      // sorted only where `add` or `merge` put items in out of order. A typed array sorts numbers
      // natively, without a comparator call per comparison; with no NaN and no -0 among the items
      // (update and add keep them out), it gives a comparator's order.
      const sorted = h > 0 && isSorted(level) ? level : sortItems(level);
      // An odd item out (the largest) stays at this level, so no value's weight is lost.
      const pairs = sorted.length - (sorted.length % 2);
      this.levels[h + 1] = mergePicked(this.levels[h + 1]!, sorted, this.flip(), pairs);
      this.levels[h] = pairs === sorted.length ? [] : [sorted[pairs]!];
    }
  }
}

const isSorted = (items: readonly number[]): boolean => {
  for (let i = 1; i < items.length; i++) if (items[i - 1]! > items[i]!) return false;
  return true;
};

/** Levels this short sort in place, by insertion: a typed array and its native sort cost more. */
const SHORT_LEVEL = 32;

/**
 * A level's items in order. A long level sorts as a `Float64Array` (natively, no comparator call per
 * comparison); a short one, as a sketch of many values has at its bottom (8 items: it fills every 8
 * values), in place. With no NaN and no -0 among the items, both give the one order there is.
 */
const sortItems = (level: number[]): ArrayLike<number> => {
  if (level.length > SHORT_LEVEL) return new Float64Array(level).sort();
  for (let i = 1; i < level.length; i++) {
    const x = level[i]!;
    let j = i - 1;
    for (; j >= 0 && level[j]! > x; j--) level[j + 1] = level[j]!;
    level[j + 1] = x;
  }
  return level;
};

/**
 * The level above with the items a compaction moves up, `sorted[first]`, `sorted[first + 2]`… below
 * `pairs`: one sorted array where it was sorted (else they are appended). No array is made for
 * them: the level grows by as many items and is merged from its end.
 */
const mergePicked = (into: number[], sorted: ArrayLike<number>, first: number, pairs: number): number[] => {
  const count = (pairs - first + 1) >> 1;
  if (into.length === 0 || !isSorted(into)) {
    for (let i = first; i < pairs; i += 2) into.push(sorted[i]!);
    return into;
  }
  let i = into.length - 1;
  let j = first + 2 * (count - 1);
  let at = i + count;
  for (let k = 0; k < count; k++) into.push(0);
  // From the largest down; once the picked items are placed, the rest of `into` already is.
  while (j >= first) {
    if (i >= 0 && into[i]! > sorted[j]!) into[at--] = into[i--]!;
    else {
      into[at--] = sorted[j]!;
      j -= 2;
    }
  }
  return into;
};

/** Quantiles of (value, weight) pairs: the smallest value whose cumulative weight reaches p. */
export const weightedQuantiles = (items: [number, number][], probs: readonly number[]): number[] => {
  if (items.length === 0) return [];
  items.sort((a, b) => a[0] - b[0]);
  let total = 0;
  for (const [, w] of items) total += w;
  return probs.map((p) => {
    const target = p * total;
    let cumulative = 0;
    for (const [x, w] of items) {
      cumulative += w;
      if (cumulative >= target) return x;
    }
    return items[items.length - 1]![0];
  });
};

const TOP_CAPACITY = 64;

/** One Space-Saving counter; `seq` orders counters of equal count by when their value came in. */
interface Counter {
  value: string;
  /** The value's hash (its ValueEntry's), the key of the table. */
  hash: number;
  count: number;
  error: number;
  seq: number;
  /** Its place in the heap. */
  at: number;
}

/** Slots of TopK's table: four per counter, so probes stay short. */
const TOP_SLOTS = 256;

/**
 * Space-Saving heavy hitters: up to 64 values with counts; a new value when full takes the place
 * of the smallest counter (of equal ones, the one whose value came in first) and inherits its count
 * as its error. Any value more frequent than total / 64 is among the counters. Merging adds
 * counters and keeps the 64 largest. A column of distinct values replaces a counter on every row,
 * so the smallest is found through a min-heap and values through a table of their own (open
 * addressing on the value's hash; a Map deleted from on every row was the costliest step left).
 */
export class TopK {
  private slots: (Counter | undefined)[] = new Array(TOP_SLOTS);
  private heap: Counter[] = [];
  private seq = 0;

  static revive(state: TopK): TopK {
    return Object.setPrototypeOf(state, TopK.prototype);
  }

  /** Counts `weight` more occurrences of `value`, whose hash is `hash` (equal values, equal hashes). */
  add(value: string, hash: number, weight = 1): void {
    const seen = this.find(value, hash);
    if (seen !== undefined) {
      seen.count += weight;
      this.down(seen.at);
      return;
    }
    const { heap } = this;
    if (heap.length < TOP_CAPACITY) {
      const counter = { value, hash, count: weight, error: 0, seq: this.seq++, at: heap.length };
      heap.push(counter);
      this.place(counter);
      this.up(counter.at);
      return;
    }
    // The smallest counter is taken over in place (no allocation per value of a distinct column).
    const min = heap[0]!;
    this.remove(min);
    min.value = value;
    min.hash = hash;
    min.error = min.count;
    min.count += weight;
    min.seq = this.seq++;
    this.place(min);
    this.down(0);
  }

  merge(other: TopK): void {
    // The other's counters in the order their values came in, as a Map would list them.
    for (const c of [...other.heap].sort((a, b) => a.seq - b.seq)) {
      const mine = this.find(c.value, c.hash);
      if (mine !== undefined) {
        mine.count += c.count;
        mine.error += c.error;
      } else {
        const counter = { ...c, seq: this.seq++, at: this.heap.length };
        this.heap.push(counter);
        this.place(counter); // at most 128 counters: the table stays half empty
      }
    }
    let counters = [...this.heap].sort((a, b) => a.seq - b.seq);
    if (counters.length > TOP_CAPACITY) {
      // The largest, ties in arrival order (a stable sort), arriving again in that order.
      counters = counters.sort((a, b) => b.count - a.count).slice(0, TOP_CAPACITY);
      for (const c of counters) c.seq = this.seq++;
    }
    this.slots = new Array(TOP_SLOTS);
    for (const c of counters) this.place(c);
    this.heap = counters;
    this.heap.forEach((c, i) => {
      c.at = i;
    });
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** Values with the occurrences they surely have (count less error), largest first. */
  entries(): [string, number][] {
    return this.heap
      .map((c): [string, number] => [c.value, c.count - c.error])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  }

  private find(value: string, hash: number): Counter | undefined {
    const { slots } = this;
    for (let i = hash & (TOP_SLOTS - 1); ; i = (i + 1) & (TOP_SLOTS - 1)) {
      const c = slots[i];
      if (c === undefined) return undefined;
      if (c.hash === hash && c.value === value) return c;
    }
  }

  private place(counter: Counter): void {
    const { slots } = this;
    let i = counter.hash & (TOP_SLOTS - 1);
    while (slots[i] !== undefined) i = (i + 1) & (TOP_SLOTS - 1);
    slots[i] = counter;
  }

  /** Takes the counter out of the table, moving later ones of its run back (linear probing). */
  private remove(counter: Counter): void {
    const { slots } = this;
    const mask = TOP_SLOTS - 1;
    let i = counter.hash & mask;
    while (slots[i] !== counter) i = (i + 1) & mask;
    slots[i] = undefined;
    for (let j = (i + 1) & mask; slots[j] !== undefined; j = (j + 1) & mask) {
      const c = slots[j]!;
      const home = c.hash & mask;
      // c stays unless its home lies cyclically in (i, j]: then the gap at i would hide it.
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      slots[i] = c;
      slots[j] = undefined;
      i = j;
    }
  }

  private less(a: Counter, b: Counter): boolean {
    return a.count < b.count || (a.count === b.count && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const { heap } = this;
    const a = heap[i]!;
    const b = heap[j]!;
    heap[i] = b;
    heap[j] = a;
    b.at = i;
    a.at = j;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i]!, this.heap[parent]!)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const { heap } = this;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) return;
      const right = left + 1;
      const child = right < heap.length && this.less(heap[right]!, heap[left]!) ? right : left;
      if (!this.less(heap[child]!, heap[i]!)) return;
      this.swap(i, child);
      i = child;
    }
  }
}
