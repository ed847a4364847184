/**
 * Expiries past 2^53 ms (a PEXPIREAT far off: 2^63 - 1 is a "never" some applications set) carried exactly, where a
 * double rounds them (review 45: 2^53 + 1 was written and restored as 2^53, 2^62 + 1 restored 95 ms off while
 * convert-rdb, migrate --verify and compare called them exact, and 2^63 - 1 overflowed the writer). The file is a
 * real server's BGSAVE; each expiry is read back from a real server with redis-cli, whose integers are exact.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { runInProcess } from '../../../cli/support/in-process.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** Each key and the expiry it is saved with (none for `e`). */
const EXPIRIES: Readonly<Record<string, string | undefined>> = {
  a: '9007199254740993', // 2^53 + 1
  b: '4611686018427387905', // 2^62 + 1
  c: '9223372036854775807', // 2^63 - 1
  d: '9223372036854775000',
  e: undefined,
  f: '1893456000000', // 2030: a double holds it
};

/** Every key's PEXPIRETIME as redis-cli prints it (exact), -1 without one. */
const expiries = (port: number): Record<string, string> =>
  Object.fromEntries(Object.keys(EXPIRIES).map((k) => [k, execFileSync('redis-cli', ['-p', String(port), 'PEXPIRETIME', k], { encoding: 'utf8' }).trim()]));
const SAVED = Object.fromEntries(Object.entries(EXPIRIES).map(([k, at]) => [k, at ?? '-1']));

describe('expiries past 2^53 ms, carried exactly', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdr-far-expiry-'));
    [source, target] = await Promise.all([startRedisServer(), startRedisServer()]);
    const c = source.client();
    for (const [k, at] of Object.entries(EXPIRIES)) {
      await c.set(k, `value of ${k}`);
      if (at !== undefined) await c.call('PEXPIREAT', k, at);
    }
    expect(expiries(source.port)).toEqual(SAVED);
    file = await bgsave(source, c);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the key reader gives the exact expiry beside the rounded one, only where the double rounds it', () => {
    const reader = new RdbKeyReader();
    const keys = reader.push(readFileSync(file));
    expect(reader.end().ok).toBe(true);
    const exact = Object.fromEntries(keys.map((k) => [k.name.toString(), k.expireAtExact?.toString()]));
    expect(exact).toEqual({ a: EXPIRIES.a, b: EXPIRIES.b, c: EXPIRIES.c, d: EXPIRIES.d, e: undefined, f: undefined });
  });

  it.each(['redis-7.0', 'redis-6.2'])('convert-rdb --for %s: the output loads with every expiry as saved', async (engine) => {
    const out = join(dir, `far-${engine}.rdb`);
    const r = await runInProcess(['convert-rdb', file, '--for', engine, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const loaded = await startRedisServer({ loadRdb: out });
    try {
      expect(expiries(loaded.port)).toEqual(SAVED);
    } finally {
      await loaded.stop();
    }
  });

  it('migrate --from-rdb --verify: RESTORE sets every expiry as saved, and the verification says EQUAL of what is equal', async () => {
    await target.client().flushall();
    const r = await runInProcess(['migrate', '--from-rdb', file, '--to', target.url, '--verify', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, copied: 6, verify: { equal: true } });
    expect(expiries(target.port)).toEqual(SAVED);
  });
});
