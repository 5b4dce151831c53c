/**
 * Profiles a seed in one streaming pass, in bounded memory. Steps:
 * 1. open the seed (format, compression, delimiter, header; bad input fails here or mid-stream);
 * 2. per row: every cell into its column's statistics; the row to the holdout or the train part
 *    by a seeded hash of its index, and into that part's seeded reservoir sample;
 * 3. per column: infer the kind, apply the spec's overrides, detect PII, summarize, raise alerts;
 * 4. null tokens ('NA', 'null'…) in typed columns and blank cells become null in the samples.
 * The same seed and the same bytes give the same profile and the same samples.
 */
import {
  type ColumnProfile,
  type DatasetSpec,
  IDENTIFYING,
  type Profile,
  Profile as ProfileSchema,
  parse,
} from '../contracts.ts';
import { openSeed } from '../formats/read-seed.ts';
import { createRng, deriveSeed, type Rng } from '../random.ts';
import type { Cell, Table } from '../table.ts';
import { ColumnStats, detach, type Inferred, mix32, NULL_TOKENS } from './infer.ts';
import { detectSemantic, type SemanticDetection } from './pii.ts';

export interface ProfileOptions {
  seed: number;
  /** Size of the seed object, when the caller knows it (else the bytes read). */
  bytes?: number;
  /** Share of rows set aside for the privacy gate's holdout (default 0.2). */
  holdoutShare?: number;
  trainSampleSize?: number;
  holdoutSampleSize?: number;
  overrides?: DatasetSpec['columns'];
}

export interface ProfiledSeed {
  profile: Profile;
  /** A uniform sample of the train rows (all columns, PII included). */
  train: Table;
  /** A uniform sample of the holdout rows, disjoint from every train row. */
  holdout: Table;
}

/** Algorithm R: after n offers every offered row is in the sample with the same probability. */
class Reservoir {
  readonly rows: Cell[][] = [];
  private offered = 0;

  constructor(
    private readonly size: number,
    private readonly rng: Rng,
  ) {}

  /** Takes `row` itself (the reader hands out a fresh array per row) when it is kept. */
  offer(row: Cell[]): void {
    const n = this.offered++;
    const j = n < this.size ? n : this.rng.int(n + 1);
    if (j >= this.size) return;
    for (let c = 0; c < row.length; c++) {
      const cell = row[c];
      if (cell !== null && cell !== undefined) row[c] = detach(cell);
    }
    this.rows[j] = row;
  }
}

/** Whether row `index` belongs to the holdout: a pure function of (seed, index). */
export const holdoutSplitter = (seed: number, share: number): ((index: number) => boolean) => {
  const base = deriveSeed(seed, 'holdout');
  const cut = share * 4294967296;
  return (index) => mix32((base ^ mix32(index >>> 0) ^ Math.floor(index / 4294967296)) >>> 0) < cut;
};

const pct = (x: number): string => `${Math.round(x * 100)}%`;

const alertsFor = (
  kind: ColumnProfile['kind'],
  inferred: Inferred,
  summary: ReturnType<ColumnStats['summarize']>,
  topCount: number,
): string[] => {
  const alerts: string[] = [];
  const { rows, nulls, count, distinct } = summary;
  if (count > 0 && distinct === 1) alerts.push('constant: every non-null value is the same');
  if (summary.unique && (kind === 'id' || kind === 'integer' || kind === 'categorical')) {
    alerts.push('unique: every non-null value is distinct (ID-like)');
  }
  if (inferred.highCardinality) alerts.push(`high-cardinality: ${distinct} distinct values in ${count}`);
  if (rows > 0 && nulls / rows > 0.5) alerts.push(`high-missing: ${pct(nulls / rows)} of values are missing`);
  if ((kind === 'categorical' || kind === 'boolean') && distinct > 1 && count > 0 && topCount / count > 0.9) {
    alerts.push(`imbalanced: the most frequent value holds ${pct(topCount / count)} of non-null values`);
  }
  if (summary.skewness !== undefined && Math.abs(summary.skewness) > 2) {
    alerts.push(`skewed: skewness ${summary.skewness.toFixed(1)}`);
  }
  if (summary.distinctEstimated)
    alerts.push(`distinct-estimated: over ${count} values the distinct count is a sketch estimate`);
  return alerts;
};

/** Identifying values are regenerated, never modelled: the column is text (a UUID stays an id). */
const kindForSemantic = (kind: ColumnProfile['kind'], semantic: SemanticDetection | undefined) => {
  if (semantic === undefined || !IDENTIFYING.has(semantic.type)) return kind;
  if (kind === 'date' || kind === 'datetime') return kind;
  return semantic.type === 'uuid' ? 'id' : 'text';
};

