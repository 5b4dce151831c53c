/** A worker thread of profile-chunks.ts: scans the chunks it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { type ChunkTask, scanChunk } from './profile-chunks.ts';
import { Fallback } from './scan-file.ts';

parentPort!.on('message', async (task: ChunkTask) => {
  try {
    parentPort!.postMessage({ ok: true, result: await scanChunk(task) });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    parentPort!.postMessage({
      ok: false,
      fallback: error instanceof Fallback ? message : undefined,
      message,
    });
  }
});
