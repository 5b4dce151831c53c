/**
 * Per-column statistics gathered in one streaming pass, in bounded memory, and the column kind
 * inferred from them. Every candidate kind (integer, float, boolean, date, datetime) starts possible
 * and is ruled out by the first value that does not fit; what is left at the end decides.
 *
 * Date and datetime formats are token strings: YYYY MM DD HH mm ss and S (one per fraction digit);
 * every other character is literal. A trailing 'Z' is UTC written as 'Z'; '+HH:mm' / '+HHmm' is a
 * numeric offset.
 */
import type { ColumnKind } from '../contracts.ts';
import { hash32 } from '../random.ts';
import type { Cell } from '../table.ts';
import { HyperLogLog, QuantileSketch, weightedQuantiles } from './sketches.ts';

/** Written for "no value"; null in typed (numeric, date, boolean) columns, a value in text ones. */
export const NULL_TOKENS: ReadonlySet<string> = new Set([
  'NA',
  'N/A',
  'n/a',
  'na',
  'null',
  'NULL',
  'Null',
  'None',
  'none',
  'NaN',
  'nan',
  '#N/A',
]);

/** Distinct values counted exactly per column; past this the count becomes an estimate. */
export const DISTINCT_CAP = 10_000;
/** Characters of distinct values kept per column (long free text would otherwise fill memory). */
const DISTINCT_CHARS_CAP = 2_000_000;
/** Distinct values handed to semantic detection. */
export const PII_SAMPLE = 1000;

/** 'customerID', 'Customer Id' and 'customer-id' all become 'customer_id'. */
export const snakeName = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');

const BOOLEAN_HINT =
  /^(is|has|was|can|should|did|does|had)_|_(flag|yn|bool)$|^flag_|^(active|enabled|deleted|flag)$/;
const ID_HINT = /(^|_)(id|uuid|guid|key|pk)$|^id_/;

export const hintsBoolean = (name: string): boolean => BOOLEAN_HINT.test(snakeName(name));
export const hintsId = (name: string): boolean => ID_HINT.test(snakeName(name));

/**
 * V8 keeps a substring as a view on its parent: a value kept from a 64 KiB chunk would keep the
 * whole chunk alive. Anything retained past its batch is copied first.
 */
export const detach = (s: string): string => (s.length < 13 ? s : ` ${s}`.slice(1));

/** Murmur3's finalizer: spreads FNV's weak low bits over the whole word. */
export const mix32 = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const SLASH_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const BOOLEANS = new Set(['true', 'false', 'yes', 'no', 'y', 'n', 't', 'f']);

/** Two ASCII digits at `i` as a number, or -1. */
const twoDigits = (v: string, i: number): number => {
  const a = v.charCodeAt(i) - 48;
  const b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, m: number): number => (m === 2 && leap(y) ? 29 : (DAYS[m - 1] ?? 0));
const validDay = (y: number, m: number, d: number): boolean =>
  m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);

/** 'YYYY-MM-DD' at the start of `v` as the number YYYYMMDD when it is a real day, else -1. */
const isoDay = (v: string): number => {
  const hi = twoDigits(v, 0);
  const lo = twoDigits(v, 2);
  const m = twoDigits(v, 5);
  const d = twoDigits(v, 8);
  if (hi < 0 || lo < 0 || m < 0 || d < 0 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) return -1;
  const y = hi * 100 + lo;
  return validDay(y, m, d) ? y * 10000 + m * 100 + d : -1;
};

const ZONES = ['', 'Z', '+HH:mm', '+HHmm', '+HH'];

/** The format string of a datetime layout number (see `datetime`). */
const datetimeFormat = (layout: number): string => {
  const fraction = (layout >> 2) & 15;
  return (
    `YYYY-MM-DD${layout & 1 ? 'T' : ' '}HH:mm${layout & 2 ? ':ss' : ''}` +
    `${fraction > 0 ? `.${'S'.repeat(fraction)}` : ''}${ZONES[layout >> 6] ?? ''}`
  );
};

/** The smallest and largest value of an ordered kind, kept as the original text. */
class Range {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  minText = '';
  maxText = '';

  add(key: number, text: string): void {
    if (key < this.min) {
      this.min = key;
      this.minText = detach(text);
    }
    if (key > this.max) {
      this.max = key;
      this.maxText = detach(text);
    }
  }
}

export interface Inferred {
  kind: ColumnKind;
  format?: string;
  decimals?: number;
  /** Whether null tokens ('NA', 'null'…) count as nulls (typed kinds) or as values (text kinds). */
  tokensAreNull: boolean;
  /** The category-count rule gave way only to the number of distinct values. */
  highCardinality: boolean;
}

