import { describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/synth/model.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { tightenModel } from '../../src/synth/tighten.ts';

const model = (): ModelArtifact => ({
  version: 1,
  kind: 'gaussian-copula',
  columns: [
    {
      name: 'city',
      kind: 'categorical',
      nullRate: 0,
      // 100 train rows: 70 Oslo, 24 Bergen, 6 Tromsø
      marginal: {
        type: 'categorical',
        categories: ['Oslo', 'Bergen', 'Tromsø'],
        probs: [0.7, 0.24, 0.06],
        suppressed: 0,
      },
    },
    {
      name: 'rare',
      kind: 'categorical',
      // 10 non-null train rows: 5 a, 5 b
      nullRate: 0.9,
      marginal: { type: 'categorical', categories: ['a', 'b'], probs: [0.5, 0.5], suppressed: 3 },
    },
  ],
  copula: {
    members: [0, 1],
    correlation: [
      [1, 0],
      [0, 1],
    ],
  },
  constraints: [],
  settings: { trainRows: 100, rareCategoryMin: 5, seed: 1 },
});

describe('tightenModel (a stricter policy on a fitted model)', () => {
  it('leaves the model alone when the policy is no stricter than the fit', () => {
    const m = model();
    expect(tightenModel(m, 5)).toBe(m);
  });

  it('drops categories seen fewer times than the new minimum and never samples them', () => {
    // Prepare: city has 100 train rows: Oslo 70, Bergen 24, Tromsø 6
    const tight = tightenModel(model(), 10);
    // Act
    const table = sampleShard(tight, { rows: 2000, seed: 3, shard: 0 });
    // Assess
    const city = tight.columns[0]!.marginal;
    expect(city.type === 'categorical' && city.categories).toEqual(['Oslo', 'Bergen']);
    expect(new Set(table.rows.map((r) => r[0]))).toEqual(new Set(['Oslo', 'Bergen']));
    expect(tight.settings.rareCategoryMin).toBe(10);
  });

  it('empties a column whose every category became rare, keeping none of its labels', () => {
    const tight = tightenModel(model(), 7);
    const table = sampleShard(tight, { rows: 500, seed: 3, shard: 0 });
    expect(tight.copula.members).toEqual([0]);
    expect(JSON.stringify(tight.columns[1])).not.toMatch(/"a"|"b"/);
    expect(table.rows.every((r) => r[1] === null)).toBe(true);
  });
});
