/**
 * Generators for the gate's tests, on public tables: the generators themselves live with the bench
 * (bench/lib/leaks.ts), which runs them at scale; here, public tables cut in halves.
 */
import type { Split } from '../../bench/lib/leaks.ts';
import { byteStream, readVegaTable, splitTable } from '../../bench/lib/tables.ts';
import { profileSource } from '../../src/profile/profile-seed.ts';
import { toCsv } from '../../src/table.ts';

export { both, copula, copying, flipped, honest, perturbed, type Split } from '../../bench/lib/leaks.ts';

/** A public table cut in halves by a seeded shuffle, the train half profiled. */
export const splitOf = async (name: string, seed: number): Promise<Split> => {
  const { train, holdout } = splitTable(readVegaTable(name), 0.5, seed);
  const { profile } = await profileSource(byteStream(toCsv(train)), name, { seed, holdoutShare: 0 });
  return { train, holdout, profile };
};
