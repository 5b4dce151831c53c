/**
 * k-anonymity and rare combinations on the quasi-identifiers: attributes that single nobody out
 * alone but do together (ZIP code, birth date and sex identify most people). Steps:
 *  1. take the quasi-identifiers shared by the output and both samples, compared exactly (canonical
 *     text: '1.50' equals '1.5');
 *  2. draw equal-size train and holdout samples, so "rare" means the same in both: combinations
 *     seen fewer than k_min times are rare;
 *  3. stream the output: count its combinations (the smallest count is the output's k) and note
 *     which rare train and rare holdout combinations reappear;
 *  4. risk = (reappearance of rare train combinations - that of rare holdout ones) / (1 - the
 *     latter); the holdout share is what a model that learned only the population shows.
 */
import type { Profile } from '../../contracts.ts';
import { formatCount, formatList, formatPercent } from '../../quality/format.ts';
import { createRng, deriveSeed } from '../../random.ts';
import type { Table } from '../../table.ts';
import type { Check } from '../gate.ts';
import { attackRisk, formatRisk, MIN_ATTEMPTS, pickRows, riskVerdict, rowKey } from './shared.ts';

/**
 * Highest rare-combination risk allowed by default. Lower than the attacks' threshold: reappearing
 * combinations are direct evidence, and an honest copula stays within a few percent of its control.
 */
export const DEFAULT_RARE_RISK_MAX = 0.05;
/** Smallest equivalence class size the policy asks for by default. */
export const DEFAULT_K_MIN = 5;
/** Most distinct output combinations counted for k; past it, k is computed on those counted. */
const MAX_CLASSES = 1_000_000;
/** Most rows of each reference sample used. */
const MAX_REFERENCE = 50_000;

/** Name tokens of the classic quasi-identifiers (Sweeney: ZIP code, birth date and sex). */
const QUASI_TOKENS = new Set([
  'zip',
  'zipcode',
  'postcode',
  'postal',
  'plz',
  'birth',
  'birthdate',
  'birthday',
  'dob',
  'born',
  'sex',
  'gender',
  'age',
  'city',
  'town',
  'state',
  'region',
  'geo',
  'county',
  'province',
  'district',
]);

/** Splits a column name into lowercase tokens: snake, kebab, spaces and camelCase. */
const tokens = (name: string): string[] =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');

/**
 * Quasi-identifiers proposed from the profile: columns named like ZIP/postcode, birth date, sex,
 * age or a place, or detected as a postal code or a date of birth. Identifier columns (unique by
 * design) and free text are left out. Token matching, so 'stage' or 'page' is not an age.
 */
export const proposeQuasiIdentifiers = (profile: Profile): string[] =>
  profile.columns
    .filter((c) => {
      if (c.kind === 'id' || c.kind === 'text') {
        return c.semantic?.type === 'postal_code' || c.semantic?.type === 'date_of_birth';
      }
      if (c.semantic?.type === 'postal_code' || c.semantic?.type === 'date_of_birth') return true;
      if (c.semantic !== undefined) return false;
      return tokens(c.name).some((t) => QUASI_TOKENS.has(t));
    })
    .map((c) => c.name);

export interface RareCombinationInput {
  train: Table;
  holdout: Table;
  quasiIdentifiers: readonly string[];
  seed: number;
  /** Combinations seen fewer times than this in a sample are rare; DEFAULT_K_MIN when left out. */
  kMin?: number;
  /** Highest acceptable risk; DEFAULT_RARE_RISK_MAX when left out. */
  threshold?: number;
}

export interface RareCombinationWatch {
  add(shard: Table): void;
  finish(): Check;
}

const ID = 'rare-combinations';
const TITLE = 'Rare combinations of quasi-identifiers in the training data do not reappear in the output';

const combinations = (table: Table, names: readonly string[], rows: number[]): Map<string, number> => {
  const at = names.map((n) => table.columns.indexOf(n));
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = rowKey(table.rows[r]!, at);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
};

const rareOf = (counts: Map<string, number>, kMin: number): Set<string> =>
  new Set([...counts].filter(([, n]) => n < kMin).map(([key]) => key));

