import {
  InternalDependencyException,
  InternalFailure,
  InvokeEndpointCommand,
  ModelError,
  ModelNotReadyException,
  SageMakerRuntimeClient,
  SageMakerRuntimeServiceException,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SageMakerGenerator } from '../../../adapters/aws/sagemaker-generator.ts';
import { type GenerateRequest, ModelArtifact } from '../../../src/contracts.ts';
import { ContractError, PermanentError, TransientError } from '../../../src/errors.ts';

const ENDPOINT = 'doppel-generator';
const smMock = mockClient(SageMakerRuntimeClient);
const client = new SageMakerRuntimeClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 's' },
});
const generator = new SageMakerGenerator({ client, endpointName: ENDPOINT });

/** A one-column categorical model; the category label is distinctive so a leak would be visible. */
const model = ModelArtifact.parse({
  version: 1,
  kind: 'gaussian-copula',
  columns: [
    {
      name: 'plan',
      kind: 'categorical',
      nullRate: 0,
      marginal: {
        type: 'categorical',
        categories: ['zebra-plan', 'basic'],
        probs: [0.4, 0.6],
        suppressed: 0,
      },
    },
  ],
  copula: { members: [], correlation: [] },
  settings: { trainRows: 100, rareCategoryMin: 5, seed: 1 },
});
const request: GenerateRequest = { model, rows: 3, seed: 42, shard: 2 };

beforeEach(() => smMock.reset());

describe('SageMakerGenerator.generate', () => {
  it('invokes the endpoint with the request as JSON and returns the CSV it answers', async () => {
    // Prepare
    smMock.on(InvokeEndpointCommand).resolves({
      ContentType: 'text/csv',
      Body: new TextEncoder().encode('plan\nbasic\nzebra-plan\nbasic\n') as never,
    });

    // Act
    const rows = await generator.generate(request);

    // Assess
    expect(rows).toEqual({ contentType: 'text/csv', body: 'plan\nbasic\nzebra-plan\nbasic\n' });
    const input = smMock.commandCalls(InvokeEndpointCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      EndpointName: ENDPOINT,
      ContentType: 'application/json',
      Accept: 'text/csv',
    });
    expect(JSON.parse(new TextDecoder().decode(input?.Body as Uint8Array))).toEqual(request);
  });

  it('rejects an invalid request before calling the endpoint', async () => {
    // Prepare
    const bad = { rows: 3, seed: 42, shard: 2 } as GenerateRequest; // neither model nor modelUri

    // Act
    const result = generator.generate(bad);

    // Assess
    await expect(result).rejects.toThrow(ContractError);
    expect(smMock.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
  });

  it('refuses an answer that is not CSV', async () => {
    // Prepare
    smMock.on(InvokeEndpointCommand).resolves({
      ContentType: 'application/json',
      Body: new TextEncoder().encode('{}') as never,
    });

    // Act
    const result = generator.generate(request);

    // Assess
    await expect(result).rejects.toThrow(ContractError);
  });

  const meta = (status: number) => ({ $metadata: { httpStatusCode: status }, message: 'AWS said no' });
  const generic = (name: string, status: number) =>
    new SageMakerRuntimeServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      ...meta(status),
    });

  it.each([
    ['ThrottlingException', () => generic('ThrottlingException', 400)],
    ['ServiceUnavailable', () => new ServiceUnavailable(meta(503))],
    ['InternalFailure', () => new InternalFailure(meta(500))],
    ['ModelNotReadyException', () => new ModelNotReadyException(meta(429))],
    ['InternalDependencyException', () => new InternalDependencyException(meta(530))],
    ['SomethingNew', () => generic('SomethingNew', 502)],
    ['ModelError', () => new ModelError({ ...meta(424), OriginalStatusCode: 503 })],
    ['ECONNRESET', () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['TimeoutError', () => Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
  ])('maps %s to TransientError naming the endpoint', async (name, make) => {
    // Prepare
    smMock.on(InvokeEndpointCommand).rejects(make());

    // Act
    const error = await generator.generate(request).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain(ENDPOINT);
    expect((error as Error).message).toContain(name);
  });

  it.each([
    ['ValidationError', () => new ValidationError(meta(400))],
    ['ModelError', () => new ModelError({ ...meta(424), OriginalStatusCode: 400 })],
    ['AccessDeniedException', () => generic('AccessDeniedException', 403)],
    ['SomethingNew', () => generic('SomethingNew', 404)],
  ])('maps %s to PermanentError naming the endpoint', async (name, make) => {
    // Prepare
    smMock.on(InvokeEndpointCommand).rejects(make());

    // Act
    const error = await generator.generate(request).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain(ENDPOINT);
    expect((error as Error).message).toContain(name);
  });

  it('never puts the request body in the error message, even when the model echoes it', async () => {
    // Prepare
    const body = JSON.stringify(request);
    smMock.on(InvokeEndpointCommand).rejects(
      new ModelError({
        $metadata: { httpStatusCode: 424 },
        message: `Received client error (400) from primary with message "cannot parse ${body}"`,
        OriginalStatusCode: 400,
        OriginalMessage: `cannot parse ${body}`,
      }),
    );

    // Act
    const error = await generator.generate(request).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain('ModelError');
    expect((error as Error).message).toContain('400');
    expect((error as Error).message).not.toContain('zebra-plan');
    expect((error as Error).message).not.toContain(body);
  });
});
