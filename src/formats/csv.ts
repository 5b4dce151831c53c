/**
 * Small, synchronous RFC 4180 CSV for artifacts doppel writes itself (samples, shards): an empty
 * unquoted field is null, a quoted empty field is ''. Seeds go through the streaming reader instead.
 */
import { BadInputError } from '../errors.ts';
import type { Cell, Table } from '../table.ts';

export const parseCsv = (text: string, name = 'csv'): Table => {
  const records: Cell[][] = [];
  let record: Cell[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let i = 0;
  const n = text.length;
  const endField = () => {
    record.push(field === '' && !wasQuoted ? null : field);
    field = '';
    wasQuoted = false;
  };
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (quoted) {
      if (ch === 34) {
        if (text.charCodeAt(i + 1) === 34) {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      const next = text.indexOf('"', i);
      if (next === -1)
        throw new BadInputError(`${name}: unterminated quoted field in record ${records.length + 1}`);
      field += text.slice(i, next);
      i = next;
      continue;
    }
    if (ch === 44) {
      endField();
      i++;
    } else if (ch === 10 || ch === 13) {
      endField();
      records.push(record);
      record = [];
      i += ch === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    } else if (ch === 34 && field === '') {
      quoted = true;
      wasQuoted = true;
      i++;
    } else {
      field += text[i];
      i++;
    }
  }
  if (field !== '' || wasQuoted || record.length > 0) {
    endField();
    records.push(record);
  }
  const header = records.shift();
  if (header === undefined) return { columns: [], rows: [] };
  const columns = header.map((c) => c ?? '');
  records.forEach((r, index) => {
    if (r.length !== columns.length) {
      throw new BadInputError(
        `${name}: record ${index + 2} has ${r.length} fields, the header has ${columns.length}`,
      );
    }
  });
  return { columns, rows: records };
};
