/**
 * The compliance API (HTTP API, IAM auth): `POST /requests` asks for a dataset under a policy and
 * answers 202 with the request id; `GET /requests/{requestId}` tells where it stands and, once the
 * gate has passed it, where the data and its evidence are. Errors map to statuses in one place.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { DatasetRequest, parseJson, type RunRecord } from '../../src/contracts.ts';
import { BadInputError, ContractError, DoppelError, NotFoundError } from '../../src/errors.ts';
import { readRun } from '../../src/pipeline/run-store.ts';
import { type StartDeps, startRun } from '../../src/pipeline/start-run.ts';
import { hash32 } from '../../src/random.ts';

type Event = APIGatewayProxyEventV2WithIAMAuthorizer;
type Result = APIGatewayProxyStructuredResultV2;

const json = (statusCode: number, body: unknown): Result => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** What a requester sees of a run: its state and, when done, where the evidence is. */
export const requestView = (run: RunRecord) => ({
  requestId: run.runId,
  dataset: run.dataset,
  status: run.status,
  policy: run.policy,
  rows: run.rows,
  ...(run.reason === undefined ? {} : { reason: run.reason }),
  ...(run.output === undefined
    ? {}
    : {
        output: {
          bucket: run.output.bucket,
          prefix: run.output.prefix,
          report: `${run.output.prefix}report.json`,
          reportHtml: `${run.output.prefix}report.html`,
          manifest: `${run.output.prefix}manifest.json`,
          ...(run.status === 'published' ? { data: `${run.output.prefix}data/` } : {}),
        },
      }),
  createdAt: run.createdAt,
  updatedAt: run.updatedAt,
});

const statusOf = (error: unknown): number => {
  if (error instanceof NotFoundError) return 404;
  if (error instanceof BadInputError || error instanceof ContractError) return 400;
  if (error instanceof DoppelError && error.transient) return 503;
  return 500;
};

export const makeHandler = (deps: StartDeps & { logger: Logger }) =>
  middy<Event, Result, Error, Context>()
    .use(injectLambdaContext(deps.logger))
    .handler(async (event) => {
      if (event?.requestContext?.http === undefined) {
        return json(400, { error: 'not an HTTP API request (payload format 2.0 expected)' });
      }
      const route = `${event.requestContext.http.method} ${event.rawPath}`;
      try {
        if (event.requestContext.http.method === 'POST' && event.rawPath === '/requests') {
          const text = event.isBase64Encoded
            ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
            : (event.body ?? '');
          const request = parseJson(DatasetRequest, text, 'request body');
          // An explicit seed makes the request idempotent; otherwise each call is a new run.
          const origin = request.seed === undefined ? event.requestContext.requestId : `seed:${request.seed}`;
          const requestedBy = event.requestContext.authorizer?.iam?.userArn;
          const { run, created } = await startRun(deps, {
            dataset: request.dataset,
            trigger: 'request',
            seed: request.seed ?? hash32(`${request.dataset}@${event.requestContext.requestId}`),
            policy: request.policy,
            origin,
            ...(request.rows === undefined ? {} : { rows: request.rows }),
            ...(requestedBy === undefined ? {} : { requestedBy }),
          });
          return json(created ? 202 : 200, requestView(run));
        }
        const id = event.pathParameters?.requestId;
        if (event.requestContext.http.method === 'GET' && id !== undefined) {
          if (!/^r-[0-9a-f]{16}$/.test(id)) throw new BadInputError(`request id ${id} is malformed`);
          const run = await readRun(deps.store, deps.buckets.work, id);
          if (run.trigger !== 'request') throw new NotFoundError(`request ${id} does not exist`);
          return json(200, requestView(run));
        }
        return json(404, { error: `no route ${route}` });
      } catch (error) {
        const status = statusOf(error);
        if (status >= 500) deps.logger.error('request failed', { route, error: error as Error });
        return json(status, { error: status === 500 ? 'internal error' : (error as Error).message });
      }
    });
