/**
 * Fits the Gaussian copula model from a profile and the train sample (never the holdout).
 * Steps:
 *  1. per column, a marginal from the train values: a quantile table with point masses (numbers),
 *     frequencies with rare categories suppressed (categories), labels and pTrue (booleans),
 *     epoch-ms quantiles and the format (dates), a generation spec with a layout hint (PII), a
 *     pattern (ids), length quantiles (text); and the column's null rate;
 *  2. per copula member (numeric, date, categorical, boolean), the normal score of every train row:
 *     one latent normal carries both nullness (the bottom `nullRate` of the scale) and the value;
 *  3. the Pearson correlation of the scores, repaired to positive definite.
 * Nothing kept can rebuild a seed row: no rare category, no PII value, only quantiles and shares.
 */
import type { ColumnProfile, Profile } from '../contracts.ts';
import { BadInputError, ContractError } from '../errors.ts';
import type { Cell, Table } from '../table.ts';
import { detectConstraints } from './constraints.ts';
import { dateParser, detectDateFormat, hasTime } from './datetime.ts';
import { type Marginal, ModelArtifact, type ModelColumn, type WordTable } from './model.ts';
import { normalInv, pearson, quantileTable, repairCorrelation } from './stats.ts';

export interface FitOptions {
  seed: number;
  /** A category seen fewer times than this in the train sample is left out of the model. */
  rareCategoryMin: number;
  /** Columns left out of the model (and so of the output). */
  drop?: string[];
  /** Faker locale for PII columns (e.g. 'de', 'fr', 'en_GB'); en_US by default. */
  locale?: string;
}

/** PII values repeating less than this (distinct per non-null row) count as repeating identities. */
const REPEATING = 0.9;

/** Most points in numeric and date quantile tables. */
export const QUANTILE_POINTS = 201;
/** Fewest points, and how many train values each point stands for at least in a small sample. */
const QUANTILE_POINTS_MIN = 21;
const VALUES_PER_POINT = 3;

/**
 * Points of a quantile table over `n` values: up to QUANTILE_POINTS, but in a small sample each
 * point stands for several values, so the table does not list the seed's values one by one.
 */
export const quantilePoints = (n: number): number =>
  Math.max(QUANTILE_POINTS_MIN, Math.min(QUANTILE_POINTS, Math.floor(n / VALUES_PER_POINT) + 1));
/** A value holding at least this share of non-null rows is kept as a point mass. */
export const POINT_MASS_MIN = 0.05;
const LENGTH_POINTS = 21;
const MAX_DECIMALS = 12;

interface Fitted {
  column: ModelColumn;
  /** Normal scores of the train rows, for copula members. */
  scores?: Float64Array;
  /** Parsed values (numbers, epoch ms) of numeric and date columns, null where missing. */
  values?: (number | null)[];
}

const THOUSANDS = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;

const parseNumber = (cell: Cell): number | null => {
  if (cell === null) return null;
  let text = cell.trim();
  if (text === '') return null;
  if (THOUSANDS.test(text)) text = text.replaceAll(',', '');
  const x = Number(text);
  return Number.isFinite(x) ? x : null;
};

const decimalsOf = (cell: string): number => {
  const [mantissa = '', exponent] = cell.trim().toLowerCase().split('e');
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, fraction - Number(exponent ?? 0));
};

/** Scores of values on the copula scale: nulls at the middle of [0, nullRate), values by mid-rank. */
const midRankScores = (values: (number | null)[], nullRate: number): Float64Array => {
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const position = new Map<number, number>();
  for (let i = 0; i < present.length; ) {
    let j = i;
    while (j < present.length && present[j] === present[i]) j++;
    position.set(present[i] as number, (i + (j - i) / 2) / present.length);
    i = j;
  }
  const scores = new Float64Array(values.length);
  values.forEach((v, r) => {
    const u = v === null ? nullRate / 2 : nullRate + (1 - nullRate) * (position.get(v) as number);
    scores[r] = normalInv(u);
  });
  return scores;
};

