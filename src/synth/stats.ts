/**
 * The numerics behind the copula: the normal CDF and its inverse, quantile tables, Pearson
 * correlation, Cholesky, and the repair of a correlation matrix that is not positive definite.
 */

/** Standard normal density. */
const density = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/**
 * Φ to about 1e-15 absolute: the Taylor series of Φ − ½ near 0, the continued fraction of the
 * upper tail beyond 3. Too slow for sampling; it builds the table `normalCdf` reads.
 */
export const normalCdfExact = (x: number): number => {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (x * x) / (2 * n + 1);
      sum += term;
    }
    return 0.5 + density(x) * sum;
  }
  // Q(a) = φ(a) / (a + 1/(a + 2/(a + 3/(a + …)))), evaluated from the far end.
  let fraction = a;
  for (let k = 300; k >= 1; k--) fraction = a + k / fraction;
  const tail = density(a) / fraction;
  return x > 0 ? 1 - tail : tail;
};

/** The normal CDF table: Φ and φ at knots CDF_STEP apart on [−CDF_LIMIT, CDF_LIMIT]. */
const CDF_LIMIT = 8.5;
const CDF_PER_UNIT = 32;
const CDF_KNOTS = 2 * CDF_LIMIT * CDF_PER_UNIT;
let cdfValues: Float64Array | undefined;
let cdfSlopes: Float64Array | undefined;

const buildCdfTable = (): void => {
  cdfValues = new Float64Array(CDF_KNOTS + 2);
  cdfSlopes = new Float64Array(CDF_KNOTS + 2);
  for (let i = 0; i <= CDF_KNOTS + 1; i++) {
    const x = -CDF_LIMIT + i / CDF_PER_UNIT;
    cdfValues[i] = normalCdfExact(x);
    // Slopes per knot step, the unit the Hermite basis below works in.
    cdfSlopes[i] = density(x) / CDF_PER_UNIT;
  }
};

/**
 * Standard normal CDF for the sampler's hot loop: cubic Hermite interpolation of a table of Φ and
 * its derivative φ (knots 1/32 apart), absolute error below 3e-9, no exp per call. Outside ±8.5 it
 * returns 0 or 1 (Φ(−8.5) ≈ 1e-17).
 */
export const normalCdf = (x: number): number => {
  const t = (x + CDF_LIMIT) * CDF_PER_UNIT;
  if (t >= 0 && t < CDF_KNOTS) {
    if (cdfValues === undefined) buildCdfTable();
    const values = cdfValues as Float64Array;
    const slopes = cdfSlopes as Float64Array;
    const i = t | 0;
    const s = t - i;
    const p0 = values[i] as number;
    const p1 = values[i + 1] as number;
    const s2 = s * s;
    const s3 = s2 * s;
    return (
      p0 +
      (3 * s2 - 2 * s3) * (p1 - p0) +
      (s3 - 2 * s2 + s) * (slopes[i] as number) +
      (s3 - s2) * (slopes[i + 1] as number)
    );
  }
  if (x < 0) return 0;
  if (x > 0) return 1;
  return Number.NaN;
};

/** Inverse standard normal CDF (Acklam, relative error < 1.2e-9), for p clamped into (1e-12, 1 - 1e-12). */
export const normalInv = (p: number): number => {
  const q0 = p < 1e-12 ? 1e-12 : Math.min(p, 1 - 1e-12);
  if (q0 < 0.02425 || q0 > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(q0 < 0.5 ? q0 : 1 - q0));
    const x =
      (((((-0.007784894002430293 * q - 0.3223964580411365) * q - 2.400758277161838) * q - 2.549732539343734) *
        q +
        4.374664141464968) *
        q +
        2.938163982698783) /
      ((((0.007784695709041462 * q + 0.3224671290700398) * q + 2.445134137142996) * q + 3.754408661907416) *
        q +
        1);
    return q0 < 0.5 ? x : -x;
  }
  const q = q0 - 0.5;
  const r = q * q;
  return (
    ((((((-39.69683028665376 * r + 220.9460984245205) * r - 275.9285104469687) * r + 138.357751867269) * r -
      30.66479806614716) *
      r +
      2.506628277459239) *
      q) /
    (((((-54.47609879822406 * r + 161.5858368580409) * r - 155.6989798598866) * r + 66.80131188771972) * r -
      13.28068155288572) *
      r +
      1)
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

export const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
const ZEROS = '000000000000000';

/**
 * Writes a number with fixed decimals, never in exponent form and never as '-0'. Rounds half away
 * from zero on the scaled value (x·10^d), which is exact integer arithmetic below 2^53; other values
 * go through toFixed.
 */
export const formatNumber = (x: number, decimals: number): string => {
  if (decimals < POW10.length) {
    const scale = POW10[decimals] as number;
    const scaled = Math.round(Math.abs(x) * scale);
    if (scaled < 9e15) {
      const sign = x < 0 && scaled > 0 ? '-' : '';
      if (decimals === 0) return sign + scaled;
      const whole = Math.floor(scaled / scale);
      const fraction = String(scaled - whole * scale);
      return `${sign}${whole}.${fraction.length < decimals ? ZEROS.slice(0, decimals - fraction.length) : ''}${fraction}`;
    }
  }
  if (Math.abs(x) >= 1e21) return BigInt(Math.round(x)).toString();
  const text = x.toFixed(decimals);
  return text.startsWith('-') && Number(text) === 0 ? text.slice(1) : text;
};
