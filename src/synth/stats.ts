/**
 * The numerics behind the copula: the normal CDF and its inverse, quantile tables, Pearson
 * correlation, Cholesky, and the repair of a correlation matrix that is not positive definite.
 */

/** Standard normal CDF (erfc rational approximation, relative error < 1.2e-7). */
export const normalCdf = (x: number): number => {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
};

const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/** Inverse standard normal CDF (Acklam), for p clamped into (1e-12, 1 - 1e-12). */
export const normalInv = (p: number): number => {
  const q0 = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  if (q0 < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(q0));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (q0 > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - q0));
    return (
      -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = q0 - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
};

/** `points` values of the quantile function of ascending `sorted` at evenly spaced probabilities. */
export const quantileTable = (sorted: ArrayLike<number>, points: number): number[] => {
  const n = sorted.length;
  const out: number[] = [];
  for (let i = 0; i < points; i++) {
    const h = ((n - 1) * i) / (points - 1);
    const lo = Math.floor(h);
    const a = sorted[lo] as number;
    const b = sorted[Math.min(lo + 1, n - 1)] as number;
    out.push(a + (h - lo) * (b - a));
  }
  return out;
};

/** Evaluates a quantile table at probability v in [0, 1], interpolating linearly. */
export const interpolate = (table: ArrayLike<number>, v: number): number => {
  const last = table.length - 1;
  const pos = v * last;
  const i = Math.floor(pos);
  if (i >= last) return table[last] as number;
  if (i < 0) return table[0] as number;
  const a = table[i] as number;
  return a + (pos - i) * ((table[i + 1] as number) - a);
};

/** Where x falls in a quantile table, as a probability in [0, 1] (the inverse of `interpolate`). */
export const locate = (table: ArrayLike<number>, x: number): number => {
  const last = table.length - 1;
  if (x <= (table[0] as number)) return 0;
  if (x >= (table[last] as number)) return 1;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((table[mid] as number) < x) lo = mid;
    else hi = mid;
  }
  const a = table[lo] as number;
  const b = table[hi] as number;
  return (lo + (b > a ? (x - a) / (b - a) : 0)) / last;
};

/** Pearson correlation matrix of equally long series; a constant series correlates 0 with the rest. */
export const pearson = (series: Float64Array[]): number[][] => {
  const m = series.length;
  const centered = series.map((s) => {
    let mean = 0;
    for (let i = 0; i < s.length; i++) mean += s[i] as number;
    mean /= Math.max(s.length, 1);
    const c = new Float64Array(s.length);
    let ss = 0;
    for (let i = 0; i < s.length; i++) {
      const d = (s[i] as number) - mean;
      c[i] = d;
      ss += d * d;
    }
    return { c, norm: Math.sqrt(ss) };
  });
  const r: number[][] = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < m; i++) {
    (r[i] as number[])[i] = 1;
    const a = centered[i] as { c: Float64Array; norm: number };
    for (let j = i + 1; j < m; j++) {
      const b = centered[j] as { c: Float64Array; norm: number };
      let dot = 0;
      for (let k = 0; k < a.c.length; k++) dot += (a.c[k] as number) * (b.c[k] as number);
      const v = a.norm > 0 && b.norm > 0 ? Math.max(-1, Math.min(1, dot / (a.norm * b.norm))) : 0;
      (r[i] as number[])[j] = v;
      (r[j] as number[])[i] = v;
    }
  }
  return r;
};

/** Lower Cholesky factor (row-major rows), or null when the matrix is not (numerically) positive definite. */
export const cholesky = (matrix: number[][], minPivot = 1e-10): Float64Array[] | null => {
  const m = matrix.length;
  const l = Array.from({ length: m }, () => new Float64Array(m));
  for (let i = 0; i < m; i++) {
    const li = l[i] as Float64Array;
    for (let j = 0; j <= i; j++) {
      const lj = l[j] as Float64Array;
      let sum = (matrix[i] as number[])[j] as number;
      for (let k = 0; k < j; k++) sum -= (li[k] as number) * (lj[k] as number);
      if (i === j) {
        if (!(sum > minPivot)) return null;
        li[i] = Math.sqrt(sum);
      } else {
        li[j] = sum / (lj[j] as number);
      }
    }
  }
  return l;
};

/**
 * Makes a correlation matrix usable by the copula: symmetric, unit diagonal, entries in [-1, 1],
 * and positive definite, shrinking toward the identity only as far as Cholesky needs (pairwise
 * estimates and duplicated columns give matrices that are not).
 */
export const repairCorrelation = (matrix: number[][]): number[][] => {
  const m = matrix.length;
  const base = Array.from({ length: m }, (_, i) =>
    Array.from({ length: m }, (_, j) => {
      if (i === j) return 1;
      const v = (((matrix[i] ?? [])[j] ?? 0) + ((matrix[j] ?? [])[i] ?? 0)) / 2;
      return Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
    }),
  );
  for (let step = 0; step <= 100; step++) {
    const lambda = step / 100;
    const shrunk = base.map((row, i) => row.map((v, j) => (i === j ? 1 : v * (1 - lambda))));
    // A small pivot floor keeps the factor well conditioned, not merely non-singular.
    if (cholesky(shrunk, 1e-6) !== null) return shrunk;
  }
  return base.map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
};
