import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliWithEnv } from './support/run-cli.js';

/**
 * Every command's start loads the program's command definitions (cli/program.ts), each command's action and the
 * clients it uses only when that command runs. A definition that imported a constant from a heavy module loaded the
 * whole module with it: the serve limit brought the value reader and its WebAssembly codecs, the page formats the
 * integrations' renderers, the `--for` names the RDB format tables; every command's start cost about 55 ms more
 * CPU (`redis-dr --version`: 170-190 ms against 120-130 with the constants in modules of their own,
 * lambdas/domain/serve/max-value-bytes.ts, lambdas/domain/alerting/page-formats.ts, lambdas/domain/rdb/engine-names.ts).
 */
describe('a command start loads no heavy module for the definitions', () => {
  let dir: string;
  let hook: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-start-'));
    hook = join(dir, 'modules.cjs');
    // At exit: the project's modules loaded (node_modules aside), as paths from dist/.
    writeFileSync(
      hook,
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(join(dir, 'loaded.json'))}, JSON.stringify(Object.keys(require.cache).filter((k) => !k.includes('node_modules')).map((k) => k.replace(/^.*?[\\\\/]dist[\\\\/]/, '').replaceAll('\\\\', '/')))));\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The project's modules `redis-dr <args>` loaded, and its exit status. */
  async function loaded(...args: string[]): Promise<{ status: number | null; modules: string[] }> {
    const r = await cliWithEnv({ NODE_OPTIONS: `--require ${hook}` }, ...args);
    return { status: r.status, modules: JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[] };
  }

  /** The families a definition must not bring: the RDB reader, its codecs and tables, the key reader, the page renderers. */
  const heavy = (modules: readonly string[]) =>
    modules.filter((m) => /^lambdas\/(domain\/rdb\/(format|codecs)\/|domain\/rdb\/(keys|engines)\.js$|jobs\/alerting\/|domain\/alerting\/render-)/.test(m));

  it('--version loads the definitions and none of those', async () => {
    const r = await loaded('--version');
    expect(r.status).toBe(0);
    expect(r.modules).toContain('cli/program.js');
    expect(r.modules).toEqual(expect.arrayContaining(['lambdas/domain/serve/max-value-bytes.js', 'lambdas/domain/rdb/engine-names.js']));
    expect(heavy(r.modules)).toEqual([]);
  });

  it('the probe sees them where a command loads them: verify-rdb reads a file with the RDB reader', async () => {
    const r = await loaded('verify-rdb', join(__dirname, '..', 'fixtures', 'rdb', 'encodings.rdb'));
    expect(r.status).toBe(0);
    expect(heavy(r.modules)).toEqual(expect.arrayContaining(['lambdas/domain/rdb/keys.js', 'lambdas/domain/rdb/format/parser.js']));
  });
});
