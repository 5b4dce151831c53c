/**
 * Text encodings of seed files. UTF-8 (with or without a BOM) is read as is; UTF-16 (by its BOM or
 * by the NUL bytes ASCII text has in it) and single-byte Windows-1252/Latin-1 text are decoded with
 * a warning naming the encoding; UTF-8 broken part-way is an error naming the byte offset. Nothing
 * is ever turned into U+FFFD silently.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { BadInputError } from '../errors.ts';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface DetectedEncoding {
  encoding: TextEncoding;
  /** Bytes of byte order mark to skip (the UTF-8 BOM is dropped by the decoder instead). */
  bom: number;
  /** Why the encoding was chosen, for the warning. */
  evidence?: string;
}

const ENCODING_NAMES: Record<TextEncoding, string> = {
  'utf-8': 'UTF-8',
  'utf-16le': 'UTF-16 LE',
  'utf-16be': 'UTF-16 BE',
};

/** Share of NUL bytes at odd (LE) or even (BE) offsets above which text is UTF-16 without a BOM. */
const UTF16_NUL_SHARE = 0.3;

/** Picks the encoding from the first bytes: a BOM, else the NUL pattern of UTF-16, else UTF-8. */
export const detectEncoding = (head: Uint8Array, name: string): DetectedEncoding => {
  const [b0, b1, b2, b3] = head;
  if (b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0) {
    throw new BadInputError(`${name} is UTF-32 LE text (byte order mark); save it as UTF-8`);
  }
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) {
    throw new BadInputError(`${name} is UTF-32 BE text (byte order mark); save it as UTF-8`);
  }
  if (b0 === 0xff && b1 === 0xfe) return { encoding: 'utf-16le', bom: 2, evidence: 'byte order mark' };
  if (b0 === 0xfe && b1 === 0xff) return { encoding: 'utf-16be', bom: 2, evidence: 'byte order mark' };
  const n = Math.min(head.byteLength, 4096) & ~1;
  if (n >= 4) {
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i < n; i += 2) {
      if (head[i] === 0) evenNul++;
      if (head[i + 1] === 0) oddNul++;
    }
    const pairs = n / 2;
    const pattern = 'NUL bytes between its characters, no byte order mark';
    if (oddNul / pairs > UTF16_NUL_SHARE && evenNul / pairs < 0.05) {
      return { encoding: 'utf-16le', bom: 0, evidence: pattern };
    }
    if (evenNul / pairs > UTF16_NUL_SHARE && oddNul / pairs < 0.05) {
      return { encoding: 'utf-16be', bom: 0, evidence: pattern };
    }
  }
  return { encoding: 'utf-8', bom: 0 };
};

/** Length of the UTF-8 sequence a lead byte starts (0: not a lead byte). */
const sequenceLength = (b: number): number =>
  b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;

/**
 * Offset of the first invalid UTF-8 sequence in `bytes` (overlong forms, surrogates and code
 * points past U+10FFFF included), or -1. A sequence cut off by the end counts as invalid.
 */
export const firstInvalidUtf8 = (bytes: Uint8Array): number => {
  const n = bytes.byteLength;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = sequenceLength(b);
    if (len === 0 || i + len > n) return i;
    const b1 = bytes[i + 1]!;
    // The second byte's range depends on the lead (no overlongs, no surrogates, nothing past U+10FFFF).
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k < len; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return -1;
};

/** Bytes at the end of `bytes` that begin a UTF-8 sequence the next chunk completes. */
const incompleteTail = (bytes: Uint8Array): number => {
  const n = bytes.byteLength;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back]!;
    if (b < 0x80) return 0;
    if (b >= 0xc0) return sequenceLength(b) > back ? back : 0;
  }
  return 0;
};

/** Offset of the first valid multi-byte UTF-8 sequence in `bytes` (a sign of UTF-8, not Windows-1252), or -1. */
const utf8SequenceAt = (bytes: Uint8Array): number => {
  for (let i = 0; i + 1 < bytes.byteLength; i++) {
    const b = bytes[i]!;
    if (b >= 0xc2 && b <= 0xf4) {
      const len = sequenceLength(b);
      if (firstInvalidUtf8(bytes.subarray(i, i + len)) === -1) return i;
    }
  }
  return -1;
};

