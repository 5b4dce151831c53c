import { describe, expect, it } from 'vitest';
import { ksStatistic, pearson, wilson } from '../../src/quality/stats.ts';
import { parseDate, parseNumber } from '../../src/quality/values.ts';

describe('statistics', () => {
  it('gives the textbook Wilson 95% intervals', () => {
    // Act & Assess
    const [lo, hi] = wilson(5, 10);
    expect(lo).toBeCloseTo(0.2366, 4);
    expect(hi).toBeCloseTo(0.7634, 4);
    const [zeroLo, zeroHi] = wilson(0, 10);
    expect(zeroLo).toBe(0);
    expect(zeroHi).toBeCloseTo(0.2775, 4);
  });

  it('measures the largest gap between two empirical distributions', () => {
    // Act & Assess
    expect(ksStatistic(Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 2, 3, 4))).toBe(0);
    expect(ksStatistic(Float64Array.of(1, 2), Float64Array.of(3, 4))).toBe(1);
    expect(ksStatistic(Float64Array.of(1, 2, 3, 4), Float64Array.of(3, 4, 5, 6))).toBe(0.5);
  });

  it('correlates only the rows where both values are present', () => {
    // Act & Assess
    expect(pearson(Float64Array.of(1, 2, 3, Number.NaN), Float64Array.of(2, 4, 6, 100))).toBeCloseTo(1, 10);
    expect(pearson(Float64Array.of(1, 2, 3), Float64Array.of(3, 2, 1))).toBeCloseTo(-1, 10);
    expect(pearson(Float64Array.of(1, 1, 1), Float64Array.of(3, 2, 1))).toBe(0);
  });
});

describe('cell values', () => {
  it('reads dates in the profile format as UTC, whatever the machine time zone', () => {
    // Act & Assess
    expect(parseDate('2024-03-05', 'YYYY-MM-DD')).toBe(Date.UTC(2024, 2, 5));
    expect(parseDate('03/05/2024', 'MM/DD/YYYY')).toBe(Date.UTC(2024, 2, 5));
    expect(parseDate('2024-03-05T10:20:30Z', 'YYYY-MM-DDTHH:mm:ssZ')).toBe(Date.UTC(2024, 2, 5, 10, 20, 30));
    expect(parseDate('not a date', 'YYYY-MM-DD')).toBeNaN();
    expect(parseDate(null)).toBeNaN();
  });

  it('reads numbers with thousands separators and refuses text', () => {
    // Act & Assess
    expect(parseNumber(' 1,234.5 ')).toBe(1234.5);
    expect(parseNumber('n/a')).toBeNaN();
    expect(parseNumber('')).toBeNaN();
  });
});
