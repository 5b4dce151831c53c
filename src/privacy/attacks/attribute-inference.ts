/**
 * Inference (WP29 opinion 05/2014): can the synthetic data reveal one attribute of a real person
 * from the others? Steps:
 *  1. draw equal numbers of target rows from train and from holdout;
 *  2. for each secret column (every compared column in turn, or those given), the intruder knows the
 *     target's other columns (or the given known ones), finds the nearest synthetic row on them
 *     (ties drawn at random) and reads the secret off it;
 *  3. a guess is right when the category is equal, or the number or date lies within a tolerance
 *     (a share of the range); on holdout targets the same guesses are the control: what the
 *     population's shape alone lets anyone infer;
 *  4. risk = (success on train - success on control) / (1 - success on control), pooled over the
 *     secrets; every secret is also judged alone, with Bonferroni-widened intervals, so one leaking
 *     column is not diluted by the others.
 */
import { formatCount, formatPercent } from '../../quality/format.ts';
import { createRng, deriveSeed, type Rng } from '../../random.ts';
import type { Check } from '../gate.ts';
import {
  type AttackInput,
  attackColumns,
  attackRisk,
  DEFAULT_RISK_MAX,
  DEFAULT_TARGETS,
  type Encoded,
  encodeAttack,
  formatRisk,
  MIN_ATTEMPTS,
  riskVerdict,
  term,
} from './shared.ts';

export interface AttributeInferenceInput extends AttackInput {
  /** Columns to infer; every compared column when left out. */
  secrets?: readonly string[];
  /** Columns the intruder knows (e.g. the quasi-identifiers); all but the secret when left out. */
  known?: readonly string[];
  /** Targets drawn from train and from holdout each; DEFAULT_TARGETS when left out. */
  targets?: number;
  /** A guessed number or date is right within this share of the range; 0.05 when left out. */
  tolerance?: number;
}

const ID = 'attribute-inference';
const TITLE = 'The synthetic data does not reveal attributes of real people';

/**
 * Right guesses per secret. One pass over the synthetic rows per target serves every secret: the
 * distance without secret s is the full distance minus its own term.
 */
const guesses = (
  targets: Encoded,
  synth: Encoded,
  numeric: Uint8Array,
  known: Uint8Array,
  secrets: number[],
  tolerance: number,
  rng: Rng,
): number[] => {
  const w = targets.width;
  const tv = targets.values;
  const sv = synth.values;
  const hits = secrets.map(() => 0);
  const terms = new Float64Array(w);
  const best = new Float64Array(secrets.length);
  const index = new Int32Array(secrets.length);
  const ties = new Int32Array(secrets.length);
  const eps = 1e-9 * w;
  for (let t = 0; t < targets.rows; t++) {
    best.fill(Number.POSITIVE_INFINITY);
    index.fill(-1);
    ties.fill(0);
    for (let r = 0; r < synth.rows; r++) {
      let total = 0;
      for (let j = 0; j < w; j++) {
        const d = known[j] === 1 ? term(tv[t * w + j]!, sv[r * w + j]!, numeric[j] === 1) : 0;
        terms[j] = d;
        total += d;
      }
      for (let k = 0; k < secrets.length; k++) {
        const d = total - terms[secrets[k]!]!;
        if (d < best[k]! - eps) {
          best[k] = d;
          index[k] = r;
          ties[k] = 1;
        } else if (d <= best[k]! + eps) {
          ties[k] = ties[k]! + 1;
          if (rng.int(ties[k]!) === 0) index[k] = r;
        }
      }
    }
    for (let k = 0; k < secrets.length; k++) {
      const j = secrets[k]!;
      const guess = sv[index[k]! * w + j]!;
      const truth = tv[t * w + j]!;
      if (term(guess, truth, numeric[j] === 1) <= (numeric[j] === 1 ? tolerance : 0)) hits[k]!++;
    }
  }
  return hits;
};