const hex = (b: number | undefined): string => `0x${(b ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;

export interface DecodeOptions {
  name: string;
  detected: DetectedEncoding;
  /** File-level notes; the encoding warning is pushed here when it is decided. */
  warnings: string[];
  /** How offsets are described, e.g. ' of the decompressed data' for gzip. */
  offsetNote?: string;
}

/**
 * Decodes a byte stream to text. UTF-8 is checked chunk by chunk (natively); at the first invalid
 * sequence, text that was plain ASCII until then is read on as Windows-1252 with a warning, and
 * text that already held UTF-8 is rejected with the byte offset (a file in two encodings, or corrupt).
 */
export async function* decodeText(bytes: AsyncIterable<Uint8Array>, options: DecodeOptions) {
  const { name, detected, warnings } = options;
  const note = options.offsetNote ?? '';
  if (detected.encoding !== 'utf-8') {
    warnings.push(
      `${name} is ${ENCODING_NAMES[detected.encoding]} text (${detected.evidence}); it was decoded as such, not as UTF-8`,
    );
    yield* decodeUtf16(bytes, options);
    return;
  }
  const utf8 = new TextDecoder('utf-8'); // drops a leading BOM
  let cp1252: TextDecoder | undefined;
  let carry: Uint8Array = new Uint8Array(0);
  let offset = 0; // of carry[0] in the stream
  let sawUtf8 = false;
  /** Fails when Windows-1252 was assumed but `chunk` (at `at`) holds UTF-8: decoding it would mangle it. */
  const checkSingleByte = (chunk: Uint8Array, at: number): void => {
    const found = isAscii(chunk) ? -1 : utf8SequenceAt(chunk);
    if (found !== -1) {
      throw new BadInputError(
        `${name}: byte offset ${at + found}${note} holds UTF-8 text (${hex(chunk[found])} ${hex(chunk[found + 1])}), ` +
          'but earlier bytes were not UTF-8; the file mixes encodings — save it as UTF-8',
      );
    }
  };
  for await (const raw of bytes) {
    const chunk = carry.byteLength === 0 ? raw : Buffer.concat([carry, raw]);
    if (cp1252 !== undefined) {
      checkSingleByte(chunk, offset);
      offset += chunk.byteLength;
      const text = cp1252.decode(chunk, { stream: true });
      if (text !== '') yield text;
      continue;
    }
    const tail = incompleteTail(chunk);
    const whole = chunk.subarray(0, chunk.byteLength - tail);
    if (isUtf8(whole)) {
      if (!sawUtf8 && !isAscii(whole)) sawUtf8 = true;
      carry = chunk.slice(chunk.byteLength - tail);
      const text = utf8.decode(whole, { stream: true });
      offset += whole.byteLength;
      if (text !== '') yield text;
      continue;
    }
    const bad = firstInvalidUtf8(whole);
    if (sawUtf8 || !isAscii(whole.subarray(0, bad))) {
      throw new BadInputError(
        `${name}: invalid UTF-8 at byte offset ${offset + bad}${note} (byte ${hex(whole[bad])}) after valid UTF-8 text; ` +
          'the file mixes encodings or is corrupt — save it as UTF-8',
      );
    }
    checkSingleByte(chunk.subarray(bad), offset + bad);
    // ASCII reads the same in Windows-1252, so what was decoded so far stands.
    warnings.push(
      `${name} is not UTF-8 (byte ${hex(whole[bad])} at offset ${offset + bad}${note} is not valid UTF-8 and no UTF-8 text ` +
        'came before it); it was read as Windows-1252 (Latin-1)',
    );
    cp1252 = new TextDecoder('windows-1252');
    carry = new Uint8Array(0);
    const text = cp1252.decode(chunk, { stream: true });
    offset += chunk.byteLength;
    if (text !== '') yield text;
  }
  if (cp1252 === undefined && carry.byteLength > 0) {
    throw new BadInputError(
      `${name}: the text ends inside a UTF-8 character at byte offset ${offset}${note} (byte ${hex(carry[0])}); ` +
        'the file is truncated or not UTF-8',
    );
  }
  const last = (cp1252 ?? utf8).decode();
  if (last !== '') yield last;
}

async function* decodeUtf16(bytes: AsyncIterable<Uint8Array>, options: DecodeOptions) {
  const { name, detected } = options;
  const decoder = new TextDecoder(detected.encoding, { fatal: true, ignoreBOM: true });
  let skip = detected.bom;
  let offset = 0;
  for await (const raw of bytes) {
    let chunk = raw;
    if (skip > 0) {
      const cut = Math.min(skip, chunk.byteLength);
      chunk = chunk.subarray(cut);
      skip -= cut;
      offset += cut;
    }
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch (error) {
      throw new BadInputError(
        `${name}: invalid ${ENCODING_NAMES[detected.encoding]} (an unpaired surrogate) in the bytes from offset ${offset} to ${offset + chunk.byteLength}`,
        { cause: error },
      );
    }
    offset += chunk.byteLength;
    if (text !== '') yield text;
  }
  try {
    const last = decoder.decode();
    if (last !== '') yield last;
  } catch (error) {
    throw new BadInputError(
      `${name}: the ${ENCODING_NAMES[detected.encoding]} text ends mid-character at byte offset ${offset}; the file is truncated`,
      { cause: error },
    );
  }
}
