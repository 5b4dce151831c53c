import { UploadPartCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.ts';
import { fakeAws } from './fake-aws.ts';

const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** The fake is only worth its tests if it answers like S3 through the real adapter. */
describe('fakeAws S3 through S3ObjectStore', () => {
  it('round-trips a multipart upload made by lib-storage', async () => {
    // Prepare
    const aws = fakeAws();
    const part = new Uint8Array(6 * 1024 * 1024).fill(97);
    async function* body() {
      yield part;
      yield part;
      yield new TextEncoder().encode('end');
    }

    // Act
    await aws.deps.store.putStream('doppel-work', 'big.csv', body(), { contentType: 'text/csv' });

    // Assess
    const stored = aws.bytes('doppel-work', 'big.csv');
    expect(stored?.byteLength).toBe(2 * part.byteLength + 3);
    expect(stored?.subarray(-4).toString()).toBe('aend');
    expect(aws.s3Mock.commandCalls(UploadPartCommand)).toHaveLength(2);
  });

  it('refuses a second conditional write and keeps the first body', async () => {
    // Prepare
    const aws = fakeAws();
    await aws.deps.store.putIfAbsent('doppel-work', 'claim', 'first');

    // Act
    const second = await aws.deps.store.putIfAbsent('doppel-work', 'claim', 'second');

    // Assess
    expect(second).toBe(false);
    expect(aws.text('doppel-work', 'claim')).toBe('first');
  });

  it('answers a missing object as S3 does: NotFoundError on get, undefined on head', async () => {
    // Prepare
    const aws = fakeAws();

    // Act
    const get = aws.deps.store.get('doppel-work', 'nope.json');
    const head = await aws.deps.store.head('doppel-work', 'nope.json');

    // Assess
    await expect(get).rejects.toThrow(NotFoundError);
    expect(head).toBeUndefined();
  });

  it('lists one bucket under a prefix in key order, across pages', async () => {
    // Prepare
    const aws = fakeAws();
    for (let i = 1200; i > 0; i--)
      aws.put('doppel-work', `runs/r/shards/part-${String(i).padStart(5, '0')}.csv`, 'x');
    aws.put('doppel-work', 'runs/s/run.json', '{}');
    aws.put('doppel-curated', 'runs/r/shards/elsewhere.csv', 'x');

    // Act
    const listed = await aws.deps.store.list('doppel-work', 'runs/r/');

    // Assess
    expect(listed).toHaveLength(1200);
    expect(listed[0]?.key).toBe('runs/r/shards/part-00001.csv');
    expect(listed[1199]?.key).toBe('runs/r/shards/part-01200.csv');
    expect(text(await aws.deps.store.get('doppel-work', listed[0]!.key))).toBe('x');
  });
});
