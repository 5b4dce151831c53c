import { describe, expect, it } from 'vitest';
import {
  createRareCombinationWatch,
  proposeQuasiIdentifiers,
  rareCombinationCheck,
} from '../../../src/privacy/attacks/k-anonymity.ts';
import type { Table } from '../../../src/table.ts';
import { handProfile } from '../../helpers/customer-profile.ts';
import { shardsOf } from '../customers-fixture.ts';
import { people, peopleProfile } from './fixture.ts';

const ALL = people(6000, 5);
const TRAIN: Table = { columns: ALL.columns, rows: ALL.rows.slice(0, 3000) };
const HOLDOUT: Table = { columns: ALL.columns, rows: ALL.rows.slice(3000) };
const HONEST = people(3000, 99);
const QUASI = ['zip_code', 'age', 'sex'];

const check = (synthetic: Table, quasiIdentifiers = QUASI) =>
  rareCombinationCheck({ train: TRAIN, holdout: HOLDOUT, synthetic, quasiIdentifiers, seed: 1 });

describe('proposeQuasiIdentifiers', () => {
  it('proposes ZIP, birth, sex, age and place columns by name, and detected postal codes', () => {
    // Prepare
    const table: Table = {
      columns: [
        'zip_code',
        'DateOfBirth',
        'gender',
        'age',
        'home_city',
        'stage',
        'page_views',
        'customer_id',
        'pc',
      ],
      rows: [],
    };
    const profile = handProfile('t.csv', table, {
      zip_code: { kind: 'categorical' },
      DateOfBirth: { kind: 'date' },
      gender: { kind: 'categorical' },
      age: { kind: 'integer' },
      home_city: { kind: 'categorical' },
      stage: { kind: 'categorical' },
      page_views: { kind: 'integer' },
      customer_id: { kind: 'id' },
      pc: { kind: 'text', semantic: 'postal_code' },
    });

    // Act
    const proposed = proposeQuasiIdentifiers(profile);

    // Assess
    expect(proposed).toEqual(['zip_code', 'DateOfBirth', 'gender', 'age', 'home_city', 'pc']);
  });

  it('finds the quasi-identifiers of the people table', () => {
    // Act + Assess
    expect(proposeQuasiIdentifiers(peopleProfile(ALL))).toEqual(QUASI);
  });
});

describe('rareCombinationCheck', () => {
  it('passes an independent draw from the same population, reporting its k', () => {
    // Act
    const result = check(HONEST);

    // Assess
    expect(result.verdict).toBe('pass');
    expect(result.interval![0]).toBeLessThanOrEqual(0);
    expect(result.interval![1]).toBeGreaterThanOrEqual(0);
    expect(result.detail).toMatch(/\(k = 1\)/);
  });

  it('fails an output that replays the training rows holding rare combinations', () => {
    // Prepare: honest rows, then every training row whose combination is unique in train.
    const counts = new Map<string, number>();
    const key = (row: (string | null)[]) => row.slice(0, 3).join('|');
    for (const row of TRAIN.rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
    const unique = TRAIN.rows.filter((row) => counts.get(key(row)) === 1).slice(0, 400);
    const leaky: Table = { columns: ALL.columns, rows: [...HONEST.rows.slice(0, 2600), ...unique] };

    // Act
    const result = check(leaky);

    // Assess
    expect(result.verdict).toBe('fail');
    expect(result.interval![0]).toBeGreaterThan(0.05);
    expect(result.detail).toMatch(/reproduces rare combinations/);
  });

  it('fails an output that is the training rows themselves', () => {
    // Act + Assess
    expect(check(TRAIN).figure).toBeGreaterThan(0.9);
    expect(check(TRAIN).verdict).toBe('fail');
  });

  it('judges a streamed output exactly as the whole table', () => {
    // Prepare
    const watch = createRareCombinationWatch({
      train: TRAIN,
      holdout: HOLDOUT,
      quasiIdentifiers: QUASI,
      seed: 1,
    });

    // Act
    for (const shard of shardsOf(HONEST, 700)) watch.add(shard);

    // Assess
    expect(watch.finish()).toEqual(check(HONEST));
  });

  it('is inconclusive and names what is missing when no quasi-identifier is in the output', () => {
    // Act
    const result = check(HONEST, ['postcode']);

    // Assess
    expect(result.verdict).toBe('inconclusive');
    expect(result.detail).toMatch(/Not checked .*: postcode/);
  });
});
