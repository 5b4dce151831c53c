/**
 * The ports the stages are written against. Adapters implement them for AWS (adapters/aws)
 * and for one machine (adapters/local). Nothing here knows which one it talks to.
 */
import type { GenerateRequest, ShardJob } from './contracts.ts';
import type { SeedLocation } from './formats/byte-source.ts';

export interface ObjectInfo {
  key: string;
  size: number;
  /** Entity tag as the store reports it, quotes stripped. */
  etag: string;
  versionId?: string;
}

/**
 * One version of an object, as an upload event names it. A read given one reads that version: by
 * its id where the store keeps versions (the seed bucket does), else only while the object still
 * has that entity tag (SeedChangedError once it has changed).
 */
export interface ObjectVersion {
  etag: string;
  versionId?: string;
}

export interface PutOptions {
  contentType?: string;
}

export interface ObjectStore {
  /** The whole object; for small objects (JSON artifacts, samples). Throws NotFoundError. */
  get(bucket: string, key: string): Promise<Uint8Array>;
  /**
   * The object as a stream of chunks, read lazily; for seeds of any size. Throws NotFoundError, and
   * SeedChangedError when `version` is given and the object is no longer that version.
   */
  getStream(bucket: string, key: string, version?: ObjectVersion): Promise<AsyncIterable<Uint8Array>>;
  /** Writes (or overwrites) an object. */
  put(bucket: string, key: string, body: Uint8Array | string, options?: PutOptions): Promise<void>;
  /** Writes an object from a stream without holding it whole (multipart on S3). */
  putStream(
    bucket: string,
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: PutOptions,
  ): Promise<void>;
  /**
   * Writes only if no object exists at the key (If-None-Match: *). Returns false, without writing,
   * when one does: the way a stage claims a run so two finishers cannot both act.
   */
  putIfAbsent(bucket: string, key: string, body: Uint8Array | string, options?: PutOptions): Promise<boolean>;
  /** Object metadata, or undefined when there is none. */
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /**
   * Where other threads can read the object by themselves, by byte ranges: a file path, or a URL
   * (an S3 presigned GET, valid an hour). Lets a large seed be profiled in parallel ranges. With a
   * `version`, every read of the location is of that version, or fails with SeedChangedError.
   */
  locate(bucket: string, key: string, version?: ObjectVersion): Promise<SeedLocation>;
  /** Every object under a prefix, in key order. */
  list(bucket: string, prefix: string): Promise<ObjectInfo[]>;
}

export interface JobQueue {
  /** Sends every job; batches and retries are the adapter's business. Throws when some could not be sent. */
  send(jobs: ShardJob[]): Promise<void>;
}

export interface GeneratedRows {
  contentType: 'text/csv';
  body: string;
}

export interface Generator {
  /** Calls the generator endpoint (SageMaker hosting contract) for one shard. */
  generate(request: GenerateRequest): Promise<GeneratedRows>;
}

/** Physical bucket names, injected from the environment by the composition root. */
export interface Buckets {
  seed: string;
  work: string;
  curated: string;
  quarantine: string;
}

/** What a stage reports while it works; the local runtime prints it, Lambda logs it. */
export type Progress = (event: {
  stage: string;
  runId?: string;
  message: string;
  done?: number;
  total?: number;
}) => void;

export const noProgress: Progress = () => {};
