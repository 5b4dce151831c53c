/** A seed as a stream of small chunks, so every token boundary falls between chunks somewhere. */
export async function* chunked(data: string | Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}
