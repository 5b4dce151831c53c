/**
 * Buckets as folders: `<root>/<bucket>/<key>`. Writes go to a temporary file and are renamed into
 * place (readers never see half an object); the conditional write links the temporary file, which
 * fails when the target exists, so it is atomic like S3's If-None-Match. Listeners hear every write,
 * as S3 event notifications would.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { NotFoundError, PermanentError, SeedChangedError } from '../../src/errors.ts';
import { type FilePin, type SeedLocation, sameFile } from '../../src/formats/byte-source.ts';
import type { ObjectInfo, ObjectStore, ObjectVersion, PutOptions } from '../../src/ports.ts';

/** A file's identity when it was hashed, and its MD5. */
type TaggedFile = FilePin & { etag: string };

export type ObjectCreatedListener = (bucket: string, info: ObjectInfo) => void;

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** Files whose entity tags are remembered (a few hundred bytes each). */
const TAGS_KEPT = 10_000;

/** Temporary files share the folder with objects; their names start with this and are never listed. */
const TEMP = '.doppel-tmp-';

export class FolderObjectStore implements ObjectStore {
  readonly root: string;
  private readonly listeners = new Set<ObjectCreatedListener>();
  /** Each file's entity tag (MD5, as S3 gives a single-part upload) by the identity it was hashed at. */
  private readonly tags = new Map<string, TaggedFile>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  onObjectCreated(listener: ObjectCreatedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The file behind an object; refuses keys that would escape the bucket folder. */
  pathOf(bucket: string, key: string): string {
    const base = resolve(this.root, bucket);
    const path = resolve(base, key);
    if (key === '' || !path.startsWith(base + sep))
      throw new PermanentError(`invalid object key: ${bucket}/${key}`);
    return path;
  }

  /**
   * The object's file: worker threads open it themselves. Of one version: the file's identity now,
   * once its content is that version's, so a thread that opens a file replaced since is refused.
   */
  async locate(bucket: string, key: string, version?: ObjectVersion): Promise<SeedLocation> {
    const path = this.pathOf(bucket, key);
    if (version === undefined) return { path };
    const { handle, file } = await this.openVersion(bucket, key, version);
    await handle.close();
    return { path, pin: { ino: file.ino, size: file.size, mtimeMs: file.mtimeMs } };
  }

  /** Opens the object's file, checked to be that version (its MD5 hashed once per file identity). */
  private async openVersion(
    bucket: string,
    key: string,
    version: ObjectVersion,
  ): Promise<{ handle: FileHandle; file: TaggedFile }> {
    const path = this.pathOf(bucket, key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`no object ${bucket}/${key}`);
      throw error;
    }
    try {
      const file = await this.tagged(path, handle);
      if (file.etag !== version.etag)
        throw new SeedChangedError(
          `${bucket}/${key} changed while this run read it: its entity tag is no longer ${version.etag} (a new upload makes a run of its own)`,
        );
      return { handle, file };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The open file's identity and MD5, the MD5 from the cache while the file is the one hashed. */
  private async tagged(path: string, handle: FileHandle): Promise<TaggedFile> {
    const { ino, size, mtimeMs } = await handle.stat();
    const pin = { ino, size, mtimeMs };
    const known = this.tags.get(path);
    if (known !== undefined && sameFile(known, pin)) return known;
    const hash = createHash('md5');
    for await (const chunk of handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 }))
      hash.update(chunk as Uint8Array);
    const file = { ...pin, etag: hash.digest('hex') };
    // The oldest entry goes once there are many: a long-running runtime hears every shard's write.
    this.tags.delete(path);
    if (this.tags.size >= TAGS_KEPT) this.tags.delete(this.tags.keys().next().value!);
    this.tags.set(path, file);
    return file;
  }

  async get(bucket: string, key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathOf(bucket, key)));
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`no object ${bucket}/${key}`);
      throw error;
    }
  }

  async getStream(bucket: string, key: string, version?: ObjectVersion): Promise<AsyncIterable<Uint8Array>> {
    // The stream reads the file opened and checked: a replacement after that is another file.
    if (version !== undefined)
      return (await this.openVersion(bucket, key, version)).handle.createReadStream({
        start: 0,
        highWaterMark: 256 * 1024,
      });
    const path = this.pathOf(bucket, key);
    try {
      await stat(path);
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`no object ${bucket}/${key}`);
      throw error;
    }
    return createReadStream(path, { highWaterMark: 256 * 1024 });
  }

  private async writeTemp(
    path: string,
    body: Uint8Array | string | AsyncIterable<Uint8Array>,
  ): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const temp = join(dirname(path), `${TEMP}${randomUUID()}`);
    await writeFile(temp, body);
    return temp;
  }

  private async notify(bucket: string, key: string): Promise<void> {
    if (this.listeners.size === 0) return;
    const info = await this.head(bucket, key);
    if (info === undefined) return;
    for (const listener of this.listeners) listener(bucket, info);
  }

  async put(bucket: string, key: string, body: Uint8Array | string, _options?: PutOptions): Promise<void> {
    const path = this.pathOf(bucket, key);
    await rename(await this.writeTemp(path, body), path);
    await this.notify(bucket, key);
  }

  async putStream(
    bucket: string,
    key: string,
    body: AsyncIterable<Uint8Array>,
    _options?: PutOptions,
  ): Promise<void> {
    const path = this.pathOf(bucket, key);
    await rename(await this.writeTemp(path, body), path);
    await this.notify(bucket, key);
  }

  async putIfAbsent(
    bucket: string,
    key: string,
    body: Uint8Array | string,
    _options?: PutOptions,
  ): Promise<boolean> {
    const path = this.pathOf(bucket, key);
    const temp = await this.writeTemp(path, body);
    try {
      await link(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
    await this.notify(bucket, key);
    return true;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(bucket, key);
    try {
      const info = await stat(path);
      if (!info.isFile()) return undefined;
      const handle = await open(path, 'r');
      try {
        const { size, etag } = await this.tagged(path, handle);
        return { key, size, etag };
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async list(bucket: string, prefix: string): Promise<ObjectInfo[]> {
    const base = resolve(this.root, bucket);
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP)) continue;
        const path = join(dir, entry.name);
        const key = relative(base, path).split(sep).join('/');
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix))
            await walk(path);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          const info = await stat(path);
          // A change tag, not the content hash head() gives: listing stays cheap for many shards.
          out.push({ key, size: info.size, etag: `${info.size}-${Math.floor(info.mtimeMs)}` });
        }
      }
    };
    await walk(base);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
