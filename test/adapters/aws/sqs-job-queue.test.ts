import { SendMessageBatchCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsJobQueue } from '../../../adapters/aws/sqs-job-queue.ts';
import type { ShardJob } from '../../../src/contracts.ts';
import { ContractError, PermanentError, TransientError } from '../../../src/errors.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/doppel-jobs';
const sqsMock = mockClient(SQSClient);
const client = new SQSClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 's' },
});

const jobs = (count: number): ShardJob[] =>
  Array.from({ length: count }, (_, shard) => ({
    version: 1 as const,
    runId: 'r-0123456789abcdef',
    shard,
    shards: count,
    rows: 1000,
    seed: 7 + shard,
    modelKey: 'runs/r-0123456789abcdef/model.json',
  }));

interface Entry {
  Id: string;
  MessageBody: string;
}
const sentEntries = (): Entry[][] =>
  sqsMock.commandCalls(SendMessageBatchCommand).map((c) => (c.args[0].input.Entries ?? []) as Entry[]);

const makeQueue = (sleeps: number[] = [], maxAttempts?: number) =>
  new SqsJobQueue({
    client,
    queueUrl: QUEUE_URL,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });

beforeEach(() => sqsMock.reset());

describe('SqsJobQueue.send', () => {
  it('sends 25 jobs in 3 batches of at most 10, every job exactly once', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = makeQueue();

    // Act
    await queue.send(jobs(25));

    // Assess
    const batches = sentEntries();
    expect(batches).toHaveLength(3);
    expect(batches.map((b) => b.length).sort((a, b) => a - b)).toEqual([5, 10, 10]);
    for (const call of sqsMock.commandCalls(SendMessageBatchCommand)) {
      expect(call.args[0].input.QueueUrl).toBe(QUEUE_URL);
    }
    const shards = batches.flat().map((e) => (JSON.parse(e.MessageBody) as ShardJob).shard);
    expect(shards.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    for (const batch of batches) expect(new Set(batch.map((e) => e.Id)).size).toBe(batch.length);
  });

  it('makes no call for no jobs', async () => {
    // Act
    await makeQueue().send([]);

    // Assess
    expect(sentEntries()).toHaveLength(0);
  });

  it('resends only the entries SQS reported as failed, after a backoff', async () => {
    // Prepare: entries 3 and 7 fail once on the service's side.
    const sleeps: number[] = [];
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [
          { Id: 'job-3', Code: 'InternalError', SenderFault: false, Message: 'try again' },
          { Id: 'job-7', Code: 'InternalError', SenderFault: false, Message: 'try again' },
        ],
      })
      .resolves({ Failed: [] });

    // Act
    await makeQueue(sleeps).send(jobs(10));

    // Assess
    const batches = sentEntries();
    expect(batches).toHaveLength(2);
    expect(batches[1]?.map((e) => e.Id)).toEqual(['job-3', 'job-7']);
    expect(batches[1]?.map((e) => (JSON.parse(e.MessageBody) as ShardJob).shard)).toEqual([3, 7]);
    expect(sleeps).toHaveLength(1);
  });

  it('throws TransientError naming the count and first failure when entries keep failing', async () => {
    // Prepare
    const sleeps: number[] = [];
    sqsMock.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: 'job-1', Code: 'ServiceUnavailable', SenderFault: false, Message: 'busy' }],
    });

    // Act
    const error = await makeQueue(sleeps, 3)
      .send(jobs(4))
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('1 of 4 jobs not sent');
    expect((error as Error).message).toContain('ServiceUnavailable: busy');
    expect(sentEntries()).toHaveLength(3);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? Number.POSITIVE_INFINITY);
  });

  it('throws PermanentError without resending when SQS blames the sender', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: 'job-0', Code: 'InvalidMessageContents', SenderFault: true, Message: 'bad chars' }],
    });

    // Act
    const error = await makeQueue()
      .send(jobs(2))
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain('InvalidMessageContents');
    expect(sentEntries()).toHaveLength(1);
  });

  it('rejects an invalid job before sending anything', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const bad = [...jobs(3), { ...jobs(1)[0]!, runId: 'not-a-run' }];

    // Act
    const result = makeQueue().send(bad);

    // Assess
    await expect(result).rejects.toThrow(ContractError);
    await expect(result).rejects.toThrow('shard job 3');
    expect(sentEntries()).toHaveLength(0);
  });

  it('maps a throttled call to TransientError', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).rejects(
      new SQSServiceException({
        name: 'RequestThrottled',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'slow down',
      }),
    );

    // Act
    const result = makeQueue().send(jobs(1));

    // Assess
    await expect(result).rejects.toThrow(TransientError);
  });
});
