import { de, en, Faker } from '@faker-js/faker';
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

  it('keeps the family of unique keys: ObjectIds, ULIDs, upper-case and compact UUIDs stay what they were', async () => {
    // Prepare: 1,000 rows of four key columns, each in one family, made by a seeded faker.
    const faker = new Faker({ locale: [en], seed: 11 });
    const families: Record<string, { make: () => string; shape: RegExp }> = {
      object_ref: {
        make: () =>
          (1_560_000_000 + faker.number.int(9_000_000)).toString(16) +
          faker.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' }),
        shape: /^[0-9a-f]{24}$/,
      },
      event_ref: {
        make: () => faker.string.ulid({ refDate: Date.UTC(2021, 0, 1) + faker.number.int(1e10) }),
        shape: /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/,
      },
      guid: {
        make: () => faker.string.uuid().toUpperCase(),
        shape: /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/,
      },
      token: {
        make: () => faker.string.uuid().replaceAll('-', ''),
        shape: /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/,
      },
    };
    const names = Object.keys(families);
    const seedTable: Table = {
      columns: [...names, 'amount'],
      rows: Array.from({ length: 1000 }, (_, i) => [
        ...names.map((n) => families[n]!.make()),
        ((i * 37) % 500).toFixed(2),
      ]),
    };
    const { profile, train } = await profileSource(chunked(toCsv(seedTable), 4096), 'keys.csv', { seed: 1 });
    const model = fitModel(profile, train, { seed: 1, rareCategoryMin: 5 });
    // Act
    const synthetic = sampleShard(model, { rows: 500, seed: 4, shard: 0 });
    const again = await profileSource(chunked(toCsv(synthetic), 4096), 'synthetic.csv', { seed: 1 });
    // Assess: detected as keys, generated in their family, none a seed key, detected as keys again.
    for (const name of names) {
      expect(profile.columns.find((c) => c.name === name)?.semantic?.type, name).toBe('uuid');
      const seedKeys = new Set(column(seedTable, name));
      const keys = column(synthetic, name) as string[];
      expect(
        keys.filter((k) => !families[name]!.shape.test(k)),
        name,
      ).toEqual([]);
      expect(new Set(keys).size, name).toBe(keys.length);
      expect(
        keys.filter((k) => seedKeys.has(k)),
        name,
      ).toEqual([]);
      expect(again.profile.columns.find((c) => c.name === name)?.semantic?.type, name).toBe('uuid');
    }
  });
});
