import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/gate-run/handler.ts';
import type { ModelArtifact, RunRecord } from '../../src/contracts.ts';
import { TransientError } from '../../src/errors.ts';
import { parseCsv } from '../../src/formats/csv.ts';
import type { Manifest } from '../../src/pipeline/gate-run.ts';
import type { Generator } from '../../src/ports.ts';
import type { Report } from '../../src/report/report.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { describeConstraint } from '../../src/synth/constraints.ts';
import { toCsv } from '../../src/table.ts';
import { type FakeAws, fakeAws } from '../helpers/fake-aws.ts';
import { context, landAllShards, readyEvent, SEED_ROWS, startSeedRun, TWO_SHARD_ROWS } from './fixtures.ts';

const invoke = (aws: FakeAws, event: Parameters<ReturnType<typeof makeHandler>>[0]) =>
  makeHandler(aws.handlerDeps())(event, context('gate-run'));

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const curatedPuts = (aws: FakeAws): number =>
  aws.s3Mock.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Bucket === aws.buckets.curated)
    .length;

describe('gate-run', () => {
  it('publishes a passing run to curated: data, reports and a manifest whose checksums match', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId } = await landAllShards(aws, { rows: TWO_SHARD_ROWS });
    const prefix = `customers/${runId}/`;

    // Act
    const result = await invoke(aws, readyEvent(runId));

    // Assess
    expect(result.runs).toEqual([
      { runId, status: 'published', output: { bucket: aws.buckets.curated, prefix } },
    ]);
    expect(aws.keys(aws.buckets.curated)).toEqual([
      `${prefix}data/part-00000.csv`,
      `${prefix}data/part-00001.csv`,
      `${prefix}manifest.json`,
      `${prefix}report.html`,
      `${prefix}report.json`,
    ]);
    expect(aws.keys(aws.buckets.quarantine)).toEqual([]);
    const manifest = aws.json<Manifest>(aws.buckets.curated, `${prefix}manifest.json`);
    expect(manifest).toMatchObject({
      runId,
      dataset: 'customers',
      verdict: 'published',
      rows: TWO_SHARD_ROWS,
    });
    expect(manifest.files.map((f) => f.key).sort()).toEqual([
      'data/part-00000.csv',
      'data/part-00001.csv',
      'report.html',
      'report.json',
    ]);
    for (const file of manifest.files) {
      const bytes = aws.bytes(aws.buckets.curated, `${prefix}${file.key}`) as Buffer;
      expect(sha256(bytes), file.key).toBe(file.sha256);
      expect(bytes.byteLength, file.key).toBe(file.bytes);
    }
    // The published data is the generated shards, unchanged.
    expect(aws.text(aws.buckets.curated, `${prefix}data/part-00001.csv`)).toBe(
      aws.text(aws.buckets.work, `runs/${runId}/shards/part-00001.csv`),
    );
    const report = aws.json<Report>(aws.buckets.curated, `${prefix}report.json`);
    expect(report.privacy.verdict).toBe('pass');
    // Beside the scores, the holdout scored the same way: what a perfect generator would reach.
    expect(report.fidelity.ceiling?.rows).toBeGreaterThan(0);
    expect(report.fidelity.ceiling?.overall).toBeGreaterThan(0.5);
    // The relations the model kept, in words (the customer sample has none, and says so).
    const model = aws.json<ModelArtifact>(aws.buckets.work, `runs/${runId}/model.json`);
    expect(report.model.relations).toEqual(model.constraints.map(describeConstraint));
    expect(aws.text(aws.buckets.curated, `${prefix}report.html`)).toContain(
      `Relations the model keeps on every row</th><td>${report.model.relations.join('; ') || 'none'}`,
    );
    expect(aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`)).toMatchObject({
      status: 'published',
      output: { bucket: aws.buckets.curated, prefix },
    });
  });

  it('does nothing more when the ready marker is delivered again after the run was published', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId } = await landAllShards(aws);
    await invoke(aws, readyEvent(runId));
    const writes = curatedPuts(aws);
    const published = aws.text(aws.buckets.work, `runs/${runId}/run.json`);

    // Act
    const result = await invoke(aws, readyEvent(runId));

    // Assess
    expect(result.runs).toMatchObject([{ runId, status: 'published' }]);
    expect(curatedPuts(aws)).toBe(writes);
    expect(aws.text(aws.buckets.work, `runs/${runId}/run.json`)).toBe(published);
  });

  it('gates once when two last shards deliver their markers at the same time', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId } = await landAllShards(aws);

    // Act
    const results = await Promise.all([invoke(aws, readyEvent(runId)), invoke(aws, readyEvent(runId))]);

    // Assess
    const statuses = results.map((r) => r.runs[0]?.status).sort();
    expect(statuses).toEqual(['claimed-elsewhere', 'published']);
    // One report.json, one report.html, one data part, one manifest.
    expect(curatedPuts(aws)).toBe(4);
  });

  it('throws, for Lambda to retry, when the marker comes before every shard has landed', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId } = await startSeedRun(aws);

    // Act
    const result = invoke(aws, readyEvent(runId));

    // Assess
    await expect(result).rejects.toThrow(`run ${runId}: 0 of 1 shards landed`);
    expect(aws.keys(aws.buckets.curated)).toEqual([]);
    expect(aws.bytes(aws.buckets.work, `runs/${runId}/gate.claim`)).toBeUndefined();
  });

  it('lets no identifying value of the seed reach any curated object', async () => {
    // Prepare
    const aws = fakeAws();
    const { runId } = await landAllShards(aws);
    const seed = sampleCustomers(SEED_ROWS);
    const identifying = ['full_name', 'email', 'phone', 'ssn', 'street_address'];
    const seedValues = new Set(
      identifying.flatMap((name) => {
        const c = seed.columns.indexOf(name);
        return seed.rows.map((row) => row[c]).filter((v): v is string => v != null && v !== '');
      }),
    );

    // Act
    await invoke(aws, readyEvent(runId));

    // Assess
    const keys = aws.keys(aws.buckets.curated);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const text = aws.text(aws.buckets.curated, key);
      if (key.endsWith('.csv')) {
        // Cell by cell: a fake name may contain a seed name as a substring by chance.
        const table = parseCsv(text, key);
        for (const name of identifying) {
          const c = table.columns.indexOf(name);
          expect(c, `${key} has ${name}`).toBeGreaterThanOrEqual(0);
          const leaked = table.rows.map((row) => row[c]).filter((v) => v != null && seedValues.has(v));
          expect(leaked, `${key} ${name}`).toEqual([]);
        }
      } else {
        const leaked = [...seedValues].filter((value) => text.includes(value));
        expect(leaked, key).toEqual([]);
      }
    }
    expect(aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`).status).toBe('published');
  });

  it('resumes after failing mid-publish when Lambda retries the same event (same request id)', async () => {
    // Prepare: the first manifest write fails with S3 throttling, after the reports and data went out
    const aws = fakeAws();
    const { runId } = await landAllShards(aws);
    const deps = aws.handlerDeps();
    const real = deps.store;
    let failures = 0;
    const flaky = Object.create(real) as typeof real;
    flaky.put = async (bucket, key, body, options) => {
      if (key.endsWith('manifest.json') && failures++ === 0)
        throw new TransientError('SlowDown: reduce your request rate');
      return real.put(bucket, key, body, options);
    };
    const handler = makeHandler({ ...deps, store: flaky });
    const invocation = context('gate-run');

    // Act
    const first = await handler(readyEvent(runId), invocation).then(
      () => 'ok',
      (error: Error) => error.message,
    );
    const stuck = aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`).status;
    const otherGate = await makeHandler(deps)(readyEvent(runId), context('gate-run'));
    const retry = await handler(readyEvent(runId), invocation);

    // Assess
    expect(first).toMatch(/SlowDown/);
    expect(stuck).toBe('gating');
    expect(otherGate.runs).toEqual([{ runId, status: 'claimed-elsewhere' }]);
    expect(retry.runs[0]).toMatchObject({ runId, status: 'published' });
    expect(aws.keys(aws.buckets.curated)).toContain(`customers/${runId}/manifest.json`);
  });

  describe('row-level repair (standard policy)', () => {
    const seedEmails = (): string[] => {
      const seed = sampleCustomers(SEED_ROWS);
      const c = seed.columns.indexOf('email');
      return seed.rows.map((row) => row[c]).filter((v): v is string => v != null && v !== '');
    };
    /** Overwrites the email of the first `count` rows of every row set the function is given. */
    const replayEmails = (csv: string, what: string, count: number): string => {
      const table = parseCsv(csv, what);
      const c = table.columns.indexOf('email');
      const emails = seedEmails();
      table.rows.slice(0, count).forEach((row, i) => {
        row[c] = emails[i % emails.length]!;
      });
      return toCsv(table);
    };
    const leakShard = (aws: FakeAws, runId: string): void => {
      const key = `runs/${runId}/shards/part-00000.csv`;
      aws.put(aws.buckets.work, key, replayEmails(aws.text(aws.buckets.work, key), key, 5), 'text/csv');
    };

    it('drops the rows that replay seed emails, draws fresh ones and publishes the repaired output', async () => {
      // Prepare: a landed run whose shard carries five seed emails
      const aws = fakeAws();
      const { runId } = await landAllShards(aws);
      leakShard(aws, runId);
      const prefix = `customers/${runId}/`;

      // Act
      const result = await invoke(aws, readyEvent(runId));

      // Assess
      expect(result.runs).toMatchObject([{ runId, status: 'published' }]);
      const report = aws.json<Report>(aws.buckets.curated, `${prefix}report.json`);
      expect(report.privacy.verdict).toBe('pass');
      expect(report.privacy.repair).toMatchObject({
        outcome: 'repaired',
        failedBefore: ['pii-replay'],
        dropped: { 'pii-replay': 5 },
        rowsDropped: 5,
        rowsReplaced: 5,
      });
      expect(aws.text(aws.buckets.curated, `${prefix}report.html`)).toContain('Repaired: 5 rows replaced');
      const published = parseCsv(aws.text(aws.buckets.curated, `${prefix}data/part-00000.csv`), 'published');
      const emails = new Set(seedEmails());
      const c = published.columns.indexOf('email');
      expect(published.rows.filter((row) => emails.has(row[c] ?? ''))).toEqual([]);
      expect(published.rows.length).toBe(SEED_ROWS);
      const manifest = aws.json<Manifest>(aws.buckets.curated, `${prefix}manifest.json`);
      const part = manifest.files.find((f) => f.key === 'data/part-00000.csv')!;
      expect(part.sha256).toBe(sha256(aws.bytes(aws.buckets.curated, `${prefix}data/part-00000.csv`)!));
    });

    it('drops the rows that lie near a planted canary, draws fresh ones and publishes the repaired output', async () => {
      // Prepare: a seed large enough for the nearness yardstick (a holdout of 100 rows or more), and a
      // shard whose first rows take a canary's non-identifying values, one number nudged: near, not exact
      const aws = fakeAws();
      const { runId } = await landAllShards(aws, { seedRows: 1_500 });
      const canaries = parseCsv(aws.text(aws.buckets.work, `runs/${runId}/samples/canaries.csv`), 'canaries');
      const key = `runs/${runId}/shards/part-00000.csv`;
      const shard = parseCsv(aws.text(aws.buckets.work, key), key);
      const copied = ['state', 'tier', 'signup_date', 'is_active', 'orders', 'total_spend', 'satisfaction'];
      const near = Math.min(5, canaries.rows.length);
      shard.rows.slice(0, near).forEach((row, i) => {
        const canary = canaries.rows[i]!;
        for (const name of copied)
          row[shard.columns.indexOf(name)] = canary[canaries.columns.indexOf(name)] ?? null;
        const spend = shard.columns.indexOf('total_spend');
        row[spend] = (Number(row[spend]) + 0.01).toFixed(2);
      });
      aws.put(aws.buckets.work, key, toCsv(shard), 'text/csv');
      const prefix = `customers/${runId}/`;

      // Act
      const result = await invoke(aws, readyEvent(runId));

      // Assess: the canary check failed on nearness alone, and repair replaced exactly those rows
      expect(result.runs).toMatchObject([{ runId, status: 'published' }]);
      const report = aws.json<Report>(aws.buckets.curated, `${prefix}report.json`);
      expect(report.privacy.repair).toMatchObject({
        outcome: 'repaired',
        failedBefore: ['canaries'],
        dropped: { canaries: near },
        rowsDropped: near,
        rowsReplaced: near,
      });
      expect(report.privacy.checks.find((c) => c.id === 'canaries')?.verdict).toBe('pass');
      const published = parseCsv(aws.text(aws.buckets.curated, `${prefix}data/part-00000.csv`), 'published');
      expect(published.rows.length).toBe(shard.rows.length);
    });

    /** Overwrites the first `count` rows' sampled columns with training rows: exact copies. */
    const copyTrainRows = (aws: FakeAws, runId: string, csv: string, count: number): string => {
      const train = parseCsv(aws.text(aws.buckets.work, `runs/${runId}/samples/train.csv`), 'train');
      const table = parseCsv(csv, 'rows');
      const at = train.columns.map((name) => table.columns.indexOf(name));
      table.rows.slice(0, count).forEach((row, i) => {
        const source = train.rows[(i * 7) % train.rows.length]!;
        at.forEach((c, j) => {
          row[c] = source[j] ?? null;
        });
      });
      return toCsv(table);
    };

    it('quarantines the run when every replacement the generator draws copies a training row too', async () => {
      // Prepare: a shard with five copied training rows, and a generator that answers only copies
      const aws = fakeAws();
      const { runId } = await landAllShards(aws);
      const key = `runs/${runId}/shards/part-00000.csv`;
      aws.put(
        aws.buckets.work,
        key,
        copyTrainRows(aws, runId, aws.text(aws.buckets.work, key), 5),
        'text/csv',
      );
      const deps = aws.handlerDeps();
      const real: Generator = deps.generator;
      const copying: Generator = {
        generate: async (request) => {
          const answer = await real.generate(request);
          return { ...answer, body: copyTrainRows(aws, runId, answer.body, request.rows) };
        },
      };

      // Act
      const result = await makeHandler({ ...deps, generator: copying })(
        readyEvent(runId),
        context('gate-run'),
      );

      // Assess
      expect(result.runs).toMatchObject([{ runId, status: 'quarantined' }]);
      expect(aws.keys(aws.buckets.curated)).toEqual([]);
      const report = aws.json<Report>(aws.buckets.quarantine, `customers/${runId}/report.json`);
      expect(report.privacy.repair).toMatchObject({ outcome: 'failed', failedBefore: ['exact-copies'] });
      expect(report.privacy.repair?.detail).toMatch(/still lacked clean rows after 5 rounds/);
      expect(aws.text(aws.buckets.quarantine, `customers/${runId}/report.html`)).toContain(
        'Repair tried, and failed',
      );
      expect(aws.json<RunRecord>(aws.buckets.work, `runs/${runId}/run.json`).reason).toMatch(/exact-copies/);
    });
  });
});
