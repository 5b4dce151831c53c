import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/dataset-requests/handler.ts';
import { makeHandler as makeGateHandler } from '../../functions/gate-run/handler.ts';
import { makeHandler as makeGenerateHandler } from '../../functions/generate-shard/handler.ts';
import type { RunRecord } from '../../src/contracts.ts';
import { type FakeAws, fakeAws } from '../helpers/fake-aws.ts';
import {
  type ApiEvent,
  context,
  createRequestEvent,
  getRequestEvent,
  readyEvent,
  sqsEvent,
  startSeedRun,
} from './fixtures.ts';

const USER_ARN = 'arn:aws:iam::123456789012:user/compliance-analyst';

const invoke = async (aws: FakeAws, event: ApiEvent) => {
  const result = await makeHandler(aws.handlerDeps())(event, context('dataset-requests'));
  return {
    statusCode: result.statusCode,
    body: JSON.parse(result.body ?? 'null') as Record<string, unknown>,
  };
};

describe('dataset-requests', () => {
  it('POST /requests starts a run under the asked policy and records who asked (202)', async () => {
    // Prepare
    const aws = fakeAws();
    const seedRun = await startSeedRun(aws);

    // Act
    const response = await invoke(aws, createRequestEvent());

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.body).toMatchObject({
      dataset: 'customers',
      status: 'generating',
      rows: 500,
      policy: { name: 'strict', rareCategoryMin: 10 },
    });
    const requestId = response.body.requestId as string;
    expect(requestId).toMatch(/^r-[0-9a-f]{16}$/);
    expect(aws.json<RunRecord>(aws.buckets.work, `runs/${requestId}/run.json`)).toMatchObject({
      trigger: 'request',
      requestedBy: USER_ARN,
      sourceRunId: seedRun.runId,
      policy: { name: 'strict' },
      rows: 500,
    });
    expect(aws.sentJobs().filter((j) => j.runId === requestId)).toHaveLength(1);
  });

  it('GET /requests/{id} answers where the request stands, and where its evidence is once gated', async () => {
    // Prepare
    const aws = fakeAws();
    await startSeedRun(aws);
    const created = await invoke(aws, createRequestEvent());
    const requestId = created.body.requestId as string;

    // Act
    const pending = await invoke(aws, getRequestEvent(requestId));
    const jobs = aws.sentJobs().filter((j) => j.runId === requestId);
    await makeGenerateHandler(aws.handlerDeps())(sqsEvent(jobs), context('generate-shard'));
    await makeGateHandler(aws.handlerDeps())(readyEvent(requestId), context('gate-run'));
    const done = await invoke(aws, getRequestEvent(requestId));

    // Assess
    expect(pending.statusCode).toBe(200);
    expect(pending.body).toMatchObject({ requestId, status: 'generating', policy: { name: 'strict' } });
    expect(pending.body.output).toBeUndefined();
    expect(done.statusCode).toBe(200);
    const prefix = `customers/${requestId}/`;
    expect(done.body).toMatchObject({
      requestId,
      status: 'published',
      output: {
        bucket: aws.buckets.curated,
        prefix,
        report: `${prefix}report.json`,
        reportHtml: `${prefix}report.html`,
        manifest: `${prefix}manifest.json`,
        data: `${prefix}data/`,
      },
    });
    expect(aws.keys(aws.buckets.curated, prefix)).toContain(`${prefix}data/part-00000.csv`);
  });

  it('GET on an id nobody asked for answers 404', async () => {
    // Prepare
    const aws = fakeAws();
    const seedRun = await startSeedRun(aws);

    // Act
    const unknown = await invoke(aws, getRequestEvent('r-ffffffffffffffff'));
    const seedRunAsRequest = await invoke(aws, getRequestEvent(seedRun.runId));

    // Assess
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body.error).toContain('r-ffffffffffffffff');
    // A seed run exists but is nobody's request.
    expect(seedRunAsRequest.statusCode).toBe(404);
  });

  it('POST with a body that is not JSON answers 400 with the reason, and starts nothing', async () => {
    // Prepare
    const aws = fakeAws();
    await startSeedRun(aws);
    const jobs = aws.sentJobs().length;

    // Act
    const response = await invoke(aws, createRequestEvent('{"dataset":"customers",'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body.error).toMatch(/request body is not valid JSON/);
    expect(aws.sentJobs()).toHaveLength(jobs);
  });

  it('POST with an unknown policy answers 400 naming the field', async () => {
    // Prepare
    const aws = fakeAws();
    await startSeedRun(aws);

    // Act
    const response = await invoke(aws, createRequestEvent({ dataset: 'customers', policy: 'lenient' }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body.error).toMatch(/request body is invalid: policy/);
  });

  it('POST for a dataset never profiled answers 404 naming it', async () => {
    // Prepare
    const aws = fakeAws();
    await startSeedRun(aws);

    // Act
    const response = await invoke(
      aws,
      createRequestEvent({ dataset: 'orders', rows: 500, policy: 'strict' }),
    );

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.body.error).toContain('dataset orders');
  });

  it('answers 400, not a crash, to an event that is not an HTTP API request', async () => {
    // Prepare
    const aws = fakeAws();
    const s3Shaped = {
      Records: [{ s3: { bucket: { name: 'x' }, object: { key: 'y' } } }],
    } as unknown as ApiEvent;

    // Act
    const response = await invoke(aws, s3Shaped);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body.error).toMatch(/not an HTTP API request/);
  });
});
