/**
 * JobQueue on Amazon SQS (standard queue). Steps of `send`:
 * 1. validate every job against the ShardJob contract, so a bad job fails before anything is sent;
 * 2. send them with SendMessageBatch, 10 entries per call, a few calls in flight;
 * 3. resend only the entries SQS reported as failed, with a short exponential backoff;
 * 4. throw when some are still unsent: PermanentError if SQS blamed the sender for all of them,
 *    TransientError otherwise.
 * A job sent twice (after a partial failure the caller retries everything) is harmless: a shard is a
 * pure function of (model, shard, seed), so redelivery rewrites the same bytes.
 */
import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parse, ShardJob } from '../../src/contracts.ts';
import { PermanentError, TransientError } from '../../src/errors.ts';
import type { JobQueue } from '../../src/ports.ts';
import { toDoppelError } from './errors.ts';

/** SQS's limit on entries per SendMessageBatch. */
const BATCH_SIZE = 10;
/** Batches in flight at once: quick for thousands of shards, gentle on the queue's throughput. */
const CONCURRENCY = 4;

export interface SqsJobQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /** Tries per entry, the first send included. Default 4. */
  maxAttempts?: number;
  /** Backoff before the n-th resend is baseDelayMs × 2^(n-1). Default 100 ms. */
  baseDelayMs?: number;
  /** Waits between resends; tests pass one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SqsJobQueue implements JobQueue {
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: SqsJobQueueOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async send(jobs: ShardJob[]): Promise<void> {
    const entries: SendMessageBatchRequestEntry[] = jobs.map((job, i) => ({
      // Ids only need to be unique within one call; the index also names the job in errors.
      Id: `job-${i}`,
      MessageBody: JSON.stringify(parse(ShardJob, job, `shard job ${i}`)),
    }));
    const batches: SendMessageBatchRequestEntry[][] = [];
    for (let i = 0; i < entries.length; i += BATCH_SIZE) batches.push(entries.slice(i, i + BATCH_SIZE));

    // Kept per batch so the failure reported first is the same whatever order the calls finish in.
    const unsent: BatchResultErrorEntry[][] = batches.map(() => []);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const index = next++;
        unsent[index] = await this.sendBatch(batches[index]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batches.length) }, worker));
    const failures = unsent.flat();

    const first = failures[0];
    if (first === undefined) return;
    const message =
      `SQS SendMessageBatch to ${this.queueUrl}: ${failures.length} of ${jobs.length} jobs not sent ` +
      `(up to ${this.maxAttempts} attempts each); first: ${first.Id} ${first.Code}: ${first.Message ?? '(no message)'}`;
    throw failures.every((f) => f.SenderFault === true)
      ? new PermanentError(message)
      : new TransientError(message);
  }

  /** Sends one batch, resending what failed on the service's side; returns the entries that never went. */
  private async sendBatch(batch: SendMessageBatchRequestEntry[]): Promise<BatchResultErrorEntry[]> {
    // Sender faults (a malformed entry) fail the same way every time: reported, never resent.
    const senderFaults: BatchResultErrorEntry[] = [];
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      let failed: BatchResultErrorEntry[];
      try {
        const response = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }),
        );
        failed = response.Failed ?? [];
      } catch (error) {
        // The whole call failed after the SDK's own retries: nothing more to gain here.
        throw toDoppelError(error, `SQS SendMessageBatch to ${this.queueUrl}`);
      }
      senderFaults.push(...failed.filter((f) => f.SenderFault === true));
      const serverFaults = failed.filter((f) => f.SenderFault !== true);
      const retry = new Set(serverFaults.map((f) => f.Id));
      pending = pending.filter((e) => retry.has(e.Id));
      if (pending.length === 0 || attempt >= this.maxAttempts) return [...senderFaults, ...serverFaults];
      await this.sleep(this.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
