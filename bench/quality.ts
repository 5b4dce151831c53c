import { writeFileSync } from 'node:fs';
/**
 * `npm run bench -- quality`: how faithful the synthetic data is, against how faithful it could be.
 * Per public table (vega-datasets): an 80/20 train/holdout split with a fixed seed; the train part is
 * profiled (as a CSV byte stream) and every train row fits the model; as many rows as train are
 * sampled and written as CSV; then the SDMetrics-style scores (src/quality/fidelity.ts) of
 * synthetic vs train, and the ceiling: the same scorer on the holdout vs train.
 * Then sampling speed: a 10-column mixed table, 1,000,000 rows written as CSV on one core, three
 * passes, the median one reported.
 *
 * Options: --tables a,b (names below), --speed-rows N, --no-speed, --seed N.
 * Targets: quality >= 0.95x the holdout ceiling on every table; above SDV GaussianCopula where its
 * figure is known; sampling >= 500,000 rows/s.
 */
import { POLICIES } from '../src/contracts.ts';
import { profileSource } from '../src/profile/profile-seed.ts';
import { createFidelity, type Fidelity } from '../src/quality/fidelity.ts';
import { columnRole } from '../src/quality/values.ts';
import { createRng } from '../src/random.ts';
import { sampleCustomers } from '../src/sample/customers.ts';
import { fitModel } from '../src/synth/fit.ts';
import type { ModelArtifact } from '../src/synth/model.ts';
import { sampleShard } from '../src/synth/sample.ts';
import { type Cell, type Table, toCsv } from '../src/table.ts';
import { count, fixed, type Row, since, textTable } from './lib/print.ts';
import { byteStream, readVegaTable, splitTable } from './lib/tables.ts';

export const description =
  'fidelity vs the holdout ceiling on four vega-datasets tables, fit time, sampling rows/s';

interface TableSpec {
  name: string;
  file: string;
  /** SDV GaussianCopula's SDMetrics quality on the same split sizes (issue 4). */
  sdv?: number;
  /** The holdout ceiling SDMetrics measured for that figure. */
  sdvCeiling?: number;
}

const TABLES: TableSpec[] = [
  { name: 'penguins', file: 'penguins.json', sdv: 0.822, sdvCeiling: 0.868 },
  { name: 'seattle-weather', file: 'seattle-weather.csv', sdv: 0.885, sdvCeiling: 0.954 },
  { name: 'birdstrikes', file: 'birdstrikes.csv', sdv: 0.635, sdvCeiling: 0.904 },
  { name: 'flights-200k', file: 'flights-200k.json' },
];

const TRAIN_SHARE = 0.8;
const CEILING_RATIO_TARGET = 0.95;
const SPEED_TARGET = 500_000;
const SPEED_SHARD = 100_000;
const SPEED_REPEATS = 3;
const WEAKEST_SHOWN = 5;
const RARE_MIN = POLICIES.default.rareCategoryMin;

interface Scores {
  overall: number | null;
  shapes: number | null;
  pairTrends: number | null;
}

interface ColumnResult {
  name: string;
  kind: string;
  metric: string;
  synthetic: number;
  ceiling: number | null;
  /** Categorical columns: share of train values in categories seen fewer than RARE_MIN times. */
  rareShare?: number;
}

interface PairResult {
  columns: [string, string];
  metric: string;
  synthetic: number;
  ceiling: number | null;
}

export interface TableResult {
  table: string;
  rows: number;
  columns: number;
  scoredColumns: number;
  trainRows: number;
  holdoutRows: number;
  quality: Scores;
  /** Synthetic vs train on a sample of as many synthetic rows as the holdout has. */
  qualityAtHoldoutSize: Scores;
  ceiling: Scores;
  ratio: number | null;
  sdv: number | null;
  sdvCeiling: number | null;
  beatsSdv: boolean | null;
  profileSeconds: number;
  fitSeconds: number;
  sampleSeconds: number;
  sampleRowsPerSecond: number;
  columnShapes: ColumnResult[];
  weakestPairs: PairResult[];
  skipped: { name: string; reason: string }[];
}

interface SpeedPass {
  sampleSeconds: number;
  csvSeconds: number;
  rowsPerSecond: number;
  sampleOnlyRowsPerSecond: number;
}

export interface SpeedResult {
  rows: number;
  columns: { name: string; kind: string }[];
  csvBytes: number;
  /** Each timed pass; the median one is the figure (the box is shared, so passes vary). */
  passes: SpeedPass[];
  median: SpeedPass;
  target: number;
  pass: boolean;
}

const scoresOf = (f: Fidelity): Scores => ({
  overall: f.overall,
  shapes: f.columnShapes,
  pairTrends: f.columnPairTrends,
});

