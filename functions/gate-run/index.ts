import { awsDepsFromEnv } from '../../adapters/aws/clients.ts';
import { createLogger, progressToLogger, systemClock } from '../shared/kit.ts';
import { makeHandler } from './handler.ts';

const aws = awsDepsFromEnv();
const logger = createLogger();

export const handler = makeHandler({
  store: aws.store,
  buckets: aws.buckets,
  now: systemClock,
  progress: progressToLogger(logger),
  logger,
});
