import { describe, expect, it } from 'vitest';
import { SemanticType } from '../../src/contracts.ts';
import { BadInputError } from '../../src/errors.ts';
import { PII_WIDTH } from '../../src/pipeline/plan-run.ts';
import { dateParser } from '../../src/synth/datetime.ts';
import { createPiiGenerator, fakeValue } from '../../src/synth/pii.ts';

const draw = (semantic: string, n: number, format?: string): string[] => {
  const next = createPiiGenerator(semantic, 42, format);
  return Array.from({ length: n }, () => next());
};

const luhnValid = (digits: string): boolean => {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = Number(digits[i]);
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
};

describe('fake PII', () => {
  it('draws values no wider on average than the shard planner assumes for their type', () => {
    for (const [semantic, width] of Object.entries(PII_WIDTH)) {
      const values = draw(semantic, 2000);
      const mean = values.reduce((sum, v) => sum + v.length, 0) / values.length;
      expect(mean, semantic).toBeLessThanOrEqual(width);
    }
  });

  it('has a generator for every semantic type, drawing varied values', () => {
    for (const semantic of SemanticType.options) {
      const values = draw(semantic, 200);
      expect(
        values.every((v) => v.length > 0),
        semantic,
      ).toBe(true);
      expect(new Set(values).size, semantic).toBeGreaterThan(150);
    }
  });

  it('is deterministic per seed', () => {
    // Act / Assess
    expect(fakeValue('email', 7)).toBe(fakeValue('email', 7));
    expect(draw('person_name', 50)).toEqual(draw('person_name', 50));
    const many = new Set(Array.from({ length: 100 }, (_, i) => fakeValue('ssn', i, '###-##-####')));
    expect(many.size).toBeGreaterThan(95);
  });

  it('writes names as first and last name', () => {
    expect(draw('person_name', 500).filter((v) => !/^[\p{L}'’.-]+ [\p{L}'’.-]+$/u.test(v))).toEqual([]);
  });

  it('writes lowercase emails at reserved example domains', () => {
    expect(draw('email', 500).filter((v) => !/^[a-z0-9._]+@example\.(com|net|org)$/.test(v))).toEqual([]);
  });

  it('follows the phone layout hint', () => {
    // Act
    const dotted = draw('phone', 300, '###.###.####');
    const plain = draw('phone', 300);
    // Assess: the layout, and NANP area codes and exchanges that start 2-9.
    expect(dotted.filter((v) => !/^[2-9]\d{2}\.[2-9]\d{2}\.\d{4}$/.test(v))).toEqual([]);
    expect(plain.filter((v) => !/^\([2-9]\d{2}\) [2-9]\d{2}-\d{4}$/.test(v))).toEqual([]);
    expect(
      draw('phone', 50, '+# ###-###-####').every((v) => /^\+1 [2-9]\d{2}-[2-9]\d{2}-\d{4}$/.test(v)),
    ).toBe(true);
  });

  it('draws SSNs in the valid ranges, hyphenated like the seed', () => {
    // Act
    const hyphenated = draw('ssn', 2000, '###-##-####');
    const bare = draw('ssn', 100, '#########');
    // Assess
    const invalid = hyphenated.filter((v) => {
      const m = /^(\d{3})-(\d{2})-(\d{4})$/.exec(v);
      if (m === null) return true;
      const area = Number(m[1]);
      return area === 0 || area === 666 || area >= 900 || m[2] === '00' || m[3] === '0000';
    });
    expect(invalid).toEqual([]);
    expect(bare.every((v) => /^\d{9}$/.test(v))).toBe(true);
  });

  it('draws Luhn-valid card numbers in the seed layout', () => {
    // Act
    const cards = draw('credit_card', 500, '#### #### #### ####');
    const amex = draw('credit_card', 100, '###############');
    // Assess
    expect(
      cards.filter((v) => !/^\d{4} \d{4} \d{4} \d{4}$/.test(v) || !luhnValid(v.replace(/ /g, ''))),
    ).toEqual([]);
    expect(amex.filter((v) => !/^3[47]\d{13}$/.test(v) || !luhnValid(v))).toEqual([]);
  });

  it('draws adult birthdates in the seed date format', () => {
    // Act
    const dates = draw('date_of_birth', 500, 'MM/DD/YYYY');
    // Assess: 18 to 85 years before 2026-01-01.
    const parse = dateParser('MM/DD/YYYY');
    const years = dates.map((v) => (Date.UTC(2026, 0, 1) - (parse(v) ?? Number.NaN)) / (365.25 * 86_400_000));
    expect(dates.every((v) => /^\d{2}\/\d{2}\/\d{4}$/.test(v))).toBe(true);
    expect(Math.min(...years)).toBeGreaterThanOrEqual(18);
    expect(Math.max(...years)).toBeLessThanOrEqual(85.01);
  });

  it('follows postal code and IBAN hints', () => {
    expect(draw('postal_code', 100, '#####-####').every((v) => /^\d{5}-\d{4}$/.test(v))).toBe(true);
    expect(draw('iban', 50, 'DE grouped').every((v) => /^DE\d{2} (\d{4} ){4}\d{2}$/.test(v))).toBe(true);
  });

  it('refuses a semantic type it does not know', () => {
    expect(() => fakeValue('horoscope', 1)).toThrow(BadInputError);
  });
});
