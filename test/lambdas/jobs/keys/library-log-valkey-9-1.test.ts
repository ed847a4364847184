/**
 * A library calling log at its top level: Valkey 9.1 aborts loading it (luaLogCommand asserts a run context a load
 * never sets, lua-load.ts), where every other release judged loads it. A Valkey 9.1.2 built from its source aborted,
 * "script_lua.c:1425 'rctx' is not true", on FUNCTION LOAD of such a library and when started on a file a Redis 7.0
 * saved with it; none is installed here. So convert-rdb --for valkey-9.1 refuses the file before writing anything
 * (--lossy function leaves the library out: the keys written, the library not; a 9.1.2 started on such an output with
 * both, and aborted on the same file written --for valkey-8.1 with its library), and migrate --from-rdb --functions
 * into a Valkey 9.1 target refuses it before writing anything: the target is a real Redis 7.0 behind a proxy whose
 * INFO adds `valkey_version:9.1.2` (what the tool judges a target's release from).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../../cli/support/in-process.js';
import { savedWithLibraries } from '../../../support/function-load.js';
import { type InfoProxy, startValkeyFronts, type ValkeyFronts } from '../../../support/info-proxy.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';

const LIBRARY = "#!lua name=logs\nredis.log(redis.LOG_NOTICE, 'logs loading')\nredis.register_function('f', function() return 1 end)";
const ABORTS =
  "function library 'logs': Valkey 9.1 aborts loading a library that calls log at its top level (user_function:2; an assertion in luaLogCommand, src/modules/lua/script_lua.c)";

/** A real server's keys and libraries once it loaded the file at `path`. */
async function loaded(path: string): Promise<{ keys: string[]; libraries: number }> {
  const server = await startRedisServer({ loadRdb: path, readyTimeoutMs: 3000 });
  try {
    const c = server.client();
    return { keys: await c.keys('*'), libraries: ((await c.call('FUNCTION', 'LIST')) as unknown[]).length };
  } finally {
    await server.stop();
  }
}

describe('a library calling log at its top level: refused for Valkey 9.1 (it aborts), written and restored for the others', () => {
  let dir: string;
  let file: string;
  let fronts: ValkeyFronts;
  let target: RedisServer;
  let valkey91: InfoProxy;
  let valkey81: InfoProxy;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdr-log-91-'));
    file = join(dir, 'logs.rdb');
    writeFileSync(file, await savedWithLibraries([LIBRARY]));
    fronts = await startValkeyFronts();
    ({ target, valkey91, valkey81 } = fronts);
  });
  afterAll(async () => {
    await fronts?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const convert = async (engine: string, ...more: string[]) => {
    const out = join(dir, `${engine}${more.join('')}.rdb`);
    rmSync(out, { force: true });
    const r = await runInProcess(['convert-rdb', file, '--for', engine, '-o', out, ...more]);
    return { code: r.code, stderr: r.stderr, out, written: existsSync(out) };
  };

  it('convert-rdb --for valkey-9.1 refuses it in one line, writing nothing; --lossy function writes the keys without it', async () => {
    const refused = await convert('valkey-9.1');
    expect({ code: refused.code, written: refused.written, stderr: refused.stderr.trim().split('\n') }).toEqual({
      code: 1,
      written: false,
      stderr: [
        `redis-dr convert-rdb: the input cannot be expressed for valkey-9.1: ${ABORTS} (--lossy function leaves it out); nothing was written to ${refused.out}`,
      ],
    });
    const lossy = await convert('valkey-9.1', '--lossy', 'function');
    expect({ code: lossy.code, written: lossy.written }, lossy.stderr).toEqual({ code: 0, written: true });
    // A VALKEY080 file (no 7.0 here reads it): the keys in it, no library (a Valkey 9.1.2 started on such an output with both).
    const verified = JSON.parse((await runInProcess(['verify-rdb', lossy.out, '--json'])).stdout) as { ok: boolean; keys: number; functionLibraries: number };
    expect({ ok: verified.ok, keys: verified.keys, libraries: verified.functionLibraries }).toEqual({ ok: true, keys: 1, libraries: 0 });
    // Negative: every other release judged loads it; the file is written with its library.
    for (const engine of ['redis-7.0', 'redis-8.6', 'valkey-8.0', 'valkey-8.1']) {
      const ok = await convert(engine);
      expect({ engine, code: ok.code, written: ok.written, stderr: ok.stderr }).toEqual({ engine, code: 0, written: true, stderr: '' });
    }
    expect(await loaded(join(dir, 'redis-7.0.rdb'))).toEqual({ keys: ['k'], libraries: 1 });
    const written81 = JSON.parse((await runInProcess(['verify-rdb', join(dir, 'valkey-8.1.rdb'), '--json'])).stdout) as { functionLibraries: number };
    expect(written81.functionLibraries).toBe(1);
  });

  it('migrate --from-rdb --functions into a Valkey 9.1 target refuses it before writing; without --functions the keys go', async () => {
    const c = target.client();
    await c.flushall();
    await c.call('FUNCTION', 'FLUSH');
    const refused = await runInProcess(['migrate', '--from-rdb', file, '--to', valkey91.url, '--functions']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `error: the file is refused, nothing was written: ${ABORTS}, and the target is valkey 9.1.2: leave out --functions to restore the keys alone`,
    );
    expect({ keys: await c.dbsize(), libraries: await c.call('FUNCTION', 'LIST') }).toEqual({ keys: 0, libraries: [] });
    const keys = await runInProcess(['migrate', '--from-rdb', file, '--to', valkey91.url]);
    expect(keys.code, keys.stderr).toBe(0);
    expect(keys.stdout).toContain(`functions: 1 library in the file, not restored (the target would not load ${ABORTS})`);
    expect({ keys: await c.keys('*'), libraries: await c.call('FUNCTION', 'LIST') }).toEqual({ keys: ['k'], libraries: [] });
    // Negative: into a Valkey 8.1 target (the same proxy, another release), and into the 7.0 itself, the library is restored.
    for (const url of [valkey81.url, target.url]) {
      await c.flushall();
      await c.call('FUNCTION', 'FLUSH');
      const ok = await runInProcess(['migrate', '--from-rdb', file, '--to', url, '--functions']);
      expect(ok.code, `${url}: ${ok.stdout}${ok.stderr}`).toBe(0);
      expect(await c.call('FUNCTION', 'LIST')).toHaveLength(1);
    }
  });
});
