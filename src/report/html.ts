/**
 * `report.html`: the report for people. One self-contained page (inline CSS and SVG, no scripts, no
 * fonts or images from anywhere, a Content-Security-Policy that forbids loading any), readable by a
 * compliance reviewer: the verdict and the privacy evidence first, then how faithful the data is
 * (scores beside the holdout ceiling, real-vs-synthetic plots per column, pair-trend heatmaps), then
 * the settings. Every string from the data (column names, categories, details) is escaped.
 */
import type { Check } from '../privacy/gate.ts';
import type { ColumnPlot, FidelityColumn, FidelityPair } from '../quality/fidelity.ts';
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

// Blue and orange stay distinguishable under the common colour-vision deficiencies.
const REAL = '#4c78a8';
const SYNTHETIC = '#f58518';
const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#d0d7de';
const PAIRS_SHOWN = 20;

const CSS = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:${INK};margin:0;background:#f6f8fa}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid ${GRID};padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}
nav{font-size:14px;margin:0 0 8px}nav a{color:#0969da;margin-right:12px}
.meta{color:${MUTED};margin:0 0 16px}
.banner{border-radius:8px;padding:16px 20px;color:#fff;margin:16px 0}
.banner strong{display:block;font-size:22px}
.published{background:#1a7f37}.quarantined{background:#cf222e}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}
th,td{border:1px solid ${GRID};padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:13px;font-weight:600;color:#fff}
.pass{background:#1a7f37}.fail{background:#cf222e}.inconclusive{background:#9a6700}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{background:#fff;border:1px solid ${GRID};border-radius:8px;padding:12px 16px;min-width:200px}
.card b{display:block;font-size:26px}
.card small{display:block;color:${MUTED};font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px}
figure{background:#fff;border:1px solid ${GRID};border-radius:8px;margin:12px 0;padding:12px;break-inside:avoid}
.grid figure{margin:0}
figure svg{display:block;max-width:100%;height:auto;margin:6px 0}
figcaption{color:${MUTED};font-size:14px}
.figtitle{font-weight:600}
code{font-size:13px;background:#eef1f4;padding:0 4px;border-radius:4px}
.note{color:${MUTED};font-size:14px}
.settings th{width:45%}
`;

const percent = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined ? '—' : formatPercent(x, digits);

const px = (x: number): string => x.toFixed(1);

const truncate = (text: string, n: number): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** An SVG text label cut to fit, with the whole text as its tooltip. */
const svgLabel = (text: string, n: number, attributes: string): string =>
  `<text ${attributes}>${text.length > n ? `<title>${escapeHtml(text)}</title>` : ''}${escapeHtml(truncate(text, n))}</text>`;

// ---- privacy ---------------------------------------------------------------------------------

/**
 * How a check's numbers read: its own `unit` when it says; otherwise shares are between 0 and 1
 * and counts (the replay check) whole numbers with a threshold of 0 or more.
 */
const unitOf = (check: Check): 'share' | 'ratio' | 'count' =>
  check.unit ??
  (check.interval !== undefined || (check.threshold > 0 && check.threshold <= 1) ? 'share' : 'count');

const shownAs = (check: Check, x: number): string => {
  const unit = unitOf(check);
  return unit === 'share' ? formatPercent(x, 2) : unit === 'ratio' ? x.toFixed(3) : formatCount(x);
};

const figureOf = (check: Check): string => shownAs(check, check.figure);

const intervalOf = (check: Check): string => {
  if (check.interval === undefined) return '—';
  return unitOf(check) === 'share'
    ? formatInterval(check.interval, 2)
    : `${shownAs(check, check.interval[0])}–${shownAs(check, check.interval[1])}`;
};

const thresholdOf = (check: Check): string => {
  const limit = `${check.bound === 'min' ? 'at least' : 'at most'} ${shownAs(check, check.threshold)}`;
  if (check.baseline === undefined) return limit;
  return `${limit} (unseen real rows: ${shownAs(check, check.baseline)})`;
};

/** Row-level repair, said plainly: the checks above are those of the repaired output when it ran. */
const repairSection = (report: Report): string => {
  const repair = report.privacy.repair;
  if (repair === undefined) return '';
  const heading =
    repair.outcome === 'repaired'
      ? `Repaired: ${formatCount(repair.rowsDropped)} rows replaced`
      : repair.outcome === 'failed'
        ? 'Repair tried, and failed'
        : 'Not repaired';
  return (
    `<h3>${escapeHtml(heading)}</h3>` +
    `<p>${escapeHtml(repair.detail)}` +
    (repair.outcome === 'repaired'
      ? ' The checks above were measured on the repaired output, as published.'
      : '') +
    '</p>'
  );
};

const checksTable = (checks: Check[]): string => {
  const rows = checks
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.title)}<br><code>${escapeHtml(c.id)}</code></td>` +
        `<td><span class="badge ${c.verdict}">${c.verdict}</span></td>` +
        `<td class="num">${figureOf(c)}</td>` +
        `<td class="num">${intervalOf(c)}</td>` +
        `<td>${escapeHtml(thresholdOf(c))}</td>` +
        `<td>${escapeHtml(c.detail)}</td></tr>`,
    )
    .join('\n');
  return (
    '<table><thead><tr><th>Check</th><th>Result</th><th>Figure</th><th>95% interval</th><th>Threshold</th>' +
    `<th>What it means</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
  );
};

// ---- distributions ---------------------------------------------------------------------------

/** Axis numbers a reader takes in at a glance: 87.5, 12.3k, 1.17M, 2.5e-4. */
const compactNumber = (x: number): string => {
  const abs = Math.abs(x);
  if (abs === 0) return '0';
  if (abs < 1e-3 || abs >= 1e15) return x.toExponential(1);
  // Thousands get a suffix only from 10,000 up, so 4500 stays whole.
  for (const [from, size, suffix] of [
    [1e12, 1e12, 'T'],
    [1e9, 1e9, 'G'],
    [1e6, 1e6, 'M'],
    [1e4, 1e3, 'k'],
  ] as const) {
    if (abs >= from) return `${Number((x / size).toPrecision(3))}${suffix}`;
  }
  return String(Number(x.toPrecision(4)));
};

const edgeLabel = (x: number, scale: 'number' | 'date', span: number): string => {
  if (scale === 'number') return compactNumber(x);
  const iso = new Date(x).toISOString();
  return span < 2 * 86_400_000 ? iso.slice(0, 16).replace('T', ' ') : iso.slice(0, 10);
};

/** The share axis runs to a round figure just above the tallest bar, so small differences show. */
const NICE_MAXIMA = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1];
const axisMax = (peak: number): number => NICE_MAXIMA.find((m) => m >= peak - 1e-9) ?? 1;
const tickLabel = (share: number): string =>
  formatPercent(share, Number.isInteger(Math.round(share * 1000) / 10) ? 0 : 1);

/** The key drawn inside every plot, so a screenshot of one plot still says which colour is which. */
const legend = (x: number, y: number, syntheticAsLine: boolean): string =>
  `<g font-size="12" fill="${INK}">` +
  `<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${REAL}" fill-opacity="0.75"/>` +
  `<text x="${x + 16}" y="${y}">real</text>` +
  (syntheticAsLine
    ? `<line x1="${x + 52}" x2="${x + 66}" y1="${y - 4}" y2="${y - 4}" stroke="${SYNTHETIC}" stroke-width="2.5"/>`
    : `<rect x="${x + 52}" y="${y - 9}" width="12" height="10" fill="${SYNTHETIC}"/>`) +
  `<text x="${x + 70}" y="${y}">synthetic</text></g>`;

const PLOT_W = 460;

/**
 * Numbers and dates: the real histogram as filled bars, the synthetic one as a step line over it,
 * on the same bins and the same axes.
 */
const histogramSvg = (name: string, plot: Extract<ColumnPlot, { type: 'histogram' }>): string => {
  const width = PLOT_W;
  const height = 240;
  const left = 52;
  const right = 14;
  const top = 30;
  const bottom = 48;
  const innerW = width - left - right;
  const innerH = height - top - bottom;
  const baseY = top + innerH;
  const bins = plot.real.length;
  const peak = Math.max(...plot.real, ...plot.synthetic, 0);
  const yMax = axisMax(peak);
  const y = (share: number): number => baseY - (Math.min(share, yMax) / yMax) * innerH;
  const parts: string[] = [];
  for (const tick of [0, yMax / 2, yMax]) {
    const ty = px(y(tick));
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${ty}" y2="${ty}" stroke="${GRID}"/>`);
    parts.push(
      `<text x="${left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="${MUTED}">${tickLabel(tick)}</text>`,
    );
  }
  const slot = innerW / bins;
  const first = plot.edges[0] ?? 0;
  const span = (plot.edges[plot.edges.length - 1] ?? 0) - first;
  let step = '';
  for (let i = 0; i < bins; i++) {
    const x0 = left + i * slot;
    const real = plot.real[i] ?? 0;
    const synthetic = plot.synthetic[i] ?? 0;
    const ry = y(real);
    parts.push(
      `<rect x="${px(x0 + 0.5)}" y="${px(ry)}" width="${px(Math.max(0.5, slot - 1))}" height="${px(baseY - ry)}" fill="${REAL}" fill-opacity="0.75"/>`,
    );
    const sy = px(y(synthetic));
    step += `${i === 0 ? `M${px(x0)} ${px(baseY)} ` : ''}L${px(x0)} ${sy} L${px(x0 + slot)} ${sy} `;
    const range = `${edgeLabel(plot.edges[i] ?? 0, plot.scale, span)} to ${edgeLabel(plot.edges[i + 1] ?? 0, plot.scale, span)}`;
    // An invisible column over each bin carries its exact figures as a tooltip.
    parts.push(
      `<rect x="${px(x0)}" y="${top}" width="${px(slot)}" height="${innerH}" fill="transparent">` +
        `<title>${escapeHtml(`${range}: real ${formatPercent(real)}, synthetic ${formatPercent(synthetic)}`)}</title></rect>`,
    );
  }
  step += `L${px(left + bins * slot)} ${px(baseY)}`;
  parts.push(
    `<path d="${step}" fill="none" stroke="${SYNTHETIC}" stroke-width="2" stroke-linejoin="round"/>`,
  );
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${baseY}" y2="${baseY}" stroke="${MUTED}"/>`);
  const edges = plot.edges.length;
  const ticks = [...new Set([0, 1, 2, 3, 4].map((k) => Math.round((k * (edges - 1)) / 4)))];
  for (const t of ticks) {
    const tx = left + (t / Math.max(1, edges - 1)) * innerW;
    const anchor = t === 0 ? 'start' : t === edges - 1 ? 'end' : 'middle';
    parts.push(`<line x1="${px(tx)}" x2="${px(tx)}" y1="${baseY}" y2="${baseY + 4}" stroke="${MUTED}"/>`);
    parts.push(
      `<text x="${px(tx)}" y="${baseY + 16}" text-anchor="${anchor}" font-size="11" fill="${INK}">${escapeHtml(edgeLabel(plot.edges[t] ?? 0, plot.scale, span))}</text>`,
    );
  }
  parts.push(
    svgLabel(
      plot.scale === 'date' ? `${name} (date)` : name,
      60,
      `x="${left + innerW / 2}" y="${height - 6}" text-anchor="middle" font-size="12" fill="${MUTED}"`,
    ),
  );
  parts.push(
    `<text transform="translate(12 ${top + innerH / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="${MUTED}">share of values</text>`,
  );
  parts.push(legend(width - right - 130, 16, true));
  return parts.join('');
};

const CATEGORY_CHARS = 22;

interface Bar {
  label: string;
  real: number;
  synthetic: number;
}

/** Categories: one row per value, its real and synthetic bars side by side, labels left unrotated. */
const categoriesSvg = (
  plot: Extract<ColumnPlot, { type: 'categories' }>,
): { svg: string; height: number } => {
  const bars: Bar[] = plot.categories.map((label, i) => ({
    label,
    real: plot.real[i] ?? 0,
    synthetic: plot.synthetic[i] ?? 0,
  }));
  if (plot.other.real > 0 || plot.other.synthetic > 0) {
    bars.push({ label: '(all other values)', real: plot.other.real, synthetic: plot.other.synthetic });
  }
  const width = PLOT_W;
  const longest = Math.max(...bars.map((b) => Math.min(b.label.length, CATEGORY_CHARS)));
  const left = Math.max(60, Math.min(170, Math.ceil(longest * 7.2) + 10));
  const right = 44;
  const top = 30;
  const bottom = 40;
  const row = 24;
  const barH = 9;
  const innerW = width - left - right;
  const innerH = bars.length * row;
  const height = top + innerH + bottom;
  const baseY = top + innerH;
  const peak = Math.max(...bars.map((b) => Math.max(b.real, b.synthetic)), 0);
  const xMax = axisMax(peak);
  const x = (share: number): number => left + (Math.min(share, xMax) / xMax) * innerW;
  const parts: string[] = [];
  for (const tick of [0, xMax / 2, xMax]) {
    const tx = px(x(tick));
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top}" y2="${baseY}" stroke="${GRID}"/>`);
    parts.push(
      `<text x="${tx}" y="${baseY + 16}" text-anchor="middle" font-size="11" fill="${MUTED}">${tickLabel(tick)}</text>`,
    );
  }
  bars.forEach((bar, i) => {
    const y0 = top + i * row + (row - 2 * barH) / 2;
    const tip = escapeHtml(
      `${bar.label}: real ${formatPercent(bar.real)}, synthetic ${formatPercent(bar.synthetic)}`,
    );
    parts.push(
      `<rect x="${left}" y="${px(y0)}" width="${px(x(bar.real) - left)}" height="${barH}" fill="${REAL}" fill-opacity="0.75"><title>${tip}</title></rect>`,
    );
    parts.push(
      `<rect x="${left}" y="${px(y0 + barH)}" width="${px(x(bar.synthetic) - left)}" height="${barH}" fill="${SYNTHETIC}"><title>${tip}</title></rect>`,
    );
    parts.push(
      svgLabel(
        bar.label,
        CATEGORY_CHARS,
        `x="${left - 6}" y="${px(top + i * row + row / 2)}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="${INK}"`,
      ),
    );
  });
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${baseY}" stroke="${MUTED}"/>`);
  parts.push(
    `<text x="${left + innerW / 2}" y="${height - 6}" text-anchor="middle" font-size="12" fill="${MUTED}">share of values</text>`,
  );
  parts.push(legend(width - right - 100, 16, false));
  return { svg: parts.join(''), height };
};

/** Real vs synthetic distribution of one column, on shared axes. */
const plotSvg = (column: FidelityColumn): string => {
  const { plot } = column;
  const label = `Distribution of ${column.name}: real versus synthetic`;
  const open = (height: number): string =>
    `<svg class="plot" width="${PLOT_W}" height="${height}" viewBox="0 0 ${PLOT_W} ${height}" role="img" aria-label="${escapeHtml(label)}">`;
  const empty =
    plot.type === 'histogram'
      ? plot.edges.length === 0
      : plot.categories.length === 0 && plot.other.real === 0 && plot.other.synthetic === 0;
  if (empty) {
    return `${open(120)}<text x="${PLOT_W / 2}" y="60" text-anchor="middle" fill="${MUTED}">no values on either side</text></svg>`;
  }
  if (plot.type === 'histogram') return `${open(240)}${histogramSvg(column.name, plot)}</svg>`;
  const { svg, height } = categoriesSvg(plot);
  return `${open(height)}${svg}</svg>`;
};

/** Equal-width bins hide a long tail in one bar; the caption says so rather than leave a lone spike unexplained. */
const tailNote = (plot: ColumnPlot): string => {
  if (plot.type !== 'histogram' || plot.real.length < 2) return '';
  const peak = Math.max(...plot.real);
  const bin = plot.real.indexOf(peak);
  if (peak < 0.8) return '';
  const span = (plot.edges[plot.edges.length - 1] ?? 0) - (plot.edges[0] ?? 0);
  const from = edgeLabel(plot.edges[bin] ?? 0, plot.scale, span);
  const to = edgeLabel(plot.edges[bin + 1] ?? 0, plot.scale, span);
  return ` ${formatPercent(peak)} of real values lie between ${from} and ${to}; the rest spread thinly over a long tail.`;
};

const columnFigure = (column: FidelityColumn): string =>
  `<figure><div class="figtitle">${escapeHtml(column.name)} <span class="note">${escapeHtml(column.kind)} · ` +
  `${column.metric} ${percent(column.score)}</span></div>` +
  plotSvg(column) +
  `<figcaption>Missing values: real ${percent(column.nullRate.real)}, synthetic ${percent(column.nullRate.synthetic)}. ` +
  (column.plot.type === 'categories'
    ? 'Shares of the most frequent values (missing values left out); values too rare for the model to emit are pooled into all other values.'
    : `Shares of values in equal-width bins over the combined range (missing values left out).${escapeHtml(tailNote(column.plot))}`) +
  '</figcaption></figure>';

// ---- pair trends -----------------------------------------------------------------------------

type Rgb = [number, number, number];

const hex = (colour: string): Rgb => [
  Number.parseInt(colour.slice(1, 3), 16),
  Number.parseInt(colour.slice(3, 5), 16),
  Number.parseInt(colour.slice(5, 7), 16),
];

/** Piecewise-linear colour scale through `stops` ([value, colour], ascending). */
const scaleOf =
  (stops: [number, string][]) =>
  (v: number): string => {
    const first = stops[0]!;
    const last = stops[stops.length - 1]!;
    const t = Math.min(last[0], Math.max(first[0], v));
    let i = 0;
    while (i < stops.length - 2 && t > stops[i + 1]![0]) i++;
    const [a, ca] = stops[i]!;
    const [b, cb] = stops[i + 1]!;
    const f = b > a ? (t - a) / (b - a) : 0;
    const x = hex(ca);
    const y = hex(cb);
    return `#${[0, 1, 2]
      .map((k) =>
        Math.round(x[k]! + (y[k]! - x[k]!) * f)
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')}`;
  };

/** Dark text on light cells, white on dark ones. */
const textOn = (colour: string): string => {
  const [r, g, b] = hex(colour);
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? INK : '#fff';
};

// Diverging blue–white–red for correlations (−1 … +1); viridis for scores (0 … 1), 1 = identical.
const correlationColour = scaleOf([
  [-1, '#2166ac'],
  [-0.5, '#92c5de'],
  [0, '#f7f7f7'],
  [0.5, '#f4a582'],
  [1, '#b2182b'],
]);
const scoreColour = scaleOf([
  [0, '#440154'],
  [0.25, '#3b528b'],
  [0.5, '#21918c'],
  [0.75, '#5ec962'],
  [1, '#fde725'],
]);

interface MatrixSpec {
  label: string;
  names: string[];
  value: (i: number, j: number) => number | undefined;
  colour: (v: number) => string;
  text: (v: number) => string;
  tip: (i: number, j: number, v: number) => string;
  domain: [number, number];
  /** Cell side in px before it is clamped; side-by-side matrices get a smaller budget. */
  budget: number;
}

/** A square heatmap with row and column labels and a colour key; empty cells are left grey. */
const matrixSvg = (spec: MatrixSpec): string => {
  const n = spec.names.length;
  const cell = Math.max(10, Math.min(40, Math.floor(spec.budget / Math.max(1, n))));
  const chars = Math.min(16, Math.max(...spec.names.map((s) => s.length), 1));
  const labelW = Math.round(chars * 7) + 10;
  const left = labelW;
  const top = 8;
  const size = n * cell;
  const keyX = left + size + 16;
  const width = keyX + 56;
  const bottom = labelW;
  const height = Math.max(top + size + bottom, top + 160);
  const font = cell >= 24 ? 11 : 9;
  const parts: string[] = [
    `<svg class="matrix" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(spec.label)}">`,
  ];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = spec.value(i, j);
      const x = left + j * cell;
      const y = top + i * cell;
      if (v === undefined) {
        parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="#eef1f4" stroke="#fff"/>`);
        continue;
      }
      const fill = spec.colour(v);
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff">` +
          `<title>${escapeHtml(spec.tip(i, j, v))}</title></rect>`,
      );
      if (cell >= 28) {
        parts.push(
          `<text x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" dominant-baseline="central" font-size="${font}" fill="${textOn(fill)}" pointer-events="none">${spec.text(v)}</text>`,
        );
      }
    }
  }
  spec.names.forEach((name, i) => {
    const c = top + i * cell + cell / 2;
    parts.push(
      svgLabel(
        name,
        16,
        `x="${left - 6}" y="${px(c)}" text-anchor="end" dominant-baseline="central" font-size="11" fill="${INK}"`,
      ),
    );
    const cx = left + i * cell + cell / 2;
    const cy = top + size + 8;
    parts.push(
      svgLabel(
        name,
        16,
        `x="${px(cx)}" y="${cy}" text-anchor="end" dominant-baseline="central" transform="rotate(-60 ${px(cx)} ${cy})" font-size="11" fill="${INK}"`,
      ),
    );
  });
  // The colour key: a column of swatches from the top of the domain down, labelled at both ends and the middle.
  const [lo, hi] = spec.domain;
  const steps = 20;
  const keyH = Math.max(120, Math.min(size, 220));
  const stepH = keyH / steps;
  for (let k = 0; k < steps; k++) {
    const v = hi - ((k + 0.5) / steps) * (hi - lo);
    parts.push(
      `<rect x="${keyX}" y="${px(top + k * stepH)}" width="14" height="${px(stepH + 0.5)}" fill="${spec.colour(v)}"/>`,
    );
  }
  for (const [v, y] of [
    [hi, top],
    [(lo + hi) / 2, top + keyH / 2],
    [lo, top + keyH],
  ] as const) {
    parts.push(
      `<text x="${keyX + 18}" y="${px(y)}" dominant-baseline="central" font-size="11" fill="${MUTED}">${spec.text(v)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
};

const pairKey = (a: string, b: string): string => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/** A correlation to two decimals with a true minus sign; −0.004 shows as 0.00, not −0.00. */
const signed = (x: number): string => {
  const fixed = Math.abs(x).toFixed(2);
  return x < 0 && fixed !== '0.00' ? `−${fixed}` : fixed;
};

const pairTrendsSection = (report: Report): string => {
  const f = report.fidelity;
  if (f.pairs.length === 0) return '';
  const byKey = new Map<string, FidelityPair>(f.pairs.map((p) => [pairKey(p.columns[0], p.columns[1]), p]));
  const pairOf = (a: string, b: string): FidelityPair | undefined => byKey.get(pairKey(a, b));
  const names = f.columns.map((c) => c.name).filter((name) => f.pairs.some((p) => p.columns.includes(name)));
  const parts: string[] = ['<h2 id="pairs">Column pair trends</h2>'];

  // Correlations exist only between numeric and date columns.
  const numeric = names.filter((name) =>
    f.pairs.some((p) => p.columns.includes(name) && p.real !== undefined && p.synthetic !== undefined),
  );
  if (numeric.length >= 2) {
    const heatmap = (side: 'real' | 'synthetic'): string =>
      matrixSvg({
        label: `Correlation between numeric columns, ${side} data`,
        names: numeric,
        value: (i, j) => (i === j ? 1 : pairOf(numeric[i]!, numeric[j]!)?.[side]),
        colour: correlationColour,
        text: signed,
        tip: (i, j, v) => `${numeric[i]} and ${numeric[j]}: ${side} correlation ${signed(v)}`,
        domain: [-1, 1],
        budget: 260,
      });
    parts.push(
      '<p>Pearson correlation of each pair of numeric and date columns, real beside synthetic on the same ' +
        'colour scale (red: rise together, blue: one rises as the other falls, white: unrelated). ' +
        'Similar pictures mean the synthetic data keeps the relationships.</p>' +
        '<div class="grid">' +
        `<figure><div class="figtitle">Real data</div>${heatmap('real')}</figure>` +
        `<figure><div class="figtitle">Synthetic data</div>${heatmap('synthetic')}</figure></div>`,
    );
  }

  parts.push(
    '<figure><div class="figtitle">Pair trend score per column pair</div>' +
      matrixSvg({
        label: 'Pair trend score of every column pair',
        names,
        value: (i, j) => (i === j ? undefined : pairOf(names[i]!, names[j]!)?.score),
        colour: scoreColour,
        text: (v) => formatPercent(v, 0),
        tip: (i, j, v) => {
          const p = pairOf(names[i]!, names[j]!);
          return `${names[i]} and ${names[j]}: ${p?.metric ?? ''} ${formatPercent(v)}`;
        },
        domain: [0, 1],
        budget: 560,
      }) +
      '<figcaption>100% means the pair moves together exactly as in the real data: CorrelationSimilarity for two ' +
      'numeric columns, ContingencySimilarity (numbers in 10 bins) otherwise. Darker cells deserve a look.</figcaption></figure>',
  );

  const worst = [...f.pairs]
    .sort((a, b) => a.score - b.score || (a.columns.join('\u0000') < b.columns.join('\u0000') ? -1 : 1))
    .slice(0, PAIRS_SHOWN);
  const pairRows = worst
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.columns[0])}</td><td>${escapeHtml(p.columns[1])}</td><td>${p.metric}</td>` +
        `<td class="num">${percent(p.score)}</td><td class="num">${p.real === undefined ? '—' : signed(p.real)}</td>` +
        `<td class="num">${p.synthetic === undefined ? '—' : signed(p.synthetic)}</td></tr>`,
    )
    .join('\n');
  parts.push(
    `<h3>${f.pairs.length > PAIRS_SHOWN ? `The ${PAIRS_SHOWN} lowest of ${formatCount(f.pairs.length)} pairs (all are in report.json)` : 'Every pair, lowest first'}</h3>` +
      '<table><thead><tr><th>Column</th><th>Column</th><th>Metric</th><th>Score</th><th>Correlation (real)</th>' +
      `<th>Correlation (synthetic)</th></tr></thead><tbody>\n${pairRows}\n</tbody></table>`,
  );
  return parts.join('\n');
};

// ---- scores ----------------------------------------------------------------------------------

type ScoreKey = 'overall' | 'columnShapes' | 'columnPairTrends';

/** The three scores, each beside its holdout ceiling when the run had a holdout to score. */
const scoreCards = (report: Report): string => {
  const f = report.fidelity;
  const { ceiling } = f;
  const card = (title: string, key: ScoreKey): string => {
    const score = f[key];
    const top = ceiling?.[key];
    const note =
      typeof top === 'number'
        ? `<small>holdout ceiling ${percent(top)}${typeof score === 'number' && top > 0 ? ` · ${formatPercent(score / top, 0)} of it` : ''}</small>`
        : '';
    return `<div class="card">${title}<b>${percent(score)}</b>${note}</div>`;
  };
  return (
    '<div class="cards">' +
    card('Overall', 'overall') +
    card('Column shapes', 'columnShapes') +
    card('Column pair trends', 'columnPairTrends') +
    '</div>' +
    (ceiling === null
      ? '<p class="note">No holdout ceiling: there were no held-out real rows to score.</p>'
      : `<p class="note">The holdout ceiling is the same score for ${formatCount(ceiling.rows)} real rows the model ` +
        'never saw, against the rows it learned from: two samples of real data agree that much, so it is about ' +
        'the most a generator can reach.</p>')
  );
};

const fidelitySection = (report: Report): string => {
  const f = report.fidelity;
  const columnRows = f.columns
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.kind)}</td><td>${c.metric}</td>` +
        `<td class="num">${percent(c.score)}</td><td class="num">${percent(c.nullRate.real)}</td>` +
        `<td class="num">${percent(c.nullRate.synthetic)}</td></tr>`,
    )
    .join('\n');
  const skipped = f.skipped.map((s) => `<li>${escapeHtml(s.name)}: ${escapeHtml(s.reason)}</li>`).join('\n');
  return (
    '<h2 id="fidelity">Fidelity</h2>' +
    '<p>How closely the synthetic data follows the real data (100% is identical), scored as in SDMetrics: ' +
    'column shapes compare each column on its own, column pair trends compare how pairs of columns move ' +
    `together. Scored on ${formatCount(f.sampledRows)} sampled synthetic rows against ` +
    `${formatCount(f.realRows)} real rows.</p>` +
    scoreCards(report) +
    '<table><thead><tr><th>Column</th><th>Kind</th><th>Metric</th><th>Score</th><th>Missing (real)</th>' +
    `<th>Missing (synthetic)</th></tr></thead><tbody>\n${columnRows}\n</tbody></table>` +
    (skipped === '' ? '' : `<h3>Columns not compared</h3><ul>\n${skipped}\n</ul>`) +
    '<h2 id="distributions">Distributions</h2>' +
    '<p>Each column, real (blue) against synthetic (orange) on the same axes.</p>' +
    `<div class="grid">\n${f.columns.map(columnFigure).join('\n')}\n</div>\n` +
    pairTrendsSection(report)
  );
};

// ---- settings --------------------------------------------------------------------------------

const settingValue = (value: unknown): string =>
  typeof value === 'number'
    ? formatCount(value)
    : typeof value === 'string'
      ? value
      : Array.isArray(value)
        ? value.length === 0
          ? 'none'
          : value.join('; ')
        : JSON.stringify(value);

const POLICY_LABELS: Record<string, (v: unknown) => [string, string]> = {
  name: (v) => ['Policy', settingValue(v)],
  rareCategoryMin: (v) => ['Rarest category the model may emit (train-sample count)', settingValue(v)],
  exactCopyExcess: (v) => ['Exact copies allowed beyond unseen real rows', formatPercent(v as number, 2)],
  dcrShareMax: (v) => ['Highest share of rows nearer to training rows', formatPercent(v as number)],
};

const MODEL_LABELS: Record<string, string> = {
  columns: 'Model columns',
  trainRows: 'Model training rows',
  rareCategoryMin: 'Model rare-category minimum',
  relations: 'Relations the model keeps on every row',
};

const settingsSection = (report: Report): string => {
  // Settings the labels do not know yet are still shown, under their own names.
  const policy = Object.entries(report.policy).map(
    ([k, v]): [string, string] => POLICY_LABELS[k]?.(v) ?? [`Policy ${k}`, settingValue(v)],
  );
  const model = Object.entries(report.model).map(([k, v]): [string, string] => [
    MODEL_LABELS[k] ?? `Model ${k}`,
    settingValue(v),
  ]);
  const rows: [string, string][] = [
    ...policy,
    ['Rows requested', formatCount(report.rows)],
    ['Rows generated', formatCount(report.syntheticRows)],
    ['Shards', formatCount(report.shards)],
    ...model,
  ];
  return (
    '<h2 id="settings">Policy and model settings</h2><table class="settings"><tbody>\n' +
    rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n') +
    '\n</tbody></table>'
  );
};

export const renderReportHtml = (report: Report): string => {
  const title = `doppel report: ${report.dataset}`;
  const warnings =
    report.warnings.length === 0
      ? ''
      : `<h2 id="warnings">Warnings</h2><ul>\n${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('\n')}\n</ul>`;
  const nav = [
    ['privacy', 'Privacy checks'],
    ...(report.warnings.length === 0 ? [] : [['warnings', 'Warnings']]),
    ['fidelity', 'Fidelity'],
    ['distributions', 'Distributions'],
    ...(report.fidelity.pairs.length === 0 ? [] : [['pairs', 'Column pair trends']]),
    ['settings', 'Settings'],
  ]
    .map(([id, text]) => `<a href="#${id}">${text}</a>`)
    .join('');
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
<nav>${nav}</nav>
<div class="banner ${report.verdict}"><strong>${report.verdict === 'published' ? 'Published' : 'Quarantined'}</strong>${escapeHtml(report.summary)}</div>
<h2 id="privacy">Privacy checks</h2>
<p>Each check compares the synthetic rows with the real data the model was trained on and with real rows it never saw. The data is published only when no check fails.</p>
${checksTable(report.privacy.checks)}
${repairSection(report)}
${warnings}
${fidelitySection(report)}
${settingsSection(report)}
<p class="note">Written by doppel. Every figure is reproducible from the run's seed; the machine-readable evidence is in report.json.</p>
</main></body>
</html>
`;
};
