/**
 * The whole pipeline on one machine, driven the way AWS drives it: the same Lambda handlers, given
 * S3 notification events when an object lands (seed bucket `datasets/` → seed function, work bucket
 * `ready/` → gate function), SQS batches from an in-process queue with visibility timeouts,
 * redelivery and a DLQ (→ generate function, partial batch responses honoured), and the generator
 * served over the SageMaker contract on loopback. Files dropped into the seed folder by hand are
 * noticed by polling, as if uploaded.
 */
import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, relative, sep } from 'node:path';
import type { Context, S3Event, SQSEvent } from 'aws-lambda';
import { makeHandler as makeAugmentHandler } from '../../functions/augment-dataset/handler.ts';
import { makeHandler as makeRequestsHandler } from '../../functions/dataset-requests/handler.ts';
import { makeHandler as makeGateHandler } from '../../functions/gate-run/handler.ts';
import { makeHandler as makeGenerateHandler } from '../../functions/generate-shard/handler.ts';
import { makeHandler as makeSeedHandler } from '../../functions/on-seed-uploaded/handler.ts';
import { createLogger } from '../../functions/shared/kit.ts';
import { READY_PREFIX, SEED_PREFIX } from '../../src/pipeline/layout.ts';
import type { Buckets, ObjectInfo, Progress } from '../../src/ports.ts';
import { FolderObjectStore } from './folder-object-store.ts';
import { createGeneratorServer, listen } from './generator-server.ts';
import { HttpGenerator } from './http-generator.ts';
import { LocalJobQueue } from './local-job-queue.ts';

/** Local bucket names; the events/ fixtures use the same ones, so `npm run invoke` finds their objects. */
export const LOCAL_BUCKETS: Buckets = {
  seed: 'doppel-seed',
  work: 'doppel-work',
  curated: 'doppel-curated',
  quarantine: 'doppel-quarantine',
};

export const FUNCTIONS = [
  'on-seed-uploaded',
  'generate-shard',
  'gate-run',
  'augment-dataset',
  'dataset-requests',
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

export interface LocalRuntimeOptions {
  root: string;
  progress?: Progress;
  /** Reported when a handler invocation fails (and will be retried, as Lambda would). */
  onError?: (fn: FunctionName, error: unknown) => void;
  /** Shorter than SQS's default so a failed shard is retried in seconds, not minutes. */
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  /** A generator URL to use instead of starting one on loopback. */
  generatorUrl?: string;
  now?: () => Date;
}

export const fakeContext = (functionName: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
  memoryLimitInMB: '1024',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 900_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
});

export const s3Event = (bucket: string, info: ObjectInfo): S3Event => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'local',
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'local' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'local',
        bucket: { name: bucket, ownerIdentity: { principalId: 'local' }, arn: `arn:aws:s3:::${bucket}` },
        object: {
          key: encodeURIComponent(info.key).replace(/%2F/g, '/').replace(/%20/g, '+'),
          size: info.size,
          eTag: info.etag,
          sequencer: '0',
          ...(info.versionId === undefined ? {} : { versionId: info.versionId }),
        },
      },
    },
  ],
});

export class LocalRuntime {
  readonly store: FolderObjectStore;
  readonly queue: LocalJobQueue;
  readonly buckets = LOCAL_BUCKETS;
  readonly handlers;
  generatorUrl = '';
  private server: Server | undefined;
  private readonly options: LocalRuntimeOptions;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private pumping = false;
  private timer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, string>();
  private stopped = false;

  constructor(options: LocalRuntimeOptions) {
    this.options = options;
    this.store = new FolderObjectStore(options.root);
    this.queue = new LocalJobQueue({
      visibilityTimeoutMs: options.visibilityTimeoutMs ?? 2_000,
      maxReceiveCount: options.maxReceiveCount ?? 5,
    });
    const logger = createLogger({ quiet: true });
    const progress = options.progress ?? (() => {});
    const now = options.now ?? (() => new Date());
    const runtime = this;
    const base = { store: this.store, buckets: this.buckets, now, progress, logger };
    this.handlers = {
      'on-seed-uploaded': makeSeedHandler({ ...base, queue: this.queue }),
      'generate-shard': makeGenerateHandler({
        ...base,
        get generator() {
          if (runtime.generator === undefined) throw new Error('the local runtime is not started');
          return runtime.generator;
        },
        cache: new Map(),
      }),
      'gate-run': makeGateHandler(base),
      'augment-dataset': makeAugmentHandler({ ...base, queue: this.queue }),
      'dataset-requests': makeRequestsHandler({ ...base, queue: this.queue }),
    };
  }

  private generator: HttpGenerator | undefined;

