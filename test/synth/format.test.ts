import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/random.ts';
import { dateFormatter } from '../../src/synth/datetime.ts';
import { formatNumber } from '../../src/synth/stats.ts';

describe('formatNumber', () => {
  it('writes fixed decimals, rounding half away from zero', () => {
    expect(formatNumber(3, 2)).toBe('3.00');
    expect(formatNumber(2.5, 0)).toBe('3');
    expect(formatNumber(-2.5, 0)).toBe('-3');
    expect(formatNumber(0.125, 2)).toBe('0.13');
    expect(formatNumber(-1.004, 2)).toBe('-1.00');
    expect(formatNumber(12.3456, 1)).toBe('12.3');
    expect(formatNumber(0.000001234, 9)).toBe('0.000001234');
    expect(formatNumber(1234567.891, 3)).toBe('1234567.891');
  });

  it('never writes negative zero or an exponent', () => {
    expect(formatNumber(-0, 0)).toBe('0');
    expect(formatNumber(-0.0004, 3)).toBe('0.000');
    expect(formatNumber(-1e-12, 2)).toBe('0.00');
    expect(formatNumber(1e-7, 2)).toBe('0.00');
    expect(formatNumber(1e21, 0)).toBe('1000000000000000000000');
    // Beyond 1e21 a double is an integer: its exact digits, where toFixed would write '2.5e+22'.
    expect(formatNumber(-2.5e22, 0)).toBe(BigInt(-2.5e22).toString());
    expect(formatNumber(-2.5e22, 0)).toMatch(/^-\d{23}$/);
    expect(formatNumber(123456789012345680, 2)).toBe('123456789012345680.00');
  });

  it('agrees with toFixed away from rounding ties, for any magnitude and up to 20 decimals', () => {
    // Prepare
    const rng = createRng(8);
    const differences: string[] = [];
    // Act
    for (let i = 0; i < 20_000; i++) {
      const decimals = rng.int(21);
      const x = (rng.next() - 0.5) * 10 ** (rng.int(30) - 10);
      const scaled = Math.abs(x) * 10 ** decimals;
      // Within a hair of a tie the two roundings may differ; both are right to the digits shown.
      if (Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-6 * Math.max(1, scaled)) continue;
      const fixed = x.toFixed(decimals);
      const expected = /^-0\.?0*$/.test(fixed) ? fixed.slice(1) : fixed;
      if (Math.abs(x) < 1e21 && formatNumber(x, decimals) !== expected)
        differences.push(`${x} ${decimals}: ${formatNumber(x, decimals)} vs ${expected}`);
    }
    // Assess
    expect(differences).toEqual([]);
  });
});

describe('dateFormatter', () => {
  const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
  const two = (n: number) => String(n).padStart(2, '0');

  it('writes the same calendar fields as Date, before and after 1970 and across leap days', () => {
    // Prepare
    const write = dateFormatter('YYYY-MM-DD HH:mm:ss.SSS [on] MMM D, YY h A');
    const rng = createRng(2);
    const wrong: string[] = [];
    // Act: instants from 1700 to 2240, and the leap day edges.
    const instants = [
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(1900, 2, 1),
      Date.UTC(1969, 11, 31, 12),
    ];
    for (let i = 0; i < 20_000; i++) instants.push(Math.round((rng.next() - 0.5) * 1.7e13));
    for (const ms of instants) {
      const d = new Date(ms);
      const hour = d.getUTCHours();
      const expected =
        `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
        `${two(hour)}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}` +
        ` on ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${two(d.getUTCFullYear() % 100)} ${hour % 12 || 12} ${hour < 12 ? 'AM' : 'PM'}`;
      if (write(ms) !== expected) wrong.push(`${ms}: ${write(ms)} vs ${expected}`);
    }
    // Assess
    expect(wrong).toEqual([]);
  });

  it('writes years before 0 and after 9999 as Date would', () => {
    expect(dateFormatter('YYYY-MM-DD')(Date.UTC(12345, 0, 2))).toBe('12345-01-02');
    expect(dateFormatter('YYYY-MM-DD')(Number.NaN)).toBe('0NaN-NaN-NaN');
  });
});
