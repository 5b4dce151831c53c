/**
 * Ingest a seed: the stage behind "a file landed in the seed bucket".
 * Steps:
 *  1. ignore what is not a seed (specs, folders, keys outside `datasets/<dataset>/`);
 *  2. read the optional dataset spec beside it; derive the run id from the seed object and spec,
 *     so a duplicate event finds its run and stops;
 *  3. profile the seed (types, statistics, PII, train/holdout samples): CSV and TSV through the
 *     byte-level fast path, a large one as byte ranges on worker threads; anything else in one
 *     streaming pass;
 *  4. stream it once more to index the identifying values (salted hashes only) for the gate;
 *  5. plant a few canary rows in the train sample and fit the model on it; store profile, model,
 *     samples (PII columns dropped) and the canaries;
 *  6. plan the shards and queue one job each.
 * Bad input fails the run with a reason and a note in quarantine; the seed is only ever read.
 */
import {
  DatasetSpec,
  IDENTIFYING,
  type Profile,
  parseJson,
  type RunRecord,
  resolvePolicy,
  type SeedRef,
} from '../contracts.ts';
import { BadInputError, DoppelError, errorMessage, NotFoundError } from '../errors.ts';
import { gunzip, openParquetSeed, openSeed, type SeedReader } from '../formats/read-seed.ts';
import { plantCanaries } from '../privacy/canaries.ts';
import { nameBaselineOf } from '../privacy/gate.ts';
import { PII_INDEX_CAP, PiiIndex } from '../privacy/pii-index.ts';
import {
  type ProfiledSeed,
  type ProfileOptions,
  profileRanges,
  profileStream,
} from '../profile/profile-seed.ts';
import { indexChunks, indexStream } from '../profile/value-chunks.ts';
import { hash32 } from '../random.ts';
import { compileConditions } from '../synth/conditions.ts';
import { fitModel } from '../synth/fit.ts';
import { type Table, toCsv } from '../table.ts';
import type { PipelineDeps } from './deps.ts';
import { latestKey, outputPrefix, parseSeedKey, runKeys, seedRunId, specKey } from './layout.ts';
import { planRun } from './plan-run.ts';
import { findRun, readText, saveRun, writeJson } from './run-store.ts';

export type IngestDeps = Pick<PipelineDeps, 'store' | 'queue' | 'buckets' | 'now' | 'progress'> & {
  /** Seeds of this many bytes or more are profiled as byte ranges on worker threads (default 32 MiB). */
  rangedProfileBytes?: number;
  /** Most identifying values the PII index keeps (PiiIndex's default: 2,000,000). */
  piiIndexCap?: number;
};

/**
 * Below two chunks' worth (profile-chunks.ts cuts at least 16 MiB a chunk) one pass over the stream
 * is as fast, and reads the object once.
 */
const RANGED_PROFILE_BYTES = 32 << 20;

export interface SeedObject {
  bucket: string;
  key: string;
  etag?: string;
  versionId?: string;
  size?: number;
}

export type IngestOutcome =
  | { status: 'ignored'; reason: string }
  | { status: 'duplicate'; run: RunRecord }
  | { status: 'started'; run: RunRecord; profile: Profile }
  | { status: 'failed'; run: RunRecord; reason: string };

/** Columns kept out of stored samples: PII and keys are checked by value (PII index), not by distance. */
export const isSampledColumn = (column: Profile['columns'][number]): boolean =>
  column.semantic === undefined && column.kind !== 'id';

const project = (table: Table, keep: string[]): Table => {
  const indices = keep.map((name) => table.columns.indexOf(name));
  return {
    columns: keep,
    rows: table.rows.map((row) => indices.map((i) => (i < 0 ? null : (row[i] ?? null)))),
  };
};

interface SpecRead {
  spec: DatasetSpec;
  /** The spec as written (its text), part of the run's identity; '' when there is none. */
  text: string;
  /** Why the spec is unusable, when it is. */
  error?: string;
}

const readSpec = async (deps: IngestDeps, dataset: string): Promise<SpecRead> => {
  const key = specKey(dataset);
  let text: string;
  try {
    text = await readText(deps.store, deps.buckets.seed, key);
  } catch (error) {
    if (error instanceof NotFoundError) return { spec: DatasetSpec.parse({}), text: '' };
    throw error;
  }
  try {
    return { spec: parseJson(DatasetSpec, text, key), text };
  } catch (error) {
    return { spec: DatasetSpec.parse({}), text, error: errorMessage(error) };
  }
};

