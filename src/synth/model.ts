/**
 * The model artifact (`model.json`): everything a generator needs and nothing from which a seed row
 * can be rebuilt. Marginals are quantile tables and category frequencies with rare categories
 * suppressed; PII and key columns are generation specs, never values.
 */
import { z } from 'zod';

const SemanticName = z.string();

/** Words and the rows each appears in, most common first. */
export const WordTable = z.object({
  words: z.array(z.string()).min(1),
  rows: z.array(z.number().int().min(1)),
});
export type WordTable = z.infer<typeof WordTable>;

export const Marginal = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('numeric'),
    /**
     * Values of the quantile function of the non-point-mass values at evenly spaced probabilities
     * 0..1 (ascending). When every value is a point mass it holds two copies of the first one.
     */
    quantiles: z.array(z.number()).min(2),
    integer: z.boolean(),
    decimals: z.number().int().min(0),
    min: z.number(),
    max: z.number(),
    /**
     * Values that carry a mass of their own (e.g. many zeros, or each level of a small integer
     * scale), with their share of non-null rows; they sit at their value's place in the CDF.
     */
    pointMasses: z.array(z.object({ value: z.number(), p: z.number() })).default([]),
  }),
  z.object({
    type: z.literal('categorical'),
    /**
     * Category labels in their order on the copula's latent scale (by the mean of the numeric
     * columns over their rows, then most frequent first); rare ones were suppressed before this
     * list was made.
     */
    categories: z.array(z.string()).min(1),
    probs: z.array(z.number()),
    /** How many seed categories were too rare to keep. */
    suppressed: z.number().int().min(0),
  }),
  z.object({
    type: z.literal('boolean'),
    /** The two labels as written in the seed, false first (e.g. ['false','true'], ['N','Y']). */
    labels: z.tuple([z.string(), z.string()]),
    pTrue: z.number().min(0).max(1),
  }),
  z.object({
    type: z.literal('datetime'),
    /** Epoch milliseconds at evenly spaced probabilities 0..1. */
    quantiles: z.array(z.number()).min(2),
    /** Output format tokens, e.g. 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:mm:ssZ'. */
    format: z.string(),
    dateOnly: z.boolean(),
  }),
  z.object({
    type: z.literal('pii'),
    semantic: SemanticName,
    /** Faker locale of the fake values (from the dataset spec; en_US by default). */
    locale: z.string().default('en_US'),
    /**
     * Distinct values per non-null row in the train sample, when values repeat (the same customer on
     * several rows): fake values then repeat alike, one fake identity per pool index, so grouping
     * and joining on the column still work. Absent: every value fresh.
     */
    distinctShare: z.number().min(0).max(1).optional(),
    /** Format hints observed in the seed (e.g. phone layout, date format), never seed values. */
    format: z.string().optional(),
  }),
  z.object({
    type: z.literal('id'),
    /**
     * 'uuid' | 'integer' | a pattern such as 'CUS-######': '#' digit, 'A'/'a' upper/lower letter,
     * 'X'/'x' upper/lower hex digit, '\\' escapes a literal; anything else is literal. The last '#'
     * run holds a number unique within the run, one digit longer than the run so it never equals
     * a seed id of that shape.
     */
    pattern: z.string(),
  }),
  z.object({
    type: z.literal('text'),
    /** Length quantiles of the seed's text, so fake text has a similar length. */
    lengths: z.array(z.number()).min(2),
    /**
     * The words the seed's text shares widely, each with the number of rows it appears in (at
     * least the model's rareCategoryMin, the bar a category clears): first words apart from the
     * rest, so fake text starts as the seed's does. A rarer word never enters the model. Absent
     * (too few common words, or a model from before words were kept): filler words.
     */
    words: z.object({ first: WordTable, rest: WordTable }).optional(),
  }),
]);
export type Marginal = z.infer<typeof Marginal>;

export const ModelColumn = z.object({
  name: z.string(),
  kind: z.string(),
  nullRate: z.number().min(0).max(1),
  marginal: Marginal,
});
export type ModelColumn = z.infer<typeof ModelColumn>;

/**
 * Relations that held in every train row and are enforced on every sampled row:
 * `order` — lo ≤ hi (numbers, or dates of the same format: start ≤ end);
 * `fixed` — the determinant's category fixes the dependent's (city → state). The map holds only
 * categories the model may emit anyway, so it adds no seed value.
 */
export const Constraint = z.discriminatedUnion('type', [
  z.object({ type: z.literal('order'), lo: z.string(), hi: z.string() }),
  /** total = the parts (two or three) added, in every train row (to the total's decimals): the total is computed. */
  z.object({ type: z.literal('sum'), total: z.string(), parts: z.array(z.string()).min(2).max(3) }),
  z.object({
    type: z.literal('fixed'),
    determinant: z.string(),
    dependent: z.string(),
    map: z.record(z.string(), z.string()),
  }),
]);
export type Constraint = z.infer<typeof Constraint>;

export const ModelArtifact = z.object({
  version: z.literal(1),
  kind: z.literal('gaussian-copula'),
  columns: z.array(ModelColumn).min(1),
  copula: z.object({
    /** Indices into `columns` of the columns joined by the copula, in matrix order. */
    members: z.array(z.number().int().min(0)),
    /** Correlation of normal scores, positive definite, members × members, row-major. */
    correlation: z.array(z.array(z.number())),
  }),
  constraints: z.array(Constraint).default([]),
  settings: z.object({
    trainRows: z.number().int(),
    rareCategoryMin: z.number().int(),
    seed: z.number().int(),
  }),
});
export type ModelArtifact = z.infer<typeof ModelArtifact>;
