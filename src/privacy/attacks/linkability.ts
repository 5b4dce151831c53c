/**
 * Linkability (WP29 opinion 05/2014): can the synthetic data join two records of the same person?
 * The intruder holds part A of some people's records from one source and part B from another, and
 * uses the synthetic rows as a bridge. Steps:
 *  1. split the columns into two disjoint sets A and B (A given, or the columns dealt alternately
 *     from the most varied down, so both parts can tell people apart);
 *  2. draw equal numbers of target rows from train and from holdout;
 *  3. for each target: the synthetic row nearest to its A-part, then the target B-part nearest to
 *     that synthetic row's B-part; a success is the target's own B-part (ties drawn at random);
 *  4. the same on the holdout targets is the control (links the population's shape alone allows);
 *     risk = (success on train - success on control) / (1 - success on control), with its interval.
 */
import { formatCount, formatList, formatPercent } from '../../quality/format.ts';
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
  type GowerSpace,
  MIN_ATTEMPTS,
  nearest,
  riskVerdict,
} from './shared.ts';

export interface LinkabilityInput extends AttackInput {
  /** Columns of part A (what one source holds); the other compared columns form part B. */
  known?: readonly string[];
  /** Targets drawn from train and from holdout each; DEFAULT_TARGETS when left out. */
  targets?: number;
}

const ID = 'linkability';
const TITLE = 'The synthetic data does not let an intruder link two records of one real person';

const linked = (
  targets: Encoded,
  synth: Encoded,
  space: GowerSpace,
  a: Uint8Array,
  b: Uint8Array,
  rng: Rng,
) => {
  let hits = 0;
  for (let t = 0; t < targets.rows; t++) {
    const bridge = nearest(targets, t, synth, space.numeric, { mask: a, rng });
    const back = nearest(synth, bridge.index, targets, space.numeric, { mask: b, rng });
    if (back.index === t) hits++;
  }
  return hits;
};

export const linkabilityCheck = (input: LinkabilityInput): Check => {
  const { profile, train, holdout, synthetic, seed } = input;
  const threshold = input.threshold ?? DEFAULT_RISK_MAX;
  const columns = attackColumns(profile, [train, holdout, synthetic]);
  const base = { id: ID, title: TITLE, threshold };
  const rng = createRng(deriveSeed(seed, 'privacy-attack', ID));
  let partA: Set<string>;
  if (input.known !== undefined) {
    partA = new Set(input.known.filter((name) => columns.some((c) => c.name === name)));
  } else {
    // Columns dealt alternately from the most varied down, so that each part can tell people apart.
    const variety = (name: string): number => {
      const i = train.columns.indexOf(name);
      return new Set(train.rows.map((row) => row[i] ?? null)).size;
    };
    const names = columns
      .map((c) => ({ name: c.name, variety: variety(c.name) }))
      .sort((x, y) => y.variety - x.variety || (x.name < y.name ? -1 : 1));
    partA = new Set(names.filter((_, i) => i % 2 === 0).map((c) => c.name));
  }
  const a = Uint8Array.from(columns, (c) => (partA.has(c.name) ? 1 : 0));
  const b = Uint8Array.from(a, (x) => 1 - x);
  const size = Math.min(train.rows.length, holdout.rows.length, input.targets ?? DEFAULT_TARGETS);
  if (a.every((x) => x === 0) || b.every((x) => x === 0) || size === 0 || synthetic.rows.length === 0) {
    return {
      ...base,
      figure: 0,
      verdict: 'inconclusive',
      detail:
        size === 0 || synthetic.rows.length === 0
          ? 'The output or a reference sample is empty, so nothing was attacked.'
          : 'Linking needs at least two non-personal columns shared by the output and the reference samples, one for each part of a record.',
    };
  }
  const {
    space,
    train: trainTargets,
    holdout: holdoutTargets,
    synthetic: synth,
  } = encodeAttack(input, columns, size, rng);
  const trainHits = linked(trainTargets, synth, space, a, b, rng);
  const controlHits = linked(holdoutTargets, synth, space, a, b, rng);
  const { figure, interval, pTrain, pControl } = attackRisk(trainHits, size, controlHits, size);
  const verdict = riskVerdict(figure, interval, threshold, size >= MIN_ATTEMPTS);
  const names = (mask: Uint8Array) => columns.filter((_, j) => mask[j] === 1).map((c) => c.name);
  const measured =
    `An intruder holding ${formatList(names(a))} of ${formatCount(size)} people from one source and ` +
    `${formatList(names(b))} from another joined them through the nearest synthetic row. The right record ` +
    `was found for ${formatPercent(pTrain)} of training people and ${formatPercent(pControl)} of unseen ` +
    `holdout people: a linkability risk of ${formatRisk(figure, interval)}, against at most ` +
    `${formatPercent(threshold)} allowed (0 means the output links training people no better than anyone else).`;
  const note =
    verdict === 'fail'
      ? ' The output lets an intruder link records of people whose data trained the model.'
      : size < MIN_ATTEMPTS
        ? ` Only ${size} targets were available (at least ${MIN_ATTEMPTS} are needed to judge).`
        : verdict === 'inconclusive'
          ? ' The figure is above the threshold but its interval reaches below it: too few rows to tell.'
          : '';
  return { ...base, figure, interval, baseline: pControl, verdict, detail: measured + note };
};
