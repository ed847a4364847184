import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { lambdaProbe, ProbeFailedError } from '../../../../lambdas/adapters/aws/probe-invoke.js';

const lambda = mockClient(LambdaClient);
const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)) as never;
const INPUT = { host: 'h', port: 6379, tls: true, clusterMode: 'disabled' as const, canary: 'c' };

describe('lambdaProbe', () => {
  beforeEach(() => lambda.reset());
  afterAll(() => lambda.restore());

  it('invokes the probe synchronously with the input and returns its result', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ canary: 'c', keys: 7 }) });
    await expect(lambdaProbe(new LambdaClient({ region: 'eu-west-1' }), 'probe-fn')(INPUT)).resolves.toEqual({ canary: 'c', keys: 7 });
    const call = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(call.FunctionName).toBe('probe-fn');
    expect(call.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(call.Payload as Uint8Array))).toEqual(INPUT);
  });

  it.each([
    [
      'a function error',
      { FunctionError: 'Unhandled', Payload: encode({ errorType: 'ReplyError', errorMessage: 'NOAUTH Authentication required.' }) },
      /probe probe-fn failed: ReplyError: NOAUTH/,
    ],
    ['an unexpected result', { Payload: encode({ ok: true }) }, /unexpected result/],
  ])('throws ProbeFailedError on %s', async (_what, reply, message) => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, ...reply });
    const probe = lambdaProbe(new LambdaClient({ region: 'eu-west-1' }), 'probe-fn');
    await expect(probe(INPUT)).rejects.toThrow(ProbeFailedError);
    await expect(probe(INPUT)).rejects.toThrow(message);
  });
});