/** Passes a stream through, reporting every tenth of the bytes read: long profiles show headway. */
async function* reportingReads(
  source: AsyncIterable<Uint8Array>,
  total: number,
  report: (done: number) => void,
): AsyncIterable<Uint8Array> {
  const step = Math.max(total / 10, 8 * 1024 * 1024);
  let read = 0;
  let next = step;
  for await (const chunk of source) {
    read += chunk.byteLength;
    if (read >= next && read < total) {
      report(read);
      next = read + step;
    }
    yield chunk;
  }
}

/**
 * Adds every value of the seed's columns at `positions` to `index`, reading on until the index is
 * full (the gate then calls its replay check inconclusive). The caller closes the reader.
 */
export const indexSeedValues = async (
  reader: SeedReader,
  positions: readonly number[],
  index: Pick<PiiIndex, 'add' | 'truncated'>,
): Promise<void> => {
  for await (const batch of reader.batches()) {
    for (const row of batch) {
      for (const i of positions) {
        const value = row[i];
        if (value != null) index.add(value);
      }
    }
    if (index.truncated) return;
  }
};

/**
 * Reads the seed again for every value of its identifying columns: by the profile's chunks on
 * worker threads where it was read as chunks; else delimited text as a stream through the byte
 * scanner; else (or where the scanner declines) through the row reader.
 */
const indexPii = async (
  deps: IngestDeps,
  seed: SeedRef,
  name: string,
  { profile, cut, scanned }: ProfiledSeed,
  runId: string,
): Promise<PiiIndex> => {
  const columns = profile.columns.filter((c) => c.semantic !== undefined && IDENTIFYING.has(c.semantic.type));
  const positions = columns.map((c) => c.index);
  if (positions.length > 0)
    deps.progress({
      stage: 'profile',
      runId,
      message: `indexing the values of ${columns.map((c) => c.name).join(', ')}${
        cut === undefined ? '' : ` in ${cut.tasks.length} chunk(s)`
      }`,
    });
  const values = { positions, salt: runId, cap: deps.piiIndexCap ?? PII_INDEX_CAP };
  if (positions.length === 0) return new PiiIndex(runId, values.cap);
  if (cut !== undefined) return indexChunks(cut, values);
  // Delimited text the byte scanner read as one stream (gzip, or under the ranged size): its pass
  // over the stream again (only then: the row reader's values may differ from the scanner's).
  const { compression, delimiter } = profile.source;
  if (scanned === true && delimiter !== undefined) {
    let raw = 0;
    const stream = await deps.store.getStream(seed.bucket, seed.key, seed);
    const counted = (async function* () {
      for await (const chunk of stream) {
        raw += chunk.byteLength;
        yield chunk;
      }
    })();
    const text = compression === 'gzip' ? gunzip(counted, name, () => raw) : counted;
    const index = await indexStream(text, delimiter, values);
    if (index !== undefined) return index;
  }
  const index = new PiiIndex(runId, values.cap);
  // Parquet is read where it lies, by ranges (a stream would be spooled to disk first).
  const reader =
    profile.source.format === 'parquet' && profile.source.compression === 'none'
      ? await openParquetSeed(
          await deps.store.locate(seed.bucket, seed.key, seed),
          name,
          seed.size ?? profile.source.bytes,
        )
      : await openSeed(await deps.store.getStream(seed.bucket, seed.key, seed), name);
  try {
    await indexSeedValues(reader, positions, index);
  } finally {
    await reader.close();
  }
  return index;
};

