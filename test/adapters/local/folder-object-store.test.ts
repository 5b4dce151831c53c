import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderObjectStore } from '../../../adapters/local/folder-object-store.ts';
import { NotFoundError, PermanentError, SeedChangedError } from '../../../src/errors.ts';
import { openLocation } from '../../../src/formats/byte-source.ts';

describe('FolderObjectStore', () => {
  let root: string;
  let store: FolderObjectStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'doppel-store-'));
    store = new FolderObjectStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('round-trips objects, whole and streamed, and reports md5 etags like S3', async () => {
    // Prepare
    await store.put('b', 'a/b/c.txt', 'hello');
    // Act
    const whole = new TextDecoder().decode(await store.get('b', 'a/b/c.txt'));
    const chunks: Uint8Array[] = [];
    for await (const chunk of await store.getStream('b', 'a/b/c.txt')) chunks.push(chunk);
    const info = await store.head('b', 'a/b/c.txt');
    // Assess
    expect(whole).toBe('hello');
    expect(Buffer.concat(chunks).toString()).toBe('hello');
    expect(info).toEqual({ key: 'a/b/c.txt', size: 5, etag: '5d41402abc4b2a76b9719d911017c592' });
  });

  it('reads one version of an object, and refuses once the object was replaced, naming it', async () => {
    // Prepare: the version an upload event names, then the same key uploaded again
    await store.put('b', 'datasets/x/seed.csv', 'a,b\n1,2\n');
    const version = { etag: (await store.head('b', 'datasets/x/seed.csv'))!.etag };
    const location = await store.locate('b', 'datasets/x/seed.csv', version);
    const before: Uint8Array[] = [];
    for await (const chunk of await store.getStream('b', 'datasets/x/seed.csv', version)) before.push(chunk);

    // Act
    await store.put('b', 'datasets/x/seed.csv', 'a,b\n3,4\n');
    const read = store.getStream('b', 'datasets/x/seed.csv', version).catch((error: unknown) => error);

    // Assess: the pinned read before the upload had the first content; after it, both refuse
    expect(Buffer.concat(before).toString()).toBe('a,b\n1,2\n');
    expect(await read).toBeInstanceOf(SeedChangedError);
    await expect(store.getStream('b', 'datasets/x/seed.csv', version)).rejects.toThrow(
      /b\/datasets\/x\/seed\.csv changed while this run read it/,
    );
    await expect(openLocation(location)).rejects.toBeInstanceOf(SeedChangedError);
    // The new content is its own version
    const now = { etag: (await store.head('b', 'datasets/x/seed.csv'))!.etag };
    expect(now.etag).not.toBe(version.etag);
    await expect(openLocation(await store.locate('b', 'datasets/x/seed.csv', now))).resolves.toBeDefined();
  });

  it('locates an object as its file, which another thread can read by itself', async () => {
    // Prepare
    await store.put('b', 'datasets/x/seed.csv', 'a,b\n1,2\n');
    // Act
    const location = await store.locate('b', 'datasets/x/seed.csv');
    // Assess
    expect(location).toEqual({ path: join(root, 'b', 'datasets', 'x', 'seed.csv') });
    expect(await readFile((location as { path: string }).path, 'utf8')).toBe('a,b\n1,2\n');
  });

  it('claims a key once: the second conditional write loses and leaves the first body', async () => {
    const first = await store.putIfAbsent('b', 'claim', 'one');
    const second = await store.putIfAbsent('b', 'claim', 'two');
    expect([first, second]).toEqual([true, false]);
    expect(new TextDecoder().decode(await store.get('b', 'claim'))).toBe('one');
    expect((await store.list('b', '')).map((i) => i.key)).toEqual(['claim']);
  });

  it('lets exactly one of many concurrent claimers win', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.putIfAbsent('b', 'race', String(i))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('lists by prefix in key order, across folders, and ignores half-written temp files', async () => {
    await store.put('b', 'runs/r2/x', '1');
    await store.put('b', 'runs/r1/y', '1');
    await store.put('b', 'other/z', '1');
    await mkdir(join(root, 'b', 'runs'), { recursive: true });
    await writeFile(join(root, 'b', 'runs', '.doppel-tmp-123'), 'partial');
    expect((await store.list('b', 'runs/')).map((i) => i.key)).toEqual(['runs/r1/y', 'runs/r2/x']);
    expect((await store.list('b', 'runs/r1')).map((i) => i.key)).toEqual(['runs/r1/y']);
    expect(await store.list('missing', '')).toEqual([]);
  });

  it('answers NotFoundError for missing objects and refuses keys that escape the bucket', async () => {
    await expect(store.get('b', 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.getStream('b', 'nope')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.head('b', 'nope')).toBeUndefined();
    await expect(store.put('b', '../../etc/passwd', 'x')).rejects.toBeInstanceOf(PermanentError);
  });

  it('notifies listeners of every created object, as S3 notifications do', async () => {
    const seen: string[] = [];
    store.onObjectCreated((bucket, info) => seen.push(`${bucket}/${info.key}`));
    await store.put('b', 'k1', 'x');
    await store.putStream(
      'b',
      'k2',
      (async function* () {
        yield new TextEncoder().encode('y');
      })(),
    );
    await store.putIfAbsent('b', 'k3', 'z');
    await store.putIfAbsent('b', 'k3', 'z');
    expect(seen).toEqual(['b/k1', 'b/k2', 'b/k3']);
  });
});
