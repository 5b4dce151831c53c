/**
 * A Parquet file's chunk (a run of its row groups, see `parquetParts`) scanned through the row
 * reader's pass, on whichever thread runs it: parquet-chunk-worker.ts on a worker thread, or
 * profile-seed.ts's own. Apart from profile-chunks.ts so the Parquet reader stays out of the
 * script of delimited text's worker threads.
 */
import { openParquet } from '../formats/parquet.ts';
import { PiiIndex } from '../privacy/pii-index.ts';
import { type ChunkScan, type ChunkTask, RowPass } from './profile-chunks.ts';

/** A Parquet chunk: its row groups through the row reader's pass; its range is the groups' bytes. */
export const scanParquetChunk: ChunkScan = async (task, pack = true, headway) => {
  const { parquet } = task;
  if (parquet === undefined) throw new Error('scanParquetChunk: not a Parquet chunk');
  const source = await openParquet(task.source, parquet.name, { size: parquet.size });
  const pass = new RowPass(task.columns, task.sampling, task.index);
  let group = parquet.groups[0];
  for await (const columns of source.groupColumns(parquet.groups)) {
    const rows = columns[0]?.length ?? 0;
    for (let r = 0; r < rows; r++) pass.addAt(columns, r);
    // Past the group just read (groups of no rows are not yielded: the next one with rows).
    while (group < parquet.groups[1] && source.groups[group]!.rows === 0) group++;
    group++;
    headway?.((source.groups[group]?.offset ?? task.range.end) - task.range.start);
  }
  return {
    index: task.index,
    start: task.range.start,
    end: task.range.end,
    rows: pass.rows,
    stats: pack ? pass.stats.map((s) => s.wire()) : pass.stats,
    duplicates: pass.duplicates,
    train: pack ? pass.train.sample() : pass.train.rows(),
    holdout: pack ? pass.holdout.sample() : pass.holdout.rows(),
  };
};

/** A Parquet chunk's values of the value pass's columns (value-chunks.ts), group by group. */
export const scanParquetValues = async (task: ChunkTask): Promise<PiiIndex> => {
  const { parquet, values } = task;
  if (parquet === undefined || values === undefined)
    throw new Error('scanParquetValues: not a Parquet chunk of a value pass');
  const source = await openParquet(task.source, parquet.name, { size: parquet.size });
  const index = new PiiIndex(values.salt, values.cap);
  for await (const columns of source.groupColumns(parquet.groups)) {
    for (const p of values.positions) {
      for (const cell of columns[p] ?? []) if (cell != null) index.add(cell);
    }
    if (index.truncated) break; // the generator closes the source
  }
  return index;
};
