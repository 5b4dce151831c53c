import { describe, expect, it } from 'vitest';
import { PiiIndex } from '../../src/privacy/pii-index.ts';
import { createRng, deriveSeed } from '../../src/random.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { dateParser } from '../../src/synth/datetime.ts';
import { fitModel } from '../../src/synth/fit.ts';
import type { ModelArtifact } from '../../src/synth/model.ts';
import { fakeValue } from '../../src/synth/pii.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { formatNumber } from '../../src/synth/stats.ts';
import { type Table, toCsv } from '../../src/table.ts';
import { customerProfile, handProfile } from '../helpers/customer-profile.ts';

const seed = sampleCustomers(2000, 1);
const model = fitModel(customerProfile(seed), seed, { seed: 7, rareCategoryMin: 5 });
const out = sampleShard(model, { rows: 20_000, seed: 11, shard: 0 });

const column = (table: Table, name: string): (string | null)[] => {
  const at = table.columns.indexOf(name);
  if (at < 0) throw new Error(`no column ${name}`);
  return table.rows.map((r) => r[at] ?? null);
};
const present = (values: (string | null)[]): string[] => values.filter((v): v is string => v !== null);
const nullRate = (values: (string | null)[]): number =>
  values.filter((v) => v === null).length / values.length;
const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;

