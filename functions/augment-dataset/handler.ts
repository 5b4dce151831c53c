/**
 * EventBridge schedule → a new run of an already profiled dataset: N more rows, same model, a new
 * seed derived from the occurrence's scheduled time (so a retried invocation is the same run).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { AugmentRequest, parse } from '../../src/contracts.ts';
import { type StartDeps, startRun } from '../../src/pipeline/start-run.ts';
import { hash32 } from '../../src/random.ts';

export interface AugmentResult {
  runId: string;
  created: boolean;
  status: string;
  shards?: number;
}

export const makeHandler = (deps: StartDeps & { logger: Logger }) =>
  middy<unknown, AugmentResult, Error, Context>()
    .use(injectLambdaContext(deps.logger))
    .handler(async (event) => {
      const request = parse(AugmentRequest, event, 'schedule payload');
      // Without a scheduled time (a manual invoke), the minute is the occurrence.
      const occurrence = request.scheduledTime ?? deps.now().toISOString().slice(0, 16);
      const { run, created } = await startRun(deps, {
        dataset: request.dataset,
        trigger: 'schedule',
        rows: request.rows,
        seed: hash32(`${request.dataset}@${occurrence}`),
        ...(request.policy === undefined ? {} : { policy: request.policy }),
        origin: occurrence,
      });
      deps.logger.info(created ? 'augmentation run started' : 'augmentation run already exists', {
        runId: run.runId,
      });
      return {
        runId: run.runId,
        created,
        status: run.status,
        ...(run.shards === undefined ? {} : { shards: run.shards }),
      };
    });
