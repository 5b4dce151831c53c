/**
 * A streaming RFC 4180 tokenizer for delimited text (CSV, TSV, semicolon, pipe): quoted fields,
 * doubled quotes, quoted newlines and CRLF, with its state carried across chunk boundaries so a
 * seed of any size is read in pieces. An empty unquoted field is null, a quoted empty field ''.
 * Lenient where RFC 4180 is silent in practice: a quote inside an unquoted field is kept as text.
 */
import { BadInputError } from '../errors.ts';
import type { Cell } from '../table.ts';

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** One field longer than this is almost surely an unterminated quote; stop before memory runs out. */
export const MAX_FIELD_CHARS = 16 * 1024 * 1024;
/** One record (a line, unless quoted newlines) longer than this is no table row; same reason. */
export const MAX_RECORD_CHARS = 64 * 1024 * 1024;
/** Fields one record may have: wide tables are fine, a line of millions of tiny fields is not a table. */
export const MAX_FIELDS = 1 << 16;

export class DelimitedTokenizer {
  /** Complete records not yet taken by the caller. The first one is the header. */
  records: Cell[][] = [];
  /** Header width, once the header is read; every later record must match it. */
  width: number | undefined;
  /** Data records finished so far (the header not counted). */
  rows = 0;

  private readonly delimiter: number;
  private record: Cell[] = [];
  private recordChars = 0;
  private field = '';
  private quoted = false;
  private wasQuoted = false;
  private pendingQuote = false;
  private pendingCr = false;
  /** Physical line (1-based) the reader is on, and the one the current record began on. */
  private line = 1;
  private recordLine = 1;

  constructor(
    delimiter: string,
    private readonly name: string,
    private readonly checkWidth = true,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** Hands over the complete records so far. */
  take(): Cell[][] {
    const records = this.records;
    this.records = [];
    return records;
  }

  /** Tokenizes a piece of text; complete records are appended to `records`. */
  push(text: string): void {
    const n = text.length;
    const d = this.delimiter;
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (n > 0 && text.charCodeAt(0) === LF) i = 1;
    }
    if (this.pendingQuote && n > 0) {
      // A quote closed the previous chunk inside a quoted field: doubled quote or end of quoting.
      this.pendingQuote = false;
      if (text.charCodeAt(i) === QUOTE) {
        this.field += '"';
        i++;
      } else {
        this.quoted = false;
      }
    }
    while (i < n) {
      if (this.quoted) {
        const q = text.indexOf('"', i);
        const end = q === -1 ? n : q;
        const piece = text.slice(i, end);
        this.field += piece;
        this.countLines(piece);
        if (this.field.length > MAX_FIELD_CHARS) this.fieldTooLong();
        if (q === -1) return;
        if (q + 1 >= n) {
          this.pendingQuote = true;
          return;
        }
        if (text.charCodeAt(q + 1) === QUOTE) {
          this.field += '"';
          i = q + 2;
        } else {
          this.quoted = false;
          i = q + 1;
        }
        continue;
      }
      let j = i;
      let c = 0;
      while (j < n) {
        c = text.charCodeAt(j);
        if (c === d || c === LF || c === CR || c === QUOTE) break;
        j++;
      }
      if (j > i) {
        this.field = this.field === '' ? text.slice(i, j) : this.field + text.slice(i, j);
        if (this.field.length > MAX_FIELD_CHARS) this.fieldTooLong();
      }
      if (j === n) return;
      if (c === QUOTE) {
        if (this.field === '' && !this.wasQuoted) {
          this.quoted = true;
          this.wasQuoted = true;
        } else {
          this.field += '"';
        }
        i = j + 1;
      } else if (c === d) {
        this.endField();
        i = j + 1;
      } else {
        this.endField();
        this.endRecord();
        this.line++;
        if (c === CR) {
          if (j + 1 >= n) {
            this.pendingCr = true;
            return;
          }
          i = text.charCodeAt(j + 1) === LF ? j + 2 : j + 1;
        } else {
          i = j + 1;
        }
      }
    }
  }

