import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ProbeInput, ProbeResult } from '../../domain/plans/probe.js';
import { InvokedFunctionError, invokeJson } from './lambda-invoke.js';

/** Runs the probe (a Lambda in the caches' VPC) and returns what it found. */
export type ProbeInvoker = (input: ProbeInput) => Promise<ProbeResult>;

/** Thrown when the probe function ran and failed; keeps its error type and message. */
export class ProbeFailedError extends InvokedFunctionError {
  override readonly name: string = 'ProbeFailedError';
}

/**
 * A {@link ProbeInvoker} calling `functionName` synchronously. The snapshot
 * Lambda stays outside the VPC (it needs the ElastiCache API); only the
 * probe runs where Redis is reachable.
 */
export function lambdaProbe(client: LambdaClient, functionName: string): ProbeInvoker {
  return async (input) => {
    const result = (await invokeJson(client, functionName, input, 'probe').catch((err: unknown) => {
      throw err instanceof InvokedFunctionError ? new ProbeFailedError(err.message) : err;
    })) as ProbeResult;
    if (typeof result?.keys !== 'number' || typeof result.canary !== 'string') {
      throw new ProbeFailedError(`probe ${functionName} returned an unexpected result: ${JSON.stringify(result).slice(0, 200)}`);
    }
    return result;
  };
}
