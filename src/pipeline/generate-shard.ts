/**
 * Generate one shard: the stage behind one SQS job.
 * Steps:
 *  1. load the run (a finished or failed run drops late jobs) and its model and PII index;
 *  2. call the generator endpoint for (model, rows, seed, shard) and validate its answer;
 *  3. redraw, deterministically, any identifying value that happens to equal a seed value;
 *  4. write the shard: a pure function of (model, seed, shard), so a redelivered job rewrites
 *     identical bytes;
 *  5. when every shard is there, drop the ready marker that starts the gate.
 */
import { IDENTIFYING, ModelArtifact, type SemanticType, type ShardJob } from '../contracts.ts';
import { ContractError } from '../errors.ts';
import { parseCsv } from '../formats/csv.ts';
import { PiiIndex, type PiiIndexJson } from '../privacy/pii-index.ts';
import { deriveSeed } from '../random.ts';
import { fakeValue } from '../synth/pii.ts';
import { type Table, toCsv } from '../table.ts';
import type { PipelineDeps } from './deps.ts';
import { runKeys } from './layout.ts';
import { readJson, readRun, readText, writeJson } from './run-store.ts';

export type GenerateDeps = Pick<PipelineDeps, 'store' | 'generator' | 'buckets' | 'progress'> & {
  /** Artifacts already loaded by this process (warm Lambda): key → parsed value. */
  cache?: Map<string, unknown>;
};

export type GenerateOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'written'; key: string; rows: number; redrawn: number; complete: boolean };

const cached = async <T>(deps: GenerateDeps, key: string, load: () => Promise<T>): Promise<T> => {
  const hit = deps.cache?.get(key);
  if (hit !== undefined) return hit as T;
  const value = await load();
  if (deps.cache !== undefined) {
    if (deps.cache.size > 16) deps.cache.clear();
    deps.cache.set(key, value);
  }
  return value;
};

/** Replaces identifying values equal to a seed value with fresh fakes; returns how many. */
export const redrawSeedValues = (
  table: Table,
  model: ModelArtifact,
  index: PiiIndex,
  seed: number,
  shard: number,
) => {
  let redrawn = 0;
  model.columns.forEach((column, c) => {
    const m = column.marginal;
    if (m.type !== 'pii' || !IDENTIFYING.has(m.semantic as SemanticType)) return;
    table.rows.forEach((row, r) => {
      let value = row[c];
      for (let attempt = 0; value != null && index.has(value); attempt++) {
        if (attempt === 20) throw new ContractError(`cannot draw a ${m.semantic} that is not a seed value`);
        value = fakeValue(m.semantic, deriveSeed(seed, 'redraw', shard, r, c, attempt), m.format, m.locale);
        redrawn++;
      }
      row[c] = value ?? null;
    });
  });
  return redrawn;
};

export const generateShard = async (deps: GenerateDeps, job: ShardJob): Promise<GenerateOutcome> => {
  const { store, buckets } = deps;
  const run = await readRun(store, buckets.work, job.runId);
  if (run.status !== 'generating') {
    return { status: 'skipped', reason: `run ${run.runId} is ${run.status}; shard ${job.shard} not needed` };
  }
  const keys = runKeys(job.runId);
  const sourceKeys = runKeys(run.sourceRunId);
  const [model, index] = await Promise.all([
    cached(deps, job.modelKey, () => readJson(store, buckets.work, job.modelKey, ModelArtifact)),
    cached(deps, sourceKeys.piiIndex, async () =>
      PiiIndex.fromJSON(JSON.parse(await readText(store, buckets.work, sourceKeys.piiIndex)) as PiiIndexJson),
    ),
  ]);

  const where = run.spec.conditions;
  const answer = await deps.generator.generate({
    model,
    rows: job.rows,
    seed: job.seed,
    shard: job.shard,
    ...(Object.keys(where).length > 0 ? { where } : {}),
  });
  const table = parseCsv(answer.body, `generator answer for shard ${job.shard}`);
  const expected = model.columns.map((c) => c.name);
  if (table.columns.join('\u0000') !== expected.join('\u0000')) {
    throw new ContractError(
      `generator answered columns [${table.columns.join(', ')}], the model has [${expected.join(', ')}]`,
    );
  }
  if (table.rows.length !== job.rows) {
    throw new ContractError(
      `generator answered ${table.rows.length} rows for shard ${job.shard}, ${job.rows} were asked`,
    );
  }
  const redrawn = redrawSeedValues(table, model, index, job.seed, job.shard);
  const key = keys.shard(job.shard);
  await store.put(buckets.work, key, toCsv(table), { contentType: 'text/csv' });

  const landed = await store.list(buckets.work, keys.shardsPrefix);
  const complete = landed.length >= job.shards;
  if (complete) await writeJson(store, buckets.work, keys.ready, { runId: job.runId, shards: job.shards });
  deps.progress({
    stage: 'generate',
    runId: job.runId,
    message: `shard ${job.shard + 1}/${job.shards}: ${job.rows} rows${redrawn > 0 ? `, ${redrawn} value(s) redrawn` : ''}`,
    done: landed.length,
    total: job.shards,
  });
  return { status: 'written', key, rows: job.rows, redrawn, complete };
};
