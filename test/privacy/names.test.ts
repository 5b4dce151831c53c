/**
 * PII replay for names: a seed name in the output is a leak only when seed names recur more often
 * than unseen people's names recur in the seed (common names do); other identifiers stay at zero.
 */
import { describe, expect, it } from 'vitest';
import { POLICIES } from '../../src/contracts.ts';
import { type Check, createPrivacyGate, nameBaselineOf } from '../../src/privacy/gate.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import type { Table } from '../../src/table.ts';
import { customersProfile, freshPii, mapColumn, piiIndexOf, split, withoutPii } from './customers-fixture.ts';

const SEED = sampleCustomers(4000, 42);
const [TRAIN_FULL, HOLDOUT_FULL] = split(SEED, 2000);
const PROFILE = customersProfile(SEED);
const BASELINE = nameBaselineOf(PROFILE, TRAIN_FULL, HOLDOUT_FULL);
const NAME = SEED.columns.indexOf('full_name');

const replayCheck = (synthetic: Table, withBaseline = true): Check => {
  const gate = createPrivacyGate({
    profile: PROFILE,
    train: withoutPii(TRAIN_FULL),
    holdout: withoutPii(HOLDOUT_FULL),
    piiIndex: piiIndexOf(SEED),
    policy: POLICIES.standard,
    seed: 5,
    ...(withBaseline ? { nameBaseline: BASELINE } : {}),
  });
  gate.add(synthetic);
  return gate.finish().checks.find((c) => c.id === 'pii-replay')!;
};

/** Fresh identifiers, full names taken from other people drawn from the same population of names. */
const otherPeoplesNames = (): Table => {
  const others = sampleCustomers(3000, 999);
  return mapColumn(
    freshPii(sampleCustomers(3000, 777)),
    'full_name',
    (_, r) => others.rows[r]![NAME] ?? null,
  );
};

describe('pii-replay on names', () => {
  it('passes output whose names recur in the seed no more than unseen names do (common names)', () => {
    // Prepare
    const synthetic = otherPeoplesNames();

    // Act
    const check = replayCheck(synthetic);

    // Assess: some names do equal a seed name, as they do for unseen people
    expect(BASELINE.matched).toBeGreaterThan(0);
    expect(check.verdict).toBe('pass');
    expect(check.detail).toMatch(/common names recurring is not a leak/);
  });

  it('fails output that replays training names far beyond that rate', () => {
    // Prepare: one row in ten carries a training person's name
    const synthetic = mapColumn(otherPeoplesNames(), 'full_name', (cell, r) =>
      r % 10 === 0 ? (TRAIN_FULL.rows[r / 10]![NAME] ?? null) : cell,
    );

    // Act
    const check = replayCheck(synthetic);

    // Assess
    expect(check.verdict).toBe('fail');
    expect(check.detail).toMatch(/repeats seed names more than chance does/);
  });

  it('holds names to zero tolerance when no baseline is known, and emails always', () => {
    // Prepare: common names, plus one replayed seed email
    const synthetic = otherPeoplesNames();
    const email = SEED.columns.indexOf('email');
    synthetic.rows[3]![email] = TRAIN_FULL.rows[11]![email]!;

    // Act
    const withBaseline = replayCheck(synthetic);
    const without = replayCheck(otherPeoplesNames(), false);

    // Assess
    expect(withBaseline).toMatchObject({ verdict: 'fail', figure: 1 });
    expect(withBaseline.detail).toContain('email (1)');
    expect(without.verdict).toBe('fail');
  });
});
