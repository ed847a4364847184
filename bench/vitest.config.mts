import { defineConfig } from 'vitest/config';

/**
 * The benchmarks written as vitest suites (bench/**\/*.test.ts: cases that pass or fail as tests do, on data sets too
 * heavy for `npm test`), run one file at a time in a process of its own: `npx vitest run --config bench/vitest.config.mts [filter]`.
 */
export default defineConfig({
  test: {
    include: ['bench/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
