/** Reading and writing the small JSON artifacts of a run in the work bucket. */
import type { z } from 'zod';
import { parseJson, RunRecord } from '../contracts.ts';
import { NotFoundError } from '../errors.ts';
import { parseCsv } from '../formats/csv.ts';
import type { ObjectStore } from '../ports.ts';
import type { Table } from '../table.ts';
import { runKeys } from './layout.ts';

const decoder = new TextDecoder();

export const readText = async (store: ObjectStore, bucket: string, key: string): Promise<string> =>
  decoder.decode(await store.get(bucket, key));

export const readJson = async <T extends z.ZodType>(
  store: ObjectStore,
  bucket: string,
  key: string,
  schema: T,
): Promise<z.infer<T>> => parseJson(schema, await readText(store, bucket, key), `${bucket}/${key}`);

export const writeJson = (store: ObjectStore, bucket: string, key: string, value: unknown): Promise<void> =>
  store.put(bucket, key, `${JSON.stringify(value, null, 2)}\n`, { contentType: 'application/json' });

export const readTable = async (store: ObjectStore, bucket: string, key: string): Promise<Table> =>
  parseCsv(await readText(store, bucket, key), `${bucket}/${key}`);

export const readRun = async (store: ObjectStore, bucket: string, runId: string): Promise<RunRecord> => {
  try {
    return await readJson(store, bucket, runKeys(runId).record, RunRecord);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`run ${runId} does not exist`);
    throw error;
  }
};

export const findRun = async (
  store: ObjectStore,
  bucket: string,
  runId: string,
): Promise<RunRecord | undefined> =>
  (await store.head(bucket, runKeys(runId).record)) === undefined ? undefined : readRun(store, bucket, runId);

/** Writes a run record with a fresh `updatedAt`. */
export const saveRun = async (
  store: ObjectStore,
  bucket: string,
  run: RunRecord,
  now: () => Date,
): Promise<RunRecord> => {
  const next = { ...run, updatedAt: now().toISOString() };
  await writeJson(store, bucket, runKeys(run.runId).record, next);
  return next;
};
