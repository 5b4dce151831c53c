import { describe, expect, it } from 'vitest';
import { textTable } from '../../bench/lib/print.ts';
import { readVegaTable, seededShuffle, splitTable } from '../../bench/lib/tables.ts';

describe('bench inputs', () => {
  it('reads a vega JSON table with nulls kept as nulls, and a vega CSV table', () => {
    // Act
    const penguins = readVegaTable('penguins.json');
    const weather = readVegaTable('seattle-weather.csv');

    // Assess
    expect(penguins.columns).toContain('Species');
    expect(penguins.rows).toHaveLength(344);
    expect(penguins.rows.some((r) => r.includes(null))).toBe(true);
    expect(weather.columns).toEqual(['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather']);
    expect(weather.rows).toHaveLength(1461);
  });

  it('splits 80/20 into disjoint parts covering every row, the same way for the same seed', () => {
    // Prepare
    const table = { columns: ['i'], rows: Array.from({ length: 1000 }, (_, i) => [String(i)]) };

    // Act
    const a = splitTable(table, 0.8, 7);
    const b = splitTable(table, 0.8, 7);
    const c = splitTable(table, 0.8, 8);

    // Assess
    expect(a.train.rows).toHaveLength(800);
    expect(a.holdout.rows).toHaveLength(200);
    const ids = [...a.train.rows, ...a.holdout.rows].map((r) => r[0]);
    expect(new Set(ids).size).toBe(1000);
    expect(b).toEqual(a);
    expect(c.holdout.rows).not.toEqual(a.holdout.rows);
    // Shuffled, not a cut of the file's order.
    expect(a.holdout.rows.map((r) => Number(r[0])).some((i) => i < 800)).toBe(true);
  });

  it('shuffles without losing or repeating items', () => {
    // Act
    const out = seededShuffle([1, 2, 3, 4, 5, 6, 7, 8], 3);

    // Assess
    expect([...out].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(out).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('bench tables', () => {
  it('aligns columns: text left, numbers right', () => {
    // Act
    const text = textTable(
      ['table', 'rows'],
      [
        ['a', '1,000'],
        ['longer', '5'],
      ],
    );

    // Assess
    expect(text.split('\n')).toEqual(['table    rows', '------  -----', 'a       1,000', 'longer      5']);
  });
});
