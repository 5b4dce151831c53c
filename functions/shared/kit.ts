/**
 * What every handler shares: the logger (built once, attached through middy), the progress sink
 * that turns stage progress into log lines, and the clock.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Progress } from '../../src/ports.ts';

export const SERVICE = 'doppel';

export const createLogger = (options: { quiet?: boolean } = {}): Logger =>
  new Logger({ serviceName: SERVICE, ...(options.quiet ? { logLevel: 'SILENT' as const } : {}) });

/** Stage progress as structured log lines; messages carry counts and names, never cell values. */
export const progressToLogger =
  (logger: Logger): Progress =>
  (event) =>
    logger.info(event.message, {
      stage: event.stage,
      runId: event.runId,
      done: event.done,
      total: event.total,
    });

export const systemClock = (): Date => new Date();

/** S3 event keys are URL-encoded with '+' for spaces. */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));
