import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { populate } from '../../../support/rdb-dataset.js';
import { frameFile, keysOf, listpack, moduleAux, moduleValueKey, newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { inWorker } from '../../support/in-process.js';

/**
 * verify-rdb's engines line on real files (issue 55 item 4): a redis-server
 * 7.0 file loads in every Valkey (no hint); the same keys under RDB 12's
 * header, and Redis 7.4's file with hash field TTLs, load in no Valkey as
 * they are: the line says Valkey 9.0+ needs `rdb-version-check relaxed` (Valkey 8.1's
 * relaxed check still refuses RDB 12 to 79, valkey-io/valkey#1604; 9.0 tries
 * them, #2543).
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

  it('an RDB 12 file: Redis 7.4 on, no Valkey as it is, and the relaxed hint naming the types Valkey lacks, or saying there are none; exit 0', async () => {
    const said = async (file: string) => {
      const r = await inWorker('verify-rdb', file);
      expect(r.status, r.stderr).toBe(0);
      return engines(r.stdout);
    };
    const head = '^engines: Redis ≥ 7\\.4, no Valkey \\(Valkey ≥ 9\\.0 needs `rdb-version-check relaxed` to load it';
    // Hashes with field TTLs (types 24, 25): where relaxed Valkey stops, named (review 45: said as "such as hash field TTLs" of every file).
    expect(await said(v12ttl)).toMatch(new RegExp(`${head}, and stops at the first key of a type it lacks: RDB types 24, 25 here\\)`));
    // Negative: an RDB 12 file of 7.0's types only holds none of them, and says so.
    expect(await said(v12)).toMatch(new RegExp(`${head}; the file holds no value type Valkey lacks \\(none from 22 on\\), so that most likely loads it\\)`));
  }, 60_000);

  it('judges by every key type, not the header: REDIS0010 over a type 20 set loads from 7.2 on, REDIS0009 over 7.0 listpacks from 7.0 on', async () => {
    const { keys } = keysOf(readFileSync(v10));
    const strings = keys.filter((k) => k.type === 0 && k.db === 0).slice(0, 5);
    const lp = listpack(['a', 'b', 7]);
    const v10type20 = join(dir, 'v10-type20.rdb');
    writeFileSync(
      v10type20,
      frameFile('REDIS0010', [...strings, { db: 0, name: 'lpset', type: 20, object: Uint8Array.from([lp.length, ...lp]), expireAtMs: null }]),
    );
    const r = await inWorker('verify-rdb', v10type20);
    expect(r.status, r.stderr).toBe(0);
    expect(engines(r.stdout)).toMatch(/^engines: Redis ≥ 7\.2, every Valkey from 7\.2;/);
    const v9listpacks = join(dir, 'v9-type17.rdb');
    const listpacks = [16, 17, 18].map((type, i) => ({ ...keys.find((k) => k.type === type)!, db: 0, name: `lp:${i}` }));
    expect(new Set(listpacks.map((k) => k.type))).toEqual(new Set([16, 17, 18]));
    writeFileSync(v9listpacks, frameFile('REDIS0009', [...strings, ...listpacks]));
    const nine = await inWorker('verify-rdb', v9listpacks);
    expect(nine.status, nine.stderr).toBe(0);
    expect(engines(nine.stdout)).toMatch(/^engines: Redis ≥ 7\.0,/);
    // Negative: strings alone under REDIS0009 load in every Redis of the table.
    const v9strings = join(dir, 'v9-strings.rdb');
    writeFileSync(v9strings, frameFile('REDIS0009', strings));
    expect(engines((await inWorker('verify-rdb', v9strings)).stdout)).toMatch(/^engines: every Redis from 5\.0,/);
  }, 60_000);

  it("negative: redis-server 7.0's own file loads in every Valkey: no hint", async () => {
    const r = await inWorker('verify-rdb', v10);
    expect(r.status).toBe(0);
    expect(engines(r.stdout)).toMatch(/^engines: Redis ≥ 7\.0, every Valkey from 7\.2;/);
    expect(r.stdout).not.toContain('relaxed');
  }, 60_000);

  it('module data (AUX or a module value): the line says the module must be loaded, and ElastiCache none; a real 7.0 without it refuses the file', async () => {
    const { keys } = keysOf(readFileSync(v10));
    const strings = keys.filter((k) => k.type === 0 && k.db === 0).slice(0, 3);
    const files = {
      aux: frameFile('REDIS0010', strings, [moduleAux('ReJSON-RL')]),
      value: frameFile('REDIS0010', [...strings, moduleValueKey(0, 'json:1', 'ReJSON-RL')]),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const path = join(dir, `module-${name}.rdb`);
      writeFileSync(path, bytes);
      const r = await inWorker('verify-rdb', path);
      expect(r.status, r.stderr).toBe(0);
      expect(engines(r.stdout)).toBe(
        'engines: Redis ≥ 7.0, every Valkey from 7.2, each only with module ReJSON-RL loaded; ' +
          'ElastiCache: none (it loads no module data; redis-dr convert-rdb --lossy module writes a copy without it)',
      );
      // What the line says: the real 7.0, no module loaded, does not start on it.
      await expect(startRedisServer({ loadRdb: path, readyTimeoutMs: 3000 })).rejects.toThrow();
    }
  }, 60_000);

  it('an RDB 11 file: ElastiCache Redis 7.1 said as not known, with the convert-rdb fix', async () => {
    const v11 = join(dir, 'v11.rdb');
    writeFileSync(v11, newerFiles(readFileSync(v10)).REDIS0011);
    const r = await inWorker('verify-rdb', v11);
    expect(engines(r.stdout)).toMatch(
      /ElastiCache: Redis 7\.1 not known \(it most likely reads RDB 10 only: redis-dr convert-rdb --for elasticache-redis-7\.1 writes a copy it loads\), every Valkey from 7\.2/,
    );
  }, 60_000);
});
