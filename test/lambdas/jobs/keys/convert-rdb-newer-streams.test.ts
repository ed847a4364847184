import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import type { LossKind } from '../../../../lambdas/domain/rdb/write/losses.js';
import { convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { verifyRdbKeys } from '../../../../lambdas/jobs/keys/verify.js';
import { migrateFromRdb } from '../../../../lambdas/jobs/keys/migrate-rdb.js';
import { FileReencoding } from '../../../../lambdas/jobs/keys/reencode.js';
import { frameFile, keysOf, streamWithActiveTime } from '../../../support/rdb-newer.js';
import { bgsave, serverPool } from '../../../support/redis-server.js';
import { digests } from '../../../support/stream-ids.js';
import { heldStream, IDMP_TAIL, newerStreamObject } from '../../../support/stream-newer.js';

describe('convertRdb of Redis 8.6/8.8 streams (RDB types 26, 27) into older engines (issue 55)', () => {
  const pool = serverPool();
  const { load } = pool;
  let dir: string;
  /** RDB 14: `s` a type 27 whose group g has 2-0 and 3-0 NACKed (1-0, 4-0 and 5-0 owned by c), `t` a type 26; a string beside. */
  let input: string;
  /** What a 7.0 holds of it once the NACKed entries are left out of the PEL: the same keys after XACK g 2-0 3-0. */
  let expected: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-newer-streams-'));
    const source = await pool.start();
    const c = source.client();
    for (let i = 1; i <= 5; i++) await c.xadd('s', `${i}-0`, 'f', String(i));
    await c.xgroup('CREATE', 's', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 's', '>');
    // Groups at the stream's end or start: what RDB 9 derives of a type 15 is what they hold (no --lossy stream-ids).
    await c.xgroup('CREATE', 's', 'h', '$', 'ENTRIESREAD', '5');
    for (let i = 1; i <= 3; i++) await c.xadd('t', `${i}-0`, 'a', String(i));
    await c.xgroup('CREATE', 't', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'd', 'STREAMS', 't', '>');
    await c.set('plain', 'v');
    const { keys } = keysOf(readFileSync(await bgsave(source, c)));
    const object = (name: string) => streamWithActiveTime(keys.find((k) => k.name === name)!.object, 1n);
    const newer = keys.map((k) =>
      k.name === 's'
        ? { ...k, type: 27, object: newerStreamObject(object('s'), 27, IDMP_TAIL, new Set(['2-0', '3-0'])) }
        : k.name === 't'
          ? { ...k, type: 26, object: newerStreamObject(object('t'), 26, IDMP_TAIL) }
          : k,
    );
    input = join(dir, 'newer.rdb');
    writeFileSync(input, frameFile('REDIS0014', newer, [], { 'redis-ver': '8.8.0' }));
    await c.xack('s', 'g', '2-0', '3-0');
    expected = join(dir, 'expected.rdb');
    writeFileSync(expected, readFileSync(await bgsave(source, c)));
  }, 60_000);

  afterAll(async () => {
    await pool.stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const held = heldStream;

  it('refuses them without --lossy stream-nacks and stream-idmp, naming each key and what it would lose; nothing written', async () => {
    const output = join(dir, 'refused.rdb');
    const r = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }) });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^2 keys of the input cannot be expressed for redis-7\.0: /);
    expect(r.error).toContain(
      's: a Redis 8.8 stream (RDB type 27) with NACKed entries (group g: 2), pending entries no consumer owns, which an older server cannot hold (--lossy stream-nacks leaves them out of the PEL); and idempotent-producer data (IDMP duration 60 s, max entries 50, 1 producer with 1 id)',
    );
    expect(r.error).toContain('t: a Redis 8.6 stream (RDB type 26) with idempotent-producer data (IDMP duration 60 s, max entries 50, 1 producer with 1 id)');
    expect(existsSync(output)).toBe(false);
    // One kind named is not enough for s.
    const half = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }), lossy: parseLossy('stream-idmp') });
    expect(half.error).toMatch(
      /^1 key of the input cannot be expressed for redis-7\.0: s: a Redis 8\.8 stream \(RDB type 27\) with NACKed entries \(group g: 2\)/,
    );
    expect(existsSync(output)).toBe(false);
  }, 30_000);

  it.each(['redis-7.0', 'redis-6.2'])(
    '--for %s with both kinds: loaded by 7.0, every key equal to the source with the NACKed entries acknowledged',
    async (engine) => {
      const output = join(dir, `out-${engine}.rdb`);
      const r = await convertRdb({ input, output, ...convertTarget({ for: engine }), lossy: parseLossy('stream-nacks,stream-idmp') });
      expect(r.error).toBeUndefined();
      expect(r.lost).toEqual({ 'stream-nacks': 1, 'stream-idmp': 2 });
      const out = await load(output);
      const want = await load(expected);
      for (const key of ['s', 't']) expect(await held(out, key)).toEqual(await held(want, key));
      expect((await held(out, 's')).pending).toEqual([
        ['1-0', 'c', 1],
        ['4-0', 'c', 1],
        ['5-0', 'c', 1],
      ]);
      expect(await out.client().get('plain')).toBe('v');
      expect(digests(output)).toEqual(digests(expected));
    },
    30_000,
  );

  it.each(['redis-7.2', 'valkey-8.0'])(
    "--for %s (reads type 21) with both kinds: each written as the type 21 it holds, consumers' active times kept, the NACKed entries acknowledged",
    async (engine) => {
      const output = join(dir, `out-${engine}.rdb`);
      const r = await convertRdb({ input, output, ...convertTarget({ for: engine }), lossy: parseLossy('stream-nacks,stream-idmp') });
      expect(r.error).toBeUndefined();
      expect(r.lost).toEqual({ 'stream-nacks': 1, 'stream-idmp': 2 });
      // No 7.2 here to load it: the 7.0's keys after XACK, framed as type 21 with the source's active time, byte for byte.
      const got = keysOf(readFileSync(output)).keys;
      const want = keysOf(readFileSync(expected)).keys;
      for (const key of ['s', 't']) {
        const k = got.find((x) => x.name === key)!;
        expect(k.type, key).toBe(21);
        expect(Buffer.from(k.object), key).toEqual(Buffer.from(streamWithActiveTime(want.find((x) => x.name === key)!.object, 1n)));
      }
    },
    30_000,
  );

  it('migrate --from-rdb: the first read refuses them before any write; with both kinds the RESTORE payloads are of the target stream type', () => {
    const reader = new RdbKeyReader();
    const keys = reader.push(readFileSync(input));
    expect(reader.end().ok).toBe(true);
    const target = targetRdbSupport('# Server\r\nredis_version:7.0.15\r\n');
    const judge = (lossy: ReadonlySet<LossKind>) => {
      const re = FileReencoding.of({ version: 14, valkey: false }, target, lossy)!;
      for (const k of keys) if (re.mayRefuse(k.type)) re.check(k);
      return re;
    };
    // The keys in the order the source server saved them (its dict's, not the same from one run to the next).
    const refusal = judge(new Set()).refusal('the file', () => true);
    expect(refusal).toMatch(/^the file is refused, nothing was written: 2 keys cannot be expressed for the target \(REDIS RDB 10\): /);
    expect(refusal).toContain('t: a Redis 8.6 stream (RDB type 26) with idempotent-producer data (IDMP duration 60 s');
    expect(refusal).toContain('s: a Redis 8.8 stream (RDB type 27) with NACKed entries (group g: 2)');
    const lossy = judge(new Set(['stream-nacks', 'stream-idmp'] as const));
    expect(lossy.refusal('the file', () => true)).toBeUndefined();
    for (const k of keys.filter((k) => k.type === 26 || k.type === 27)) expect((lossy.payload(k) as Buffer)[0]).toBe(19);
    expect(lossy.lost).toEqual({ 'stream-nacks': 1, 'stream-idmp': 2 });
  });

  it('migrate --from-rdb --lossy stream-nacks,stream-idmp into an empty 7.0: restored, --verify EQUAL, the PEL as the source after XACK', async () => {
    const target = await pool.start();
    const run = await migrateFromRdb({ fromRdb: [input], to: { url: target.url }, verify: true, lossy: 'stream-nacks,stream-idmp' });
    expect(run.result.error).toBeUndefined();
    expect(run.result.lost).toEqual({ 'stream-nacks': 1, 'stream-idmp': 2 });
    expect(run.verify).toMatchObject({ equal: true, differences: 0 });
    const want = await load(expected);
    for (const key of ['s', 't']) expect(await held(target, key)).toEqual(await held(want, key));
    // The check holds the PEL: one more entry acknowledged on the target is a difference.
    await target.client().xack('s', 'g', '1-0');
    const files = [
      {
        location: input,
        open: async function* () {
          yield readFileSync(input);
        },
      },
    ];
    const lossy = new Set(['stream-nacks', 'stream-idmp'] as const);
    const again = await verifyRdbKeys(files, keyspaceOf(target.client()), { skippedKeys: new Set(), lossy });
    expect(again.diffs.map((d) => `${d.key} ${d.reason}`)).toEqual(['s value']);
  }, 30_000);
});
