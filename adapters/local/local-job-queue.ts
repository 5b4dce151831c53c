/**
 * An in-process queue with the SQS semantics the generate function relies on: a received message
 * is invisible for the visibility timeout; a message not deleted (its record reported as a batch
 * item failure, or the whole batch thrown) comes back after it; after `maxReceiveCount` receives it
 * moves to the dead-letter queue. Time is injectable so tests need not wait.
 */
import { randomUUID } from 'node:crypto';
import { parse, ShardJob } from '../../src/contracts.ts';
import type { JobQueue } from '../../src/ports.ts';

export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  receiveCount: number;
  sentAt: number;
}

export interface LocalJobQueueOptions {
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  now?: () => number;
}

interface Entry {
  message: QueueMessage;
  visibleAt: number;
}

/** What a consumer answers for a batch: the ids of the messages that failed (SQS partial batch response). */
export interface BatchResult {
  batchItemFailures: { itemIdentifier: string }[];
}

export class LocalJobQueue implements JobQueue {
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  private readonly now: () => number;
  private entries: Entry[] = [];
  readonly deadLetters: QueueMessage[] = [];
  private listeners = new Set<() => void>();

  constructor(options: LocalJobQueueOptions = {}) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    this.now = options.now ?? Date.now;
  }

  /** Called whenever messages are sent, so a poller can wake up. */
  onSend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(jobs: ShardJob[]): Promise<void> {
    this.sendRaw(jobs.map((job) => JSON.stringify(parse(ShardJob, job, `job for shard ${job.shard}`))));
  }

  /** Enqueues message bodies as they are (tests use it to send malformed messages). */
  sendRaw(bodies: string[]): void {
    const at = this.now();
    for (const body of bodies) {
      const messageId = randomUUID();
      this.entries.push({
        message: { messageId, receiptHandle: '', body, receiveCount: 0, sentAt: at },
        visibleAt: at,
      });
    }
    for (const listener of this.listeners) listener();
  }

  /** Up to `max` visible messages, made invisible for the visibility timeout. */
  receive(max = 10): QueueMessage[] {
    const at = this.now();
    const out: QueueMessage[] = [];
    for (const entry of this.entries) {
      if (out.length >= max) break;
      if (entry.visibleAt > at) continue;
      entry.message = {
        ...entry.message,
        receiveCount: entry.message.receiveCount + 1,
        receiptHandle: randomUUID(),
      };
      entry.visibleAt = at + this.visibilityTimeoutMs;
      out.push(entry.message);
    }
    return out;
  }

  /** Deletes a received message; a stale receipt handle deletes nothing, as on SQS. */
  delete(receiptHandle: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.message.receiptHandle !== receiptHandle);
    return this.entries.length < before;
  }

  /**
   * Moves messages received `maxReceiveCount` times whose visibility expired to the DLQ: what SQS's
   * redrive policy does on the next receive.
   */
  private redrive(): void {
    const at = this.now();
    const keep: Entry[] = [];
    for (const entry of this.entries) {
      if (entry.visibleAt <= at && entry.message.receiveCount >= this.maxReceiveCount)
        this.deadLetters.push(entry.message);
      else keep.push(entry);
    }
    this.entries = keep;
  }

  /**
   * Receives one batch and hands it to the consumer; deletes what succeeded. Failed messages stay
   * invisible until their timeout. Returns how many messages were handled (0: none visible).
   */
  async pump(consumer: (messages: QueueMessage[]) => Promise<BatchResult>, max = 10): Promise<number> {
    this.redrive();
    const batch = this.receive(max);
    if (batch.length === 0) return 0;
    let failed: Set<string>;
    try {
      const result = await consumer(batch);
      failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(batch.map((m) => m.messageId));
    }
    for (const message of batch) if (!failed.has(message.messageId)) this.delete(message.receiptHandle);
    return batch.length;
  }

  /** Messages waiting or in flight (not counting the DLQ). */
  get depth(): number {
    return this.entries.length;
  }

  /** Milliseconds until the next message becomes visible; undefined when the queue is empty. */
  nextVisibleIn(): number | undefined {
    if (this.entries.length === 0) return undefined;
    const at = this.now();
    return Math.max(0, Math.min(...this.entries.map((e) => e.visibleAt)) - at);
  }
}
