import { describe, expect, it } from 'vitest';
import { POLICIES, type Policy } from '../../src/contracts.ts';
import { type Check, createPrivacyGate, type PrivacyResult } from '../../src/privacy/gate.ts';
import { PiiIndex } from '../../src/privacy/pii-index.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import type { Table } from '../../src/table.ts';
import {
  customersProfile,
  freshPii,
  mapColumn,
  piiIndexOf,
  shardsOf,
  split,
  withoutPii,
} from './customers-fixture.ts';

const SEED = sampleCustomers(4000, 42);
const [TRAIN_FULL, HOLDOUT_FULL] = split(SEED, 2000);
const TRAIN = withoutPii(TRAIN_FULL);
const HOLDOUT = withoutPii(HOLDOUT_FULL);
const PII_INDEX = piiIndexOf(SEED);

const gateRun = (
  synthetic: Table,
  options: { train?: Table; holdout?: Table; piiIndex?: PiiIndex; policy?: Policy; shardSize?: number } = {},
): PrivacyResult => {
  const gate = createPrivacyGate({
    profile: customersProfile(SEED),
    train: options.train ?? TRAIN,
    holdout: options.holdout ?? HOLDOUT,
    piiIndex: options.piiIndex ?? PII_INDEX,
    policy: options.policy ?? POLICIES.default,
    seed: 1234,
  });
  for (const shard of shardsOf(synthetic, options.shardSize ?? 700)) gate.add(shard);
  return gate.finish();
};

