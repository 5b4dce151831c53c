/**
 * `doppel run` end to end, in a child process, through the local runtime (folder buckets, the
 * in-process queue, the generator on loopback): what a user sees.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../adapters/local/generator-server.ts';
import { parseCsv } from '../../src/formats/csv.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { type Table, toCsv } from '../../src/table.ts';
import { doppel } from '../helpers/cli.ts';
import { vegaCsv } from '../helpers/vega.ts';

const PII_COLUMNS = ['full_name', 'email', 'phone', 'ssn', 'street_address'];

const readOutput = async (dir: string): Promise<Table> => {
  const files = (await readdir(join(dir, 'data'))).sort();
  const tables = await Promise.all(
    files.map(async (f) => parseCsv(await readFile(join(dir, 'data', f), 'utf8'))),
  );
  return { columns: tables[0]?.columns ?? [], rows: tables.flatMap((t) => t.rows) };
};

const allText = async (dir: string): Promise<string> => {
  const parts: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else parts.push(await readFile(path, 'utf8'));
    }
  };
  await walk(dir);
  return parts.join('\n');
};

const column = (table: Table, name: string) => {
  const i = table.columns.indexOf(name);
  return table.rows.map((r) => r[i] ?? null);
};

const nullRate = (values: (string | null)[]) => values.filter((v) => v === null).length / values.length;

describe('doppel run', () => {
  let dir: string;
  let customers: string;
  let customersCsv: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doppel-cli-'));
    customersCsv = toCsv(sampleCustomers(800, 7));
    customers = join(dir, 'customers.csv');
    await writeFile(customers, customersCsv);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('publishes the sample: data, report.json, report.html, manifest.json, and no seed PII anywhere', async () => {
    // Act
    const out = join(dir, 'out-a');
    const result = await doppel(['run', customers, '--seed', '11', '--out', out]);
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('published');
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['data', 'manifest.json', 'report.html', 'report.json']);
    const synthetic = await readOutput(out);
    expect(synthetic.rows).toHaveLength(800);
    const seed = parseCsv(customersCsv);
    const everything = await allText(out);
    for (const name of PII_COLUMNS) {
      const leaked = column(seed, name).filter((v): v is string => v !== null && everything.includes(v));
      expect(leaked, `${name} values of the seed found in the output`).toEqual([]);
    }
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    const part = manifest.files.find((f: { key: string }) => f.key === 'data/part-00000.csv');
    const bytes = await readFile(join(out, 'data', 'part-00000.csv'));
    expect(part.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('published');
    expect(report.policy.name).toBe('standard');
  });

  it('gives byte-identical output for the same --seed, different output for another', async () => {
    const a = join(dir, 'same-1');
    const b = join(dir, 'same-2');
    const c = join(dir, 'other');
    const results = [
      await doppel(['run', customers, '--seed', '5', '--rows', '300', '--out', a]),
      await doppel(['run', customers, '--seed', '5', '--rows', '300', '--out', b]),
      await doppel(['run', customers, '--seed', '6', '--rows', '300', '--out', c]),
    ];
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const [dataA, dataB, dataC] = await Promise.all(
      [a, b, c].map((d) => readFile(join(d, 'data', 'part-00000.csv'), 'utf8')),
    );
    expect(dataA).toBe(dataB);
    expect(dataA).not.toBe(dataC);
    expect(await readFile(join(a, 'report.json'), 'utf8')).toBe(
      await readFile(join(b, 'report.json'), 'utf8'),
    );
    expect((await readOutput(a)).rows).toHaveLength(300);
  });

  it('makes a twin of the real penguins table: same columns and types, null rates within 3 points, no new category', async () => {
    // Prepare
    const penguins = join(dir, 'penguins.csv');
    await writeFile(penguins, vegaCsv('penguins.json'));
    const out = join(dir, 'penguins-out');
    // Act
    const result = await doppel(['run', penguins, '--seed', '3', '--out', out]);
    const profiles = await Promise.all(
      [penguins, join(out, 'data', 'part-00000.csv')].map((f) => doppel(['profile', f])),
    );
    // Assess
    expect(result.code, result.stderr).toBe(0);
    const seed = parseCsv(await readFile(penguins, 'utf8'));
    const synthetic = await readOutput(out);
    expect(synthetic.columns).toEqual(seed.columns);
    expect(synthetic.rows).toHaveLength(seed.rows.length);
    const [seedProfile, synthProfile] = profiles.map((p) => JSON.parse(p.stdout));
    const kinds = (p: { columns: { name: string; kind: string }[] }) =>
      p.columns.map((c) => [c.name, c.kind]);
    expect(kinds(synthProfile)).toEqual(kinds(seedProfile));
    for (const name of seed.columns) {
      expect(
        Math.abs(nullRate(column(synthetic, name)) - nullRate(column(seed, name))),
        name,
      ).toBeLessThanOrEqual(0.03);
    }
    for (const name of ['Species', 'Island', 'Sex']) {
      const known = new Set(column(seed, name));
      expect(
        column(synthetic, name).filter((v) => !known.has(v)),
        name,
      ).toEqual([]);
    }
  });

  it('--where returns exactly the rows asked for, all meeting the condition; an impossible one is exit 2', async () => {
    const out = join(dir, 'where-out');
    const result = await doppel(['run', customers, '--rows', '250', '--where', 'tier=gold', '--out', out]);
    const impossible = await doppel([
      'run',
      customers,
      '--where',
      'tier=diamond',
      '--out',
      join(dir, 'nope'),
    ]);
    expect(result.code, result.stderr).toBe(0);
    const synthetic = await readOutput(out);
    expect(synthetic.rows).toHaveLength(250);
    expect(new Set(column(synthetic, 'tier'))).toEqual(new Set(['gold']));
    expect(impossible.code).toBe(2);
    expect(impossible.stderr.trim().split('\n').at(-1)).toMatch(/tier=diamond cannot be met/);
  });

  it('quarantines a run whose generator copies seed rows: exit 3, the report says why, no data', async () => {
    // Prepare: a "generator" that answers the seed's own rows (what a memorizing model would do).
    const seed = parseCsv(customersCsv);
    const leaky: Server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const { model, rows } = JSON.parse(Buffer.concat(chunks).toString());
      const names: string[] = model.columns.map((c: { name: string }) => c.name);
      const idx = names.map((n) => seed.columns.indexOf(n));
      const copied = seed.rows.slice(0, rows).map((r) => idx.map((i) => r[i] ?? null));
      response.writeHead(200, { 'content-type': 'text/csv' });
      response.end(toCsv({ columns: names, rows: copied }));
    });
    const url = await listen(leaky, 0);
    const out = join(dir, 'leaky-out');
    try {
      // Act
      const result = await doppel(['run', customers, '--rows', '400', '--out', out, '--generator-url', url]);
      // Assess
      expect(result.code, result.stderr).toBe(3);
      expect(result.stdout).toContain('QUARANTINED');
      expect((await readdir(out)).sort()).toEqual(['manifest.json', 'report.html', 'report.json']);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      expect(report.verdict).toBe('quarantined');
      const failed = report.privacy.checks
        .filter((c: { verdict: string }) => c.verdict === 'fail')
        .map((c: { id: string }) => c.id);
      expect(failed).toContain('exact-copies');
    } finally {
      leaky.close();
    }
  });
});

describe('npx doppel', () => {
  it("resolves to this package's CLI (the bin in package.json)", async () => {
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile('npx', ['--no-install', 'doppel', '--help'], { timeout: 60_000 }, (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : 1, stderr }),
      );
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('doppel run <seed-file>');
  });
});

describe('doppel run on bad input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doppel-bad-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const cases: [string, string | Buffer, RegExp][] = [
    ['empty.csv', '', /empty/i],
    ['header-only.csv', 'a,b,c\n', /header but no data rows/i],
    ['binary.csv', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)), /binary/i],
    ['ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n', /has 2 fields/i],
  ];

  it.each(cases)(
    '%s: exit 2, a one-line reason naming the file, nothing published, seed untouched',
    async (name, content, reason) => {
      // Prepare
      const file = join(dir, name);
      await writeFile(file, content);
      const before = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
      const out = join(dir, `out-${name}`);
      // Act
      const result = await doppel(['run', file, '--out', out]);
      // Assess
      expect(result.code).toBe(2);
      const line = result.stderr.trim().split('\n').at(-1) ?? '';
      expect(line).toMatch(reason);
      expect(line).toContain(name);
      await expect(readdir(join(out, 'data'))).rejects.toThrow();
      expect(
        createHash('sha256')
          .update(await readFile(file))
          .digest('hex'),
      ).toBe(before);
    },
  );

  it('a missing file or a bad flag: exit 2 with the reason', async () => {
    const missing = await doppel(['run', join(dir, 'nope.csv')]);
    const badRows = await doppel(['run', join(dir, 'nope.csv'), '--rows', 'many']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.csv: no such file/);
    expect(badRows.code).toBe(2);
    const seed = join(dir, 'seed.csv');
    await writeFile(seed, toCsv(sampleCustomers(50, 1)));
    const badPolicy = await doppel(['run', seed, '--policy', 'lenient']);
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toMatch(/--policy must be standard or strict, not lenient/);
  });
});

describe('doppel profile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doppel-profile-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('shows its headway on stderr for a large file, and nothing but the profile for a small one', async () => {
    // Prepare: flights-200k's rows five times over (about 22 MB: two chunks), and penguins (15 kB).
    const [header, ...rows] = vegaCsv('flights-200k.json').trimEnd().split('\n');
    const large = join(dir, 'flights.csv');
    await writeFile(large, `${[header, ...rows, ...rows, ...rows, ...rows, ...rows].join('\n')}\n`);
    const small = join(dir, 'penguins.csv');
    await writeFile(small, vegaCsv('penguins.json'));

    // Act
    const big = await doppel(['profile', large]);
    const little = await doppel(['profile', small]);

    // Assess
    expect(big.code, big.stderr).toBe(0);
    expect(JSON.parse(big.stdout).rows).toBe(5 * rows.length);
    const lines = big.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => /^profiling flights\.csv: \d+0% \(\d+ of 2[0-9] MB, [\d.]+ s\)$/.test(l))).toBe(
      true,
    );
    expect(lines.at(-1)).toMatch(/: 100% \((\d+) of \1 MB/);
    expect(little.code).toBe(0);
    expect(little.stderr).toBe('');
    expect(JSON.parse(little.stdout).rows).toBe(344);
  });
});
