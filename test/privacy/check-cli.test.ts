import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../../src/table.ts';
import { doppel } from '../helpers/cli.ts';
import { honest, perturbed, splitOf } from './generators.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doppel-check-'));
  const split = await splitOf('seattle-weather.csv', 3);
  await writeFile(join(dir, 'train.csv'), toCsv(split.train));
  await writeFile(join(dir, 'holdout.csv'), toCsv(split.holdout));
  const synthetic = honest(split, 3000, 3);
  await writeFile(join(dir, 'honest.csv'), toCsv(synthetic));
  await writeFile(join(dir, 'leaky.csv'), toCsv(perturbed(split, split.train, 3000, 0.1, 3)));
  const wind = synthetic.columns.indexOf('wind');
  const narrow = {
    columns: synthetic.columns.filter((_, j) => j !== wind),
    rows: synthetic.rows.map((row) => row.filter((_, j) => j !== wind)),
  };
  await writeFile(join(dir, 'narrow.csv'), toCsv(narrow));
});

const check = (synthetic: string, extra: string[] = []) =>
  doppel([
    'check',
    '--train',
    join(dir, 'train.csv'),
    '--holdout',
    join(dir, 'holdout.csv'),
    '--synthetic',
    join(dir, synthetic),
    ...extra,
  ]);

describe('doppel check', () => {
  it('exits 0 and prints a passing report.json for honest output, writing report.html when asked', async () => {
    // Act
    const { code, stdout } = await check('honest.csv', ['--html', join(dir, 'out', 'report.html')]);

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.verdict).toBe('published');
    expect(report.privacy.checks.map((c: { id: string }) => c.id)).toEqual(
      expect.arrayContaining(['exact-copies', 'dcr-share', 'nndr', 'membership-inference', 'closeness']),
    );
    expect(report.fidelity.overall).toBeGreaterThan(0.5);
    expect(await readFile(join(dir, 'out', 'report.html'), 'utf8')).toContain('Privacy checks');
  });

  it('exits 3 when the output is train rows with noise', async () => {
    // Act
    const { code, stdout } = await check('leaky.csv', ['--policy', 'strict']);

    // Assess
    expect(code).toBe(3);
    expect(JSON.parse(stdout).privacy.verdict).toBe('fail');
  });

  it('exits 2 naming the file when one is missing, and naming the column when one lacks it', async () => {
    // Act
    const missing = await check('nope.csv');
    const narrow = await check('narrow.csv');

    // Assess
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.csv');
    expect(narrow.code).toBe(2);
    expect(narrow.stderr).toMatch(/narrow\.csv has no column 'wind'/);
  });
});
