import { beforeAll, describe, expect, it } from 'vitest';
import { profileSource } from '../../src/profile/profile-seed.ts';
import { createRng } from '../../src/random.ts';
import { fitModel } from '../../src/synth/fit.ts';
import type { ModelArtifact } from '../../src/synth/model.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { type Cell, type Table, toCsv } from '../../src/table.ts';
import { chunked } from '../helpers/byte-stream.ts';

const CITIES: [string, string][] = [
  ['Austin', 'TX'],
  ['Dallas', 'TX'],
  ['Houston', 'TX'],
  ['Seattle', 'WA'],
  ['Spokane', 'WA'],
  ['Portland', 'OR'],
  ['Eugene', 'OR'],
];

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Orders: a start date, an end date after it; a minimum and maximum price; a city and its state. */
const orders = (rows: number, seed: number): Table => {
  const rng = createRng(seed);
  const out: Cell[][] = [];
  for (let i = 0; i < rows; i++) {
    const start = Date.UTC(2025, 0, 1) + rng.int(300) * 86_400_000;
    const end = start + (1 + rng.int(60)) * 86_400_000;
    const low = 10 + rng.next() * 90;
    const high = low + rng.next() * 50;
    const [city, state] = CITIES[rng.int(CITIES.length)]!;
    out.push([iso(start), iso(end), low.toFixed(2), high.toFixed(2), city, state, String(rng.int(5))]);
  }
  return {
    columns: ['start_date', 'end_date', 'min_price', 'max_price', 'city', 'state', 'items'],
    rows: out,
  };
};

describe('constraints', () => {
  let model: ModelArtifact;
  beforeAll(async () => {
    const seed = orders(2000, 1);
    const { profile, train } = await profileSource(chunked(toCsv(seed), 4096), 'orders.csv', { seed: 1 });
    model = fitModel(profile, train, { seed: 1, rareCategoryMin: 5 });
  });

  it('finds the relations that held in every train row, and no spurious ones', () => {
    expect(model.constraints).toEqual(
      expect.arrayContaining([
        { type: 'order', lo: 'start_date', hi: 'end_date' },
        { type: 'order', lo: 'min_price', hi: 'max_price' },
        expect.objectContaining({ type: 'fixed', determinant: 'city', dependent: 'state' }),
      ]),
    );
    expect(model.constraints).toHaveLength(3);
    const fixed = model.constraints.find((c) => c.type === 'fixed');
    expect(fixed?.type === 'fixed' && fixed.map).toEqual(Object.fromEntries(CITIES));
  });

  it('holds in every sampled row, across shards', () => {
    for (const shard of [0, 1, 2]) {
      const table = sampleShard(model, { rows: 5000, seed: 9, shard });
      const col = (name: string) => table.columns.indexOf(name);
      for (const row of table.rows) {
        const [start, end] = [row[col('start_date')], row[col('end_date')]];
        if (start != null && end != null) expect(start <= end, `${start} ≤ ${end}`).toBe(true);
        const [low, high] = [row[col('min_price')], row[col('max_price')]];
        if (low != null && high != null) expect(Number(low)).toBeLessThanOrEqual(Number(high));
        const city = row[col('city')];
        const state = row[col('state')];
        if (city != null && state != null) expect(state).toBe(Object.fromEntries(CITIES)[city]);
      }
    }
  });

  it('would be broken by the copula alone: enforcing them is what makes every row hold', () => {
    const loose: ModelArtifact = { ...model, constraints: [] };
    const table = sampleShard(loose, { rows: 5000, seed: 9, shard: 0 });
    const c = (name: string) => table.columns.indexOf(name);
    const broken = table.rows.filter(
      (row) =>
        row[c('city')] != null &&
        row[c('state')] != null &&
        Object.fromEntries(CITIES)[row[c('city')]!] !== row[c('state')],
    );
    expect(broken.length).toBeGreaterThan(0);
  });
});

/** Invoices: a total that is its subtotal plus tax (a rate of 0, 5 or 8 %), and a shipping fee beside them. */
const invoices = (rows: number, seed: number): Table => {
  const rng = createRng(seed);
  const out: Cell[][] = [];
  for (let i = 0; i < rows; i++) {
    const subtotal = (20 + rng.next() * 480).toFixed(2);
    const tax = (Number(subtotal) * [0, 0.05, 0.08][rng.int(3)]!).toFixed(2);
    const total = (Number(subtotal) + Number(tax)).toFixed(2);
    out.push([subtotal, tax, (rng.int(3) * 4.99).toFixed(2), total]);
  }
  return { columns: ['subtotal', 'tax', 'shipping', 'total'], rows: out };
};

describe('sum constraints', () => {
  let model: ModelArtifact;
  beforeAll(async () => {
    const seed = invoices(2000, 2);
    const { profile, train } = await profileSource(chunked(toCsv(seed), 4096), 'invoices.csv', { seed: 2 });
    model = fitModel(profile, train, { seed: 2, rareCategoryMin: 5 });
  });

  it('finds a total that is two columns added in every train row, and leaves the orders it implies out', () => {
    expect(model.constraints.filter((c) => c.type === 'sum')).toEqual([
      { type: 'sum', total: 'total', parts: ['subtotal', 'tax'] },
    ]);
    // subtotal ≤ total and tax ≤ total held too, but follow from the sum
    expect(
      model.constraints.filter((c) => c.type === 'order' && (c.lo === 'total' || c.hi === 'total')),
    ).toEqual([]);
  });

  it('computes the total in every sampled row, which the copula alone would not', () => {
    const adds = (table: Table) => {
      const col = (name: string) => table.columns.indexOf(name);
      return table.rows.filter((row) => {
        const [subtotal, tax, total] = [row[col('subtotal')], row[col('tax')], row[col('total')]];
        return Math.abs(Number(subtotal) + Number(tax) - Number(total)) < 0.005;
      }).length;
    };
    const table = sampleShard(model, { rows: 5000, seed: 9, shard: 0 });
    expect(adds(table)).toBe(5000);
    expect(table.rows.every((row) => /^\d+\.\d{2}$/.test(row[3] ?? ''))).toBe(true);
    const loose = sampleShard({ ...model, constraints: [] }, { rows: 5000, seed: 9, shard: 0 });
    expect(adds(loose)).toBeLessThan(500);
  });
});

describe('sums of three parts', () => {
  it('finds a total of subtotal, tax and shipping, and computes it in every sampled row', async () => {
    // Prepare: the invoices with the shipping fee inside the total
    const seed = invoices(2000, 3);
    const rows = seed.rows.map(([subtotal, tax, shipping]) => [
      subtotal!,
      tax!,
      shipping!,
      (Number(subtotal) + Number(tax) + Number(shipping)).toFixed(2),
    ]);
    const table = { columns: seed.columns, rows };
    const { profile, train } = await profileSource(chunked(toCsv(table), 4096), 'invoices.csv', { seed: 3 });

    // Act
    const model = fitModel(profile, train, { seed: 3, rareCategoryMin: 5 });
    const out = sampleShard(model, { rows: 3000, seed: 4, shard: 0 });

    // Assess
    expect(model.constraints.filter((c) => c.type === 'sum')).toEqual([
      { type: 'sum', total: 'total', parts: ['subtotal', 'tax', 'shipping'] },
    ]);
    const off = out.rows.filter(
      ([subtotal, tax, shipping, total]) =>
        Math.abs(Number(subtotal) + Number(tax) + Number(shipping) - Number(total)) >= 0.005,
    );
    expect(off).toEqual([]);
  });
});
