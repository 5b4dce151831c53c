/**
 * AWS in memory, behind aws-sdk-client-mock: an S3 that keeps objects in a Map (conditional writes,
 * 404s and listings shaped like the real service's), an SQS that records what was sent, and a
 * SageMaker runtime whose InvokeEndpoint runs the real sampler. The ports come from the real
 * `awsDepsFromEnv`, so a handler test goes handler → stage → AWS adapter → mocked client.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  type CompleteMultipartUploadCommandInput,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandInput,
  GetObjectCommand,
  type GetObjectCommandInput,
  HeadObjectCommand,
  type HeadObjectCommandInput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type UploadPartCommandInput,
} from '@aws-sdk/client-s3';
import {
  InvokeEndpointCommand,
  type InvokeEndpointCommandInput,
  type InvokeEndpointCommandOutput,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { type AwsDeps, awsDepsFromEnv } from '../../adapters/aws/clients.ts';
import { LOCAL_BUCKETS } from '../../adapters/local/runtime.ts';
import { createLogger } from '../../functions/shared/kit.ts';
import { GenerateRequest, parseJson, type ShardJob } from '../../src/contracts.ts';
import type { Progress } from '../../src/ports.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { toCsv } from '../../src/table.ts';

export const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/doppel-jobs';
export const ENDPOINT_NAME = 'doppel-generator';
/** A fixed clock: run records are reproducible and easy to compare. */
export const FIXED_NOW = new Date('2026-11-21T22:15:00.000Z');

export const ENV = {
  AWS_REGION: 'eu-west-1',
  SEED_BUCKET_NAME: LOCAL_BUCKETS.seed,
  WORK_BUCKET_NAME: LOCAL_BUCKETS.work,
  CURATED_BUCKET_NAME: LOCAL_BUCKETS.curated,
  QUARANTINE_BUCKET_NAME: LOCAL_BUCKETS.quarantine,
  JOB_QUEUE_URL: QUEUE_URL,
  GENERATOR_ENDPOINT_NAME: ENDPOINT_NAME,
} as const;

export interface StoredObject {
  body: Buffer;
  etag: string;
  contentType?: string;
  lastModified: Date;
}

const credentials = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' };
const encoder = new TextEncoder();

const toBuffer = async (body: unknown): Promise<Buffer> => {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'object' && Symbol.asyncIterator in body) {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  throw new TypeError(`fake S3 cannot read a body of type ${typeof body}`);
};

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const id = (bucket: string, key: string): string => `${bucket}/${key}`;

/** Bucket and key of a call; the real SDK refuses a call without them before it leaves. */
const target = (input: { Bucket?: string | undefined; Key?: string | undefined }) => {
  if (!input.Bucket || !input.Key) throw new Error('fake S3: Bucket and Key are required');
  return { bucket: input.Bucket, key: input.Key, id: id(input.Bucket, input.Key) };
};

/** The errors as the SDK deserialises them: modelled classes where S3 has them, the base class otherwise. */
const noSuchKey = () =>
  new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' });
const notFound = () => new NotFound({ $metadata: { httpStatusCode: 404 }, message: 'Not Found' });
const preconditionFailed = () =>
  new S3ServiceException({
    name: 'PreconditionFailed',
    $fault: 'client',
    $metadata: { httpStatusCode: 412 },
    message: 'At least one of the pre-conditions you specified did not hold',
  });

/**
 * The local generator's logic on the SageMaker contract: the request body is a GenerateRequest,
 * the answer its rows as CSV. Tests that inject failures call it for the records that should pass.
 */
export const invokeGenerator = (input: InvokeEndpointCommandInput): InvokeEndpointCommandOutput => {
  const text = new TextDecoder().decode(input.Body as Uint8Array);
  const request = parseJson(GenerateRequest, text, 'InvokeEndpoint body');
  if (request.model === undefined) throw new Error('the fake endpoint only takes an inline model');
  const table = sampleShard(request.model, { rows: request.rows, seed: request.seed, shard: request.shard });
  return {
    $metadata: { httpStatusCode: 200 },
    ContentType: 'text/csv',
    InvokedProductionVariant: 'AllTraffic',
    Body: encoder.encode(toCsv(table)) as InvokeEndpointCommandOutput['Body'],
  };
};

