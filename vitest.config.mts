import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The infrastructure tests: they load aws-cdk-lib (seconds of CPU per process) and synthesize apps. They run in
 * project `cdk` without isolation, so a worker loads the CDK once for all the files it runs and shares each
 * synth among them (test/support/synth.ts); test/support/setup.ts restores every mocked AWS client after each
 * file, and none of these files changes the environment, the working folder or process listeners.
 */
const CDK_TESTS = ['test/lib/**/*.test.ts'];

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
      { extends: true, test: { name: 'cdk', include: CDK_TESTS, isolate: false } },
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: CDK_TESTS } },
    ],
  },
});
