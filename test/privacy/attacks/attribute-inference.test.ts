import { describe, expect, it } from 'vitest';
import { attributeInferenceCheck } from '../../../src/privacy/attacks/attribute-inference.ts';
import { COPY, HOLDOUT, HONEST, NOISY, PROFILE, TRAIN } from './fixture.ts';

type Options = { seed?: number; secrets?: string[]; known?: string[] };

const attack = (synthetic: typeof TRAIN, options: Options = {}) =>
  attributeInferenceCheck({
    profile: PROFILE,
    train: TRAIN,
    holdout: HOLDOUT,
    synthetic,
    seed: options.seed ?? 7,
    ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    ...(options.known === undefined ? {} : { known: options.known }),
  });

describe('attributeInferenceCheck', () => {
  it('finds no risk when the output is an independent draw from the same population', () => {
    // Act
    const check = attack(HONEST);

    // Assess
    expect(check.verdict).toBe('pass');
    expect(check.interval![0]).toBeLessThanOrEqual(0);
    expect(check.interval![1]).toBeGreaterThanOrEqual(0);
    // The control shows what the population's shape alone reveals: well above zero.
    expect(check.baseline).toBeGreaterThan(0.2);
  });

  it('fails an output that copies training rows, exactly or with small noise', () => {
    // Act
    const copied = attack(COPY);
    const noisy = attack(NOISY);

    // Assess
    for (const check of [copied, noisy]) {
      expect(check.verdict).toBe('fail');
      expect(check.figure).toBeGreaterThan(0.3);
      expect(check.detail).toMatch(/reveals .* of people whose records trained the model/);
    }
  });

  it('infers a sensitive column from the quasi-identifiers when asked to', () => {
    // Act
    const check = attack(COPY, {
      secrets: ['total_spend'],
      known: ['state', 'tier', 'signup_date', 'orders'],
    });

    // Assess
    expect(check.detail).toMatch(/guessed each of 1 columns/);
    expect(check.detail).toMatch(/most exposed column is total_spend/);
    expect(check.verdict).toBe('fail');
  });

  it('gives the same figures for the same seed', () => {
    // Act + Assess
    expect(attack(HONEST, { seed: 5 })).toEqual(attack(HONEST, { seed: 5 }));
  });
});
