import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { migrateFromRdb } from '../../../../lambdas/jobs/keys/migrate-rdb.js';
import { frameFile, keyMetadata, keysOf, moduleAux, moduleValueKey } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { inWorker } from '../../../cli/support/in-process.js';

describe('migrate --from-rdb of a file holding module data into a real redis-server 7.0 with no module loaded', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dir: string;
  let auxFile: string;
  let valueFile: string;
  let metaFile: string;
  let ignorableFile: string;

  beforeAll(async () => {
    source = await startRedisServer();
    const c = source.client();
    for (let i = 0; i < 5; i++) await c.set(`k${i}`, `v${i}`);
    await c.hset('h', 'f', 'v');
    const { keys } = keysOf(readFileSync(await bgsave(source, c)));
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-modules-'));
    auxFile = join(dir, 'aux.rdb');
    writeFileSync(auxFile, frameFile('REDIS0010', keys, [moduleAux('ReJSON-RL')]));
    // The module value in the middle: before the fix the keys before it were written, then the run failed.
    valueFile = join(dir, 'value.rdb');
    writeFileSync(valueFile, frameFile('REDIS0010', [...keys.slice(0, 3), moduleValueKey(0, 'json:1', 'ReJSON-RL'), ...keys.slice(3)]));
    // Redis 8.6 key metadata (RDB 13) of a class without ALLOW_IGNORE on k1: a Redis 8.6 without its module refuses the file.
    metaFile = join(dir, 'meta.rdb');
    writeFileSync(
      metaFile,
      frameFile(
        'REDIS0013',
        keys.map((k) => (k.name === 'k1' ? { ...k, meta: keyMetadata('ATTR') } : k)),
      ),
    );
    // Key metadata of classes with ALLOW_IGNORE (a server without their module skips it): k1 and k2 of BLES, k3 of TAGS.
    ignorableFile = join(dir, 'ignorable.rdb');
    const ignorable: Record<string, string> = { k1: 'BLES', k2: 'BLES', k3: 'TAGS' };
    writeFileSync(
      ignorableFile,
      frameFile(
        'REDIS0013',
        keys.map((k) => (ignorable[k.name] ? { ...k, meta: keyMetadata(ignorable[k.name]!, true) } : k)),
      ),
    );
    target = await startRedisServer();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('module AUX data: refused before any write naming the module and --lossy module, as convert-rdb refuses it (one rule)', async () => {
    const t = target.client();
    await t.flushall();
    // The real 7.0 refuses the file itself: the data is not something a restore may drop unsaid.
    const run = await migrateFromRdb({ fromRdb: [auxFile], to: { url: target.url } });
    expect(run.result.error).toMatch(
      /^the file is refused, nothing was written: module AUX data of ReJSON-RL: redis-dr does not carry module data \(--lossy module leaves it out\)$/,
    );
    expect(run.result.copied).toBe(0);
    expect(await t.dbsize()).toBe(0);
    const converted = await convertRdb({ input: auxFile, output: join(dir, 'aux-70.rdb'), ...convertTarget({ for: 'redis-7.0' }) });
    expect(converted.error).toMatch(/module AUX data of ReJSON-RL: redis-dr does not carry module data \(--lossy module leaves it out\)/);
    const lossy = await migrateFromRdb({ fromRdb: [auxFile], to: { url: target.url }, lossy: 'module', verify: true });
    expect(lossy.result.error).toBeUndefined();
    expect(lossy.result.copied).toBe(6);
    expect(lossy.verify).toMatchObject({ equal: true });
    // The summaries say what --lossy module let go (migrate and convert-rdb alike).
    await t.flushall();
    const line = '--lossy module: module AUX data of ReJSON-RL left out (redis-dr does not carry module data)';
    const migrated = await inWorker('migrate', '--from-rdb', auxFile, '--to', target.url, '--lossy', 'module');
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(line);
    const convertedCli = await inWorker('convert-rdb', auxFile, '--for', 'redis-7.0', '--lossy', 'module', '-o', join(dir, 'aux-lossy-70.rdb'));
    expect(convertedCli.status, convertedCli.stderr).toBe(0);
    expect(convertedCli.stdout).toContain(line);
  }, 60_000);

  it('a module value: refused before any write naming the key, its type and --lossy module; with it the key is left out, counted, --verify EQUAL', async () => {
    const t = target.client();
    await t.flushall();
    const run = await migrateFromRdb({ fromRdb: [valueFile], to: { url: target.url } });
    expect(run.result.error).toMatch(
      /^the file is refused, nothing was written: 1 key cannot be expressed for the target \(REDIS RDB 10\): json:1: a module value of type ReJSON-RL: the target has no module loaded \(MODULE LIST names none that holds data\) \(--lossy module leaves such keys out\)$/,
    );
    expect(run.result.copied).toBe(0);
    expect(await t.dbsize()).toBe(0);
    const lossy = await migrateFromRdb({ fromRdb: [valueFile], to: { url: target.url }, lossy: 'module', verify: true });
    expect(lossy.result.error).toBeUndefined();
    expect(lossy.result).toMatchObject({ copied: 6, failed: 0, lost: { module: 1 } });
    expect(await t.exists('json:1')).toBe(0);
    expect(await t.dbsize()).toBe(6);
    expect(lossy.verify).toMatchObject({ equal: true, keys: 6 });
    // The count line adds up to the keys read: the key left out is on it, not only on the line after.
    await t.flushall();
    const printed = await inWorker('migrate', '--from-rdb', valueFile, '--to', target.url, '--lossy', 'module');
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/copied 6, skipped 0 \(already on the target\), expired 0, left out 1 \(--lossy module\), failed 0 of 7 keys/);
  }, 60_000);

  it('key metadata a server without its module refuses: refused before any write naming the class and --lossy key-meta, as convert-rdb refuses it; with it said left out', async () => {
    const t = target.client();
    await t.flushall();
    // Before, the keys were restored without the metadata, --verify EQUAL and exit 0, nothing said.
    const run = await migrateFromRdb({ fromRdb: [metaFile], to: { url: target.url }, verify: true });
    expect(run.result.error).toBe(
      'the file is refused, nothing was written: key metadata of class META-ATTR (Redis 8.6): redis-dr does not carry it (--lossy key-meta leaves it out)',
    );
    expect(run.result.copied).toBe(0);
    expect(await t.dbsize()).toBe(0);
    const converted = await convertRdb({ input: metaFile, output: join(dir, 'meta-70.rdb'), ...convertTarget({ for: 'redis-7.0' }) });
    expect(converted.error).toMatch(/key metadata of class META-ATTR \(Redis 8\.6\): redis-dr does not carry it \(--lossy key-meta leaves it out\)/);
    const printed = await inWorker('migrate', '--from-rdb', metaFile, '--to', target.url, '--verify');
    expect(printed.status).toBe(1);
    expect(await t.dbsize()).toBe(0);
    const lossy = await inWorker('migrate', '--from-rdb', metaFile, '--to', target.url, '--lossy', 'key-meta', '--verify');
    expect(lossy.status, lossy.stderr).toBe(0);
    expect(lossy.stdout).toContain(
      '--lossy key-meta: key metadata of META-ATTR (1 key) left out (Redis 8.6 key metadata is left out (the keys are kept): redis-dr does not carry it)',
    );
    expect(lossy.stdout).toMatch(/verify: EQUAL: the target holds all 6 keys/);
    expect(await t.exists('k1')).toBe(1);
  }, 60_000);

  it('convert-rdb --lossy key-meta: the metadata left out is counted and named, not a bare "verified: … the same keys"', async () => {
    // Before, the summary said the output held the same keys as the input with nothing let go, and --json counted nothing.
    const lossy = await convertRdb({
      input: metaFile,
      output: join(dir, 'meta-lossy-api-70.rdb'),
      ...convertTarget({ for: 'redis-7.0' }),
      lossy: new Set(['key-meta']),
    });
    expect(lossy).toMatchObject({ ok: true, keys: 6, dropped: { 'key-meta': 1 } });
    const printed = await inWorker('convert-rdb', metaFile, '--for', 'redis-7.0', '--lossy', 'key-meta', '-o', join(dir, 'meta-lossy-70.rdb'));
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout).toContain('key by key, but for what --lossy let go (below)');
    expect(printed.stdout).toContain('--lossy key-meta: 1 item left out (Redis 8.6 key metadata is left out (the keys are kept))');
  }, 60_000);

  it('key metadata of ignorable classes (ALLOW_IGNORE): not refused, no --lossy needed, but counted and named per class in the summaries and --json of convert-rdb and migrate (issue 55: was left out unsaid)', async () => {
    const line = (verb: string) =>
      `key metadata of ignorable classes BLES (2 keys), TAGS (1 key) ${verb}: a server without the class's module skips it too (Redis 8.6 ALLOW_IGNORE); the keys are kept, redis-dr does not carry it`;
    const converted = await convertRdb({ input: ignorableFile, output: join(dir, 'ignorable-api-70.rdb'), ...convertTarget({ for: 'redis-7.0' }) });
    expect(converted).toMatchObject({ ok: true, keys: 6, dropped: {}, ignoredKeyMeta: { BLES: 2, TAGS: 1 } });
    const printed = await inWorker('convert-rdb', ignorableFile, '--for', 'redis-7.0', '-o', join(dir, 'ignorable-70.rdb'));
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout).toContain('key by key, but for the key metadata (below)');
    expect(printed.stdout).toContain(line('left out'));
    const dry = await inWorker('convert-rdb', ignorableFile, '--for', 'redis-7.0', '--dry-run');
    expect(dry.stdout).toContain(line('would be left out'));
    const json = await inWorker('convert-rdb', ignorableFile, '--for', 'redis-7.0', '--dry-run', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, ignoredKeyMeta: { BLES: 2, TAGS: 1 } });
    const t = target.client();
    await t.flushall();
    const migrated = await inWorker('migrate', '--from-rdb', ignorableFile, '--to', target.url, '--verify');
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(line('left out'));
    expect(migrated.stdout).toMatch(/verify: EQUAL: the target holds all 6 keys/);
    await t.flushall();
    const migratedJson = await inWorker('migrate', '--from-rdb', ignorableFile, '--to', target.url, '--json');
    expect(JSON.parse(migratedJson.stdout)).toMatchObject({ copied: 6, ignoredKeyMeta: { BLES: 2, TAGS: 1 } });
    // Negative: a file without key metadata says none.
    await t.flushall();
    const plain = await inWorker('migrate', '--from-rdb', auxFile, '--to', target.url, '--lossy', 'module', '--json');
    expect(JSON.parse(plain.stdout)).toMatchObject({ ignoredKeyMeta: {} });
  }, 60_000);
});
