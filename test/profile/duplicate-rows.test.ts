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

  it('estimates past 262,144 distinct rows, within the sketch error', () => {
    // Prepare
    const justPast = new DuplicateRows();
    const many = new DuplicateRows();

    // Act
    for (let i = 0; i < 262_145; i++) add(justPast, i);
    for (let i = 0; i < 1_500_000; i++) add(many, i % 1_200_000);

    // Assess
    expect(justPast.count().estimated).toBe(true);
    const { duplicates, estimated } = many.count();
    expect(estimated).toBe(true);
    expect(Math.abs(duplicates - 300_000)).toBeLessThan(0.03 * 1_200_000);
  });

  it('merges parts into the count of the whole', () => {
    // Prepare: parts that share rows, and parts that pass the cap only together
    const whole = new DuplicateRows();
    const [a, b] = [new DuplicateRows(), new DuplicateRows()];
    const [c, d] = [new DuplicateRows(), new DuplicateRows()];
    for (let i = 0; i < 50_000; i++) add(i < 30_000 ? a : b, i % 40_000);
    for (let i = 0; i < 50_000; i++) add(whole, i % 40_000);
    for (let i = 0; i < 400_000; i++) add(i < 200_000 ? c : d, i);

    // Act
    a.merge(b);
    c.merge(d);

    // Assess
    expect(a.count()).toEqual(whole.count());
    expect(a.count()).toEqual({ rows: 50_000, duplicates: 10_000, estimated: false });
    expect(c.count().estimated).toBe(true);
  });
});
