import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { targetRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { FileReencoding } from '../../../../lambdas/jobs/keys/reencode.js';
import { verifyRdbKeys } from '../../../../lambdas/jobs/keys/verify.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { digests, streamIds } from '../../../support/stream-ids.js';

describe('convertRdb into RDB 9 (redis-6.2): a stream is written only where a newer server loading it gets back its ids and counters', () => {
  const servers: RedisServer[] = [];
  let dir: string;
  let lossyInput: string;
  let exactInput: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-stream-ids-'));
    const source = await startRedisServer();
    servers.push(source);
    const c = source.client();
    // The review's repro: a deletion (max-deleted 1-2, entries-added 2 > length 1) and a group read past it.
    await c.xadd('s', '1-1', 'a', 'b');
    await c.xadd('s', '1-2', 'c', 'd');
    await c.xdel('s', '1-2');
    await c.xgroup('CREATE', 's', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 's', '>');
    lossyInput = join(dir, 'lossy.rdb');
    writeFileSync(lossyInput, readFileSync(await bgsave(source, c)));
    await c.flushall();
    // No deletion, a group read to the end and one not read: what 7.0 derives of a type 15 is what it held.
    for (let i = 1; i <= 5; i++) await c.xadd('t', `${i}-0`, 'f', String(i));
    await c.xgroup('CREATE', 't', 'all', '0');
    await c.xreadgroup('GROUP', 'all', 'c', 'STREAMS', 't', '>');
    // Created at 0 with its read counter given: 0, what 7.0 estimates of a type 15 (without ENTRIESREAD it holds nil, which RDB 9 cannot carry).
    await c.xgroup('CREATE', 't', 'none', '0', 'ENTRIESREAD', '0');
    exactInput = join(dir, 'exact.rdb');
    writeFileSync(exactInput, readFileSync(await bgsave(source, c)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const load = async (path: string) => {
    const s = await startRedisServer({ loadRdb: path });
    servers.push(s);
    return s;
  };

  it('refuses a stream whose entries-added, max-deleted id or group entries-read RDB 9 would lose, naming them, nothing written', async () => {
    const output = join(dir, 'refused.rdb');
    const r = await convertRdb({ input: lossyInput, output, ...convertTarget({ for: 'redis-6.2' }) });
    expect(r.ok).toBe(false);
    expect(r.error).toBe(
      '1 key of the input cannot be expressed for redis-6.2: s: a stream whose entries-added 2 (would be 1), max-deleted-entry-id 1-2 (would be 0-0), ' +
        'group g entries-read nil (would be 1): RDB 9 keeps none of these (--lossy stream-ids writes it without them); nothing was written to ' +
        output,
    );
    expect(existsSync(output)).toBe(false);
    // Every RDB 9 engine alike, ElastiCache's too.
    for (const engine of ['redis-5.0', 'elasticache-redis-6.2'])
      expect((await convertRdb({ input: lossyInput, output, ...convertTarget({ for: engine }) })).error).toMatch(/^1 key .* s: a stream whose entries-added 2/);
  }, 30_000);

  it("refuses an empty stream's recorded first id that a type 15 cannot carry (XGROUP CREATE … MKSTREAM: 0-0), as a real 7.0 loads it (review 19)", async () => {
    const source = await startRedisServer();
    servers.push(source);
    const c = source.client();
    await c.xgroup('CREATE', 'e1', 'g', '$', 'MKSTREAM');
    await c.xgroup('DESTROY', 'e1', 'g');
    const input = join(dir, 'empty.rdb');
    writeFileSync(input, readFileSync(await bgsave(source, c)));
    const output = join(dir, 'empty-62.rdb');
    const r = await convertRdb({ input, output, ...convertTarget({ for: 'redis-6.2' }) });
    expect(r.error).toMatch(
      /^1 key of the input cannot be expressed for redis-6\.2: e1: a stream whose recorded-first-entry-id 0-0 \(would be 18446744073709551615-18446744073709551615\)/,
    );
    expect(existsSync(output)).toBe(false);
    // With the loss accepted it is written; a real 7.0 loading it reports the first id the refusal named.
    expect((await convertRdb({ input, output, ...convertTarget({ for: 'redis-6.2' }), lossy: parseLossy('stream-ids') })).ok).toBe(true);
    const loaded = await startRedisServer({ loadRdb: output });
    servers.push(loaded);
    const info = (await loaded.client().call('XINFO', 'STREAM', 'e1')) as unknown[];
    expect(info[info.indexOf('recorded-first-entry-id') + 1]).toBe('18446744073709551615-18446744073709551615');
  }, 30_000);

  it('with --lossy stream-ids writes it, counts the loss, and a real 7.0 loads what the refusal said it would (compare: different, as said)', async () => {
    const output = join(dir, 'lossy-62.rdb');
    const r = await convertRdb({ input: lossyInput, output, ...convertTarget({ for: 'redis-6.2' }), lossy: parseLossy('stream-ids') });
    expect(r.error).toBeUndefined();
    expect(r.lost['stream-ids']).toBe(1);
    const before = await streamIds(await load(lossyInput), 's');
    expect(before).toMatchObject({ 'entries-added': 2, 'max-deleted-entry-id': '1-2', groups: [{ 'entries-read': null }] });
    expect(await streamIds(await load(output), 's')).toEqual({
      ...before,
      'entries-added': 1,
      'max-deleted-entry-id': '0-0',
      groups: [{ ...(before.groups as object[])[0], 'entries-read': 1, lag: 0 }],
    });
    expect(digests(output).s).not.toBe(digests(lossyInput).s);
  }, 30_000);

  it('writes a stream RDB 9 expresses exactly without --lossy: a real 7.0 loads the same ids, and the round trip back to RDB 10 is equal', async () => {
    const down = join(dir, 'exact-62.rdb');
    const r = await convertRdb({ input: exactInput, output: down, ...convertTarget({ for: 'redis-6.2' }) });
    expect(r.error).toBeUndefined();
    expect(r.lost).toEqual({});
    const held = await streamIds(await load(exactInput), 't');
    expect(held).toMatchObject({ 'entries-added': 5, groups: [{ 'entries-read': 5 }, { 'entries-read': 0 }] });
    expect(await streamIds(await load(down), 't')).toEqual(held);
    const up = join(dir, 'exact-back-70.rdb');
    expect((await convertRdb({ input: down, output: up, ...convertTarget({ for: 'redis-7.0' }) })).error).toBeUndefined();
    expect(digests(down)).toEqual(digests(exactInput));
    expect(digests(up)).toEqual(digests(exactInput));
  }, 30_000);

  it('migrate --from-rdb into an RDB 9 server (redis 6.2): the first read refuses the stream before any write, --lossy stream-ids writes it as type 15', () => {
    const reader = new RdbKeyReader();
    const keys = reader.push(readFileSync(lossyInput));
    expect(reader.end().ok).toBe(true);
    const target = targetRdbSupport('# Server\r\nredis_version:6.2.14\r\n');
    const judge = (lossy: ReadonlySet<'stream-ids'>) => {
      const re = FileReencoding.of({ version: 10, valkey: false }, target, lossy)!;
      for (const k of keys) if (re.mayRefuse(k.type)) re.check(k);
      return re;
    };
    expect(judge(new Set()).refusal('the file', () => true)).toBe(
      'the file is refused, nothing was written: 1 key cannot be expressed for the target (REDIS RDB 9): s: a stream whose entries-added 2 (would be 1), ' +
        'max-deleted-entry-id 1-2 (would be 0-0), group g entries-read nil (would be 1): RDB 9 keeps none of these (--lossy stream-ids writes it without them)',
    );
    const lossy = judge(new Set(['stream-ids'] as const));
    expect(lossy.refusal('the file', () => true)).toBeUndefined();
    const payload = lossy.payload(keys[0]!) as Buffer;
    expect(payload[0]).toBe(15);
    expect(lossy.lost).toEqual({ 'stream-ids': 1 });
  });

  it('--verify with --lossy stream-ids holds the target to the ids a server derives of the type 15 (equal), without it to the file ids (different)', async () => {
    const output = join(dir, 'verify-62.rdb');
    expect((await convertRdb({ input: lossyInput, output, ...convertTarget({ for: 'redis-6.2' }), lossy: parseLossy('stream-ids') })).error).toBeUndefined();
    const server = await load(output);
    const files = [
      {
        location: lossyInput,
        open: async function* () {
          yield readFileSync(lossyInput);
        },
      },
    ];
    const check = (lossy?: ReadonlySet<'stream-ids'>) =>
      verifyRdbKeys(files, keyspaceOf(server.client()), { skippedKeys: new Set(), ...(lossy ? { lossy } : {}) }).then((v) =>
        v.diffs.map((d) => `${d.key} ${d.reason}`),
      );
    expect(await check(new Set(['stream-ids'] as const))).toEqual([]);
    expect(await check()).toEqual(['s value']);
    // A stream over the big-key bound (read in chunks otherwise) is held against the derived ids all the same.
    const big = await verifyRdbKeys(files, keyspaceOf(server.client()), { skippedKeys: new Set(), lossy: new Set(['stream-ids'] as const), bigKeyBytes: 16 });
    expect(big.diffs).toEqual([]);
    // An entry changed is still a difference with the loss accepted.
    await server.client().xadd('s', '2-0', 'x', 'y');
    expect(await check(new Set(['stream-ids'] as const))).toEqual(['s value']);
  }, 30_000);
});
