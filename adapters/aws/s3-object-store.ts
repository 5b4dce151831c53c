/**
 * ObjectStore on Amazon S3. Encryption is left to the bucket defaults (the stack sets them), so no
 * call here names a key or an algorithm. Every failure leaves through `toDoppelError`.
 */
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NotFoundError, SeedChangedError } from '../../src/errors.ts';
import type { SeedLocation } from '../../src/formats/byte-source.ts';
import type { ObjectInfo, ObjectStore, ObjectVersion, PutOptions } from '../../src/ports.ts';
import { awsErrorName, httpStatusOf, toDoppelError } from './errors.ts';

/** Multipart part size: S3's minimum is 5 MiB; a little above keeps part counts low for big shards. */
const PART_SIZE = 8 * 1024 * 1024;
/** Parts in flight at once: memory held by putStream is about QUEUE_SIZE × PART_SIZE. */
const QUEUE_SIZE = 2;

/** How long a presigned location stays valid: longer than any Lambda runs. */
const LOCATION_SECONDS = 3600;

const where = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

const stripQuotes = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

/** A GetObject of one version: by its id (the seed bucket keeps versions), else If-Match its entity tag. */
const pinned = (version: ObjectVersion | undefined): { VersionId?: string; IfMatch?: string } =>
  version === undefined
    ? {}
    : version.versionId !== undefined
      ? { VersionId: version.versionId }
      : { IfMatch: `"${version.etag}"` };

/** A read of one version that failed: the object changed (412), or that version is gone. */
const versionError = (error: unknown, bucket: string, key: string, version: ObjectVersion | undefined) => {
  if (version === undefined) return undefined;
  const name = awsErrorName(error);
  if (name === 'PreconditionFailed' || httpStatusOf(error) === 412)
    return new SeedChangedError(
      `${where(bucket, key)} changed while this run read it: its entity tag is no longer ${version.etag} (a new upload makes a run of its own)`,
    );
  if (name === 'NoSuchVersion')
    return new NotFoundError(`${where(bucket, key)} has no version ${version.versionId} any more`);
  return undefined;
};

/** What a GetObject Body offers at run time: a Node Readable (async iterable) with the SDK mixin. */
interface StreamingBody {
  transformToByteArray?: () => Promise<Uint8Array>;
  transformToWebStream?: () => ReadableStream<Uint8Array>;
  [Symbol.asyncIterator]?: () => AsyncIterator<Uint8Array>;
}

const chunksOf = (body: StreamingBody): AsyncIterable<Uint8Array> => {
  if (typeof body[Symbol.asyncIterator] === 'function') return body as AsyncIterable<Uint8Array>;
  if (typeof body.transformToWebStream === 'function') {
    // Node 20's web ReadableStream is async iterable; the DOM lib typing does not say so.
    return body.transformToWebStream() as unknown as AsyncIterable<Uint8Array>;
  }
  throw new TypeError('S3 GetObject Body is neither a stream nor async iterable');
};

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client) {}

  async get(bucket: string, key: string): Promise<Uint8Array> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return response.Body === undefined ? new Uint8Array() : await response.Body.transformToByteArray();
    } catch (error) {
      throw toDoppelError(error, `S3 GetObject ${where(bucket, key)}`);
    }
  }

  async getStream(bucket: string, key: string, version?: ObjectVersion): Promise<AsyncIterable<Uint8Array>> {
    const what = `S3 GetObject ${where(bucket, key)}`;
    let body: StreamingBody | undefined;
    try {
      // Sent now, so a missing object fails here rather than at the first read.
      const command = new GetObjectCommand({ Bucket: bucket, Key: key, ...pinned(version) });
      body = (await this.client.send(command)).Body as StreamingBody | undefined;
    } catch (error) {
      throw versionError(error, bucket, key, version) ?? toDoppelError(error, what);
    }
    if (body === undefined) return (async function* () {})();
    const chunks = chunksOf(body);
    // Chunks are pulled one at a time as the caller reads; a connection dropped mid-read is transient.
    return (async function* () {
      try {
        yield* chunks;
      } catch (error) {
        throw toDoppelError(error, `${what} (reading)`);
      }
    })();
  }

  /**
   * A presigned GET (SigV4, an hour): worker threads read byte ranges of it over HTTPS, no SDK
   * needed. Of one version: its id signed into the URL, else its entity tag sent as If-Match.
   */
  async locate(bucket: string, key: string, version?: ObjectVersion): Promise<SeedLocation> {
    try {
      const versionId = version?.versionId;
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(versionId === undefined ? {} : { VersionId: versionId }),
      });
      const url = await getSignedUrl(this.client, command, { expiresIn: LOCATION_SECONDS });
      return version === undefined || versionId !== undefined
        ? { url }
        : { url, ifMatch: `"${version.etag}"` };
    } catch (error) {
      throw toDoppelError(error, `S3 presign GetObject ${where(bucket, key)}`);
    }
  }

  async put(bucket: string, key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: options.contentType }),
      );
    } catch (error) {
      throw toDoppelError(error, `S3 PutObject ${where(bucket, key)}`);
    }
  }

  async putStream(
    bucket: string,
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: PutOptions = {},
  ): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: bucket, Key: key, Body: Readable.from(body), ContentType: options.contentType },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      // Abort the multipart upload on failure so no orphaned parts are billed.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw toDoppelError(error, `S3 upload ${where(bucket, key)}`);
    }
  }

  async putIfAbsent(
    bucket: string,
    key: string,
    body: Uint8Array | string,
    options: PutOptions = {},
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (error) {
      // 412: an object is already there, the claim belongs to someone else. (409, a concurrent
      // conditional write still in flight, is transient and mapped as such by toDoppelError.)
      if (awsErrorName(error) === 'PreconditionFailed' || httpStatusOf(error) === 412) return false;
      throw toDoppelError(error, `S3 conditional PutObject ${where(bucket, key)}`);
    }
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        size: response.ContentLength ?? 0,
        etag: stripQuotes(response.ETag),
        ...(response.VersionId === undefined ? {} : { versionId: response.VersionId }),
      };
    } catch (error) {
      const name = awsErrorName(error);
      if (name === 'NotFound' || name === 'NoSuchKey' || httpStatusOf(error) === 404) return undefined;
      throw toDoppelError(error, `S3 HeadObject ${where(bucket, key)}`);
    }
  }

  async list(bucket: string, prefix: string): Promise<ObjectInfo[]> {
    const objects: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          objects.push({ key: item.Key, size: item.Size ?? 0, etag: stripQuotes(item.ETag) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw toDoppelError(error, `S3 ListObjectsV2 ${where(bucket, prefix)}`);
    }
    // S3 already lists in key order; sorting keeps the port's promise whatever the pages did.
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
