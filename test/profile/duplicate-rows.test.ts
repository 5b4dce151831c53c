import { describe, expect, it } from 'vitest';
import { DuplicateRows } from '../../src/profile/duplicate-rows.ts';

/** Row i as the scanner hands it: two 32-bit lanes (distinct rows, distinct lanes). */
const add = (rows: DuplicateRows, i: number) => rows.addLanes(i * 2654435761, i ^ 0x5bd1e995);

describe('DuplicateRows', () => {
  it('counts repeats exactly however many rows, while at most 262,144 of them differ', () => {
    // Prepare
    const few = new DuplicateRows();
    const atCap = new DuplicateRows();

    // Act: a million rows of a thousand kinds; 262,144 distinct rows and ten again
    for (let i = 0; i < 1_000_000; i++) add(few, i % 1000);
    for (let i = 0; i < 262_144; i++) add(atCap, i);
    for (let i = 0; i < 10; i++) add(atCap, i * 7);

    // Assess
    expect(few.count()).toEqual({ rows: 1_000_000, duplicates: 999_000, estimated: false });
    expect(atCap.count()).toEqual({ rows: 262_154, duplicates: 10, estimated: false });
  });

  it('estimates past 262,144 distinct rows from a sample of the keys, counting none where none repeat', () => {
    // Prepare
    const justPast = new DuplicateRows();
    const none = new DuplicateRows();
    const many = new DuplicateRows();

    // Act: no repeats at all; then 1.5 million rows of 1.2 million kinds
    for (let i = 0; i < 262_145; i++) add(justPast, i);
    for (let i = 0; i < 2_000_000; i++) add(none, i);
    for (let i = 0; i < 1_500_000; i++) add(many, i % 1_200_000);

    // Assess: a sketch of the distinct count would report about 1 % of the rows as repeats
    expect(justPast.count()).toEqual({ rows: 262_145, duplicates: 0, estimated: true });
    expect(none.count()).toEqual({ rows: 2_000_000, duplicates: 0, estimated: true });
    const { duplicates, estimated } = many.count();
    expect(estimated).toBe(true);
    expect(Math.abs(duplicates - 300_000)).toBeLessThan(0.01 * 1_500_000);
  });

  it('counts large groups of repeats, whether or not the sample holds them', () => {
    // Prepare: a million blank rows among a million distinct ones, several ways round (the blank
    // row's key is in the sample for some of them and not for others); and 100 kinds of row
    // repeated 20,000 times each among a million distinct ones
    const blanks = [0, 1, 2, 3, 4, 5, 6, 7].map((kind) => {
      const rows = new DuplicateRows();
      for (let i = 0; i < 2_000_000; i++) add(rows, i % 2 === 0 ? -1 - kind : i);
      return rows.count();
    });
    const kinds = new DuplicateRows();
    for (let i = 0; i < 3_000_000; i++) add(kinds, i % 3 === 0 ? i : -1 - (i % 100));

    // Assess
    for (const count of blanks) {
      expect(count.estimated).toBe(true);
      expect(Math.abs(count.duplicates - 999_999)).toBeLessThan(0.01 * 2_000_000);
    }
    expect(Math.abs(kinds.count().duplicates - (2_000_000 - 100))).toBeLessThan(0.01 * 3_000_000);
  });

  it('merges parts into the count of the whole', () => {
    // Prepare: parts that share rows, and parts that pass the cap only together
    const whole = new DuplicateRows();
    const [a, b] = [new DuplicateRows(), new DuplicateRows()];
    const [c, d] = [new DuplicateRows(), new DuplicateRows()];
    for (let i = 0; i < 50_000; i++) add(i < 30_000 ? a : b, i % 40_000);
    for (let i = 0; i < 50_000; i++) add(whole, i % 40_000);
    for (let i = 0; i < 400_000; i++) add(i < 200_000 ? c : d, i);
    // and parts sampled at different rates: 1.6 million rows of 800,000 kinds, split 1 to 3
    const [e, f] = [new DuplicateRows(), new DuplicateRows()];
    for (let i = 0; i < 1_600_000; i++) add(i < 400_000 ? e : f, i % 800_000);

    // Act
    a.merge(b);
    c.merge(d);
    const fresh = new DuplicateRows();
    fresh.merge(e);
    fresh.merge(f);
    e.merge(f);

    // Assess
    expect(a.count()).toEqual(whole.count());
    expect(a.count()).toEqual({ rows: 50_000, duplicates: 10_000, estimated: false });
    expect(c.count()).toEqual({ rows: 400_000, duplicates: 0, estimated: true });
    expect(e.count().rows).toBe(1_600_000);
    expect(Math.abs(e.count().duplicates - 800_000)).toBeLessThan(0.01 * 1_600_000);
    expect(fresh.count().rows).toBe(1_600_000);
    expect(Math.abs(fresh.count().duplicates - 800_000)).toBeLessThan(0.01 * 1_600_000);
  });
});
