import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/** Thrown when the invoked function ran and failed; keeps its error type and message. */
export class InvokedFunctionError extends Error {
  override readonly name: string = 'InvokedFunctionError';
}

/**
 * Invokes `functionName` synchronously (RequestResponse) with `payload` as
 * JSON and returns its answer parsed as JSON. A function error (the handler
 * threw) becomes an {@link InvokedFunctionError} naming `what`, the error
 * type and message; the SDK's own errors (denied, not found) pass through.
 */
export async function invokeJson(client: LambdaClient, functionName: string, payload: unknown, what: string): Promise<unknown> {
  const out = await client.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  if (out.FunctionError) {
    let detail = text;
    try {
      const body = JSON.parse(text) as { errorType?: string; errorMessage?: string };
      detail = `${body.errorType ?? 'Error'}: ${body.errorMessage ?? ''}`;
    } catch {
      // keep the raw text
    }
    throw new InvokedFunctionError(`${what} ${functionName} failed: ${detail.slice(0, 500)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvokedFunctionError(`${what} ${functionName} answered something that is not JSON: ${text.slice(0, 200)}`);
  }
}
