/** A worker thread of profile-chunks.ts for Parquet files: scans the chunks it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { scanParquetChunk, scanParquetValues } from './parquet-chunks.ts';
import { type ChunkTask, STOP, transferables } from './profile-chunks.ts';

parentPort!.on('message', async (task: ChunkTask | typeof STOP) => {
  // The pool has no more work: the port closes and the thread ends when its jobs are done.
  if (task === STOP) return parentPort!.close();
  try {
    const result = task.values === undefined ? await scanParquetChunk(task) : await scanParquetValues(task);
    parentPort!.postMessage({ ok: true, result }, transferables(result));
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
