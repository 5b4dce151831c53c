/**
 * Generator on a SageMaker real-time endpoint (hosting contract: POST /invocations). The request is
 * validated before it leaves, the answer must be CSV, and failures name the endpoint and the AWS
 * error, never the request body (it carries the model).
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { GenerateRequest, parse } from '../../src/contracts.ts';
import { ContractError } from '../../src/errors.ts';
import type { GeneratedRows, Generator } from '../../src/ports.ts';
import { toDoppelError } from './errors.ts';

export interface SageMakerGeneratorOptions {
  client: SageMakerRuntimeClient;
  endpointName: string;
}

export class SageMakerGenerator implements Generator {
  private readonly client: SageMakerRuntimeClient;
  private readonly endpointName: string;

  constructor(options: SageMakerGeneratorOptions) {
    this.client = options.client;
    this.endpointName = options.endpointName;
  }

  async generate(request: GenerateRequest): Promise<GeneratedRows> {
    const valid = parse(GenerateRequest, request, `generate request for shard ${request?.shard}`);
    const what = `SageMaker endpoint ${this.endpointName} (shard ${valid.shard})`;
    let response: { Body?: Uint8Array; ContentType?: string };
    try {
      response = await this.client.send(
        new InvokeEndpointCommand({
          EndpointName: this.endpointName,
          ContentType: 'application/json',
          Accept: 'text/csv',
          Body: new TextEncoder().encode(JSON.stringify(valid)),
        }),
      );
    } catch (error) {
      throw toDoppelError(error, what);
    }
    const contentType = response.ContentType ?? 'text/csv';
    if (!/^text\/csv\b/i.test(contentType)) {
      throw new ContractError(`${what} answered ${contentType}, expected text/csv`);
    }
    return { contentType: 'text/csv', body: new TextDecoder().decode(response.Body ?? new Uint8Array()) };
  }
}