describe('sampleShard on the customer sample', () => {
  it('writes the model columns in order', () => {
    expect(out.columns).toEqual(seed.columns);
    expect(out.rows).toHaveLength(20_000);
  });

  it('keeps integers integral and floats at the seed decimals, inside the seed range', () => {
    // Assess
    for (const name of ['orders', 'satisfaction']) {
      const values = present(column(out, name));
      expect(values.filter((v) => !/^\d+$/.test(v))).toEqual([]);
      const seen = present(column(seed, name)).map(Number);
      const drawn = values.map(Number);
      expect(Math.min(...drawn)).toBeGreaterThanOrEqual(Math.min(...seen));
      expect(Math.max(...drawn)).toBeLessThanOrEqual(Math.max(...seen));
    }
    expect(present(column(out, 'total_spend')).filter((v) => !/^\d+\.\d\d$/.test(v))).toEqual([]);
    // The 1..5 scale keeps its shape: each level within 3 points of its seed share.
    const share = (values: string[], level: string) =>
      values.filter((v) => v === level).length / values.length;
    const seedLevels = present(column(seed, 'satisfaction'));
    const outLevels = present(column(out, 'satisfaction'));
    for (const level of ['1', '2', '3', '4', '5']) {
      expect(Math.abs(share(outLevels, level) - share(seedLevels, level))).toBeLessThan(0.03);
    }
  });

  it('draws categories only from the seed and booleans with their labels', () => {
    // Assess
    for (const name of ['state', 'tier', 'is_active']) {
      const seen = new Set(present(column(seed, name)));
      expect(new Set(present(column(out, name)))).toEqual(seen);
    }
  });

  it('keeps dates in the seed format and range', () => {
    // Assess
    const parse = dateParser('YYYY-MM-DD');
    const seen = present(column(seed, 'signup_date')).sort();
    const drawn = present(column(out, 'signup_date'));
    expect(drawn.filter((v) => !/^\d{4}-\d{2}-\d{2}$/.test(v) || parse(v) === null)).toEqual([]);
    expect(drawn.every((v) => v >= (seen[0] as string) && v <= (seen[seen.length - 1] as string))).toBe(true);
    expect(new Set(drawn).size).toBeGreaterThan(1000);
  });

  it('keeps null rates within 3 points of the train sample', () => {
    // Assess
    for (const name of seed.columns) {
      expect(Math.abs(nullRate(column(out, name)) - nullRate(column(seed, name))), name).toBeLessThan(0.03);
    }
  });

  it('keeps the dependence between columns: gold and platinum customers order more', () => {
    // Assess
    const ordersBy = (table: Table, tiers: string[]) => {
      const tier = column(table, 'tier');
      return mean(
        column(table, 'orders')
          .map((o, i) => (tiers.includes(tier[i] ?? '') && o !== null ? Number(o) : Number.NaN))
          .filter((x) => !Number.isNaN(x)),
      );
    };
    const high = ordersBy(out, ['gold', 'platinum']);
    const low = ordersBy(out, ['bronze', 'silver']);
    expect(high).toBeGreaterThan(1.5 * low);
    // Within 25% of the seed's own averages.
    expect(Math.abs(high / ordersBy(seed, ['gold', 'platinum']) - 1)).toBeLessThan(0.25);
    expect(Math.abs(low / ordersBy(seed, ['bronze', 'silver']) - 1)).toBeLessThan(0.25);
  });

  it('is a pure function of (model, seed, shard)', () => {
    // Act
    const a = sampleShard(model, { rows: 500, seed: 5, shard: 2 });
    const b = sampleShard(JSON.parse(JSON.stringify(model)) as ModelArtifact, {
      rows: 500,
      seed: 5,
      shard: 2,
    });
    const other = sampleShard(model, { rows: 500, seed: 5, shard: 3 });
    // Assess
    expect(toCsv(a)).toBe(toCsv(b));
    const rowsA = new Set(a.rows.map((r) => r.slice(1).join('|')));
    expect(other.rows.filter((r) => rowsA.has(r.slice(1).join('|')))).toEqual([]);
  });

  it('makes the same dataset whatever order (or in parallel) the shards are generated', () => {
    // Prepare
    const shards = [0, 1, 2, 3];
    // Act: in order, in reverse, interleaved with other work
    const forward = shards.map((shard) => toCsv(sampleShard(model, { rows: 700, seed: 5, shard })));
    const backward = [...shards]
      .reverse()
      .map((shard) => ({ shard, csv: toCsv(sampleShard(model, { rows: 700, seed: 5, shard })) }))
      .sort((a, b) => a.shard - b.shard)
      .map((s) => s.csv);
    sampleShard(model, { rows: 300, seed: 99, shard: 2 });
    const again = toCsv(sampleShard(model, { rows: 700, seed: 5, shard: 2 }));
    // Assess
    expect(backward).toEqual(forward);
    expect(again).toBe(forward[2]);
  });

  it('gives ids that are unique across shards and never a seed id', () => {
    // Act
    const ids = [0, 1, 2, 3].flatMap((shard) =>
      present(column(sampleShard(model, { rows: 5000, seed: 9, shard }), 'customer_id')),
    );
    // Assess
    expect(ids).toHaveLength(20_000);
    expect(new Set(ids).size).toBe(20_000);
    expect(ids.filter((id) => !/^CUS-\d{7,}$/.test(id))).toEqual([]);
    const seedIds = new Set(column(seed, 'customer_id'));
    expect(ids.filter((id) => seedIds.has(id))).toEqual([]);
  });

  it('never copies a seed identifier; chance look-alikes are rare and redrawn away', () => {
    // Prepare
    const drawn = sampleShard(model, { rows: 5000, seed: 21, shard: 0 });
    const columns = ['email', 'phone', 'ssn', 'full_name', 'street_address'];
    const index = new PiiIndex('test-salt');
    for (const name of columns) for (const v of present(column(seed, name))) index.add(v);
    const hits = (table: Table, name: string) => present(column(table, name)).filter((v) => index.has(v));
    // Assess: emails (reserved example domains), phones and SSNs never meet a seed value.
    for (const name of ['email', 'phone', 'ssn']) expect(hits(drawn, name), name).toEqual([]);
    // Names and addresses come from the same pools as any real data, so chance matches happen, rarely.
    for (const name of ['full_name', 'street_address']) expect(hits(drawn, name).length).toBeLessThan(25);
    // Act: redraw those with fakeValue, as the generate stage does against its PII index.
    drawn.rows.forEach((row, r) => {
      for (const name of columns) {
        const c = drawn.columns.indexOf(name);
        const marginal = model.columns[c]?.marginal;
        if (marginal?.type !== 'pii') continue;
        for (let attempt = 0; row[c] != null && index.has(row[c] as string) && attempt < 20; attempt++) {
          row[c] = fakeValue(marginal.semantic, deriveSeed(21, 'redraw', 0, r, c, attempt), marginal.format);
        }
      }
    });
    // Assess
    for (const name of columns) expect(hits(drawn, name), name).toEqual([]);
  });

  it('never draws a category seen fewer times than the rare minimum', () => {
    // Prepare: two customers in Alaska.
    const rows = seed.rows.map((r, i) =>
      i === 10 || i === 1500 ? r.map((c, j) => (j === 7 ? 'AK' : c)) : r,
    );
    const table = { columns: seed.columns, rows };
    const fitted = fitModel(customerProfile(table), table, { seed: 7, rareCategoryMin: 5 });
    // Act
    const drawn = sampleShard(fitted, { rows: 20_000, seed: 3, shard: 1 });
    // Assess
    expect(column(drawn, 'state').filter((s) => s === 'AK')).toEqual([]);
    expect(new Set(column(drawn, 'state')).size).toBe(10);
  });
});

