/** The local generator over the SageMaker hosting contract, and the HTTP client the runtime uses. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderObjectStore } from '../../../adapters/local/folder-object-store.ts';
import { createGeneratorServer, listen } from '../../../adapters/local/generator-server.ts';
import { HttpGenerator } from '../../../adapters/local/http-generator.ts';
import { PermanentError, TransientError } from '../../../src/errors.ts';
import { parseCsv } from '../../../src/formats/csv.ts';
import { sampleCustomers } from '../../../src/sample/customers.ts';
import { fitModel } from '../../../src/synth/fit.ts';
import { customerProfile } from '../../helpers/customer-profile.ts';

const BIN = fileURLToPath(new URL('../../../bin/doppel.js', import.meta.url));
const seed = sampleCustomers(300, 3);
const model = fitModel(customerProfile(seed), seed, { seed: 1, rareCategoryMin: 5 });

describe('local generator (SageMaker hosting contract)', () => {
  let server: Server;
  let url: string;
  let root: string;
  let store: FolderObjectStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'doppel-gen-'));
    store = new FolderObjectStore(root);
    server = createGeneratorServer({ store });
    url = await listen(server, 0);
  });
  afterAll(async () => {
    server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers GET /ping with 200 when ready', async () => {
    const response = await fetch(`${url}/ping`);
    expect(response.status).toBe(200);
  });

  it('answers POST /invocations with the rows asked for, as CSV, the same bytes for the same request', async () => {
    // Prepare
    const generator = new HttpGenerator(url);
    // Act
    const first = await generator.generate({ model, rows: 250, seed: 9, shard: 2 });
    const again = await generator.generate({ model, rows: 250, seed: 9, shard: 2 });
    const other = await generator.generate({ model, rows: 250, seed: 9, shard: 3 });
    // Assess
    const table = parseCsv(first.body);
    expect(table.columns).toEqual(model.columns.map((c) => c.name));
    expect(table.rows).toHaveLength(250);
    expect(again.body).toBe(first.body);
    expect(other.body).not.toBe(first.body);
  });

  it('reads the model from a modelUri when the request names one instead of carrying it', async () => {
    await store.put('doppel-work', 'runs/r-1/model.json', JSON.stringify(model));
    const response = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelUri: 's3://doppel-work/runs/r-1/model.json', rows: 5, seed: 1, shard: 0 }),
    });
    expect(response.status).toBe(200);
    expect(parseCsv(await response.text()).rows).toHaveLength(5);
  });

  it('refuses a request that breaks the contract with 400 and the reason; the client calls that permanent', async () => {
    const response = await fetch(`${url}/invocations`, { method: 'POST', body: '{"rows": -1}' });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/rows/);
    const generator = new HttpGenerator(url);
    const bad = { model: { ...model, version: 2 }, rows: 1, seed: 1, shard: 0 } as unknown as Parameters<
      HttpGenerator['generate']
    >[0];
    await expect(generator.generate(bad)).rejects.toBeInstanceOf(Error);
  });

  it('maps an unreachable generator to a transient error and a 4xx answer to a permanent one', async () => {
    const down = new HttpGenerator('http://127.0.0.1:9');
    await expect(down.generate({ model, rows: 1, seed: 1, shard: 0 })).rejects.toBeInstanceOf(TransientError);
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    const wrongRoute = new HttpGenerator(`${url}/nope`);
    await expect(wrongRoute.generate({ model, rows: 1, seed: 1, shard: 0 })).rejects.toBeInstanceOf(
      PermanentError,
    );
  });
});

describe('doppel serve-generator', () => {
  it('serves /ping on the port asked for, and stops cleanly on SIGTERM', async () => {
    // Prepare
    const port = 18000 + Math.floor(Math.random() * 1000);
    const child = spawn(process.execPath, [BIN, 'serve-generator', '--port', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Act
    let status = 0;
    for (let i = 0; i < 150 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await fetch(`http://127.0.0.1:${port}/ping`).then(
        (r) => r.status,
        () => 0,
      );
    }
    child.kill('SIGTERM');
    // Assess
    expect(status).toBe(200);
    expect(await exited).toBe(0);
    expect(stderr).toContain(`listening on http://127.0.0.1:${port}`);
  });
});
