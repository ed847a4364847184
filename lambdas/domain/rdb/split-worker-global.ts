/**
 * The global through which a bundle tells where the split worker's own file
 * is (set in the bundle's banner: the Lambda's `index.js`, the CLI's
 * `release/cli/`), read by adapters/host/split-worker-start.ts: inside a
 * bundle, a module's `__filename` is the bundle's, not the worker's. A module
 * of its own, so that what reads it loads nothing else (the CLI starts the
 * worker before it loads its commands).
 */
export const SPLIT_WORKER_GLOBAL = '__redisDrSplitWorker';
