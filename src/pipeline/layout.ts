/**
 * Where every artifact lives. One place, so stages, handlers, the CLI and the infra's notification
 * filters agree on keys.
 */
import { createHash } from 'node:crypto';
import type { SeedRef } from '../contracts.ts';

/** Seed objects land under this prefix of the seed bucket: `datasets/<dataset>/<file>`. */
export const SEED_PREFIX = 'datasets/';
/** A dataset spec beside its seed: `datasets/<dataset>/doppel.json`. */
export const SPEC_FILE = 'doppel.json';
/** Markers under this prefix of the work bucket start the gate (S3 notification → gate function). */
export const READY_PREFIX = 'ready/';

export const DATASET_NAME = /^[A-Za-z0-9._-]{1,128}$/;

export interface SeedKey {
  dataset: string;
  file: string;
}

/** Parses `datasets/<dataset>/<file>`; undefined for keys that are not seeds (specs, folders, elsewhere). */
export const parseSeedKey = (key: string): SeedKey | undefined => {
  if (!key.startsWith(SEED_PREFIX)) return undefined;
  const rest = key.slice(SEED_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const dataset = rest.slice(0, slash);
  const file = rest.slice(slash + 1);
  if (!DATASET_NAME.test(dataset) || file === '' || file.endsWith('/') || file === SPEC_FILE)
    return undefined;
  if (file.split('/').some((part) => part.startsWith('.'))) return undefined;
  return { dataset, file };
};

export const specKey = (dataset: string): string => `${SEED_PREFIX}${dataset}/${SPEC_FILE}`;

const digest = (parts: unknown[]): string =>
  createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);

/**
 * A run's id derives from the seed object's identity and the spec's text: a duplicate event is the
 * same run, and a changed seed or spec a new one.
 */
export const seedRunId = (seed: SeedRef, specText: string): string =>
  `r-${digest(['seed', seed.bucket, seed.key, seed.versionId ?? seed.etag, specText])}`;

/** A derived run (schedule, request) is identified by what asked for it. */
export const derivedRunId = (parts: unknown[]): string => `r-${digest(['derived', ...parts])}`;

export const runKeys = (runId: string) => {
  const base = `runs/${runId}/`;
  return {
    base,
    record: `${base}run.json`,
    profile: `${base}profile.json`,
    model: `${base}model.json`,
    train: `${base}samples/train.csv`,
    holdout: `${base}samples/holdout.csv`,
    /** Made-up rows planted in the train part before fitting; the gate looks for them in the output. */
    canaries: `${base}samples/canaries.csv`,
    piiIndex: `${base}pii-index.json`,
    shardsPrefix: `${base}shards/`,
    shard: (index: number) => `${base}shards/part-${String(index).padStart(5, '0')}.csv`,
    /** A shard after row-level repair at the gate, beside the original. */
    repairedShard: (index: number) => `${base}repaired/part-${String(index).padStart(5, '0')}.csv`,
    gateClaim: `${base}gate.claim`,
    ready: `${READY_PREFIX}${runId}.json`,
  };
};

/** Pointer to the latest profiled seed run of a dataset (what schedules and requests build on). */
export const latestKey = (dataset: string): string => `datasets/${dataset}/latest.json`;

/** Where a finished run's output goes in the curated or quarantine bucket. */
export const outputPrefix = (dataset: string, runId: string): string => `${dataset}/${runId}/`;

export const runIdFromReadyKey = (key: string): string | undefined => {
  const match = /^ready\/(r-[0-9a-f]{16})\.json$/.exec(key);
  return match?.[1];
};
