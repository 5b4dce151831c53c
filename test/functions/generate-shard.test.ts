import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeServiceException,
} from '@aws-sdk/client-sagemaker-runtime';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/generate-shard/handler.ts';
import type { ModelArtifact, RunRecord } from '../../src/contracts.ts';
import { parseCsv } from '../../src/formats/csv.ts';
import { type FakeAws, fakeAws, invokeGenerator, shardOf } from '../helpers/fake-aws.ts';
import { context, malformedRecord, sqsEvent, startSeedRun, TWO_SHARD_ROWS } from './fixtures.ts';

const invoke = (aws: FakeAws, event: Parameters<ReturnType<typeof makeHandler>>[0]) =>
  makeHandler(aws.handlerDeps())(event, context('generate-shard'));

const shardKey = (runId: string, shard: number) =>
  `runs/${runId}/shards/part-${String(shard).padStart(5, '0')}.csv`;
const readyKey = (runId: string) => `ready/${runId}.json`;

const throttled = () =>
  new SageMakerRuntimeServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 429 },
    message: 'Rate exceeded',
  });

describe('generate-shard', () => {
  it('writes every shard of the batch with the model columns and the rows asked, then drops the ready marker', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId, jobs } = await startSeedRun(aws, { rows: TWO_SHARD_ROWS });
    const model = aws.json<ModelArtifact>(aws.buckets.work, `runs/${runId}/model.json`);

    // Act
    const result = await invoke(aws, sqsEvent(jobs));

    // Assess
    expect(jobs).toHaveLength(2);
    expect(result.batchItemFailures).toEqual([]);
    for (const job of jobs) {
      const table = parseCsv(aws.text(aws.buckets.work, shardKey(runId, job.shard)), 'shard');
      expect(table.columns).toEqual(model.columns.map((c) => c.name));
      expect(table.rows).toHaveLength(job.rows);
    }
    expect(aws.json(aws.buckets.work, readyKey(runId))).toEqual({ runId, shards: 2 });
  });

  it('rewrites byte-identical shard bytes when SQS redelivers a job', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId, jobs } = await startSeedRun(aws);
    const event = sqsEvent(jobs);
    await invoke(aws, event);
    const first = aws.bytes(aws.buckets.work, shardKey(runId, 0));
    const writes = aws.s3Mock.commandCalls(PutObjectCommand).length;

    // Act: a fresh handler (a cold Lambda) gets the same record again
    const result = await invoke(aws, event);

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(aws.s3Mock.commandCalls(PutObjectCommand).length).toBeGreaterThan(writes);
    const again = aws.bytes(aws.buckets.work, shardKey(runId, 0));
    expect(first).toBeDefined();
    expect(again?.equals(first as Buffer)).toBe(true);
  });

  it('reports only the malformed record as failed; the good ones in the batch are written', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId, jobs } = await startSeedRun(aws);
    const bad = malformedRecord();
    const event = sqsEvent(jobs);
    event.Records.push(bad);

    // Act
    const result = await invoke(aws, event);

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect(aws.keys(aws.buckets.work, `runs/${runId}/shards/`)).toEqual([shardKey(runId, 0)]);
    expect(aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`).status).toBe('generating');
  });

  it('fails only the throttled record, and the marker waits until its redelivery lands the last shard', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId, jobs } = await startSeedRun(aws, { rows: TWO_SHARD_ROWS });
    const event = sqsEvent(jobs);
    aws.sageMakerMock.on(InvokeEndpointCommand).callsFake(async (input) => {
      if (shardOf(input) === 1) throw throttled();
      return invokeGenerator(input);
    });

    // Act
    const result = await invoke(aws, event);

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]!.messageId }]);
    expect(aws.keys(aws.buckets.work, `runs/${runId}/shards/`)).toEqual([shardKey(runId, 0)]);
    expect(aws.bytes(aws.buckets.work, readyKey(runId))).toBeUndefined();
    // Throttling is worth retrying: the run is not parked.
    expect(aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`).status).toBe('generating');

    // Act: the endpoint recovers and SQS redelivers the failed record
    aws.sageMakerMock.on(InvokeEndpointCommand).callsFake(async (input) => invokeGenerator(input));
    const redelivered = await invoke(aws, { Records: [event.Records[1]!] });

    // Assess
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(aws.keys(aws.buckets.work, `runs/${runId}/shards/`)).toEqual([
      shardKey(runId, 0),
      shardKey(runId, 1),
    ]);
    expect(aws.json(aws.buckets.work, readyKey(runId))).toEqual({ runId, shards: 2 });
  });

  it('parks the run with the reason when the endpoint refuses the request for good, instead of retrying', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId, jobs } = await startSeedRun(aws);
    aws.sageMakerMock.on(InvokeEndpointCommand).rejects(
      new ModelError({
        $metadata: { httpStatusCode: 424 },
        message: 'Received client error (400) from primary with message "unsupported marginal"',
        OriginalStatusCode: 400,
      }),
    );

    // Act
    const result = await invoke(aws, sqsEvent(jobs));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const run = aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`);
    expect(run.status).toBe('failed');
    expect(run.reason).toContain('shard 0');
    expect(run.reason).toContain('doppel-generator');
    expect(aws.keys(aws.buckets.work, `runs/${runId}/shards/`)).toEqual([]);
  });
});