const check = (result: PrivacyResult, id: string): Check => {
  const found = result.checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no check ${id}`);
  return found;
};

/** Fresh draws from the seed's distribution, identifying values made up: what a good model emits. */
const FRESH = freshPii(sampleCustomers(3000, 777));

/** FRESH with its first 900 rows (30%) taken from train rows, numbers and spacing re-written. */
const COPYING = TRAIN.columns.reduce(
  (table, name, j) =>
    mapColumn(table, name, (cell, r) => {
      if (r >= 900) return cell;
      const value = TRAIN.rows[r]![j] ?? null;
      if (value === null) return null;
      if (name === 'total_spend') return String(Number(value)); // '12.50' → '12.5'
      if (name === 'state') return ` ${value} `;
      return value;
    }),
  FRESH,
);

describe('privacy gate: pii-replay', () => {
  it('passes when no synthetic cell is a seed identifying value', () => {
    // Act
    const result = gateRun(FRESH);

    // Assess
    expect(check(result, 'pii-replay')).toMatchObject({ verdict: 'pass', figure: 0, threshold: 0 });
    expect(result.verdict).toBe('pass');
    expect(result.syntheticRows).toBe(3000);
  });

  it('fails when one synthetic email equals a seed email, naming the column but not the value', () => {
    // Prepare: row 17 of the output carries a seed customer's email, differently cased
    const emailAt = SEED.columns.indexOf('email');
    const seedEmail = SEED.rows[3]![emailAt]!;
    const leaky = mapColumn(FRESH, 'email', (cell, r) => (r === 17 ? seedEmail.toUpperCase() : cell));

    // Act
    const result = gateRun(leaky);

    // Assess
    const replay = check(result, 'pii-replay');
    expect(replay.verdict).toBe('fail');
    expect(replay.figure).toBe(1);
    expect(replay.detail).toContain('email (1)');
    expect(replay.detail.toLowerCase()).not.toContain(seedEmail);
    expect(result.verdict).toBe('fail');
  });

  it('finds seed values in any column, not only the PII ones', () => {
    // Prepare: a seed phone number turns up in the state column
    const seedPhone = SEED.rows.find((row) => row[3] !== null)![3]!;
    const leaky = mapColumn(FRESH, 'state', (cell, r) => (r === 5 || r === 2500 ? seedPhone : cell));

    // Act
    const replay = check(gateRun(leaky), 'pii-replay');

    // Assess
    expect(replay).toMatchObject({ verdict: 'fail', figure: 2 });
    expect(replay.detail).toContain('state (2)');
  });

  it('is inconclusive, not passed, when the seed had more identifying values than the index kept', () => {
    // Prepare
    const truncated = piiIndexOf(SEED, undefined, new PiiIndex('salt', 100));

    // Act
    const result = gateRun(FRESH, { piiIndex: truncated });

    // Assess
    expect(check(result, 'pii-replay').verdict).toBe('inconclusive');
    expect(check(result, 'pii-replay').detail).toMatch(/not checked/);
    expect(result.verdict).toBe('pass');
  });
});

describe('privacy gate: exact-copies', () => {
  it('passes for fresh rows, whose copy rate matches that of real unseen rows', () => {
    // Act
    const copies = check(gateRun(FRESH), 'exact-copies');

    // Assess
    expect(copies.verdict).toBe('pass');
    expect(copies.figure).toBeLessThan(0.01);
    expect(copies.baseline).toBeDefined();
    expect(copies.threshold).toBeCloseTo(copies.baseline! + POLICIES.default.exactCopyExcess, 10);
    expect(copies.interval![0]).toBeLessThanOrEqual(copies.figure);
    expect(copies.interval![1]).toBeGreaterThanOrEqual(copies.figure);
  });

  it('fails when 30% of synthetic rows are train rows, even re-formatted', () => {
    // Act
    const copies = check(gateRun(COPYING), 'exact-copies');

    // Assess
    expect(copies.verdict).toBe('fail');
    expect(copies.figure).toBeGreaterThanOrEqual(0.3);
    expect(copies.figure).toBeLessThan(0.31);
    expect(copies.interval![0]).toBeGreaterThan(0.28);
    expect(copies.detail).toMatch(/repeat a row of the training sample/);
  });
});

describe('privacy gate: streaming', () => {
  it('reaches the same result however the output is sharded', () => {
    // Act
    const { timings: _wholeTimings, ...whole } = gateRun(COPYING, { shardSize: 3000 });
    const { timings: _piecesTimings, ...pieces } = gateRun(COPYING, { shardSize: 97 });

    // Assess
    expect(pieces).toEqual(whole);
  });
});

describe('privacy gate: closeness', () => {
  /** The two median distances the check's detail states: unseen real rows', then synthetic rows'. */
  const medians = (detail: string): [number, number] => {
    const m = detail.match(
      /closest training row is ([\d.]+|below 0\.0001), from a synthetic row ([\d.]+|below 0\.0001)/,
    );
    if (m === null) throw new Error(`no distances in: ${detail}`);
    const value = (text: string) => (text.startsWith('below') ? 0 : Number(text));
    return [value(m[1]!), value(m[2]!)];
  };

  it('states how far apart real rows lie, and how far synthetic rows lie from them: alike for fresh draws', () => {
    // Act
    const closeness = check(gateRun(FRESH), 'closeness');

    // Assess
    const [spacing, synthetic] = medians(closeness.detail);
    expect(closeness.verdict).toBe('pass');
    expect(spacing).toBeGreaterThan(0);
    expect(spacing).toBeLessThan(1);
    expect(synthetic / spacing).toBeGreaterThan(0.7);
    expect(synthetic / spacing).toBeLessThan(1.4);
  });

  it('shows copies moved by a cent far nearer the training rows than real rows lie to each other', () => {
    // Prepare: every output row a train row with a cent added to the spend
    const spend = SEED.columns.indexOf('total_spend');
    const nudged: Table = {
      columns: SEED.columns,
      rows: TRAIN_FULL.rows.map((row) => {
        const out = [...row];
        out[spend] = row[spend] == null ? null : (Number(row[spend]) + 0.01).toFixed(2);
        return out;
      }),
    };

    // Act
    const closeness = check(gateRun(freshPii(nudged)), 'closeness');

    // Assess
    const [spacing, synthetic] = medians(closeness.detail);
    expect(synthetic).toBeLessThan(spacing / 10);
    expect(closeness.verdict).toBe('fail');
  });
});

describe('privacy gate: dcr-share', () => {
  it('is about one half and passes when synthetic rows are fresh draws from the seed distribution', () => {
    // Act
    const dcr = check(gateRun(FRESH), 'dcr-share');

    // Assess
    expect(dcr.verdict).toBe('pass');
    expect(dcr.figure).toBeGreaterThan(0.44);
    expect(dcr.figure).toBeLessThan(0.56);
    expect(dcr.interval![0]).toBeLessThan(0.5);
    expect(dcr.interval![1]).toBeGreaterThan(0.5);
    expect(dcr.threshold).toBe(POLICIES.default.dcrShareMax);
  });

  it('fails when synthetic rows are train rows with tiny noise', () => {
    // Prepare: every output row is a train row with a cent added to the spend (no exact copy)
    const noisy: Table = {
      columns: SEED.columns,
      rows: TRAIN_FULL.rows.map((row) => {
        const out = [...row];
        const spend = row[SEED.columns.indexOf('total_spend')];
        out[SEED.columns.indexOf('total_spend')] = spend === null ? null : (Number(spend) + 0.01).toFixed(2);
        return out;
      }),
    };

    // Act
    const result = gateRun(freshPii(noisy));

    // Assess
    const dcr = check(result, 'dcr-share');
    expect(dcr.verdict).toBe('fail');
    expect(dcr.figure).toBeGreaterThan(0.9);
    expect(dcr.detail).toMatch(/unusually close/);
    expect(result.verdict).toBe('fail');
  });

  it('is inconclusive, and does not fail the run, when the holdout has fewer than 20 rows', () => {
    // Prepare
    const tiny = { columns: HOLDOUT.columns, rows: HOLDOUT.rows.slice(0, 12) };

    // Act
    const result = gateRun(FRESH, { holdout: tiny });

    // Assess
    const dcr = check(result, 'dcr-share');
    expect(dcr.verdict).toBe('inconclusive');
    expect(dcr.detail).toContain('only 12 rows');
    expect(result.verdict).toBe('pass');
  });

  it('uses a stricter policy threshold when given one', () => {
    // Prepare: output drawn half from train rows with noise, half fresh
    const half: Table = {
      columns: SEED.columns,
      rows: [...TRAIN_FULL.rows.slice(0, 1000), ...FRESH.rows.slice(0, 1000)],
    };
    const shifted = mapColumn(freshPii(half), 'total_spend', (cell) =>
      cell === null ? null : (Number(cell) + 0.01).toFixed(2),
    );

    // Act
    const lenient = check(
      gateRun(shifted, { policy: { ...POLICIES.default, dcrShareMax: 0.9 } }),
      'dcr-share',
    );
    const strict = check(gateRun(shifted, { policy: POLICIES.strict }), 'dcr-share');

    // Assess
    expect(lenient.figure).toBeGreaterThan(0.6);
    expect(lenient.verdict).toBe('pass');
    expect(strict.verdict).toBe('fail');
  });

  it('calls a figure just over the threshold inconclusive, not a pass, when its interval reaches below', () => {
    // Prepare: measure the figure of a half-leaky output, then put the threshold just under it
    const half: Table = {
      columns: SEED.columns,
      rows: [...TRAIN_FULL.rows.slice(0, 1000), ...FRESH.rows.slice(0, 1000)],
    };
    const shifted = mapColumn(freshPii(half), 'total_spend', (cell) =>
      cell === null ? null : (Number(cell) + 0.01).toFixed(2),
    );
    const measured = check(
      gateRun(shifted, { policy: { ...POLICIES.default, dcrShareMax: 0.99 } }),
      'dcr-share',
    );

    // Act
    const near = check(
      gateRun(shifted, { policy: { ...POLICIES.default, dcrShareMax: measured.figure - 0.005 } }),
      'dcr-share',
    );

    // Assess
    expect(near.figure).toBeGreaterThan(near.threshold);
    expect(near.interval![0]).toBeLessThan(near.threshold);
    expect(near.verdict).toBe('inconclusive');
    expect(near.detail).toMatch(/too few rows to tell/);
  });
});
