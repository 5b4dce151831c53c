/**
 * Real public tables from the vega-datasets package, as seed CSV text: the JSON array of flat
 * objects written with toCsv, a missing or null value as an empty field.
 */
import { readFileSync } from 'node:fs';
import { type Cell, toCsv } from '../../src/table.ts';

export type VegaJson = 'penguins.json' | 'cars.json' | 'movies.json' | 'flights-200k.json';

const DATA = new URL('../../node_modules/vega-datasets/data/', import.meta.url);

export const vegaRecords = (name: VegaJson): Record<string, unknown>[] =>
  JSON.parse(readFileSync(new URL(name, DATA), 'utf8')) as Record<string, unknown>[];

export const vegaCsv = (name: VegaJson): string => {
  const records = vegaRecords(name);
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (value: unknown): Cell =>
    value === null || value === undefined ? null : typeof value === 'string' ? value : String(value);
  return toCsv({ columns, rows: records.map((r) => columns.map((c) => cell(r[c]))) });
};
