import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitModel } from '../../src/synth/fit.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import type { Cell, Table } from '../../src/table.ts';
import { handProfile } from '../helpers/customer-profile.ts';

// The real Palmer penguins table: categorical columns with nulls (and one '.' in Sex), measures with nulls.
const records = JSON.parse(
  readFileSync(new URL('../../node_modules/vega-datasets/data/penguins.json', import.meta.url), 'utf8'),
) as Record<string, string | number | null>[];
const columns = Object.keys(records[0] ?? {});
const seed: Table = {
  columns,
  rows: records.map((r) =>
    columns.map((c): Cell => (r[c] === null || r[c] === undefined ? null : String(r[c]))),
  ),
};
const profile = handProfile('penguins.json', seed, {
  Species: { kind: 'categorical' },
  Island: { kind: 'categorical' },
  'Beak Length (mm)': { kind: 'float', decimals: 1 },
  'Beak Depth (mm)': { kind: 'float', decimals: 1 },
  'Flipper Length (mm)': { kind: 'integer' },
  'Body Mass (g)': { kind: 'integer' },
  Sex: { kind: 'categorical' },
});

const column = (table: Table, name: string) => table.rows.map((r) => r[table.columns.indexOf(name)] ?? null);
const nullRate = (values: Cell[]) => values.filter((v) => v === null).length / values.length;

describe('the penguins table', () => {
  const model = fitModel(profile, seed, { seed: 1, rareCategoryMin: 5 });
  const out = sampleShard(model, { rows: 20_000, seed: 4, shard: 0 });

  it('comes back with the same columns, no new categories, and the rare one left out', () => {
    // Assess
    expect(out.columns).toEqual(columns);
    for (const name of ['Species', 'Island', 'Sex']) {
      const seen = new Set(column(seed, name));
      expect(
        column(out, name).filter((v) => !seen.has(v)),
        name,
      ).toEqual([]);
    }
    expect(column(out, 'Sex').filter((v) => v === '.')).toEqual([]);
    expect(new Set(column(out, 'Species'))).toEqual(new Set(['Adelie', 'Chinstrap', 'Gentoo']));
  });

  it('keeps null rates within 3 points', () => {
    for (const name of columns) {
      expect(Math.abs(nullRate(column(out, name)) - nullRate(column(seed, name))), name).toBeLessThan(0.03);
    }
  });

  it('keeps measures in their form and the species difference in flipper length', () => {
    // Assess
    expect(column(out, 'Beak Length (mm)').filter((v) => v !== null && !/^\d+\.\d$/.test(v))).toEqual([]);
    expect(column(out, 'Body Mass (g)').filter((v) => v !== null && !/^\d+$/.test(v))).toEqual([]);
    const flipper = (table: Table, species: string) => {
      const s = column(table, 'Species');
      const xs = column(table, 'Flipper Length (mm)')
        .filter((v, i) => v !== null && s[i] === species)
        .map(Number);
      return xs.reduce((a, x) => a + x, 0) / xs.length;
    };
    // Gentoo flippers are ~27 mm longer than Adelie ones in the seed.
    expect(flipper(out, 'Gentoo') - flipper(out, 'Adelie')).toBeGreaterThan(15);
  });
});