const fitNumeric = (profile: ColumnProfile, cells: Cell[]): Fitted => {
  const values = cells.map(parseNumber);
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const nullRate = (cells.length - present.length) / cells.length;
  const integer = profile.kind === 'integer';
  const pointMasses: { value: number; p: number }[] = [];
  const massValues = new Set<number>();
  for (let i = 0; i < present.length; ) {
    let j = i;
    while (j < present.length && present[j] === present[i]) j++;
    const p = (j - i) / present.length;
    if (p >= POINT_MASS_MIN) {
      pointMasses.push({ value: present[i] as number, p });
      massValues.add(present[i] as number);
    }
    i = j;
  }
  const continuous = present.filter((v) => !massValues.has(v));
  const first = present[0] ?? 0;
  const decimals = integer
    ? 0
    : (profile.decimals ??
      Math.min(
        MAX_DECIMALS,
        cells.reduce((d, c) => (c === null || parseNumber(c) === null ? d : Math.max(d, decimalsOf(c))), 0),
      ));
  const marginal: Marginal = {
    type: 'numeric',
    quantiles:
      continuous.length > 0 ? quantileTable(continuous, quantilePoints(continuous.length)) : [first, first],
    integer,
    decimals,
    min: first,
    max: present[present.length - 1] ?? 0,
    pointMasses,
  };
  return {
    column: { name: profile.name, kind: profile.kind, nullRate, marginal },
    scores: midRankScores(values, nullRate),
    values,
  };
};

const fitDatetime = (profile: ColumnProfile, cells: Cell[]): Fitted => {
  const texts = cells.filter((c): c is string => c !== null && c.trim() !== '');
  const format = profile.format ?? detectDateFormat(texts, profile.kind === 'date');
  const parse = dateParser(format);
  const values = cells.map((c) => (c === null ? null : parse(c)));
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const nullRate = (cells.length - present.length) / cells.length;
  const quantiles =
    present.length > 0
      ? quantileTable(present, quantilePoints(present.length)).map(Math.round)
      : [Date.UTC(2000, 0, 1), Date.UTC(2000, 0, 1)];
  return {
    column: {
      name: profile.name,
      kind: profile.kind,
      nullRate,
      marginal: {
        type: 'datetime',
        quantiles,
        format,
        dateOnly: profile.kind === 'date' || !hasTime(format),
      },
    },
    scores: midRankScores(values, nullRate),
  };
};

const lengthTable = (texts: string[]): number[] => {
  const lengths = texts.map((t) => t.length).sort((a, b) => a - b);
  return lengths.length > 0 ? quantileTable(lengths, LENGTH_POINTS).map(Math.round) : [0, 0];
};

/** Most words a text column keeps, per position (first, rest). */
const TEXT_WORDS = 1_000;
/** Fewer distinct common words than this make monotonous text: filler words instead. */
const TEXT_WORDS_MIN = 5;

/**
 * The words (split at white space) that at least `rowsMin` rows of text have, first words apart
 * from the rest, counted once per row; undefined when too few words are that common.
 */
const commonWords = (texts: string[], rowsMin: number): { first: WordTable; rest: WordTable } | undefined => {
  const first = new Map<string, number>();
  const rest = new Map<string, number>();
  for (const text of texts) {
    const words = text.split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) continue;
    first.set(words[0]!, (first.get(words[0]!) ?? 0) + 1);
    for (const word of new Set(words.slice(1))) rest.set(word, (rest.get(word) ?? 0) + 1);
  }
  const table = (counts: Map<string, number>): WordTable | undefined => {
    const kept = [...counts]
      .filter(([, n]) => n >= rowsMin)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, TEXT_WORDS);
    return kept.length === 0 ? undefined : { words: kept.map(([w]) => w), rows: kept.map(([, n]) => n) };
  };
  const firsts = table(first);
  const rests = table(rest);
  const distinct = new Set([...(firsts?.words ?? []), ...(rests?.words ?? [])]).size;
  if (distinct < TEXT_WORDS_MIN) return undefined;
  // One position may lack common words of its own (one-word texts have no rest): it borrows the other's.
  return { first: (firsts ?? rests)!, rest: (rests ?? firsts)! };
};

