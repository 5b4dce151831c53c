import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/on-seed-uploaded/handler.ts';
import type { Profile, RunRecord } from '../../src/contracts.ts';
import { parseCsv } from '../../src/formats/csv.ts';
import type { ModelArtifact } from '../../src/synth/model.ts';
import { fakeAws } from '../helpers/fake-aws.ts';
import { context, customersCsv, putCustomersSeed, SEED_KEY, seedPutEvent, specPutEvent } from './fixtures.ts';

const invoke = (aws: ReturnType<typeof fakeAws>, event: Parameters<ReturnType<typeof makeHandler>>[0]) =>
  makeHandler(aws.handlerDeps())(event, context('on-seed-uploaded'));

describe('on-seed-uploaded', () => {
  it('profiles a new seed, stores its artifacts in the work bucket and queues one job per shard', async () => {
    // Prepare
    const aws = fakeAws();
    const csv = customersCsv();
    const event = putCustomersSeed(aws, csv);

    // Act
    const result = await invoke(aws, event);

    // Assess
    expect(result.outcomes).toHaveLength(1);
    const outcome = result.outcomes[0]!;
    expect(outcome).toMatchObject({ key: SEED_KEY, status: 'started' });
    const runId = outcome.runId!;
    const run = aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`);
    expect(run).toMatchObject({
      status: 'generating',
      dataset: 'customers',
      trigger: 'seed',
      rows: 400,
      seedObject: {
        bucket: 'doppel-seed',
        key: SEED_KEY,
        etag: '96c9bf582bde005cd3c62f4ddef659ce',
      },
    });
    expect(aws.keys(aws.buckets.work, `runs/${runId}/`)).toEqual(
      expect.arrayContaining([
        `runs/${runId}/model.json`,
        `runs/${runId}/profile.json`,
        `runs/${runId}/pii-index.json`,
        `runs/${runId}/samples/train.csv`,
        `runs/${runId}/samples/holdout.csv`,
      ]),
    );
    expect(aws.json(aws.buckets.work, 'datasets/customers/latest.json')).toMatchObject({ runId });
    // The gate's yardstick for names: how often a holdout name recurs among train names (no name stored)
    const profile = aws.json<Profile>(aws.buckets.work, `runs/${runId}/profile.json`);
    expect(profile.nameRecurrence!.total).toBeGreaterThan(0);
    expect(profile.nameRecurrence!.matched).toBeLessThan(profile.nameRecurrence!.total);
    const jobs = aws.sentJobs();
    expect(jobs).toHaveLength(run.shards!);
    expect(jobs.map((j) => j.shard)).toEqual([...Array(run.shards).keys()]);
    expect(jobs.every((j) => j.runId === runId && j.modelKey === run.modelKey)).toBe(true);
    expect(jobs.reduce((sum, j) => sum + j.rows, 0)).toBe(400);
    // The seed is only ever read.
    expect(aws.putCount(aws.buckets.seed)).toBe(0);
    expect(aws.keys(aws.buckets.seed)).toEqual([SEED_KEY]);
    expect(aws.text(aws.buckets.seed, SEED_KEY)).toBe(csv);
  });

  it('fits the model on the train part and its canaries only: no holdout row ever reaches the model', async () => {
    // Prepare
    const aws = fakeAws();
    const event = putCustomersSeed(aws, customersCsv());

    // Act
    const result = await invoke(aws, event);

    // Assess
    const runId = result.outcomes[0]!.runId!;
    const rows = (key: string) =>
      parseCsv(aws.text(aws.buckets.work, `runs/${runId}/samples/${key}.csv`)).rows;
    const train = rows('train');
    const holdout = rows('holdout');
    const canaries = rows('canaries');
    const model = aws.json<ModelArtifact>(aws.buckets.work, `runs/${runId}/model.json`);
    expect(canaries.length).toBeGreaterThan(0);
    expect(model.settings.trainRows).toBe(train.length + canaries.length);
    expect(holdout.length).toBeGreaterThan(0);
    expect(train.length + holdout.length).toBe(400);
    const trainKeys = new Set(train.map((r) => JSON.stringify(r)));
    expect(holdout.filter((r) => trainKeys.has(JSON.stringify(r)))).toEqual([]);
  });

  it('treats the same event delivered again as a duplicate: no second run, no second set of jobs', async () => {
    // Prepare
    const aws = fakeAws();
    const event = putCustomersSeed(aws);
    const first = await invoke(aws, event);
    const batches = aws.sqsMock.commandCalls(SendMessageBatchCommand).length;
    const runs = aws.keys(aws.buckets.work, 'runs/').filter((k) => k.endsWith('/run.json'));

    // Act
    const again = await invoke(aws, event);

    // Assess
    expect(again.outcomes).toEqual([{ key: SEED_KEY, status: 'duplicate', runId: first.outcomes[0]!.runId }]);
    expect(aws.sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(batches);
    expect(aws.keys(aws.buckets.work, 'runs/').filter((k) => k.endsWith('/run.json'))).toEqual(runs);
  });

  it('profiles CSV on the byte-level fast path, and a seed it declines midway from a fresh read, to the same profile', async () => {
    // Prepare: the sample customers, and the same rows with a stray quote in an unquoted field
    // near the end (the fast path gives up there; the row reader takes it as text).
    const csv = customersCsv();
    const lines = csv.split('\n');
    const at = lines.length - 5;
    lines[at] = lines[at]!.replace(/,([A-Za-z]+),/, ',$1"s,');
    const stray = lines.join('\n');
    expect(stray).not.toBe(csv);
    const seedReads = (aws: ReturnType<typeof fakeAws>) =>
      aws.s3Mock.commandCalls(GetObjectCommand).filter((c) => c.args[0].input.Key === SEED_KEY).length;
    const plain = fakeAws();
    const declined = fakeAws();

    // Act
    const plainRun = await invoke(plain, putCustomersSeed(plain, csv));
    const declinedRun = await invoke(declined, putCustomersSeed(declined, stray));

    // Assess: one read to profile and one to index the PII; the declined seed one more.
    const profileOf = (aws: ReturnType<typeof fakeAws>, runId: string) =>
      aws.json<Profile>(aws.buckets.work, `runs/${runId}/profile.json`);
    expect(plainRun.outcomes[0]).toMatchObject({ status: 'started' });
    expect(declinedRun.outcomes[0]).toMatchObject({ status: 'started' });
    expect(seedReads(plain)).toBe(2);
    expect(seedReads(declined)).toBe(3);
    const a = profileOf(plain, plainRun.outcomes[0]!.runId!);
    const b = profileOf(declined, declinedRun.outcomes[0]!.runId!);
    expect(b.rows).toBe(a.rows);
    expect(b.columns.map((c) => [c.name, c.kind, c.semantic?.type])).toEqual(
      a.columns.map((c) => [c.name, c.kind, c.semantic?.type]),
    );
  });

  it('ignores the dataset spec landing beside the seed', async () => {
    // Prepare
    const aws = fakeAws();
    aws.put(aws.buckets.seed, 'datasets/customers/doppel.json', JSON.stringify({ rows: 100 }));

    // Act
    const result = await invoke(aws, specPutEvent());

    // Assess
    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]).toMatchObject({ key: 'datasets/customers/doppel.json', status: 'ignored' });
    expect(aws.keys(aws.buckets.work)).toEqual([]);
    expect(aws.sentJobs()).toEqual([]);
  });

  it.each([
    ['an empty seed', new Uint8Array()],
    ['a binary seed', Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)],
  ])(
    'rejects %s: the run fails with a reason naming the file, quarantined, nothing curated',
    async (_, bytes) => {
      // Prepare
      const aws = fakeAws();
      aws.put(aws.buckets.seed, SEED_KEY, bytes);
      const event = seedPutEvent({ size: bytes.byteLength });

      // Act
      const result = await invoke(aws, event);

      // Assess
      const outcome = result.outcomes[0]!;
      expect(outcome.status).toBe('failed');
      expect(outcome.reason).toContain('customers.csv');
      const runId = outcome.runId!;
      expect(aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`)).toMatchObject({
        status: 'failed',
        reason: outcome.reason,
      });
      expect(aws.keys(aws.buckets.quarantine)).toEqual([`customers/${runId}/rejected.json`]);
      expect(aws.json(aws.buckets.quarantine, `customers/${runId}/rejected.json`)).toMatchObject({
        runId,
        verdict: 'rejected',
        reason: outcome.reason,
      });
      expect(aws.keys(aws.buckets.curated)).toEqual([]);
      expect(aws.sentJobs()).toEqual([]);
      expect(aws.keys(aws.buckets.work, 'datasets/')).toEqual([]);
    },
  );
});