  /** Starts the generator on loopback and begins delivering notifications and queue messages. */
  async start(): Promise<this> {
    if (this.options.generatorUrl === undefined) {
      this.server = createGeneratorServer({ store: this.store });
      this.generatorUrl = await listen(this.server, 0);
    } else {
      this.generatorUrl = this.options.generatorUrl;
    }
    this.generator = new HttpGenerator(this.generatorUrl);
    this.store.onObjectCreated((bucket, info) => this.notify(bucket, info));
    this.queue.onSend(() => this.schedulePump(0));
    return this;
  }

  /** Routes a created object as the stack's S3 notifications do. */
  private notify(bucket: string, info: ObjectInfo): void {
    if (bucket === this.buckets.seed && info.key.startsWith(SEED_PREFIX)) {
      this.seen.set(info.key, `${info.size}`);
      this.invokeAsync('on-seed-uploaded', s3Event(bucket, info));
    } else if (bucket === this.buckets.work && info.key.startsWith(READY_PREFIX)) {
      this.invokeAsync('gate-run', s3Event(bucket, info));
    }
  }

  /** Invokes a handler as Lambda's asynchronous invocation does: up to two retries on error. */
  private invokeAsync(fn: 'on-seed-uploaded' | 'gate-run', event: S3Event): void {
    // One context for all attempts: Lambda keeps the request id across its retries of an event.
    const context = fakeContext(fn);
    void this.track(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.handlers[fn](event, context);
          return;
        } catch (error) {
          this.options.onError?.(fn, error);
          if (attempt >= 2 || this.stopped) return;
          await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
        }
      }
    });
  }

  private track(task: () => Promise<void>): Promise<void> {
    this.inFlight++;
    return task().finally(() => {
      this.inFlight--;
      this.checkIdle();
    });
  }

  private schedulePump(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, delayMs);
  }

  /** Delivers queue batches to the generate function until nothing is visible. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    this.inFlight++;
    try {
      for (;;) {
        const handled = await this.queue.pump(async (messages) => {
          const event: SQSEvent = {
            Records: messages.map((m) => ({
              messageId: m.messageId,
              receiptHandle: m.receiptHandle,
              body: m.body,
              attributes: {
                ApproximateReceiveCount: String(m.receiveCount),
                SentTimestamp: String(m.sentAt),
                SenderId: 'local',
                ApproximateFirstReceiveTimestamp: String(m.sentAt),
              },
              messageAttributes: {},
              md5OfBody: '',
              eventSource: 'aws:sqs',
              eventSourceARN: 'arn:aws:sqs:local:000000000000:doppel-jobs',
              awsRegion: 'local',
            })),
          };
          const result = await this.handlers['generate-shard'](event, fakeContext('generate-shard'));
          if (result.batchItemFailures.length > 0)
            this.options.onError?.(
              'generate-shard',
              new Error(`${result.batchItemFailures.length} job(s) failed; they will be redelivered`),
            );
          return {
            batchItemFailures: result.batchItemFailures.map((f) => ({ itemIdentifier: f.itemIdentifier })),
          };
        }, 5);
        if (handled === 0) break;
      }
    } finally {
      this.pumping = false;
      this.inFlight--;
      const wait = this.queue.nextVisibleIn();
      if (wait !== undefined) this.schedulePump(wait + 5);
      this.checkIdle();
    }
  }

  private checkIdle(): void {
    if (this.inFlight > 0 || this.pumping || this.queue.depth > 0 || this.timer !== undefined) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when no event, job or retry is pending: every run started so far has finished. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  /**
   * Polls the seed bucket folder for files dropped by hand (not through the store) and announces
   * each new or changed one once its size has stopped changing.
   */
  watchSeedFolder(intervalMs = 1_000): void {
    const pending = new Map<string, string>();
    const base = this.store.pathOf(this.buckets.seed, 'x').slice(0, -1);
    const scan = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await scan(path);
        else if (entry.isFile()) {
          const key = relative(base, path).split(sep).join('/');
          const info = await stat(path);
          const tag = `${info.size}`;
          if (this.seen.get(key) === tag) continue;
          if (pending.get(key) === tag) {
            pending.delete(key);
            const head = await this.store.head(this.buckets.seed, key);
            if (head !== undefined) this.notify(this.buckets.seed, head);
          } else pending.set(key, tag);
        }
      }
    };
    const tick = async () => {
      await scan(join(base, SEED_PREFIX)).catch((error) => this.options.onError?.('on-seed-uploaded', error));
      if (!this.stopped) this.watchTimer = setTimeout(tick, intervalMs);
    };
    void tick();
  }

  /** Marks files already present as seen, so watching starts from now. */
  async markExistingSeen(): Promise<void> {
    for (const info of await this.store.list(this.buckets.seed, SEED_PREFIX))
      this.seen.set(info.key, `${info.size}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.watchTimer !== undefined) clearTimeout(this.watchTimer);
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Invokes one handler with an event, as `npm run invoke` does. */
  async invoke(fn: FunctionName, event: unknown): Promise<unknown> {
    const handler = this.handlers[fn] as (event: unknown, context: Context) => Promise<unknown>;
    return handler(event, fakeContext(fn));
  }
}
