import { describe, expect, it } from 'vitest';
import { mix32 } from '../../src/profile/infer.ts';
import { HyperLogLog, QuantileSketch, TopK } from '../../src/profile/sketches.ts';
import { createRng, hash32 } from '../../src/random.ts';

const rankError = (sorted: number[], p: number, value: number): number => {
  let below = 0;
  let atOrBelow = 0;
  for (const x of sorted) {
    if (x < value) below++;
    if (x <= value) atOrBelow++;
  }
  const lo = below / sorted.length;
  const hi = atOrBelow / sorted.length;
  return p < lo ? lo - p : p > hi ? p - hi : 0;
};

const PROBS = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99];

describe('HyperLogLog', () => {
  it('counts distinct values within 2 %, small and large, however often each repeats', () => {
    for (const distinct of [500, 20_000, 300_000]) {
      // Prepare
      const sketch = new HyperLogLog();

      // Act
      for (let i = 0; i < distinct * 3; i++) sketch.add(mix32(hash32(`value-${i % distinct}`)));

      // Assess
      expect(Math.abs(sketch.estimate() - distinct) / distinct).toBeLessThanOrEqual(0.02);
    }
  });

  it('merged from parts gives the same estimate as one pass', () => {
    // Prepare
    const whole = new HyperLogLog();
    const a = new HyperLogLog();
    const b = new HyperLogLog();

    // Act
    for (let i = 0; i < 100_000; i++) {
      const h = mix32(hash32(String(i)));
      whole.add(h);
      (i % 3 === 0 ? a : b).add(h);
    }
    a.merge(b);

    // Assess
    expect(a.estimate()).toBe(whole.estimate());
  });
});

describe('QuantileSketch (KLL)', () => {
  it('keeps every quantile within 1 % rank error on skewed data', () => {
    // Prepare: log-normal values, 200,000 of them.
    const rng = createRng(5);
    const values = Array.from({ length: 200_000 }, () => Math.exp(rng.normal()));
    const sketch = new QuantileSketch();

    // Act
    for (const x of values) sketch.update(x);
    const got = sketch.quantiles(PROBS);

    // Assess
    const sorted = [...values].sort((a, b) => a - b);
    for (const [i, p] of PROBS.entries()) expect(rankError(sorted, p, got[i]!)).toBeLessThanOrEqual(0.01);
    expect(sketch.count).toBe(200_000);
  });

  it('merged from four parts stays within 1 % rank error and is repeatable', () => {
    // Prepare
    const rng = createRng(9);
    const values = Array.from({ length: 120_000 }, () => rng.normal() * 10 + (rng.next() < 0.3 ? 50 : 0));
    const build = () => {
      const parts = [0, 1, 2, 3].map(() => new QuantileSketch());
      for (const [i, x] of values.entries()) parts[i % 4]!.update(x);
      const [first, ...rest] = parts;
      for (const part of rest) first!.merge(part);
      return first!;
    };

    // Act
    const merged = build();
    const again = build();

    // Assess
    const sorted = [...values].sort((a, b) => a - b);
    const got = merged.quantiles(PROBS);
    for (const [i, p] of PROBS.entries()) expect(rankError(sorted, p, got[i]!)).toBeLessThanOrEqual(0.01);
    expect(merged.count).toBe(values.length);
    expect(again.quantiles(PROBS)).toEqual(got);
  });
});

