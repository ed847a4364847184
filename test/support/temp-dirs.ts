/**
 * Temporary folders of one test file, removed after its tests: the suite left hundreds of `redis-dr-*` folders in
 * the system's temporary folder a run (org synths, rules, call-as configs). Call {@link tempDirs} at the file's top
 * level (it registers the file's afterAll); the function it returns makes a folder wherever the file needs one.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

/**
 * What an `s3://` output of convert-rdb named `name` left in the system's temporary folder from process `pid` (this
 * one: the runs the test makes in its own process): its local temporary file (`.redis-dr-convert-<name>.<pid>-<hex>.tmp`,
 * output-file.ts) or a file under the staged name itself. Another process's temporary file of a same-named output (a
 * test file running beside this one) is not this run's.
 */
export function stagedLeftovers(name: string, pid: number = process.pid): string[] {
  const staged = `redis-dr-convert-${name}`;
  return readdirSync(tmpdir()).filter((f) => f === staged || f.startsWith(`.${staged}.${pid}-`));
}
