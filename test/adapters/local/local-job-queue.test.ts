import { describe, expect, it } from 'vitest';
import { LocalJobQueue } from '../../../adapters/local/local-job-queue.ts';
import type { ShardJob } from '../../../src/contracts.ts';
import { ContractError } from '../../../src/errors.ts';

const job = (shard: number): ShardJob => ({
  version: 1,
  runId: 'r-0123456789abcdef',
  shard,
  shards: 3,
  rows: 10,
  seed: 7,
  modelKey: 'runs/r-0123456789abcdef/model.json',
});

const clock = () => {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('LocalJobQueue (SQS semantics)', () => {
  it('hides a received message for the visibility timeout, then redelivers it', async () => {
    // Prepare
    const time = clock();
    const queue = new LocalJobQueue({ visibilityTimeoutMs: 1000, now: time.now });
    await queue.send([job(0)]);
    // Act
    const first = queue.receive();
    const hidden = queue.receive();
    time.advance(1001);
    const again = queue.receive();
    // Assess
    expect(first).toHaveLength(1);
    expect(hidden).toHaveLength(0);
    expect(again[0]?.messageId).toBe(first[0]?.messageId);
    expect(again[0]?.receiveCount).toBe(2);
  });

  it('deletes what a batch handled and keeps only the reported failures (partial batch response)', async () => {
    const time = clock();
    const queue = new LocalJobQueue({ visibilityTimeoutMs: 1000, now: time.now });
    await queue.send([job(0), job(1), job(2)]);
    const handled = await queue.pump(async (messages) => ({
      batchItemFailures: messages
        .filter((m) => JSON.parse(m.body).shard === 1)
        .map((m) => ({ itemIdentifier: m.messageId })),
    }));
    time.advance(1001);
    const left = queue.receive();
    expect(handled).toBe(3);
    expect(left.map((m) => JSON.parse(m.body).shard)).toEqual([1]);
  });

  it('moves a message that keeps failing to the DLQ after maxReceiveCount receives', async () => {
    const time = clock();
    const queue = new LocalJobQueue({ visibilityTimeoutMs: 10, maxReceiveCount: 3, now: time.now });
    await queue.send([job(0)]);
    for (let i = 0; i < 5; i++) {
      await queue.pump(async () => {
        throw new Error('endpoint down');
      });
      time.advance(11);
    }
    expect(queue.deadLetters).toHaveLength(1);
    expect(queue.deadLetters[0]?.receiveCount).toBe(3);
    expect(queue.depth).toBe(0);
  });

  it('validates jobs against the contract before enqueueing', async () => {
    const queue = new LocalJobQueue();
    await expect(queue.send([{ ...job(0), runId: 'nope' }])).rejects.toBeInstanceOf(ContractError);
    expect(queue.depth).toBe(0);
  });
});
