/**
 * `npm start` (`doppel dev`): the bundled sample through the whole pipeline, then the seed folder
 * watched for files dropped by hand.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doppel } from '../helpers/cli.ts';
import { vegaCsv } from '../helpers/vega.ts';

const BIN = fileURLToPath(new URL('../../bin/doppel.js', import.meta.url));

const runsIn = async (root: string): Promise<string[]> =>
  readdir(join(root, 'doppel-work', 'runs')).catch(() => []);

describe('npm start (doppel dev)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'doppel-dev-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('--once publishes the bundled sample with its report and manifest, and says where', async () => {
    // Act
    const result = await doppel(['dev', '--once', '--root', root]);
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/profile/);
    expect(result.stderr).toMatch(/generate/);
    const runs = await runsIn(root);
    expect(runs).toEqual(['r-46030df87f6906d8']);
    const published = join(root, 'doppel-curated', 'customers', runs[0]!);
    expect((await readdir(published)).sort()).toEqual([
      'data',
      'manifest.json',
      'report.html',
      'report.json',
    ]);
    expect(result.stdout).toContain(join(published, 'report.html'));
    const manifest = JSON.parse(await readFile(join(published, 'manifest.json'), 'utf8'));
    expect(manifest.verdict).toBe('published');
    expect(manifest.rows).toBe(1000);
  });

  it('a second start finds the same seed already ingested: no second run', async () => {
    const result = await doppel(['dev', '--once', '--root', root]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/already ingested/);
    expect(await runsIn(root)).toHaveLength(1);
  });

  it('npm run invoke runs one handler on an events/ fixture against the same local buckets', async () => {
    // The fixtures name the sample's object and run (bucket doppel-seed, its md5 as eTag), so the
    // seed event is a duplicate of what npm start did, and a compliance request builds on it.
    const duplicate = await doppel(['invoke', 'on-seed-uploaded', 'events/s3/seed-put.json', '--root', root]);
    const request = await doppel([
      'invoke',
      'dataset-requests',
      'events/api/create-request.json',
      '--root',
      root,
    ]);
    const status = await doppel([
      'invoke',
      'dataset-requests',
      'events/api/get-request.json',
      '--root',
      root,
    ]);

    expect(JSON.parse(duplicate.stdout).outcomes[0]).toMatchObject({
      status: 'duplicate',
      runId: 'r-46030df87f6906d8',
    });
    const created = JSON.parse(JSON.parse(request.stdout).body);
    expect(created).toMatchObject({ status: 'generating', rows: 500, policy: { name: 'strict' } });
    const followed = JSON.parse(JSON.parse(status.stdout).body);
    expect(followed).toMatchObject({ requestId: created.requestId, status: 'published' });
    expect(followed.output.data).toBe(`customers/${created.requestId}/data/`);
  });

  it('keeps watching: a file dropped in the seed folder is processed the same way', async () => {
    // Prepare
    const child = spawn(process.execPath, [BIN, 'dev', '--root', root], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stdout += d));
    try {
      await waitFor(() => stdout.includes('watching'), 60_000);
      // Act
      const folder = join(root, 'doppel-seed', 'datasets', 'penguins');
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'penguins.csv'), vegaCsv('penguins.json'));
      // Assess
      await waitFor(() => /penguins: published/.test(stdout), 60_000);
      const published = await readdir(join(root, 'doppel-curated', 'penguins'));
      expect(published).toHaveLength(1);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

const waitFor = async (condition: () => boolean, timeoutMs: number): Promise<void> => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
