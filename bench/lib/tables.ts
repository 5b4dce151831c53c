/**
 * Bench inputs: public tables from the vega-datasets package read into memory, a seeded train/holdout
 * split, and a table as the byte stream a seed arrives as.
 */
import { readFileSync } from 'node:fs';
import { parseCsv } from '../../src/formats/csv.ts';
import { createRng, deriveSeed } from '../../src/random.ts';
import type { Cell, Table } from '../../src/table.ts';

const DATA = new URL('../../node_modules/vega-datasets/data/', import.meta.url);

/**
 * A JSON array of flat objects (columns in first-seen order, a missing or null value as null, as
 * test/helpers/vega.ts reads them) or a CSV file, as a table of text cells.
 */
export const readVegaTable = (name: string): Table => {
  const text = readFileSync(new URL(name, DATA), 'utf8');
  if (name.endsWith('.csv')) return parseCsv(text, name);
  const records = JSON.parse(text) as Record<string, unknown>[];
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (value: unknown): Cell =>
    value === null || value === undefined ? null : typeof value === 'string' ? value : String(value);
  return { columns, rows: records.map((r) => columns.map((c) => cell(r[c]))) };
};

/** Fisher–Yates on a copy, from a seeded Rng: the same seed gives the same order. */
export const seededShuffle = <T>(items: readonly T[], seed: number): T[] => {
  const rng = createRng(deriveSeed(seed, 'bench', 'shuffle'));
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

/** Shuffles the rows and cuts them: the first `trainShare` of them train, the rest holdout. */
export const splitTable = (
  table: Table,
  trainShare: number,
  seed: number,
): { train: Table; holdout: Table } => {
  const rows = seededShuffle(table.rows, seed);
  const cut = Math.round(rows.length * trainShare);
  return {
    train: { columns: [...table.columns], rows: rows.slice(0, cut) },
    holdout: { columns: [...table.columns], rows: rows.slice(cut) },
  };
};

/** Text as a stream of 64 KiB chunks, the way a seed object is read. */
export async function* byteStream(text: string, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}
