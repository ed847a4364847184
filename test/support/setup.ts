import 'aws-sdk-client-mock-vitest/extend';
// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22+); Node 20 lacks it.
import '../../demo/polyfills.js';
import { afterAll, afterEach, beforeAll, expect, inject, vi } from 'vitest';
import { collectCalls, registerStub, releaseStubs, settleCalls } from './aws-calls.js';
import { bytesEqual } from './bytes-equality.js';
import { envBeforeFile } from './env.js';

// Buffers and byte arrays compared at once, not index by index (test/support/bytes-equality.ts).
expect.addEqualityTesters([bytesEqual]);

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

// Files of project `shared` (vitest.config.mts) run one after another in the same process. The environment is taken here, before the test file's own imports
// run, and put back after the file whatever happened; a file whose tests leave a variable or the working folder
// changed fails (code under test that sets defaults when it loads, as the Lambda entry points do, is only put back).
if (inject('sharedWorker')) {
  const beforeImports = { ...process.env } as Record<string, string>;
  envBeforeFile.value = beforeImports;
  let env = '';
  let cwd = '';
  beforeAll(() => {
    env = JSON.stringify(process.env);
    cwd = process.cwd();
  });
  afterAll(() => {
    const before = JSON.parse(env) as Record<string, string>;
    const changed = [...new Set([...Object.keys(before), ...Object.keys(process.env)])].filter((k) => before[k] !== process.env[k]);
    for (const k of Object.keys(process.env)) if (!(k in beforeImports)) delete process.env[k];
    Object.assign(process.env, beforeImports);
    if (changed.length > 0 || process.cwd() !== cwd) {
      throw new Error(
        `${expect.getState().testPath} left ${changed.length > 0 ? `environment variable(s) ${changed.join(', ')} changed` : `the working folder at ${process.cwd()}`}: ` +
          'restore them in afterAll/afterEach, or move the file to project `default` (isolated) in vitest.config.mts',
      );
    }
  });
}

afterEach(() => collectCalls(expect.getState().testPath));
afterAll(() => {
  try {
    settleCalls(expect.getState().testPath);
  } finally {
    releaseStubs();
  }
});