/** The shard a SageMaker InvokeEndpoint call asks for (for failing one shard on purpose). */
export const shardOf = (input: InvokeEndpointCommandInput): number =>
  (JSON.parse(new TextDecoder().decode(input.Body as Uint8Array)) as { shard: number }).shard;

export const fakeAws = () => {
  const clients = {
    s3: new S3Client({ region: ENV.AWS_REGION, credentials }),
    sqs: new SQSClient({ region: ENV.AWS_REGION, credentials }),
    sageMaker: new SageMakerRuntimeClient({ region: ENV.AWS_REGION, credentials }),
  };
  // Instances, not prototypes: every fakeAws() is its own AWS, whatever else a test file mocks.
  const s3Mock = mockClient(clients.s3);
  const sqsMock = mockClient(clients.sqs);
  const sageMakerMock = mockClient(clients.sageMaker);
  const objects = new Map<string, StoredObject>();
  const uploads = new Map<
    string,
    { bucket: string; key: string; contentType?: string; parts: Map<number, Buffer> }
  >();
  let uploadCount = 0;

  const store = (bucket: string, key: string, body: Buffer, contentType?: string): string => {
    const etag = `"${md5(body)}"`;
    objects.set(id(bucket, key), {
      body,
      etag,
      lastModified: new Date(),
      ...(contentType === undefined ? {} : { contentType }),
    });
    return etag;
  };

  s3Mock.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
    const object = objects.get(target(input).id);
    if (object === undefined) throw noSuchKey();
    return {
      $metadata: { httpStatusCode: 200 },
      // Small chunks, so readers meet chunk boundaries as they do over the network.
      Body: sdkStreamMixin(Readable.from(chunksOf(object.body, 16 * 1024))),
      ContentLength: object.body.byteLength,
      ContentType: object.contentType,
      ETag: object.etag,
      LastModified: object.lastModified,
    };
  });
  s3Mock.on(HeadObjectCommand).callsFake(async (input: HeadObjectCommandInput) => {
    const object = objects.get(target(input).id);
    if (object === undefined) throw notFound();
    return {
      $metadata: { httpStatusCode: 200 },
      ContentLength: object.body.byteLength,
      ContentType: object.contentType,
      ETag: object.etag,
      LastModified: object.lastModified,
    };
  });
  s3Mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    const body = await toBuffer(input.Body);
    // Check and write with no await between: two conditional writers race as they do on S3.
    const { bucket, key } = target(input);
    if (input.IfNoneMatch === '*' && objects.has(id(bucket, key))) throw preconditionFailed();
    const etag = store(bucket, key, body, input.ContentType);
    return { $metadata: { httpStatusCode: 200 }, ETag: etag };
  });
  s3Mock.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => {
    const bucket = input.Bucket ?? '';
    const bucketPrefix = `${bucket}/`;
    const prefix = input.Prefix ?? '';
    const keys = [...objects.keys()]
      .filter((k) => k.startsWith(bucketPrefix))
      .map((k) => k.slice(bucketPrefix.length))
      .filter((k) => k.startsWith(prefix))
      .sort();
    // The continuation token is the last key of the previous page (opaque to callers, as on S3).
    const after = input.ContinuationToken ?? input.StartAfter;
    const remaining = after === undefined ? keys : keys.filter((k) => k > after);
    const max = input.MaxKeys ?? 1000;
    const page = remaining.slice(0, max);
    const truncated = remaining.length > max;
    return {
      $metadata: { httpStatusCode: 200 },
      Name: input.Bucket,
      Prefix: prefix,
      KeyCount: page.length,
      MaxKeys: max,
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: page[page.length - 1] } : {}),
      Contents: page.map((key) => {
        const object = objects.get(id(bucket, key)) as StoredObject;
        return {
          Key: key,
          Size: object.body.byteLength,
          ETag: object.etag,
          LastModified: object.lastModified,
          StorageClass: 'STANDARD' as const,
        };
      }),
    };
  });
  s3Mock.on(CreateMultipartUploadCommand).callsFake(async (input: CreateMultipartUploadCommandInput) => {
    const { bucket, key } = target(input);
    const uploadId = `upload-${++uploadCount}`;
    uploads.set(uploadId, {
      bucket,
      key,
      parts: new Map(),
      ...(input.ContentType === undefined ? {} : { contentType: input.ContentType }),
    });
    return { $metadata: { httpStatusCode: 200 }, Bucket: bucket, Key: key, UploadId: uploadId };
  });
  s3Mock.on(UploadPartCommand).callsFake(async (input: UploadPartCommandInput) => {
    const upload = uploads.get(input.UploadId ?? '');
    if (upload === undefined) throw new Error(`fake S3: no multipart upload ${input.UploadId}`);
    const body = await toBuffer(input.Body);
    upload.parts.set(input.PartNumber ?? 0, body);
    return { $metadata: { httpStatusCode: 200 }, ETag: `"${md5(body)}"` };
  });
  s3Mock.on(CompleteMultipartUploadCommand).callsFake(async (input: CompleteMultipartUploadCommandInput) => {
    const upload = uploads.get(input.UploadId ?? '');
    if (upload === undefined) throw new Error(`fake S3: no multipart upload ${input.UploadId}`);
    uploads.delete(input.UploadId ?? '');
    const numbers = (input.MultipartUpload?.Parts ?? []).map((p) => p.PartNumber as number);
    const body = Buffer.concat(numbers.map((n) => upload.parts.get(n) ?? Buffer.alloc(0)));
    const etag = store(upload.bucket, upload.key, body, upload.contentType);
    return { $metadata: { httpStatusCode: 200 }, Bucket: upload.bucket, Key: upload.key, ETag: etag };
  });

  sqsMock.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => ({
    $metadata: { httpStatusCode: 200 },
    Successful: (input.Entries ?? []).map((entry, i) => ({
      Id: entry.Id,
      MessageId: `00000000-0000-4000-8000-${String(sqsMock.commandCalls(SendMessageBatchCommand).length).padStart(6, '0')}${String(i).padStart(6, '0')}`,
      MD5OfMessageBody: md5(Buffer.from(entry.MessageBody ?? '', 'utf8')),
    })),
    Failed: [],
  }));

  sageMakerMock
    .on(InvokeEndpointCommand)
    .callsFake(async (input: InvokeEndpointCommandInput) => invokeGenerator(input));

  const deps: AwsDeps = awsDepsFromEnv(ENV, clients);

  /** Every job sent so far, in send order, parsed from the SendMessageBatch entries. */
  const sentJobs = (): ShardJob[] =>
    sqsMock
      .commandCalls(SendMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => JSON.parse(entry.MessageBody ?? 'null') as ShardJob);

  const put = (bucket: string, key: string, body: string | Uint8Array, contentType?: string): void => {
    store(bucket, key, Buffer.from(typeof body === 'string' ? encoder.encode(body) : body), contentType);
  };
  const bytes = (bucket: string, key: string): Buffer | undefined => objects.get(id(bucket, key))?.body;
  const text = (bucket: string, key: string): string => {
    const body = bytes(bucket, key);
    if (body === undefined) throw new Error(`fake S3: no object s3://${bucket}/${key}`);
    return body.toString('utf8');
  };
  const json = <T = unknown>(bucket: string, key: string): T => JSON.parse(text(bucket, key)) as T;
  /** Keys of a bucket under a prefix, sorted. */
  const keys = (bucket: string, prefix = ''): string[] =>
    [...objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  /** How many PutObject calls (conditional or not) went to a bucket. */
  const putCount = (bucket: string): number =>
    s3Mock.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Bucket === bucket).length;

  const progress: Progress = () => {};
  /** What every makeHandler takes: the AWS ports plus a fixed clock, silent progress and a quiet logger. */
  const handlerDeps = () => ({
    store: deps.store,
    queue: deps.queue,
    generator: deps.generator,
    buckets: deps.buckets,
    now: () => FIXED_NOW,
    progress,
    logger: createLogger({ quiet: true }),
    cache: new Map<string, unknown>(),
  });

  return {
    s3Mock,
    sqsMock,
    sageMakerMock,
    objects,
    sentJobs,
    deps,
    handlerDeps,
    buckets: LOCAL_BUCKETS,
    put,
    bytes,
    text,
    json,
    keys,
    putCount,
  };
};

export type FakeAws = ReturnType<typeof fakeAws>;

function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.byteLength; i += size) yield data.subarray(i, i + size);
}
