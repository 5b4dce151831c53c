/**
 * The generator over the SageMaker hosting contract: `GET /ping` answers 200 when ready,
 * `POST /invocations` takes `{model | modelUri, rows, seed, shard}` and answers the rows as CSV.
 * This is what `doppel serve-generator` runs and what the local runtime calls on loopback; the GPU
 * container serves the same contract on SageMaker.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GenerateRequest, ModelArtifact, parse, parseJson } from '../../src/contracts.ts';
import { DoppelError, errorMessage } from '../../src/errors.ts';
import type { ObjectStore } from '../../src/ports.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { toCsv } from '../../src/table.ts';

/** SageMaker refuses request payloads over 6 MiB; so do we, before reading further. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new DoppelError('TOO_LARGE', 'request body exceeds 6 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

export interface GeneratorServerOptions {
  /** Resolves `modelUri` (s3://bucket/key) when a request names its model instead of carrying it. */
  store?: ObjectStore;
}

export const createGeneratorServer = (options: GeneratorServerOptions = {}): Server =>
  createServer(async (request, response) => {
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    try {
      if (request.method === 'GET' && request.url === '/ping')
        return send(200, 'application/json', '{"status":"ok"}');
      if (request.method !== 'POST' || request.url !== '/invocations') {
        return send(
          404,
          'application/json',
          JSON.stringify({ error: `no route ${request.method} ${request.url}` }),
        );
      }
      const invocation = parseJson(GenerateRequest, await readBody(request), 'invocation body');
      let model = invocation.model;
      if (model === undefined) {
        const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(invocation.modelUri ?? '');
        if (match === null || options.store === undefined) {
          return send(
            400,
            'application/json',
            JSON.stringify({ error: `cannot resolve modelUri ${invocation.modelUri}` }),
          );
        }
        const text = new TextDecoder().decode(await options.store.get(match[1]!, match[2]!));
        model = parse(ModelArtifact, JSON.parse(text), invocation.modelUri ?? 'model');
      }
      const table = sampleShard(model, {
        rows: invocation.rows,
        seed: invocation.seed,
        shard: invocation.shard,
        ...(invocation.where === undefined ? {} : { where: invocation.where }),
      });
      return send(200, 'text/csv', toCsv(table));
    } catch (error) {
      const status =
        error instanceof DoppelError && !error.transient ? (error.code === 'TOO_LARGE' ? 413 : 400) : 500;
      return send(status, 'application/json', JSON.stringify({ error: errorMessage(error) }));
    }
  });

/** Starts the server on loopback; port 0 picks a free one. Resolves with its base URL. */
export const listen = (server: Server, port = 0, host = '127.0.0.1'): Promise<string> =>
  new Promise((resolveUrl, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolveUrl(`http://${host}:${address.port}`);
    });
  });
