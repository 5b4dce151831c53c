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
import { hash32, hash32Bytes } from '../random.ts';
import type { Cell } from '../table.ts';
import { HyperLogLog, QuantileSketch, TopK, weightedQuantiles } from './sketches.ts';

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
/** The longest null token: a longer value is none, without hashing it for the set. */
const NULL_TOKEN_LENGTH = Math.max(...[...NULL_TOKENS].map((t) => t.length));

/** Whether a (trimmed) value is a null token. */
export const isNullToken = (v: string): boolean => v.length <= NULL_TOKEN_LENGTH && NULL_TOKENS.has(v);

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

// 'created_at', 'pickup_datetime', 'ts', 'last_updated': a big integer there is a point in time.
const TIME_HINT = /time|date|(^|_)(at|ts|epoch|unix|created|modified|when)($|_)/;

export const hintsBoolean = (name: string): boolean => BOOLEAN_HINT.test(snakeName(name));
export const hintsId = (name: string): boolean => ID_HINT.test(snakeName(name));
export const hintsTime = (name: string): boolean => TIME_HINT.test(snakeName(name));

/** Epoch seconds a time column plausibly holds: 1973-03-03 to 2100-01-01 (milliseconds: x1000). */
const EPOCH_MIN_S = 1e8;
const EPOCH_MAX_S = 4_102_444_800;
/** Years a YYYYMMDD integer may name; outside them an 8-digit number is something else. */
const YMD_MIN_YEAR = 1900;
const YMD_MAX_YEAR = 2100;

/**
 * The shape of one value, for reporting mixed columns: what it would be on its own. Numbers
 * written for people ('1,234.50', '$12', '45%') are a shape of their own: they stay text.
 */
export const SHAPES = ['integer', 'float', 'date', 'formatted number', 'text'] as const;
const INTEGER_SHAPE = 0;
const FLOAT_SHAPE = 1;
const DATE_SHAPE = 2;
const FORMATTED_SHAPE = 3;
const TEXT_SHAPE = 4;
const INTEGER_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const FORMATTED_TEXT =
  /^[+-]?[$€£¥]?\s?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\d+(\.\d+)?\s?%$|^\(\s?[$€£¥]?\d[\d,]*(\.\d+)?\)$/;

/**
 * V8 keeps a substring as a view on its parent: a value kept from a 64 KiB chunk would keep the
 * whole chunk alive. Anything retained past its batch is copied first.
 */
export const detach = (s: string): string => (s.length < 13 ? s : ` ${s}`.slice(1));

/** A cell as a column counts it: trimmed when it starts or ends with a space or control character. */
export const trimValue = (cell: string): string =>
  cell.charCodeAt(0) <= 32 || cell.charCodeAt(cell.length - 1) <= 32 ? cell.trim() : cell;

/**
 * A cell as the samples keep it, the value its column counted (trimmed; null when blank): the
 * byte scanner keeps its entries' values, so every path samples the same cells.
 */
export const sampledCell = (cell: string | null): string | null => {
  if (cell === null) return null;
  const value = trimValue(cell);
  return value === '' ? null : detach(value);
};

/**
 * Murmur3's finalizer as a signed 32-bit integer: the same bits as mix32. A hot loop that keeps
 * the result as 32 bits (a typed array, a mask, a lane) takes this one: half of mix32's results
 * are over 2^31, and such a number crossing a call the compiler did not inline is a heap object
 * (24 MB of them a flights chunk, when the scanner took mix32).
 */
export const mix32i = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
};

/** Murmur3's finalizer: spreads FNV's weak low bits over the whole word. */
export const mix32 = (h: number): number => mix32i(h) >>> 0;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * 10^p for p <= 22, each exact as a double. A decimal of at most 15 digits is m / 10^p with m and
 * 10^p both exact, and one division, correctly rounded, gives the double nearest the decimal: what
 * Number() returns, without its general conversion (Clinger's fast path).
 */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, p) => 10 ** p);
const FAST_DIGITS = 15;
const SLASH_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const BOOLEANS = new Set(['true', 'false', 'yes', 'no', 'y', 'n', 't', 'f']);

/** Whether `v` has an ASCII letter other than e or E (which a number's exponent may hold). */
const hasLetter = (v: string): boolean => {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122 && c !== 101) return true;
  }
  return false;
};

/** Two ASCII digits at `i` as a number, or -1. */
const twoDigits = (v: string, i: number): number => {
  const a = v.charCodeAt(i) - 48;
  const b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

/** Dates with an English month abbreviation, as written and read by src/synth/datetime.ts. */
const NAMED_DATES: { format: string; pattern: RegExp; day: number; month: number }[] = [
  { format: 'MMM DD YYYY', pattern: /^([A-Z][a-z]{2}) (\d{2}) (\d{4})$/, month: 1, day: 2 },
  { format: 'MMM D, YYYY', pattern: /^([A-Z][a-z]{2}) ([1-9]|[1-3]\d), (\d{4})$/, month: 1, day: 2 },
  { format: 'MMM D YYYY', pattern: /^([A-Z][a-z]{2}) ([1-9]|[1-3]\d) (\d{4})$/, month: 1, day: 2 },
  { format: 'DD MMM YYYY', pattern: /^(\d{2}) ([A-Z][a-z]{2}) (\d{4})$/, day: 1, month: 2 },
  { format: 'D MMM YYYY', pattern: /^([1-9]|[1-3]\d) ([A-Z][a-z]{2}) (\d{4})$/, day: 1, month: 2 },
  { format: 'DD-MMM-YYYY', pattern: /^(\d{2})-([A-Z][a-z]{2})-(\d{4})$/, day: 1, month: 2 },
];
const MONTH_ABBREVIATIONS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, m: number): number => (m === 2 && leap(y) ? 29 : (DAYS[m - 1] ?? 0));
const validDay = (y: number, m: number, d: number): boolean =>
  m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);

