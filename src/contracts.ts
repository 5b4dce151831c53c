/**
 * Every contract between stages, versioned, with its schema. Each is validated where it crosses a
 * boundary (S3 object, SQS message, endpoint request/response, API body) through `parse`.
 */
import { z } from 'zod';
import { ContractError } from './errors.ts';
import { ModelArtifact } from './synth/model.ts';

export { ModelArtifact };

export const ColumnKind = z.enum([
  'integer',
  'float',
  'boolean',
  'categorical',
  'datetime',
  'date',
  'text',
  'id',
]);
export type ColumnKind = z.infer<typeof ColumnKind>;

export const SemanticType = z.enum([
  'email',
  'phone',
  'ssn',
  'credit_card',
  'iban',
  'ipv4',
  'ipv6',
  'url',
  'postal_code',
  'person_name',
  'first_name',
  'last_name',
  'street_address',
  'date_of_birth',
  'uuid',
  /** Free text (notes, comments) whose values embed identifiers such as emails or phone numbers. */
  'free_text_pii',
]);
export type SemanticType = z.infer<typeof SemanticType>;

/** Semantic types whose values identify a person by themselves: no seed value may appear in output. */
export const IDENTIFYING: ReadonlySet<SemanticType> = new Set<SemanticType>([
  'email',
  'phone',
  'ssn',
  'credit_card',
  'iban',
  'ipv4',
  'ipv6',
  'url',
  'person_name',
  'street_address',
  'uuid',
  'free_text_pii',
]);

/** Locales fake PII can be drawn in (faker's), set per dataset in the spec. */
export const FakerLocale = z.enum([
  'en_US',
  'en_GB',
  'en_CA',
  'en_AU',
  'de',
  'fr',
  'es',
  'it',
  'nl',
  'pt_BR',
  'sv',
  'pl',
]);
export type FakerLocale = z.infer<typeof FakerLocale>;

/** `default` is the old name of `standard`, kept so existing specs, requests and run records still work. */
export const PolicyName = z.enum(['standard', 'strict', 'default']);
export type PolicyName = z.infer<typeof PolicyName>;

