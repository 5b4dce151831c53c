/**
 * S3 → profile, fit, plan. One record per seed object; a duplicate event finds its run and stops.
 * Bad input fails the run (reason in the run record and in quarantine) and is not retried; transient
 * failures are thrown so Lambda's asynchronous retry tries again.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import { type IngestDeps, type IngestOutcome, ingestSeed } from '../../src/pipeline/ingest-seed.ts';
import { decodeS3Key } from '../shared/kit.ts';

export interface SeedUploadedResult {
  outcomes: { key: string; status: IngestOutcome['status']; runId?: string; reason?: string }[];
}

export const makeHandler = (deps: IngestDeps & { logger: Logger }) =>
  middy<S3Event, SeedUploadedResult, Error, Context>()
    .use(injectLambdaContext(deps.logger))
    .handler(async (event) => {
      const outcomes: SeedUploadedResult['outcomes'] = [];
      for (const record of event.Records ?? []) {
        const key = decodeS3Key(record.s3.object.key);
        const outcome = await ingestSeed(deps, {
          bucket: record.s3.bucket.name,
          key,
          ...(record.s3.object.eTag ? { etag: record.s3.object.eTag } : {}),
          ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
          ...(record.s3.object.size !== undefined ? { size: record.s3.object.size } : {}),
        });
        const summary = {
          key,
          status: outcome.status,
          ...('run' in outcome ? { runId: outcome.run.runId } : {}),
          ...('reason' in outcome ? { reason: outcome.reason } : {}),
        };
        if (outcome.status === 'failed') deps.logger.warn('seed rejected', summary);
        else deps.logger.info(`seed ${outcome.status}`, summary);
        outcomes.push(summary);
      }
      return { outcomes };
    });
