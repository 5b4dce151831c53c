import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { ChunkTask } from '../../src/profile/profile-chunks.ts';
import { loadWorkerCode, type WorkerScript } from '../../src/profile/worker-bundle.ts';

describe('the worker scripts from the sources', () => {
  it('bundles a script once, then takes it from the cache while its files stand, and again when one changed', async () => {
    // Prepare
    const cache = mkdtempSync(join(tmpdir(), 'doppel-workers-'));

    // Act: built, then cached; then the record of one input altered, as an edit would
    const first = await loadWorkerCode('profile-chunk-worker', cache);
    const second = await loadWorkerCode('profile-chunk-worker', cache);
    const [file] = readdirSync(cache);
    const record = JSON.parse(readFileSync(join(cache, file!), 'utf8'));
    const input = Object.keys(record.inputs).find((path) => path.endsWith('scan-file.ts'))!;
    record.inputs[input][1] -= 1000;
    writeFileSync(join(cache, file!), JSON.stringify(record));
    const third = await loadWorkerCode('profile-chunk-worker', cache);
    const uncached = await loadWorkerCode('profile-chunk-worker', null);

    // Assess
    expect([first.from, second.from, third.from, uncached.from]).toEqual([
      'build',
      'cache',
      'build',
      'build',
    ]);
    expect(second.code).toBe(first.code);
    expect(third.code).toBe(first.code);
    expect(first.code).toContain('scanDelimitedFile');
    expect(Object.keys(record.inputs).length).toBeGreaterThan(5);
  });

  it.each([
    ['profile-chunk-worker', 'a Parquet chunk is scanned by scanParquetChunk'],
    ['parquet-chunk-worker', 'scanParquetChunk: not a Parquet chunk'],
  ] as [WorkerScript, string][])(
    '%s loads on a thread and answers a task (a script that fails to load only errs)',
    async (script, answer) => {
      // Prepare: a task each script refuses with its own words (the wrong kind of chunk)
      const { code } = await loadWorkerCode(script);
      const task = {
        source: { path: '/nonexistent' },
        delimiter: ',',
        columns: ['a'],
        index: 0,
        range: { start: 0, end: 1, aligned: true },
        sampling: { seed: 1, holdoutShare: 0.2, trainSampleSize: 1, holdoutSampleSize: 1 },
        ...(script === 'profile-chunk-worker' ? { parquet: { name: 'x', size: 1, groups: [0, 1] } } : {}),
      } satisfies ChunkTask;
      const worker = new Worker(code, { eval: true });

      // Act
      const reply = await new Promise((done, fail) => {
        worker.once('message', done);
        worker.once('error', fail);
        worker.postMessage(task);
      }).finally(() => worker.terminate());

      // Assess
      expect(reply).toMatchObject({ ok: false, message: expect.stringContaining(answer) });
    },
  );
});
