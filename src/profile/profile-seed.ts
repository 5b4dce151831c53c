/**
 * Profiles a seed in one streaming pass, in bounded memory. Steps:
 * 1. open the seed (format, compression, delimiter, header; bad input fails here or mid-stream);
 * 2. per row: every cell into its column's statistics; the row to the holdout or the train part
 *    by a seeded hash of its index, and into that part's seeded reservoir sample;
 * 3. per column: infer the kind, apply the spec's overrides, detect PII, summarize, raise alerts;
 * 4. null tokens ('NA', 'null'…) in typed columns and blank cells become null in the samples.
 * The same seed and the same bytes give the same profile and the same samples.
 */

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  type ColumnProfile,
  type DatasetSpec,
  IDENTIFYING,
  type Profile,
  Profile as ProfileSchema,
  parse,
} from '../contracts.ts';
import { sniffDelimiter } from '../formats/delimited.ts';
import { checkHead, openSeed, SNIFF_BYTES, uniqueColumns } from '../formats/read-seed.ts';
import { createRng, deriveSeed, type Rng } from '../random.ts';
import type { Cell, Table } from '../table.ts';
import { ColumnStats, detach, type Inferred, mix32, NULL_TOKENS } from './infer.ts';
import { detectSemantic, type SemanticDetection } from './pii.ts';
import { Fallback, scanDelimitedFile } from './scan-file.ts';

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
  /**
   * Per column (by index), numeric columns only: [probability, value] at QUANTILE_PROBS, exact
   * below the distinct cap and from a KLL sketch past it. Not in the Profile contract yet.
   */
  quantiles: ([number, number][] | undefined)[];
}

/**
 * A seeded uniform reservoir sample by Algorithm L (Li 1994): after the reservoir fills, the
 * number of rows to skip before the next kept one is drawn at once, so a row that will not be
 * kept costs a counter increment (it is never copied, and on the file path never decoded).
 */
export class Reservoir {
  readonly rows: Cell[][] = [];
  private offered = 0;
  private next = 0;
  private w = 1;
  private slot = -1;

  constructor(
    private readonly size: number,
    private readonly rng: Rng,
  ) {
    if (size > 0) {
      this.w = Math.exp(Math.log(this.uniform()) / size);
      this.next = size + this.skip();
    }
  }

  /** Counts one offered row; whether it is kept (then `keep` must follow with its cells). */
  wants(): boolean {
    const n = this.offered++;
    if (n < this.size) {
      this.slot = n;
      return true;
    }
    if (n !== this.next || this.size <= 0) return false;
    this.slot = this.rng.int(this.size);
    this.w *= Math.exp(Math.log(this.uniform()) / this.size);
    this.next = n + 1 + this.skip();
    return true;
  }

  /** Stores the wanted row (its strings copied off any larger buffer they may view). */
  keep(row: Cell[]): void {
    for (let c = 0; c < row.length; c++) {
      const cell = row[c];
      if (cell !== null && cell !== undefined) row[c] = detach(cell);
    }
    this.rows[this.slot] = row;
  }

  private uniform(): number {
    return 1 - this.rng.next(); // (0, 1]: log is finite
  }

