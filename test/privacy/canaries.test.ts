import { describe, expect, it } from 'vitest';
import { checkCanaries, createCanaryWatch, plantCanaries } from '../../src/privacy/canaries.ts';
import { createRng } from '../../src/random.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { fitModel } from '../../src/synth/fit.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import type { Cell, Table } from '../../src/table.ts';
import { customerProfile, handProfile } from '../helpers/customer-profile.ts';
import { shardsOf, split, withoutPii } from './customers-fixture.ts';

const SEED = sampleCustomers(4000, 42);
const PROFILE = customerProfile(SEED);
const [TRAIN, HOLDOUT] = split(SEED, 3000);
const PLANTED = plantCanaries(TRAIN, PROFILE, 9);
const COMPARED = ['state', 'tier', 'signup_date', 'is_active', 'orders', 'total_spend', 'satisfaction'];

const column = (table: Table, name: string): Cell[] => {
  const j = table.columns.indexOf(name);
  return table.rows.map((row) => row[j] ?? null);
};
const key = (table: Table, row: Cell[]) => COMPARED.map((c) => row[table.columns.indexOf(c)]).join('|');

const check = (synthetic: Table) =>
  checkCanaries({
    profile: PROFILE,
    canaries: PLANTED.canaries,
    train: withoutPii(TRAIN),
    holdout: withoutPii(HOLDOUT),
    synthetic,
    seed: 1,
  });

describe('plantCanaries', () => {
  it('appends a few rows unlike any real row to the train sample', () => {
    // Assess
    expect(PLANTED.canaries.rows).toHaveLength(5);
    expect(PLANTED.train.rows).toHaveLength(TRAIN.rows.length + 5);
    expect(PLANTED.train.rows.slice(-5)).toEqual(PLANTED.canaries.rows);
    const real = new Set(TRAIN.rows.map((row) => key(TRAIN, row)));
    const planted = PLANTED.canaries.rows.map((row) => key(PLANTED.canaries, row));
    expect(planted.filter((k) => real.has(k))).toEqual([]);
    expect(new Set(planted).size).toBe(5);
  });

  it("makes up identifying values in the seed values' shape, never a seed value", () => {
    // Prepare
    const seedValues = new Set([
      ...column(TRAIN, 'email'),
      ...column(TRAIN, 'ssn'),
      ...column(TRAIN, 'customer_id'),
    ]);

    // Assess
    for (const email of column(PLANTED.canaries, 'email')) expect(email).toMatch(/^[^@\s]+@[a-z.]+$/);
    for (const ssn of column(PLANTED.canaries, 'ssn')) expect(ssn).toMatch(/^[1-6]\d{2}-\d{2}-\d{4}$/);
    for (const id of column(PLANTED.canaries, 'customer_id')) expect(id).toMatch(/^CUS-\d{6}$/);
    for (const name of ['email', 'ssn', 'customer_id'])
      for (const value of column(PLANTED.canaries, name)) expect(seedValues.has(value)).toBe(false);
  });

  it('puts one wide-ranging number a little past the seed maximum, and keeps short scales in range', () => {
    // Prepare
    const max = (t: Table, name: string) => Math.max(...column(t, name).map(Number).filter(Number.isFinite));

    // Assess
    const pushed = PLANTED.canaries.rows.filter(
      (row) =>
        Number(row[PLANTED.canaries.columns.indexOf('orders')]) > max(TRAIN, 'orders') ||
        Number(row[PLANTED.canaries.columns.indexOf('total_spend')]) > max(TRAIN, 'total_spend'),
    );
    expect(pushed).toHaveLength(5);
    expect(max(PLANTED.canaries, 'total_spend')).toBeLessThan(max(TRAIN, 'total_spend') * 1.1);
    expect(max(PLANTED.canaries, 'satisfaction')).toBeLessThanOrEqual(5);
  });

  it('keeps the relations every real row obeys, so the model loses no constraint', () => {
    // Prepare: start ≤ end always, and the city fixes the state.
    const rng = createRng(3);
    const cities = ['Austin', 'Dallas', 'Houston', 'Miami', 'Tampa', 'Orlando'];
    const rows: Cell[][] = Array.from({ length: 600 }, () => {
      const c = rng.int(cities.length);
      const start = rng.int(1000);
      return [cities[c]!, c < 3 ? 'TX' : 'FL', String(start), String(start + rng.int(500))];
    });
    const table: Table = { columns: ['city', 'state', 'start', 'end'], rows };
    const profile = handProfile('t.csv', table, {
      city: { kind: 'categorical' },
      state: { kind: 'categorical' },
      start: { kind: 'integer' },
      end: { kind: 'integer' },
    });

    // Act
    const { canaries } = plantCanaries(table, profile, 4, 20);

    // Assess
    expect(canaries.rows).toHaveLength(20);
    for (const [city, state, start, end] of canaries.rows) {
      expect(state).toBe(cities.indexOf(city!) < 3 ? 'TX' : 'FL');
      expect(Number(start)).toBeLessThanOrEqual(Number(end));
    }
  });

  it('keeps a total the sum of its parts, so the model keeps that constraint too (birdstrikes costs)', () => {
    // Prepare: total = repair + other in every row, mostly zeros, as in vega's birdstrikes
    const rng = createRng(5);
    const rows: Cell[][] = Array.from({ length: 800 }, () => {
      const repair = rng.next() < 0.3 ? rng.int(90_000) : 0;
      const other = rng.next() < 0.2 ? rng.int(20_000) : 0;
      return [String(repair), String(other), String(repair + other), String(rng.int(300))];
    });
    const table: Table = { columns: ['repair', 'other', 'total', 'speed'], rows };
    const profile = handProfile('t.csv', table, {
      repair: { kind: 'integer' },
      other: { kind: 'integer' },
      total: { kind: 'integer' },
      speed: { kind: 'integer' },
    });

    // Act
    const planted = plantCanaries(table, profile, 4, 20);
    const model = fitModel(profile, planted.train, { seed: 4, rareCategoryMin: 5 });

    // Assess
    expect(planted.canaries.rows).toHaveLength(20);
    for (const [repair, other, total] of planted.canaries.rows) {
      expect(Number(total)).toBe(Number(repair) + Number(other));
    }
    expect(model.constraints).toContainEqual({ type: 'sum', total: 'total', parts: ['repair', 'other'] });
  });

  it('plants the same canaries for the same seed, and others for another', () => {
    // Act + Assess
    expect(plantCanaries(TRAIN, PROFILE, 9)).toEqual(PLANTED);
    expect(plantCanaries(TRAIN, PROFILE, 10).canaries).not.toEqual(PLANTED.canaries);
  });
});