/** Gate thresholds. Named presets below; a spec may override single figures. */
export const Policy = z
  .object({
    name: z.string(),
    /** A category seen fewer times than this in the train sample never appears in output. */
    rareCategoryMin: z.number().int().min(1),
    /** Copy share above the holdout's own that is tolerated even when significant (0: none). */
    exactCopyExcess: z.number().min(0).max(1),
    /** Highest share of synthetic rows nearer to a train row than to any holdout row (0.5 = no leak). */
    dcrShareMax: z.number().min(0.5).max(1),
    /** Lowest 10th-percentile NNDR of synthetic rows to train over the same to holdout (1 = no leak). */
    nndrRatioMin: z.number().min(0).max(1).default(0.85),
    /** Highest AUC of the distance-based membership attack telling train rows from holdout rows. */
    miaAucMax: z.number().min(0.5).max(1).default(0.6),
    /** Highest chance that a synthetic row lies nearer to train than an unseen real row does (0.5 = same). */
    closenessAucMax: z.number().min(0.5).max(1).default(0.6),
    /** Family-wise error rate of the statistical checks together (Holm–Bonferroni). */
    familyAlpha: z.number().gt(0).lt(1).default(0.05),
    /** Highest risk of each WP29 attack (singling out, linkability, inference), beyond the holdout control. */
    attackRiskMax: z.number().min(0).max(1).default(0.1),
    /** Highest excess of rare train quasi-identifier combinations reappearing, over rare holdout ones. */
    rareCombinationRiskMax: z.number().min(0).max(1).default(0.05),
    /** Quasi-identifier combinations seen fewer times than this are rare. */
    kMin: z.number().int().min(2).default(5),
    /**
     * Row-level repair at the gate: drop the rows behind a row-level failure, draw fresh ones, gate
     * again (off when left out: a run record or custom policy written before repair existed).
     */
    repair: z.boolean().optional(),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;

const STANDARD: Policy = {
  name: 'standard',
  rareCategoryMin: 5,
  exactCopyExcess: 0.001,
  dcrShareMax: 0.55,
  nndrRatioMin: 0.85,
  miaAucMax: 0.6,
  closenessAucMax: 0.6,
  familyAlpha: 0.05,
  attackRiskMax: 0.1,
  rareCombinationRiskMax: 0.05,
  kMin: 5,
  repair: true,
};

export const POLICIES: Record<PolicyName, Policy> = {
  standard: STANDARD,
  strict: {
    name: 'strict',
    rareCategoryMin: 10,
    exactCopyExcess: 0,
    dcrShareMax: 0.52,
    nndrRatioMin: 0.9,
    miaAucMax: 0.55,
    closenessAucMax: 0.55,
    familyAlpha: 0.05,
    attackRiskMax: 0.05,
    rareCombinationRiskMax: 0.03,
    kMin: 10,
    // Compliance: a model that emits leaking rows is quarantined for a person to look at, not patched.
    repair: false,
  },
  default: STANDARD,
};

export const ColumnOverride = z
  .object({
    kind: ColumnKind.optional(),
    /** null: not PII, whatever the detector thinks. */
    semantic: SemanticType.nullable().optional(),
    drop: z.boolean().optional(),
  })
  .strict();

/** `datasets/<dataset>/doppel.json` beside a seed, or the body of an API request. */
export const DatasetSpec = z
  .object({
    version: z.literal(1).default(1),
    rows: z.number().int().positive().max(1_000_000_000).optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    policy: z.union([PolicyName, Policy.partial().extend({ name: z.string() })]).default('standard'),
    columns: z.record(z.string(), ColumnOverride).default({}),
    quasiIdentifiers: z.array(z.string()).default([]),
    /** Locale of the fake names, addresses and other PII (faker's). */
    locale: FakerLocale.default('en_US'),
    /** Conditional sampling: every output row has these exact values (`--where col=value`). */
    conditions: z.record(z.string(), z.string()).default({}),
    /** The rows set aside for the privacy gate: a share of the seed, and a floor where the seed has the rows. */
    holdout: z
      .object({
        share: z.number().min(0.05).max(0.5).default(0.2),
        minRows: z.number().int().min(0).default(1000),
      })
      .strict()
      .default({ share: 0.2, minRows: 1000 }),
    format: z.literal('csv').default('csv'),
  })
  .strict();
export type DatasetSpec = z.infer<typeof DatasetSpec>;

export const resolvePolicy = (policy: DatasetSpec['policy']): Policy => {
  if (typeof policy === 'string') return POLICIES[policy];
  const base = POLICIES[(PolicyName.safeParse(policy.name).data ?? 'standard') as PolicyName];
  return Policy.parse({ ...base, ...policy });
};

export const SemanticDetection = z.object({
  type: SemanticType,
  confidence: z.number().min(0).max(1),
  evidence: z.string(),
});

export const ColumnProfile = z.object({
  name: z.string(),
  index: z.number().int(),
  kind: ColumnKind,
  count: z.number().int(),
  nulls: z.number().int(),
  nullRate: z.number(),
  distinct: z.number().int(),
  /**
   * Set when `distinct` is a HyperLogLog estimate (within 2 %): the column passed the exact count's
   * cap (10,000 values). A fact about the figure, not about the data, so it is no alert.
   */
  distinctEstimated: z.literal(true).optional(),
  /** Datetime/date format token string (e.g. 'YYYY-MM-DD'), when kind is datetime or date. */
  format: z.string().optional(),
  decimals: z.number().int().optional(),
  min: z.union([z.number(), z.string()]).optional(),
  max: z.union([z.number(), z.string()]).optional(),
  mean: z.number().optional(),
  std: z.number().optional(),
  /** Most frequent values; left out for PII columns so no seed identifier is printed or stored. */
  top: z.array(z.object({ value: z.string(), count: z.number().int() })).default([]),
  semantic: SemanticDetection.optional(),
  alerts: z.array(z.string()).default([]),
});
export type ColumnProfile = z.infer<typeof ColumnProfile>;

export const SeedFormat = z.enum(['csv', 'tsv', 'jsonl', 'json', 'parquet']);
export type SeedFormat = z.infer<typeof SeedFormat>;

export const Profile = z.object({
  version: z.literal(1),
  source: z.object({
    name: z.string(),
    bytes: z.number().int(),
    format: SeedFormat,
    compression: z.enum(['none', 'gzip']),
    delimiter: z.string().optional(),
  }),
  rows: z.number().int(),
  /** Rows that repeat an earlier row: exact up to 262,144 distinct rows, else a sketch's estimate. */
  duplicateRows: z.object({ count: z.number().int(), estimated: z.boolean() }).optional(),
  /** Rows in the train part (the only rows the model sees) and in the holdout the gate measures against. */
  split: z.object({ train: z.number().int(), holdout: z.number().int() }).optional(),
  /**
   * Person-name cells of the holdout sample, and how many of them also occur among the train
   * sample's names: how often a name recurs by chance, the gate's yardstick for names in the output.
   */
  nameRecurrence: z.object({ matched: z.number().int(), total: z.number().int() }).optional(),
  columns: z.array(ColumnProfile),
  /** Alerts about the table as a whole (duplicate rows); column alerts sit on their columns. */
  alerts: z.array(z.string()).default([]),
  warnings: z.array(z.string()).default([]),
});
export type Profile = z.infer<typeof Profile>;

/** A reference to the seed object a run started from. */
export const SeedRef = z.object({
  bucket: z.string(),
  key: z.string(),
  etag: z.string(),
  versionId: z.string().optional(),
  size: z.number().int().optional(),
});
export type SeedRef = z.infer<typeof SeedRef>;

/** One SQS message: generate one shard of one run. */
export const ShardJob = z
  .object({
    version: z.literal(1),
    runId: z.string().regex(/^r-[0-9a-f]{16}$/),
    shard: z.number().int().min(0),
    shards: z.number().int().min(1),
    rows: z.number().int().min(1),
    seed: z.number().int().min(0).max(0xffffffff),
    /** Work-bucket key of the model artifact. */
    modelKey: z.string(),
  })
  .strict();
export type ShardJob = z.infer<typeof ShardJob>;

/** POST /invocations body (SageMaker hosting contract): the model inline or by URI. */
export const GenerateRequest = z
  .object({
    model: ModelArtifact.optional(),
    modelUri: z.string().optional(),
    rows: z.number().int().min(1).max(1_000_000),
    seed: z.number().int().min(0).max(0xffffffff),
    shard: z.number().int().min(0),
    /** Conditional sampling: only rows with these exact values. */
    where: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((r) => (r.model === undefined) !== (r.modelUri === undefined), {
    message: 'exactly one of model and modelUri is required',
  });
export type GenerateRequest = z.infer<typeof GenerateRequest>;

export const RunStatus = z.enum(['profiling', 'generating', 'gating', 'published', 'quarantined', 'failed']);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunTrigger = z.enum(['seed', 'schedule', 'request', 'cli']);

/** `runs/<runId>/run.json` in the work bucket: where a run stands. */
export const RunRecord = z.object({
  version: z.literal(1),
  runId: z.string(),
  dataset: z.string(),
  trigger: RunTrigger,
  status: RunStatus,
  seedObject: SeedRef,
  spec: DatasetSpec,
  policy: Policy,
  rows: z.number().int().optional(),
  seed: z.number().int(),
  /** The run whose profile, model and samples this run uses (itself for a seed run). */
  sourceRunId: z.string(),
  shards: z.number().int().optional(),
  /** Work-bucket key of the model this run samples from. */
  modelKey: z.string().optional(),
  requestId: z.string().optional(),
  /** Who asked (the IAM principal of a compliance request). */
  requestedBy: z.string().optional(),
  /** Where the result went: the curated or quarantine prefix. */
  output: z.object({ bucket: z.string(), prefix: z.string() }).optional(),
  reason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type RunRecord = z.infer<typeof RunRecord>;

/** EventBridge schedule payload: N more rows of a dataset already profiled. */
export const AugmentRequest = z
  .object({
    dataset: z.string().regex(/^[A-Za-z0-9._-]+$/),
    rows: z.number().int().positive().max(1_000_000_000),
    policy: DatasetSpec.shape.policy.optional(),
    /** The occurrence this invocation is for (EventBridge Scheduler's <aws.scheduler.scheduled-time>). */
    scheduledTime: z.string().optional(),
  })
  .strict();
export type AugmentRequest = z.infer<typeof AugmentRequest>;

/** Compliance API: POST /requests body. */
export const DatasetRequest = z
  .object({
    dataset: z.string().regex(/^[A-Za-z0-9._-]+$/),
    rows: z.number().int().positive().max(1_000_000_000).optional(),
    policy: DatasetSpec.shape.policy,
    seed: z.number().int().min(0).max(0xffffffff).optional(),
  })
  .strict();
export type DatasetRequest = z.infer<typeof DatasetRequest>;

/** Validates a value against a contract, turning schema failures into one readable ContractError. */
export const parse = <T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  throw new ContractError(`${what} is invalid: ${issues}`);
};

/** Parses JSON text then validates it; bad JSON is a ContractError too. */
export const parseJson = <T extends z.ZodType>(schema: T, text: string, what: string): z.infer<T> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ContractError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  return parse(schema, value, what);
};
