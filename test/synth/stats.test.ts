import { describe, expect, it } from 'vitest';
import { normalCdf, normalCdfExact, normalInv } from '../../src/synth/stats.ts';

// Φ at a few points, from R's pnorm (double precision).
const REFERENCE: [number, number][] = [
  [0, 0.5],
  [1, 0.8413447460685429],
  [-1.96, 0.024997895148220435],
  [2.5, 0.9937903346742238],
  [-3, 0.0013498980316301035],
  [4, 0.9999683287581669],
  [-6, 9.865876450376946e-10],
];

describe('the normal CDF', () => {
  it('matches reference values: the exact one to 1e-15, the sampler table to 1e-8', () => {
    for (const [x, phi] of REFERENCE) {
      expect(Math.abs(normalCdfExact(x) - phi), `exact Φ(${x})`).toBeLessThan(1e-15);
      expect(Math.abs(normalCdf(x) - phi), `table Φ(${x})`).toBeLessThan(1e-8);
    }
  });

  it('stays within 3e-9 of the exact CDF everywhere, monotone, and saturates beyond the table', () => {
    // Prepare / Act: a grid that falls between the table's knots.
    let worst = 0;
    let previous = -1;
    let monotone = true;
    for (let x = -9; x <= 9; x += 0.000731) {
      const p = normalCdf(x);
      worst = Math.max(worst, Math.abs(p - normalCdfExact(x)));
      // Monotone up to one rounding step near 1.
      if (p < previous - 2e-16) monotone = false;
      previous = p;
    }
    // Assess
    expect(worst).toBeLessThan(3e-9);
    expect(monotone).toBe(true);
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });

  it('is inverted by normalInv to within 1e-8 relative', () => {
    for (const p of [1e-9, 1e-6, 0.001, 0.02, 0.3, 0.5, 0.77, 0.975, 0.99999]) {
      const x = normalInv(p);
      expect(Math.abs(normalCdfExact(x) - p) / Math.min(p, 1 - p), `p = ${p}`).toBeLessThan(1e-7);
    }
    expect(normalInv(0)).toBe(normalInv(1e-12));
    expect(normalInv(0.5)).toBe(0);
  });
});