export const profileSource = async (
  source: AsyncIterable<Uint8Array>,
  name: string,
  options: ProfileOptions,
): Promise<ProfiledSeed> => {
  const overrides = options.overrides ?? {};
  const reader = await openSeed(source, name);
  const { columns } = reader;
  const width = columns.length;
  const stats = columns.map((c) => new ColumnStats(c));
  const inHoldout = holdoutSplitter(options.seed, options.holdoutShare ?? 0.2);
  const train = new Reservoir(
    options.trainSampleSize ?? 50_000,
    createRng(deriveSeed(options.seed, 'sample', 'train')),
  );
  const holdout = new Reservoir(
    options.holdoutSampleSize ?? 10_000,
    createRng(deriveSeed(options.seed, 'sample', 'holdout')),
  );

  let index = 0;
  for await (const batch of reader.batches()) {
    for (const row of batch) {
      for (let c = 0; c < width; c++) stats[c]!.add(row[c]!);
      (inHoldout(index) ? holdout : train).offer(row);
      index++;
    }
  }

  const warnings = [...reader.warnings];
  for (const column of Object.keys(overrides)) {
    if (!columns.includes(column))
      warnings.push(`the spec overrides column "${column}", which ${name} does not have`);
  }

  const tokensAreNull: boolean[] = [];
  const profiles = stats.map((s, i): ColumnProfile => {
    const override = overrides[s.name];
    const inferred = s.infer(override?.kind);
    tokensAreNull[i] = inferred.tokensAreNull;
    const first = s.summarize(inferred, { keepTop: false });
    let semantic: SemanticDetection | undefined;
    if (override?.semantic === null) semantic = undefined;
    else if (override?.semantic !== undefined) {
      semantic = { type: override.semantic, confidence: 1, evidence: 'set by the dataset spec' };
    } else {
      semantic = detectSemantic({
        name: s.name,
        kind: inferred.kind,
        values: first.sample,
        distinctRatio: first.count > 0 ? first.distinct / first.count : 0,
      });
    }
    const kind = override?.kind ?? kindForSemantic(inferred.kind, semantic);
    const final: Inferred = {
      ...inferred,
      kind,
      highCardinality: inferred.highCardinality && kind === inferred.kind,
    };
    const keepTop = semantic === undefined && kind !== 'id' && kind !== 'text';
    const summary = s.summarize(final, { keepTop });
    const identifying = semantic !== undefined && IDENTIFYING.has(semantic.type);
    const profile: ColumnProfile = {
      name: s.name,
      index: i,
      kind,
      count: summary.count,
      nulls: summary.nulls,
      nullRate: summary.rows > 0 ? summary.nulls / summary.rows : 0,
      distinct: summary.distinct,
      top: summary.top,
      alerts: alertsFor(kind, final, summary, summary.top[0]?.count ?? 0),
    };
    if (final.format !== undefined && (kind === 'date' || kind === 'datetime')) profile.format = final.format;
    if (final.decimals !== undefined && kind === 'float') profile.decimals = final.decimals;
    // An identifying column's extremes are seed values (a phone number, a card): they stay out.
    if (!identifying) {
      if (summary.min !== undefined) profile.min = summary.min;
      if (summary.max !== undefined) profile.max = summary.max;
      if (summary.mean !== undefined) profile.mean = summary.mean;
      if (summary.std !== undefined) profile.std = summary.std;
    }
    if (semantic !== undefined) profile.semantic = semantic;
    return profile;
  });

  const clean = (rows: Cell[][]): Cell[][] => {
    for (const row of rows) {
      for (let c = 0; c < width; c++) {
        const cell = row[c];
        if (cell === null || cell === undefined) continue;
        const v = cell.trim();
        if (v === '' || (tokensAreNull[c] === true && NULL_TOKENS.has(v))) row[c] = null;
      }
    }
    return rows;
  };

  const profile = parse(
    ProfileSchema,
    {
      version: 1,
      source: {
        name,
        bytes: options.bytes ?? reader.bytesRead,
        format: reader.format,
        compression: reader.compression,
        ...(reader.delimiter === undefined ? {} : { delimiter: reader.delimiter }),
      },
      rows: index,
      columns: profiles,
      warnings,
    } satisfies Profile,
    `profile of ${name}`,
  );
  return {
    profile,
    train: { columns: [...columns], rows: clean(train.rows) },
    holdout: { columns: [...columns], rows: clean(holdout.rows) },
  };
};
