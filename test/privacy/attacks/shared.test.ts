import { describe, expect, it } from 'vitest';
import { attackRisk, gowerSpace, nearest, riskVerdict } from '../../../src/privacy/attacks/shared.ts';
import { createRng } from '../../../src/random.ts';
import type { Table } from '../../../src/table.ts';

describe('attack risk', () => {
  it('scales the gain over the control by what was left to gain', () => {
    // Act
    const risk = attackRisk(600, 1000, 200, 1000);

    // Assess: (0.6 - 0.2) / (1 - 0.2)
    expect(risk.figure).toBeCloseTo(0.5, 10);
    expect(risk.interval[0]).toBeLessThan(0.5);
    expect(risk.interval[1]).toBeGreaterThan(0.5);
    expect(riskVerdict(risk.figure, risk.interval, 0.1, true)).toBe('fail');
  });

  it('calls a figure above the threshold inconclusive while its interval reaches below', () => {
    // Act
    const risk = attackRisk(9, 40, 5, 40);

    // Assess
    expect(risk.figure).toBeGreaterThan(0.1);
    expect(riskVerdict(risk.figure, risk.interval, 0.1, true)).toBe('inconclusive');
  });
});

describe('Gower distance', () => {
  const table: Table = {
    columns: ['n', 'c'],
    rows: [
      ['0', 'a'],
      ['10', 'b'],
      ['5', null],
      [null, 'a'],
      ['1000', 'a'],
    ],
  };
  const space = gowerSpace(
    [
      { name: 'n', role: 'numeric', kind: 'integer' },
      { name: 'c', role: 'categorical', kind: 'categorical' },
    ],
    [{ columns: ['n', 'c'], rows: table.rows.slice(0, 2) }],
  );
  const encoded = space.encode(table);

  it('scales numbers by the reference range, caps them at 1, and counts null against a value as 1', () => {
    // Act
    const at = (q: number, r: number) =>
      nearest(
        encoded,
        q,
        { ...encoded, values: encoded.values.slice(r * 2, r * 2 + 2), rows: 1 },
        space.numeric,
      ).distance;

    // Assess
    expect(at(0, 1)).toBeCloseTo(2, 5); // 10/10 + a≠b
    expect(at(0, 2)).toBeCloseTo(1.5, 5); // 5/10 + a vs null
    expect(at(0, 3)).toBeCloseTo(1, 5); // 0 vs null + a=a
    expect(at(0, 4)).toBeCloseTo(1, 5); // 1000/10 capped at 1
  });

  it('draws among tied neighbours instead of always taking the first', () => {
    // Prepare
    const twins = space.encode({
      columns: ['n', 'c'],
      rows: [
        ['0', 'a'],
        ['0', 'a'],
        ['0', 'a'],
      ],
    });
    const rng = createRng(1);

    // Act
    const picked = new Set(
      Array.from({ length: 30 }, () => nearest(encoded, 0, twins, space.numeric, { rng }).index),
    );

    // Assess
    expect(picked).toEqual(new Set([0, 1, 2]));
  });
});
