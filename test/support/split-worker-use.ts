import { inject } from 'vitest';
import { SPLIT_WORKER_GLOBAL } from '../../lambdas/domain/rdb/split-worker-global.js';

// Every split worker a test starts loads the bundle of this run's sources (test/support/split-worker-bundle.ts), as a
// Lambda's or the CLI's bundle tells the adapter where its worker is. Imported first by test/support/setup.ts: the
// adapter reads the global when it is loaded, before any test file imports it.
const bundle = inject('splitWorkerBundle');
if (bundle) (globalThis as Record<string, unknown>)[SPLIT_WORKER_GLOBAL] ??= bundle;