describe('checkCanaries', () => {
  it('passes an honest copula fitted on train plus canaries: it never replays them', () => {
    // Prepare
    const model = fitModel(PROFILE, PLANTED.train, { seed: 3, rareCategoryMin: 5 });

    // Act
    const result = check(sampleShard(model, { rows: 5000, seed: 3, shard: 0 }));

    // Assess
    expect(result.verdict).toBe('pass');
    expect(result.figure).toBe(0);
    expect(result.detail).toMatch(/No canary reappears exactly/);
  });

  it('fails a generator that replays its training rows, canaries included', () => {
    // Act
    const result = check(PLANTED.train);

    // Assess
    expect(result.verdict).toBe('fail');
    expect(result.figure).toBe(5);
    expect(result.detail).toMatch(/5 canaries reappear exactly .*far more than chance allows/);
  });

  it('fails an output where a single canary reappears among fresh rows', () => {
    // Prepare
    const fresh = sampleCustomers(3000, 777);
    const leaky: Table = { columns: fresh.columns, rows: [...fresh.rows, PLANTED.canaries.rows[2]!] };

    // Act
    const result = check(leaky);

    // Assess
    expect(result.verdict).toBe('fail');
    expect(result.figure).toBe(1);
  });

  it("fails when only a canary's made-up identifier reappears", () => {
    // Prepare
    const fresh = sampleCustomers(1000, 777);
    const email = fresh.columns.indexOf('email');
    const canaryEmail = PLANTED.canaries.rows[0]![PLANTED.canaries.columns.indexOf('email')]!;
    const leaky: Table = {
      columns: fresh.columns,
      rows: fresh.rows.map((row, r) => (r === 10 ? row.map((c, j) => (j === email ? canaryEmail : c)) : row)),
    };

    // Act
    const result = check(leaky);

    // Assess
    expect(result.verdict).toBe('fail');
    expect(result.detail).toMatch(/1 synthetic cell repeats a canary's made-up identifying value/);
  });

  it('judges a streamed output exactly as the whole table', () => {
    // Prepare
    const watch = createCanaryWatch({
      profile: PROFILE,
      canaries: PLANTED.canaries,
      train: withoutPii(TRAIN),
      holdout: withoutPii(HOLDOUT),
      seed: 1,
    });

    // Act
    for (const shard of shardsOf(PLANTED.train, 700)) watch.add(shard);

    // Assess
    const whole = check(PLANTED.train);
    expect(watch.finish().verdict).toBe(whole.verdict);
    expect(watch.finish().figure).toBe(whole.figure);
  });

  it('is inconclusive when no canaries were planted', () => {
    // Act
    const result = checkCanaries({
      profile: PROFILE,
      canaries: { columns: TRAIN.columns, rows: [] },
      train: withoutPii(TRAIN),
      holdout: withoutPii(HOLDOUT),
      synthetic: PLANTED.train,
      seed: 1,
    });

    // Assess
    expect(result.verdict).toBe('inconclusive');
  });
});