/** 'YYYY-MM-DD' at the start of `v` as the number YYYYMMDD when it is a real day, else -1. */
const isoDay = (v: string, sep = 45): number => {
  const hi = twoDigits(v, 0);
  const lo = twoDigits(v, 2);
  const m = twoDigits(v, 5);
  const d = twoDigits(v, 8);
  if (hi < 0 || lo < 0 || m < 0 || d < 0 || v.charCodeAt(4) !== sep || v.charCodeAt(7) !== sep) return -1;
  const y = hi * 100 + lo;
  return validDay(y, m, d) ? y * 10000 + m * 100 + d : -1;
};

const ZONES = ['', 'Z', '+HH:mm', '+HHmm', '+HH'];

/** The format string of a datetime layout number (see `datetime`). */
const datetimeFormat = (layout: number): string => {
  const fraction = (layout >> 2) & 15;
  return (
    `${layout & 512 ? 'YYYY/MM/DD' : 'YYYY-MM-DD'}${layout & 1 ? 'T' : ' '}HH:mm${layout & 2 ? ':ss' : ''}` +
    `${fraction > 0 ? `.${'S'.repeat(fraction)}` : ''}${ZONES[(layout >> 6) & 7] ?? ''}`
  );
};

/** The smallest and largest value of an ordered kind, kept as the original text. */
class Range {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  minText = '';
  maxText = '';

  merge(other: Range): void {
    if (other.min < this.min) {
      this.min = other.min;
      this.minText = other.minText;
    }
    if (other.max > this.max) {
      this.max = other.max;
      this.maxText = other.maxText;
    }
  }

