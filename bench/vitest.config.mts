import { defineConfig } from 'vitest/config';
// biome-ignore lint/correctness/useImportExtensions: the JSON module is named with its own extension
import START_UP_ONLY_VARIABLES from '../test/support/start-up-variables.json' with { type: 'json' };

// As the suite's config does (vitest.config.mts): the processes the cases start without the variables that only slow a
// start (NODE_EXTRA_CA_CERTS: about 1.8 MB of each child's peak here, which the memory cases measure).
for (const name of START_UP_ONLY_VARIABLES) delete process.env[name];

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