  /** End of input: closes the last record, or fails on a quote left open. */
  finish(): void {
    this.pendingCr = false;
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.quoted = false;
    }
    if (this.quoted) {
      throw new BadInputError(
        `${this.name}: ${this.where()} has a quoted field that is never closed (unterminated quote at end of file)`,
      );
    }
    if (this.field !== '' || this.wasQuoted || this.record.length > 0) {
      this.endField();
      this.endRecord();
    }
  }

  private endField(): void {
    this.recordChars += this.field.length + 1;
    if (this.record.length >= MAX_FIELDS) {
      throw new BadInputError(
        `${this.name}: ${this.where()} has more than ${MAX_FIELDS} fields; doppel reads tables up to that width`,
      );
    }
    if (this.recordChars > MAX_RECORD_CHARS) {
      throw new BadInputError(
        `${this.name}: ${this.where()} is longer than ${MAX_RECORD_CHARS / 1024 / 1024} Mi characters ` +
          `(${this.record.length + 1} fields so far); no table row is that long`,
      );
    }
    this.record.push(this.field === '' && !this.wasQuoted ? null : this.field);
    this.field = '';
    this.wasQuoted = false;
  }

  private endRecord(): void {
    const record = this.record;
    this.record = [];
    this.recordChars = 0;
    const startLine = this.recordLine;
    this.recordLine = this.line + 1;
    // A blank line is no record (a single-column null would be ambiguous with it anyway).
    if (record.length === 1 && record[0] === null) return;
    if (this.width === undefined) {
      this.width = record.length;
    } else {
      this.rows++;
      if (this.checkWidth && record.length !== this.width) {
        throw new BadInputError(
          `${this.name}: row ${this.rows} (line ${startLine}) has ${record.length} fields, the header has ${this.width}`,
        );
      }
    }
    this.records.push(record);
  }

  private countLines(piece: string): void {
    let k = piece.indexOf('\n');
    while (k !== -1) {
      this.line++;
      k = piece.indexOf('\n', k + 1);
    }
  }

  private where(): string {
    return this.width === undefined
      ? `the header (line ${this.recordLine})`
      : `row ${this.rows + 1} (line ${this.recordLine})`;
  }

  private fieldTooLong(): never {
    const why = this.quoted
      ? 'most likely a quote that is never closed'
      : 'no table cell is that long (is this a table?)';
    throw new BadInputError(
      `${this.name}: ${this.where()} has a field longer than ${MAX_FIELD_CHARS / 1024 / 1024} Mi characters; ${why}`,
    );
  }
}

export const DELIMITERS = [',', '\t', ';', '|'] as const;

/** The records a delimiter is judged by (the header and 50 more), and the text pushed at a time. */
const SNIFF_RECORDS = 51;
const SNIFF_PIECE = 4096;

/**
 * Picks the delimiter from the first lines: the candidate that splits the header into the most
 * fields while the following records keep the same width. Ties go to the file name's hint, then to
 * the order above. A file no candidate splits is one column wide (',').
 */
export const sniffDelimiter = (sample: string, name: string): string => {
  // Only whole lines: the sample may end mid-record.
  const cut = Math.max(sample.lastIndexOf('\n'), 0);
  const text = cut > 0 ? sample.slice(0, cut + 1) : sample;
  const hinted = /\.tsv(\.gz)?$/i.test(name) || /\.tab(\.gz)?$/i.test(name) ? '\t' : ',';
  let best = { delimiter: hinted, score: -1, width: 1 };
  for (const delimiter of DELIMITERS) {
    const tokenizer = new DelimitedTokenizer(delimiter, name, false);
    try {
      // A piece at a time, up to the records it is judged by: the rest of the sample only cost
      // time (four passes over 64 KiB, 17 ms of a profile's start), and a quoted field the
      // sample's end cut open no longer rules the right delimiter out.
      for (let at = 0; at < text.length && tokenizer.records.length < SNIFF_RECORDS; at += SNIFF_PIECE)
        tokenizer.push(text.slice(at, at + SNIFF_PIECE));
      if (tokenizer.records.length < SNIFF_RECORDS) tokenizer.finish();
    } catch {
      continue;
    }
    const [header, ...rest] = tokenizer.records.slice(0, SNIFF_RECORDS);
    if (header === undefined || header.length < 2) continue;
    const consistent =
      rest.length === 0 ? 1 : rest.filter((r) => r.length === header.length).length / rest.length;
    const score = consistent * 1000 + Math.min(header.length, 999);
    const better = score > best.score || (score === best.score && delimiter === hinted);
    if (better) best = { delimiter, score, width: header.length };
  }
  return best.delimiter;
};