/**
 * What one distinct value contributes, worked out the first time it is seen: a repeat only adds
 * these facts instead of parsing the value again (the flags and ranges it set do not change).
 */
export interface ValueEntry {
  /** Occurrences, for values counted exactly; 0 for a value seen after the distinct cap. */
  count: number;
  value: string;
  /** mix32(hash32(value)), for the distinct sketch. */
  hash: number;
  /** The value as a number when it parsed as one, else NaN. */
  x: number;
  /** The datetime layout (see datetimeFormat) when it parsed as a datetime, else -1. */
  layout: number;
  token: boolean;
  length: number;
  space: boolean;
}

/** The probabilities numeric columns report quantiles at. */
export const QUANTILE_PROBS = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;

export interface ColumnSummary {
  rows: number;
  nulls: number;
  count: number;
  distinct: number;
  distinctEstimated: boolean;
  unique: boolean;
  top: { value: string; count: number }[];
  min?: number | string;
  max?: number | string;
  mean?: number;
  std?: number;
  skewness?: number;
  /** Up to PII_SAMPLE distinct non-null values for semantic detection (never stored). */
  sample: string[];
  /** Numeric columns: [probability, value] at each of QUANTILE_PROBS (exact, or from KLL). */
  quantiles?: [number, number][];
}

/** Streaming statistics of one column. `add` every cell, then `infer` and `summarize`. */
export class ColumnStats {
  rows = 0;
  empties = 0;
  tokens = 0;
  /** Non-null values that are not null tokens. */
  values = 0;

  private intOk = true;
  private floatOk = true;
  private boolOk = true;
  private bitOk = true;
  private isoDateOk = true;
  private slashOk = true;
  private mdyOk = true;
  private dmyOk = true;
  private datetimeOk = true;
  private decimals = 0;

  // Welford / Terriberry running moments for numeric columns.
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private m3 = 0;
  private numMin = Number.POSITIVE_INFINITY;
  private numMax = Number.NEGATIVE_INFINITY;

  private readonly isoRange = new Range();
  private readonly mdyRange = new Range();
  private readonly dmyRange = new Range();
  private readonly datetimeRange = new Range();
  private readonly datetimeLayouts = new Map<number, number>();

  private readonly counts = new Map<string, ValueEntry>();
  private countedChars = 0;
  private capped = false;
  /** Past the cap: distinct values by HyperLogLog, numbers not counted exactly by KLL. */
  private sketch: HyperLogLog | undefined;
  private numbers: QuantileSketch | undefined;
  private duplicates = false;

  private lengthSum = 0;
  private withSpace = 0;

  constructor(readonly name: string) {}

  /**
   * Adds one cell. Returns the value's entry (undefined for an empty cell): the caller may hand it
   * back to `repeat` for a later cell known to hold the same text, skipping the lookup and parse.
   */
  add(cell: Cell): ValueEntry | undefined {
    if (cell === null) {
      this.rows++;
      this.empties++;
      return undefined;
    }
    const last = cell.length - 1;
    const v = cell.charCodeAt(0) <= 32 || cell.charCodeAt(last) <= 32 ? cell.trim() : cell;
    if (v === '') {
      this.rows++;
      this.empties++;
      return undefined;
    }
    const seen = this.counts.get(v);
    if (seen !== undefined) {
      this.repeat(seen);
      return seen;
    }
    const entry = this.analyze(v);
    if (
      !this.capped &&
      this.counts.size < DISTINCT_CAP &&
      this.countedChars + v.length <= DISTINCT_CHARS_CAP
    ) {
      entry.value = detach(v);
      entry.count = 1;
      this.counts.set(entry.value, entry);
      this.countedChars += v.length;
      this.rows++;
      this.apply(entry);
      return entry;
    }
    if (!this.capped) {
      // From here on new values are only sketched; the sketch starts with every value counted so far.
      this.capped = true;
      this.sketch = new HyperLogLog();
      this.numbers = new QuantileSketch();
      for (const e of this.counts.values()) this.sketch.add(e.hash);
    }
    entry.value = detach(v);
    this.repeat(entry);
    return entry;
  }

  /** Adds one more occurrence of a value whose entry `add` returned. */
  repeat(entry: ValueEntry): void {
    this.rows++;
    if (entry.count > 0) {
      entry.count++;
      this.duplicates = true;
    } else {
      this.sketch!.add(entry.hash);
      if (!entry.token && this.floatOk && !Number.isNaN(entry.x)) this.numbers!.update(entry.x);
    }
    this.apply(entry);
  }