export const attributeInferenceCheck = (input: AttributeInferenceInput): Check => {
  const { profile, train, holdout, synthetic, seed } = input;
  const threshold = input.threshold ?? DEFAULT_RISK_MAX;
  const tolerance = input.tolerance ?? 0.05;
  const columns = attackColumns(profile, [train, holdout, synthetic]);
  const base = { id: ID, title: TITLE, threshold };
  const secrets = columns
    .map((c, j) => [c.name, j] as const)
    .filter(([name]) => input.secrets === undefined || input.secrets.includes(name))
    .map(([, j]) => j);
  const known = Uint8Array.from(columns, (c) =>
    input.known === undefined || input.known.includes(c.name) ? 1 : 0,
  );
  const size = Math.min(train.rows.length, holdout.rows.length, input.targets ?? DEFAULT_TARGETS);
  // A secret must leave something known to reason from.
  const usable = secrets.filter((s) => known.some((k, j) => k === 1 && j !== s));
  if (usable.length === 0 || size === 0 || synthetic.rows.length === 0) {
    return {
      ...base,
      figure: 0,
      verdict: 'inconclusive',
      detail:
        size === 0 || synthetic.rows.length === 0
          ? 'The output or a reference sample is empty, so nothing was attacked.'
          : 'Inference needs a non-personal column to guess and another the intruder knows, shared by the output and the reference samples.',
    };
  }
  const rng = createRng(deriveSeed(seed, 'privacy-attack', ID));
  const {
    space,
    train: trainTargets,
    holdout: holdoutTargets,
    synthetic: synth,
  } = encodeAttack(input, columns, size, rng);
  const trainHits = guesses(trainTargets, synth, space.numeric, known, usable, tolerance, rng);
  const controlHits = guesses(holdoutTargets, synth, space.numeric, known, usable, tolerance, rng);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const tries = size * usable.length;
  const pooled = attackRisk(sum(trainHits), tries, sum(controlHits), tries);
  const perColumn = usable.map((j, k) => ({
    name: columns[j]!.name,
    ...attackRisk(trainHits[k]!, size, controlHits[k]!, size, usable.length),
  }));
  const worst = perColumn.reduce((a, b) => (b.figure > a.figure ? b : a));
  const enough = size >= MIN_ATTEMPTS;
  const flagged = perColumn.filter((c) => c.interval[0] > threshold);
  const verdict =
    flagged.length > 0 ? 'fail' : riskVerdict(pooled.figure, pooled.interval, threshold, enough);
  const measured =
    `For ${formatCount(size)} training people and as many unseen holdout people, an intruder who knows the ` +
    `other columns guessed each of ${usable.length} columns from the nearest synthetic row (numbers and dates ` +
    `count as right within ${formatPercent(tolerance, 0)} of their range). Guesses were right ` +
    `${formatPercent(pooled.pTrain)} of the time for training people and ${formatPercent(pooled.pControl)} ` +
    `for unseen ones: an inference risk of ${formatRisk(pooled.figure, pooled.interval)}, against at most ` +
    `${formatPercent(threshold)} allowed. The most exposed column is ${worst.name}, at ` +
    `${formatRisk(worst.figure, worst.interval)} (intervals widened for the ${usable.length} columns tried).`;
  const note =
    flagged.length > 0
      ? ` The output reveals ${flagged.map((c) => c.name).join(', ')} of people whose records trained the model.`
      : verdict === 'fail'
        ? ' The output reveals attributes of people whose records trained the model.'
        : !enough
          ? ` Only ${size} targets were available (at least ${MIN_ATTEMPTS} are needed to judge).`
          : verdict === 'inconclusive'
            ? ' The figure is above the threshold but its interval reaches below it: too few rows to tell.'
            : '';
  return {
    ...base,
    figure: pooled.figure,
    interval: pooled.interval,
    baseline: pooled.pControl,
    verdict,
    detail: measured + note,
  };
};
