import { describe, expect, it } from 'vitest';
import { linkabilityCheck } from '../../../src/privacy/attacks/linkability.ts';
import { COPY, HOLDOUT, HONEST, NOISY, PROFILE, TRAIN } from './fixture.ts';

const attack = (synthetic: typeof TRAIN, options: { seed?: number; known?: string[] } = {}) =>
  linkabilityCheck({
    profile: PROFILE,
    train: TRAIN,
    holdout: HOLDOUT,
    synthetic,
    seed: options.seed ?? 7,
    ...(options.known === undefined ? {} : { known: options.known }),
  });

describe('linkabilityCheck', () => {
  it('finds no risk when the output is an independent draw from the same population', () => {
    // Act
    const check = attack(HONEST);

    // Assess
    expect(check.verdict).toBe('pass');
    expect(check.interval![0]).toBeLessThanOrEqual(0);
    expect(check.interval![1]).toBeGreaterThanOrEqual(0);
  });

  it('fails an output that copies training rows, exactly or with small noise', () => {
    // Act
    const copied = attack(COPY);
    const noisy = attack(NOISY);

    // Assess
    for (const check of [copied, noisy]) {
      expect(check.verdict).toBe('fail');
      expect(check.figure).toBeGreaterThan(0.3);
    }
  });

  it('links on the columns the intruder is said to hold', () => {
    // Act
    const check = attack(COPY, { known: ['state', 'tier', 'signup_date'] });

    // Assess
    expect(check.detail).toMatch(/holding state, tier and signup_date of 500 people from one source/);
    expect(check.verdict).toBe('fail');
  });

  it('is inconclusive when the columns cannot be split in two', () => {
    // Act
    const check = attack(COPY, { known: [] });

    // Assess
    expect(check.verdict).toBe('inconclusive');
    expect(check.detail).toMatch(/at least two non-personal columns/);
  });

  it('gives the same figures for the same seed', () => {
    // Act + Assess
    expect(attack(HONEST, { seed: 5 })).toEqual(attack(HONEST, { seed: 5 }));
  });
});
