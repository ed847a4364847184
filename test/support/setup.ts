// First: the split worker's bundle, before anything loads the adapter that reads where it is.
import './split-worker-use.js';
import { join } from 'node:path';
import 'aws-sdk-client-mock-vitest/extend';
// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22+); Node 20 lacks it.
import '../../demo/polyfills.js';
import { afterAll, afterEach, beforeAll, expect, inject, vi } from 'vitest';
import { collectCalls, registerStub, releaseStubs, settleCalls } from './aws-calls.js';
import { bytesEqual } from './bytes-equality.js';
import { recordCpuPerFile } from './cpu-recorder.js';

/** The module of aws-cdk-lib that keeps the temporary cloud assembly folders (see the afterAll below). */
const CLOUD_ASSEMBLY = join('@aws-cdk', 'cloud-assembly-api', 'lib', 'cloud-assembly.js');

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

// Files of project `shared` (vitest.config.mts) run one after another in the same process: each must leave the
// environment variables and the working folder as it found them, or the next file would run in its leftovers.
if (inject('sharedWorker')) {
  let env = '';
  let cwd = '';
  beforeAll(() => {
    env = JSON.stringify(process.env);
    cwd = process.cwd();
  });
  afterAll(() => {
    const before = JSON.parse(env) as Record<string, string>;
    const changed = [...new Set([...Object.keys(before), ...Object.keys(process.env)])].filter((k) => before[k] !== process.env[k]);
    if (changed.length > 0 || process.cwd() !== cwd) {
      throw new Error(
        `${expect.getState().testPath} left ${changed.length > 0 ? `environment variable(s) ${changed.join(', ')} changed` : `the working folder at ${process.cwd()}`}: ` +
          'restore them in afterAll/afterEach, or list the file in ISOLATED (project `default`, a process per file) in vitest.config.mts',
      );
    }
  });
}

// aws-cdk-lib removes the temporary folder of every App made without an outdir (/tmp/cdk.out*) only when the
// process exits, which a vitest worker does not reach cleanly: they piled up by the hundred in the temp folder.
// Removed after each file that loaded aws-cdk-lib (a file done with its apps; shared synths have folders of their own).
afterAll(() => {
  const loaded = Object.keys(require.cache).find((f) => f.endsWith(CLOUD_ASSEMBLY));
  if (loaded) (require(loaded) as typeof import('aws-cdk-lib/cx-api')).CloudAssembly.cleanupTemporaryDirectories();
});

afterEach(() => collectCalls(expect.getState().testPath));
afterAll(() => {
  try {
    settleCalls(expect.getState().testPath);
  } finally {
    releaseStubs();
  }
});

// REDIS_DR_TEST_CPU=<file>: a line of CPU-s per test file (test/support/cpu-recorder.ts). After hooks run in reverse:
// it counts the test file's own afterAll (servers stopped), none of the clean-up above.
if (process.env.REDIS_DR_TEST_CPU) recordCpuPerFile(process.env.REDIS_DR_TEST_CPU);
