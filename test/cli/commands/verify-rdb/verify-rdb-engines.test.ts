import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { populate } from '../../../support/rdb-dataset.js';
import { frameFile, keysOf, newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { cli } from '../../support/run-cli.js';

/**
 * verify-rdb's engines line on real files (issue 55 item 4): a redis-server
 * 7.0 file loads in every Valkey (no hint); the same keys under RDB 12's
 * header, and Redis 7.4's file with hash field TTLs, load in no Valkey as
 * they are: the line says Valkey 8.1+ needs `rdb-version-check relaxed`.
 */
describe('verify-rdb: which engines load the file', () => {
  let server: RedisServer;
  let dir: string;
  let v10: string;
  let v12: string;
  let v12ttl: string;
  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const c = server.client();
    await populate(c);
    const bytes = readFileSync(await bgsave(server, c));
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-engines-'));
    v10 = join(dir, 'v10.rdb');
    v12 = join(dir, 'v12.rdb');
    v12ttl = join(dir, 'v12-ttl.rdb');
    writeFileSync(v10, bytes);
    const { keys, functions } = keysOf(bytes);
    writeFileSync(v12, frameFile('REDIS0012', keys, functions));
    writeFileSync(v12ttl, newerFiles(bytes).REDIS0012);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const engines = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('engines: ')) ?? '';

  it('an RDB 12 file: Redis 7.4 on, no Valkey as it is, and the relaxed hint; exit 0', async () => {
    for (const file of [v12, v12ttl]) {
      const r = await cli('verify-rdb', file);
      expect(r.status, r.stderr).toBe(0);
      expect(engines(r.stdout)).toMatch(
        /^engines: Redis ≥ 7\.4, no Valkey \(Valkey ≥ 8\.1 needs `rdb-version-check relaxed` to load it, and stops at a type it lacks/,
      );
    }
  }, 60_000);

  it("negative: redis-server 7.0's own file loads in every Valkey: no hint", async () => {
    const r = await cli('verify-rdb', v10);
    expect(r.status).toBe(0);
    expect(engines(r.stdout)).toMatch(/^engines: Redis ≥ 7\.0, every Valkey from 7\.2;/);
    expect(r.stdout).not.toContain('relaxed');
  }, 60_000);
});
