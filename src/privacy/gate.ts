/**
 * The privacy gate: does the synthetic output leak the seed? Shards stream through `add` (counters
 * plus a seeded reservoir sample of synthetic rows, so memory stays bounded whatever the row count);
 * `finish` runs the checks, each measured against the holdout, real rows the model never saw:
 *  1. pii-replay: every synthetic cell against the salted index of the seed's identifying values
 *     (zero tolerance, not a statistical test);
 *  2. exact-copies: synthetic rows repeating a train row, against the rate at which they repeat a
 *     holdout row of an equal-size sample (one-sided binomial test);
 *  3. dcr-share: share of synthetic rows nearer to train than to holdout (0.5 when honest);
 *  4. nndr: 10th-percentile nearest-neighbour distance ratio of synthetic rows to train over the same
 *     to holdout (1 when honest);
 *  5. membership-inference: AUC of telling train rows from holdout rows by their distance to the
 *     nearest synthetic row (0.5 when honest);
 *  6. closeness: chance a synthetic row lies nearer to the train rows than an unseen real row does
 *     (0.5 when honest); the one check a holdout that leaked into the model does not blind.
 * Checks 2–6 are a family of one-sided tests; Holm–Bonferroni holds the chance that clean data fails
 * any of them to the policy's family α. Distances are Gower (gower.ts), exact neighbours by brute
 * force over worker threads (nearest.ts). Details are written for a compliance reader and never
 * print a seed value.
 */
import { z } from 'zod';
import { IDENTIFYING, type Policy, type Profile } from '../contracts.ts';
import { ContractError } from '../errors.ts';
import { formatCount, formatInterval, formatList, formatPercent } from '../quality/format.ts';
import { Reservoir, sampleIndices, wilson } from '../quality/stats.ts';
import { columnRole } from '../quality/values.ts';
import { createRng, deriveSeed } from '../random.ts';
import type { Cell, Table } from '../table.ts';
import { attributeInferenceCheck } from './attacks/attribute-inference.ts';
import { createRareCombinationWatch, proposeQuasiIdentifiers } from './attacks/k-anonymity.ts';
import { linkabilityCheck } from './attacks/linkability.ts';
import { singlingOutCheck } from './attacks/singling-out.ts';
import { createCanaryWatch, nearCanaryTest } from './canaries.ts';
import { type Compared, gowerEncoder } from './gower.ts';
import { nearestNeighbours } from './nearest.ts';
import { normalizePii, type PiiIndex } from './pii-index.ts';
import {
  ascendingOrder,
  binomialUpperTail,
  exceedsP,
  holm,
  lowerScoreAuc,
  quantile,
  resampleCounts,
  standardDeviation,
  weightedQuantile,
} from './significance.ts';

export const CheckVerdict = z.enum(['pass', 'fail', 'inconclusive']);
export type CheckVerdict = z.infer<typeof CheckVerdict>;

export const Check = z.object({
  id: z.string(),
  title: z.string(),
  figure: z.number(),
  threshold: z.number(),
  /** 95% interval of the figure, where it is an estimate. */
  interval: z.tuple([z.number(), z.number()]).optional(),
  /** The figure real unseen data shows, where the threshold is relative to it. */
  baseline: z.number().optional(),
  /** One-sided p-value of the check's test (H0: no leak beyond the threshold). */
  pValue: z.number().optional(),
  /** The level that p-value was compared with, after Holm–Bonferroni over the family of tests. */
  alpha: z.number().optional(),
  /**
   * How to read figure and threshold: a share (0–1, shown as %), a ratio or AUC (shown as a number),
   * a count; and whether the threshold is a most (default) or a least.
   */
  unit: z.enum(['share', 'ratio', 'count']).optional(),
  bound: z.enum(['max', 'min']).optional(),
  verdict: CheckVerdict,
  detail: z.string(),
});
export type Check = z.infer<typeof Check>;

/** What row-level repair did: rows behind a failure dropped, fresh ones drawn, the gate run again. */
export const Repair = z.object({
  /** repaired: the second gate passed; failed: it did not, or replacements ran out; skipped: not tried. */
  outcome: z.enum(['repaired', 'failed', 'skipped']),
  /** Synthetic rows dropped, per check that flagged them (a row counts once, under its first reason). */
  dropped: z.record(z.string(), z.number().int().min(0)),
  /** Rows dropped in all (replacements flagged and drawn again included). */
  rowsDropped: z.number().int().min(0),
  /** Fresh rows that took their place. */
  rowsReplaced: z.number().int().min(0),
  /** Checks that failed before repair. */
  failedBefore: z.array(z.string()),
  detail: z.string(),
});
export type Repair = z.infer<typeof Repair>;

export const PrivacyResult = z.object({
  verdict: z.enum(['pass', 'fail']),
  checks: z.array(Check),
  repair: Repair.optional(),
  syntheticRows: z.number().int().min(0),
  /** Milliseconds spent per step (not part of the report: it differs run to run). */
  timings: z.record(z.string(), z.number()).optional(),
});
export type PrivacyResult = z.infer<typeof PrivacyResult>;

export interface PrivacyGateInput {
  profile: Profile;
  /** Reference samples, PII columns already dropped; their columns are a subset of the output's. */
  train: Table;
  holdout: Table;
  piiIndex: PiiIndex;
  policy: Policy;
  seed: number;
  /** Synthetic rows kept for the distance checks. */
  sampleSize?: number;
  /** Most rows of each reference sample (train, holdout: equal sizes) the distance checks use. */
  referenceSize?: number;
  /** Worker threads for the nearest-neighbour search (default 2). */
  threads?: number;
  /** Bootstrap rounds for the intervals (default 400). */
  bootstrapRounds?: number;
  /** Canary rows planted in the train part before fitting (canaries.ts); none for older runs. */
  canaries?: Table;
  /** Quasi-identifiers from the dataset spec; proposed from the profile when empty. */
  quasiIdentifiers?: string[];
  /**
   * Names: how many of the holdout's name values (person-name columns) also occur among the train's,
   * of how many. A common name is not a leak: seed names in the output are judged against this rate.
   * Left out, names are held to zero tolerance like every other identifier.
   */
  nameBaseline?: { matched: number; total: number };
}

