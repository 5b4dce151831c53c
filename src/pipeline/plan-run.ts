/**
 * Plan: split the rows a run wants into shards and queue one job per shard.
 * Steps: estimate a synthetic row's CSV size from the model; size shards so one endpoint response
 * stays well under the 6 MiB InvokeEndpoint limit; send the jobs; record the plan on the run.
 */
import type { ModelArtifact, RunRecord, ShardJob } from '../contracts.ts';
import type { JobQueue } from '../ports.ts';

/** InvokeEndpoint answers at most 6 MiB; keep a margin for estimate error and CSV quoting. */
export const ENDPOINT_PAYLOAD_LIMIT = 6 * 1024 * 1024;
export const SHARD_BYTES_TARGET = Math.floor(ENDPOINT_PAYLOAD_LIMIT * 0.6);
/** Beyond this, a shard's generation time dominates a Lambda invocation; more shards fan out better. */
export const MAX_ROWS_PER_SHARD = 50_000;

/** Average CSV bytes of a fake value, per semantic type (others: 24); row-size estimates use them. */
export const PII_WIDTH: Record<string, number> = {
  email: 36,
  person_name: 24,
  street_address: 36,
  url: 48,
  uuid: 36,
  ipv6: 39,
  iban: 34,
  // A faker sentence (lorem) in place of notes that carried identifiers: up to about 80 characters.
  free_text_pii: 80,
};

/** An upper estimate of one row's CSV bytes, from the model alone. */
export const estimateRowBytes = (model: ModelArtifact): number => {
  let bytes = 1;
  for (const column of model.columns) {
    const m = column.marginal;
    let width: number;
    switch (m.type) {
      case 'numeric': {
        const magnitude = Math.max(Math.abs(m.min), Math.abs(m.max), 1);
        width = Math.ceil(Math.log10(magnitude + 1)) + 1 + (m.decimals > 0 ? m.decimals + 1 : 0);
        break;
      }
      case 'categorical':
        width = Math.max(1, ...m.categories.map((c) => c.length)) + 2;
        break;
      case 'boolean':
        width = Math.max(m.labels[0].length, m.labels[1].length);
        break;
      case 'datetime':
        width = m.format.length + 6;
        break;
      case 'pii':
        width = PII_WIDTH[m.semantic] ?? 24;
        break;
      case 'id':
        width = m.pattern === 'uuid' ? 36 : Math.max(m.pattern.length, 12);
        break;
      case 'text':
        width = (m.lengths[m.lengths.length - 1] ?? 64) * 1.2 + 2;
        break;
    }
    bytes += width + 1;
  }
  return Math.ceil(bytes * 1.25);
};

export interface ShardPlan {
  shards: number;
  rowsPerShard: number;
  rowBytes: number;
}

export const planShards = (model: ModelArtifact, rows: number): ShardPlan => {
  const rowBytes = estimateRowBytes(model);
  const fit = Math.max(1, Math.min(MAX_ROWS_PER_SHARD, Math.floor(SHARD_BYTES_TARGET / rowBytes)));
  const shards = Math.max(1, Math.ceil(rows / fit));
  return { shards, rowsPerShard: Math.ceil(rows / shards), rowBytes };
};

/** The jobs of a run: rows spread evenly, the first `rows % shards` shards one row more. */
export const shardJobs = (run: RunRecord, modelKey: string, plan: ShardPlan, rows: number): ShardJob[] => {
  const base = Math.floor(rows / plan.shards);
  const extra = rows % plan.shards;
  return Array.from({ length: plan.shards }, (_, shard) => ({
    version: 1 as const,
    runId: run.runId,
    shard,
    shards: plan.shards,
    rows: base + (shard < extra ? 1 : 0),
    seed: run.seed,
    modelKey,
  }));
};

/**
 * Records the plan on the run, then queues the jobs: the record comes first so that neither a job
 * nor the gate ever finds a run without its shard count.
 */
export const planRun = async (
  deps: { queue: JobQueue; save: (run: RunRecord) => Promise<RunRecord> },
  run: RunRecord,
  model: ModelArtifact,
  modelKey: string,
): Promise<RunRecord> => {
  const rows = run.rows ?? 1;
  const plan = planShards(model, rows);
  const planned = await deps.save({ ...run, shards: plan.shards, modelKey });
  await deps.queue.send(shardJobs(planned, modelKey, plan, rows));
  return planned;
};
