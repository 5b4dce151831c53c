/**
 * The one place AWS errors become core errors. Every AWS adapter funnels its failures through
 * `toDoppelError`, so no AWS exception type escapes an adapter and retry-or-park is decided once:
 * throttling, 5xx, model-not-ready and network failures are transient; validation, access and other
 * 4xx are permanent; a missing object is NotFound.
 */
import { DoppelError, NotFoundError, PermanentError, TransientError } from '../../src/errors.ts';

/** Error names (S3, SQS, SageMaker runtime, smithy) that say "busy or briefly down, try again". */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  // S3
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'OperationAborted',
  'ConditionalRequestConflict',
  // SQS
  'RequestThrottled',
  'KmsThrottled',
  // SageMaker runtime
  'ThrottlingException',
  'InternalFailure',
  'ModelNotReadyException',
  'InternalDependencyException',
  'InternalStreamFailure',
  // generic AWS / smithy
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestTimeoutException',
  'TimeoutError',
  'NetworkingError',
]);

/** Node and undici codes of a connection that failed or dropped before an answer came back. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const NOT_FOUND_NAMES: ReadonlySet<string> = new Set(['NoSuchKey', 'NotFound']);

/** The fields of an AWS SDK v3 service exception (or a Node network error) this module reads. */
interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  OriginalStatusCode?: unknown;
  LogStreamArn?: unknown;
}

/** The AWS error name of a failure ('NoSuchKey', 'ThrottlingException', …), or 'Error'. */
export const awsErrorName = (error: unknown): string => {
  const e = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  return typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
};

/** The HTTP status the service answered with, when there was an answer. */
export const httpStatusOf = (error: unknown): number | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as AwsErrorShape).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
};

const MAX_DETAIL = 300;

const describe = (e: AwsErrorShape, name: string, status: number | undefined): string => {
  const parts = [name];
  if (typeof e.code === 'string' && e.code !== name) parts.push(e.code);
  if (status !== undefined) parts.push(`HTTP ${status}`);
  if (name === 'ModelError') {
    // The model container's message may echo the request (data); say where its logs are instead.
    if (typeof e.OriginalStatusCode === 'number') parts.push(`model answered ${e.OriginalStatusCode}`);
    if (typeof e.LogStreamArn === 'string') parts.push(`logs: ${e.LogStreamArn}`);
    return parts.join(', ');
  }
  const message = typeof e.message === 'string' ? e.message.trim() : '';
  const detail = message.length > MAX_DETAIL ? `${message.slice(0, MAX_DETAIL)}…` : message;
  return detail === '' || detail === name ? parts.join(', ') : `${parts.join(', ')}: ${detail}`;
};

const isTransientFailure = (e: AwsErrorShape, name: string, status: number | undefined): boolean => {
  if (name === 'ModelError') {
    // The model container's own status decides: a 4xx means our request was wrong, a 5xx it fell over.
    return typeof e.OriginalStatusCode === 'number' && e.OriginalStatusCode >= 500;
  }
  if (TRANSIENT_NAMES.has(name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (status !== undefined) return status >= 500 || status === 429;
  // No answer at all, but the SDK says retrying may help (a socket or timeout failure).
  return e.$retryable !== undefined && e.$retryable !== null;
};

/**
 * Maps any failure of an AWS call to a core error. `what` names the call and its target without
 * payloads, e.g. `S3 GetObject s3://work/runs/r-…/model.json` or `SageMaker endpoint doppel-gen`.
 * A DoppelError passes through unchanged.
 */
export const toDoppelError = (error: unknown, what: string): DoppelError => {
  if (error instanceof DoppelError) return error;
  const e = (
    typeof error === 'object' && error !== null ? error : { message: String(error) }
  ) as AwsErrorShape;
  const name = awsErrorName(error);
  const status = httpStatusOf(error);
  const message = `${what} failed: ${describe(e, name, status)}`;
  const options = { cause: error };
  if (NOT_FOUND_NAMES.has(name)) return new NotFoundError(message, options);
  if (isTransientFailure(e, name, status)) return new TransientError(message, options);
  return new PermanentError(message, options);
};
