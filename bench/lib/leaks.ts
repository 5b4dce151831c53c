/**
 * Generators for the privacy gate's bench and tests: the honest one (the copula fitted on train, as
 * the pipeline does) and leaky ones a careless or hostile generator might be.
 */

import type { Profile } from '../../src/contracts.ts';
import { IDENTIFYING } from '../../src/contracts.ts';
import { redrawSeedValues } from '../../src/pipeline/generate-shard.ts';
import { PiiIndex } from '../../src/privacy/pii-index.ts';
import { parseNumber } from '../../src/quality/values.ts';
import { createRng, deriveSeed } from '../../src/random.ts';
import { fitModel } from '../../src/synth/fit.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import type { Cell, Table } from '../../src/table.ts';

export interface Split {
  train: Table;
  holdout: Table;
  profile: Profile;
}

const reorder = (table: Table, columns: string[]): Table => {
  const idx = columns.map((c) => table.columns.indexOf(c));
  return { columns, rows: table.rows.map((row) => idx.map((i) => (i < 0 ? null : (row[i] ?? null)))) };
};

/** The seed's identifying values (train and holdout), as the profile stage indexes them. */
const seedIndex = (split: Split, seed: number): PiiIndex => {
  const index = new PiiIndex(`bench-${seed}`);
  const pii = split.profile.columns
    .filter((c) => c.semantic !== undefined && IDENTIFYING.has(c.semantic.type))
    .map((c) => c.name);
  for (const table of [split.train, split.holdout]) {
    const idx = pii.map((c) => table.columns.indexOf(c));
    for (const row of table.rows) for (const i of idx) if (row[i] != null) index.add(row[i] as string);
  }
  return index;
};

/**
 * The copula fitted on `fitOn` (the train rows for an honest generator), `rows` rows sampled, with
 * what the generate stage does after sampling: fake identifiers that happen to equal a seed value
 * (faker names collide by chance) are redrawn.
 */
export const copula = (split: Split, fitOn: Table, rows: number, seed: number): Table => {
  const model = fitModel(split.profile, fitOn, { seed, rareCategoryMin: 5 });
  const out = sampleShard(model, { rows, seed, shard: 0 });
  redrawSeedValues(out, model, seedIndex(split, seed), seed, 0);
  return reorder(out, split.train.columns);
};

export const honest = (split: Split, rows: number, seed: number): Table =>
  copula(split, split.train, rows, seed);

/** Train and holdout rows together: what a model whose holdout leaked into training saw. */
export const both = (split: Split): Table => ({
  columns: split.train.columns,
  rows: [...split.train.rows, ...split.holdout.rows],
});

/** Honest output with `share` of its rows replaced by train rows, copied whole. */
export const copying = (split: Split, rows: number, share: number, seed: number): Table => {
  const out = honest(split, rows, seed);
  const rng = createRng(deriveSeed(seed, 'test', 'copying'));
  const copies = Math.round(rows * share);
  for (let i = 0; i < copies; i++) {
    out.rows[rng.int(rows)] = [...split.train.rows[rng.int(split.train.rows.length)]!];
  }
  return out;
};

/**
 * Real rows with noise: every number moved by a normal draw of `noise` times its column's standard
 * deviation (kept to the column's decimals), categories and dates kept. `from` says which rows.
 */
export const perturbed = (split: Split, from: Table, rows: number, noise: number, seed: number): Table => {
  const rng = createRng(deriveSeed(seed, 'test', 'perturbed'));
  const numeric = split.train.columns.map((name) => {
    const column = split.profile.columns.find((c) => c.name === name);
    const isNumber = column?.kind === 'integer' || column?.kind === 'float';
    return isNumber
      ? { sd: column.std ?? 0, decimals: column.kind === 'integer' ? 0 : (column.decimals ?? 2) }
      : null;
  });
  const out: Cell[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = from.rows[rng.int(from.rows.length)]!;
    out.push(
      row.map((cell, j) => {
        const spec = numeric[j];
        const v = parseNumber(cell ?? null);
        if (spec == null || Number.isNaN(v)) return cell ?? null;
        return (v + rng.normal() * noise * spec.sd).toFixed(spec.decimals);
      }),
    );
  }
  return { columns: [...split.train.columns], rows: out };
};

/**
 * Real rows, `share` of their values perturbed: each cell, with chance `share`, replaced by the same
 * column's cell of another row drawn from `from` (a draw from the column's own values, so the
 * perturbed value is as plausible as any). This is how MOSTLY AI's benchmark builds its "flip"
 * datasets (Platzer & Reutterer 2021), whose 10 % version the issue cites at a DCR share of 0.84.
 */
export const flipped = (from: Table, rows: number, share: number, seed: number): Table => {
  const rng = createRng(deriveSeed(seed, 'test', 'flipped'));
  const n = from.rows.length;
  const out: Cell[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = from.rows[rng.int(n)]!;
    out.push(
      row.map((cell, j) => (rng.next() < share ? (from.rows[rng.int(n)]![j] ?? null) : (cell ?? null))),
    );
  }
  return { columns: [...from.columns], rows: out };
};

/**
 * `output` with `count` cells of each named column overwritten by values of the same column drawn
 * from the seed's rows (`from`): identifiers replayed into otherwise fresh output.
 */
export const replaying = (
  output: Table,
  from: Table,
  columns: string[],
  count: number,
  seed: number,
): Table => {
  const rng = createRng(deriveSeed(seed, 'bench', 'replaying'));
  const rows = output.rows.map((row) => [...row]);
  for (const name of columns) {
    const to = output.columns.indexOf(name);
    const at = from.columns.indexOf(name);
    if (to < 0 || at < 0) throw new Error(`replaying: no column '${name}' in both tables`);
    for (let i = 0; i < count; i++)
      rows[rng.int(rows.length)]![to] = from.rows[rng.int(from.rows.length)]![at]!;
  }
  return { columns: [...output.columns], rows };
};

/** `output` with every canary row written over a random output row (columns matched by name). */
export const withCanaries = (output: Table, canaries: Table, seed: number): Table => {
  const rng = createRng(deriveSeed(seed, 'bench', 'canaries'));
  const idx = output.columns.map((c) => canaries.columns.indexOf(c));
  const rows = output.rows.map((row) => [...row]);
  for (const canary of canaries.rows)
    rows[rng.int(rows.length)] = idx.map((i) => (i < 0 ? null : (canary[i] ?? null)));
  return { columns: [...output.columns], rows };
};
