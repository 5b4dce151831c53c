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
