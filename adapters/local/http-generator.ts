/**
 * The Generator port over HTTP: the SageMaker hosting contract (`POST /invocations`) spoken to an
 * endpoint on loopback, as the local runtime's stand-in for InvokeEndpoint. Errors map as the
 * SageMaker adapter's do: unreachable, 5xx and 429 are transient; other 4xx are permanent.
 */
import { GenerateRequest, parse } from '../../src/contracts.ts';
import { PermanentError, TransientError } from '../../src/errors.ts';
import type { GeneratedRows, Generator } from '../../src/ports.ts';

export class HttpGenerator implements Generator {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/$/, '');
  }

  async generate(request: GenerateRequest): Promise<GeneratedRows> {
    const body = JSON.stringify(parse(GenerateRequest, request, 'generate request'));
    let response: Response;
    try {
      response = await fetch(`${this.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/csv' },
        body,
      });
    } catch (error) {
      throw new TransientError(`generator at ${this.url} is unreachable: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (response.ok) return { contentType: 'text/csv', body: text };
    const reason = `generator at ${this.url} answered ${response.status}: ${text.slice(0, 200)}`;
    if (response.status >= 500 || response.status === 429) throw new TransientError(reason);
    throw new PermanentError(reason);
  }
}
