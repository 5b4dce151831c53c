import { describe, expect, it } from 'vitest';
import { POLICIES } from '../../src/contracts.ts';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createFidelity } from '../../src/quality/fidelity.ts';
import { formatPercent } from '../../src/quality/format.ts';
import {
  buildReport,
  type Report,
  Report as ReportSchema,
  renderReportHtml,
} from '../../src/report/report.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import type { Table } from '../../src/table.ts';
import {
  customersProfile,
  freshPii,
  mapColumn,
  piiIndexOf,
  shardsOf,
  split,
  withoutPii,
} from '../privacy/customers-fixture.ts';

const EVIL = '<script>alert(1)</script>';

/** Customers with one extra categorical column whose name is an HTML injection attempt. */
const withEvilColumn = (table: Table): Table => ({
  columns: [...table.columns, EVIL],
  rows: table.rows.map((row, r) => [...row, r % 3 === 0 ? '<b>x</b>' : 'plain']),
});

const SEED = withEvilColumn(sampleCustomers(1200, 42));
const PROFILE = customersProfile(SEED);
const [TRAIN_FULL, HOLDOUT_FULL] = split(SEED, 600);
const TRAIN = withoutPii(TRAIN_FULL);
const HOLDOUT = withoutPii(HOLDOUT_FULL);

/** The holdout scored against train by the same scorer: the ceiling, as the gate stage builds it. */
const holdoutScores = (holdout: Table) => {
  const scorer = createFidelity({ profile: PROFILE, real: TRAIN, seed: 11 });
  scorer.add(holdout);
  return scorer.finish();
};

/** The gate stage in small: gate and score the output shard by shard, then build the report. */
const reportFor = (synthetic: Table, holdout: Table | null = HOLDOUT): Report => {
  const gate = createPrivacyGate({
    profile: PROFILE,
    train: TRAIN,
    holdout: HOLDOUT,
    piiIndex: piiIndexOf(SEED),
    policy: POLICIES.default,
    seed: 11,
  });
  const fidelity = createFidelity({ profile: PROFILE, real: TRAIN, seed: 11 });
  const shards = shardsOf(synthetic, 400);
  for (const shard of shards) {
    gate.add(shard);
    fidelity.add(shard);
  }
  return buildReport({
    runId: 'r-0123456789abcdef',
    dataset: 'customers',
    rows: synthetic.rows.length,
    shards: shards.length,
    policy: POLICIES.default,
    model: { columns: 15, trainRows: TRAIN.rows.length, rareCategoryMin: 5 },
    privacy: gate.finish(),
    fidelity: fidelity.finish(),
    ceiling: holdout === null ? null : holdoutScores(holdout),
    warnings: [`column ${EVIL} looks odd`],
  });
};

const FRESH = freshPii(withEvilColumn(sampleCustomers(1000, 7)));

