/**
 * The AWS composition root shared by every function's index.ts: clients and adapters built once per
 * container, lazily (a function only touches what it uses, so the gate runs without a queue URL),
 * plus the logger, clock, progress sink and a warm-container artifact cache.
 */
import { awsDepsFromEnv } from '../../adapters/aws/clients.ts';
import { createLogger, progressToLogger, systemClock } from './kit.ts';

export const awsHandlerDeps = () => {
  const aws = awsDepsFromEnv();
  const logger = createLogger();
  return {
    get store() {
      return aws.store;
    },
    get queue() {
      return aws.queue;
    },
    get generator() {
      return aws.generator;
    },
    buckets: aws.buckets,
    now: systemClock,
    progress: progressToLogger(logger),
    cache: new Map<string, unknown>(),
    logger,
  };
};