/** Profiles a table the way the pipeline reads a seed: CSV bytes, every row into the train sample. */
const profileTable = async (table: Table, name: string, seed: number) =>
  profileSource(byteStream(toCsv(table)), name, {
    seed,
    holdoutShare: 0,
    trainSampleSize: Math.max(1, table.rows.length),
  });

/** Share of non-null values in categories seen fewer than `min` times: mass the model may not emit. */
const rareShareOf = (cells: Cell[], min: number): number => {
  const counts = new Map<string, number>();
  let total = 0;
  for (const cell of cells) {
    if (cell === null) continue;
    counts.set(cell, (counts.get(cell) ?? 0) + 1);
    total++;
  }
  let rare = 0;
  for (const n of counts.values()) if (n < min) rare += n;
  return total > 0 ? rare / total : 0;
};

const qualityOf = async (spec: TableSpec, seed: number): Promise<TableResult> => {
  const table = readVegaTable(spec.file);
  const split = splitTable(table, TRAIN_SHARE, seed);

  let start = performance.now();
  const { profile, train } = await profileTable(split.train, `${spec.name}.train.csv`, seed);
  const profileSeconds = since(start);
  // The holdout goes through the same reader, so blanks and null tokens read as they do in train.
  const holdout = (await profileTable(split.holdout, `${spec.name}.holdout.csv`, seed)).train;

  start = performance.now();
  const model = fitModel(profile, train, { seed, rareCategoryMin: RARE_MIN });
  const fitSeconds = since(start);

  // Sampling as a shard is produced in the pipeline: rows, then CSV text.
  start = performance.now();
  const synthetic = sampleShard(model, { rows: train.rows.length, seed, shard: 0 });
  const csv = toCsv(synthetic);
  const sampleSeconds = since(start);
  if (csv.length === 0) throw new Error(`${spec.name}: the sampler wrote no CSV`);

  // Scored over every row on both sides, not the scorer's default 5,000-row reservoir.
  const score = (other: Table, sampleSize = other.rows.length): Fidelity => {
    const scorer = createFidelity({
      profile,
      real: train,
      seed,
      sampleSize: Math.max(1, sampleSize),
      rareCategoryMin: RARE_MIN,
    });
    scorer.add(other);
    return scorer.finish();
  };
  const quality = score(synthetic);
  const ceiling = score(holdout);
  // The ceiling is scored on fewer rows (a quarter of train), so sampling noise lowers it; the
  // synthetic data scored on a sample of that same size shows how much.
  const atHoldoutSize = score(synthetic, holdout.rows.length);

  const columnShapes: ColumnResult[] = quality.columns
    .map((c) => {
      const result: ColumnResult = {
        name: c.name,
        kind: c.kind,
        metric: c.metric,
        synthetic: c.score,
        ceiling: ceiling.columns.find((h) => h.name === c.name)?.score ?? null,
      };
      const column = profile.columns.find((p) => p.name === c.name);
      if (column !== undefined && columnRole(column) === 'categorical') {
        const at = train.columns.indexOf(c.name);
        result.rareShare = rareShareOf(
          train.rows.map((r) => r[at] ?? null),
          RARE_MIN,
        );
      }
      return result;
    })
    .sort((a, b) => a.synthetic - b.synthetic);
  const key = (columns: [string, string]): string => columns.join('\u0000');
  const ceilingPairs = new Map(ceiling.pairs.map((p) => [key(p.columns), p.score]));
  const weakestPairs: PairResult[] = [...quality.pairs]
    .sort((a, b) => a.score - b.score)
    .slice(0, WEAKEST_SHOWN)
    .map((p) => ({
      columns: p.columns,
      metric: p.metric,
      synthetic: p.score,
      ceiling: ceilingPairs.get(key(p.columns)) ?? null,
    }));

  const ratio =
    quality.overall !== null && ceiling.overall !== null && ceiling.overall > 0
      ? quality.overall / ceiling.overall
      : null;
  return {
    table: spec.name,
    rows: table.rows.length,
    columns: table.columns.length,
    scoredColumns: quality.columns.length,
    trainRows: train.rows.length,
    holdoutRows: holdout.rows.length,
    quality: scoresOf(quality),
    qualityAtHoldoutSize: scoresOf(atHoldoutSize),
    ceiling: scoresOf(ceiling),
    ratio,
    sdv: spec.sdv ?? null,
    sdvCeiling: spec.sdvCeiling ?? null,
    beatsSdv: spec.sdv === undefined || quality.overall === null ? null : quality.overall > spec.sdv,
    profileSeconds,
    fitSeconds,
    sampleSeconds,
    sampleRowsPerSecond: synthetic.rows.length / sampleSeconds,
    columnShapes,
    weakestPairs,
    skipped: quality.skipped,
  };
};