const fitText = (profile: ColumnProfile, cells: Cell[], rareCategoryMin: number): Fitted => {
  const texts = cells.filter((c): c is string => c !== null);
  const words = commonWords(texts, rareCategoryMin);
  return {
    column: {
      name: profile.name,
      kind: profile.kind,
      nullRate: (cells.length - texts.length) / cells.length,
      marginal: { type: 'text', lengths: lengthTable(texts), ...(words === undefined ? {} : { words }) },
    },
  };
};

/**
 * One number per row summing up the numeric and date members (their normal scores, signed to agree
 * with the first, averaged over the row's non-null values). Categories are laid on the latent
 * scale in the order of their rows' mean composite, so a category that goes with large values sits
 * next to large values and a single latent normal can carry the dependence.
 */
const compositeOf = (
  series: { scores: Float64Array; cells: (number | null)[] }[],
  rows: number,
): Float64Array | undefined => {
  const first = series[0];
  if (first === undefined) return undefined;
  const signs = pearson(series.map((s) => s.scores))[0]?.map((r) => (r < 0 ? -1 : 1)) ?? [];
  const composite = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let n = 0;
    series.forEach((s, k) => {
      if (s.cells[r] === null) return;
      sum += (signs[k] ?? 1) * (s.scores[r] as number);
      n++;
    });
    composite[r] = n > 0 ? sum / n : 0;
  }
  return composite;
};

