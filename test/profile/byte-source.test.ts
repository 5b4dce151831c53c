import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError, SeedChangedError } from '../../src/errors.ts';
import { type ByteSource, HttpRangeSource, withHead } from '../../src/formats/byte-source.ts';
import { openParquetSeed } from '../../src/formats/read-seed.ts';
import { profileFile, profileRanges } from '../../src/profile/profile-seed.ts';
import { vegaCsv, vegaRecords } from '../helpers/vega.ts';

/** An HTTP server answering range requests for named byte arrays, as S3 does for a presigned GET. */
const rangeServer = (objects: Record<string, Uint8Array>) => {
  const requests: string[] = [];
  /** Paths answered 503 from their nth request on (n counted from 1). */
  const failing = new Map<string, number>();
  const server = createServer((req, res) => {
    const body = objects[req.url ?? ''];
    requests.push(`${req.url} ${req.headers.range ?? 'whole'}`);
    // Every object's entity tag is its path; If-Match another one is refused, as S3 does.
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== `"${req.url}"`) {
      res.writeHead(412, 'Precondition Failed').end();
      return;
    }
    const failFrom = failing.get(req.url ?? '');
    if (failFrom !== undefined && requests.filter((r) => r.startsWith(`${req.url} `)).length >= failFrom) {
      res.writeHead(503, 'Slow Down').end();
      return;
    }
    if (body === undefined) {
      res.writeHead(403, 'Forbidden').end();
      return;
    }
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (match === null) {
      res.writeHead(200, { 'content-length': body.length }).end(body);
      return;
    }
    const start = Number(match[1]);
    if (start >= body.length) {
      res.writeHead(416, 'Range Not Satisfiable').end();
      return;
    }
    res.writeHead(206, {
      'content-length': body.length - start,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
    });
    res.end(body.subarray(start));
  });
  return { server, requests, failing };
};

