import { describe, expect, it } from 'vitest';
import { mix32 } from '../../src/profile/infer.ts';
import { HyperLogLog, QuantileSketch } from '../../src/profile/sketches.ts';
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
