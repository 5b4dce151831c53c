import { de } from '@faker-js/faker';
import { describe, expect, it } from 'vitest';
import { profileSource } from '../../src/profile/profile-seed.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { fitModel } from '../../src/synth/fit.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { type Table, toCsv } from '../../src/table.ts';
import { chunked } from '../helpers/byte-stream.ts';
import { customerProfile } from '../helpers/customer-profile.ts';

const column = (table: Table, name: string) =>
  table.rows.map((row) => row[table.columns.indexOf(name)] ?? null);

describe('PII generation specs', () => {
  it('draws fake people in the dataset locale', () => {
    // Prepare
    const seed = sampleCustomers(500, 2);
    const model = fitModel(customerProfile(seed), seed, { seed: 1, rareCategoryMin: 5, locale: 'de' });
    const first = de.person?.first_name as { female?: string[]; male?: string[]; generic?: string[] };
    const german = new Set([...(first.female ?? []), ...(first.male ?? []), ...(first.generic ?? [])]);
    // Act
    const names = column(sampleShard(model, { rows: 300, seed: 3, shard: 0 }), 'full_name').filter(
      (n): n is string => n !== null,
    );
    // Assess
    const share = names.filter((n) => german.has(n.split(' ')[0] ?? '')).length / names.length;
    expect(share).toBeGreaterThan(0.9);
    expect(model.columns.find((c) => c.name === 'email')?.marginal).toMatchObject({
      type: 'pii',
      locale: 'de',
    });
  });

  it('repeats fake identities as the seed repeats real ones, never using a seed value', async () => {
    // Prepare: an orders table, 2,000 orders by 200 customers (their emails repeat)
    const customers = sampleCustomers(200, 5);
    const emails = column(customers, 'email') as string[];
    const orders: Table = {
      columns: ['order_id', 'email', 'amount'],
      rows: Array.from({ length: 2000 }, (_, i) => [
        String(500000 + i),
        emails[(i * 7919) % emails.length] ?? null,
        ((i * 37) % 500).toFixed(2),
      ]),
    };
    const { profile, train } = await profileSource(chunked(toCsv(orders), 4096), 'orders.csv', { seed: 1 });
    const model = fitModel(profile, train, { seed: 1, rareCategoryMin: 5 });
    // Act
    const synthetic = column(sampleShard(model, { rows: 2000, seed: 8, shard: 0 }), 'email') as string[];
    // Assess
    const share = new Set(synthetic).size / synthetic.length;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.2);
    expect(synthetic.filter((e) => emails.includes(e))).toEqual([]);
    expect(JSON.stringify(model)).not.toContain(emails[0]!);
  });
});
