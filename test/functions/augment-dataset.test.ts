import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/augment-dataset/handler.ts';
import type { RunRecord } from '../../src/contracts.ts';
import { hash32 } from '../../src/random.ts';
import { type FakeAws, fakeAws } from '../helpers/fake-aws.ts';
import { context, scheduleEvent, startSeedRun } from './fixtures.ts';

const invoke = (aws: FakeAws, event: unknown) =>
  makeHandler(aws.handlerDeps())(event, context('augment-dataset'));

const runRecords = (aws: FakeAws): RunRecord[] =>
  aws
    .keys(aws.buckets.work, 'runs/')
    .filter((k) => k.endsWith('/run.json'))
    .map((k) => aws.json<RunRecord>(aws.buckets.work, k));

describe('augment-dataset', () => {
  it('starts a run of the requested rows from the latest seed run and queues its jobs', async () => {
    // Prepare
    const aws = fakeAws();
    const seedRun = await startSeedRun(aws);
    const event = scheduleEvent();

    // Act
    const result = await invoke(aws, event);

    // Assess
    expect(result).toMatchObject({ created: true, status: 'generating', shards: 1 });
    expect(result.runId).not.toBe(seedRun.runId);
    expect(aws.json<RunRecord>(aws.buckets.work, `runs/${result.runId}/run.json`)).toMatchObject({
      trigger: 'schedule',
      status: 'generating',
      dataset: 'customers',
      rows: 500,
      sourceRunId: seedRun.runId,
      seed: hash32('customers@2026-11-22T03:00:00Z'),
    });
    const jobs = aws.sentJobs().filter((j) => j.runId === result.runId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      shard: 0,
      shards: 1,
      rows: 500,
      seed: hash32('customers@2026-11-22T03:00:00Z'),
    });
  });

  it('creates no second run when the same occurrence is delivered again', async () => {
    // Prepare
    const aws = fakeAws();
    await startSeedRun(aws);
    const first = await invoke(aws, scheduleEvent());
    const batches = aws.sqsMock.commandCalls(SendMessageBatchCommand).length;

    // Act
    const again = await invoke(aws, scheduleEvent());

    // Assess
    expect(again).toMatchObject({ runId: first.runId, created: false, status: 'generating' });
    expect(aws.sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(batches);
    expect(runRecords(aws).filter((r) => r.trigger === 'schedule')).toHaveLength(1);
  });

  it('starts a new run for the next occurrence', async () => {
    // Prepare
    const aws = fakeAws();
    await startSeedRun(aws);
    const first = await invoke(aws, scheduleEvent());

    // Act
    const next = await invoke(aws, scheduleEvent({ scheduledTime: '2026-11-23T03:00:00Z' }));

    // Assess
    expect(next.created).toBe(true);
    expect(next.runId).not.toBe(first.runId);
    expect(runRecords(aws).filter((r) => r.trigger === 'schedule')).toHaveLength(2);
  });

  it('throws naming the dataset when it has never been profiled', async () => {
    // Prepare
    const aws = fakeAws();
    await startSeedRun(aws);
    const jobsBefore = aws.sentJobs().length;

    // Act
    const result = invoke(aws, scheduleEvent({ dataset: 'orders' }));

    // Assess
    await expect(result).rejects.toThrow(/dataset orders has no profiled seed/);
    expect(aws.sentJobs()).toHaveLength(jobsBefore);
  });

  it('throws naming the field when the schedule payload is malformed', async () => {
    // Prepare
    const aws = fakeAws();
    await startSeedRun(aws);

    // Act
    const result = invoke(aws, { ...scheduleEvent(), rows: 'lots' });

    // Assess
    await expect(result).rejects.toThrow(/schedule payload is invalid: rows/);
  });
});
