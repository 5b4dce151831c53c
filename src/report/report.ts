/**
 * `report.json`: the machine-readable evidence of a run, written whether it passed or not. It holds
 * every privacy check (figure, threshold, interval, verdict), the fidelity scores per column and
 * column pair with the holdout ceiling beside them, the policy and the model settings. No
 * timestamps: the same inputs give the same bytes.
 */
import { z } from 'zod';
import { Policy, parse } from '../contracts.ts';
import { Check, type PrivacyResult, Repair } from '../privacy/gate.ts';
import { Fidelity } from '../quality/fidelity.ts';
import { formatList } from '../quality/format.ts';

export { renderReportHtml } from './html.ts';

export const REPORT_VERSION = 1;

/**
 * The same scores for real rows the model never saw (the holdout sample) against the train sample:
 * about what a perfect generator would reach on this data, sampling noise included.
 */
export const FidelityCeiling = z.object({
  overall: z.number().nullable(),
  columnShapes: z.number().nullable(),
  columnPairTrends: z.number().nullable(),
  /** Holdout rows scored. */
  rows: z.number().int().min(0),
});
export type FidelityCeiling = z.infer<typeof FidelityCeiling>;

/** The fidelity scores with their ceiling; null when there was no holdout row to score. */
export const ReportFidelity = Fidelity.extend({ ceiling: FidelityCeiling.nullable() });
export type ReportFidelity = z.infer<typeof ReportFidelity>;

export const Report = z.object({
  version: z.literal(REPORT_VERSION),
  runId: z.string(),
  dataset: z.string(),
  /** published: the data went to the curated bucket; quarantined: a privacy check failed. */
  verdict: z.enum(['published', 'quarantined']),
  /** One sentence saying why. */
  summary: z.string(),
  /** Rows requested, shards generated, rows the gate saw. */
  rows: z.number().int().min(0),
  shards: z.number().int().min(0),
  syntheticRows: z.number().int().min(0),
  policy: Policy,
  model: z.object({
    columns: z.number().int().min(0),
    trainRows: z.number().int().min(0),
    rareCategoryMin: z.number().int().min(0),
    /** The relations the model enforces on every row, in words ('start ≤ end', 'total = a + b'). */
    relations: z.array(z.string()).default([]),
  }),
  privacy: z.object({
    verdict: z.enum(['pass', 'fail']),
    checks: z.array(Check),
    /** Row-level repair, when a check failed: what was dropped and redrawn, and how it ended. */
    repair: Repair.optional(),
  }),
  fidelity: ReportFidelity,
  warnings: z.array(z.string()),
});
export type Report = z.infer<typeof Report>;

export interface BuildReportInput {
  runId: string;
  dataset: string;
  rows: number;
  shards: number;
  policy: Policy;
  model: { columns: number; trainRows: number; rareCategoryMin: number; relations?: string[] };
  privacy: PrivacyResult;
  fidelity: Fidelity;
  /** The same scorer run on the holdout sample instead of the synthetic rows; absent or null without one. */
  ceiling?: Fidelity | null;
  warnings?: string[];
}

/** Six decimals is finer than any threshold, and keeps floating-point noise out of the bytes. */
const rounded = (value: unknown): unknown => {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Math.round(value * 1e6) / 1e6;
  if (Array.isArray(value)) return value.map(rounded);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  }
  return value;
};

const summaryOf = (privacy: PrivacyResult): string => {
  const failed = privacy.checks.filter((c) => c.verdict === 'fail').map((c) => c.title.toLowerCase());
  const unsure = privacy.checks.filter((c) => c.verdict === 'inconclusive').map((c) => c.title.toLowerCase());
  if (privacy.verdict === 'fail') {
    return (
      `${failed.length === 1 ? 'A privacy check' : `${failed.length} privacy checks`} failed ` +
      `(${formatList(failed)}), so the data was quarantined and not published.`
    );
  }
  if (unsure.length > 0) {
    return (
      `No privacy check failed, so the data was published, but ${unsure.length === 1 ? 'one was' : `${unsure.length} were`} ` +
      `inconclusive (${formatList(unsure)}).`
    );
  }
  return 'Every privacy check passed, so the data was published.';
};

const ceilingOf = (holdout: Fidelity | null | undefined): FidelityCeiling | null =>
  holdout === null || holdout === undefined || holdout.syntheticRows === 0
    ? null
    : {
        overall: holdout.overall,
        columnShapes: holdout.columnShapes,
        columnPairTrends: holdout.columnPairTrends,
        rows: holdout.syntheticRows,
      };

export const buildReport = (input: BuildReportInput): Report => {
  const { privacy } = input;
  const report = {
    version: REPORT_VERSION,
    runId: input.runId,
    dataset: input.dataset,
    verdict: privacy.verdict === 'pass' ? 'published' : 'quarantined',
    summary: summaryOf(privacy),
    rows: input.rows,
    shards: input.shards,
    syntheticRows: privacy.syntheticRows,
    policy: input.policy,
    model: { ...input.model, relations: input.model.relations ?? [] },
    privacy: {
      verdict: privacy.verdict,
      checks: privacy.checks,
      ...(privacy.repair === undefined ? {} : { repair: privacy.repair }),
    },
    fidelity: { ...input.fidelity, ceiling: ceilingOf(input.ceiling) },
    warnings: input.warnings ?? [],
  };
  return parse(Report, rounded(report), 'report');
};
