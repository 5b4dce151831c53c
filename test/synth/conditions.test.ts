import { beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { fitModel } from '../../src/synth/fit.ts';
import type { ModelArtifact } from '../../src/synth/model.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { customerProfile } from '../helpers/customer-profile.ts';

describe('conditional sampling (where)', () => {
  let model: ModelArtifact;
  beforeAll(() => {
    const seed = sampleCustomers(2000, 1);
    model = fitModel(customerProfile(seed), seed, { seed: 1, rareCategoryMin: 5 });
  });

  const column = (table: { columns: string[]; rows: (string | null)[][] }, name: string) =>
    table.rows.map((row) => row[table.columns.indexOf(name)] ?? null);

  it('returns exactly the rows asked for, every one meeting every condition', () => {
    // Act
    const table = sampleShard(model, {
      rows: 3000,
      seed: 4,
      shard: 1,
      where: { tier: 'gold', is_active: 'true' },
    });
    // Assess
    expect(table.rows).toHaveLength(3000);
    expect(new Set(column(table, 'tier'))).toEqual(new Set(['gold']));
    expect(new Set(column(table, 'is_active'))).toEqual(new Set(['true']));
  });

  it('keeps the dependence: gold customers order more than the unconditioned average', () => {
    const mean = (values: (string | null)[]) => {
      const xs = values.filter((v): v is string => v !== null).map(Number);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const gold = sampleShard(model, { rows: 2000, seed: 4, shard: 0, where: { tier: 'gold' } });
    const all = sampleShard(model, { rows: 2000, seed: 4, shard: 0 });
    expect(mean(column(gold, 'orders'))).toBeGreaterThan(mean(column(all, 'orders')) * 1.3);
  });

  it('is reproducible and keeps ids unique across conditioned shards', () => {
    const a = sampleShard(model, { rows: 500, seed: 4, shard: 0, where: { state: 'WA' } });
    const b = sampleShard(model, { rows: 500, seed: 4, shard: 0, where: { state: 'WA' } });
    const c = sampleShard(model, { rows: 500, seed: 4, shard: 1, where: { state: 'WA' } });
    expect(a).toEqual(b);
    const ids = [...column(a, 'customer_id'), ...column(c, 'customer_id')];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses, naming the column and why, what the model can never emit', () => {
    const attempt = (where: Record<string, string>) => () =>
      sampleShard(model, { rows: 10, seed: 1, shard: 0, where });
    expect(attempt({ tier: 'diamond' })).toThrow(BadInputError);
    expect(attempt({ tier: 'diamond' })).toThrow(/tier=diamond cannot be met: the model's categories are/);
    expect(attempt({ nope: 'x' })).toThrow(/no column nope/);
    expect(attempt({ total_spend: '12.5' })).toThrow(/continuous column/);
    expect(attempt({ email: 'a@b.c' })).toThrow(/not personal data/);
    expect(attempt({ orders: '100000' })).toThrow(/ranges from/);
  });
});