const fitCategorical = (
  profile: ColumnProfile,
  cells: Cell[],
  rareCategoryMin: number,
  composite?: Float64Array,
): Fitted => {
  const counts = new Map<string, number>();
  let nonNull = 0;
  for (const c of cells) {
    if (c === null) continue;
    counts.set(c, (counts.get(c) ?? 0) + 1);
    nonNull++;
  }
  const nullRate = (cells.length - nonNull) / cells.length;
  const level = new Map<string, number>();
  if (composite !== undefined) {
    let sum = 0;
    let squares = 0;
    cells.forEach((c, r) => {
      if (c === null) return;
      const x = composite[r] as number;
      level.set(c, (level.get(c) ?? 0) + x);
      sum += x;
      squares += x * x;
    });
    // Only a real association reorders: the share of the composite's variance explained by the
    // categories (eta²) must clearly beat what chance gives, (k - 1) / n; else noise would become
    // a spurious dependence.
    const between =
      [...level].reduce((a, [label, t]) => a + (t * t) / (counts.get(label) as number), 0) -
      (sum * sum) / nonNull;
    const total = squares - (sum * sum) / nonNull;
    if (!(total > 0 && between / total > (4 * (counts.size - 1)) / nonNull)) level.clear();
  }
  const mean = (label: string, n: number): number => (level.get(label) ?? 0) / n;
  // Kept categories first (rare ones trail, outside the model's scale), by composite level, then
  // most frequent first, ties by label, so the order (and the copula scale) is deterministic.
  const ordered = [...counts].sort(
    (a, b) =>
      Number(b[1] >= rareCategoryMin) - Number(a[1] >= rareCategoryMin) ||
      mean(a[0], a[1]) - mean(b[0], b[1]) ||
      b[1] - a[1] ||
      (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
  );
  const kept = ordered.filter(([, n]) => n >= rareCategoryMin);
  if (kept.length === 0) {
    // Every category is rare: no label may be shown, so the column becomes filler text of a similar length.
    return fitText(profile, cells, rareCategoryMin);
  }
  const keptTotal = kept.reduce((a, [, n]) => a + n, 0);
  const at = new Map<string, number>();
  let before = 0;
  for (const [label, n] of ordered) {
    at.set(label, (before + n / 2) / nonNull);
    before += n;
  }
  const scores = new Float64Array(cells.length);
  cells.forEach((c, r) => {
    scores[r] = normalInv(c === null ? nullRate / 2 : nullRate + (1 - nullRate) * (at.get(c) as number));
  });
  return {
    column: {
      name: profile.name,
      kind: profile.kind,
      nullRate,
      marginal: {
        type: 'categorical',
        categories: kept.map(([label]) => label),
        probs: kept.map(([, n]) => n / keptTotal),
        suppressed: ordered.length - kept.length,
      },
    },
    scores,
  };
};

const FALSE_WORDS = ['false', 'f', 'no', 'n', '0', 'off'];
const TRUE_WORDS = ['true', 't', 'yes', 'y', '1', 'on'];

/** The other label of a boolean pair, in the same letter case ('Y' → 'N', 'True' → 'False'). */
const complement = (label: string): string => {
  const lower = label.toLowerCase();
  const i = FALSE_WORDS.indexOf(lower);
  const other = i >= 0 ? TRUE_WORDS[i] : FALSE_WORDS[TRUE_WORDS.indexOf(lower)];
  if (other === undefined) return label === 'false' ? 'true' : 'false';
  if (label === label.toUpperCase() && label !== lower) return other.toUpperCase();
  if (label[0] !== lower[0]) return other[0]?.toUpperCase() + other.slice(1);
  return other;
};

const fitBoolean = (profile: ColumnProfile, cells: Cell[], rareCategoryMin: number): Fitted => {
  const counts = new Map<string, number>();
  for (const c of cells) if (c !== null) counts.set(c, (counts.get(c) ?? 0) + 1);
  // Several spellings of one side ('Y', 'y') share the side; the most frequent spelling is its label.
  const sides: [Map<string, number>, Map<string, number>] = [new Map(), new Map()];
  const unknown: string[] = [];
  for (const [label, n] of counts) {
    const lower = label.trim().toLowerCase();
    if (FALSE_WORDS.includes(lower)) sides[0].set(label, n);
    else if (TRUE_WORDS.includes(lower)) sides[1].set(label, n);
    else unknown.push(label);
  }
  if (unknown.length > 0) {
    if (counts.size !== 2) return fitCategorical(profile, cells, rareCategoryMin);
    // Two labels that are not boolean words: the first in sort order stands for false.
    const [a, b] = [...counts.keys()].sort() as [string, string];
    sides[0] = new Map([[a, counts.get(a) as number]]);
    sides[1] = new Map([[b, counts.get(b) as number]]);
  }
  const top = (side: Map<string, number>): string | undefined =>
    [...side].sort((x, y) => y[1] - x[1])[0]?.[0];
  const total = (side: Map<string, number>): number => [...side.values()].reduce((a, n) => a + n, 0);
  let falseLabel = top(sides[0]);
  let trueLabel = top(sides[1]);
  if (falseLabel === undefined && trueLabel === undefined) [falseLabel, trueLabel] = ['false', 'true'];
  falseLabel ??= complement(trueLabel as string);
  trueLabel ??= complement(falseLabel);
  const falses = total(sides[0]);
  const trues = total(sides[1]);
  const nonNull = falses + trues;
  const nullRate = (cells.length - nonNull) / cells.length;
  const pTrue = nonNull > 0 ? trues / nonNull : 0;
  const scores = new Float64Array(cells.length);
  cells.forEach((c, r) => {
    let u = nullRate / 2;
    if (c !== null && sides[0].has(c)) u = nullRate + (1 - nullRate) * ((1 - pTrue) / 2);
    else if (c !== null && sides[1].has(c)) u = nullRate + (1 - nullRate) * (1 - pTrue / 2);
    scores[r] = normalInv(u);
  });
  return {
    column: {
      name: profile.name,
      kind: profile.kind,
      nullRate,
      marginal: { type: 'boolean', labels: [falseLabel, trueLabel], pTrue },
    },
    scores,
  };
};

/** The most common layout of the values, digits as '#', when it is made only of digits and `allowed`. */
const dominantShape = (texts: string[], allowed: RegExp, minDigits: number): string | undefined => {
  const shapes = new Map<string, number>();
  for (const t of texts) {
    const shape = t.trim().replace(/\d/g, '#');
    if (allowed.test(shape) && (shape.match(/#/g) ?? []).length >= minDigits)
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
  return [...shapes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
};

/** A layout hint for a PII column: derived from the shape of the values, never holding one. */
const piiFormat = (semantic: string, texts: string[], profile: ColumnProfile): string | undefined => {
  switch (semantic) {
    case 'phone':
      return dominantShape(texts, /^[#\s()+\-./]+$/, 7);
    case 'ssn':
      return dominantShape(texts, /^[#\s\-.]+$/, 9);
    case 'credit_card':
      return dominantShape(texts, /^[#\s-]+$/, 13);
    case 'postal_code': {
      const shapes = texts.map((t) =>
        t.trim().replace(/\d/g, '#').replace(/[A-Z]/g, 'A').replace(/[a-z]/g, 'a'),
      );
      return dominantShape(shapes, /^[#Aa\s-]+$/, 1);
    }
    case 'iban': {
      // The country code is kept (not identifying); the rest only says whether it is grouped.
      const first = texts.find((t) => /^[A-Z]{2}\d{2}/.test(t.trim()));
      return first === undefined
        ? undefined
        : `${first.trim().slice(0, 2)}${/\s/.test(first.trim()) ? ' grouped' : ''}`;
    }
    case 'date_of_birth':
      return profile.format ?? detectDateFormat(texts, true);
    case 'uuid':
      return keyFamily(texts);
    default:
      return undefined;
  }
};

/** Unique-key families (src/profile/pii.ts detects them all as 'uuid'), each the format of its fakes. */
const KEY_FAMILIES: [string, RegExp][] = [
  ['uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/],
  ['UUID', /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/],
  ['uuid-compact', /^[0-9a-f]{32}$/],
  ['UUID-compact', /^[0-9A-F]{32}$/],
  ['objectid', /^[0-9a-f]{24}$/],
  ['ulid', /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/],
];

/**
 * The family most keys belong to (at least 90 %), so generated keys look like the seed's: a column
 * of MongoDB ObjectIds or ULIDs stays one. Undefined (hyphenated lowercase UUIDs) otherwise.
 */
const keyFamily = (texts: string[]): string | undefined => {
  if (texts.length === 0) return undefined;
  for (const [family, shape] of KEY_FAMILIES) {
    let matching = 0;
    for (const t of texts) if (shape.test(t.trim())) matching++;
    if (matching >= 0.9 * texts.length) return family;
  }
  return undefined;
};

const fitPii = (profile: ColumnProfile, semantic: string, cells: Cell[], locale: string): Fitted => {
  const texts = cells.filter((c): c is string => c !== null && c.trim() !== '');
  const format = piiFormat(semantic, texts, profile);
  // Only the share of distinct values is kept, never the values or their counts.
  const distinctShare = texts.length === 0 ? 1 : new Set(texts).size / texts.length;
  return {
    column: {
      name: profile.name,
      kind: profile.kind,
      nullRate: (cells.length - texts.length) / cells.length,
      marginal: {
        type: 'pii',
        semantic,
        locale,
        ...(format === undefined ? {} : { format }),
        ...(distinctShare < REPEATING ? { distinctShare: Math.round(distinctShare * 1000) / 1000 } : {}),
      },
    },
  };
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLACEHOLDERS = new Set(['#', 'A', 'a', 'X', 'x', '\\']);

/**
 * An id pattern from the values' shape: characters every value shares stay literal (a prefix such
 * as 'CUS-'), varying digits become '#', letters 'A'/'a', hex digits 'X'/'x'.
 */
export const idPattern = (texts: string[]): string => {
  if (texts.length === 0) return 'integer';
  if (texts.every((t) => UUID.test(t))) return 'uuid';
  const hex = texts.every((t) => /^[0-9a-f]+$/.test(t))
    ? 'x'
    : texts.every((t) => /^[0-9A-F]+$/.test(t))
      ? 'X'
      : '';
  const classOf = (ch: string): string =>
    /\d/.test(ch) ? '#' : /[A-Z]/.test(ch) ? 'A' : /[a-z]/.test(ch) ? 'a' : ch;
  const shapeOf = (t: string): string => [...t].map(classOf).join('');
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(shapeOf(t), (counts.get(shapeOf(t)) ?? 0) + 1);
  const shape = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] as string;
  const members = texts.filter((t) => shapeOf(t) === shape);
  const mixedHex = hex !== '' && !/^#+$/.test(shape) && !/^[Aa]+$/.test(shape);
  if (mixedHex && members.length < texts.length * 0.5) return hex.repeat((texts[0] as string).length);
  return [...shape]
    .map((cls, i) => {
      const ch = (members[0] as string)[i] as string;
      const constant = members.every((m) => m[i] === ch);
      if (cls === '#') return '#';
      if (constant || !/[A-Za-z]/.test(ch)) return PLACEHOLDERS.has(ch) ? `\\${ch}` : ch;
      return cls;
    })
    .join('');
};

const fitColumn = (
  profile: ColumnProfile,
  cells: Cell[],
  options: FitOptions,
  composite?: Float64Array,
): Fitted => {
  const { rareCategoryMin } = options;
  if (profile.semantic !== undefined)
    return fitPii(profile, profile.semantic.type, cells, options.locale ?? 'en_US');
  switch (profile.kind) {
    case 'integer':
    case 'float':
      return fitNumeric(profile, cells);
    case 'date':
    case 'datetime':
      return fitDatetime(profile, cells);
    case 'categorical':
      return fitCategorical(profile, cells, rareCategoryMin, composite);
    case 'boolean':
      return fitBoolean(profile, cells, rareCategoryMin);
    case 'text':
      return fitText(profile, cells, rareCategoryMin);
    case 'id': {
      const texts = cells.filter((c): c is string => c !== null && c.trim() !== '').map((t) => t.trim());
      return {
        column: {
          name: profile.name,
          kind: profile.kind,
          nullRate: (cells.length - texts.length) / cells.length,
          marginal: { type: 'id', pattern: idPattern(texts) },
        },
      };
    }
  }
};

/** Fits the model artifact for a profile from its train sample. */
export const fitModel = (profile: Profile, train: Table, options: FitOptions): ModelArtifact => {
  if (train.rows.length === 0)
    throw new BadInputError(`cannot fit a model for ${profile.source.name}: the train sample has no rows`);
  const dropped = new Set(options.drop ?? []);
  const kept = profile.columns.filter((c) => !dropped.has(c.name));
  const cellsOf = (column: ColumnProfile): Cell[] => {
    const at = train.columns.indexOf(column.name);
    if (at < 0) {
      throw new BadInputError(
        `the train sample of ${profile.source.name} has no column '${column.name}' named in its profile`,
      );
    }
    return train.rows.map((row) => row[at] ?? null);
  };
  // Numeric and date columns first: their scores order the categories of the others.
  const ordered = (c: ColumnProfile): boolean =>
    c.semantic === undefined && ['integer', 'float', 'date', 'datetime'].includes(c.kind);
  const early = new Map<string, Fitted>();
  for (const column of kept)
    if (ordered(column)) early.set(column.name, fitColumn(column, cellsOf(column), options));
  const composite = compositeOf(
    [...early.values()].flatMap((f) =>
      f.scores !== undefined && f.values !== undefined ? [{ scores: f.scores, cells: f.values }] : [],
    ),
    train.rows.length,
  );
  const columns: ModelColumn[] = [];
  const members: number[] = [];
  const scores: Float64Array[] = [];
  for (const column of kept) {
    const fitted = early.get(column.name) ?? fitColumn(column, cellsOf(column), options, composite);
    columns.push(fitted.column);
    if (fitted.scores !== undefined) {
      members.push(columns.length - 1);
      scores.push(fitted.scores);
    }
  }
  if (columns.length === 0)
    throw new BadInputError(`every column of ${profile.source.name} was dropped: nothing to model`);
  const model = {
    version: 1 as const,
    kind: 'gaussian-copula' as const,
    columns,
    copula: { members, correlation: repairCorrelation(pearson(scores)) },
    settings: { trainRows: train.rows.length, rareCategoryMin: options.rareCategoryMin, seed: options.seed },
  };
  const checked = ModelArtifact.safeParse(model);
  if (!checked.success)
    throw new ContractError(`fitted model for ${profile.source.name} is invalid: ${checked.error.message}`);
  return { ...checked.data, constraints: detectConstraints(checked.data, train) };
};
