/**
 * The events/ fixtures, loaded fresh for each test (callers may change them), and the few changes
 * tests make to them: another run id, another seed object, the jobs actually sent.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, S3Event, SQSEvent, SQSRecord } from 'aws-lambda';
import { fakeContext } from '../../adapters/local/runtime.ts';
import { makeHandler as makeGenerateHandler } from '../../functions/generate-shard/handler.ts';
import { makeHandler as makeSeedHandler } from '../../functions/on-seed-uploaded/handler.ts';
import type { ShardJob } from '../../src/contracts.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { toCsv } from '../../src/table.ts';
import type { FakeAws } from '../helpers/fake-aws.ts';

/** The run id the fixtures carry; tests swap in a real one. */
/** The bundled sample's run id in a fresh local root (`npm start`), so `npm run invoke` finds it. */
export const FIXTURE_RUN_ID = 'r-46030df87f6906d8';
export const SEED_KEY = 'datasets/customers/customers.csv';
export const SPEC_KEY = 'datasets/customers/doppel.json';

export const loadEvent = <T>(path: string): T =>
  JSON.parse(readFileSync(new URL(`../../events/${path}`, import.meta.url), 'utf8')) as T;

export const context = fakeContext;

/** events/s3/seed-put.json, with the object's size (and any other field) set as the test needs. */
export const seedPutEvent = (object: Partial<S3Event['Records'][number]['s3']['object']> = {}): S3Event => {
  const event = loadEvent<S3Event>('s3/seed-put.json');
  const record = event.Records[0]!;
  record.s3.object = { ...record.s3.object, ...object };
  return event;
};

export const specPutEvent = (): S3Event => loadEvent<S3Event>('s3/spec-put.json');

/** events/s3/ready.json for a run. */
export const readyEvent = (runId: string): S3Event => {
  const event = loadEvent<S3Event>('s3/ready.json');
  const object = event.Records[0]!.s3.object;
  object.key = object.key.replace(FIXTURE_RUN_ID, runId);
  return event;
};

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** The three records of events/sqs/shard-jobs.json: two jobs, then a malformed body. */
export const shardJobRecords = (): SQSRecord[] => loadEvent<SQSEvent>('sqs/shard-jobs.json').Records;

/** An SQS batch carrying these jobs, in the fixture's record shape; message ids name run and shard. */
export const sqsEvent = (jobs: ShardJob[]): SQSEvent => {
  const template = shardJobRecords()[0]!;
  return {
    Records: jobs.map((job) => {
      const body = JSON.stringify(job);
      return {
        ...template,
        attributes: { ...template.attributes },
        messageId: `${job.runId}-${job.shard}`,
        receiptHandle: `${template.receiptHandle}-${job.runId}-${job.shard}`,
        body,
        md5OfBody: md5(body),
      };
    }),
  };
};

export const malformedRecord = (): SQSRecord => shardJobRecords()[2]!;

export type ApiEvent = APIGatewayProxyEventV2WithIAMAuthorizer;

export const createRequestEvent = (body?: unknown): ApiEvent => {
  const event = loadEvent<ApiEvent>('api/create-request.json');
  if (body !== undefined) event.body = typeof body === 'string' ? body : JSON.stringify(body);
  return event;
};

export const getRequestEvent = (requestId: string): ApiEvent => {
  const event = loadEvent<ApiEvent>('api/get-request.json');
  event.rawPath = `/requests/${requestId}`;
  event.requestContext.http.path = event.rawPath;
  event.pathParameters = { requestId };
  return event;
};

export interface AugmentEvent {
  dataset: string;
  rows: number;
  scheduledTime?: string;
}

export const scheduleEvent = (changes: Partial<AugmentEvent> = {}): AugmentEvent => ({
  ...loadEvent<AugmentEvent>('schedule/augment.json'),
  ...changes,
});

/** The bundled sample as its seed bytes: 400 rows keep a whole run well under a second or two. */
export const SEED_ROWS = 400;
export const customersCsv = (rows = SEED_ROWS): string => toCsv(sampleCustomers(rows));

/** Puts the sample customers seed in the seed bucket; answers the S3 event S3 would send for it. */
export const putCustomersSeed = (aws: FakeAws, csv = customersCsv()): S3Event => {
  aws.put(aws.buckets.seed, SEED_KEY, csv, 'text/csv');
  return seedPutEvent({ size: Buffer.byteLength(csv, 'utf8') });
};

/**
 * Shard size follows from the endpoint's 6 MiB payload limit, so a sample-sized run is one shard;
 * this many rows (asked for in a doppel.json) makes two, for the tests about several shards.
 */
export const TWO_SHARD_ROWS = 12_500;

/** Prepare: a seed run started through the real on-seed handler; answers its run id and the jobs sent. */
export const startSeedRun = async (aws: FakeAws, options: { rows?: number; seedRows?: number } = {}) => {
  if (options.rows !== undefined) aws.put(aws.buckets.seed, SPEC_KEY, JSON.stringify({ rows: options.rows }));
  const result = await makeSeedHandler(aws.handlerDeps())(
    putCustomersSeed(aws, customersCsv(options.seedRows)),
    context('on-seed-uploaded'),
  );
  const outcome = result.outcomes[0];
  if (outcome?.status !== 'started' || outcome.runId === undefined)
    throw new Error(`the seed run did not start: ${JSON.stringify(result)}`);
  return { runId: outcome.runId, jobs: aws.sentJobs().filter((j) => j.runId === outcome.runId) };
};

/** Prepare: a seed run whose every shard has landed (through the real generate handler). */
export const landAllShards = async (aws: FakeAws, options: { rows?: number; seedRows?: number } = {}) => {
  const started = await startSeedRun(aws, options);
  const result = await makeGenerateHandler(aws.handlerDeps())(
    sqsEvent(started.jobs),
    context('generate-shard'),
  );
  if (result.batchItemFailures.length > 0)
    throw new Error(`shards failed: ${JSON.stringify(result.batchItemFailures)}`);
  return started;
};
