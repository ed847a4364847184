import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

/**
 * bin/redis-dr.cjs in a clone with no dist/ (not built yet) runs the CLI from its TypeScript sources through tsx, in a
 * child with tsx's hooks for both module systems. Before, it registered tsx's CommonJS hook alone and required
 * `./redis-dr.js`, which that hook does not map to the .ts beside it (nor would it serve bin/redis-dr.ts's import() of
 * the program): every command crashed with "Cannot find module './redis-dr.js'". The clone here: the repository's
 * sources and node_modules linked into a folder, bin/ copied, no dist/ and no release/.
 */
describe('the CLI from its sources when dist/ is missing', () => {
  let clone: string;
  beforeAll(() => {
    clone = mkdtempSync(join(tmpdir(), 'redis-dr-unbuilt-'));
    for (const name of ['cli', 'lambdas', 'node_modules', 'package.json', 'tsconfig.json']) symlinkSync(join(ROOT, name), join(clone, name));
    mkdirSync(join(clone, 'bin'));
    for (const name of ['redis-dr.cjs', 'redis-dr.ts']) copyFileSync(join(ROOT, 'bin', name), join(clone, 'bin', name));
  });
  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  /** `node <clone>/bin/redis-dr.cjs <args>` from the system's temporary folder (not the clone: tsx is found from the bin). */
  const run = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [join(clone, 'bin', 'redis-dr.cjs'), ...args],
        { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 },
        (_e, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
      );
    });

  it('says so and runs the command: verify-rdb of a fixture, exit 0', async () => {
    const r = await run('verify-rdb', join(ROOT, 'test', 'fixtures', 'rdb', 'encodings.rdb'));
    expect(r.stderr).toContain('redis-dr: dist/ is missing (run `npm run build` for a fast start); running from TypeScript sources');
    expect(r.stdout).toMatch(/^OK encodings\.rdb: RDB v\d+/);
    expect(r.status).toBe(0);
  }, 90_000);

  it("passes on the command's exit code: verify-rdb of a file that is not there, exit 2", async () => {
    const r = await run('verify-rdb', join(clone, 'none.rdb'));
    expect(r.stderr).toContain('none.rdb');
    expect(r.status).toBe(2);
  }, 90_000);
});