/** Semantic types judged against the holdout's own rate of recurring, not zero tolerance. */
export const NAME_TYPES: ReadonlySet<string> = new Set(['person_name', 'first_name', 'last_name']);

/** The profile's columns of person names. */
const nameColumnsOf = (profile: Profile): string[] =>
  profile.columns
    .filter((c) => c.semantic !== undefined && NAME_TYPES.has(c.semantic.type))
    .map((c) => c.name);

/** The nameBaseline of two tables: holdout name cells whose value some train name cell has. */
export const nameBaselineOf = (
  profile: Profile,
  train: Table,
  holdout: Table,
): { matched: number; total: number } => {
  const names = nameColumnsOf(profile);
  const seen = new Set<string>();
  for (const name of names) {
    const i = train.columns.indexOf(name);
    if (i >= 0) for (const row of train.rows) if (row[i] != null) seen.add(normalizePii(row[i]!));
  }
  let matched = 0;
  let total = 0;
  for (const name of names) {
    const i = holdout.columns.indexOf(name);
    if (i < 0) continue;
    for (const row of holdout.rows) {
      const cell = row[i];
      if (cell === null || cell === undefined || cell.trim() === '') continue;
      total++;
      if (seen.has(normalizePii(cell))) matched++;
    }
  }
  return { matched, total };
};

export interface PrivacyGate {
  add(shard: Table): void;
  finish(): PrivacyResult;
}

/** Below this many holdout rows the distance checks are too noisy to judge. */
export const MIN_HOLDOUT_ROWS = 20;
const DEFAULT_SAMPLE = 10_000;
const DEFAULT_REFERENCE = 10_000;
/**
 * Column-distance evaluations one nearest-neighbour pass may spend (10,000 × 10,000 rows × 20 columns).
 * Narrow tables get larger reference samples for the same cost: a noisy copy can only be caught
 * against a sample that holds the row it copies.
 */
const PAIR_BUDGET = 2e9;
/**
 * How far the chance that an honest model re-creates a row exactly may exceed the product of the
 * row's value frequencies (columns are not independent): the margin of the distinctive-copy test.
 */
const DEPENDENCE_MARGIN = 10;
const PII_MEMO_PER_COLUMN = 4_096;
/** NNDR is read at this percentile: the synthetic rows that sit most distinctly on one real row. */
const NNDR_PERCENTILE = 0.1;

/** A Gower distance (0 to 1) to four decimals. */
const formatDistance = (d: number): string =>
  !Number.isFinite(d) ? 'unknown' : d === 0 ? '0' : d < 0.0001 ? 'below 0.0001' : d.toFixed(4);

