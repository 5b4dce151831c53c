import type { Buckets, Generator, JobQueue, ObjectStore, Progress } from '../ports.ts';

/** Everything a stage may need. Each stage takes only the part it uses (`Pick`). */
export interface PipelineDeps {
  store: ObjectStore;
  queue: JobQueue;
  generator: Generator;
  buckets: Buckets;
  /** Wall clock, for run records only (never in outputs, which must be byte-reproducible). */
  now: () => Date;
  progress: Progress;
}
