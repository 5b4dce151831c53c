/**
 * report.html as a person sees it: rendered by a real browser (Debian's chromium, driven by
 * playwright-core), not matched as text. CI installs chromium; a machine without it fails here
 * with the command to run, rather than skipping.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICIES } from '../../src/contracts.ts';
import { createPrivacyGate } from '../../src/privacy/gate.ts';
import { createFidelity } from '../../src/quality/fidelity.ts';
import { buildReport, type Report, renderReportHtml } from '../../src/report/report.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import type { Table } from '../../src/table.ts';
import {
  customersProfile,
  freshPii,
  piiIndexOf,
  shardsOf,
  split,
  withoutPii,
} from '../privacy/customers-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const EVIL = '<script>alert(1)</script>';

/** Customers with one extra categorical column whose name is an HTML injection attempt. */
const withEvilColumn = (table: Table): Table => ({
  columns: [...table.columns, EVIL],
  rows: table.rows.map((row, r) => [...row, r % 3 === 0 ? '<b>x</b>' : 'plain']),
});

/** The gate stage in small: gate and score synthetic customers shard by shard, then build the report. */
const customersReport = (): Report => {
  const seed = withEvilColumn(sampleCustomers(1200, 42));
  const profile = customersProfile(seed);
  const [trainFull, holdoutFull] = split(seed, 600);
  const train = withoutPii(trainFull);
  const holdout = withoutPii(holdoutFull);
  const gate = createPrivacyGate({
    profile,
    train,
    holdout,
    piiIndex: piiIndexOf(seed),
    policy: POLICIES.default,
    seed: 11,
  });
  const fidelity = createFidelity({ profile, real: train, seed: 11, rareCategoryMin: 5 });
  const ceiling = createFidelity({ profile, real: train, seed: 11, rareCategoryMin: 5 });
  ceiling.add(holdout);
  const synthetic = freshPii(withEvilColumn(sampleCustomers(1000, 7)));
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
    model: { columns: 15, trainRows: train.rows.length, rareCategoryMin: 5 },
    privacy: gate.finish(),
    fidelity: fidelity.finish(),
    ceiling: ceiling.finish(),
    warnings: [],
  });
};

const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('report.html in headless Chromium', () => {
  const report = customersReport();
  const dir = mkdtempSync(join(tmpdir(), 'doppel-report-'));
  const file = join(dir, 'report.html');
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test renders report.html in Debian's chromium. Install it with ` +
          '`apt-get install -y --no-install-recommends chromium` (CI does this in .ci/run).',
      );
    }
    writeFileSync(file, renderReportHtml(report));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    // Every request the page makes is recorded; anything but the file itself is refused, so nothing leaves.
    await context.route('**/*', async (route) => {
      const requested = route.request().url();
      requests.push(requested);
      if (requested === url) await route.continue();
      else await route.abort();
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens on the verdict, with the privacy checks as the first section', async () => {
    // Act
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person reads
    const banner = await page.locator('.banner').innerText();
    const headings = await page.locator('h2').allInnerTexts();

    // Assess
    expect(banner).toContain('Published');
    expect(banner).toMatch(/No privacy check failed|Every privacy check passed/);
    expect(headings[0]).toBe('Privacy checks');
    expect(await page.locator('h2#privacy + p + table tbody tr').count()).toBe(report.privacy.checks.length);
  });

  it('puts each fidelity score beside its holdout ceiling', async () => {
    // Act
    const cards = await page.locator('.card').allTextContents();

    // Assess
    const { ceiling } = report.fidelity;
    expect(ceiling).not.toBeNull();
    expect(cards).toHaveLength(3);
    expect(cards[0]).toContain(`Overall${(report.fidelity.overall! * 100).toFixed(1)}%`);
    expect(cards[0]).toContain(`holdout ceiling ${(ceiling!.overall! * 100).toFixed(1)}%`);
    expect(cards[1]).toContain(`holdout ceiling ${(ceiling!.columnShapes! * 100).toFixed(1)}%`);
    expect(cards[2]).toContain(`holdout ceiling ${(ceiling!.columnPairTrends! * 100).toFixed(1)}%`);
  });

  it('draws one visible real-vs-synthetic plot per compared column, each with its legend', async () => {
    // Act
    const plots = page.locator('svg.plot');
    const labels = await plots.evaluateAll((svgs) => svgs.map((svg) => svg.getAttribute('aria-label')));

    // Assess
    expect(report.fidelity.columns.length).toBe(8);
    expect(labels).toEqual(
      report.fidelity.columns.map((c) => `Distribution of ${c.name}: real versus synthetic`),
    );
    for (let i = 0; i < labels.length; i++) {
      const plot = plots.nth(i);
      const box = await plot.boundingBox();
      expect(box?.width, labels[i]!).toBeGreaterThan(300);
      expect(box?.height, labels[i]!).toBeGreaterThan(100);
      expect(await plot.locator('rect').count(), labels[i]!).toBeGreaterThan(2);
      const legend = await plot.locator('text').allTextContents();
      expect(legend).toContain('real');
      expect(legend).toContain('synthetic');
    }
  });

  it('labels a categorical plot with its categories and a numeric one with its range', async () => {
    // Act
    const tier = await page.locator('svg[aria-label^="Distribution of tier:"] text').allTextContents();
    const orders = await page.locator('svg[aria-label^="Distribution of orders:"] text').allTextContents();

    // Assess
    expect(tier).toEqual(expect.arrayContaining(['bronze', 'silver', 'gold', 'platinum']));
    expect(orders).toContain('orders');
    expect(orders).toContain('share of values');
    expect(orders.some((t) => /^\d/.test(t) && t !== '0%')).toBe(true);
  });

  it('shows the real and synthetic correlation heatmaps side by side, and the pair score matrix', async () => {
    // Act
    const matrices = page.locator('svg.matrix');
    const labels = await matrices.evaluateAll((svgs) => svgs.map((svg) => svg.getAttribute('aria-label')));
    const real = await matrices.nth(0).boundingBox();
    const synthetic = await matrices.nth(1).boundingBox();
    const realLabels = await matrices.nth(0).locator('text').allTextContents();

    // Assess
    expect(labels).toEqual([
      'Correlation between numeric columns, real data',
      'Correlation between numeric columns, synthetic data',
      'Pair trend score of every column pair',
    ]);
    for (let i = 0; i < 3; i++) {
      const box = await matrices.nth(i).boundingBox();
      expect(box?.width).toBeGreaterThan(150);
      expect(box?.height).toBeGreaterThan(150);
    }
    expect(Math.abs(real!.y - synthetic!.y)).toBeLessThan(1); // same row
    expect(synthetic!.x).toBeGreaterThan(real!.x + real!.width);
    for (const name of ['signup_date', 'orders', 'total_spend', 'satisfaction'])
      expect(realLabels).toContain(name);
    // every pair has its coloured cell (both triangles), the diagonal left empty
    const n = report.fidelity.columns.length;
    expect(await matrices.nth(2).locator('rect > title').count()).toBe(n * (n - 1));
  });

  it('shows a hostile column name as text and runs nothing', async () => {
    // Act
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a person reads
    const text = await page.locator('main').innerText();

    // Assess
    expect(text).toContain(EVIL);
    expect(await page.locator('script').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('loads nothing but the file itself and logs no errors', () => {
    // Assess
    expect(requests).toEqual([url]);
    expect(consoleErrors).toEqual([]);
  });
});