/** Canonical text of a cell for exact matching: trimmed, numbers as numbers ('1.50' equals '1.5'). */
const canonical = (cell: Cell): string => {
  if (cell === null) return '\u0000';
  const text = cell.trim();
  if (text !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return String(Number(text));
  return text;
};

const rowKey = (row: Cell[], indices: number[]): string =>
  indices.map((i) => canonical(row[i] ?? null)).join('\u0001');

const indicesOf = (table: Table, names: string[], what: string): number[] =>
  names.map((name) => {
    const i = table.columns.indexOf(name);
    if (i < 0)
      throw new ContractError(`${what} has no column '${name}' (columns: ${table.columns.join(', ')})`);
    return i;
  });

const project = (table: Table, rows: number[], idx: number[]): Cell[][] =>
  rows.map((r) => idx.map((i) => table.rows[r]![i] ?? null));

const formatP = (p: number): string =>
  p < 0.0001 ? '< 0.0001' : p < 0.01 ? p.toFixed(4) : p.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');

const formatRatio = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** A statistical check before Holm: what it measured, its p-value, and how to word each outcome. */
interface Draft {
  check: Omit<Check, 'verdict' | 'detail' | 'pValue' | 'alpha'>;
  /** Why it could not be tested (then it is inconclusive and leaves the family). */
  untestable?: string;
  p?: number;
  /** The figure lies past the threshold (the direction a leak pushes it). */
  beyond: boolean;
  measured: string;
  failNote: string;
}

export const createPrivacyGate = (input: PrivacyGateInput): PrivacyGate => {
  const { profile, train, holdout, piiIndex, policy, seed } = input;
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  // Columns the samples hold that carry a distribution: PII, keys and free text never take part.
  const candidates: Compared[] = [];
  for (const name of train.columns) {
    const column = byName.get(name);
    const role = column === undefined ? 'categorical' : columnRole(column);
    if (role !== 'skip') {
      candidates.push({
        name,
        role,
        ...(column === undefined ? {} : { kind: column.kind }),
        ...(column?.format === undefined ? {} : { format: column.format }),
      });
    }
  }
  const reservoir = new Reservoir<Cell[]>(
    input.sampleSize ?? DEFAULT_SAMPLE,
    createRng(deriveSeed(seed, 'privacy-gate', 'reservoir')),
  );
  // Equal-size reference samples, so that a model which never saw the train rows is as near to (and
  // copies as often) one as the other: the null of every comparison is then exactly even.
  const budgeted = Math.floor(
    PAIR_BUDGET / (Math.max(1, input.sampleSize ?? DEFAULT_SAMPLE) * Math.max(1, candidates.length)),
  );
  const referenceSize = input.referenceSize ?? Math.max(DEFAULT_REFERENCE, budgeted);
  const size = Math.min(train.rows.length, holdout.rows.length, referenceSize);
  const subRng = createRng(deriveSeed(seed, 'privacy-gate', 'reference'));
  const trainSub = sampleIndices(train.rows.length, size, subRng);
  const holdoutSub = sampleIndices(holdout.rows.length, size, subRng);

  let compared: Compared[] | undefined;
  let trainKeys: Set<string> | undefined;
  let trainSubKeys: Set<string> | undefined;
  let holdoutSubKeys: Set<string> | undefined;
  let distinct: Distinctive | undefined;
  let distinctCopies = 0;
  let rows = 0;
  let shards = 0;
  /** Non-empty cells of name columns, the denominator of the names' replay rate. */
  let nameCells = 0;
  const nameColumns = new Set(nameColumnsOf(profile));
  let copies = 0;
  const matched = { train: 0, holdout: 0 };
  const hits = new Map<string, number>();
  // Category-like columns repeat a few values endlessly: remembering their answers saves the hashing.
  // Each column remembers its first values only, so columns of unique values cost no extra memory.
  const memos = new Map<string, Map<string, boolean>>();
  const isSeedValue = (column: string, value: string): boolean => {
    let memo = memos.get(column);
    if (memo === undefined) {
      memo = new Map();
      memos.set(column, memo);
    }
    let known = memo.get(value);
    if (known === undefined) {
      known = piiIndex.has(value);
      if (memo.size < PII_MEMO_PER_COLUMN) memo.set(value, known);
    }
    return known;
  };

  // Beside the family: canaries replayed, rare quasi-identifier combinations, the WP29 attacks.
  // These decide on their own 95 % intervals (fail only when the lower bound is past the limit).
  const canaryWatch =
    input.canaries !== undefined && input.canaries.rows.length > 0
      ? createCanaryWatch({ profile, canaries: input.canaries, train, holdout, seed })
      : undefined;
  const quasi = input.quasiIdentifiers?.length ? input.quasiIdentifiers : proposeQuasiIdentifiers(profile);
  const rareWatch = createRareCombinationWatch({
    train,
    holdout,
    quasiIdentifiers: quasi,
    seed,
    kMin: policy.kMin,
    threshold: policy.rareCombinationRiskMax,
  });

  const add = (shard: Table): void => {
    canaryWatch?.add(shard);
    rareWatch.add(shard);
    if (compared === undefined) {
      compared = candidates.filter((c) => shard.columns.includes(c.name));
      const names = compared.map((c) => c.name);
      const trainIdx = indicesOf(train, names, 'the train sample');
      const holdoutIdx = indicesOf(holdout, names, 'the holdout sample');
      trainKeys = new Set(train.rows.map((row) => rowKey(row, trainIdx)));
      trainSubKeys = new Set(trainSub.map((r) => rowKey(train.rows[r]!, trainIdx)));
      holdoutSubKeys = new Set(holdoutSub.map((r) => rowKey(holdout.rows[r]!, holdoutIdx)));
      distinct = distinctiveRows(train, trainIdx, holdout, holdoutIdx);
    }
    const shardIdx = indicesOf(
      shard,
      compared.map((c) => c.name),
      `synthetic shard ${shards}`,
    );
    shards++;
    for (const row of shard.rows) {
      for (let j = 0; j < shard.columns.length; j++) {
        const cell = row[j];
        if (cell === null || cell === undefined) continue;
        const column = shard.columns[j]!;
        if (nameColumns.has(column) && cell.trim() !== '') nameCells++;
        if (isSeedValue(column, cell)) hits.set(column, (hits.get(column) ?? 0) + 1);
      }
      if (shardIdx.length > 0) {
        const key = rowKey(row, shardIdx);
        if (trainKeys!.has(key)) {
          copies++;
          if (distinct!.keys.has(key)) distinctCopies++;
        }
        const inTrain = trainSubKeys!.has(key);
        const inHoldout = holdoutSubKeys!.has(key);
        // A row both samples hold is common, not a copy of anyone: it says nothing either way.
        if (inTrain && !inHoldout) matched.train++;
        else if (inHoldout && !inTrain) matched.holdout++;
      }
      reservoir.offer(() => shardIdx.map((i) => row[i] ?? null));
      rows++;
    }
  };

  const finish = (): PrivacyResult => {
    const timings: Record<string, number> = {};
    const timed = <T>(name: string, fn: () => T): T => {
      const start = performance.now();
      const out = fn();
      timings[name] = Math.round(performance.now() - start);
      return out;
    };
    const columns = compared ?? [];
    const replay = timed('pii-replay', () =>
      piiReplayCheck(hits, piiIndex, rows, {
        columns: nameColumns,
        cells: nameCells,
        baseline: input.nameBaseline,
        alpha: policy.familyAlpha,
      }),
    );
    const copiesDraft = timed('exact-copies', () =>
      exactCopiesDraft({
        columns,
        train,
        holdout,
        trainKeys,
        copies,
        matched,
        size,
        rows,
        policy,
        distinctCopies,
        chancePerRow: distinct?.chancePerRow ?? 0,
        distinctRows: distinct?.keys.size ?? 0,
      }),
    );
    const distance = distanceDrafts({
      columns,
      train,
      holdout,
      trainSub,
      holdoutSub,
      sample: reservoir.items,
      policy,
      seed,
      threads: input.threads,
      rounds: input.bootstrapRounds ?? 400,
      referenceSize,
      timings,
    });
    const drafts = [copiesDraft, ...distance];
    const synthetic: Table = { columns: columns.map((c) => c.name), rows: reservoir.items };
    const attack = { profile, train, holdout, synthetic, seed, threshold: policy.attackRiskMax };
    const others = [
      timed('canaries', () => canaryWatch?.finish() ?? noCanaries()),
      timed('rare-combinations', () => rareWatch.finish()),
      timed('singling-out', () => singlingOutCheck(attack)),
      timed('linkability', () => linkabilityCheck(attack)),
      timed('attribute-inference', () => attributeInferenceCheck(attack)),
    ];
    const checks = [replay, ...decide(drafts, policy.familyAlpha), ...others];
    return {
      verdict: checks.some((c) => c.verdict === 'fail') ? 'fail' : 'pass',
      checks,
      syntheticRows: rows,
      timings,
    };
  };

  return { add, finish };
};

/** Failures a row-level repair can address: each names the rows behind it. */
export const REPAIRABLE: ReadonlySet<string> = new Set([
  'pii-replay',
  'exact-copies',
  'canaries',
  'rare-combinations',
]);

export interface RowScreen {
  /** The check a row fails (one of REPAIRABLE), or undefined when it is clean. */
  reason(row: Cell[]): string | undefined;
}

/**
 * Names the synthetic rows behind row-level failures, for repair: a row holding an identifying
 * value of the seed (or of a canary), exactly repeating a training row or a canary, lying nearer to
 * a canary than the canary check allows, or carrying a quasi-identifier combination that is rare in
 * the training sample and absent from the holdout. `checks` limits it to the failures being
 * repaired, so clean rows are not thrown away for nothing. `synthetic` is the output being
 * repaired (its header, and the sample the canary check's nearness yardstick is measured on).
 */
export const createRowScreen = (
  input: Pick<
    PrivacyGateInput,
    'profile' | 'train' | 'holdout' | 'piiIndex' | 'policy' | 'canaries' | 'quasiIdentifiers' | 'seed'
  >,
  synthetic: Table,
  checks: ReadonlySet<string>,
): RowScreen => {
  const { profile, train, holdout, piiIndex, policy } = input;
  const { columns } = synthetic;
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  const shared = train.columns.filter((name) => {
    const column = byName.get(name);
    return columns.includes(name) && (column === undefined || columnRole(column) !== 'skip');
  });
  const outAt = shared.map((n) => columns.indexOf(n));
  const copyAt = checks.has('exact-copies') ? indicesOf(train, shared, 'the train sample') : [];
  const trainKeys = new Set(checks.has('exact-copies') ? train.rows.map((row) => rowKey(row, copyAt)) : []);
  const canaries = checks.has('canaries') ? input.canaries : undefined;
  const canaryKeys = new Set<string>();
  const canaryValues = new Set<string>();
  let nearCanary: ((row: readonly Cell[]) => boolean) | undefined;
  if (canaries !== undefined) {
    nearCanary = nearCanaryTest({ profile, canaries, train, holdout, seed: input.seed }, synthetic);
    const at = shared.map((n) => canaries.columns.indexOf(n));
    if (at.every((i) => i >= 0)) for (const row of canaries.rows) canaryKeys.add(rowKey(row, at));
    canaries.columns.forEach((name, j) => {
      const semantic = byName.get(name)?.semantic?.type;
      if (semantic === undefined || !IDENTIFYING.has(semantic)) return;
      for (const row of canaries.rows) {
        const cell = row[j];
        if (cell !== null && cell !== undefined && cell.trim() !== '') canaryValues.add(cell.trim());
      }
    });
  }
  let rareAt: number[] = [];
  const rare = new Set<string>();
  if (checks.has('rare-combinations')) {
    const quasi = (
      input.quasiIdentifiers?.length ? input.quasiIdentifiers : proposeQuasiIdentifiers(profile)
    ).filter((q) => train.columns.includes(q) && holdout.columns.includes(q) && columns.includes(q));
    if (quasi.length > 0) {
      rareAt = quasi.map((q) => columns.indexOf(q));
      const counts = new Map<string, number>();
      const trainAt = quasi.map((q) => train.columns.indexOf(q));
      for (const row of train.rows) {
        const key = rowKey(row, trainAt);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const holdoutAt = quasi.map((q) => holdout.columns.indexOf(q));
      const inHoldout = new Set(holdout.rows.map((row) => rowKey(row, holdoutAt)));
      for (const [key, n] of counts) if (n < policy.kMin && !inHoldout.has(key)) rare.add(key);
    }
  }
  const pii = checks.has('pii-replay');
  return {
    reason: (row) => {
      if (pii || canaryValues.size > 0) {
        for (const cell of row) {
          if (cell === null || cell === undefined) continue;
          if (canaryValues.has(cell.trim())) return 'canaries';
          if (pii && piiIndex.has(cell)) return 'pii-replay';
        }
      }
      if (outAt.length > 0 && (trainKeys.size > 0 || canaryKeys.size > 0)) {
        const key = rowKey(row, outAt);
        if (canaryKeys.has(key)) return 'canaries';
        if (trainKeys.has(key)) return 'exact-copies';
      }
      if (nearCanary?.(row) === true) return 'canaries';
      if (rare.size > 0 && rare.has(rowKey(row, rareAt))) return 'rare-combinations';
      return undefined;
    },
  };
};

const noCanaries = (): Check => ({
  id: 'canaries',
  title: 'Planted canary rows do not reappear',
  figure: 0,
  threshold: 0,
  verdict: 'inconclusive',
  detail:
    'No canary rows were planted for this run (it was profiled before canaries existed), so none could be looked for.',
});

/** Holm–Bonferroni over the testable drafts, then each draft's verdict and wording. */
const decide = (drafts: Draft[], alpha: number): Check[] => {
  const testable = drafts.filter((d) => d.untestable === undefined && d.p !== undefined);
  const entries = holm(
    testable.map((d) => d.p!),
    alpha,
  );
  const family =
    `Tested with ${testable.length} other statistical checks as one family: Holm–Bonferroni keeps the chance ` +
    `that data without any leak fails one of them by chance below ${formatPercent(alpha, 0)}.`;
  return drafts.map((draft): Check => {
    if (draft.untestable !== undefined || draft.p === undefined) {
      return { ...draft.check, verdict: 'inconclusive', detail: draft.untestable ?? draft.measured };
    }
    const entry = entries[testable.indexOf(draft)]!;
    const verdict = entry.reject && draft.beyond ? 'fail' : draft.beyond ? 'inconclusive' : 'pass';
    const test =
      ` One-sided p = ${formatP(entry.p)}, compared with ${formatP(entry.level)}. ` +
      family.replace(`${testable.length} other`, `${testable.length - 1} other`);
    const note =
      verdict === 'fail'
        ? ` ${draft.failNote}`
        : verdict === 'inconclusive'
          ? ' The figure is past the threshold but not by more than chance explains: too few rows to tell a leak from noise; a larger seed or holdout would decide.'
          : '';
    return {
      ...draft.check,
      pValue: entry.p,
      alpha: entry.level,
      verdict,
      detail: draft.measured + test + note,
    };
  });
};

const piiReplayCheck = (
  allHits: Map<string, number>,
  piiIndex: PiiIndex,
  rows: number,
  names: {
    columns: ReadonlySet<string>;
    cells: number;
    baseline: { matched: number; total: number } | undefined;
    alpha: number;
  },
): Check => {
  // Names, given the holdout's own rate: seed names recur in output as often as unseen people's
  // names recur in the seed, or the output replays them. Every other identifier: zero tolerance.
  let hits = allHits;
  let nameNote = '';
  const { baseline } = names;
  if (baseline !== undefined && baseline.total > 0 && names.columns.size > 0) {
    const nameHits = [...allHits].filter(([c]) => names.columns.has(c)).reduce((a, [, n]) => a + n, 0);
    const rate = baseline.matched / baseline.total;
    // Against the upper end of the holdout's rate, so its own sampling noise is not read as a leak.
    const ceiling = Math.min(1, wilson(baseline.matched, baseline.total)[1]);
    const p = binomialUpperTail(nameHits, names.cells, ceiling);
    const replayed = nameHits > 0 && p < names.alpha;
    if (!replayed) hits = new Map([...allHits].filter(([c]) => !names.columns.has(c)));
    nameNote =
      ` Names are judged against chance: ${formatCount(nameHits)} of ${formatCount(names.cells)} synthetic name ` +
      `cells (${formatPercent(names.cells > 0 ? nameHits / names.cells : 0, 2)}) equal a seed name, while ` +
      `${formatPercent(rate, 2)} of unseen people's names occur among the training names (one-sided binomial ` +
      `p = ${formatP(p)} against the upper end of that rate's 95% interval, at ${formatP(names.alpha)}); ` +
      (replayed
        ? 'the output repeats seed names more than chance does.'
        : 'common names recurring is not a leak.');
  }
  const total = [...hits.values()].reduce((a, b) => a + b, 0);
  const base = {
    id: 'pii-replay',
    title: 'No identifying value from the seed appears in the output',
    figure: total,
    threshold: 0,
  };
  if (total > 0) {
    const where = [...hits.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([column, n]) => `${column} (${formatCount(n)})`);
    return {
      ...base,
      verdict: 'fail',
      detail:
        `${formatCount(total)} synthetic ${total === 1 ? 'cell equals' : 'cells equal'} an identifying value ` +
        `(name, email, phone, ID number, address…) found in the seed, in ${formatList(where)}. ` +
        `Real personal data would be published; the values themselves are not shown here.${nameNote}`,
    };
  }
  if (rows === 0) {
    return { ...base, verdict: 'inconclusive', detail: 'The output has no rows, so nothing was checked.' };
  }
  if (piiIndex.truncated) {
    return {
      ...base,
      verdict: 'inconclusive',
      detail:
        'No synthetic cell matched, but the seed held more identifying values than the index keeps, ' +
        'so some seed values were not checked against.',
    };
  }
  return {
    ...base,
    verdict: 'pass',
    detail:
      piiIndex.size === 0
        ? 'The seed had no identifying values to index, so none can reappear in the output.'
        : nameNote !== ''
          ? `None of the ${formatCount(rows)} synthetic rows contains any identifying value found in the seed ` +
            `other than names, in any column.${nameNote}`
          : `None of the ${formatCount(rows)} synthetic rows contains any of the ${formatCount(piiIndex.size)} ` +
            'identifying values found in the seed, in any column.',
  };
};

interface Distinctive {
  /** Keys of train rows no other real row (train or holdout) repeats. */
  keys: Set<string>;
  /**
   * Expected exact re-creations of any of them by one synthetic row drawn from the real
   * distribution, were columns independent: the sum over those rows of their value frequencies'
   * product.
   */
  chancePerRow: number;
}

/**
 * Train rows that are one of a kind among the real rows, and how likely a model that learned only
 * the distribution is to re-create one of them exactly by chance. A row with a value seen once in
 * a column of many values is next to impossible to hit by chance; a copy of it is a copy.
 */
const distinctiveRows = (
  train: Table,
  trainIdx: number[],
  holdout: Table,
  holdoutIdx: number[],
): Distinctive => {
  const total = train.rows.length + holdout.rows.length;
  const counts = new Map<string, number>();
  const values = trainIdx.map(() => new Map<string, number>());
  const tally = (table: Table, idx: number[]): void => {
    for (const row of table.rows) {
      const cells = idx.map((i) => canonical(row[i] ?? null));
      const key = cells.join('\u0001');
      counts.set(key, (counts.get(key) ?? 0) + 1);
      cells.forEach((cell, j) => {
        values[j]!.set(cell, (values[j]!.get(cell) ?? 0) + 1);
      });
    }
  };
  tally(train, trainIdx);
  tally(holdout, holdoutIdx);
  const keys = new Set<string>();
  let chancePerRow = 0;
  for (const row of train.rows) {
    const cells = trainIdx.map((i) => canonical(row[i] ?? null));
    const key = cells.join('\u0001');
    if (counts.get(key) !== 1) continue;
    keys.add(key);
    let logP = 0;
    cells.forEach((cell, j) => {
      logP += Math.log((values[j]!.get(cell) ?? 1) / total);
    });
    chancePerRow += Math.exp(logP);
  }
  return { keys, chancePerRow };
};

/** P(X ≥ k) for X ~ Poisson(mean). */
const poissonUpperTail = (k: number, mean: number): number => {
  if (k <= 0) return 1;
  if (!(mean > 0)) return 0;
  // 1 - P(X ≤ k - 1), summed in log space; for the small means it meets the terms stay exact.
  let term = Math.exp(-mean);
  let below = term;
  for (let i = 1; i < k; i++) {
    term *= mean / i;
    below += term;
  }
  return below >= 1 ? Math.max(0, 1 - below) : 1 - below;
};

const exactCopiesDraft = (args: {
  columns: Compared[];
  train: Table;
  holdout: Table;
  trainKeys: Set<string> | undefined;
  copies: number;
  matched: { train: number; holdout: number };
  size: number;
  rows: number;
  policy: Policy;
  distinctCopies: number;
  chancePerRow: number;
  distinctRows: number;
}): Draft => {
  const { columns, train, holdout, trainKeys, copies, matched, size, rows, policy, distinctCopies } = args;
  const names = columns.map((c) => c.name);
  let holdoutCopies = 0;
  if (trainKeys !== undefined && names.length > 0) {
    const idx = indicesOf(holdout, names, 'the holdout sample');
    for (const row of holdout.rows) if (trainKeys.has(rowKey(row, idx))) holdoutCopies++;
  }
  const baseline = holdout.rows.length > 0 ? holdoutCopies / holdout.rows.length : 0;
  const threshold = baseline + policy.exactCopyExcess;
  const figure = rows > 0 ? copies / rows : 0;
  const check = {
    id: 'exact-copies',
    title: 'Synthetic rows do not copy real rows',
    figure,
    threshold,
    baseline,
  };
  if (rows === 0 || names.length === 0 || train.rows.length === 0 || holdout.rows.length === 0) {
    const why =
      rows === 0
        ? 'The output has no rows, so nothing was checked.'
        : names.length === 0
          ? 'There are no non-personal columns shared with the reference samples to compare rows on.'
          : 'A reference sample is empty, so there is nothing to compare copies with.';
    return { check, untestable: why, beyond: false, measured: why, failNote: '' };
  }
  const interval = wilson(copies, rows);
  const n = matched.train + matched.holdout;
  // Under no leak a synthetic row that repeats a row of exactly one of two equal-size samples repeats
  // the train one or the holdout one with even odds.
  const pSign = binomialUpperTail(matched.train, n, 0.5);
  // And against real unseen rows' own rate: given all copies made by synthetic and holdout rows
  // together, the synthetic rows' part follows their share of the rows when the rates are equal.
  // This one still sees a model that memorised holdout rows as well. Bonferroni over the two.
  const pRate = binomialUpperTail(copies, copies + holdoutCopies, rows / (rows + holdout.rows.length));
  // Small tables: a handful of copies is too few for either comparison with the holdout, but a copy
  // of a one-of-a-kind row is evidence by itself, judged against what chance could re-create.
  const expected = rows * args.chancePerRow * DEPENDENCE_MARGIN;
  const pDistinct = poissonUpperTail(distinctCopies, expected);
  const p = Math.min(1, 3 * Math.min(pSign, pRate, pDistinct));
  return {
    check: { ...check, interval },
    p,
    beyond: figure > threshold,
    measured:
      `${formatCount(copies)} of ${formatCount(rows)} synthetic rows (${formatPercent(figure, 2)}, 95% interval ` +
      `${formatInterval(interval, 2)}) exactly repeat a row of the training sample on the ${names.length} ` +
      `compared columns (${formatList(names)}); real rows the model never saw repeat one ` +
      `${formatPercent(baseline, 2)} of the time by chance, and the policy tolerates ` +
      `${formatPercent(policy.exactCopyExcess, 2)} above that (at most ${formatPercent(threshold, 2)}). ` +
      `Against equal samples of ${formatCount(size)} training and ${formatCount(size)} unseen rows, ` +
      `${formatCount(matched.train)} synthetic rows repeat a training row only and ${formatCount(matched.holdout)} ` +
      'an unseen row only; without a leak both are equally likely. ' +
      `${formatCount(distinctCopies)} synthetic ${distinctCopies === 1 ? 'row repeats' : 'rows repeat'} one of the ` +
      `${formatCount(args.distinctRows)} training rows that no other real row shares, where a model that learned ` +
      `only the distribution would re-create about ${expected < 0.01 ? expected.toExponential(1) : expected.toFixed(2)} ` +
      `(the product of their values' frequencies, times ${DEPENDENCE_MARGIN} for dependence between columns). ` +
      "Three one-sided tests (copies against the unseen rows' own rate, train-only against unseen-only repeats " +
      'as binomials, and one-of-a-kind copies against chance as a Poisson count), the smallest p-value tripled.',
    failNote: 'The model reproduces real training records.',
  };
};

/** Nearest over second-nearest distance; 0/0 (a row with two identical real twins) reads as 1. */
const ratios = (first: Float32Array, second: Float32Array): Float64Array =>
  Float64Array.from(first, (d1, i) => {
    const d2 = second[i]!;
    if (!(d2 > 0) || !Number.isFinite(d2)) return 1;
    return d1 / d2;
  });

const distanceDrafts = (args: {
  columns: Compared[];
  train: Table;
  holdout: Table;
  trainSub: number[];
  holdoutSub: number[];
  sample: Cell[][];
  policy: Policy;
  seed: number;
  threads: number | undefined;
  rounds: number;
  referenceSize: number;
  timings: Record<string, number>;
}): Draft[] => {
  const {
    columns,
    train,
    holdout,
    trainSub,
    holdoutSub,
    sample,
    policy,
    seed,
    rounds,
    timings,
    referenceSize,
  } = args;
  const titles = {
    dcr: {
      id: 'dcr-share',
      title: 'Synthetic rows are not closer to training rows than to unseen rows',
      threshold: policy.dcrShareMax,
    },
    nndr: {
      id: 'nndr',
      title: 'Synthetic rows do not single out training rows (nearest-neighbour distance ratio)',
      threshold: policy.nndrRatioMin,
      unit: 'ratio' as const,
      bound: 'min' as const,
    },
    mia: {
      id: 'membership-inference',
      title: 'An attacker cannot tell training rows from unseen rows by their distance to the output',
      threshold: policy.miaAucMax,
      unit: 'ratio' as const,
    },
    closeness: {
      id: 'closeness',
      title: 'Synthetic rows are not closer to training rows than unseen real rows are',
      threshold: policy.closenessAucMax,
      unit: 'ratio' as const,
    },
  };
  const size = trainSub.length;
  if (sample.length === 0 || columns.length === 0 || size === 0) {
    const why =
      sample.length === 0
        ? 'The output has no rows, so nothing was checked.'
        : columns.length === 0
          ? 'There are no non-personal columns shared with the reference samples to measure distance on.'
          : 'The reference samples are empty, so there is nothing to measure distance to.';
    return Object.values(titles).map((t) => ({
      check: { ...t, figure: 0 },
      untestable: why,
      beyond: false,
      measured: why,
      failNote: '',
    }));
  }
  const start = performance.now();
  const names = columns.map((c) => c.name);
  const encode = gowerEncoder(columns, [train, holdout]);
  const trainRef = encode(project(train, trainSub, indicesOf(train, names, 'the train sample')));
  const holdoutRef = encode(project(holdout, holdoutSub, indicesOf(holdout, names, 'the holdout sample')));
  const synthetic = encode(sample);
  // Closeness compares two sets of queries against one reference, so it can use more of the train
  // sample than the equal-size checks: a copy of any of those rows then sits at distance 0.
  const wide = Math.min(train.rows.length, Math.max(referenceSize, size));
  const trainWide =
    wide === size
      ? trainRef
      : encode(
          project(
            train,
            sampleIndices(train.rows.length, wide, createRng(deriveSeed(seed, 'privacy-gate', 'wide'))),
            indicesOf(train, names, 'the train sample'),
          ),
        );
  const wideJobs =
    trainWide === trainRef
      ? []
      : [
          { queries: synthetic, reference: trainWide, k: 1 as const },
          { queries: holdoutRef, reference: trainWide, k: 1 as const },
        ];
  const [synTrain, synHoldout, holdoutTrainSub, trainSyn, holdoutSyn, synWide, holdoutWide] =
    nearestNeighbours(
      [
        { queries: synthetic, reference: trainRef, k: 2 },
        { queries: synthetic, reference: holdoutRef, k: 2 },
        { queries: holdoutRef, reference: trainRef, k: 1 },
        { queries: trainRef, reference: synthetic, k: 1 },
        { queries: holdoutRef, reference: synthetic, k: 1 },
        ...wideJobs,
      ],
      args.threads === undefined ? {} : { threads: args.threads },
    );
  timings['nearest-neighbours'] = Math.round(performance.now() - start);
  const n = synthetic.rows;
  // Float32 sums of the same terms can differ in the last bits; closer than this is a tie.
  const eps = 1e-5 * columns.length;
  const small = holdout.rows.length < MIN_HOLDOUT_ROWS;
  const smallNote = ` The holdout sample has only ${holdout.rows.length} rows (fewer than ${MIN_HOLDOUT_ROWS}), too few to judge.`;
  const sizes = `measured on ${formatCount(n)} sampled synthetic rows and ${formatCount(size)} rows each of the training and unseen samples, over ${columns.length} columns`;
  const rng = (label: string) => createRng(deriveSeed(seed, 'privacy-gate', label));
  const drafts: Draft[] = [];

  let t = performance.now();
  {
    let closer = 0;
    let ties = 0;
    for (let q = 0; q < n; q++) {
      const dTrain = synTrain!.first[q]!;
      const dHoldout = synHoldout!.first[q]!;
      if (Math.abs(dTrain - dHoldout) <= eps) ties++;
      else if (dTrain < dHoldout) closer++;
    }
    const limit = policy.dcrShareMax;
    const score = closer + ties / 2;
    const figure = score / n;
    // Synthetic rows that share their nearest real row share their answer too: the share is only as
    // certain as the number of real rows behind it. Effective size: n² / Σ (rows per nearest real row)².
    const cluster = new Uint32Array(2 * size);
    for (let q = 0; q < n; q++) {
      const toTrain = synTrain!.first[q]! <= synHoldout!.first[q]!;
      cluster[toTrain ? synTrain!.nearest[q]! : size + synHoldout!.nearest[q]!]!++;
    }
    let squares = 0;
    for (const c of cluster) squares += c * c;
    const effective = Math.max(1, Math.min(n, (n * n) / squares));
    const interval = wilson(figure * effective, effective);
    const measured =
      `${formatPercent(figure)} of synthetic rows (95% interval ${formatInterval(interval)}) lie nearer to a ` +
      `training row than to any unseen row (ties count half), ${sizes}; rows that share their nearest real ` +
      `row count as one, an effective ${formatCount(Math.round(effective))} rows. About 50% is what a model ` +
      `that learned only the overall distribution shows; the policy allows at most ${formatPercent(limit)}.`;
    drafts.push({
      check: { ...titles.dcr, figure, interval },
      p: exceedsP(figure, Math.sqrt((limit * (1 - limit)) / effective), limit),
      beyond: figure > limit,
      measured,
      failNote: 'Synthetic rows sit unusually close to the records the model was trained on.',
      ...(small ? { untestable: measured + smallNote } : {}),
    });
  }
  timings['dcr-share'] = Math.round(performance.now() - t);

  t = performance.now();
  {
    const rTrain = ratios(synTrain!.first, synTrain!.second);
    const rHoldout = ratios(synHoldout!.first, synHoldout!.second);
    const orderTrain = ascendingOrder(rTrain);
    const orderHoldout = ascendingOrder(rHoldout);
    const ratioOf = (counts: ArrayLike<number>): number => {
      const a = weightedQuantile(rTrain, orderTrain, counts, NNDR_PERCENTILE);
      const b = weightedQuantile(rHoldout, orderHoldout, counts, NNDR_PERCENTILE);
      return b > 0 ? a / b : a > 0 ? Number.POSITIVE_INFINITY : 1;
    };
    const figure = ratioOf(new Uint32Array(n).fill(1));
    const random = rng('nndr-bootstrap');
    const counts = new Uint32Array(n);
    const boot = Float64Array.from({ length: rounds }, () => ratioOf(resampleCounts(n, random, counts)));
    const finite = boot.filter(Number.isFinite);
    const interval: [number, number] = [quantile(finite, 0.025), quantile(finite, 0.975)];
    const limit = policy.nndrRatioMin;
    const measured =
      `The 10th-percentile ratio of the distance to the nearest over the second-nearest real row is ` +
      `${formatRatio(figure)} times as large against training rows as against unseen rows (95% bootstrap ` +
      `interval ${formatRatio(interval[0])}–${formatRatio(interval[1])}), ${sizes}. A ratio near 1 means ` +
      `synthetic rows single out training records no more than unseen ones; the policy requires at least ` +
      `${formatRatio(limit)}.`;
    drafts.push({
      check: { ...titles.nndr, figure: Number.isFinite(figure) ? figure : 1e6, interval },
      p: exceedsP(figure, standardDeviation(finite), limit, false),
      beyond: figure < limit,
      measured,
      failNote: 'Many synthetic rows sit on one particular training record rather than among several.',
      ...(small ? { untestable: measured + smallNote } : {}),
    });
  }
  timings.nndr = Math.round(performance.now() - t);

  t = performance.now();
  {
    const { auc, interval, se } = lowerScoreAuc(trainSyn!.first, holdoutSyn!.first, rng('mia-bootstrap'), {
      eps,
      rounds,
    });
    const limit = policy.miaAucMax;
    const measured =
      `An attacker who calls a real row a training member when it lies close to some synthetic row tells ` +
      `training rows from unseen rows with an AUC of ${formatPercent(auc)} (95% bootstrap interval ` +
      `${formatInterval(interval)}; 50% is a coin toss), scoring ${formatCount(size)} rows of each against ` +
      `${formatCount(n)} sampled synthetic rows over ${columns.length} columns. The policy allows at most ${formatPercent(limit)}.`;
    drafts.push({
      check: { ...titles.mia, figure: auc, interval },
      p: exceedsP(auc, se, limit),
      beyond: auc > limit,
      measured,
      failNote: 'The output reveals which people were in the training data.',
      ...(small ? { untestable: measured + smallNote } : {}),
    });
  }
  timings['membership-inference'] = Math.round(performance.now() - t);

  t = performance.now();
  {
    const { auc, interval, se } = lowerScoreAuc(
      (synWide ?? synTrain)!.first,
      (holdoutWide ?? holdoutTrainSub)!.first,
      rng('closeness-bootstrap'),
      {
        eps,
        rounds,
      },
    );
    const limit = policy.closenessAucMax;
    // What distance checks can see at this data's density: copies moved less than real rows lie apart.
    // Summed over the columns; shown as the mean per column, a Gower distance from 0 to 1.
    const spacing = quantile((holdoutWide ?? holdoutTrainSub)!.first, 0.5) / columns.length;
    const synthetic = quantile((synWide ?? synTrain)!.first, 0.5) / columns.length;
    const measured =
      `Taking a synthetic row and an unseen real row at random, the synthetic one lies nearer to its closest ` +
      `training row ${formatPercent(auc)} of the time (95% bootstrap interval ${formatInterval(interval)}; ties ` +
      `count half), against ${formatCount(wide)} training rows. About 50% or less is what fresh draws from the distribution show; the policy ` +
      `allows at most ${formatPercent(limit)}. Unlike the checks against unseen rows, this one still sees ` +
      'a model that was fitted on the unseen rows too. ' +
      `The median distance from an unseen real row to its closest training row is ${formatDistance(spacing)}, ` +
      `from a synthetic row ${formatDistance(synthetic)} (Gower, the mean over the columns: 0 is identical, 1 ` +
      "as far apart as the seed's ranges allow). Distance checks tell copies of real rows moved less than " +
      'about that spacing from fresh draws; a copy moved further lies no nearer its source than real rows ' +
      'lie to one another.';
    drafts.push({
      check: { ...titles.closeness, figure: auc, interval },
      p: exceedsP(auc, se, limit),
      beyond: auc > limit,
      measured,
      failNote: 'Synthetic rows hug real records more tightly than real data does: the model memorised rows.',
      ...(small ? { untestable: measured + smallNote } : {}),
    });
  }
  timings.closeness = Math.round(performance.now() - t);
  return drafts;
};
