/**
 * Singling out (WP29 opinion 05/2014): can someone holding the synthetic data write down a
 * description that fits exactly one real person? Steps:
 *  1. draw equal-size samples of the train and holdout rows, and of the synthetic rows;
 *  2. build predicates from the synthetic rows: 1 to 3 attribute conditions taken from one synthetic
 *     row (category equal, number or date within a small share of the range), kept only when they
 *     fit exactly one synthetic row, as an intruder hunting for unusual people would;
 *  3. count how often a predicate fits exactly one train row, and exactly one holdout row (the
 *     control: people the model never saw, singled out by luck or by the population's shape alone);
 *  4. risk = (success on train - success on control) / (1 - success on control), with its interval.
 */
import { formatCount, formatPercent } from '../../quality/format.ts';
import { createRng, deriveSeed } from '../../random.ts';
import type { Check } from '../gate.ts';
import {
  type AttackInput,
  attackColumns,
  attackRisk,
  DEFAULT_ATTACK_ROWS,
  DEFAULT_RISK_MAX,
  type Encoded,
  encodeAttack,
  formatRisk,
  MIN_ATTEMPTS,
  riskVerdict,
  term,
} from './shared.ts';

export interface SinglingOutInput extends AttackInput {
  /** How many predicates to build; 1,000 when left out. */
  predicates?: number;
  /** A number or date matches within this share of its range; 0.005 when left out. */
  tolerance?: number;
}

const ID = 'singling-out';
const TITLE = 'The synthetic data does not let an intruder single out real people';

interface Predicate {
  columns: number[];
  values: number[];
}

/** How many rows the predicate fits, counting no further than `stop`. */
const matches = (
  p: Predicate,
  table: Encoded,
  numeric: Uint8Array,
  tolerance: number,
  stop: number,
): number => {
  let n = 0;
  const w = table.width;
  const v = table.values;
  for (let r = 0; r < table.rows && n < stop; r++) {
    let fits = true;
    for (let k = 0; k < p.columns.length && fits; k++) {
      const j = p.columns[k]!;
      fits = term(v[r * w + j]!, p.values[k]!, numeric[j] === 1) <= (numeric[j] === 1 ? tolerance : 0);
    }
    if (fits) n++;
  }
  return n;
};

export const singlingOutCheck = (input: SinglingOutInput): Check => {
  const { profile, train, holdout, synthetic, seed } = input;
  const threshold = input.threshold ?? DEFAULT_RISK_MAX;
  const wanted = input.predicates ?? 1_000;
  const tolerance = input.tolerance ?? 0.005;
  const columns = attackColumns(profile, [train, holdout, synthetic]);
  const size = Math.min(train.rows.length, holdout.rows.length, input.maxRows ?? DEFAULT_ATTACK_ROWS);
  const base = { id: ID, title: TITLE, threshold };
  if (columns.length === 0 || size === 0 || synthetic.rows.length === 0) {
    return {
      ...base,
      figure: 0,
      verdict: 'inconclusive',
      detail:
        columns.length === 0
          ? 'There are no non-personal columns shared by the output and the reference samples to build descriptions from.'
          : 'The output or a reference sample is empty, so nothing was attacked.',
    };
  }
  const rng = createRng(deriveSeed(seed, 'privacy-attack', ID));
  const {
    space,
    train: trainRef,
    holdout: holdoutRef,
    synthetic: synth,
  } = encodeAttack(input, columns, size, rng);
  const w = synth.width;

  const predicates: Predicate[] = [];
  for (let attempt = 0; attempt < wanted * 5 && predicates.length < wanted; attempt++) {
    const r = rng.int(synth.rows);
    const k = 1 + rng.int(Math.min(3, w));
    const chosen = new Set<number>();
    while (chosen.size < k) chosen.add(rng.int(w));
    const cols = [...chosen].sort((a, b) => a - b);
    const p = { columns: cols, values: cols.map((j) => synth.values[r * w + j]!) };
    if (matches(p, synth, space.numeric, tolerance, 2) === 1) predicates.push(p);
  }
  let trainHits = 0;
  let controlHits = 0;
  for (const p of predicates) {
    if (matches(p, trainRef, space.numeric, tolerance, 2) === 1) trainHits++;
    if (matches(p, holdoutRef, space.numeric, tolerance, 2) === 1) controlHits++;
  }
  const n = predicates.length;
  const { figure, interval, pTrain, pControl } = attackRisk(trainHits, n, controlHits, n);
  const enough = n >= MIN_ATTEMPTS;
  const verdict = riskVerdict(figure, interval, threshold, enough);
  const measured =
    `${formatCount(n)} descriptions of 1 to 3 attributes, each fitting exactly one synthetic row, were tried on ` +
    `${formatCount(size)} training rows and as many unseen holdout rows (${columns.length} columns). ` +
    `They single out exactly one training person ${formatPercent(pTrain)} of the time and one unseen person ` +
    `${formatPercent(pControl)} of the time: a singling-out risk of ${formatRisk(figure, interval)}, ` +
    `against at most ${formatPercent(threshold)} allowed (0 means the output helps no more with training ` +
    'people than with anyone else).';
  const note =
    verdict === 'fail'
      ? ' The output lets an intruder single out people whose records trained the model.'
      : !enough
        ? ` Only ${n} descriptions fitting one synthetic row could be built (at least ${MIN_ATTEMPTS} are needed to judge).`
        : verdict === 'inconclusive'
          ? ' The figure is above the threshold but its interval reaches below it: too few rows to tell.'
          : '';
  return { ...base, figure, interval, baseline: pControl, verdict, detail: measured + note };
};
