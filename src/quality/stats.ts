/** Small statistics shared by the gate and the fidelity scores. */
import type { Rng } from '../random.ts';

/**
 * Wilson score interval for a share `successes / n` (95% by default): unlike the normal
 * approximation it stays inside [0, 1] and behaves at shares near 0 or 1, where the gate lives.
 */
export const wilson = (successes: number, n: number, z = 1.959964): [number, number] => {
  if (n <= 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
};

/** Two-sample Kolmogorov–Smirnov statistic: the largest gap between the two empirical CDFs. */
export const ksStatistic = (a: Float64Array, b: Float64Array): number => {
  if (a.length === 0 && b.length === 0) return 0;
  if (a.length === 0 || b.length === 0) return 1;
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
};

/** Pearson correlation over the pairs where both values are present; 0 when either side is constant. */
export const pearson = (x: Float64Array, y: Float64Array): number => {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    n++;
    sx += a;
    sy += b;
  }
  if (n < 2) return 0;
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    sxx += (a - mx) * (a - mx);
    syy += (b - my) * (b - my);
    sxy += (a - mx) * (b - my);
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
};

/** Uniform sample of k items from a stream of unknown length (Algorithm R), seeded. */
export class Reservoir<T> {
  readonly items: T[] = [];
  private count = 0;

  constructor(
    private readonly capacity: number,
    private readonly rng: Rng,
  ) {}

  /** Offers the next stream item; `make` builds it only when the sample keeps it. */
  offer(make: () => T): void {
    this.count++;
    if (this.items.length < this.capacity) {
      this.items.push(make());
      return;
    }
    const j = this.rng.int(this.count);
    if (j < this.capacity) this.items[j] = make();
  }

  /** How many items were offered in all. */
  get seen(): number {
    return this.count;
  }
}

/** k distinct indices of [0, n), in ascending order, drawn without replacement (partial Fisher–Yates). */
export const sampleIndices = (n: number, k: number, rng: Rng): number[] => {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, k).sort((a, b) => a - b);
};