export const ingestSeed = async (deps: IngestDeps, object: SeedObject): Promise<IngestOutcome> => {
  const { store, buckets, progress } = deps;
  const parsed = parseSeedKey(object.key);
  if (parsed === undefined)
    return { status: 'ignored', reason: `${object.key} is not a seed (datasets/<dataset>/<file>)` };
  const { dataset, file } = parsed;

  let etag = object.etag;
  let size = object.size;
  if (etag === undefined || size === undefined) {
    const info = await store.head(object.bucket, object.key);
    if (info === undefined) return { status: 'ignored', reason: `${object.key} no longer exists` };
    etag ??= info.etag;
    size ??= info.size;
  }
  const seedRef: SeedRef = {
    bucket: object.bucket,
    key: object.key,
    etag,
    size,
    ...(object.versionId === undefined ? {} : { versionId: object.versionId }),
  };

  const { spec, text: specText, error: specError } = await readSpec(deps, dataset);
  // The spec as written, not as parsed: a new default in a later version is not a new run.
  const runId = seedRunId(seedRef, specText);
  const existing = await findRun(store, buckets.work, runId);
  if (existing !== undefined && existing.status !== 'profiling') {
    progress({
      stage: 'profile',
      runId,
      message: `${dataset}/${file} was already ingested (run ${existing.status})`,
    });
    return { status: 'duplicate', run: existing };
  }

  const createdAt = deps.now().toISOString();
  let run: RunRecord = {
    version: 1,
    runId,
    dataset,
    trigger: 'seed',
    status: 'profiling',
    seedObject: seedRef,
    spec,
    policy: resolvePolicy(spec.policy),
    seed: spec.seed ?? hash32(runId),
    sourceRunId: runId,
    createdAt: existing?.createdAt ?? createdAt,
    updatedAt: createdAt,
  };
  run = await saveRun(store, buckets.work, run, deps.now);
  progress({ stage: 'profile', runId, message: `profiling ${dataset}/${file} (${size} bytes)` });

  try {
    if (specError !== undefined) throw new BadInputError(specError);
    const reported = (done: number) =>
      progress({
        stage: 'profile',
        runId,
        message: `read ${Math.round((100 * done) / size)}% of ${file}`,
        done,
        total: size,
      });
    // Opened again only when the byte-level fast path gives up midway (see profileStream).
    const open = async () =>
      reportingReads(await store.getStream(seedRef.bucket, seedRef.key, seedRef), size, reported);
    const options: ProfileOptions = {
      seed: run.seed,
      bytes: size,
      overrides: spec.columns,
      holdoutShare: spec.holdout.share,
      holdoutMin: spec.holdout.minRows,
    };
    // A large seed is read as byte ranges on worker threads, each from the store's location of it.
    const profiled =
      size >= (deps.rangedProfileBytes ?? RANGED_PROFILE_BYTES)
        ? await profileRanges(
            await store.locate(seedRef.bucket, seedRef.key, seedRef),
            size,
            file,
            { ...options, progress: reported },
            // Gzip (no ranges) is still scanned as a stream; what the fast paths decline takes the row reader.
            () => profileStream(open, file, options),
          )
        : await profileStream(open, file, options);
    const { profile, train, holdout } = profiled;
    const pii = profile.columns.filter((c) => c.semantic !== undefined);
    progress({
      stage: 'profile',
      runId,
      message: `${profile.rows} rows × ${profile.columns.length} columns; PII: ${
        pii.map((c) => `${c.name} (${c.semantic?.type})`).join(', ') || 'none'
      }`,
    });
    const index = await indexPii(deps, seedRef, file, profiled, runId);
    const keys = runKeys(runId);
    const drop = Object.entries(spec.columns)
      .filter(([, o]) => o.drop === true)
      .map(([name]) => name);
    // Canaries: a few made-up rows the model sees as train rows; replaying one is proof of memorising.
    const planted = plantCanaries(train, profile, run.seed);
    const model = fitModel(profile, planted.train, {
      seed: run.seed,
      rareCategoryMin: run.policy.rareCategoryMin,
      drop,
      locale: spec.locale,
    });
    compileConditions(model, spec.conditions);
    progress({ stage: 'fit', runId, message: `fitted a Gaussian copula on ${train.rows.length} train rows` });

    const sampled = profile.columns.filter(isSampledColumn).map((c) => c.name);
    // The samples at rest hold no PII column: the names' chance recurrence is counted here, once.
    const names = nameBaselineOf(profile, train, holdout);
    const stored = names.total > 0 ? { ...profile, nameRecurrence: names } : profile;
    await Promise.all([
      writeJson(store, buckets.work, keys.profile, stored),
      writeJson(store, buckets.work, keys.model, model),
      writeJson(store, buckets.work, keys.piiIndex, index.toJSON()),
      store.put(buckets.work, keys.train, toCsv(project(train, sampled)), { contentType: 'text/csv' }),
      store.put(buckets.work, keys.holdout, toCsv(project(holdout, sampled)), { contentType: 'text/csv' }),
      store.put(buckets.work, keys.canaries, toCsv(planted.canaries), { contentType: 'text/csv' }),
    ]);
    await writeJson(store, buckets.work, latestKey(dataset), { runId, seedObject: seedRef });

    run = await planRun(
      { queue: deps.queue, save: (r) => saveRun(store, buckets.work, r, deps.now) },
      { ...run, status: 'generating', rows: spec.rows ?? profile.rows },
      model,
      keys.model,
    );
    progress({ stage: 'plan', runId, message: `${run.rows} rows in ${run.shards} shard(s) queued` });
    return { status: 'started', run, profile };
  } catch (error) {
    if (!(error instanceof DoppelError) || error.transient) throw error;
    const reason = error.message;
    run = await saveRun(store, buckets.work, { ...run, status: 'failed', reason }, deps.now);
    await writeJson(store, buckets.quarantine, `${outputPrefix(dataset, runId)}rejected.json`, {
      runId,
      dataset,
      seedObject: seedRef,
      verdict: 'rejected',
      reason,
    });
    progress({ stage: 'profile', runId, message: `rejected: ${reason}` });
    return { status: 'failed', run, reason };
  }
};
