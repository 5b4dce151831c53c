/**
 * SQS → generate shards. Each record is one job, parsed against its schema, so a bad message fails
 * only itself (partial batch response). A transient failure (endpoint throttled or not ready) fails
 * the record and SQS redelivers it after the visibility timeout; a permanent one (the endpoint
 * refused the model, an answer broke its contract) parks the run as failed with the reason, instead
 * of retrying what cannot succeed.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseJson, ShardJob } from '../../src/contracts.ts';
import { DoppelError } from '../../src/errors.ts';
import type { PipelineDeps } from '../../src/pipeline/deps.ts';
import { type GenerateDeps, generateShard } from '../../src/pipeline/generate-shard.ts';
import { findRun, saveRun } from '../../src/pipeline/run-store.ts';

export type GenerateHandlerDeps = GenerateDeps & Pick<PipelineDeps, 'now'> & { logger: Logger };

export const makeHandler = (deps: GenerateHandlerDeps) => {
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    const job = parseJson(ShardJob, record.body, `message ${record.messageId}`);
    try {
      const outcome = await generateShard(deps, job);
      deps.logger.info(`shard ${outcome.status}`, { runId: job.runId, shard: job.shard, ...outcome });
      return outcome;
    } catch (error) {
      if (!(error instanceof DoppelError) || error.transient) throw error;
      const run = await findRun(deps.store, deps.buckets.work, job.runId);
      if (run === undefined) {
        deps.logger.error('job for a run that does not exist; dropped', {
          runId: job.runId,
          shard: job.shard,
          reason: error.message,
        });
        return { status: 'dropped' as const };
      }
      if (run.status === 'generating') {
        await saveRun(
          deps.store,
          deps.buckets.work,
          { ...run, status: 'failed', reason: `shard ${job.shard}: ${error.message}` },
          deps.now,
        );
      }
      deps.logger.error('shard failed for good; run parked', {
        runId: job.runId,
        shard: job.shard,
        code: error.code,
        reason: error.message,
      });
      return { status: 'parked' as const };
    }
  };
  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(injectLambdaContext(deps.logger))
    .handler(async (event, context) => processPartialResponse(event, recordHandler, processor, { context }));
};
