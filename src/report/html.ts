/**
 * `report.html`: the report for people. One self-contained page (inline CSS and SVG, no scripts, no
 * fonts or images from anywhere, a Content-Security-Policy that forbids loading any), readable by a
 * compliance reviewer: the verdict, the privacy evidence, how faithful the data is, the settings.
 * Every string from the data (column names, categories, details) is escaped.
 */
import type { Check } from '../privacy/gate.ts';
import type { ColumnPlot, FidelityColumn } from '../quality/fidelity.ts';
import { formatCount, formatInterval, formatPercent } from '../quality/format.ts';
import type { Report } from './report.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const REAL = '#4c78a8';
const SYNTHETIC = '#f58518';
const PAIRS_SHOWN = 20;

const CSS = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#59636e;margin:0 0 16px}
.banner{border-radius:8px;padding:16px 20px;color:#fff;margin:16px 0}
.banner strong{display:block;font-size:22px}
.published{background:#1a7f37}.quarantined{background:#cf222e}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:13px;font-weight:600;color:#fff}
.pass{background:#1a7f37}.fail{background:#cf222e}.inconclusive{background:#9a6700}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;min-width:180px}
.card b{display:block;font-size:26px}
figure{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:12px 0;padding:12px}
figcaption{color:#59636e;font-size:14px}
.key{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
code{font-size:13px;background:#eef1f4;padding:0 4px;border-radius:4px}
.note{color:#59636e;font-size:14px}
`;

const percent = (x: number | null, digits = 1): string => (x === null ? '—' : formatPercent(x, digits));

/** Shares are between 0 and 1; counts (the replay check) are whole numbers with a threshold of 0 or more. */
const isShare = (check: Check): boolean =>
  check.interval !== undefined || (check.threshold > 0 && check.threshold <= 1);

const figureOf = (check: Check): string =>
  isShare(check) ? formatPercent(check.figure, 2) : formatCount(check.figure);

const thresholdOf = (check: Check): string => {
  const limit = isShare(check) ? formatPercent(check.threshold, 2) : formatCount(check.threshold);
  if (check.baseline === undefined) return `at most ${limit}`;
  return `at most ${limit} (unseen real rows: ${formatPercent(check.baseline, 2)})`;
};

const checksTable = (checks: Check[]): string => {
  const rows = checks
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.title)}<br><code>${escapeHtml(c.id)}</code></td>` +
        `<td><span class="badge ${c.verdict}">${c.verdict}</span></td>` +
        `<td class="num">${figureOf(c)}</td>` +
        `<td class="num">${c.interval === undefined ? '—' : formatInterval(c.interval, 2)}</td>` +
        `<td>${escapeHtml(thresholdOf(c))}</td>` +
        `<td>${escapeHtml(c.detail)}</td></tr>`,
    )
    .join('\n');
  return (
    '<table><thead><tr><th>Check</th><th>Result</th><th>Figure</th><th>95% interval</th><th>Threshold</th>' +
    `<th>What it means</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
  );
};

const compactNumber = (x: number): string => {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
};

const edgeLabel = (x: number, scale: 'number' | 'date', span: number): string => {
  if (scale === 'number') return compactNumber(x);
  const iso = new Date(x).toISOString();
  return span < 2 * 86_400_000 ? iso.slice(0, 16).replace('T', ' ') : iso.slice(0, 10);
};

const truncate = (text: string, n: number): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

interface Bar {
  label: string;
  real: number;
  synthetic: number;
}

const barsOf = (plot: ColumnPlot): Bar[] => {
  if (plot.type === 'categories') {
    const bars = plot.categories.map((label, i) => ({
      label,
      real: plot.real[i] ?? 0,
      synthetic: plot.synthetic[i] ?? 0,
    }));
    if (plot.other.real > 0 || plot.other.synthetic > 0) {
      bars.push({ label: '(all other values)', real: plot.other.real, synthetic: plot.other.synthetic });
    }
    return bars;
  }
  const span = (plot.edges[plot.edges.length - 1] ?? 0) - (plot.edges[0] ?? 0);
  return plot.real.map((real, i) => ({
    label: `${edgeLabel(plot.edges[i] ?? 0, plot.scale, span)} to ${edgeLabel(plot.edges[i + 1] ?? 0, plot.scale, span)}`,
    real,
    synthetic: plot.synthetic[i] ?? 0,
  }));
};

/** Real vs synthetic shares as grouped bars; each bar carries a tooltip with its exact figures. */
const plotSvg = (column: FidelityColumn): string => {
  const { plot } = column;
  const bars = barsOf(plot);
  const width = 640;
  const categories = plot.type === 'categories';
  const height = categories ? 250 : 210;
  const left = 48;
  const right = 12;
  const top = 12;
  const bottom = categories ? 80 : 40;
  const innerW = width - left - right;
  const innerH = height - top - bottom;
  const label = `Distribution of ${column.name}: real versus synthetic`;
  const parts: string[] = [
    `<svg class="plot" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">`,
  ];
  if (bars.length === 0) {
    parts.push(
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#59636e">no values on either side</text>`,
    );
    parts.push('</svg>');
    return parts.join('');
  }
  const peak = Math.max(...bars.map((b) => Math.max(b.real, b.synthetic)), 0.01);
  const yMax = Math.min(1, Math.ceil(peak * 10) / 10);
  const y = (share: number): number => top + innerH - (Math.min(share, yMax) / yMax) * innerH;
  for (const tick of [0, yMax / 2, yMax]) {
    const ty = y(tick).toFixed(1);
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${ty}" y2="${ty}" stroke="#d0d7de"/>`);
    parts.push(
      `<text x="${left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="#59636e">${formatPercent(tick, 0)}</text>`,
    );
  }
  const slot = innerW / bars.length;
  const barW = Math.max(1, (slot * 0.8) / 2);
  bars.forEach((bar, i) => {
    const x0 = left + i * slot + slot * 0.1;
    const tip = escapeHtml(
      `${bar.label}: real ${formatPercent(bar.real)}, synthetic ${formatPercent(bar.synthetic)}`,
    );
    for (const [k, share, colour] of [
      [0, bar.real, REAL],
      [1, bar.synthetic, SYNTHETIC],
    ] as const) {
      const yy = y(share);
      parts.push(
        `<rect x="${(x0 + k * barW).toFixed(1)}" y="${yy.toFixed(1)}" width="${barW.toFixed(1)}" ` +
          `height="${(top + innerH - yy).toFixed(1)}" fill="${colour}"><title>${tip}</title></rect>`,
      );
    }
    if (categories) {
      const cx = (left + i * slot + slot / 2).toFixed(1);
      const cy = top + innerH + 12;
      parts.push(
        `<text x="${cx}" y="${cy}" text-anchor="end" transform="rotate(-35 ${cx} ${cy})" font-size="11">${escapeHtml(truncate(bar.label, 18))}</text>`,
      );
    }
  });
  if (plot.type === 'histogram') {
    const span = (plot.edges[plot.edges.length - 1] ?? 0) - (plot.edges[0] ?? 0);
    const ticks =
      plot.edges.length > 2 ? [0, Math.floor((plot.edges.length - 1) / 2), plot.edges.length - 1] : [0, 1];
    for (const t of ticks) {
      const edge = plot.edges[t];
      if (edge === undefined) continue;
      const tx = left + (t / Math.max(1, plot.edges.length - 1)) * innerW;
      const anchor = t === 0 ? 'start' : t === plot.edges.length - 1 ? 'end' : 'middle';
      parts.push(
        `<text x="${tx.toFixed(1)}" y="${top + innerH + 16}" text-anchor="${anchor}" font-size="11">${escapeHtml(edgeLabel(edge, plot.scale, span))}</text>`,
      );
    }
  }
  parts.push(
    `<line x1="${left}" x2="${width - right}" y1="${top + innerH}" y2="${top + innerH}" stroke="#59636e"/>`,
  );
  parts.push('</svg>');
  return parts.join('');
};

const columnFigure = (column: FidelityColumn): string =>
  `<figure><div><strong>${escapeHtml(column.name)}</strong> <span class="note">(${escapeHtml(column.kind)})</span>` +
  `<span class="key" style="background:${REAL}"></span>real` +
  `<span class="key" style="background:${SYNTHETIC}"></span>synthetic</div>` +
  plotSvg(column) +
  `<figcaption>${column.metric} ${percent(column.score)}. Missing values: real ${percent(column.nullRate.real)}, ` +
  `synthetic ${percent(column.nullRate.synthetic)}. ` +
  (column.plot.type === 'categories'
    ? 'Shares of the most frequent values (missing values left out).'
    : 'Shares of values in equal-width bins over the combined range (missing values left out).') +
  '</figcaption></figure>';

const fidelitySection = (report: Report): string => {
  const f = report.fidelity;
  const cards =
    '<div class="cards">' +
    `<div class="card">Overall<b>${percent(f.overall)}</b></div>` +
    `<div class="card">Column shapes<b>${percent(f.columnShapes)}</b></div>` +
    `<div class="card">Column pair trends<b>${percent(f.columnPairTrends)}</b></div></div>`;
  const columnRows = f.columns
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.kind)}</td><td>${c.metric}</td>` +
        `<td class="num">${percent(c.score)}</td><td class="num">${percent(c.nullRate.real)}</td>` +
        `<td class="num">${percent(c.nullRate.synthetic)}</td></tr>`,
    )
    .join('\n');
  const worst = [...f.pairs]
    .sort((a, b) => a.score - b.score || (a.columns.join('\u0000') < b.columns.join('\u0000') ? -1 : 1))
    .slice(0, PAIRS_SHOWN);
  const pairRows = worst
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.columns[0])}</td><td>${escapeHtml(p.columns[1])}</td><td>${p.metric}</td>` +
        `<td class="num">${percent(p.score)}</td><td class="num">${p.real === undefined ? '—' : p.real.toFixed(2)}</td>` +
        `<td class="num">${p.synthetic === undefined ? '—' : p.synthetic.toFixed(2)}</td></tr>`,
    )
    .join('\n');
  const skipped = f.skipped.map((s) => `<li>${escapeHtml(s.name)}: ${escapeHtml(s.reason)}</li>`).join('\n');
  return (
    '<h2>Fidelity</h2>' +
    '<p>How closely the synthetic data follows the real data (100% is identical), scored as in SDMetrics: ' +
    'column shapes compare each column on its own, column pair trends compare how pairs of columns move ' +
    `together. Scored on ${formatCount(f.sampledRows)} sampled synthetic rows against ` +
    `${formatCount(f.realRows)} real rows.</p>` +
    cards +
    '<table><thead><tr><th>Column</th><th>Kind</th><th>Metric</th><th>Score</th><th>Missing (real)</th>' +
    `<th>Missing (synthetic)</th></tr></thead><tbody>\n${columnRows}\n</tbody></table>` +
    (f.pairs.length === 0
      ? ''
      : `<h3>Column pairs${f.pairs.length > PAIRS_SHOWN ? ` (the ${PAIRS_SHOWN} lowest of ${formatCount(f.pairs.length)}; all are in report.json)` : ''}</h3>` +
        '<table><thead><tr><th>Column</th><th>Column</th><th>Metric</th><th>Score</th><th>Correlation (real)</th>' +
        `<th>Correlation (synthetic)</th></tr></thead><tbody>\n${pairRows}\n</tbody></table>`) +
    (skipped === '' ? '' : `<h3>Columns not compared</h3><ul>\n${skipped}\n</ul>`) +
    '<h2>Distributions</h2>' +
    f.columns.map(columnFigure).join('\n')
  );
};

const settingsSection = (report: Report): string => {
  const rows: [string, string][] = [
    ['Policy', report.policy.name],
    ['Rarest category the model may emit (train-sample count)', formatCount(report.policy.rareCategoryMin)],
    ['Exact copies allowed beyond unseen real rows', formatPercent(report.policy.exactCopyExcess, 2)],
    ['Highest share of rows nearer to training rows', formatPercent(report.policy.dcrShareMax)],
    ['Rows requested', formatCount(report.rows)],
    ['Rows generated', formatCount(report.syntheticRows)],
    ['Shards', formatCount(report.shards)],
    ['Model columns', formatCount(report.model.columns)],
    ['Model training rows', formatCount(report.model.trainRows)],
    ['Model rare-category minimum', formatCount(report.model.rareCategoryMin)],
  ];
  return (
    '<h2>Policy and model settings</h2><table><tbody>\n' +
    rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n') +
    '\n</tbody></table>'
  );
};

export const renderReportHtml = (report: Report): string => {
  const title = `doppel report: ${report.dataset}`;
  const warnings =
    report.warnings.length === 0
      ? ''
      : `<h2>Warnings</h2><ul>\n${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('\n')}\n</ul>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Run <code>${escapeHtml(report.runId)}</code> · ${formatCount(report.syntheticRows)} synthetic rows in ${formatCount(report.shards)} shards · policy ${escapeHtml(report.policy.name)} · report version ${report.version}</p>
<div class="banner ${report.verdict}"><strong>${report.verdict === 'published' ? 'Published' : 'Quarantined'}</strong>${escapeHtml(report.summary)}</div>
<h2>Privacy checks</h2>
<p>Each check compares the synthetic rows with the real data the model was trained on and with real rows it never saw. The data is published only when no check fails.</p>
${checksTable(report.privacy.checks)}
${fidelitySection(report)}
${settingsSection(report)}
${warnings}
<p class="note">Written by doppel. Every figure is reproducible from the run's seed; the machine-readable evidence is in report.json.</p>
</main></body>
</html>
`;
};