describe('report.json', () => {
  it('validates against the Report schema and carries every check with its figure and threshold', () => {
    // Act
    const report = reportFor(FRESH);

    // Assess
    expect(ReportSchema.safeParse(JSON.parse(JSON.stringify(report))).success).toBe(true);
    expect(report.verdict).toBe('published');
    expect(report.privacy.checks.map((c) => c.id)).toEqual([
      'pii-replay',
      'exact-copies',
      'dcr-share',
      'nndr',
      'membership-inference',
      'closeness',
      'canaries',
      'rare-combinations',
      'singling-out',
      'linkability',
      'attribute-inference',
    ]);
    for (const c of report.privacy.checks) {
      expect(typeof c.figure).toBe('number');
      expect(typeof c.threshold).toBe('number');
    }
    expect(report.policy).toEqual(POLICIES.default);
    expect(report.fidelity.columns.length).toBeGreaterThan(0);
  });

  it('is byte-identical for identical inputs', () => {
    // Act
    const a = JSON.stringify(reportFor(FRESH));
    const b = JSON.stringify(reportFor(FRESH));

    // Assess
    expect(a).toBe(b);
    expect(a).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/); // no timestamps
  });

  it('puts the holdout ceiling beside the scores: fresh real-like rows score near it, broken rows far below', () => {
    // Prepare: FRESH comes from the seed's own generator; broken has every tier replaced by one value
    const broken = mapColumn(FRESH, 'tier', () => 'bronze');

    // Act
    const good = reportFor(FRESH);
    const bad = reportFor(broken);

    // Assess
    const ceiling = good.fidelity.ceiling!;
    expect(ceiling.rows).toBe(HOLDOUT.rows.length);
    expect(ceiling.overall).toBeGreaterThan(0.8);
    expect(ceiling.overall).toBeLessThanOrEqual(1);
    expect(ceiling.overall).toBeCloseTo((ceiling.columnShapes! + ceiling.columnPairTrends!) / 2, 5);
    expect(Math.abs(good.fidelity.overall! - ceiling.overall!)).toBeLessThan(0.05);
    expect(bad.fidelity.ceiling).toEqual(ceiling);
    expect(bad.fidelity.overall!).toBeLessThan(ceiling.overall! - 0.05);
  });

  it('has a null ceiling, not a made-up one, when there is no holdout to score', () => {
    // Act
    const withNone = reportFor(FRESH, null);
    const withEmpty = reportFor(FRESH, { columns: HOLDOUT.columns, rows: [] });

    // Assess
    expect(withNone.fidelity.ceiling).toBeNull();
    expect(withEmpty.fidelity.ceiling).toBeNull();
    expect(ReportSchema.safeParse(JSON.parse(JSON.stringify(withNone))).success).toBe(true);
  });

  it('says quarantined, and why, when a privacy check fails', () => {
    // Prepare: a seed email in the output
    const seedEmail = SEED.rows[0]![SEED.columns.indexOf('email')]!;
    const leaky = mapColumn(FRESH, 'email', (cell, r) => (r === 9 ? seedEmail : cell));

    // Act
    const report = reportFor(leaky);

    // Assess
    expect(report.verdict).toBe('quarantined');
    expect(report.summary).toMatch(/no identifying value from the seed/);
    expect(JSON.stringify(report)).not.toContain(seedEmail);
  });
});

describe('report.html', () => {
  const report = reportFor(FRESH);
  const html = renderReportHtml(report);

  it('escapes column names, so a name cannot inject markup', () => {
    // Assess
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('draws one real-vs-synthetic plot per compared non-PII column', () => {
    // Assess: state, tier, signup_date, is_active, orders, total_spend, satisfaction and the odd one
    const plots = html.match(/<svg class="plot"/g) ?? [];
    expect(report.fidelity.columns).toHaveLength(8);
    expect(plots).toHaveLength(8);
    for (const c of report.fidelity.columns)
      expect(html).toContain(`Distribution of ${c.name.replaceAll('<', '&lt;').replaceAll('>', '&gt;')}`);
  });

  it('lists the relations the model keeps on every row, escaped like any column name', () => {
    // Prepare
    const relations = ['start ≤ end', 'Cost Total $ = Cost Other + Cost Repair', `${EVIL} determines state`];
    const withRelations = { ...report, model: { ...report.model, relations } };

    // Act
    const page = renderReportHtml(withRelations);

    // Assess
    expect(page).toContain(
      'Relations the model keeps on every row</th><td>start ≤ end; Cost Total $ = Cost Other + Cost Repair; &lt;script&gt;',
    );
    expect(html).toContain('Relations the model keeps on every row</th><td>none</td>');
  });

  it('shows the holdout ceiling next to the scores', () => {
    // Assess
    const ceiling = report.fidelity.ceiling!;
    expect(html).toMatch(
      new RegExp(`holdout ceiling ${formatPercent(ceiling.overall!, 1).replace('.', '\\.')}`, 'i'),
    );
    expect(renderReportHtml(reportFor(FRESH, null))).not.toMatch(/holdout ceiling [\d.]+%/i);
  });

  it('is self-contained: no network references, no scripts', () => {
    // Assess
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).toContain("default-src 'none'");
  });

  it('shows the verdict, every check with figure, interval and threshold, and the policy', () => {
    // Assess
    expect(html).toContain('class="banner published"');
    for (const c of report.privacy.checks) expect(html).toContain(`<code>${c.id}</code>`);
    expect(html).toMatch(/95% interval/);
    // Shares read as percentages, AUCs and ratios as numbers, a minimum as "at least".
    expect(html).toContain('at most 55.00%');
    expect(html).toContain('at most 0.600');
    expect(html).toContain('at least 0.850');
    expect(html).toContain('Missing values: real');
    expect(html).toContain('Policy and model settings');
  });
});
