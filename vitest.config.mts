import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Test files that run without isolation (project `shared`): a worker runs many of them in one process, so each
 * file's imports (the AWS SDK, ioredis, aws-cdk-lib) load once per worker, not once per file.
 * - test/lib: the infrastructure tests load aws-cdk-lib (seconds of CPU per process) and synthesize apps; a worker
 *   loads the CDK once for all the files it runs and shares each synth among them (test/support/synth.ts).
 * - test/lambdas, test/cli, test/docs, test/repo: the code under test imports the same modules file after file;
 *   a process per file was mostly start-up (measured, CPU-s user+sys: test/lambdas/adapters/aws 11.7 -> 6.3).
 * None of these files may leave the environment, the working folder, process listeners or timers changed:
 * test/support/setup.ts restores every mocked AWS client after each file and fails a file of this project
 * that leaves an environment variable or the working folder changed: restore them in afterAll/afterEach. Measured earlier (CPU-s, user+sys, on a loaded machine):
 * the 23 files test/lib/*.test.ts + test/lib/constructs/*.test.ts 175.8 -> 92.5; 46 domain files 40.5 -> 23.6.
 */
const SHARED = ['test/lib/**/*.test.ts', 'test/lambdas/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/docs/**/*.test.ts', 'test/repo/**/*.test.ts'];
export default defineConfig({
  // examples/embedded imports the construct as a team would (`redis-dr/cdk`); here that is the repository's source.
  resolve: { alias: { 'redis-dr/cdk': fileURLToPath(new URL('./lib/index.ts', import.meta.url)) } },
  test: {
    setupFiles: ['test/support/setup.ts'],
    // One folder for every synth of the run, removed at its end (synths are shared, so no test removes one).
    globalSetup: ['test/support/synth-root.ts'],
    // Infrastructure tests synthesize whole apps; real-Redis tests start servers.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Three on this 2-core machine: the real-server, child-process and CLI tests wait on I/O for much of
    // their time, so a third worker fills the idle core (measured: whole suite 267 s with 2, 228 s with 3).
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'shared', include: SHARED, isolate: false, provide: { sharedWorker: true } } },
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: SHARED, provide: { sharedWorker: false } } },
    ],
  },
});
