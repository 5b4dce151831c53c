/**
 * The AWS composition root: SDK clients are built once per process (Lambda module scope) and the
 * adapters are wired to them. Configuration comes from the environment here and nowhere else.
 *
 * Missing variables are reported lazily: `awsDepsFromEnv` returns getters, and only the getter that
 * needs a variable checks it. The gate function, which sends no jobs, runs without JOB_QUEUE_URL;
 * touching `deps.queue` there throws a PermanentError naming JOB_QUEUE_URL. Bucket names are checked
 * one by one in the same way (`deps.buckets.seed` needs SEED_BUCKET_NAME, and so on).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SQSClient } from '@aws-sdk/client-sqs';
import { PermanentError } from '../../src/errors.ts';
import type { Buckets, Generator, JobQueue, ObjectStore } from '../../src/ports.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { SageMakerGenerator } from './sagemaker-generator.ts';
import { SqsJobQueue } from './sqs-job-queue.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  sageMaker: SageMakerRuntimeClient;
}

export interface AwsDeps {
  readonly store: ObjectStore;
  readonly queue: JobQueue;
  readonly generator: Generator;
  readonly buckets: Buckets;
}

/**
 * Builds the three clients. The region is AWS_REGION (Lambda always sets it); without it the SDK's
 * own lookup (profile, IMDS) applies. SageMaker gets adaptive retries, which also slow the caller
 * down client-side when the endpoint throttles, and a request timeout above a big shard's time.
 */
export const createAwsClients = (env: Env = process.env): AwsClients => {
  const region = env.AWS_REGION || undefined;
  return {
    s3: new S3Client({ region, maxAttempts: 4 }),
    sqs: new SQSClient({ region, maxAttempts: 4 }),
    sageMaker: new SageMakerRuntimeClient({
      region,
      maxAttempts: 5,
      retryMode: 'adaptive',
      // InvokeEndpoint allows the model 60 s; a little more covers the transfer of the answer.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 70_000 },
    }),
  };
};

const required = (env: Env, name: string, neededFor: string): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new PermanentError(`environment variable ${name} is not set; it is needed for ${neededFor}`);
  }
  return value;
};

/**
 * The ports wired to AWS from the environment: SEED_BUCKET_NAME, WORK_BUCKET_NAME,
 * CURATED_BUCKET_NAME, QUARANTINE_BUCKET_NAME, JOB_QUEUE_URL, GENERATOR_ENDPOINT_NAME. Each adapter is
 * built on first use and then reused; see the module comment for how missing variables surface.
 */
export const awsDepsFromEnv = (env: Env = process.env, clients?: AwsClients): AwsDeps => {
  let built: AwsClients | undefined = clients;
  const awsClients = (): AwsClients => {
    built ??= createAwsClients(env);
    return built;
  };
  let store: ObjectStore | undefined;
  let queue: JobQueue | undefined;
  let generator: Generator | undefined;

  const buckets: Buckets = {
    get seed() {
      return required(env, 'SEED_BUCKET_NAME', 'the seed bucket');
    },
    get work() {
      return required(env, 'WORK_BUCKET_NAME', 'the work bucket');
    },
    get curated() {
      return required(env, 'CURATED_BUCKET_NAME', 'the curated bucket');
    },
    get quarantine() {
      return required(env, 'QUARANTINE_BUCKET_NAME', 'the quarantine bucket');
    },
  };

  return {
    get store() {
      store ??= new S3ObjectStore(awsClients().s3);
      return store;
    },
    get queue() {
      queue ??= new SqsJobQueue({
        client: awsClients().sqs,
        queueUrl: required(env, 'JOB_QUEUE_URL', 'sending shard jobs'),
      });
      return queue;
    },
    get generator() {
      generator ??= new SageMakerGenerator({
        client: awsClients().sageMaker,
        endpointName: required(env, 'GENERATOR_ENDPOINT_NAME', 'calling the generator endpoint'),
      });
      return generator;
    },
    buckets,
  };
};
