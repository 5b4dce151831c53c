/** Number formatting for report sentences: fixed, locale-free, so reports are byte-reproducible. */

/** 1234567 → '1,234,567'. */
export const formatCount = (n: number): string => {
  const [whole, fraction] = String(Math.abs(Math.round(n * 1000) / 1000)).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
};

/** 0.1234 → '12.3%'. */
export const formatPercent = (share: number, digits = 1): string => `${(share * 100).toFixed(digits)}%`;

/** [0.1, 0.2] → '10.0–20.0%'. */
export const formatInterval = (interval: readonly [number, number], digits = 1): string =>
  `${(interval[0] * 100).toFixed(digits)}–${(interval[1] * 100).toFixed(digits)}%`;

/** 'a', 'b', 'c' → 'a, b and c'. */
export const formatList = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
