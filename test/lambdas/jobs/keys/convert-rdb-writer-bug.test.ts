/**
 * The check that makes convert-rdb's output count: a writer that writes a
 * valid file holding another value (one member's byte changed in its
 * re-encoding, after the walk fed the digest: the file still passes the verifier) is caught by the
 * key-list digest, the key named, and nothing left at the output.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

const bug = vi.hoisted(() => ({ on: false }));
vi.mock('../../../../lambdas/domain/rdb/write/transcode.js', async (original) => {
  const real = await original<typeof import('../../../../lambdas/domain/rdb/write/transcode.js')>();
  return {
    ...real,
    transcodeListpacks: (...args: Parameters<typeof real.transcodeListpacks>) => {
      const type = real.transcodeListpacks(...args);
      // The last byte of the last value of a plain hash (the digest had the right one): a valid file, another value.
      const written = args[1].view();
      if (bug.on && type === 4) written[written.length - 1]! ^= 1;
      return type;
    },
  };
});

describe('convertRdb: a writer bug', () => {
  let server: RedisServer;
  let dir: string;
  let input: string;

  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    await c.set('plain', 'v');
    await c.hset('h', 'f1', 'v1', 'f2', 'v2');
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-bug-'));
    input = join(dir, 'in.rdb');
    writeFileSync(input, readFileSync(await bgsave(server, c)));
  }, 60_000);

  afterAll(async () => {
    bug.on = false;
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (out: string) => convertRdb({ input, output: join(dir, out), ...convertTarget({ for: 'redis-6.2' }) });

  it('without the bug the hash is re-encoded and the output verified', async () => {
    const r = await run('good.rdb');
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, reencoded: 1, asIs: 1 });
  });

  it('with it: refused, the key named, nothing left', async () => {
    bug.on = true;
    const r = await run('bad.rdb');
    bug.on = false;
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(
      /^the written file does not hold what the input holds \(key \d: input h \(db 0\) hash [0-9a-f]{64} no expiry, output h \(db 0\) hash [0-9a-f]{64} no expiry\): a bug in the writer; nothing was written to /,
    );
    expect(existsSync(join(dir, 'bad.rdb'))).toBe(false);
  });
});
