import { describe, expect, it } from 'vitest';
import { singlingOutCheck } from '../../../src/privacy/attacks/singling-out.ts';
import { COPY, HOLDOUT, HONEST, NOISY, PROFILE, TRAIN } from './fixture.ts';

const attack = (synthetic: typeof TRAIN, seed = 7) =>
  singlingOutCheck({ profile: PROFILE, train: TRAIN, holdout: HOLDOUT, synthetic, seed });

describe('singlingOutCheck', () => {
  it('finds no risk when the output is an independent draw from the same population', () => {
    // Act
    const check = attack(HONEST);

    // Assess
    expect(check.verdict).toBe('pass');
    expect(check.interval![0]).toBeLessThanOrEqual(0);
    expect(check.interval![1]).toBeGreaterThanOrEqual(0);
    expect(Math.abs(check.figure)).toBeLessThan(0.1);
  });

  it('fails an output that copies training rows, exactly or with small noise', () => {
    // Act
    const copied = attack(COPY);
    const noisy = attack(NOISY);

    // Assess
    for (const check of [copied, noisy]) {
      expect(check.verdict).toBe('fail');
      expect(check.interval![0]).toBeGreaterThan(0.2);
      expect(check.detail).toMatch(/single out people whose records trained the model/);
    }
  });

  it('gives the same figures for the same seed', () => {
    // Act
    const a = attack(HONEST, 3);
    const b = attack(HONEST, 3);

    // Assess
    expect(b).toEqual(a);
  });

  it('is inconclusive, not passed, when there is nothing to attack', () => {
    // Act
    const check = attack({ columns: TRAIN.columns, rows: [] });

    // Assess
    expect(check.verdict).toBe('inconclusive');
    expect(check.detail).toMatch(/empty/);
  });
});
