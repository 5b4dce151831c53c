/**
 * A flat Parquet column chunk (a top-level field, optional or required, neither a list nor a
 * struct) read straight into cells. hyparquet's `parquetRead` assembles every column through its
 * general nested-data (Dremel) loop, even a flat one without nulls, and turns every cell of a
 * dictionary-encoded column into a value of its own (an INT64 cell a BigInt). Here a dictionary's
 * entries are written as text once and a page's indices point into it, so a cell costs an array
 * store: flights-3m.parquet (3,000,000 rows, 11 row groups) reads in about a quarter of the time
 * (`npm run bench -- profile`, "Parquet").
 *
 * Built from hyparquet's own page readers (page headers, decompression, levels, encodings, type
 * conversion), which its package exports under `hyparquet/src/*.js`; the version is pinned in
 * package.json, and test/formats/parquet.test.ts holds this reader to `parquetRead` cell for cell.
 */
import type { DecodedArray, FileMetaData, SchemaTree } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { convert } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { isFlatColumn } from 'hyparquet/src/schema.js';
import type { ColumnDecoder } from 'hyparquet/src/types.js';
import type { Cell } from '../table.ts';

/** Whether every top-level field of `tree` (the file's schema) is one flat column: then `readFlatChunk` reads them all. */
export const allFlat = (metadata: FileMetaData, tree: SchemaTree): boolean =>
  tree.children.every((field) => isFlatColumn([tree, field])) &&
  metadata.row_groups.every(
    (group) =>
      group.columns.length === tree.children.length &&
      group.columns.every(
        (chunk, c) =>
          chunk.file_path === undefined &&
          chunk.meta_data?.path_in_schema.length === 1 &&
          chunk.meta_data.path_in_schema[0] === tree.children[c]!.element.name,
      ),
  );

/** The decoder hyparquet's page readers take, for flat column `column` of row group `group`. */
export const flatDecoder = (
  metadata: FileMetaData,
  tree: SchemaTree,
  group: number,
  column: number,
  options: Pick<ColumnDecoder, 'parsers' | 'compressors'>,
): ColumnDecoder => {
  const field = tree.children[column]!;
  const meta = metadata.row_groups[group]!.columns[column]!.meta_data!;
  return {
    pathInSchema: meta.path_in_schema,
    type: meta.type,
    element: field.element,
    schemaPath: [tree, field],
    codec: meta.codec,
    parsers: options.parsers,
    ...(options.compressors === undefined ? {} : { compressors: options.compressors }),
  };
};

/** The bytes of a column chunk: from its dictionary page (or first data page) on. */
export const chunkRange = (metadata: FileMetaData, group: number, column: number): [number, number] => {
  const meta = metadata.row_groups[group]!.columns[column]!.meta_data!;
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  return [start, start + Number(meta.total_compressed_size)];
};

/**
 * Reads one flat column chunk of `rows` values into cells; `cell` writes one decoded value (as
 * `parquetRead` would give it) as text. Throws when the chunk holds fewer values than `rows`.
 */
export const readFlatChunk = (
  bytes: ArrayBuffer,
  decoder: ColumnDecoder,
  rows: number,
  cell: (value: unknown) => Cell,
): Cell[] => {
  const reader = { view: new DataView(bytes), offset: 0 };
  const optional = decoder.element.repetition_type !== 'REQUIRED';
  const out: Cell[] = new Array(rows);
  let at = 0;
  let dictionary: Cell[] | undefined;
  /** A page's values (indices into the dictionary, or values) and its levels, into `out`. */
  const place = (
    levels: number[] | undefined,
    values: DecodedArray,
    count: number,
    encoding: string,
  ): void => {
    const indexed = encoding.endsWith('_DICTIONARY');
    if (indexed && dictionary === undefined)
      throw new Error('a dictionary-encoded page without a dictionary');
    const texts = indexed ? dictionary! : undefined;
    const plain = indexed ? undefined : (convert(values, decoder) as ArrayLike<unknown>);
    const take = Math.min(count, rows - at);
    let v = 0;
    for (let i = 0; i < take; i++) {
      // No levels: every value is present (hyparquet drops a page's levels when none is null).
      if (optional && levels !== undefined && levels.length > 0 && levels[i] !== 1) out[at++] = null;
      else {
        out[at++] = texts !== undefined ? texts[values[v] as number]! : cell(plain![v]);
        v++;
      }
    }
  };
  while (at < rows && reader.offset < bytes.byteLength - 1) {
    const header = parquetHeader(reader);
    const compressed = new Uint8Array(bytes, reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    const size = Number(header.uncompressed_page_size);
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(compressed, size, decoder.codec, decoder.compressors);
      const view = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
      const count = header.dictionary_page_header!.num_values;
      const raw = readPlain(view, decoder.type, count, decoder.element.type_length);
      dictionary = Array.from(convert(raw, decoder) as ArrayLike<unknown>, cell);
    } else if (header.type === 'DATA_PAGE') {
      const daph = header.data_page_header!;
      const page = decompressPage(compressed, size, decoder.codec, decoder.compressors);
      const { definitionLevels, dataPage } = readDataPage(page, daph, decoder);
      place(definitionLevels, dataPage, daph.num_values, daph.encoding);
    } else if (header.type === 'DATA_PAGE_V2') {
      const daph = header.data_page_header_v2!;
      const { definitionLevels, dataPage } = readDataPageV2(compressed, header, decoder);
      place(definitionLevels, dataPage, daph.num_values, daph.encoding);
    }
    // An index page carries no values.
  }
  if (at < rows) throw new Error(`the column chunk holds ${at} values, not ${rows}`);
  return out;
};