describe('profiling a seed read by HTTP range requests', () => {
  const csv = Buffer.from(vegaCsv('flights-200k.json'));
  const jsonl = Buffer.from(
    vegaRecords('flights-200k.json')
      .slice(0, 60_000)
      .map((record) => JSON.stringify(record))
      .join('\n'),
  );
  const objects: Record<string, Uint8Array> = {
    '/flights.csv': csv,
    '/flights.jsonl': jsonl,
    '/tiny.csv': Buffer.from('a,b\n1,2\n'),
  };
  const { server, requests, failing } = rangeServer(objects);
  let base: string;
  let path: string;
  let jsonlPath: string;
  let parquetPath: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => (server as Server).listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'doppel-ranges-'));
    path = join(dir, 'flights.csv');
    writeFileSync(path, csv);
    jsonlPath = join(dir, 'flights.jsonl');
    writeFileSync(jsonlPath, jsonl);
    // The same flights as Parquet in row groups of 25,000 rows (eight groups).
    parquetPath = join(dir, 'flights.parquet');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(
      `COPY (SELECT * FROM read_csv_auto('${path}')) TO '${parquetPath}' (FORMAT parquet, ROW_GROUP_SIZE 25000)`,
    );
    objects['/flights.parquet'] = readFileSync(parquetPath);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('gives exactly the profile of the same bytes as a file, chunks scanned on worker threads', async () => {
    // Prepare: 1 MiB chunks, so the 4.4 MB table is five ranges over two threads.
    const options = { seed: 5, chunkBytes: 1 << 20, threads: 2 };
    requests.length = 0;

    // Act
    const file = await profileFile(path, 'flights.csv', options);
    const ranged = await profileRanges(
      { url: `${base}/flights.csv` },
      csv.length,
      'flights.csv',
      options,
      () => {
        throw new Error('the fast path should not give up on this table');
      },
    );

    // Assess
    expect(ranged.profile).toEqual(file.profile);
    expect(ranged.train).toEqual(file.train);
    expect(ranged.holdout).toEqual(file.holdout);
    // The head from byte 0 (the header is read from it), then one request per chunk (the first from
    // the header's end).
    expect(requests.filter((r) => r.endsWith('bytes=0-'))).toEqual(['/flights.csv bytes=0-']);
    const chunkRequests = requests.filter((r) => !r.endsWith('bytes=0-'));
    expect(chunkRequests).toHaveLength(5);
    expect(chunkRequests.every((r) => /^\/flights\.csv bytes=\d+-$/.test(r))).toBe(true);
  });

  it('profiles JSON Lines by ranges as the file, each range read by its own request', async () => {
    // Prepare: 512 KiB chunks over about 4 MB of lines.
    const options = { seed: 5, chunkBytes: 1 << 19, threads: 2 };
    requests.length = 0;
    // Act
    const file = await profileFile(jsonlPath, 'flights.jsonl', options);
    const ranged = await profileRanges(
      { url: `${base}/flights.jsonl` },
      jsonl.length,
      'flights.jsonl',
      options,
      () => {
        throw new Error('JSON Lines should be read in ranges');
      },
    );
    // Assess
    expect(ranged.profile).toEqual(file.profile);
    expect(ranged.profile.rows).toBe(60_000);
    expect(ranged.profile.source.format).toBe('jsonl');
    expect(ranged.train).toEqual(file.train);
    const chunkRequests = requests.filter((r) => /^\/flights\.jsonl bytes=[1-9]\d*-$/.test(r));
    expect(chunkRequests.length).toBeGreaterThanOrEqual(Math.floor(jsonl.length / (1 << 19)));
  });

  it('profiles Parquet by ranges where it lies, row groups on worker threads, as the file and never spooled', async () => {
    // Prepare: chunks of about 300,000 cells, so the eight row groups make several chunks.
    const options = { seed: 5, chunkBytes: 2 << 20, threads: 2 };
    const size = objects['/flights.parquet']!.length;
    const spools = async () => (await readdir(tmpdir())).filter((f) => f.startsWith('doppel-spool-'));
    const spooledBefore = await spools();
    requests.length = 0;

    // Act
    const file = await profileFile(parquetPath, 'flights.parquet', options);
    const ranged = await profileRanges(
      { url: `${base}/flights.parquet` },
      size,
      'flights.parquet',
      options,
      () => {
        throw new Error('Parquet should be read by ranges');
      },
    );
    const reader = await openParquetSeed({ url: `${base}/flights.parquet` }, 'flights.parquet', size);
    const rows: unknown[][] = [];
    for await (const batch of reader.batches()) rows.push(...batch);

    // Assess: the file's profile and samples, from ranged requests alone
    expect(ranged.profile).toEqual(file.profile);
    expect(ranged.profile.rows).toBe(200_000);
    expect(ranged.profile.source).toMatchObject({ format: 'parquet', bytes: size });
    expect(ranged.train).toEqual(file.train);
    expect(ranged.holdout).toEqual(file.holdout);
    expect(rows).toHaveLength(200_000);
    expect(rows[0]).toHaveLength(ranged.profile.columns.length);
    expect(requests.every((r) => /^\/flights\.parquet bytes=\d+-$/.test(r))).toBe(true);
    // The head, the footer, and where each of the (three) chunks' row groups start.
    expect(new Set(requests).size).toBeGreaterThanOrEqual(5);
    expect(await spools()).toEqual(spooledBefore);
  });

  it('fails a Parquet read whose request fails with that error, not as a corrupt file (the pipeline retries it)', async () => {
    // Prepare: the footer's request answered, every later one refused
    objects['/flaky.parquet'] = objects['/flights.parquet']!;
    failing.set('/flaky.parquet', 2);
    const size = objects['/flaky.parquet']!.length;

    // Act
    const reader = await openParquetSeed({ url: `${base}/flaky.parquet` }, 'flaky.parquet', size);
    const error = await (async () => {
      for await (const _ of reader.batches());
    })().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BadInputError);
    expect((error as Error).message).toMatch(/reading \/flaky\.parquet from byte \d+: HTTP 503 Slow Down/);
  });

  it('reads in order from one request, starts another where a read jumps, and is empty past the end', async () => {
    // Prepare
    const source = new HttpRangeSource(`${base}/tiny.csv`);
    const past = new HttpRangeSource(`${base}/tiny.csv`);
    const buffer = new Uint8Array(16);
    requests.length = 0;

    // Act
    const reads = [
      await source.read(buffer, 0, 2, 0),
      await source.read(buffer, 2, 2, 2),
      await source.read(buffer, 4, 3, 5),
      await source.read(buffer, 7, 4, 8),
      await past.read(buffer, 8, 4, 8),
    ];
    await source.close();
    await past.close();

    // Assess
    expect(reads.map((r) => r.bytesRead)).toEqual([2, 2, 3, 0, 0]);
    expect(Buffer.from(buffer.subarray(0, 7)).toString()).toBe('a,b\n,2\n');
    expect(requests).toEqual(['/tiny.csv bytes=0-', '/tiny.csv bytes=5-', '/tiny.csv bytes=8-']);
  });

  it('sends the entity tag it was pinned to, and says the seed changed when the server refuses it (412)', async () => {
    // Prepare
    const same = new HttpRangeSource(`${base}/tiny.csv`, '"/tiny.csv"');
    const changed = new HttpRangeSource(`${base}/tiny.csv?X-Amz-Signature=abc`, '"an older tag"');
    const buffer = new Uint8Array(8);

    // Act
    const read = await same.read(buffer, 0, 8, 0);
    await same.close();
    const refused = changed.read(buffer, 0, 8, 0);

    // Assess
    expect(read.bytesRead).toBe(8);
    await expect(refused).rejects.toBeInstanceOf(SeedChangedError);
    await expect(new HttpRangeSource(`${base}/tiny.csv`, '"old"').read(buffer, 0, 8, 0)).rejects.toThrow(
      /reading \/tiny\.csv from byte 0: the object changed while this run read it \(HTTP 412/,
    );
  });

  it('names the object and the status when the server refuses', async () => {
    // Prepare
    const source = new HttpRangeSource(`${base}/expired.csv?X-Amz-Signature=abc`);

    // Act / Assess
    await expect(source.read(new Uint8Array(4), 0, 4, 0)).rejects.toThrow(
      /reading \/expired\.csv from byte 0: HTTP 403 Forbidden/,
    );
  });
});