  /** `own`: the text is a string of its own (no view on a larger one), kept as it is. */
  add(key: number, text: string, own = false): void {
    if (key < this.min) {
      this.min = key;
      this.minText = own ? text : detach(text);
    }
    if (key > this.max) {
      this.max = key;
      this.maxText = own ? text : detach(text);
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

/** A column's counted values as they cross threads (`ColumnStats.wire`): entry i's fields at i. */
interface WireCounts {
  values: string[];
  counts: Float64Array;
  hashes: Int32Array;
  xs: Float64Array;
  layouts: Int32Array;
  lengths: Int32Array;
  /** 1: a null token; 2: has a space. */
  flags: Uint8Array;
}

/**
 * What one distinct value contributes, worked out the first time it is seen: a repeat only adds
 * these facts instead of parsing the value again (the flags and ranges it set do not change).
 */
export interface ValueEntry {
  /** Occurrences, for values counted exactly; 0 for a value seen after the distinct cap. */
  count: number;
  value: string;
  /** mix32i(hash32(value)), for the distinct sketch: signed, as the thread crossing keeps it (an Int32Array). */
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
  /** Numeric columns: [probability, value] at each of QUANTILE_PROBS (exact, or from KLL). */
  quantiles?: [number, number][];
  /** Categorical and boolean columns: the most frequent value's share of non-null values. */
  topShare?: number;
  /** Categorical and boolean columns: 1 - entropy / log(classes), 0 balanced to 1 one class. */
  imbalance?: number;
  /** Numeric columns: values equal to zero. */
  zeros?: number;
  /** Columns no kind fits: the share of each value shape, largest first (see SHAPES). */
  shapes?: { shape: (typeof SHAPES)[number]; share: number }[];
}

/** The most frequent values a column profile lists. */
const TOP_VALUES = 20;

/** Entries before or after each other in a list of most frequent values: by count, then by value. */
const byFrequency = (a: [string, number], b: [string, number]): number =>
  b[1] - a[1] || (a[0] < b[0] ? -1 : 1);

/**
 * The `k` entries seen at least twice that come first by frequency (`byFrequency`), in that order:
 * what sorting them all and taking the first k gives, without sorting 10,000 of them (25 ms).
 */
export const mostFrequent = (entries: [string, number][], k: number): [string, number][] => {
  const best: [string, number][] = [];
  for (const entry of entries) {
    if (entry[1] < 2) continue;
    if (best.length === k && byFrequency(entry, best[k - 1]!) >= 0) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && byFrequency(entry, best[at - 1]!) < 0) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = entry;
  }
  return best;
};

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
  /** Every value an 8-digit integer naming a real day (YYYYMMDD). */
  private ymdOk = true;
  /** Bit i: every value so far a real day written as NAMED_DATES[i]. */
  private namedOk = (1 << NAMED_DATES.length) - 1;
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
  private readonly ymdRange = new Range();
  private readonly namedRange = new Range();
  /** Shapes of the values seen past the distinct cap (the counted ones are shaped at the end). */
  private readonly pastCapShapes = [0, 0, 0, 0, 0];
  private readonly datetimeLayouts = new Map<number, number>();
  /** The layout of the latest past-cap datetime values and how many in a row had it (not yet in the map). */
  private layoutRun = -1;
  private layoutRunCount = 0;

  private counts = new Map<string, ValueEntry>();
  private countedChars = 0;
  private capped = false;
  /** Whether the value `add` is analysing is a string of its own (see Range.add). */
  private own = false;
  /** Whether a value of this column was trimmed (see `add`). */
  private trimmed = false;
  /** Past the cap: distinct values by HyperLogLog, numbers not counted exactly by KLL. */
  private sketch: HyperLogLog | undefined;
  private numbers: QuantileSketch | undefined;
  /** Past the cap: the most frequent of the values not counted exactly (Space-Saving). */
  private heavy: TopK | undefined;
  private duplicates = false;
  private settled = false;

  private lengthSum = 0;
  private withSpace = 0;
  /** Past the cap (when the counted values are frozen), bit p: some counted value's hash starts with p. */
  private countedPrefixes: Int32Array | undefined;
  /** The entry a capped column fills for each new value a caller will not keep (see `add`). */
  private scratch: ValueEntry | undefined;

  constructor(readonly name: string) {}

  /**
   * Adds one cell. Returns the value's entry (undefined for an empty cell): the caller may hand it
   * back to `repeat` for a later cell known to hold the same text, skipping the lookup and parse.
   * `unseen`: the caller knows this exact text is not a counted value (the byte scanner, whose
   * table holds every counted value's bytes): the lookup is skipped, unless a value of the column
   * has needed trimming, when other text may trim to a counted value. It also says the text is a
   * string of its own (decoded from bytes), not a view on a larger one: it is kept without a copy.
   * `transient`: the caller keeps no entry past the next `add` (it reads its fields at once), so a
   * column past its cap fills one entry again instead of allocating one per new value.
   */
  add(cell: Cell, unseen = false, transient = false): ValueEntry | undefined {
    if (cell === null) {
      this.rows++;
      this.empties++;
      return undefined;
    }
    const v = trimValue(cell);
    if (v !== cell) this.trimmed = true;
    if (v === '') {
      this.rows++;
      this.empties++;
      return undefined;
    }
    // A lookup in a table of up to 10,000 values mostly misses the cache: a column of distinct
    // values paid more for it than for anything else. Past the cap the table is frozen, and a
    // value whose hash prefix no counted value has is surely not in it.
    let seen: ValueEntry | undefined;
    let hash: number | undefined;
    if (!unseen || this.trimmed) {
      const prefixes = this.countedPrefixes;
      if (prefixes === undefined) seen = this.counts.get(v);
      else {
        hash = mix32i(hash32(v));
        const p = hash >>> 16;
        if ((prefixes[p >>> 5]! & (1 << (p & 31))) !== 0) seen = this.counts.get(v);
      }
    }
    if (seen !== undefined) {
      this.repeat(seen);
      return seen;
    }
    // A value the byte scanner decoded is a string of its own: no copy where it becomes an extreme
    // (in a sorted column, every new value does: 15 ms of a flights chunk's dates).
    this.own = unseen;
    const entry = this.analyze(v, transient && this.capped, hash);
    this.own = false;
    if (
      !this.capped &&
      this.counts.size < DISTINCT_CAP &&
      this.countedChars + v.length <= DISTINCT_CHARS_CAP
    ) {
      entry.value = unseen ? v : detach(v);
      entry.count = 1;
      this.counts.set(entry.value, entry);
      this.countedChars += v.length;
      this.rows++;
      return entry;
    }
    this.cap();
    entry.value = unseen ? v : detach(v);
    this.repeat(entry);
    return entry;
  }

  /**
   * Adds `times` more occurrences of a counted value (one whose `count` is above 0): what `repeat`
   * does for it, in one step. The byte scanner tallies repeats per value and hands them over here.
   */
  repeatCounted(entry: ValueEntry, times: number): void {
    this.rows += times;
    entry.count += times;
    this.duplicates = true;
  }

  /** Adds one more occurrence of a value whose entry `add` returned. */
  repeat(entry: ValueEntry): void {
    this.rows++;
    if (entry.count > 0) {
      // A counted value's facts are added once, times its count, when the pass is settled.
      entry.count++;
      this.duplicates = true;
      return;
    }
    this.sketch!.add(entry.hash);
    if (this.tracksHeavy) this.heavy!.add(entry.value, entry.hash);
    if (!entry.token) {
      if (this.floatOk && !Number.isNaN(entry.x)) this.numbers!.update(entry.x);
      this.pastCapShapes[this.intOk ? INTEGER_SHAPE : this.shapeOf(entry)]!++;
    }
    this.apply(entry);
  }

  /**
   * `add` of a cell the byte scanner has not decoded: bytes [s, e) of `buf`, unquoted ASCII, new to
   * a column past its cap that is numeric and nothing else still (every other kind's check over, no
   * value trimmed). A plain decimal number (a sign, digits, a point: what `numeric` reads without
   * `Number`) counts exactly as `add` counts its text, and no text is made: a table of distinct
   * numbers made a string of every value, only to parse it and collect it. Returns the value's hash
   * (the one `add`'s entry holds), or undefined where the bytes need `add` (the caller decodes them).
   */
  addNumber(buf: Uint8Array, s: number, e: number): number | undefined {
    if (!this.capped || !this.floatOk || this.trimmed || this.ymdOk || this.namedOk !== 0) return undefined;
    if (this.boolOk || this.bitOk || this.isoDateOk || this.slashOk || this.datetimeOk) return undefined;
    const sign = buf[s]!;
    let i = sign === 43 || sign === 45 ? s + 1 : s;
    // '007' is a code (see `numeric`): `add` says so.
    if (buf[i] === 48 && i + 1 < e && buf[i + 1] !== 46) return undefined;
    let m = 0;
    const first = i;
    for (; i < e; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
    }
    const digits = i - first;
    let places = 0;
    const point = i < e;
    if (point) {
      // Anything but a fraction (an exponent, a letter) goes to `add`.
      if (buf[i] !== 46) return undefined;
      const start = ++i;
      for (; i < e; i++) {
        const d = buf[i]! - 48;
        if (d < 0 || d > 9) return undefined;
        m = m * 10 + d;
      }
      places = i - start;
    }
    if (digits + places === 0 || digits + places > FAST_DIGITS) return undefined;
    // The cell is a number `numeric` reads the same way: from here on, what `add` then does.
    const hash = mix32i(hash32Bytes(buf, s, e));
    const size = m / EXACT_POWERS_OF_TEN[places]!;
    const x = sign === 45 ? -size : size;
    if (point) {
      this.intOk = false;
      if (places > this.decimals) this.decimals = places;
    }
    this.rows++;
    this.sketch!.add(hash);
    this.numbers!.update(x);
    this.pastCapShapes[this.intOk || (!point && Number.isInteger(x)) ? INTEGER_SHAPE : FLOAT_SHAPE]!++;
    this.values++;
    this.lengthSum += e - s;
    this.moments(x);
    return hash;
  }

  /** The facts of one occurrence of a value past the distinct cap (counted values wait for `settle`). */
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
      // Rows of one column mostly share a layout: count the run, and touch the map when it changes.
      if (entry.layout === this.layoutRun) this.layoutRunCount++;
      else {
        this.flushLayoutRun();
        this.layoutRun = entry.layout;
        this.layoutRunCount = 1;
      }
    }
  }

  private flushLayoutRun(): void {
    if (this.layoutRunCount === 0) return;
    const layouts = this.datetimeLayouts;
    layouts.set(this.layoutRun, (layouts.get(this.layoutRun) ?? 0) + this.layoutRunCount);
    this.layoutRunCount = 0;
  }

  /** The facts of `count` occurrences of one value at once. */
  private applyMany(entry: ValueEntry, count: number): void {
    if (entry.token) {
      this.tokens += count;
      return;
    }
    this.values += count;
    this.lengthSum += entry.length * count;
    if (entry.space) this.withSpace += count;
    if (this.floatOk && !Number.isNaN(entry.x)) this.addMoments(count, entry.x, 0, 0, entry.x, entry.x);
    if (this.datetimeOk && entry.layout >= 0) {
      // Counted values of one column mostly share a layout too: a run, as `apply` counts.
      if (entry.layout === this.layoutRun) this.layoutRunCount += count;
      else {
        this.flushLayoutRun();
        this.layoutRun = entry.layout;
        this.layoutRunCount = count;
      }
    }
  }

  /**
   * Adds the facts of the counted values, each once times its count, to those of the values past
   * the cap. A repeat of a counted value only bumps its count: the hot path stays two increments.
   * Called by `infer` and `summarize`; a settled ColumnStats takes no more values and no merge.
   */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (const entry of this.counts.values()) this.applyMany(entry, entry.count);
  }

  /**
   * The first sight of a value: every check still open, the ranges, the facts for repeats. `reuse`:
   * into the column's scratch entry (see `add`).
   */
  private analyze(v: string, reuse = false, hash = mix32i(hash32(v))): ValueEntry {
    const token = isNullToken(v);
    const space = v.indexOf(' ') !== -1;
    let entry = reuse ? this.scratch : undefined;
    if (entry === undefined) {
      entry = { count: 0, value: v, hash, x: Number.NaN, layout: -1, token, length: v.length, space };
      if (reuse) this.scratch = entry;
    } else {
      entry.count = 0;
      entry.value = v;
      entry.hash = hash;
      entry.x = Number.NaN;
      entry.layout = -1;
      entry.token = token;
      entry.length = v.length;
      entry.space = space;
    }
    if (entry.token) return entry;
    if (this.intOk || this.floatOk) entry.x = this.numeric(v);
    if (this.ymdOk) this.ymd(v);
    if (this.namedOk !== 0) this.namedDate(v);
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
    // The digits also add up to the mantissa, the value itself when it is short (see FAST_DIGITS).
    const n0 = v.length;
    let i = lead;
    let m = 0;
    for (; i < n0; i++) {
      const d = v.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
    }
    const intDigits = i - lead;
    let places = 0;
    let exponent = false;
    if (i === n0) {
      if (intDigits === 0) {
        this.intOk = false;
        this.floatOk = false;
        return Number.NaN;
      }
    } else {
      this.intOk = false;
      if (!this.floatOk) return Number.NaN;
      if (v.charCodeAt(i) === 46) {
        i++;
        const start = i;
        for (; i < n0; i++) {
          const d = v.charCodeAt(i) - 48;
          if (d < 0 || d > 9) break;
          m = m * 10 + d;
        }
        places = i - start;
      }
      if (intDigits + places === 0) {
        this.floatOk = false;
        return Number.NaN;
      }
      if (i < n0 && (v.charCodeAt(i) | 32) === 101) {
        exponent = true;
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
    if (!exponent && intDigits + places <= FAST_DIGITS) {
      const x = m / EXACT_POWERS_OF_TEN[places]!;
      return c === 45 ? -x : x;
    }
    const x = Number(v);
    if (!Number.isFinite(x)) {
      this.intOk = false;
      this.floatOk = false;
      return Number.NaN;
    }
    return x;
  }

  /** An 8-digit integer as YYYYMMDD: a real day in a plausible year, else the check is over. */
  private ymd(v: string): void {
    if (!this.intOk || v.length !== 8) {
      this.ymdOk = false;
      return;
    }
    const y = twoDigits(v, 0) * 100 + twoDigits(v, 2);
    const m = twoDigits(v, 4);
    const d = twoDigits(v, 6);
    if (y < YMD_MIN_YEAR || y > YMD_MAX_YEAR || !validDay(y, m, d)) this.ymdOk = false;
    else this.ymdRange.add(y * 10000 + m * 100 + d, v, this.own);
  }

  private namedDate(v: string): void {
    let ymd = -1;
    for (let i = 0; i < NAMED_DATES.length; i++) {
      if ((this.namedOk & (1 << i)) === 0) continue;
      const { pattern, day, month } = NAMED_DATES[i]!;
      const m = pattern.exec(v);
      const y = m === null ? 0 : Number(m[3]);
      const mo = m === null ? 0 : MONTH_ABBREVIATIONS.indexOf(m[month]!) + 1;
      const d = m === null ? 0 : Number(m[day]);
      if (m === null || !validDay(y, mo, d)) this.namedOk &= ~(1 << i);
      else ymd = y * 10000 + mo * 100 + d;
    }
    if (ymd >= 0) this.namedRange.add(ymd, v, this.own);
  }

  /** The value's shape (see SHAPES), from what its first analysis found where it can. */
  private shapeOf(entry: ValueEntry): number {
    const v = entry.value;
    if (!Number.isNaN(entry.x)) {
      return v.indexOf('.') === -1 && Number.isInteger(entry.x) ? INTEGER_SHAPE : FLOAT_SHAPE;
    }
    if (entry.layout >= 0) return DATE_SHAPE;
    const c = v.charCodeAt(0);
    // Most text starts with a letter: one comparison, no pattern.
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return TEXT_SHAPE;
    // A letter further on (an address, '12 Main St'): no number pattern takes one but an exponent's
    // e, so only a leading day is left to rule out.
    if (hasLetter(v) && isoDay(v) < 0 && isoDay(v, 47) < 0) return TEXT_SHAPE;
    if (INTEGER_TEXT.test(v)) return INTEGER_SHAPE;
    if (FLOAT_TEXT.test(v)) return FLOAT_SHAPE;
    if (isoDay(v) >= 0 || isoDay(v, 47) >= 0 || SLASH_DATE.test(v)) return DATE_SHAPE;
    return FORMATTED_TEXT.test(v) ? FORMATTED_SHAPE : TEXT_SHAPE;
  }

  private isoDate(v: string): void {
    const ymd = v.length === 10 ? isoDay(v) : -1;
    if (ymd < 0) this.isoDateOk = false;
    else this.isoRange.add(ymd, v, this.own);
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
      if (validDay(y, a, b)) this.mdyRange.add(y * 10000 + a * 100 + b, v, this.own);
      else this.mdyOk = false;
    }
    if (this.dmyOk) {
      if (validDay(y, b, a)) this.dmyRange.add(y * 10000 + b * 100 + a, v, this.own);
      else this.dmyOk = false;
    }
    if (!this.mdyOk && !this.dmyOk) this.slashOk = false;
  }

  private datetime(v: string): number {
    const n = v.length;
    // Reads past the end stay out of the hot path: a character read past it cost a recompile of
    // this method (and of what had it inlined) the first time, on every thread.
    if (n < 16) {
      this.datetimeOk = false;
      return -1;
    }
    // '2015/01/01 01:00:00' is as common in exports as the ISO dashes.
    const slashes = v.charCodeAt(4) === 47;
    const ymd = isoDay(v, slashes ? 47 : 45);
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
    let layout = (sep === 84 ? 1 : 0) | (slashes ? 512 : 0);
    let i = 16;
    let s = 0;
    let ms = 0;
    if (i < n && v.charCodeAt(i) === 58) {
      s = twoDigits(v, i + 1);
      if (s < 0 || s > 60) {
        this.datetimeOk = false;
        return -1;
      }
      layout |= 2;
      i += 3;
      if (i < n && v.charCodeAt(i) === 46) {
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
    const z = i < n ? v.charCodeAt(i) : -1;
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
    this.datetimeRange.add(epoch, v, this.own);
    return layout;
  }

  /** Non-null values, counting null tokens as values or not (settled). */
  private nonNull(tokensAreNull: boolean): number {
    return this.values + (tokensAreNull ? 0 : this.tokens);
  }

  /** Distinct non-null values, counting null tokens or not. */
  private distinctCount(tokensAreNull: boolean): number {
    let exact = this.counts.size;
    if (tokensAreNull) for (const t of NULL_TOKENS) if (this.counts.has(t)) exact--;
    if (!this.capped) return exact;
    // The sketch's error must not report more distinct values than there are values.
    return Math.min(this.nonNull(tokensAreNull), Math.max(exact, this.sketch!.estimate()));
  }

  /** Whether any value of the column was a null token ('NA', 'null', ...). */
  hasNullTokens(): boolean {
    this.settle();
    return this.tokens > 0;
  }

  /** The kind the values support (or the one forced), its format and decimals. */
  infer(forced?: ColumnKind): Inferred {
    this.settle();
    const typed = this.typedKind();
    const tokensAreNull = typed !== undefined || this.values === 0;
    const nonNull = this.nonNull(tokensAreNull);
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
    if (this.intOk) {
      if (this.ymdOk && !hintsId(this.name)) return { kind: 'date', format: 'YYYYMMDD' };
      const epoch = this.epochFormat();
      if (epoch !== undefined) return { kind: 'datetime', format: epoch };
      return { kind: 'integer' };
    }
    if (this.floatOk) return { kind: 'float' };
    if (this.datetimeOk) return { kind: 'datetime', format: this.dateFormat('datetime') };
    if (this.isoDateOk || this.slashOk || this.namedOk !== 0) {
      return { kind: 'date', format: this.dateFormat('date') };
    }
    return undefined;
  }

  /**
   * 'epoch_s' or 'epoch_ms' for an integer column whose name says time and whose values all fall
   * between 1973 and 2100 in that unit; a bare integer column never becomes a date.
   */
  private epochFormat(): string | undefined {
    if (!this.intOk || this.n === 0 || !hintsTime(this.name)) return undefined;
    if (this.numMin >= EPOCH_MIN_S && this.numMax <= EPOCH_MAX_S) return 'epoch_s';
    if (this.numMin >= EPOCH_MIN_S * 1000 && this.numMax <= EPOCH_MAX_S * 1000) return 'epoch_ms';
    return undefined;
  }

  private dateFormat(kind: 'date' | 'datetime'): string | undefined {
    if (this.intOk) {
      if (kind === 'date' && this.ymdOk) return 'YYYYMMDD';
      return this.epochFormat();
    }
    if (kind === 'datetime') {
      this.flushLayoutRun();
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
    for (let i = 0; i < NAMED_DATES.length; i++) {
      if ((this.namedOk & (1 << i)) !== 0) return NAMED_DATES[i]!.format;
    }
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

  /**
   * What semantic detection looks at: up to PII_SAMPLE distinct non-null values (never stored), the
   * non-null values and the distinct count.
   */
  detectionSample(inferred: Inferred): { sample: string[]; count: number; distinct: number } {
    this.settle();
    const { tokensAreNull } = inferred;
    const sample: string[] = [];
    for (const [value, entry] of this.counts) {
      if (sample.length >= PII_SAMPLE) break;
      if (!(tokensAreNull && entry.token)) sample.push(value);
    }
    return { sample, count: this.nonNull(tokensAreNull), distinct: this.distinctCount(tokensAreNull) };
  }

  /** Counts, moments, ranges and the most frequent values for the inferred kind. */
  summarize(inferred: Inferred, options: { keepTop: boolean }): ColumnSummary {
    this.settle();
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
    };
    // The counted values with their counts, where the top values or the balance need them.
    const entries: [string, number][] = [];
    if (options.keepTop || kind === 'categorical' || kind === 'boolean') {
      for (const [value, entry] of this.counts)
        if (!(tokensAreNull && entry.token)) entries.push([value, entry.count]);
    }
    if (options.keepTop) {
      // Values past the distinct cap join with the occurrences Space-Saving vouches for.
      for (const [value, c] of this.heavy?.entries() ?? []) {
        if (!(tokensAreNull && NULL_TOKENS.has(value))) entries.push([value, c]);
      }
      // A value seen once is not "frequent", and on its own it may single someone out.
      summary.top = mostFrequent(entries, TOP_VALUES).map(([value, c]) => ({ value, count: c }));
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
    if (kind === 'date' && this.namedOk !== 0 && this.namedRange.min <= this.namedRange.max) {
      summary.min = this.namedRange.minText;
      summary.max = this.namedRange.maxText;
    } else if (kind === 'date' && this.intOk && this.ymdOk && this.ymdRange.min <= this.ymdRange.max) {
      summary.min = this.ymdRange.minText;
      summary.max = this.ymdRange.maxText;
    } else if (kind === 'datetime' && this.epochFormat() !== undefined) {
      summary.min = String(this.numMin);
      summary.max = String(this.numMax);
    }
    if (kind === 'categorical' || kind === 'boolean') this.balance(summary, entries);
    if ((kind === 'integer' || kind === 'float') && (this.intOk || this.floatOk)) {
      let zeros = 0;
      for (const entry of this.counts.values()) if (entry.x === 0 && !entry.token) zeros += entry.count;
      summary.zeros = zeros;
    }
    if (this.typedKind() === undefined && this.values > 0) summary.shapes = this.shapes();
    return summary;
  }

  /** The top value's share and ydata-profiling's imbalance, 1 - entropy / log(classes). */
  private balance(summary: ColumnSummary, entries: [string, number][]): void {
    let total = 0;
    let top = 0;
    for (const [, c] of entries) {
      total += c;
      if (c > top) top = c;
    }
    if (summary.count > 0) summary.topShare = top / summary.count;
    if (entries.length < 2 || total === 0) return;
    let entropy = 0;
    for (const [, c] of entries) {
      const p = c / total;
      entropy -= p * Math.log(p);
    }
    summary.imbalance = 1 - entropy / Math.log(entries.length);
  }

  /** Shares of the value shapes (null tokens left out), largest first. */
  private shapes(): NonNullable<ColumnSummary['shapes']> {
    const counts = [...this.pastCapShapes];
    for (const entry of this.counts.values()) if (!entry.token) counts[this.shapeOf(entry)]! += entry.count;
    const total = counts.reduce((a, b) => a + b, 0);
    return SHAPES.map((shape, i) => ({ shape, share: total > 0 ? counts[i]! / total : 0 }))
      .filter((s) => s.share > 0)
      .sort((a, b) => b.share - a.share);
  }

  /**
   * This column's state to cross threads (`revive` takes it back): its counted values as columns of
   * arrays instead of a map of objects, which took 10-37 ms to read back for 10,000 values (1.2 MB)
   * and takes 1-3 (0.46 MB).
   */
  wire(): ColumnStats {
    // One pass, every array at once (this runs once a chunk, before the worker replies).
    const n = this.counts.size;
    const counts: WireCounts = {
      values: new Array(n),
      counts: new Float64Array(n),
      hashes: new Int32Array(n),
      xs: new Float64Array(n),
      layouts: new Int32Array(n),
      lengths: new Int32Array(n),
      flags: new Uint8Array(n),
    };
    let i = 0;
    for (const e of this.counts.values()) {
      counts.values[i] = e.value;
      counts.counts[i] = e.count;
      counts.hashes[i] = e.hash;
      counts.xs[i] = e.x;
      counts.layouts[i] = e.layout;
      counts.lengths[i] = e.length;
      counts.flags[i] = (e.token ? 1 : 0) | (e.space ? 2 : 0);
      i++;
    }
    return { ...this, counts } as unknown as ColumnStats;
  }

  /**
   * A ColumnStats that crossed a thread: structured clone keeps every field but no class, so the
   * prototypes come back here. Fields of plain values, arrays and Maps need nothing. `counts`
   * false: the counted values stay as they crossed, for a `merge` into another part and nothing else.
   */
  static revive(state: ColumnStats, counts = true): ColumnStats {
    const stats = Object.setPrototypeOf(state, ColumnStats.prototype) as ColumnStats;
    const wired = stats.counts as unknown as WireCounts | Map<string, ValueEntry>;
    if (counts && !(wired instanceof Map)) {
      const counts = new Map<string, ValueEntry>();
      const { values, hashes, xs, layouts, lengths, flags } = wired;
      for (let i = 0; i < values.length; i++) {
        const value = values[i]!;
        counts.set(value, {
          count: wired.counts[i]!,
          value,
          hash: hashes[i]!,
          x: xs[i]!,
          layout: layouts[i]!,
          token: (flags[i]! & 1) !== 0,
          length: lengths[i]!,
          space: (flags[i]! & 2) !== 0,
        });
      }
      stats.counts = counts;
    }
    for (const range of [
      stats.isoRange,
      stats.mdyRange,
      stats.dmyRange,
      stats.datetimeRange,
      stats.ymdRange,
      stats.namedRange,
    ]) {
      Object.setPrototypeOf(range, Range.prototype);
    }
    if (stats.sketch !== undefined) HyperLogLog.revive(stats.sketch);
    if (stats.numbers !== undefined) QuantileSketch.revive(stats.numbers);
    if (stats.heavy !== undefined) TopK.revive(stats.heavy);
    return stats;
  }

  /**
   * Folds in the statistics of the rows that follow this part (the next byte range of the same
   * column): afterwards this object describes both, as one pass over them would within the
   * sketches' error. Counts add, "still possible" checks must hold in both, moments combine by
   * Chan's formulas, ranges widen; values past the distinct cap go to the sketches with their
   * counts as weights.
   */
  merge(other: ColumnStats): void {
    if (this.settled || other.settled)
      throw new Error(`column ${this.name}: statistics merged after settling`);
    this.rows += other.rows;
    this.empties += other.empties;
    this.tokens += other.tokens;
    this.values += other.values;
    this.intOk &&= other.intOk;
    this.floatOk &&= other.floatOk;
    this.boolOk &&= other.boolOk;
    this.bitOk &&= other.bitOk;
    this.isoDateOk &&= other.isoDateOk;
    this.slashOk &&= other.slashOk;
    this.mdyOk &&= other.mdyOk;
    this.dmyOk &&= other.dmyOk;
    this.datetimeOk &&= other.datetimeOk;
    this.ymdOk &&= other.ymdOk;
    this.namedOk &= other.namedOk;
    this.decimals = Math.max(this.decimals, other.decimals);
    this.mergeMoments(other);
    this.isoRange.merge(other.isoRange);
    this.mdyRange.merge(other.mdyRange);
    this.dmyRange.merge(other.dmyRange);
    this.datetimeRange.merge(other.datetimeRange);
    this.ymdRange.merge(other.ymdRange);
    this.namedRange.merge(other.namedRange);
    for (let i = 0; i < this.pastCapShapes.length; i++) this.pastCapShapes[i]! += other.pastCapShapes[i]!;
    this.flushLayoutRun();
    other.flushLayoutRun();
    for (const [layout, count] of other.datetimeLayouts) {
      this.datetimeLayouts.set(layout, (this.datetimeLayouts.get(layout) ?? 0) + count);
    }
    this.lengthSum += other.lengthSum;
    this.withSpace += other.withSpace;
    this.duplicates ||= other.duplicates;

    if (other.capped) this.cap();
    if (other.sketch !== undefined) this.sketch!.merge(other.sketch);
    if (other.numbers !== undefined) this.numbers!.merge(other.numbers);
    if (other.heavy !== undefined) this.heavy!.merge(other.heavy);
    const wired = other.counts as unknown as WireCounts | Map<string, ValueEntry>;
    if (!(wired instanceof Map)) {
      this.mergeWired(wired);
      return;
    }
    for (const [value, entry] of wired) {
      const mine = this.counts.get(value);
      if (mine === undefined) this.mergeNew(entry);
      else {
        mine.count += entry.count;
        this.duplicates = true;
      }
    }
  }

  /**
   * Counted values as they crossed a thread (see `wire`; `revive` without counts), folded in
   * without a map of them: past this column's cap, each fills one scratch entry in turn (a
   * flights chunk's 10,000 dates took 10 ms as objects in a map, then most went past the cap).
   */
  private mergeWired(wired: WireCounts): void {
    const { values, counts, hashes, xs, layouts, lengths, flags } = wired;
    const scratch: ValueEntry = {
      count: 0,
      value: '',
      hash: 0,
      x: 0,
      layout: -1,
      token: false,
      length: 0,
      space: false,
    };
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      const mine = this.counts.get(value);
      if (mine !== undefined) {
        mine.count += counts[i]!;
        this.duplicates = true;
        continue;
      }
      const entry: ValueEntry = this.capped ? scratch : { ...scratch };
      entry.count = counts[i]!;
      entry.value = value;
      entry.hash = hashes[i]!;
      entry.x = xs[i]!;
      entry.layout = layouts[i]!;
      entry.token = (flags[i]! & 1) !== 0;
      entry.length = lengths[i]!;
      entry.space = (flags[i]! & 2) !== 0;
      this.mergeNew(entry);
    }
  }

  /**
   * A counted value of a part that follows (see `merge`) that this part has not counted: counted
   * too while under the cap (`entry` is then kept), else sketched.
   */
  private mergeNew(entry: ValueEntry): void {
    const { value } = entry;
    if (
      !this.capped &&
      (this.counts.size >= DISTINCT_CAP || this.countedChars + value.length > DISTINCT_CHARS_CAP)
    ) {
      this.cap();
    }
    if (!this.capped) {
      this.counts.set(value, entry);
      this.countedChars += value.length;
      return;
    }
    this.sketch!.add(entry.hash);
    // As `repeat` does in one pass: a numeric or dated column's values past the cap stay out
    // (10,000 dates took 40 ms here).
    if (this.tracksHeavy) this.heavy!.add(entry.value, entry.hash, entry.count);
    if (!entry.token) this.pastCapShapes[this.shapeOf(entry)]! += entry.count;
    if (entry.count > 1) this.duplicates = true;
    if (!entry.token && !Number.isNaN(entry.x)) this.numbers!.add(entry.x, entry.count);
    this.applyMany(entry, entry.count);
  }

  /**
   * Whether values past the cap go to the most-frequent sketch: they matter for categories and
   * text; a column still numeric or dated is summed up by its quantiles, and skipping it keeps the
   * per-row cost where it was.
   */
  private get tracksHeavy(): boolean {
    return !(this.floatOk || this.datetimeOk || this.isoDateOk || this.slashOk || this.namedOk !== 0);
  }

  /** From here on new values are only sketched; the sketch starts with every value counted so far. */
  private cap(): void {
    if (this.capped) return;
    this.capped = true;
    this.sketch = new HyperLogLog();
    this.numbers = new QuantileSketch();
    this.heavy = new TopK();
    const prefixes = new Int32Array(1 << 11);
    for (const e of this.counts.values()) {
      this.sketch.add(e.hash);
      const p = e.hash >>> 16;
      prefixes[p >>> 5]! |= 1 << (p & 31);
    }
    this.countedPrefixes = prefixes;
  }

  private mergeMoments(other: ColumnStats): void {
    this.addMoments(other.n, other.mean, other.m2, other.m3, other.numMin, other.numMax);
  }

  /** Chan's and Pébay's pairwise update: these moments and those of another group of n2 values. */
  private addMoments(n2: number, mean2: number, m2b: number, m3b: number, min: number, max: number): void {
    if (n2 === 0) return;
    const n1 = this.n;
    if (n1 === 0) {
      this.n = n2;
      this.mean = mean2;
      this.m2 = m2b;
      this.m3 = m3b;
    } else {
      const n = n1 + n2;
      const delta = mean2 - this.mean;
      const m2 = this.m2 + m2b + (delta * delta * n1 * n2) / n;
      const m3 =
        this.m3 +
        m3b +
        (delta ** 3 * n1 * n2 * (n1 - n2)) / (n * n) +
        (3 * delta * (n1 * m2b - n2 * this.m2)) / n;
      this.n = n;
      this.mean += (delta * n2) / n;
      this.m2 = m2;
      this.m3 = m3;
    }
    if (min < this.numMin) this.numMin = min;
    if (max > this.numMax) this.numMax = max;
  }
}
