import { describe, expect, it } from 'vitest';
import { createFidelity, type Fidelity, type FidelityColumn } from '../../src/quality/fidelity.ts';
import { createRng } from '../../src/random.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import type { Table } from '../../src/table.ts';
import { customersProfile, mapColumn, shardsOf, withoutPii } from '../privacy/customers-fixture.ts';

const SEED = sampleCustomers(2000, 42);
const REAL = withoutPii(SEED);
const SAME = sampleCustomers(3000, 99);

const score = (synthetic: Table, real = REAL, rareCategoryMin?: number): Fidelity => {
  const fidelity = createFidelity({ profile: customersProfile(SEED), real, seed: 5, rareCategoryMin });
  for (const shard of shardsOf(synthetic, 800)) fidelity.add(shard);
  return fidelity.finish();
};

const column = (f: Fidelity, name: string): FidelityColumn => {
  const found = f.columns.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no column ${name}`);
  return found;
};

/** Each column shuffled on its own: every marginal kept, every relation between columns broken. */
const shuffled = (table: Table): Table => {
  const rng = createRng(3);
  const rows = table.rows.map((row) => [...row]);
  for (let j = 0; j < table.columns.length; j++) {
    for (let i = rows.length - 1; i > 0; i--) {
      const k = rng.int(i + 1);
      const t = rows[i]![j]!;
      rows[i]![j] = rows[k]![j]!;
      rows[k]![j] = t;
    }
  }
  return { columns: table.columns, rows };
};

describe('fidelity', () => {
  it('is near 1 for synthetic data drawn from the same distribution', () => {
    // Act
    const f = score(SAME);

    // Assess
    expect(f.overall).toBeGreaterThan(0.93);
    expect(f.columnShapes).toBeGreaterThan(0.93);
    expect(f.columnPairTrends).toBeGreaterThan(0.9);
    for (const c of f.columns) expect(c.score, c.name).toBeGreaterThan(0.9);
    expect(f.syntheticRows).toBe(3000);
  });

  it('scores each column with the SDMetrics metric for its kind and skips PII and id columns', () => {
    // Act
    const f = score(SAME);

    // Assess
    expect(f.columns.map((c) => [c.name, c.metric])).toEqual([
      ['state', 'TVComplement'],
      ['tier', 'TVComplement'],
      ['signup_date', 'KSComplement'],
      ['is_active', 'TVComplement'],
      ['orders', 'KSComplement'],
      ['total_spend', 'KSComplement'],
      ['satisfaction', 'KSComplement'],
    ]);
    expect(f.skipped.map((s) => s.name)).toEqual([
      'customer_id',
      'full_name',
      'email',
      'phone',
      'ssn',
      'street_address',
      'date_of_birth',
    ]);
    expect(f.skipped.find((s) => s.name === 'email')!.reason).toMatch(/personal data/);
    expect(f.pairs).toHaveLength(21);
    const spendOrders = f.pairs.find((p) => p.columns.join() === 'orders,total_spend')!;
    expect(spendOrders.metric).toBe('CorrelationSimilarity');
    expect(spendOrders.real).toBeGreaterThan(0.8);
    expect(f.pairs.find((p) => p.columns.join() === 'state,tier')!.metric).toBe('ContingencySimilarity');
  });

  it('keeps column shapes but drops pair trends when columns are shuffled independently', () => {
    // Act
    const same = score(SAME);
    const broken = score(shuffled(SAME));

    // Assess
    expect(broken.columnShapes).toBeCloseTo(same.columnShapes!, 1);
    expect(broken.columnPairTrends!).toBeLessThan(same.columnPairTrends! - 0.05);
    const spendOrders = broken.pairs.find((p) => p.columns.join() === 'orders,total_spend')!;
    expect(spendOrders.score).toBeLessThan(0.6);
  });

  it('scores garbage columns near 0 and pulls the overall score down', () => {
    // Prepare: tiers replaced by random words, spend by numbers far out of range
    const rng = createRng(8);
    const garbage = mapColumn(
      mapColumn(SAME, 'tier', () => `word-${rng.int(1_000_000)}`),
      'total_spend',
      (cell) => (cell === null ? null : String(1e9 + rng.int(1000))),
    );

    // Act
    const same = score(SAME);
    const f = score(garbage);

    // Assess
    expect(column(f, 'tier').score).toBeLessThan(0.05);
    expect(column(f, 'total_spend').score).toBeLessThan(0.05);
    expect(f.overall!).toBeLessThan(same.overall! - 0.1);
  });

  it('reports null rates exactly, real against synthetic', () => {
    // Prepare: every satisfaction missing in the output
    const noSatisfaction = mapColumn(SAME, 'satisfaction', () => null);

    // Act
    const satisfaction = column(score(noSatisfaction), 'satisfaction');

    // Assess
    expect(satisfaction.nullRate.real).toBeGreaterThan(0.1);
    expect(satisfaction.nullRate.real).toBeLessThan(0.2);
    expect(satisfaction.nullRate.synthetic).toBe(1);
    expect(satisfaction.score).toBe(0);
  });

  it('gives plot data: shared-bin histograms for numbers and dates, top categories for the rest', () => {
    // Act
    const f = score(SAME);

    // Assess
    const spend = column(f, 'total_spend').plot;
    expect(spend.type).toBe('histogram');
    if (spend.type !== 'histogram') return;
    expect(spend.edges).toHaveLength(21);
    expect(spend.real.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(spend.synthetic.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const signup = column(f, 'signup_date').plot;
    expect(signup.type === 'histogram' && signup.scale).toBe('date');
    const tier = column(f, 'tier').plot;
    expect(tier.type === 'categories' && tier.categories).toEqual(['bronze', 'silver', 'gold', 'platinum']);
  });

  it('does not name in plots real categories too rare for the model to emit', () => {
    // Prepare: one real customer lives in a state nobody else does
    const real = mapColumn(REAL, 'state', (cell, r) => (r === 0 ? 'Lonely Island' : cell));

    // Act
    const shown = column(score(SAME, real, 5), 'state').plot;
    const unfiltered = column(score(SAME, real, 1), 'state').plot;

    // Assess
    expect(shown.type === 'categories' && shown.categories).not.toContain('Lonely Island');
    expect(shown.type === 'categories' && shown.other.real).toBeCloseTo(1 / REAL.rows.length, 6);
    expect(unfiltered.type === 'categories' && unfiltered.categories).toContain('Lonely Island');
  });

  it('is reproducible: the same inputs give the same scores', () => {
    // Act & Assess
    expect(score(SAME)).toEqual(score(SAME));
  });
});
