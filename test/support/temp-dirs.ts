/**
 * Temporary folders of one test file, removed after its tests: the suite left hundreds of `redis-dr-*` folders in
 * the system's temporary folder a run (org synths, rules, call-as configs). Call {@link tempDirs} at the file's top
 * level (it registers the file's afterAll); the function it returns makes a folder wherever the file needs one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function tempDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
