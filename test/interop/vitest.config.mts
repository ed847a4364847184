import { defineConfig } from 'vitest/config';
// biome-ignore lint/correctness/useImportExtensions: the JSON module is named with its own extension
import START_UP_ONLY_VARIABLES from '../support/start-up-variables.json' with { type: 'json' };

// As the suite's config does (vitest.config.mts): the processes the cases start without the variables that only slow a start.
for (const name of START_UP_ONLY_VARIABLES) delete process.env[name];

/**
 * The interop tier (test/interop/*.interop.ts): issue 55 against real newer engines, which `npm test` has not (its
 * machine has Redis 7.0 only). `npm run setup:newer-servers` builds them, `npm run test:interop` runs this
 * (docs/developing.md).
 */
export default defineConfig({
  test: {
    include: ['test/interop/**/*.interop.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
