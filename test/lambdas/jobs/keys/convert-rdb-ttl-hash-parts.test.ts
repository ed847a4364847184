/**
 * Issue 55: a big hash with field TTLs (a Redis 7.4 type 24, a Valkey 9 type 22; 3 MB each, so the reader keeps it in
 * parts) converted for a Redis 7.0, which has no field TTLs, is written plain from the reader's parts
 * (write/ttl-hash-parts.ts) as a small one is (express.ts): fields whose TTL passed left out, a hash left without
 * fields left out and counted, live TTLs refused unless `--lossy field-ttl` names the loss. The real 7.0 loads the
 * output and holds every live field. For a target of the other fork that holds field TTLs (Valkey 9, Redis 7.4), the
 * live fields go with their TTLs in its form, read back from parts by the conversion's own proof.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { hashFieldTtls } from '../../../../lambdas/domain/rdb/write/source-forms.js';
import { convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { frameFile, type FramedKey, keysOf, redis24 } from '../../../support/rdb-newer.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';

const FIELDS = 3000;
const value = (i: number) => `${String(i).padStart(6, '0')}:${'v'.repeat(1000)}`;

/** A field's expiry: 0 (none), or absolute ms. */
type Field = readonly [name: string, value: string, expireAt: number];

/** Valkey 9's type 22: the count, per field its name, value and absolute expiry (-1: none). */
function valkey22(fields: readonly Field[]): Uint8Array {
  const out = new RdbOut(4 << 20).len(fields.length);
  for (const [f, v, t] of fields)
    out
      .string(Buffer.from(f))
      .string(Buffer.from(v))
      .int64(t === 0 ? -1 : t);
  return out.take();
}

describe('convertRdb: a big hash with field TTLs written plain from the reader’s parts (issue 55)', () => {
  let dir: string;
  const servers: RedisServer[] = [];
  const now = Date.now();
  const past = now - 3_600_000;
  const later = now + 30 * 86_400_000;
  /** `big:mixed`: a third expired, a third with a TTL to come, a third with none. `big:nottl`: expired or none. `big:allgone`. */
  const mixed: Field[] = Array.from({ length: FIELDS }, (_, i) => [`f${i}`, value(i), i % 3 === 0 ? past : i % 3 === 1 ? later : 0]);
  const nottl: Field[] = Array.from({ length: FIELDS }, (_, i) => [`f${i}`, value(i), i % 2 === 0 ? past : 0]);
  const allgone: Field[] = Array.from({ length: FIELDS }, (_, i) => [`f${i}`, value(i), past]);
  const live = (fields: readonly Field[]) => Object.fromEntries(fields.filter(([, , t]) => t === 0 || t >= now).map(([f, v]) => [f, v]));
  const files: Record<string, string> = {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-ttl-hash-parts-'));
    for (const [fork, magic, type, encode] of [
      ['redis', 'REDIS0012', 24, redis24],
      ['valkey', 'VALKEY080', 22, valkey22],
    ] as const) {
      const key = (name: string, fields: readonly Field[]): FramedKey => ({ db: 0, name, type, object: encode(fields), expireAtMs: null });
      const plain = { db: 0, name: 'plain', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null };
      files[fork] = join(dir, `${fork}.rdb`);
      const aux = fork === 'valkey' ? { 'valkey-ver': '9.0.0' } : { 'redis-ver': '7.4.0' };
      writeFileSync(files[fork], frameFile(magic, [plain, key('big:mixed', mixed), key('big:nottl', nottl), key('big:allgone', allgone)], [], aux));
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['redis', 'valkey'])(
    'a %s file → redis-7.0 --lossy field-ttl: the live fields of each, loaded by the real 7.0; without it the one with live TTLs refused, nothing written',
    async (fork) => {
      const output = join(dir, `${fork}-70.rdb`);
      const r = await convertRdb({ input: files[fork]!, output, ...convertTarget({ for: 'redis-7.0' }), lossy: parseLossy('field-ttl') });
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.keys).toBe(3);
      expect(r.expired).toMatchObject({ hashes: 1, fields: FIELDS / 3 + FIELDS / 2 + FIELDS });
      expect(r.lost['field-ttl']).toBe(1); // big:mixed: big:nottl has no live TTL to lose
      const server = await startRedisServer({ loadRdb: output });
      servers.push(server);
      const c = server.client();
      expect(await c.hgetall('big:mixed')).toEqual(live(mixed));
      expect(await c.hgetall('big:nottl')).toEqual(live(nottl));
      expect(await c.exists('big:allgone')).toBe(0);
      expect(await c.get('plain')).toBe('v');

      const refusedPath = join(dir, `${fork}-refused.rdb`);
      const refused = await convertRdb({ input: files[fork]!, output: refusedPath, ...convertTarget({ for: 'redis-7.0' }) });
      expect(refused.refusedCount).toBe(1);
      expect(refused.error).toMatch(
        /^1 key of the input cannot be expressed for redis-7\.0: big:mixed: a hash with 1000 field TTLs: RDB 10 has no field TTLs \(--lossy field-ttl/,
      );
      expect(existsSync(refusedPath)).toBe(false);
    },
    60_000,
  );

  /** The live fields of `fields` with their expiries as hashFieldTtls gives them (0: none). */
  const liveTtls = (fields: readonly Field[]) => {
    const kept = fields.filter(([, , t]) => t === 0 || t >= now);
    return { fields: kept.map(([f, v]) => [Buffer.from(f), Buffer.from(v)]), expireAt: kept.map(([, , t]) => t) };
  };

  it('to the other fork, which holds field TTLs: Redis 7.4 → Valkey 9 (type 22) → Redis 7.4 (type 24), the live fields with their TTLs each way', async () => {
    const valkey = join(dir, 'redis-to-valkey.rdb');
    const v = await convertRdb({ input: files.redis!, output: valkey, ...convertTarget({ for: 'valkey-9.0' }) });
    expect(v.error).toBeUndefined();
    expect(v.expired).toMatchObject({ hashes: 1, fields: FIELDS / 3 + FIELDS / 2 + FIELDS });
    const back = join(dir, 'valkey-to-redis.rdb');
    const r = await convertRdb({ input: valkey, output: back, ...convertTarget({ for: 'redis-7.4' }) });
    expect(r.error).toBeUndefined();
    for (const [path, type, valkeyFile] of [
      [valkey, 22, true],
      [back, 24, false],
    ] as const) {
      const keys = keysOf(readFileSync(path)).keys;
      const mixedKey = keys.find((k) => k.name === 'big:mixed')!;
      expect(mixedKey.type, path).toBe(type);
      expect(hashFieldTtls(Uint8Array.from([type, ...mixedKey.object, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), valkeyFile)).toEqual(liveTtls(mixed));
      // No live TTL left: a plain hash.
      expect(keys.find((k) => k.name === 'big:nottl')!.type, path).toBe(4);
      expect(keys.some((k) => k.name === 'big:allgone')).toBe(false);
    }
  }, 60_000);
});