describe('withHead', () => {
  /** A source over `bytes` that counts its opens and reads. */
  const counted = (bytes: Uint8Array) => {
    const calls = { opens: 0, reads: 0, closes: 0 };
    const open = async (): Promise<ByteSource> => {
      calls.opens++;
      return {
        read: async (buffer, offset, length, position) => {
          calls.reads++;
          const n = Math.max(0, Math.min(length, bytes.length - position));
          buffer.set(bytes.subarray(position, position + n), offset);
          return { bytesRead: n };
        },
        close: async () => {
          calls.closes++;
        },
      };
    };
    return { calls, open };
  };

  it('reads the bytes it was given from memory, and opens the source only for what lies past them', async () => {
    // Prepare: 10 bytes of which the first 4 were read already
    const bytes = Buffer.from('abcdefghij');
    const { calls, open } = counted(bytes);
    const source = withHead(bytes.subarray(0, 4), false, open);
    const buffer = Buffer.alloc(8);

    // Act
    const first = await source.read(buffer, 0, 8, 0);
    const opensAfterHead = calls.opens;
    const rest = await source.read(buffer, first.bytesRead, 8 - first.bytesRead, first.bytesRead);
    await source.close();

    // Assess: the head alone first (a short read), then the rest from the source, opened once and closed
    expect(first.bytesRead).toBe(4);
    expect(opensAfterHead).toBe(0);
    expect(rest.bytesRead).toBe(4);
    expect(buffer.toString()).toBe('abcdefgh');
    expect(calls).toEqual({ opens: 1, reads: 1, closes: 1 });
  });

  it('is at its end past a head that holds every byte, without opening the source', async () => {
    // Prepare
    const { calls, open } = counted(Buffer.from('abc'));
    const source = withHead(Buffer.from('abc'), true, open);

    // Act
    const past = await source.read(Buffer.alloc(4), 0, 4, 3);
    await source.close();

    // Assess
    expect(past.bytesRead).toBe(0);
    expect(calls).toEqual({ opens: 0, reads: 0, closes: 0 });
  });
});
