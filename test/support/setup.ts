import 'aws-sdk-client-mock-vitest/extend';
// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22+); Node 20 lacks it.
import '../../demo/polyfills.js';
import { afterAll, afterEach, expect, vi } from 'vitest';
import { collectCalls, registerStub, releaseStubs, settleCalls } from './aws-calls.js';

// Every mocked AWS client is registered, so the calls the job tests make are recorded (test/support/aws-calls.ts).
vi.mock('aws-sdk-client-mock', async (importOriginal) => {
  const real = await importOriginal<typeof import('aws-sdk-client-mock')>();
  return {
    ...real,
    mockClient: ((client: any, options?: any) => {
      const stub = real.mockClient(client, options);
      registerStub(client, stub);
      return stub;
    }) as typeof real.mockClient,
  };
});

afterEach(() => collectCalls(expect.getState().testPath));
afterAll(() => {
  try {
    settleCalls(expect.getState().testPath);
  } finally {
    releaseStubs();
  }
});
