import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyspaceOf, openKeyspace } from '../../../../lambdas/adapters/redis/keyspace.js';
import type { LossKind } from '../../../../lambdas/domain/rdb/write/losses.js';
import { migrateFromRdb } from '../../../../lambdas/jobs/keys/migrate-rdb.js';
import { resolveRdbSources } from '../../../../lambdas/jobs/keys/sources.js';
import { verifyRdbKeys } from '../../../../lambdas/jobs/keys/verify.js';
import { formatRdbVerify } from '../../../../cli/commands/migrate/rdb-action.js';
import { populate } from '../../../support/rdb-dataset.js';
import { expiredFieldKeys, frameFile, keysOf, LATER, listpack, newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { inWorker } from '../../../cli/support/in-process.js';

describe('migrate --from-rdb into a server that cannot read the file: keys re-encoded for it, --verify EQUAL', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dir: string;
  const paths: Record<string, string> = {};

  beforeAll(async () => {
    source = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const c = source.client();
    await populate(c);
    const files = newerFiles(readFileSync(await bgsave(source, c)));
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-reencode-'));
    for (const [name, bytes] of Object.entries(files)) {
      paths[name] = join(dir, `${name}.rdb`);
      writeFileSync(paths[name], bytes);
    }
    target = await startRedisServer();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['REDIS0011', undefined, 0],
    ['REDIS0012', 'field-ttl', 1],
    ['VALKEY080', 'field-ttl', 1],
  ])(
    '%s (--lossy %s) into an empty redis-server 7.0: every key of database 0 restored and equal',
    async (name, lossy, lostTtls) => {
      const t = target.client();
      await t.flushall();
      // Database 0 alone (`--db 0`): the files hold keys in other databases too, which a run without --db restores each into its own.
      const run = await migrateFromRdb({
        fromRdb: [paths[name]!],
        to: { url: target.url },
        databases: [{ from: 0, to: 0 }],
        verify: true,
        ...(lossy ? { lossy } : {}),
      });
      const r = run.result;
      expect(r.error).toBeUndefined();
      expect(r.reencoded).toBeGreaterThanOrEqual(2); // the listpack set and the type 21 stream
      expect(r.lost['field-ttl'] ?? 0).toBe(lostTtls);
      expect(r.failed).toBe(0);
      expect(run.verify).toMatchObject({ equal: true, differences: 0 });
      // The hash whose field TTLs the loss let go is named as that expected difference, not called the same as the file's.
      expect(run.verify!.expected['field-ttl']).toBe(lostTtls);
      expect(run.verify!.expectedDiffs.filter((d) => d.expected === 'field-ttl').map((d) => d.key.toString())).toEqual(
        lostTtls ? [expect.stringMatching(/hash/)] : [],
      );
      expect(run.verify!.keys).toBe(r.copied);
      expect(await t.dbsize()).toBe(r.copied);
      expect(await t.smembers('v11:set-listpack')).toEqual(expect.arrayContaining(['a', 'b', 'c', '7', '100']));
      expect(await t.xlen('v11:stream')).toBe(5);
    },
    60_000,
  );

  // Issue 55 "Done when": the same files, whole (every database they hold keys in, no --db), into an empty 7.0 with --verify EQUAL.
  it.each([
    ['REDIS0011', undefined],
    ['REDIS0012', 'field-ttl'],
    ['VALKEY080', 'field-ttl'],
  ])(
    '%s (--lossy %s), whole: every database restored into its own in an empty redis-server 7.0, --verify EQUAL',
    async (name, lossy) => {
      const t = target.client();
      await t.flushall();
      const { keys } = keysOf(readFileSync(paths[name]!));
      const perDb = new Map<number, number>();
      for (const k of keys) perDb.set(k.db, (perDb.get(k.db) ?? 0) + 1);
      // The files hold keys beyond database 0 (1, 2 and 5): the run is not database 0's alone.
      expect([...perDb.keys()].filter((db) => db !== 0).length).toBeGreaterThan(0);
      const run = await migrateFromRdb({ fromRdb: [paths[name]!], to: { url: target.url }, verify: true, ...(lossy ? { lossy } : {}) });
      expect(run.result.error).toBeUndefined();
      expect(run.result.failed).toBe(0);
      expect(run.result.copied).toBe(keys.length);
      expect(run.verify).toMatchObject({ equal: true, differences: 0 });
      expect(run.verify!.keys).toBe(keys.length);
      for (const [db, n] of perDb) {
        await t.select(db);
        expect([db, await t.dbsize()]).toEqual([db, n]);
      }
      await t.select(0);
    },
    60_000,
  );

  it('negative: with --lossy field-ttl, a field changed, gone or given back on the target after the restore is still a difference', async () => {
    const t = target.client();
    await t.flushall();
    const run = await migrateFromRdb({ fromRdb: [paths.REDIS0012!], to: { url: target.url }, databases: [{ from: 0, to: 0 }], lossy: 'field-ttl' });
    expect(run.result.failed).toBe(0);
    const files = [
      {
        location: paths.REDIS0012!,
        open: async function* () {
          yield readFileSync(paths.REDIS0012!);
        },
      },
    ];
    const check = (lossy?: ReadonlySet<LossKind>) =>
      verifyRdbKeys(files, keyspaceOf(t), { skippedKeys: new Set(), ...(lossy ? { lossy } : {}) }).then((v) => v.diffs.map((d) => `${d.key} ${d.reason}`));
    expect(await check(new Set(['field-ttl']))).toEqual([]);
    // Without the loss accepted, the TTL the target could not take is a difference.
    expect(await check()).toEqual(['v12:hash-ttl value']);
    await t.hset('v12:hash-ttl', 'f2', 'changed');
    expect(await check(new Set(['field-ttl']))).toEqual(['v12:hash-ttl value']);
    await t.hset('v12:hash-ttl', 'f2', 'v2');
    await t.hdel('v12:hash-ttl', 'f1');
    expect(await check(new Set(['field-ttl']))).toEqual(['v12:hash-ttl value']);
  }, 60_000);

  it.each([
    ['REDIS0012', 'redis', 'v12', 5],
    ['VALKEY080', 'valkey', 'v9', 4],
  ] as const)(
    '%s with hash fields whose TTL had passed (--lossy field-ttl): those fields left out, a hash left empty counted expired, --verify EQUAL against what the target should hold',
    async (magic, fork, p, expiredFields) => {
      const t = target.client();
      await t.flushall();
      const input = join(dir, `expired-fields-${fork}.rdb`);
      const plain = { db: 0, name: 'plain', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null };
      writeFileSync(input, frameFile(magic, [plain, ...expiredFieldKeys(fork)], [], fork === 'valkey' ? { 'valkey-ver': '9.0.0' } : {}));
      const run = await migrateFromRdb({ fromRdb: [input], to: { url: target.url }, verify: true, lossy: 'field-ttl' });
      const r = run.result;
      expect(r.error).toBeUndefined();
      expect(r.expired).toBe(1);
      expect(r.expiredFields).toBe(expiredFields);
      expect(await t.hgetall(`${p}:mixed`)).toEqual({ live: 'y', perm: 'z' });
      expect(await t.hgetall(`${p}:onlyold`)).toEqual({ perm: 'z' });
      expect(await t.exists(`${p}:allgone`)).toBe(0);
      // `mixed` (and Redis's listpack form `lp-mixed`) kept a live field with a TTL, which the loss let go; `onlyold`'s
      // field with a TTL had expired (gone on both sides): no loss there.
      const lostTtls = fork === 'redis' ? [`${p}:mixed`, `${p}:lp-mixed`] : [`${p}:mixed`];
      expect(run.verify).toMatchObject({ equal: true, differences: 0, expected: { expired: 1, 'field-ttl': lostTtls.length } });
      expect(run.verify!.expectedDiffs.filter((d) => d.expected === 'field-ttl').map((d) => d.key.toString())).toEqual(lostTtls);
      // In words: not "all keys restored, same expiry"; each key the target holds otherwise, named under its kind.
      const words = formatRdbVerify(run.verify!);
      expect(words).toMatch(
        new RegExp(
          `^verify: EQUAL: of the ${lostTtls.length + 3} keys of the file, the target holds 2 restored \\(same type, value and expiry\\) and ${lostTtls.length + 1} as expected \\(below\\)`,
        ),
      );
      expect(words.split('\n')).toContain(`    without their field TTLs: ${lostTtls.join(', ')}`);
      expect(words.split('\n')).toContain(`    expired: ${p}:allgone (in the file, not on the target)`);
      expect(words).not.toContain('holds all');
      // A field live when the restore wrote it (without its TTL, for good) whose TTL passes before --verify reads the
      // target: held against the fields the restore wrote, not called a difference (it was, before the restore's time
      // was handed on: the target keeps it, the file's side at the verify's time had dropped it).
      const files = (await resolveRdbSources({ fromRdb: [input] })).files;
      const afterTtl = { skippedKeys: new Set<string>(), onConflict: 'replace' as const, lossy: new Set(['field-ttl'] as const), now: () => LATER + 60_000 };
      const late = await verifyRdbKeys(files, await openKeyspace(target.client()), { ...afterTtl, fieldsCutAtMs: run.result.fieldsCutAtMs });
      expect(late).toMatchObject({ equal: true, differences: 0 });
      // Negative: held at the verify's time instead, the hashes whose live field's TTL passed since differ.
      const atVerify = await verifyRdbKeys(files, await openKeyspace(target.client()), afterTtl);
      expect(atVerify.diffs.map((d) => d.key.toString()).sort()).toEqual(lostTtls.slice().sort());
      // The check holds the target to the live fields: an expired field brought back is a difference.
      await t.hset(`${p}:onlyold`, 'old', 'x');
      const ks = await openKeyspace(target.client());
      const v = await verifyRdbKeys((await resolveRdbSources({ fromRdb: [input] })).files, ks, {
        skippedKeys: new Set(),
        onConflict: 'replace',
        lossy: new Set(['field-ttl'] as const),
      });
      expect(v).toMatchObject({ equal: false, differences: 1 });
      expect(v.diffs[0]!.key.toString()).toBe(`${p}:onlyold`);
    },
    60_000,
  );

  it('a REDIS0010 file holding a type 20 set (an RDB 11 type) into a real 7.0: the set re-encoded by its type, every key written, --verify EQUAL', async () => {
    const t = target.client();
    await t.flushall();
    const input = join(dir, 'v10-type20.rdb');
    const lp = listpack(['a', 'b', 7]);
    const strings = Array.from({ length: 15 }, (_, i) => ({ db: 0, name: `s:${i}`, type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }));
    writeFileSync(
      input,
      frameFile('REDIS0010', [...strings, { db: 0, name: 'lpset', type: 20, object: Uint8Array.from([lp.length, ...lp]), expireAtMs: null }]),
    );
    const run = await migrateFromRdb({ fromRdb: [input], to: { url: target.url }, verify: true });
    expect(run.result.error).toBeUndefined();
    expect(run.result).toMatchObject({ copied: 16, failed: 0, reencoded: 1 });
    expect((await t.smembers('lpset')).sort()).toEqual(['7', 'a', 'b']);
    expect(run.verify).toMatchObject({ equal: true, differences: 0, keys: 16 });
  }, 60_000);

  it('a set listpack with a member twice, to be re-encoded for a real 7.0: refused before any write (was: RESTORE failed after the keys before it), DBSIZE 0 (left35)', async () => {
    const t = target.client();
    await t.flushall();
    const input = join(dir, 'v10-type20-twice.rdb');
    const lp = listpack(['a', 'b', 'a']);
    const strings = Array.from({ length: 15 }, (_, i) => ({ db: 0, name: `s:${i}`, type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }));
    writeFileSync(
      input,
      frameFile('REDIS0010', [
        ...strings,
        { db: 0, name: 'lpset', type: 20, object: Uint8Array.from([lp.length, ...lp]), expireAtMs: null },
        ...strings.map((k) => ({ ...k, name: `t:${k.name}` })),
      ]),
    );
    const run = await migrateFromRdb({ fromRdb: [input], to: { url: target.url } });
    expect(run.result.error).toBe(
      'the file is refused, nothing was written: 1 key cannot be expressed for the target (REDIS RDB 10): lpset: a member twice in its listpack: Redis loads that listpack as it is, but refuses the plain form the target needs ("Duplicate set members detected")',
    );
    expect(run.result.copied).toBe(0);
    expect(await t.dbsize()).toBe(0);
    // A zset listpack with a member twice goes as it is (7.0 reads type 17): the target holds it as a 7.0 loading the file does.
    const zlp = listpack(['m', 1, 'n', 2, 'm', 3]);
    writeFileSync(
      input,
      frameFile('REDIS0010', [...strings, { db: 0, name: 'lpz', type: 17, object: Uint8Array.from([zlp.length, ...zlp]), expireAtMs: null }]),
    );
    const asIs = await migrateFromRdb({ fromRdb: [input], to: { url: target.url } });
    expect(asIs.result).toMatchObject({ copied: 16, failed: 0, reencoded: 0 });
    expect(await t.zrange('lpz', '0', '-1', 'WITHSCORES')).toEqual(['m', '1', 'n', '2', 'm', '3']);
  }, 60_000);

  it('refuses hashes with field TTLs without --lossy field-ttl before writing anything, naming the keys of every database restored', async () => {
    const t = target.client();
    await t.flushall();
    const run = await migrateFromRdb({ fromRdb: [paths.REDIS0012!], to: { url: target.url } });
    expect(run.result.error).toMatch(
      /^the file is refused, nothing was written: 2 keys cannot be expressed for the target \(REDIS RDB 10\): v12:hash-ttl: a hash with 1 field TTL: RDB 10 has no field TTLs \(--lossy field-ttl.*; v12:hash-lp-ttl \(db 2\): a hash with 1 field TTL/,
    );
    expect(run.result.copied).toBe(0);
    expect(await t.dbsize()).toBe(0);
  }, 60_000);

  it('a key the target cannot hold in a database other than 0 refuses the run before any write (not part-way); --db of another database restores', async () => {
    // The keys of database 0 and 1 come first in the file: judged only in database 0, the run wrote them and then failed.
    const { keys, functions } = keysOf(readFileSync(paths.REDIS0012!));
    const onlyDb2 = join(dir, 'ttl-in-db2.rdb');
    writeFileSync(
      onlyDb2,
      frameFile(
        'REDIS0012',
        keys.filter((k) => k.name !== 'v12:hash-ttl'),
        functions,
      ),
    );
    const t = target.client();
    await t.flushall();
    const run = await migrateFromRdb({ fromRdb: [onlyDb2], to: { url: target.url } });
    expect(run.result.error).toMatch(
      /^the file is refused, nothing was written: 1 key cannot be expressed for the target \(REDIS RDB 10\): v12:hash-lp-ttl \(db 2\): /,
    );
    expect(run.result.copied).toBe(0);
    for (const db of [0, 1, 2, 5]) {
      await t.select(db);
      expect(await t.dbsize()).toBe(0);
    }
    await t.select(0);
    const db1 = await migrateFromRdb({ fromRdb: [onlyDb2], to: { url: target.url }, databases: [{ from: 1, to: 1 }], verify: true });
    expect(db1.result.error).toBeUndefined();
    expect(db1.result.copied).toBe(2);
    expect(db1.verify?.equal).toBe(true);
  }, 60_000);

  it('sends keys as they are (no re-encoding) when the target reads the file', async () => {
    const t = target.client();
    await t.flushall();
    const c = source.client();
    const run = await migrateFromRdb({ fromRdb: [await bgsave(source, c)], to: { url: target.url }, verify: true });
    expect(run.result.error).toBeUndefined();
    expect(run.result.reencoded).toBe(0);
    expect(run.verify?.equal).toBe(true);
  }, 60_000);

  it('CLI: --lossy is for --from-rdb (exit 2 with --from); with it the summary says what was re-encoded and lost', async () => {
    const wrong = await inWorker('migrate', '--from', target.url, '--to', target.url, '--lossy', 'field-ttl');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--lossy applies to --from-rdb/);
    await target.client().flushall();
    const r = await inWorker('migrate', '--from-rdb', paths.REDIS0012!, '--to', target.url, '--db', '0', '--lossy', 'field-ttl');
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.stdout).toMatch(/re-encoded: \d+ keys for the target/);
    expect(r.stdout).toMatch(/--lossy field-ttl: 1 key written with that loss/);
    expect(r.status).toBe(0);
  }, 60_000);
});