  private skip(): number {
    const s = Math.floor(Math.log(this.uniform()) / Math.log(1 - this.w));
    return Number.isFinite(s) ? s : 0;
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

interface Pass {
  columns: string[];
  stats: ColumnStats[];
  train: Reservoir;
  holdout: Reservoir;
  rows: number;
  warnings: string[];
  source: Profile['source'];
}

const samplers = (options: ProfileOptions) => ({
  inHoldout: holdoutSplitter(options.seed, options.holdoutShare ?? 0.2),
  train: new Reservoir(
    options.trainSampleSize ?? 50_000,
    createRng(deriveSeed(options.seed, 'sample', 'train')),
  ),
  holdout: new Reservoir(
    options.holdoutSampleSize ?? 10_000,
    createRng(deriveSeed(options.seed, 'sample', 'holdout')),
  ),
});

export const profileSource = async (
  source: AsyncIterable<Uint8Array>,
  name: string,
  options: ProfileOptions,
): Promise<ProfiledSeed> => {
  const reader = await openSeed(source, name);
  const { columns } = reader;
  const width = columns.length;
  const stats = columns.map((c) => new ColumnStats(c));
  const { inHoldout, train, holdout } = samplers(options);

  let index = 0;
  for await (const batch of reader.batches()) {
    for (const row of batch) {
      for (let c = 0; c < width; c++) stats[c]!.add(row[c]!);
      const part = inHoldout(index) ? holdout : train;
      if (part.wants()) part.keep(row);
      index++;
    }
  }
  return summarizePass(name, options, {
    columns,
    stats,
    train,
    holdout,
    rows: index,
    warnings: reader.warnings,
    source: {
      name,
      bytes: options.bytes ?? reader.bytesRead,
      format: reader.format,
      compression: reader.compression,
      ...(reader.delimiter === undefined ? {} : { delimiter: reader.delimiter }),
    },
  });
};

/**
 * Profiles a local file: delimited text through the byte-level fast path (src/profile/scan-file.ts),
 * anything else — gzip, JSON Lines, input the fast path declines — through `profileSource`. The
 * result is the same as `profileSource` over the file's bytes.
 */
export const profileFile = async (
  path: string,
  name: string,
  options: ProfileOptions,
): Promise<ProfiledSeed> => {
  const stream = () => profileSource(createReadStream(path, { highWaterMark: 1 << 20 }), name, options);
  const head = Buffer.alloc(SNIFF_BYTES);
  const handle = await open(path, 'r');
  let headBytes: number;
  try {
    headBytes = (await handle.read(head, 0, SNIFF_BYTES, 0)).bytesRead;
  } finally {
    await handle.close();
  }
  const bytes = head.subarray(0, headBytes);
  if (headBytes === 0 || (bytes[0] === 0x1f && bytes[1] === 0x8b)) return stream();
  const text = new TextDecoder('utf-8').decode(bytes, { stream: true });
  const lead = text.trimStart()[0];
  if (lead === undefined || lead === '{' || lead === '[') return stream();
  try {
    checkHead(bytes, name, headBytes < SNIFF_BYTES);
  } catch {
    return stream();
  }
  const delimiter = sniffDelimiter(text, name);
  const { inHoldout, train, holdout } = samplers(options);
  let columns: string[] = [];
  let warnings: string[] = [];
  let stats: ColumnStats[] = [];
  let part = train;
  try {
    const result = await scanDelimitedFile(path, delimiter, {
      header: (cells) => {
        ({ columns, warnings } = uniqueColumns(cells, name));
        stats = columns.map((c) => new ColumnStats(c));
        return stats;
      },
      wants: (index) => {
        part = inHoldout(index) ? holdout : train;
        return part.wants();
      },
      keep: (cells) => part.keep(cells),
    });
    if (result.rows === 0) return stream(); // the streaming path names the problem
    return summarizePass(name, options, {
      columns,
      stats,
      train,
      holdout,
      rows: result.rows,
      warnings,
      source: {
        name,
        bytes: options.bytes ?? result.bytes,
        format: delimiter === '\t' ? 'tsv' : 'csv',
        compression: 'none',
        delimiter,
      },
    });
  } catch (error) {
    if (error instanceof Fallback) return stream();
    throw error;
  }
};

const summarizePass = (name: string, options: ProfileOptions, pass: Pass): ProfiledSeed => {
  const overrides = options.overrides ?? {};
  const { columns, stats, train, holdout } = pass;
  const width = columns.length;
  const warnings = [...pass.warnings];
  for (const column of Object.keys(overrides)) {
    if (!columns.includes(column))
      warnings.push(`the spec overrides column "${column}", which ${name} does not have`);
  }

  const tokensAreNull: boolean[] = [];
  const quantiles: ([number, number][] | undefined)[] = [];
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
    quantiles[i] = summary.quantiles;
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
      source: pass.source,
      rows: pass.rows,
      columns: profiles,
      warnings,
    } satisfies Profile,
    `profile of ${name}`,
  );
  return {
    profile,
    train: { columns: [...columns], rows: clean(train.rows) },
    holdout: { columns: [...columns], rows: clean(holdout.rows) },
    quantiles,
  };
};
