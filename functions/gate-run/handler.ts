/**
 * S3 (a `ready/<runId>.json` marker in the work bucket) → privacy gate → publish or quarantine.
 * The marker can arrive twice (two last shards); the stage's conditional claim makes one gate.
 * Errors are thrown so Lambda's asynchronous retry tries again (e.g. shards not all visible yet).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import { type GateDeps, gateRun } from '../../src/pipeline/gate-run.ts';
import { runIdFromReadyKey } from '../../src/pipeline/layout.ts';
import { decodeS3Key } from '../shared/kit.ts';

export interface GateResult {
  runs: { runId: string; status: string; output?: { bucket: string; prefix: string } }[];
}

export const makeHandler = (deps: GateDeps & { logger: Logger }) =>
  middy<S3Event, GateResult, Error, Context>()
    .use(injectLambdaContext(deps.logger))
    .handler(async (event, context) => {
      const runs: GateResult['runs'] = [];
      for (const record of event.Records ?? []) {
        const key = decodeS3Key(record.s3.object.key);
        const runId = runIdFromReadyKey(key);
        if (runId === undefined) {
          deps.logger.warn('not a ready marker; ignored', { key });
          continue;
        }
        const outcome = await gateRun(deps, runId, context.awsRequestId);
        const entry =
          outcome.status === 'done'
            ? {
                runId,
                status: outcome.run.status,
                ...(outcome.run.output ? { output: outcome.run.output } : {}),
              }
            : { runId, status: outcome.status };
        deps.logger.info('gate', entry);
        runs.push(entry);
      }
      return { runs };
    });