describe('QuantileSketch keeps the textbook items', () => {
  /**
   * KLL as written down: every full level sorted anew, every other item up (the same coin and
   * capacities as the sketch). The sketch keeps its upper levels sorted instead of sorting them.
   */
  class Textbook {
    levels: number[][] = [[]];
    coin = 0x9e3779b9;
    capacity(h: number): number {
      const depth = this.levels.length - 1 - h;
      return Math.max(8, Math.ceil(400 * (2 / 3) ** depth));
    }
    flip(): number {
      let s = this.coin;
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      this.coin = s >>> 0;
      return this.coin & 1;
    }
    compress(): void {
      for (let h = 0; h < this.levels.length; h++) {
        const level = this.levels[h]!;
        if (level.length < this.capacity(h)) continue;
        if (h + 1 === this.levels.length) this.levels.push([]);
        const sorted = [...level].sort((a, b) => a - b);
        const pairs = sorted.length - (sorted.length % 2);
        for (let i = this.flip(); i < pairs; i += 2) this.levels[h + 1]!.push(sorted[i]!);
        this.levels[h] = pairs === sorted.length ? [] : [sorted[pairs]!];
      }
    }
    update(x: number): void {
      this.levels[0]!.push(x);
      if (this.levels[0]!.length >= this.capacity(0)) this.compress();
    }
    add(x: number, weight: number): void {
      for (let h = 0, w = weight; w > 0; h++, w = Math.floor(w / 2)) {
        if (w % 2 === 0) continue;
        while (this.levels.length <= h) this.levels.push([]);
        this.levels[h]!.push(x);
      }
      this.compress();
    }
    merge(other: Textbook): void {
      for (let h = 0; h < other.levels.length; h++) {
        if (this.levels[h] === undefined) this.levels.push([]);
        this.levels[h]!.push(...other.levels[h]!);
      }
      this.compress();
    }
    weighted(): [number, number][] {
      return this.levels.flatMap((level, h) => level.map((x): [number, number] => [x, 2 ** h]));
    }
  }
  const sortedItems = (items: [number, number][]) => [...items].sort((a, b) => a[0] - b[0] || a[1] - b[1]);

  it('as sorting every level anew would, through updates, weighted adds and merges', () => {
    // Prepare: two parts of 150,000 values each, with weighted values (counted ones) added between
    const rng = createRng(11);
    const values = Array.from({ length: 300_000 }, () => Math.round(rng.normal() * 1000) / 10);
    const [a, b] = [new QuantileSketch(), new QuantileSketch()];
    const [ta, tb] = [new Textbook(), new Textbook()];

    // Act
    for (const [i, x] of values.entries()) {
      const [sketch, textbook] = i % 2 === 0 ? [a, ta] : [b, tb];
      if (i % 10_007 === 0) {
        sketch.add(x, 37);
        textbook.add(x, 37);
      } else {
        sketch.update(x);
        textbook.update(x);
      }
    }
    a.merge(b);
    ta.merge(tb);

    // Assess: the same items at the same weights
    expect(sortedItems(a.weighted())).toEqual(sortedItems(ta.weighted()));
    expect(a.weighted().length).toBeGreaterThan(300);
  });
});

describe('TopK (Space-Saving)', () => {
  /** A value's hash as the profiler makes it (ValueEntry.hash). */
  const keyOf = (value: string): number => mix32(hash32(value));

  /** The textbook algorithm, the smallest counter found by a scan (of equal ones, the oldest). */
  const reference = (stream: string[], capacity = 64): [string, number][] => {
    const counts = new Map<string, { count: number; error: number }>();
    for (const value of stream) {
      const seen = counts.get(value);
      if (seen !== undefined) seen.count++;
      else if (counts.size < capacity) counts.set(value, { count: 1, error: 0 });
      else {
        let min = '';
        let minCount = Number.POSITIVE_INFINITY;
        for (const [v, c] of counts) {
          if (c.count < minCount) {
            minCount = c.count;
            min = v;
          }
        }
        counts.delete(min);
        counts.set(value, { count: minCount + 1, error: minCount });
      }
    }
    return [...counts]
      .map(([v, c]): [string, number] => [v, c.count - c.error])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  };

  it('keeps the counters the textbook algorithm keeps, on skewed and on all-distinct streams', () => {
    // Prepare: a Zipf-like stream over 2,000 values, and 5,000 distinct values with a few heavy ones
    const rng = createRng(11);
    const skewed = Array.from({ length: 20_000 }, () => `v${Math.floor(2000 * rng.next() ** 3)}`);
    const distinct = Array.from({ length: 5_000 }, (_, i) => (i % 10 === 0 ? `hot${i % 3}` : `d${i}`));
    for (const stream of [skewed, distinct]) {
      // Act
      const top = new TopK();
      for (const value of stream) top.add(value, keyOf(value));
      // Assess
      expect(top.entries()).toEqual(reference(stream));
    }
  });

  it('merges two halves into the counters of the whole, the frequent values first', () => {
    // Prepare
    const rng = createRng(12);
    const stream = Array.from({ length: 10_000 }, () => `v${Math.floor(500 * rng.next() ** 4)}`);
    const [a, b] = [new TopK(), new TopK()];
    stream.forEach((v, i) => {
      (i < 5_000 ? a : b).add(v, keyOf(v));
    });
    // Act
    a.merge(b);
    // Assess: the five most frequent values lead, each with at least its true count less the error bound
    const truth = new Map<string, number>();
    for (const v of stream) truth.set(v, (truth.get(v) ?? 0) + 1);
    const heaviest = [...truth].sort((x, y) => y[1] - x[1]).slice(0, 5);
    const merged = new Map(a.entries());
    for (const [value, n] of heaviest)
      expect(merged.get(value)).toBeGreaterThan(n - (2 * stream.length) / 64);
    // and adding more after a merge still evicts the smallest counter
    for (let i = 0; i < 1000; i++) a.add(`new${i}`, keyOf(`new${i}`));
    expect(a.entries()[0]![0]).toBe(heaviest[0]![0]);
  });
});
