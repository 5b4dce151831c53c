/** A worker thread of profile-chunks.ts for Parquet files: scans the chunks it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { scanParquetChunk } from './parquet-chunks.ts';
import type { ChunkTask } from './profile-chunks.ts';

parentPort!.on('message', async (task: ChunkTask) => {
  try {
    parentPort!.postMessage({ ok: true, result: await scanParquetChunk(task) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