/** Streams the output shard by shard (bounded memory), then judges. */
export const createRareCombinationWatch = (input: RareCombinationInput): RareCombinationWatch => {
  const { train, holdout, seed } = input;
  const kMin = input.kMin ?? DEFAULT_K_MIN;
  const threshold = input.threshold ?? DEFAULT_RARE_RISK_MAX;
  // Compared exactly, whatever their kind: a ZIP code or a birth date is matched as written.
  const inSamples = input.quasiIdentifiers.filter(
    (q) => train.columns.includes(q) && holdout.columns.includes(q),
  );
  const missing = input.quasiIdentifiers.filter((q) => !inSamples.includes(q));
  const size = Math.min(train.rows.length, holdout.rows.length, MAX_REFERENCE);
  const rng = createRng(deriveSeed(seed, 'privacy-attack', ID));
  const trainRows = pickRows(train, size, rng);
  const holdoutRows = pickRows(holdout, size, rng);

  let names: string[] | undefined;
  let rareTrain = new Set<string>();
  let rareHoldout = new Set<string>();
  const seen = new Set<string>();
  const classes = new Map<string, number>();
  let truncated = false;
  let rows = 0;

  const add = (shard: Table): void => {
    if (names === undefined) {
      names = inSamples.filter((n) => shard.columns.includes(n));
      for (const n of inSamples) if (!names.includes(n)) missing.push(n);
      if (names.length > 0) {
        rareTrain = rareOf(combinations(train, names, trainRows), kMin);
        rareHoldout = rareOf(combinations(holdout, names, holdoutRows), kMin);
      }
    }
    if (names.length === 0) return;
    const at = names.map((n) => shard.columns.indexOf(n));
    for (const row of shard.rows) {
      rows++;
      const key = rowKey(row, at);
      if (rareTrain.has(key) || rareHoldout.has(key)) seen.add(key);
      const n = classes.get(key);
      if (n !== undefined) classes.set(key, n + 1);
      else if (classes.size < MAX_CLASSES) classes.set(key, 1);
      else truncated = true;
    }
  };

  const finish = (): Check => {
    const base = { id: ID, title: TITLE, threshold };
    const used = names ?? [];
    const missingNote =
      missing.length > 0
        ? ` Not checked (absent from the output or the samples): ${formatList(missing)}.`
        : '';
    if (used.length === 0 || rows === 0 || size === 0) {
      return {
        ...base,
        figure: 0,
        verdict: 'inconclusive',
        detail:
          (input.quasiIdentifiers.length === 0
            ? 'No quasi-identifiers were named or proposed, so no combination was checked.'
            : rows === 0 || size === 0
              ? 'The output or a reference sample is empty, so nothing was checked.'
              : 'None of the quasi-identifiers is present in both the output and the reference samples.') +
          missingNote,
      };
    }
    let k = Number.POSITIVE_INFINITY;
    let small = 0;
    for (const n of classes.values()) {
      if (n < k) k = n;
      if (n < kMin) small += n;
    }
    const count = (rare: Set<string>): number => [...rare].filter((key) => seen.has(key)).length;
    const trainBack = count(rareTrain);
    const holdoutBack = count(rareHoldout);
    const { figure, interval, pTrain, pControl } = attackRisk(
      trainBack,
      rareTrain.size,
      holdoutBack,
      rareHoldout.size,
    );
    const enough = rareTrain.size >= MIN_ATTEMPTS && rareHoldout.size >= MIN_ATTEMPTS;
    const verdict = riskVerdict(figure, interval, threshold, enough);
    const measured =
      `On the quasi-identifiers ${formatList(used)}, the output's smallest group of identical rows holds ` +
      `${formatCount(k)} ${k === 1 ? 'row' : 'rows'} (k = ${formatCount(k)}${truncated ? ', among the first ' + formatCount(MAX_CLASSES) + ' combinations' : ''}); ` +
      `${formatCount(small)} of ${formatCount(rows)} output rows (${formatPercent(small / rows)}) fall in groups ` +
      `smaller than ${kMin}. Of the combinations rarer than ${kMin} among ${formatCount(size)} training rows, ` +
      `${formatPercent(pTrain)} (${formatCount(trainBack)} of ${formatCount(rareTrain.size)}) reappear in the output; ` +
      `of those rare among as many unseen holdout rows, ${formatPercent(pControl)} ` +
      `(${formatCount(holdoutBack)} of ${formatCount(rareHoldout.size)}). Rare-combination risk: ` +
      `${formatRisk(figure, interval)}, against at most ${formatPercent(threshold)} allowed.`;
    const note =
      verdict === 'fail'
        ? ' The output reproduces rare combinations that point at people whose records trained the model.'
        : !enough
          ? ` Too few rare combinations to judge (at least ${MIN_ATTEMPTS} on each side are needed).`
          : verdict === 'inconclusive'
            ? ' The figure is above the threshold but its interval reaches below it: too few rows to tell.'
            : '';
    return { ...base, figure, interval, baseline: pControl, verdict, detail: measured + note + missingNote };
  };

  return { add, finish };
};

/** The same check on an output held in one table. */
export const rareCombinationCheck = (input: RareCombinationInput & { synthetic: Table }): Check => {
  const watch = createRareCombinationWatch(input);
  watch.add(input.synthetic);
  return watch.finish();
};
