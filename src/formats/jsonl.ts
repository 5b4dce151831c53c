/**
 * JSON Lines: one flat object per line; and a JSON array of flat objects, read element by element. Columns are the union of keys, in order of first
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

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * Splits a JSON array of objects (`[{…},{…}]`, the usual "export as JSON") into its elements across
 * chunk boundaries, each with the line it starts on, so that a large array streams like JSON Lines.
 * Only strings and nesting are tracked; each element is then parsed on its own.
 */
export class JsonArraySplitter {
  readonly lines: { text: string; line: number }[] = [];
  private line = 1;
  private started = false;
  private closed = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  private pending = '';
  private elementLine = 0;
  private elements = 0;

  constructor(private readonly name = 'input') {}

  push(text: string): void {
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.line++;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 92) this.escape = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (this.depth > 0) {
        if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) this.depth++;
        else if (c === 125 || c === 93) {
          this.depth--;
          if (this.depth === 0) {
            this.lines.push({ text: this.pending + text.slice(start, i + 1), line: this.elementLine });
            this.pending = '';
            start = -1;
          }
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (!this.started) {
        if (c !== 91) throw new BadInputError(`${this.name}: line ${this.line} does not start a JSON array`);
        this.started = true;
      } else if (this.closed) {
        throw new BadInputError(`${this.name}: line ${this.line} has text after the JSON array's closing ]`);
      } else if (c === 44) {
      } else if (c === 93) {
        this.closed = true;
      } else if (c === 123) {
        this.depth = 1;
        this.elements++;
        this.elementLine = this.line;
        start = i;
      } else {
        throw new BadInputError(
          `${this.name}: element ${this.elements + 1} of the JSON array (line ${this.line}) is not an object; ` +
            'doppel reads an array of flat objects, one per row',
        );
      }
    }
    if (this.depth > 0) {
      this.pending += text.slice(start);
      if (this.pending.length > MAX_LINE_CHARS) {
        throw new BadInputError(
          `${this.name}: the object starting on line ${this.elementLine} is longer than ` +
            `${MAX_LINE_CHARS / 1024 / 1024} Mi characters; no table row is that long`,
        );
      }
    }
  }

  finish(): void {
    if (this.depth > 0 || this.inString || !this.closed) {
      throw new BadInputError(
        `${this.name}: the JSON array ends early (line ${this.line}): the file is truncated or not one JSON array`,
      );
    }
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
