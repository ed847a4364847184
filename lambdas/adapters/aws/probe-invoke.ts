import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ProbeInput, ProbeResult } from '../../domain/plans/probe.js';

/** Runs the probe (a Lambda in the caches' VPC) and returns what it found. */
export type ProbeInvoker = (input: ProbeInput) => Promise<ProbeResult>;

/** Thrown when the probe function ran and failed; keeps its error type and message. */
export class ProbeFailedError extends Error {
  override readonly name = 'ProbeFailedError';
}

/**
 * A {@link ProbeInvoker} calling `functionName` synchronously. The snapshot
 * Lambda stays outside the VPC (it needs the ElastiCache API); only the
 * probe runs where Redis is reachable.
 */
export function lambdaProbe(client: LambdaClient, functionName: string): ProbeInvoker {
  return async (input) => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(input)) }),
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
      throw new ProbeFailedError(`probe ${functionName} failed: ${detail.slice(0, 500)}`);
    }
    const result = JSON.parse(text) as ProbeResult;
    if (typeof result?.keys !== 'number' || typeof result.canary !== 'string') {
      throw new ProbeFailedError(`probe ${functionName} returned an unexpected result: ${text.slice(0, 200)}`);
    }
    return result;
  };
}
