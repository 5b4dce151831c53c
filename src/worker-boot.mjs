// Starts a worker thread on a TypeScript module (workerData.entry, a file URL): the code is
// TypeScript run through tsx, and hooks registered on the main thread do not reach workers.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
