/**
 * `migrate --from-rdb --verify` of a big stream whose entries Redis's reads
 * by ID do not list in the file's order. A Redis before 7.2 writes such a
 * stream after an XSETID below deleted entries (test/support/stream-below-node.ts):
 * in the `repeat` state XRANGE - + lists 1-6 1-5 1-6, so the chunked check's
 * XRANGE … COUNT from the ID after the last one read skips entries, and a
 * target holding exactly the file's stream was named as differing (a false
 * NOT EQUAL). Such a stream is now held by its DUMP, digested a node at a
 * time in the file's order as the file's side is; a stream Redis reads in
 * order keeps the chunked reads.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { restoreRdbKeys } from '../../../../lambdas/jobs/keys/read-rdb.js';
import { verifyRdbKeys, type VerifyRdbKeysOptions } from '../../../../lambdas/jobs/keys/verify.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { streamBelowNode } from '../../../support/stream-below-node.js';

/** Every key "big" (1 byte), one entry a chunk: the chunked path, a chunk boundary between every two entries. */
const CHUNKED: Partial<VerifyRdbKeysOptions> = { bigKeyBytes: 1, chunkElements: 1 };

describe('verifyRdbKeys: a stream read by ID out of the file order (a Redis before 7.2 after XSETID below deleted entries)', () => {
  const servers: RedisServer[] = [];
  let dst: Redis;
  /** Files by what their stream holds. */
  const files = new Map<string, Buffer>();
  const source = (name: string) => [
    {
      location: `${name}.rdb`,
      open: async function* () {
        const file = files.get(name)!;
        for (let at = 0; at < file.length; at += 4096) yield file.subarray(at, at + 4096);
      },
    },
  ];
  const calls = async (command: string): Promise<number> =>
    Number(/calls=(\d+)/.exec((await dst.info('commandstats')).split('\n').find((l) => l.startsWith(`cmdstat_${command}:`)) ?? '')?.[1] ?? 0);
  /** `name`'s file restored into the target (nothing else there). */
  const restored = async (name: string) => {
    await dst.flushall();
    const r = await restoreRdbKeys({ files: source(name) }, keyspaceOf(dst), {});
    expect(r).toMatchObject({ failed: 0, error: undefined });
    await dst.config('RESETSTAT');
  };
  const verify = (name: string) => verifyRdbKeys(source(name), keyspaceOf(dst), { skippedKeys: new Set(), ...CHUNKED });

  beforeAll(async () => {
    const src = await startRedisServer();
    const target = await startRedisServer();
    servers.push(src, target);
    const c = src.client();
    for (const state of ['repeat', 'in-order'] as const) {
      await c.flushall();
      // What a 7.0 lists: in the repeat state the IDs out of order, 1-6 twice.
      expect(await streamBelowNode(c, 's', state)).toEqual(state === 'repeat' ? ['1-6', '1-5', '1-6'] : ['1-6', '1-7']);
      await c.set('plain', 'v');
      files.set(state, readFileSync(await bgsave(src, c)));
    }
    // A stream as servers write it every day: entries added in order, one deleted.
    await c.flushall();
    for (let i = 1; i <= 5; i++) await c.xadd('s', `${i}-1`, 'f', `v${i}`);
    await c.xdel('s', '3-1');
    files.set('everyday', readFileSync(await bgsave(src, c)));
    dst = target.client();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  beforeEach(async () => {
    await dst.flushall();
  });

  it('the target holds the file as it is (RESTORE of its payload): EQUAL, the stream read by DUMP, not by XRANGE', async () => {
    await restored('repeat');
    const v = await verify('repeat');
    expect(v.diffs).toEqual([]);
    expect(v).toMatchObject({ equal: true, differences: 0 });
    expect(await calls('xrange')).toBe(0);
    expect(await calls('dump')).toBeGreaterThan(0);
  });

  it('a target whose stream differs (its last entry deleted, another added: the same length) is named, as before', async () => {
    await restored('repeat');
    await dst.xdel('s', '1-6');
    await dst.xadd('s', '1-7', 'f', 'small2');
    expect(await dst.xlen('s')).toBe(3);
    const v = await verify('repeat');
    expect(v).toMatchObject({ equal: false, differences: 1 });
    expect(v.diffs.map((d) => `${d.key} ${d.reason}`)).toEqual(['s value']);
  });

  it("a live entry below its node's ID, in order (the in-order state): also by DUMP, EQUAL", async () => {
    await restored('in-order');
    const v = await verify('in-order');
    expect(v).toMatchObject({ equal: true, differences: 0 });
    expect(await calls('xrange')).toBe(0);
    expect(await calls('dump')).toBeGreaterThan(0);
  });

  it('an everyday stream keeps the chunked reads (XRANGE, one entry a chunk), EQUAL, and a changed one is named', async () => {
    await restored('everyday');
    const v = await verify('everyday');
    expect(v).toMatchObject({ equal: true, differences: 0 });
    expect(await calls('xrange')).toBeGreaterThan(3);
    await dst.xdel('s', '5-1');
    await dst.xadd('s', '6-1', 'f', 'v5');
    expect(await verify('everyday')).toMatchObject({ equal: false, differences: 1 });
  });

  it('on the DUMP path a TTL the file lacks is named as a TTL difference, and a consumer group the file lacks as a value difference', async () => {
    await restored('repeat');
    await dst.pexpire('s', 3_600_000);
    const ttl = await verify('repeat');
    expect(ttl.diffs.map((d) => `${d.key} ${d.reason}`)).toEqual(['s ttl']);
    await dst.persist('s');
    await dst.xgroup('CREATE', 's', 'g', '0');
    const group = await verify('repeat');
    expect(group.diffs.map((d) => `${d.key} ${d.reason}`)).toEqual(['s value']);
    expect(await calls('xrange')).toBe(0);
  });
});
