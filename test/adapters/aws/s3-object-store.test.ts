import { Readable } from 'node:stream';
import {
  AccessDenied,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../adapters/aws/s3-object-store.ts';
import { NotFoundError, PermanentError, SeedChangedError, TransientError } from '../../../src/errors.ts';

const s3Mock = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
const store = new S3ObjectStore(client);
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** A GetObject Body as the SDK hands it over in Node: a Readable with the SDK's stream mixin. */
const streamBody = (source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>) =>
  sdkStreamMixin(Readable.from(source, { objectMode: false, highWaterMark: 1 }));

const s3Error = (name: string, status: number): S3ServiceException =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${name} happened`,
  });

beforeEach(() => s3Mock.reset());
afterEach(() => s3Mock.reset());

describe('S3ObjectStore.get', () => {
  it('returns the whole object', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand, { Bucket: 'work', Key: 'runs/r/model.json' }).resolves({
      Body: streamBody([bytes('{"a":'), bytes('1}')]),
    });

    // Act
    const data = await store.get('work', 'runs/r/model.json');

    // Assess
    expect(text(data)).toBe('{"a":1}');
  });

  it('throws NotFoundError naming the object when the key does not exist', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'gone' }));

    // Act
    const result = store.get('work', 'runs/r/missing.json');

    // Assess
    await expect(result).rejects.toThrow(NotFoundError);
    await expect(result).rejects.toThrow('s3://work/runs/r/missing.json');
  });

  it.each([
    ['SlowDown', 503, TransientError],
    ['InternalError', 500, TransientError],
    ['AccessDenied', 403, PermanentError],
  ])('maps %s (%i) to %o', async (name, status, expected) => {
    // Prepare
    s3Mock.on(GetObjectCommand).rejects(s3Error(name, status));

    // Act
    const result = store.get('work', 'k');

    // Assess
    await expect(result).rejects.toThrow(expected);
    await expect(result).rejects.toThrow(name);
  });

  it('maps the modeled AccessDenied exception to PermanentError and no AWS type escapes', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .rejects(new AccessDenied({ $metadata: { httpStatusCode: 403 }, message: 'no' }));

    // Act
    const error = await store.get('work', 'k').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).not.toBeInstanceOf(S3ServiceException);
  });
});

describe('S3ObjectStore.getStream', () => {
  it('yields the object chunk by chunk', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .resolves({ Body: streamBody([bytes('a,b\n'), bytes('1,2\n'), bytes('3,4\n')]) });

    // Act
    const chunks: string[] = [];
    for await (const chunk of await store.getStream('seed', 'datasets/d/seed.csv')) chunks.push(text(chunk));

    // Assess
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe('a,b\n1,2\n3,4\n');
  });

  it('reads lazily: the first chunk arrives before the object has been produced whole', async () => {
    // Prepare: the source only goes past its first chunk once the test lets it.
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let producedWhole = false;
    async function* source() {
      yield bytes('first');
      await gate;
      yield bytes('second');
      producedWhole = true;
    }
    s3Mock.on(GetObjectCommand).resolves({ Body: streamBody(source()) });

    // Act
    const iterator = (await store.getStream('seed', 'big.csv'))[Symbol.asyncIterator]();
    const first = await iterator.next();
    const wholeBeforeRelease = producedWhole;
    release();
    const rest: string[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(text(r.value));

    // Assess
    expect(text(first.value as Uint8Array)).toBe('first');
    expect(wholeBeforeRelease).toBe(false);
    expect(rest.join('')).toBe('second');
  });

  it('fails with NotFoundError at the call, before any read, when the key does not exist', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'gone' }));

    // Act
    const result = store.getStream('seed', 'nope.csv');

    // Assess
    await expect(result).rejects.toThrow(NotFoundError);
  });

  it('turns a connection dropped mid-read into a TransientError', async () => {
    // Prepare
    async function* source() {
      yield bytes('part');
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    s3Mock.on(GetObjectCommand).resolves({ Body: streamBody(source()) });

    // Act
    const read = async () => {
      for await (const _ of await store.getStream('seed', 'x.csv')) {
        // drain
      }
    };

    // Assess
    await expect(read()).rejects.toThrow(TransientError);
  });
});

describe('S3ObjectStore.put and putStream', () => {
  it('puts the body with its content type', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    await store.put('work', 'runs/r/run.json', '{"ok":true}', { contentType: 'application/json' });

    // Assess
    const input = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Bucket: 'work', Key: 'runs/r/run.json', ContentType: 'application/json' });
    expect(input?.Body).toBe('{"ok":true}');
    expect(input?.ServerSideEncryption).toBeUndefined();
  });

  it('uploads a small stream in one PutObject', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});
    async function* body() {
      yield bytes('a,b\n');
      yield bytes('1,2\n');
    }

    // Act
    await store.putStream('curated', 'd/data.csv', body(), { contentType: 'text/csv' });

    // Assess
    const calls = s3Mock.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({
      Bucket: 'curated',
      Key: 'd/data.csv',
      ContentType: 'text/csv',
    });
    expect(text(calls[0]?.args[0].input.Body as Uint8Array)).toBe('a,b\n1,2\n');
  });

  it('uploads a large stream in parts that add up to the body', async () => {
    // Prepare: 9 MiB, more than one part.
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u-1' });
    s3Mock
      .on(UploadPartCommand)
      .callsFake((input: { PartNumber: number }) => ({ ETag: `"e${input.PartNumber}"` }));
    s3Mock.on(CompleteMultipartUploadCommand).resolves({});
    const mib = new Uint8Array(1024 * 1024).fill(7);
    async function* body() {
      for (let i = 0; i < 9; i++) yield mib;
    }

    // Act
    await store.putStream('curated', 'd/big.csv', body());

    // Assess
    const parts = s3Mock.commandCalls(UploadPartCommand).map((c) => c.args[0].input);
    expect(parts.length).toBeGreaterThan(1);
    const total = parts.reduce((sum, p) => sum + (p.Body as Uint8Array).byteLength, 0);
    expect(total).toBe(9 * 1024 * 1024);
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'curated',
      Key: 'd/big.csv',
      UploadId: 'u-1',
    });
  });

  it('maps a failed upload to a core error', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(s3Error('SlowDown', 503));
    async function* body() {
      yield bytes('x');
    }

    // Act
    const result = store.putStream('curated', 'd/x.csv', body());

    // Assess
    await expect(result).rejects.toThrow(TransientError);
  });
});

describe('S3ObjectStore.putIfAbsent', () => {
  it('claims a free key and answers false, without throwing, once it is taken', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolvesOnce({}).rejectsOnce(s3Error('PreconditionFailed', 412));

    // Act
    const first = await store.putIfAbsent('work', 'runs/r/gate.lock', 'claimed');
    const second = await store.putIfAbsent('work', 'runs/r/gate.lock', 'claimed');

    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    for (const call of s3Mock.commandCalls(PutObjectCommand)) {
      expect(call.args[0].input).toMatchObject({ Bucket: 'work', Key: 'runs/r/gate.lock', IfNoneMatch: '*' });
    }
  });

  it('reports a concurrent conditional write (409) as transient', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));

    // Act
    const result = store.putIfAbsent('work', 'runs/r/gate.lock', 'claimed');

    // Assess
    await expect(result).rejects.toThrow(TransientError);
  });
});

describe('S3ObjectStore.head', () => {
  it('returns size, unquoted ETag and version', async () => {
    // Prepare
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 42, ETag: '"abc123"', VersionId: 'v1' });

    // Act
    const info = await store.head('seed', 'datasets/d/seed.csv');

    // Assess
    expect(info).toEqual({ key: 'datasets/d/seed.csv', size: 42, etag: 'abc123', versionId: 'v1' });
  });

  it('returns undefined when there is no object', async () => {
    // Prepare
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ $metadata: { httpStatusCode: 404 }, message: '' }));

    // Act
    const info = await store.head('seed', 'nope');

    // Assess
    expect(info).toBeUndefined();
  });

  it('still throws when access is denied', async () => {
    // Prepare
    s3Mock.on(HeadObjectCommand).rejects(s3Error('Forbidden', 403));

    // Act
    const result = store.head('seed', 'secret');

    // Assess
    await expect(result).rejects.toThrow(PermanentError);
  });
});

describe('S3ObjectStore.list', () => {
  it('concatenates every page, in key order', async () => {
    // Prepare
    s3Mock
      .on(ListObjectsV2Command, { Bucket: 'work', Prefix: 'runs/r/shards/' })
      .resolvesOnce({
        IsTruncated: true,
        NextContinuationToken: 't1',
        Contents: [
          { Key: 'runs/r/shards/000.csv', Size: 10, ETag: '"e0"' },
          { Key: 'runs/r/shards/001.csv', Size: 11, ETag: '"e1"' },
        ],
      })
      .resolvesOnce({
        IsTruncated: false,
        Contents: [{ Key: 'runs/r/shards/002.csv', Size: 12, ETag: '"e2"' }],
      });

    // Act
    const objects = await store.list('work', 'runs/r/shards/');

    // Assess
    expect(objects).toEqual([
      { key: 'runs/r/shards/000.csv', size: 10, etag: 'e0' },
      { key: 'runs/r/shards/001.csv', size: 11, etag: 'e1' },
      { key: 'runs/r/shards/002.csv', size: 12, etag: 'e2' },
    ]);
    const tokens = s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.ContinuationToken);
    expect(tokens).toEqual([undefined, 't1']);
  });

  it('returns an empty list for an empty prefix', async () => {
    // Prepare
    s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: false });

    // Act
    const objects = await store.list('work', 'runs/none/');

    // Assess
    expect(objects).toEqual([]);
  });
});

describe('S3ObjectStore, reading one version of a seed', () => {
  it('asks for the version id where the event named one, else for the entity tag as If-Match', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).resolves({ Body: streamBody([bytes('a,b\n')]) });

    // Act
    for await (const _ of await store.getStream('seed', 'datasets/x/a.csv', { etag: 'e1', versionId: 'v7' }));
    for await (const _ of await store.getStream('seed', 'datasets/x/a.csv', { etag: 'e1' }));

    // Assess
    const inputs = s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { Bucket: 'seed', Key: 'datasets/x/a.csv', VersionId: 'v7' },
      { Bucket: 'seed', Key: 'datasets/x/a.csv', IfMatch: '"e1"' },
    ]);
  });

  it('fails with SeedChangedError, not a retry, when the object changed (412), naming it', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).rejects(s3Error('PreconditionFailed', 412));

    // Act
    const read = store.getStream('seed', 'datasets/x/a.csv', { etag: 'e1' });

    // Assess
    await expect(read).rejects.toBeInstanceOf(SeedChangedError);
    await expect(store.getStream('seed', 'datasets/x/a.csv', { etag: 'e1' })).rejects.toThrow(
      /s3:\/\/seed\/datasets\/x\/a\.csv changed while this run read it/,
    );
  });

  it('says a deleted version is not found', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).rejects(s3Error('NoSuchVersion', 404));

    // Act / Assess
    await expect(store.getStream('seed', 'a.csv', { etag: 'e1', versionId: 'v7' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('locates one version: its id signed into the URL, else its entity tag to send as If-Match', async () => {
    // Act
    const byId = (await store.locate('seed', 'datasets/x/a.csv', { etag: 'e1', versionId: 'v7' })) as {
      url: string;
      ifMatch?: string;
    };
    const byTag = (await store.locate('seed', 'datasets/x/a.csv', { etag: 'e1' })) as {
      url: string;
      ifMatch?: string;
    };

    // Assess
    expect(new URL(byId.url).searchParams.get('versionId')).toBe('v7');
    expect(byId.ifMatch).toBeUndefined();
    expect(new URL(byTag.url).searchParams.get('versionId')).toBeNull();
    expect(byTag.ifMatch).toBe('"e1"');
  });
});

describe('S3ObjectStore.locate', () => {
  it('answers a presigned GET of the object, valid an hour, that worker threads can read by ranges', async () => {
    // Act
    const location = await store.locate('doppel-seed', 'datasets/flights/flights 3m.csv');

    // Assess: signed for this bucket and key, no request sent
    expect('url' in location).toBe(true);
    const url = new URL((location as { url: string }).url);
    expect(url.protocol).toBe('https:');
    expect(url.hostname).toContain('doppel-seed');
    expect(decodeURIComponent(url.pathname)).toBe('/datasets/flights/flights 3m.csv');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(s3Mock.calls()).toHaveLength(0);
  });
});
