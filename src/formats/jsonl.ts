/**
 * JSON Lines: one flat object per line. Columns are the union of keys, in order of first
 * appearance, over the first lines; values become text cells (nested values as JSON text).
 */
import { BadInputError } from '../errors.ts';
import type { Cell } from '../table.ts';

/** Lines whose keys make up the columns; a key first seen later has no column to go to. */
export const JSONL_SCHEMA_LINES = 1000;

/** A line longer than this is no table row; stop before it takes the memory. */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

/** Splits text chunks into lines across chunk boundaries, numbering them (1-based, blank lines too). */
export class LineSplitter {
  private rest = '';
  private line = 0;
  readonly lines: { text: string; line: number }[] = [];

  constructor(private readonly name = 'input') {}

  push(text: string): void {
    let start = 0;
    let k = text.indexOf('\n');
    let head = this.rest;
    while (k !== -1) {
      this.add(head + text.slice(start, k));
      head = '';
      start = k + 1;
      k = text.indexOf('\n', start);
    }
    this.rest = head + text.slice(start);
    if (this.rest.length > MAX_LINE_CHARS) {
      throw new BadInputError(
        `${this.name}: line ${this.line + 1} is longer than ${MAX_LINE_CHARS / 1024 / 1024} Mi characters; ` +
          'no JSON Lines row is that long (is the file one JSON document?)',
      );
    }
  }

  finish(): void {
    if (this.rest !== '') this.add(this.rest);
    this.rest = '';
  }

  private add(raw: string): void {
    this.line++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() !== '') this.lines.push({ text, line: this.line });
  }
}

export const parseJsonLine = (text: string, line: number, name: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`${name}: line ${line} is not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadInputError(
      `${name}: line ${line} is not a JSON object; JSON Lines seeds hold one object per line`,
    );
  }
  return value as Record<string, unknown>;
};

const cellOf = (value: unknown): Cell => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

/** Turns parsed objects into rows over fixed columns; a key outside them is an error naming the line. */
export class JsonlRows {
  private readonly index: Map<string, number>;

  constructor(
    readonly columns: string[],
    private readonly name: string,
  ) {
    this.index = new Map(columns.map((c, i) => [c, i]));
  }

  row(object: Record<string, unknown>, line: number): Cell[] {
    const row: Cell[] = new Array(this.columns.length).fill(null);
    for (const key in object) {
      const i = this.index.get(key);
      if (i === undefined) {
        throw new BadInputError(
          `${this.name}: line ${line} has key "${key}", which none of the first ${JSONL_SCHEMA_LINES} lines has; ` +
            'put every key in the early lines (null where there is no value)',
        );
      }
      row[i] = cellOf(object[key]);
    }
    return row;
  }
}

/** Union of keys in order of first appearance. */
export const unionKeys = (objects: Record<string, unknown>[]): string[] => {
  const seen = new Set<string>();
  for (const object of objects) for (const key in object) seen.add(key);
  return [...seen];
};
