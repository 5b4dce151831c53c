import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { fitModel } from '../../src/synth/fit.ts';
import type { Marginal, ModelArtifact } from '../../src/synth/model.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { cholesky, repairCorrelation } from '../../src/synth/stats.ts';
import type { Table } from '../../src/table.ts';
import { customerProfile, handProfile } from '../helpers/customer-profile.ts';
import { vegaRecords } from '../helpers/vega.ts';

const seed = sampleCustomers(2000, 1);
const profile = customerProfile(seed);
const model = fitModel(profile, seed, { seed: 7, rareCategoryMin: 5 });

const marginalOf = (m: ModelArtifact, name: string): Marginal => {
  const column = m.columns.find((c) => c.name === name);
  if (column === undefined) throw new Error(`no column ${name}`);
  return column.marginal;
};

const column = (table: Table, name: string): (string | null)[] => {
  const at = table.columns.indexOf(name);
  return table.rows.map((r) => r[at] ?? null);
};

describe('fitModel', () => {
  it('gives each column kind its marginal and PII columns a generation spec', () => {
    // Prepare / Act: fitted above.
    // Assess
    const types = Object.fromEntries(model.columns.map((c) => [c.name, c.marginal.type]));
    expect(types).toEqual({
      customer_id: 'id',
      full_name: 'pii',
      email: 'pii',
      phone: 'pii',
      ssn: 'pii',
      street_address: 'pii',
      date_of_birth: 'pii',
      state: 'categorical',
      tier: 'categorical',
      signup_date: 'datetime',
      is_active: 'boolean',
      orders: 'numeric',
      total_spend: 'numeric',
      satisfaction: 'numeric',
    });
    expect(marginalOf(model, 'customer_id')).toEqual({ type: 'id', pattern: 'CUS-######' });
    expect(marginalOf(model, 'phone')).toMatchObject({ semantic: 'phone', format: '(###) ###-####' });
    expect(marginalOf(model, 'ssn')).toMatchObject({ semantic: 'ssn', format: '###-##-####' });
    expect(marginalOf(model, 'date_of_birth')).toMatchObject({
      semantic: 'date_of_birth',
      format: 'YYYY-MM-DD',
    });
    expect(marginalOf(model, 'is_active')).toMatchObject({ labels: ['false', 'true'] });
    expect(marginalOf(model, 'total_spend')).toMatchObject({ integer: false, decimals: 2 });
    // Satisfaction is a 1..5 scale: every level but the rare 1 (under 5% of rows) is a point mass.
    const satisfaction = marginalOf(model, 'satisfaction');
    expect(satisfaction.type === 'numeric' && satisfaction.pointMasses.map((p) => p.value)).toEqual([
      2, 3, 4, 5,
    ]);
    // Copula members: the numeric, date, categorical and boolean columns, not PII or ids.
    expect(model.copula.members.map((i) => model.columns[i]?.name)).toEqual([
      'state',
      'tier',
      'signup_date',
      'is_active',
      'orders',
      'total_spend',
      'satisfaction',
    ]);
  });

  it('takes null rates from the train sample', () => {
    // Assess
    const rate = (name: string) => model.columns.find((c) => c.name === name)?.nullRate;
    const trainRate = (name: string) =>
      column(seed, name).filter((v) => v === null).length / seed.rows.length;
    for (const name of ['phone', 'total_spend', 'satisfaction', 'orders'])
      expect(rate(name)).toBeCloseTo(trainRate(name), 10);
    expect(rate('satisfaction')).toBeGreaterThan(0.1);
  });

  it('keeps no seed identifier in model.json', () => {
    // Act
    const json = JSON.stringify(model);
    // Assess: no PII value, no id, no date of birth, no exact spend figure of a single customer.
    const leaked = ['customer_id', 'full_name', 'email', 'phone', 'ssn', 'street_address', 'date_of_birth']
      .flatMap((name) => column(seed, name))
      .filter((v): v is string => v !== null && json.includes(v));
    expect(leaked).toEqual([]);
  });

  it('suppresses a rare category and counts it', () => {
    // Prepare: two customers in Alaska, rarer than the policy's minimum of 5.
    const rows = seed.rows.map((r, i) => (i === 10 || i === 20 ? r.map((c, j) => (j === 7 ? 'AK' : c)) : r));
    const table = { columns: seed.columns, rows };
    // Act
    const fitted = fitModel(customerProfile(table), table, { seed: 7, rareCategoryMin: 5 });
    // Assess
    const state = marginalOf(fitted, 'state');
    expect(state.type).toBe('categorical');
    if (state.type !== 'categorical') return;
    expect(state.categories).not.toContain('AK');
    expect(state.suppressed).toBe(1);
    expect(state.probs.reduce((a, p) => a + p, 0)).toBeCloseTo(1, 10);
    expect(JSON.stringify(fitted)).not.toContain('"AK"');
  });

  it('never keeps a category when every one is rare', () => {
    // Prepare: a column of 40 distinct codes, each seen once.
    const table = { columns: ['code'], rows: Array.from({ length: 40 }, (_, i) => [`K${1000 + i}`]) };
    // Act
    const fitted = fitModel(handProfile('codes.csv', table, { code: { kind: 'categorical' } }), table, {
      seed: 1,
      rareCategoryMin: 5,
    });
    const out = sampleShard(fitted, { rows: 2000, seed: 1, shard: 0 });
    // Assess
    const seen = new Set(table.rows.map((r) => r[0] ?? null));
    expect(out.rows.filter((r) => seen.has(r[0] ?? null))).toEqual([]);
    expect(JSON.stringify(fitted)).not.toMatch(/K1\d{3}/);
  });

  it("writes free text from the seed's common words only: car names from makes and common model words", () => {
    // Prepare: the 406 car names of vega's cars table, as a free-text column
    const names = vegaRecords('cars.json').map((r) => String(r.Name));
    const table = { columns: ['name'], rows: names.map((n) => [n]) };
    const rowsWith = (position: 'first' | 'rest') => {
      const counts = new Map<string, number>();
      for (const name of names) {
        const words = name.split(/\s+/).filter((w) => w !== '');
        for (const w of new Set(position === 'first' ? words.slice(0, 1) : words.slice(1)))
          counts.set(w, (counts.get(w) ?? 0) + 1);
      }
      return counts;
    };
    const firstRows = rowsWith('first');
    const restRows = rowsWith('rest');

    // Act
    const fitted = fitModel(handProfile('cars.csv', table, { name: { kind: 'text' } }), table, {
      seed: 3,
      rareCategoryMin: 5,
    });
    const out = sampleShard(fitted, { rows: 2000, seed: 3, shard: 0 });

    // Assess: every first word starts at least 5 seed names, every later word is in at least 5 of them
    const texts = column(out, 'name').filter((t): t is string => t !== null);
    expect(texts.length).toBe(2000);
    const firsts = texts.map((t) => t.split(' ')[0]!);
    expect(firsts.filter((w) => (firstRows.get(w) ?? 0) < 5)).toEqual([]);
    // no word straight after itself ('ford ford')
    expect(texts.filter((t) => t.split(' ').some((w, i, words) => i > 0 && words[i - 1] === w))).toEqual([]);
    expect(texts.flatMap((t) => t.split(' ').slice(1)).filter((w) => (restRows.get(w) ?? 0) < 5)).toEqual([]);
    // the makes lead, as in the seed; a rare word (a model name seen once) never enters model.json
    expect(firsts.filter((w) => w === 'ford').length).toBeGreaterThan(100);
    const once = [...restRows].filter(([, n]) => n === 1).map(([w]) => w);
    expect(once.length).toBeGreaterThan(50);
    const marginal = marginalOf(fitted, 'name');
    expect(marginal.type === 'text' && marginal.words !== undefined).toBe(true);
    if (marginal.type !== 'text' || marginal.words === undefined) return;
    const kept = new Set([...marginal.words.first.words, ...marginal.words.rest.words]);
    expect(once.filter((w) => kept.has(w))).toEqual([]);
    // lengths follow the seed's: the medians within a fifth
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const seedMedian = median(names.map((n) => n.length));
    expect(Math.abs(median(texts.map((t) => t.length)) - seedMedian)).toBeLessThanOrEqual(seedMedian / 5);
  });

  it('drops the columns it is told to', () => {
    // Act
    const fitted = fitModel(profile, seed, { seed: 7, rareCategoryMin: 5, drop: ['ssn', 'email'] });
    // Assess
    expect(fitted.columns.map((c) => c.name)).not.toContain('ssn');
    expect(sampleShard(fitted, { rows: 3, seed: 1, shard: 0 }).columns).not.toContain('email');
  });

  it('repairs a correlation that is not positive definite', () => {
    // Prepare: pairwise-consistent but jointly impossible (a~b, b~c strongly, a~c strongly negative).
    const bad = [
      [1, 0.9, -0.9],
      [0.9, 1, 0.9],
      [-0.9, 0.9, 1],
    ];
    expect(cholesky(bad)).toBeNull();
    // Act
    const fixed = repairCorrelation(bad);
    // Assess: usable, unit diagonal, symmetric, signs kept.
    expect(cholesky(fixed)).not.toBeNull();
    expect(fixed.map((r, i) => r[i])).toEqual([1, 1, 1]);
    expect(fixed[0]?.[2]).toBe(fixed[2]?.[0]);
    expect(Math.sign(fixed[0]?.[1] ?? 0)).toBe(1);
    expect(Math.sign(fixed[0]?.[2] ?? 0)).toBe(-1);
  });

  it('fits a seed with a duplicated column (a singular correlation) and still samples it', () => {
    // Prepare
    const table = {
      columns: [...seed.columns, 'orders_copy'],
      rows: seed.rows.map((r) => [...r, r[11] ?? null]),
    };
    const withCopy = customerProfile(seed);
    const ordersProfile = withCopy.columns.find((c) => c.name === 'orders');
    if (ordersProfile === undefined) throw new Error('no orders');
    withCopy.columns.push({ ...ordersProfile, name: 'orders_copy', index: 14 });
    // Act
    const fitted = fitModel(withCopy, table, { seed: 7, rareCategoryMin: 5 });
    const out = sampleShard(fitted, { rows: 2000, seed: 3, shard: 0 });
    // Assess: positive definite, and the copy still tracks the original.
    expect(cholesky(fitted.copula.correlation)).not.toBeNull();
    const a = column(out, 'orders').map(Number);
    const b = column(out, 'orders_copy').map(Number);
    const close = a.filter((x, i) => Math.abs(x - (b[i] as number)) <= 2).length;
    expect(close / a.length).toBeGreaterThan(0.9);
  });

  it('names the missing column when the train sample does not match the profile', () => {
    // Prepare
    const table = {
      columns: seed.columns.filter((c) => c !== 'tier'),
      rows: seed.rows.map((r) => r.filter((_, i) => i !== 8)),
    };
    // Act / Assess
    expect(() => fitModel(profile, table, { seed: 1, rareCategoryMin: 5 })).toThrow(BadInputError);
    expect(() => fitModel(profile, table, { seed: 1, rareCategoryMin: 5 })).toThrow(/'tier'/);
  });
});

describe('quantile tables', () => {
  it('list far fewer points than values in a small sample, and the full table in a large one', () => {
    // Prepare: 90 and 3,000 distinct measurements.
    const table = (n: number): Table => ({
      columns: ['x'],
      rows: Array.from({ length: n }, (_, i) => [String(100 + i * 0.37 + (i % 7) * 0.01)]),
    });
    const quantilesOf = (n: number): number[] => {
      const t = table(n);
      const fitted = fitModel(handProfile('m.csv', t, { x: { kind: 'float', decimals: 2 } }), t, {
        seed: 1,
        rareCategoryMin: 5,
      });
      const m = fitted.columns[0]?.marginal;
      return m?.type === 'numeric' ? m.quantiles : [];
    };
    // Act
    const small = quantilesOf(90);
    const large = quantilesOf(3000);
    // Assess: each point of the small table stands for about three seed values, not one.
    expect(small.length).toBeLessThanOrEqual(31);
    expect(large).toHaveLength(201);
    expect(small[0]).toBe(100);
  });
});
