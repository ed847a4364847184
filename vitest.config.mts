import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // examples/embedded imports the construct as a team would (`redis-dr/cdk`); here that is the repository's source.
  resolve: { alias: { 'redis-dr/cdk': fileURLToPath(new URL('./lib/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Infrastructure tests synthesize whole apps; real-Redis tests start servers.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Three on this 2-core machine: the real-server, child-process and CLI tests wait on I/O for much of
    // their time, so a third worker fills the idle core (measured: whole suite 267 s with 2, 228 s with 3).
    maxWorkers: 3,
  },
});
