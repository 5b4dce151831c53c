import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsDepsFromEnv, createAwsClients } from '../../../adapters/aws/clients.ts';
import { PermanentError } from '../../../src/errors.ts';

const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);

const FULL_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'a',
  AWS_SECRET_ACCESS_KEY: 's',
  SEED_BUCKET_NAME: 'seed-b',
  WORK_BUCKET_NAME: 'work-b',
  CURATED_BUCKET_NAME: 'curated-b',
  QUARANTINE_BUCKET_NAME: 'quarantine-b',
  JOB_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
  GENERATOR_ENDPOINT_NAME: 'doppel-gen',
};

beforeEach(() => {
  s3Mock.reset();
  sqsMock.reset();
});

describe('createAwsClients', () => {
  it('builds the clients in the region from AWS_REGION, SageMaker with adaptive retries', async () => {
    // Act
    const clients = createAwsClients({ AWS_REGION: 'ap-southeast-2' });

    // Assess
    expect(await clients.s3.config.region()).toBe('ap-southeast-2');
    expect(await clients.sqs.config.region()).toBe('ap-southeast-2');
    expect(await clients.sageMaker.config.region()).toBe('ap-southeast-2');
    expect(await clients.sageMaker.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
  });
});

describe('awsDepsFromEnv', () => {
  it('reads the bucket names and wires the queue to JOB_QUEUE_URL', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const deps = awsDepsFromEnv(FULL_ENV, createAwsClients(FULL_ENV));

    // Act
    await deps.queue.send([
      { version: 1, runId: 'r-0123456789abcdef', shard: 0, shards: 1, rows: 5, seed: 1, modelKey: 'm.json' },
    ]);

    // Assess
    expect({ ...deps.buckets }).toEqual({
      seed: 'seed-b',
      work: 'work-b',
      curated: 'curated-b',
      quarantine: 'quarantine-b',
    });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(
      FULL_ENV.JOB_QUEUE_URL,
    );
    expect(deps.queue).toBe(deps.queue);
  });

  it('reports a missing variable only where it is needed, naming it', async () => {
    // Prepare: a gate function's environment, with no queue and no endpoint.
    const { JOB_QUEUE_URL: _q, GENERATOR_ENDPOINT_NAME: _g, SEED_BUCKET_NAME: _s, ...gateEnv } = FULL_ENV;
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 1, ETag: '"e"' });
    const deps = awsDepsFromEnv(gateEnv, createAwsClients(gateEnv));

    // Act
    const info = await deps.store.head(deps.buckets.work, 'runs/r/run.json');

    // Assess
    expect(info?.etag).toBe('e');
    expect(deps.buckets.curated).toBe('curated-b');
    expect(() => deps.queue).toThrow(PermanentError);
    expect(() => deps.queue).toThrow('JOB_QUEUE_URL');
    expect(() => deps.generator).toThrow('GENERATOR_ENDPOINT_NAME');
    expect(() => deps.buckets.seed).toThrow('SEED_BUCKET_NAME');
  });
});
