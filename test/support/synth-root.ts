import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * vitest globalSetup: one folder for every synth of the run (test/support/synth.ts
 * shares each synth within a worker, so no test may remove one), removed when the run ends.
 */
export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), 'redis-dr-synths-'));
  project.provide('synthRoot', root);
  return () => rmSync(root, { recursive: true, force: true });
}
