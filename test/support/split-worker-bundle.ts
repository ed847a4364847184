import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The split worker bundled from this run's sources (test/support/split-worker-bundle.ts). */
    splitWorkerBundle: string;
  }
}

const ROOT = join(__dirname, '..', '..');

/**
 * vitest globalSetup: the split worker (lambdas/adapters/host/rdb-split-worker.ts) bundled by esbuild from the
 * sources, once per run, as the Lambda's and the CLI's bundles ship it beside them; test/support/split-worker-use.ts
 * has every worker of the run start it. A worker thread started from the TypeScript file registers tsx and loads its
 * module graph through it: about 0.19 CPU-s a start, 0.06 from one bundled file, and the two-thread verification
 * tests start hundreds. Built from the sources at every run's start, so never older than them.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-split-worker-'));
  const file = join(dir, 'rdb-split-worker.cjs');
  buildSync({
    entryPoints: [join(ROOT, 'lambdas', 'adapters', 'host', 'rdb-split-worker.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    outfile: file,
  });
  project.provide('splitWorkerBundle', file);
  return () => rmSync(dir, { recursive: true, force: true });
}
