/**
 * The gate on any three tables (what `doppel check` runs, e.g. to vet another tool's output):
 * the train table is profiled to learn column kinds and PII columns, the identifying values of train
 * and holdout are indexed, and the synthetic rows go through the privacy gate and the fidelity scores.
 */
import { IDENTIFYING, type Policy, type Profile } from '../contracts.ts';
import { BadInputError } from '../errors.ts';
import { profileSource } from '../profile/profile-seed.ts';
import { createFidelity } from '../quality/fidelity.ts';
import { buildReport, type Report } from '../report/report.ts';
import { type Table, toCsv } from '../table.ts';
import { createPrivacyGate, nameBaselineOf, type PrivacyResult } from './gate.ts';
import { PiiIndex } from './pii-index.ts';

export interface NamedTable {
  /** File name, for messages and the report. */
  name: string;
  table: Table;
}

export interface CheckTablesInput {
  train: NamedTable;
  holdout: NamedTable;
  synthetic: NamedTable;
  policy: Policy;
  seed?: number;
  /** Columns an intruder could link on; they must exist in all three tables. */
  quasiIdentifiers?: string[];
  gate?: { sampleSize?: number; referenceSize?: number; threads?: number };
}

export interface CheckTablesResult {
  report: Report;
  privacy: PrivacyResult;
  profile: Profile;
}

/** Text as the byte stream the profiler reads. */
async function* bytesOf(table: Table): AsyncGenerator<Uint8Array> {
  yield Buffer.from(toCsv(table), 'utf8');
}

/** Every column of the train table must be in the others, and the holdout must have no extra one. */
const checkColumns = (input: CheckTablesInput): void => {
  const { train, holdout, synthetic } = input;
  for (const other of [holdout, synthetic]) {
    const missing = train.table.columns.filter((c) => !other.table.columns.includes(c));
    if (missing.length > 0)
      throw new BadInputError(
        `${other.name} has no column ${missing.map((c) => `'${c}'`).join(', ')} (${train.name} has; ` +
          `${other.name} has ${other.table.columns.join(', ')})`,
      );
  }
  const extra = synthetic.table.columns.filter((c) => !train.table.columns.includes(c));
  if (extra.length > 0)
    throw new BadInputError(
      `${synthetic.name} has column ${extra.map((c) => `'${c}'`).join(', ')}, which ${train.name} does not have`,
    );
  for (const q of input.quasiIdentifiers ?? []) {
    if (!train.table.columns.includes(q))
      throw new BadInputError(`quasi-identifier '${q}' is not a column of ${train.name}`);
  }
  for (const { name, table } of [train, holdout, synthetic]) {
    if (table.rows.length === 0) throw new BadInputError(`${name} has no data rows`);
  }
};

const project = (table: Table, keep: string[]): Table => {
  const idx = keep.map((c) => table.columns.indexOf(c));
  return { columns: keep, rows: table.rows.map((row) => idx.map((i) => row[i] ?? null)) };
};

export const checkTables = async (input: CheckTablesInput): Promise<CheckTablesResult> => {
  checkColumns(input);
  const seed = input.seed ?? 0;
  const { train, holdout, synthetic, policy } = input;
  const { profile } = await profileSource(bytesOf(train.table), train.name, {
    seed,
    holdoutShare: 0,
    trainSampleSize: 1,
    holdoutSampleSize: 1,
  });
  const index = new PiiIndex(`doppel-check-${seed}`);
  const identifying = profile.columns.filter(
    (c) => c.semantic !== undefined && IDENTIFYING.has(c.semantic.type),
  );
  for (const { table } of [train, holdout]) {
    const idx = identifying.map((c) => table.columns.indexOf(c.name));
    for (const row of table.rows) {
      for (const i of idx) {
        const value = row[i];
        if (value !== null && value !== undefined) index.add(value);
      }
    }
  }
  // Reference samples as the pipeline stores them: no PII column and no key.
  const sampled = profile.columns
    .filter((c) => c.semantic === undefined && c.kind !== 'id')
    .map((c) => c.name);
  const trainRef = project(train.table, sampled);
  const holdoutRef = project(holdout.table, sampled);
  const gate = createPrivacyGate({
    profile,
    train: trainRef,
    holdout: holdoutRef,
    piiIndex: index,
    policy,
    seed,
    nameBaseline: nameBaselineOf(profile, train.table, holdout.table),
    ...input.gate,
  });
  const fidelity = createFidelity({ profile, real: trainRef, seed, rareCategoryMin: policy.rareCategoryMin });
  const ceiling = createFidelity({ profile, real: trainRef, seed, rareCategoryMin: policy.rareCategoryMin });
  gate.add(synthetic.table);
  fidelity.add(synthetic.table);
  ceiling.add(holdoutRef);
  const privacy = gate.finish();
  const report = buildReport({
    runId: 'check',
    dataset: train.name,
    rows: synthetic.table.rows.length,
    shards: 1,
    policy,
    model: { columns: train.table.columns.length, trainRows: train.table.rows.length, rareCategoryMin: 0 },
    privacy,
    fidelity: fidelity.finish(),
    ceiling: ceiling.finish(),
    warnings: profile.warnings,
  });
  return { report, privacy, profile };
};
