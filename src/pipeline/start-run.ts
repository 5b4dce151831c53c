/**
 * Start a derived run: more rows of a dataset already profiled, with a new seed and possibly a
 * stricter policy (scheduled augmentation, compliance requests).
 * Steps:
 *  1. find the dataset's latest profiled seed run and its model;
 *  2. derive the run id from what asked for it, so a repeated event is the same run;
 *  3. tighten the model when the policy's rare-category rule is stricter than the one it was fitted with;
 *  4. plan the shards and queue the jobs.
 */

import { z } from 'zod';
import { type DatasetSpec, ModelArtifact, type RunRecord, resolvePolicy } from '../contracts.ts';
import { NotFoundError } from '../errors.ts';
import { tightenModel } from '../synth/tighten.ts';
import type { PipelineDeps } from './deps.ts';
import { derivedRunId, latestKey, runKeys } from './layout.ts';
import { planRun } from './plan-run.ts';
import { findRun, readJson, readRun, saveRun, writeJson } from './run-store.ts';

export type StartDeps = Pick<PipelineDeps, 'store' | 'queue' | 'buckets' | 'now' | 'progress'>;

export interface StartRequest {
  dataset: string;
  trigger: 'schedule' | 'request';
  /** Rows wanted; defaults to the seed run's row count. */
  rows?: number;
  seed: number;
  policy?: DatasetSpec['policy'];
  /** What makes this request unique (schedule time, API request id): part of the run id. */
  origin: string;
  /** Who asked (the IAM principal of a compliance request), recorded on the run. */
  requestedBy?: string;
}

const Latest = z.object({ runId: z.string() });

export const startRun = async (
  deps: StartDeps,
  request: StartRequest,
): Promise<{ run: RunRecord; created: boolean }> => {
  const { store, buckets } = deps;
  let latest: z.infer<typeof Latest>;
  try {
    latest = await readJson(store, buckets.work, latestKey(request.dataset), Latest);
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(
        `dataset ${request.dataset} has no profiled seed yet; drop one under datasets/${request.dataset}/`,
      );
    }
    throw error;
  }
  const source = await readRun(store, buckets.work, latest.runId);
  const policy = request.policy === undefined ? source.policy : resolvePolicy(request.policy);
  const rows = request.rows ?? source.rows ?? 1;
  // The policy as asked for (a name or overrides), not as resolved: new policy fields in a later
  // version must not turn a repeated request into a new run.
  const runId = derivedRunId([
    request.trigger,
    request.dataset,
    source.runId,
    request.seed,
    rows,
    request.policy ?? null,
    request.origin,
  ]);
  const existing = await findRun(store, buckets.work, runId);
  if (existing !== undefined) return { run: existing, created: false };

  const sourceKeys = runKeys(source.runId);
  const model = await readJson(store, buckets.work, source.modelKey ?? sourceKeys.model, ModelArtifact);
  const tightened = tightenModel(model, policy.rareCategoryMin);
  let modelKey = source.modelKey ?? sourceKeys.model;
  if (tightened !== model) {
    modelKey = runKeys(runId).model;
    await writeJson(store, buckets.work, modelKey, tightened);
  }
  const createdAt = deps.now().toISOString();
  let run: RunRecord = {
    version: 1,
    runId,
    dataset: request.dataset,
    trigger: request.trigger,
    status: 'generating',
    seedObject: source.seedObject,
    spec: source.spec,
    policy,
    rows,
    seed: request.seed,
    sourceRunId: source.runId,
    modelKey,
    ...(request.trigger === 'request' ? { requestId: runId } : {}),
    ...(request.requestedBy === undefined ? {} : { requestedBy: request.requestedBy }),
    createdAt,
    updatedAt: createdAt,
  };
  run = await planRun(
    { queue: deps.queue, save: (r) => saveRun(store, buckets.work, r, deps.now) },
    run,
    tightened,
    modelKey,
  );
  deps.progress({
    stage: 'plan',
    runId,
    message: `${request.trigger}: ${rows} rows of ${request.dataset} in ${run.shards} shard(s)`,
  });
  return { run, created: true };
};