  private apply(entry: ValueEntry): void {
    if (entry.token) {
      this.tokens++;
      return;
    }
    this.values++;
    this.lengthSum += entry.length;
    if (entry.space) this.withSpace++;
    // Only values that parsed as numbers, while the column may still be numeric.
    if (this.floatOk && !Number.isNaN(entry.x)) this.moments(entry.x);
    if (this.datetimeOk && entry.layout >= 0) {
      this.datetimeLayouts.set(entry.layout, (this.datetimeLayouts.get(entry.layout) ?? 0) + 1);
    }
  }

  /** The first sight of a value: every check still open, the ranges, the facts for repeats. */
  private analyze(v: string): ValueEntry {
    const entry: ValueEntry = {
      count: 0,
      value: v,
      hash: mix32(hash32(v)),
      x: Number.NaN,
      layout: -1,
      token: NULL_TOKENS.has(v),
      length: v.length,
      space: v.indexOf(' ') !== -1,
    };
    if (entry.token) return entry;
    if (this.intOk || this.floatOk) entry.x = this.numeric(v);
    if (this.boolOk && !(v.length <= 5 && BOOLEANS.has(v.toLowerCase()))) this.boolOk = false;
    if (this.bitOk && v !== '0' && v !== '1') this.bitOk = false;
    if (this.isoDateOk) this.isoDate(v);
    if (this.slashOk) this.slashDate(v);
    if (this.datetimeOk) entry.layout = this.datetime(v);
    return entry;
  }

  private moments(x: number): void {
    const n = ++this.n;
    const delta = x - this.mean;
    const deltaN = delta / n;
    const term = delta * deltaN * (n - 1);
    this.mean += deltaN;
    this.m3 += term * deltaN * (n - 2) - 3 * deltaN * this.m2;
    this.m2 += term;
    if (x < this.numMin) this.numMin = x;
    if (x > this.numMax) this.numMax = x;
  }

  /** The value as a number, or NaN when it is none (ruling out the numeric kinds it breaks). */
  private numeric(v: string): number {
    const c = v.charCodeAt(0);
    const lead = c === 43 || c === 45 ? 1 : 0;
    // '007' or '02134' is a code, not a number: the leading zero would be lost.
    if (v.charCodeAt(lead) === 48 && v.length > lead + 1 && v.charCodeAt(lead + 1) !== 46) {
      this.intOk = false;
      this.floatOk = false;
      return Number.NaN;
    }
    // One scan instead of regexes: digits, then an optional fraction, then an optional exponent.
    const n0 = v.length;
    let i = lead;
    while (i < n0 && isDigit(v.charCodeAt(i))) i++;
    const intDigits = i - lead;
    if (i === n0) {
      if (intDigits === 0) {
        this.intOk = false;
        this.floatOk = false;
        return Number.NaN;
      }
    } else {
      this.intOk = false;
      if (!this.floatOk) return Number.NaN;
      let places = 0;
      if (v.charCodeAt(i) === 46) {
        i++;
        const start = i;
        while (i < n0 && isDigit(v.charCodeAt(i))) i++;
        places = i - start;
      }
      if (intDigits + places === 0) {
        this.floatOk = false;
        return Number.NaN;
      }
      if (i < n0 && (v.charCodeAt(i) | 32) === 101) {
        i++;
        if (i < n0 && (v.charCodeAt(i) === 43 || v.charCodeAt(i) === 45)) i++;
        const start = i;
        while (i < n0 && isDigit(v.charCodeAt(i))) i++;
        if (i === start) i = -1;
      }
      if (i !== n0) {
        this.floatOk = false;
        return Number.NaN;
      }
      if (places > this.decimals) this.decimals = places;
    }
    const x = Number(v);
    if (!Number.isFinite(x)) {
      this.intOk = false;
      this.floatOk = false;
      return Number.NaN;
    }
    return x;
  }

  private isoDate(v: string): void {
    const ymd = v.length === 10 ? isoDay(v) : -1;
    if (ymd < 0) this.isoDateOk = false;
    else this.isoRange.add(ymd, v);
  }

  private slashDate(v: string): void {
    const m = SLASH_DATE.exec(v);
    if (m === null) {
      this.slashOk = false;
      return;
    }
    const a = Number(m[1]);
    const b = Number(m[2]);
    const y = Number(m[3]);
    if (this.mdyOk) {
      if (validDay(y, a, b)) this.mdyRange.add(y * 10000 + a * 100 + b, v);
      else this.mdyOk = false;
    }
    if (this.dmyOk) {
      if (validDay(y, b, a)) this.dmyRange.add(y * 10000 + b * 100 + a, v);
      else this.dmyOk = false;
    }
    if (!this.mdyOk && !this.dmyOk) this.slashOk = false;
  }

