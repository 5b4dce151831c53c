import { describe, expect, it } from 'vitest';
import { nearestNeighbours } from '../../src/privacy/nearest.ts';
import { holm } from '../../src/privacy/significance.ts';
import { createRng } from '../../src/random.ts';

const encoded = (rows: number, columns: number, seed: number) => {
  const rng = createRng(seed);
  const values = new Float32Array(rows * columns);
  for (let i = 0; i < values.length; i++) values[i] = i % columns < 3 ? rng.int(4) : rng.next();
  return { values, rows, columns };
};

describe('nearest neighbours', () => {
  it('finds the same neighbours in two worker threads as in the calling thread', () => {
    // Prepare
    const queries = encoded(301, 6, 1);
    const reference = encoded(257, 6, 2);
    const jobs = [{ queries, reference, k: 2 as const }];

    // Act
    const [inline] = nearestNeighbours(jobs, { threads: 1 });
    const [threaded] = nearestNeighbours(jobs, { threads: 2, parallelMinPairs: 0 });

    // Assess
    expect(Array.from(threaded!.first)).toEqual(Array.from(inline!.first));
    expect(Array.from(threaded!.second)).toEqual(Array.from(inline!.second));
    expect(Array.from(threaded!.nearest)).toEqual(Array.from(inline!.nearest));
  });

  it('measures Gower distance: capped numeric differences plus 0/1 per category', () => {
    // Prepare: one numeric (scaled) and one category code column
    const reference = { values: Float32Array.from([0, 0, 0.5, 1, 3, 0]), rows: 3, columns: 2 };
    const queries = { values: Float32Array.from([0.4, 1]), rows: 1, columns: 2 };

    // Act
    const [result] = nearestNeighbours([{ queries, reference, k: 2 }]);

    // Assess: row 1 is 0.1 away; row 0 is 0.4 + 1 away; row 2 is 1 (capped) + 1
    expect(result!.nearest[0]).toBe(1);
    expect(result!.first[0]).toBeCloseTo(0.1, 6);
    expect(result!.second[0]).toBeCloseTo(1.4, 6);
  });
});

describe('Holm–Bonferroni', () => {
  it('compares the smallest p-value with α/K and stops at the first that is not small enough', () => {
    // Act
    const out = holm([0.04, 0.001, 0.02, 0.5], 0.05);

    // Assess: 0.001 ≤ 0.0125 rejects; 0.02 > 0.05/3 stops, so 0.04 is not rejected either
    expect(out.map((e) => e.reject)).toEqual([false, true, false, false]);
    expect(out[1]!.level).toBeCloseTo(0.0125, 10);
    expect(out[2]!.level).toBeCloseTo(0.05 / 3, 10);
  });
});
