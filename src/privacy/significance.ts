/**
 * The statistics behind the gate's verdicts: one-sided tests, a seeded bootstrap, the AUC of a
 * score, and Holm–Bonferroni over the family of checks so that clean data does not fail by chance.
 */
import type { Rng } from '../random.ts';
import { normalCdfExact } from '../synth/stats.ts';

/** ln Γ(x), Lanczos (g = 7, 9 terms): about 15 significant digits for x > 0. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export const logGamma = (x: number): number => {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
};

/** P(X ≥ k) for X ~ Binomial(n, p): the p-value of a one-sided binomial test. */
export const binomialUpperTail = (k: number, n: number, p: number): number => {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const base = logGamma(n + 1);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    const term = Math.exp(base - logGamma(i + 1) - logGamma(n - i + 1) + i * lp + (n - i) * lq);
    sum += term;
    // Terms past the mode only shrink; once negligible the rest cannot matter.
    if (i > n * p && term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
};

/** P(Z ≥ z) for a standard normal Z. */
export const normalUpperTail = (z: number): number => normalCdfExact(-z);

/**
 * One-sided p-value that a statistic estimated as `estimate` with standard error `se` exceeds
 * `limit` (H0: the true value is at most `limit`). `above: false` tests falling below instead.
 */
export const exceedsP = (estimate: number, se: number, limit: number, above = true): number => {
  const gap = above ? estimate - limit : limit - estimate;
  if (!(se > 0)) return gap > 0 ? 0 : 1;
  return normalUpperTail(gap / se);
};

export interface HolmEntry {
  /** Raw p-value. */
  p: number;
  /** The level the raw p-value was compared with in Holm's step-down order. */
  level: number;
  /** Holm-adjusted p-value: reject when at most the family α. */
  adjusted: number;
  reject: boolean;
}

/**
 * Holm–Bonferroni: the smallest p-value is compared with α/K, the next with α/(K-1)…, stopping at the
 * first that is not small enough. Controls the chance of any false failure across the K checks at α.
 */
export const holm = (pValues: number[], alpha: number): HolmEntry[] => {
  const k = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out: HolmEntry[] = new Array(k);
  let running = 0;
  let stopped = false;
  order.forEach(({ p, i }, rank) => {
    const level = alpha / (k - rank);
    running = Math.max(running, Math.min(1, (k - rank) * p));
    if (p > level) stopped = true;
    out[i] = { p, level, adjusted: running, reject: !stopped };
  });
  return out;
};

/** The q-quantile (0..1) of values, linear between order statistics; NaN when empty. */
export const quantile = (values: ArrayLike<number>, q: number): number => {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const at = q * (n - 1);
  const lo = Math.floor(at);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
};

/** Bootstrap counts: how often each of n items is drawn when n are drawn with replacement. */
export const resampleCounts = (n: number, rng: Rng, out = new Uint32Array(n)): Uint32Array => {
  out.fill(0);
  for (let i = 0; i < n; i++) out[rng.int(n)]!++;
  return out;
};

export interface AucEstimate {
  auc: number;
  /** Percentile bootstrap 95% interval. */
  interval: [number, number];
  /** Bootstrap standard error. */
  se: number;
}

/**
 * AUC of telling `positives` from `negatives` when a LOWER score means "positive" (a row nearer to the
 * synthetic data looks like a member): P(positive < negative) + half of P(equal), with scores within
 * `eps` counted equal. The interval resamples both groups `rounds` times from a seeded Rng, in one
 * linear sweep per round over the scores sorted once.
 */
export const lowerScoreAuc = (
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
  rng: Rng,
  options: { eps?: number; rounds?: number } = {},
): AucEstimate => {
  const eps = options.eps ?? 0;
  const rounds = options.rounds ?? 400;
  const np = positives.length;
  const nn = negatives.length;
  if (np === 0 || nn === 0) return { auc: 0.5, interval: [0, 1], se: Number.NaN };
  // Sort all scores once; group runs within eps of their first as ties.
  const items = new Array<{ s: number; pos: boolean; i: number }>(np + nn);
  for (let i = 0; i < np; i++) items[i] = { s: positives[i]!, pos: true, i };
  for (let i = 0; i < nn; i++) items[np + i] = { s: negatives[i]!, pos: false, i };
  items.sort((a, b) => a.s - b.s);
  const group = new Int32Array(items.length);
  let g = 0;
  let start = items[0]!.s;
  for (let t = 0; t < items.length; t++) {
    if (items[t]!.s - start > eps) {
      g++;
      start = items[t]!.s;
    }
    group[t] = g;
  }
  const groups = g + 1;
  const wp = new Float64Array(groups);
  const wn = new Float64Array(groups);
  const aucOf = (pw: ArrayLike<number>, nw: ArrayLike<number>): number => {
    wp.fill(0);
    wn.fill(0);
    let totalP = 0;
    let totalN = 0;
    for (let t = 0; t < items.length; t++) {
      const it = items[t]!;
      if (it.pos) {
        wp[group[t]!]! += pw[it.i]!;
        totalP += pw[it.i]!;
      } else {
        wn[group[t]!]! += nw[it.i]!;
        totalN += nw[it.i]!;
      }
    }
    // Positives below a negative: sweep from the top, counting negatives strictly above.
    let above = 0;
    let wins = 0;
    for (let k = groups - 1; k >= 0; k--) {
      wins += wp[k]! * (above + wn[k]! / 2);
      above += wn[k]!;
    }
    return totalP > 0 && totalN > 0 ? wins / (totalP * totalN) : 0.5;
  };
  const auc = aucOf(new Float64Array(np).fill(1), new Float64Array(nn).fill(1));
  const boot = new Float64Array(rounds);
  const cp = new Uint32Array(np);
  const cn = new Uint32Array(nn);
  for (let b = 0; b < rounds; b++) boot[b] = aucOf(resampleCounts(np, rng, cp), resampleCounts(nn, rng, cn));
  return { auc, interval: [quantile(boot, 0.025), quantile(boot, 0.975)], se: standardDeviation(boot) };
};

export const standardDeviation = (values: ArrayLike<number>): number => {
  const n = values.length;
  if (n < 2) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return Math.sqrt(ss / (n - 1));
};

/** Indices of values in ascending order of value. */
export const ascendingOrder = (values: ArrayLike<number>): Uint32Array => {
  const order = Uint32Array.from({ length: values.length }, (_, i) => i);
  return order.sort((a, b) => values[a]! - values[b]! || a - b);
};

/**
 * The q-quantile (lower order statistic) of values given bootstrap counts, walking `order` (from
 * ascendingOrder) once: the smallest value with at least q of the total count at or below it.
 */
export const weightedQuantile = (
  values: ArrayLike<number>,
  order: ArrayLike<number>,
  counts: ArrayLike<number>,
  q: number,
): number => {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const target = q * total;
  let seen = 0;
  for (let t = 0; t < order.length; t++) {
    const i = order[t]!;
    seen += counts[i]!;
    if (seen >= target && seen > 0) return values[i]!;
  }
  return Number.NaN;
};