  private datetime(v: string): number {
    const n = v.length;
    const ymd = n >= 16 ? isoDay(v) : -1;
    const sep = v.charCodeAt(10);
    const h = twoDigits(v, 11);
    const mi = twoDigits(v, 14);
    if (
      ymd < 0 ||
      (sep !== 84 && sep !== 32) ||
      h < 0 ||
      h > 23 ||
      v.charCodeAt(13) !== 58 ||
      mi < 0 ||
      mi > 59
    ) {
      this.datetimeOk = false;
      return -1;
    }
    // The layout as a small number (see datetimeFormat), so no format string is built per value.
    let layout = sep === 84 ? 1 : 0;
    let i = 16;
    let s = 0;
    let ms = 0;
    if (v.charCodeAt(i) === 58) {
      s = twoDigits(v, i + 1);
      if (s < 0 || s > 60) {
        this.datetimeOk = false;
        return -1;
      }
      layout |= 2;
      i += 3;
      if (v.charCodeAt(i) === 46) {
        const start = ++i;
        while (i < n && isDigit(v.charCodeAt(i))) i++;
        const digits = i - start;
        if (digits === 0 || digits > 9) {
          this.datetimeOk = false;
          return -1;
        }
        ms = Math.floor(Number(`0.${v.slice(start, i)}`) * 1000);
        layout |= digits << 2;
      }
    }
    let offset = 0;
    const z = v.charCodeAt(i);
    if (z === 90 && i + 1 === n) layout |= 1 << 6;
    else if ((z === 43 || z === 45) && i + 3 <= n) {
      const oh = twoDigits(v, i + 1);
      let om = 0;
      let zone = 5;
      if (i + 3 === n) zone = 4;
      else if (v.charCodeAt(i + 3) === 58 && i + 6 === n) {
        om = twoDigits(v, i + 4);
        zone = 2;
      } else if (i + 5 === n) {
        om = twoDigits(v, i + 3);
        zone = 3;
      }
      if (oh < 0 || om < 0 || zone === 5) {
        this.datetimeOk = false;
        return -1;
      }
      offset = (z === 45 ? -1 : 1) * (oh * 60 + om);
      layout |= zone << 6;
    } else if (i !== n) {
      this.datetimeOk = false;
      return -1;
    }
    const y = Math.floor(ymd / 10000);
    const epoch = Date.UTC(y, (Math.floor(ymd / 100) % 100) - 1, ymd % 100, h, mi, s, ms) - offset * 60_000;
    this.datetimeRange.add(epoch, v);
    return layout;
  }

  /** Distinct non-null values, counting null tokens or not. */
  private distinctCount(tokensAreNull: boolean): number {
    let exact = this.counts.size;
    if (tokensAreNull) for (const t of NULL_TOKENS) if (this.counts.has(t)) exact--;
    return this.capped ? Math.max(exact, this.sketch!.estimate()) : exact;
  }

  /** The kind the values support (or the one forced), its format and decimals. */
  infer(forced?: ColumnKind): Inferred {
    const typed = this.typedKind();
    const tokensAreNull = typed !== undefined || this.values === 0;
    const nonNull = this.values + (tokensAreNull ? 0 : this.tokens);
    const distinct = this.distinctCount(tokensAreNull);
    const unique = this.isUnique(nonNull, distinct);
    let kind: ColumnKind;
    let highCardinality = false;
    if (typed !== undefined) {
      kind = typed.kind === 'integer' && unique && hintsId(this.name) ? 'id' : typed.kind;
    } else if (this.values === 0) {
      kind = 'categorical';
    } else {
      const spaced = this.withSpace / this.values;
      const meanLength = this.lengthSum / this.values;
      // Sentences, or many distinct multi-word values (names, addresses), are text; fewer are categories.
      const freeText =
        meanLength >= 40 || distinct > 0.5 * nonNull || (spaced >= 0.5 && distinct > 0.2 * nonNull);
      if (unique && spaced < 0.1 && (nonNull >= 0.95 * this.rows || hintsId(this.name))) kind = 'id';
      else if (distinct <= Math.max(20, 0.05 * nonNull)) kind = 'categorical';
      else if (freeText) kind = 'text';
      else {
        kind = 'categorical';
        highCardinality = true;
      }
    }
    if (forced !== undefined && forced !== kind) {
      const format = forced === 'date' || forced === 'datetime' ? this.dateFormat(forced) : undefined;
      return {
        kind: forced,
        format,
        decimals: forced === 'float' ? this.decimals : undefined,
        tokensAreNull,
        highCardinality: false,
      };
    }
    return {
      kind,
      format: typed?.format,
      decimals: kind === 'float' ? this.decimals : undefined,
      tokensAreNull,
      highCardinality,
    };
  }