const CHANNELS = ['web', 'store', 'phone', 'app'];

/**
 * The speed table: the sample customers' seven non-PII columns (state, tier, signup_date, is_active,
 * orders, total_spend, satisfaction) and three more (a categorical, a float, a date).
 */
const mixedTable = (rows: number, seed: number): Table => {
  const customers = sampleCustomers(rows, seed);
  const keep = ['state', 'tier', 'signup_date', 'is_active', 'orders', 'total_spend', 'satisfaction'];
  const at = keep.map((c) => customers.columns.indexOf(c));
  const signup = customers.columns.indexOf('signup_date');
  const rng = createRng(seed);
  return {
    columns: [...keep, 'channel', 'discount_rate', 'last_order_date'],
    rows: customers.rows.map((row) => {
      const since = Date.parse(`${row[signup]}T00:00:00Z`);
      const last = new Date(since + Math.floor(rng.next() * 400) * 86_400_000).toISOString().slice(0, 10);
      return [
        ...at.map((i) => row[i] ?? null),
        CHANNELS[Math.min(3, Math.floor(rng.next() ** 1.5 * 4))]!,
        rng.next() < 0.1 ? null : (rng.next() * 0.3).toFixed(2),
        last,
      ];
    }),
  };
};

const speedOf = async (rows: number, seed: number): Promise<SpeedResult> => {
  const seedTable = mixedTable(5_000, seed);
  const { profile, train } = await profileTable(seedTable, 'mixed.csv', seed);
  const model: ModelArtifact = fitModel(profile, train, { seed, rareCategoryMin: RARE_MIN });
  if (process.env.DOPPEL_DUMP_MODEL) writeFileSync(process.env.DOPPEL_DUMP_MODEL, JSON.stringify(model));
  let csvBytes = 0;
  const passes: SpeedPass[] = [];
  for (let repeat = 0; repeat < SPEED_REPEATS; repeat++) {
    let sampleSeconds = 0;
    let csvSeconds = 0;
    csvBytes = 0;
    for (let shard = 0, done = 0; done < rows; shard++) {
      const n = Math.min(SPEED_SHARD, rows - done);
      let start = performance.now();
      const table = sampleShard(model, { rows: n, seed, shard });
      sampleSeconds += since(start);
      start = performance.now();
      csvBytes += toCsv(table, { header: shard === 0 }).length;
      csvSeconds += since(start);
      done += n;
    }
    passes.push({
      sampleSeconds,
      csvSeconds,
      rowsPerSecond: rows / (sampleSeconds + csvSeconds),
      sampleOnlyRowsPerSecond: rows / sampleSeconds,
    });
  }
  const median = [...passes].sort((a, b) => a.rowsPerSecond - b.rowsPerSecond)[
    Math.floor(passes.length / 2)
  ]!;
  return {
    rows,
    columns: profile.columns.map((c) => ({
      name: c.name,
      kind: c.semantic === undefined ? c.kind : `${c.kind}/${c.semantic.type}`,
    })),
    csvBytes,
    passes,
    median,
    target: SPEED_TARGET,
    pass: median.rowsPerSecond >= SPEED_TARGET,
  };
};

interface Options {
  tables: TableSpec[];
  speedRows: number;
  seed: number;
}

const optionsOf = (args: string[]): Options => {
  const options: Options = { tables: TABLES, speedRows: 1_000_000, seed: 2026 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    if (arg === '--no-speed') options.speedRows = 0;
    else if (arg === '--speed-rows' && value !== undefined) {
      options.speedRows = Number(value);
      i++;
    } else if (arg === '--seed' && value !== undefined) {
      options.seed = Number(value);
      i++;
    } else if (arg === '--tables' && value !== undefined) {
      const names = value.split(',');
      const unknown = names.filter((n) => !TABLES.some((t) => t.name === n));
      if (unknown.length > 0)
        throw new Error(
          `unknown table ${unknown.join(', ')}; known: ${TABLES.map((t) => t.name).join(', ')}`,
        );
      options.tables = TABLES.filter((t) => names.includes(t.name));
      i++;
    } else
      throw new Error(`unknown option ${arg}; options: --tables a,b  --speed-rows N  --no-speed  --seed N`);
  }
  if (!Number.isInteger(options.speedRows) || options.speedRows < 0)
    throw new Error('--speed-rows takes a whole number');
  return options;
};

const verdict = (pass: boolean): string => (pass ? 'PASS' : 'MISS');

