import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatConvert } from '../../../../cli/commands/convert-rdb/action.js';
import { migrateRdbJson, runMigrateRdb } from '../../../../cli/commands/migrate/rdb-action.js';
import { targetRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { FileReencoding } from '../../../../lambdas/jobs/keys/reencode.js';
import { verifyRdbKeys } from '../../../../lambdas/jobs/keys/verify.js';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { frameFile, keysOf, streamWithActiveTime } from '../../../support/rdb-newer.js';
import { bgsave, serverPool } from '../../../support/redis-server.js';
import { digests } from '../../../support/stream-ids.js';
import { EMPTY_IDMP_TAIL, heldStream, idmpTail, newerStreamObject } from '../../../support/stream-newer.js';

/**
 * Redis 8.6 writes every stream as type 26 (8.8: 27), IDMP in use or not. One never given a producer holds Redis 8.6's
 * default settings (100 s, 100 entries: src/config.c) and totals of 0, which a default-configured 8.6 gives the same
 * stream loaded as a type 21: written for an older engine without `--lossy stream-idmp`, nothing lost
 * (stream-extras.ts idmpIsEmpty). Anything else in that data still needs it.
 */
describe('Redis 8.6/8.8 streams with empty IDMP data into older engines: no --lossy stream-idmp (issue 55)', () => {
  const pool = serverPool();
  const { load } = pool;
  const held = heldStream;
  let dir: string;
  /** The source 7.0's streams `e` (becomes a type 26) and `f` (a type 27 without NACKs), and their bytes as type 21. */
  let saved: string;
  let object21: (name: string) => Uint8Array;
  let keys: ReturnType<typeof keysOf>['keys'];
  /** An RDB 14 whose stream e (type 26) carries `tailE`, f (type 27) `tailF` and its entries `nackedF` NACKed, a string beside. */
  const fileWith = (name: string, tailE: number[], tailF = EMPTY_IDMP_TAIL, nackedF: ReadonlySet<string> = new Set()): string => {
    const newer = keys.map((k) =>
      k.name === 'e'
        ? { ...k, type: 26, object: newerStreamObject(object21('e'), 26, tailE) }
        : k.name === 'f'
          ? { ...k, type: 27, object: newerStreamObject(object21('f'), 27, tailF, nackedF) }
          : k,
    );
    const path = join(dir, `${name}.rdb`);
    writeFileSync(path, frameFile('REDIS0014', newer, [], { 'redis-ver': '8.8.0' }));
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-empty-idmp-'));
    const source = await pool.start();
    const c = source.client();
    for (let i = 1; i <= 4; i++) await c.xadd('e', `${i}-0`, 'f', String(i));
    await c.xgroup('CREATE', 'e', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'c', 'COUNT', '2', 'STREAMS', 'e', '>');
    for (let i = 1; i <= 3; i++) await c.xadd('f', `${i}-0`, 'a', String(i));
    await c.xgroup('CREATE', 'f', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'd', 'STREAMS', 'f', '>');
    await c.set('plain', 'v');
    saved = join(dir, 'saved.rdb');
    writeFileSync(saved, readFileSync(await bgsave(source, c)));
    keys = keysOf(readFileSync(saved)).keys;
    object21 = (name: string) => streamWithActiveTime(keys.find((k) => k.name === name)!.object, 1n);
  }, 60_000);

  afterAll(async () => {
    await pool.stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--for redis-7.0 without --lossy: written, nothing counted lost, loaded by 7.0, each stream equal to the source; the summary says nothing was lost', async () => {
    const input = fileWith('empty', EMPTY_IDMP_TAIL);
    const output = join(dir, 'empty-out.rdb');
    const r = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }) });
    expect(r.error).toBeUndefined();
    expect(r.lost).toEqual({});
    expect(r.emptyIdmp).toBe(2);
    const out = await load(output);
    const want = await load(saved);
    for (const key of ['e', 'f']) expect(await held(out, key)).toEqual(await held(want, key));
    expect(await out.client().get('plain')).toBe('v');
    expect(digests(output)).toEqual(digests(saved));
    const summary = formatConvert(r);
    expect(summary).toContain(
      "empty IDMP data: 2 Redis 8.6/8.8 streams written without it, nothing lost (no producer, no id ever added, Redis 8.6's default settings: duration 100 s, max entries 100",
    );
    expect(summary).not.toContain('--lossy stream-idmp');
    expect(summary).toMatch(/\nverified: the output passes verify-rdb and holds the same keys, values and expiries as the input, key by key\n/);
  }, 30_000);

  it('a type 27 with empty IDMP data and NACKed entries needs --lossy stream-nacks alone', async () => {
    const input = fileWith('nacked', EMPTY_IDMP_TAIL, EMPTY_IDMP_TAIL, new Set(['2-0']));
    const output = join(dir, 'nacked-out.rdb');
    const refused = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }) });
    expect(refused.error).toMatch(
      /^1 key of the input cannot be expressed for redis-7\.0: f: a Redis 8\.8 stream \(RDB type 27\) with NACKed entries \(group g: 1\)/,
    );
    expect(refused.error).not.toContain('idempotent-producer');
    expect(existsSync(output)).toBe(false);
    const r = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }), lossy: parseLossy('stream-nacks') });
    expect(r.error).toBeUndefined();
    expect(r.lost).toEqual({ 'stream-nacks': 1 });
    expect(r.emptyIdmp).toBe(2);
  }, 30_000);

  it.each([
    [
      'a duration other than 100 s',
      idmpTail({ duration: 60 }),
      'IDMP duration 60 s, max entries 100, 0 producers with 0 ids) and totals (0 ids added, 0 duplicates)',
    ],
    ['max entries other than 100', idmpTail({ maxEntries: 50 }), 'IDMP duration 100 s, max entries 50, 0 producers'],
    ['one producer', idmpTail({ producers: [['p1', ['i1']]] }), 'IDMP duration 100 s, max entries 100, 1 producer with 1 id)'],
    ['ids added in all', idmpTail({ added: 3 }), 'and totals (3 ids added, 0 duplicates)'],
    ['a duplicate found', idmpTail({ duplicates: 1 }), 'and totals (0 ids added, 1 duplicate)'],
  ])(
    'IDMP data with %s: still refused without --lossy stream-idmp, nothing written; written with it, counted lost',
    async (_, tail, words) => {
      const input = fileWith(`kept-${tail.join('-')}`, tail);
      const output = join(dir, `kept-${tail.join('-')}-out.rdb`);
      const r = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }) });
      expect(r.error).toMatch(
        /^1 key of the input cannot be expressed for redis-7\.0: e: a Redis 8\.6 stream \(RDB type 26\) with idempotent-producer data \(/,
      );
      expect(r.error).toContain(words);
      expect(r.error).toContain('(--lossy stream-idmp writes the stream without it)');
      expect(existsSync(output)).toBe(false);
      const lossy = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }), lossy: parseLossy('stream-idmp') });
      expect(lossy.error).toBeUndefined();
      expect(lossy.lost).toEqual({ 'stream-idmp': 1 });
      expect(lossy.emptyIdmp).toBe(1); // f's
      // migrate --from-rdb's first read judges it alike (one rule): refused before any write.
      const reader = new RdbKeyReader();
      const read = reader.push(readFileSync(input));
      expect(reader.end().ok).toBe(true);
      const re = FileReencoding.of({ version: 14, valkey: false }, targetRdbSupport('# Server\r\nredis_version:7.0.15\r\n'), new Set())!;
      for (const k of read) if (re.mayRefuse(k.type)) re.check(k);
      expect(re.refusal('the file', () => true)).toMatch(
        /^the file is refused, nothing was written: 1 key cannot be expressed for the target \(REDIS RDB 10\): e: a Redis 8\.6 stream/,
      );
    },
    30_000,
  );

  it('migrate --from-rdb into an empty 7.0 without --lossy: restored, nothing lost, --verify EQUAL; a change on the target is still found', async () => {
    const input = fileWith('migrate', EMPTY_IDMP_TAIL);
    const target = await pool.start();
    const o = { fromRdb: [input], to: target.url, verify: true };
    const run = await runMigrateRdb(o);
    expect(run.result.error).toBeUndefined();
    expect(run.result.lost).toEqual({});
    expect(run.result.emptyIdmp).toBe(2);
    expect(migrateRdbJson(run, o)).toMatchObject({ ok: true, lost: {}, emptyIdmp: 2 });
    expect(run.verify).toMatchObject({ equal: true, differences: 0 });
    const want = await load(saved);
    for (const key of ['e', 'f']) expect(await held(target, key)).toEqual(await held(want, key));
    // The check holds the streams as the type 21 written: one more entry acknowledged on the target is a difference.
    await target.client().xack('e', 'g', '1-0');
    const files = [
      {
        location: input,
        open: async function* () {
          yield readFileSync(input);
        },
      },
    ];
    const again = await verifyRdbKeys(files, keyspaceOf(target.client()), { skippedKeys: new Set(), emptyIdmpLeftOut: true });
    expect(again.diffs.map((d) => `${d.key} ${d.reason}`)).toEqual(['e value']);
  }, 30_000);
});