  private typedKind(): { kind: ColumnKind; format?: string } | undefined {
    if (this.values === 0) return undefined;
    if (this.boolOk) return { kind: 'boolean' };
    if (this.bitOk && hintsBoolean(this.name)) return { kind: 'boolean' };
    if (this.intOk) return { kind: 'integer' };
    if (this.floatOk) return { kind: 'float' };
    if (this.datetimeOk) return { kind: 'datetime', format: this.dateFormat('datetime') };
    if (this.isoDateOk || this.slashOk) return { kind: 'date', format: this.dateFormat('date') };
    return undefined;
  }

  private dateFormat(kind: 'date' | 'datetime'): string | undefined {
    if (kind === 'datetime') {
      let best: number | undefined;
      let bestCount = 0;
      for (const [layout, count] of this.datetimeLayouts) {
        if (count > bestCount) {
          best = layout;
          bestCount = count;
        }
      }
      return best === undefined ? undefined : datetimeFormat(best);
    }
    if (this.isoDateOk) return 'YYYY-MM-DD';
    if (this.slashOk) return this.mdyOk ? 'MM/DD/YYYY' : 'DD/MM/YYYY';
    return undefined;
  }

  private isUnique(nonNull: number, distinct: number): boolean {
    if (nonNull < 2) return false;
    if (!this.capped) return !this.duplicates && distinct === nonNull;
    // Past the cap only the sketch knows; its few percent of error are not duplicates.
    return !this.duplicates && distinct >= 0.9 * nonNull;
  }

  /** Exact from the counted values, plus the KLL sketch of the values seen past the cap. */
  private quantiles(): [number, number][] {
    const items: [number, number][] = [];
    for (const entry of this.counts.values())
      if (!Number.isNaN(entry.x) && !entry.token) items.push([entry.x, entry.count]);
    if (this.numbers !== undefined) for (const item of this.numbers.weighted()) items.push(item);
    const values = weightedQuantiles(items, QUANTILE_PROBS);
    return values.map((x, i) => [QUANTILE_PROBS[i]!, x]);
  }

  /** Counts, moments, ranges and the most frequent values for the inferred kind. */
  summarize(inferred: Inferred, options: { keepTop: boolean }): ColumnSummary {
    const { kind, tokensAreNull } = inferred;
    const nulls = this.empties + (tokensAreNull ? this.tokens : 0);
    const count = this.rows - nulls;
    const distinct = this.distinctCount(tokensAreNull);
    const summary: ColumnSummary = {
      rows: this.rows,
      nulls,
      count,
      distinct,
      distinctEstimated: this.capped,
      unique: this.isUnique(count, distinct),
      top: [],
      sample: [],
    };
    const entries: [string, number][] = [];
    for (const [value, entry] of this.counts) {
      if (tokensAreNull && entry.token) continue;
      entries.push([value, entry.count]);
      if (summary.sample.length < PII_SAMPLE) summary.sample.push(value);
    }
    if (options.keepTop) {
      // A value seen once is not "frequent", and on its own it may single someone out.
      summary.top = entries
        .filter(([, c]) => c >= 2)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 20)
        .map(([value, c]) => ({ value, count: c }));
    }
    if ((kind === 'integer' || kind === 'float') && this.n > 0 && (this.intOk || this.floatOk)) {
      summary.min = this.numMin;
      summary.max = this.numMax;
      summary.mean = this.mean;
      summary.std = this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0;
      summary.skewness = this.m2 > 0 ? (Math.sqrt(this.n) * this.m3) / this.m2 ** 1.5 : 0;
      summary.quantiles = this.quantiles();
    }
    const range =
      kind === 'datetime' && this.datetimeOk
        ? this.datetimeRange
        : kind === 'date' && this.isoDateOk
          ? this.isoRange
          : kind === 'date' && this.slashOk
            ? this.mdyOk
              ? this.mdyRange
              : this.dmyRange
            : undefined;
    if (range !== undefined && range.min <= range.max) {
      summary.min = range.minText;
      summary.max = range.maxText;
    }
    return summary;
  }
}