describe('sampleShard formats', () => {
  // A seed with US dates, ISO timestamps, tiny signed floats and Y/N flags.
  const rng = createRng(3);
  const base = Date.UTC(2024, 0, 1);
  const pad = (n: number) => String(n).padStart(2, '0');
  const rows = Array.from({ length: 600 }, () => {
    const day = new Date(base + rng.int(365) * 86_400_000);
    const at = new Date(base + Math.floor(rng.next() * 30 * 86_400_000));
    return [
      `${pad(day.getUTCMonth() + 1)}/${pad(day.getUTCDate())}/${day.getUTCFullYear()}`,
      `${at.toISOString().slice(0, 19)}Z`,
      ((rng.next() - 0.5) * 1e-6).toFixed(9),
      rng.next() < 0.3 ? 'Y' : 'N',
      rng.next() < 0.1 ? '0' : String(rng.int(1000)),
    ];
  });
  const table: Table = { columns: ['visit', 'created_at', 'drift', 'flag', 'score'], rows };
  const profile = handProfile('formats.csv', table, {
    visit: { kind: 'date', format: 'MM/DD/YYYY' },
    created_at: { kind: 'datetime', format: 'YYYY-MM-DDTHH:mm:ssZ' },
    drift: { kind: 'float', decimals: 9 },
    flag: { kind: 'boolean' },
    score: { kind: 'integer' },
  });
  const fitted = fitModel(profile, table, { seed: 1, rareCategoryMin: 5 });
  const drawn = sampleShard(fitted, { rows: 5000, seed: 2, shard: 0 });

  it('writes dates and datetimes in the seed layout, inside the seed range', () => {
    // Assess
    const visits = present(column(drawn, 'visit'));
    expect(visits.filter((v) => !/^\d{2}\/\d{2}\/2024$/.test(v))).toEqual([]);
    const times = present(column(drawn, 'created_at'));
    expect(times.filter((v) => !/^2024-01-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v))).toEqual([]);
    const parse = dateParser('YYYY-MM-DDTHH:mm:ssZ');
    const seen = present(column(table, 'created_at')).map((v) => parse(v) as number);
    const ms = times.map((v) => parse(v) as number);
    expect(Math.min(...ms)).toBeGreaterThanOrEqual(Math.min(...seen));
    expect(Math.max(...ms)).toBeLessThanOrEqual(Math.max(...seen));
  });

  it('writes small numbers without exponents or negative zero', () => {
    // Assess
    const drift = present(column(drawn, 'drift'));
    expect(drift.filter((v) => !/^-?0\.\d{9}$/.test(v) || /^-0\.0+$/.test(v))).toEqual([]);
    expect(drift.some((v) => v.startsWith('-'))).toBe(true);
  });

  it('keeps boolean labels as written and point masses such as zero', () => {
    // Assess
    expect(new Set(present(column(drawn, 'flag')))).toEqual(new Set(['Y', 'N']));
    const zeros = column(drawn, 'score').filter((v) => v === '0').length / drawn.rows.length;
    expect(zeros).toBeGreaterThan(0.07);
    expect(zeros).toBeLessThan(0.13);
  });
});

describe('sampleShard determinism', () => {
  it('gives the same bytes for the same inputs over many blocks of rows, and other bytes for another seed', () => {
    // Prepare: 1,300 rows span several of the sampler's blocks; the model round-trips through JSON.
    const copy = JSON.parse(JSON.stringify(model)) as ModelArtifact;
    // Act
    const a = toCsv(sampleShard(model, { rows: 1300, seed: 5, shard: 7 }));
    const b = toCsv(sampleShard(copy, { rows: 1300, seed: 5, shard: 7 }));
    const c = toCsv(sampleShard(model, { rows: 1300, seed: 6, shard: 7 }));
    // Assess
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a.split('\n')).toHaveLength(1302);
  });

  it('writes each number as formatNumber would, so the per-column text cache changes nothing', () => {
    // Prepare
    const drawn = sampleShard(model, { rows: 3000, seed: 12, shard: 0 });
    const mismatches: string[] = [];
    // Act
    model.columns.forEach((c, at) => {
      if (c.marginal.type !== 'numeric') return;
      const decimals = c.marginal.integer ? 0 : c.marginal.decimals;
      for (const row of drawn.rows) {
        const text = row[at] ?? null;
        if (text !== null && formatNumber(Number(text), decimals) !== text)
          mismatches.push(`${c.name}: ${text}`);
      }
    });
    // Assess
    expect(mismatches).toEqual([]);
  });
});