const printQuality = (results: TableResult[]): void => {
  const header = [
    'table',
    'rows',
    'cols',
    'overall',
    'shapes',
    'pairs',
    'ceiling',
    'ratio',
    'at n(holdout)',
    'SDV GC',
    'beats',
    'fit s',
    'sample rows/s',
  ];
  const rows: Row[] = results.map((r) => [
    r.table,
    count(r.rows),
    `${r.scoredColumns}/${r.columns}`,
    fixed(r.quality.overall),
    fixed(r.quality.shapes),
    fixed(r.quality.pairTrends),
    fixed(r.ceiling.overall),
    fixed(r.ratio),
    fixed(r.qualityAtHoldoutSize.overall),
    r.sdv === null ? '—' : fixed(r.sdv),
    r.beatsSdv === null ? '—' : r.beatsSdv ? 'yes' : 'no',
    fixed(r.fitSeconds, 2),
    count(r.sampleRowsPerSecond),
  ]);
  console.log('Quality (SDMetrics-style, synthetic vs train; ceiling = holdout vs train)');
  console.log(textTable(header, rows));
  console.log(
    '\ncols: scored/all (PII, id and free-text columns are not scored); ratio: overall / ceiling; ' +
      "at n(holdout): overall with the synthetic side cut to the holdout's size, as noisy as the ceiling; " +
      'sample rows/s includes writing CSV (small tables mostly time the warm-up).',
  );
  for (const r of results) {
    console.log(
      `\n${r.table}: weakest column shapes (train ${count(r.trainRows)}, holdout ${count(r.holdoutRows)} rows)`,
    );
    console.log(
      textTable(
        ['column', 'kind', 'metric', 'synthetic', 'ceiling', `rare<${RARE_MIN}`],
        r.columnShapes
          .slice(0, WEAKEST_SHOWN)
          .map((c) => [
            c.name,
            c.kind,
            c.metric,
            fixed(c.synthetic),
            fixed(c.ceiling),
            c.rareShare === undefined ? '—' : `${(c.rareShare * 100).toFixed(1)}%`,
          ]),
      ),
    );
    if (r.weakestPairs.length > 0) {
      console.log(
        textTable(
          ['weakest pair', 'metric', 'synthetic', 'ceiling'],
          r.weakestPairs.map((p) => [p.columns.join(' × '), p.metric, fixed(p.synthetic), fixed(p.ceiling)]),
        ),
      );
    }
    for (const s of r.skipped) console.log(`  not scored: ${s.name} (${s.reason})`);
  }
};

const printSpeed = (s: SpeedResult): void => {
  console.log(
    `\nSampling speed: ${count(s.rows)} rows of a 10-column mixed table written as CSV, one core, ` +
      `${s.passes.length} passes (the median one counts)`,
  );
  console.log(`  columns: ${s.columns.map((c) => `${c.name} (${c.kind})`).join(', ')}`);
  console.log(
    textTable(
      ['pass', 'rows', 'sample s', 'csv s', 'rows/s', 'rows/s before csv', 'CSV MB'],
      s.passes.map((p, i) => [
        p === s.median ? `${i + 1} (median)` : String(i + 1),
        count(s.rows),
        fixed(p.sampleSeconds, 2),
        fixed(p.csvSeconds, 2),
        count(p.rowsPerSecond),
        count(p.sampleOnlyRowsPerSecond),
        fixed(s.csvBytes / 1e6, 1),
      ]),
    ),
  );
};

export const run = async (args: string[]): Promise<unknown> => {
  const options = optionsOf(args);
  const started = performance.now();
  const tables: TableResult[] = [];
  for (const spec of options.tables) tables.push(await qualityOf(spec, options.seed));
  printQuality(tables);
  const speed = options.speedRows > 0 ? await speedOf(options.speedRows, options.seed) : null;
  if (speed !== null) printSpeed(speed);

  console.log('\nTargets');
  for (const r of tables) {
    console.log(
      `  ${verdict(r.ratio !== null && r.ratio >= CEILING_RATIO_TARGET)}  ${r.table}: quality/ceiling ` +
        `${fixed(r.ratio)} (target >= ${CEILING_RATIO_TARGET})`,
    );
    if (r.sdv !== null)
      console.log(
        `  ${verdict(r.beatsSdv === true)}  ${r.table}: quality ${fixed(r.quality.overall)} vs SDV GaussianCopula ${fixed(r.sdv)}`,
      );
  }
  if (speed !== null)
    console.log(
      `  ${verdict(speed.pass)}  sampling: ${count(speed.median.rowsPerSecond)} rows/s as CSV (target >= ${count(SPEED_TARGET)})`,
    );
  const seconds = since(started);
  console.log(`\n${fixed(seconds, 1)} s in all, seed ${options.seed}`);
  return {
    seed: options.seed,
    trainShare: TRAIN_SHARE,
    rareCategoryMin: RARE_MIN,
    targets: { ceilingRatio: CEILING_RATIO_TARGET, rowsPerSecond: SPEED_TARGET },
    tables,
    speed,
    seconds,
  };
};
