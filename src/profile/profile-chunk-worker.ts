/** A worker thread of profile-chunks.ts: scans the chunks it is sent (or collects their values), one at a time. */
import { parentPort } from 'node:worker_threads';
import { type ChunkTask, STOP, scanChunk, transferables } from './profile-chunks.ts';
import { Fallback } from './scan-file.ts';
import { scanValues } from './value-chunks.ts';

parentPort!.on('message', async (task: ChunkTask | typeof STOP) => {
  // The pool has no more work: the port closes and the thread ends when its jobs are done.
  if (task === STOP) return parentPort!.close();
  try {
    const result = task.values === undefined ? await scanChunk(task) : await scanValues(task);
    parentPort!.postMessage({ ok: true, result }, transferables(result));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    parentPort!.postMessage({
      ok: false,
      fallback: error instanceof Fallback ? message : undefined,
      message,
    });
  }
});
