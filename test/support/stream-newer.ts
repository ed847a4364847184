import { readFileSync } from 'node:fs';
import type Redis from 'ioredis';
import { Cursor } from '../../lambdas/domain/rdb/format/value.js';
import { type FramedKey, keysOf, streamWithActiveTime } from './rdb-newer.js';
import { bgsave, type RedisServer } from './redis-server.js';

/**
 * Redis 8.6 and 8.8 streams (RDB types 26 and 27) built from a type 21
 * stream's object bytes (test/support/rdb-newer.ts streamWithActiveTime of
 * a real 7.0 type 19), as their loaders read them (the layouts
 * format/parse-streams.ts checks): a type 27's NACKed entries are pending
 * entries no consumer owns (XNACK released them), so each id in `nacked` is
 * taken out of its consumer's owned list and listed after the group's
 * consumers; both types end with the IDMP tail `idmp`.
 */
export function newerStreamObject(object21: Uint8Array, type: 26 | 27, idmp: readonly number[], nacked: ReadonlySet<string> = new Set()): Uint8Array {
  const c = new Cursor(object21, 0, object21.length);
  const out: Uint8Array[] = [];
  let mark = 0;
  const idText = (at: number) =>
    `${Buffer.from(object21.subarray(at, at + 8)).readBigUInt64BE()}-${Buffer.from(object21.subarray(at + 8, at + 16)).readBigUInt64BE()}`;
  for (let nodes = c.length(); nodes > 0; nodes--) c.string(), c.string();
  c.length();
  for (let i = 0; i < 7; i++) c.bigLength();
  for (let groups = c.length(); groups > 0; groups--) {
    c.string();
    for (let i = 0; i < 3; i++) c.bigLength();
    for (let p = c.length(); p > 0; p--) c.skip(24), c.bigLength();
    const released: number[] = [];
    for (let consumers = c.length(); consumers > 0; consumers--) {
      c.string();
      c.skip(16);
      out.push(object21.subarray(mark, c.at));
      const owned = c.length();
      const kept: number[] = [];
      for (let i = 0; i < owned; i++, c.skip(16)) (nacked.has(idText(c.at)) ? released : kept).push(...object21.subarray(c.at, c.at + 16));
      out.push(Uint8Array.from([kept.length / 16, ...kept])); // fewer than 64 owned entries in these tests
      mark = c.at;
    }
    out.push(object21.subarray(mark, c.at));
    mark = c.at;
    if (type === 27) out.push(Uint8Array.from([released.length / 16, ...released]));
  }
  out.push(object21.subarray(mark), Uint8Array.from(idmp));
  return Buffer.concat(out);
}

/** An IDMP tail: duration 60 s, max entries 50, producer `p1` with idempotent id `i1` added as 5-0; 1 id added, no duplicate. */
export const IDMP_TAIL = [0x3c, 0x32, 1, 2, ...Buffer.from('p1'), 1, 2, ...Buffer.from('i1'), 5, 0, 1, 0];

/**
 * Stream `s` written on the real `server` (entries 1-0…5-0; group g whose consumer c read all five; group h at its end,
 * entries read 5), saved with the keys `c` wrote before: the file's keys, and `s`'s object bytes as a type 21.
 */
export async function groupedStream21(server: RedisServer, c: Redis): Promise<{ keys: FramedKey[]; s21: Uint8Array }> {
  for (let i = 1; i <= 5; i++) await c.xadd('s', `${i}-0`, 'f', String(i));
  await c.xgroup('CREATE', 's', 'g', '0');
  await c.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 's', '>');
  await c.xgroup('CREATE', 's', 'h', '$', 'ENTRIESREAD', '5');
  const { keys } = keysOf(readFileSync(await bgsave(server, c)));
  return { keys, s21: streamWithActiveTime(keys.find((k) => k.name === 's')!.object, 1n) };
}

/** An RDB length (6 or 14 bits: values below 16384, as these tests need). */
const len = (n: number): number[] => (n < 64 ? [n] : [0x40 | (n >> 8), n & 0xff]);

/**
 * An IDMP tail from its parts: duration (s), max entries, producers (each its id with its idempotent ids, each added as
 * `<n>-0`), then the totals of ids added and duplicates. Defaults: Redis 8.6's (100 s, 100 entries), none, 0 and 0.
 */
export function idmpTail(o: { duration?: number; maxEntries?: number; producers?: [string, string[]][]; added?: number; duplicates?: number } = {}): number[] {
  const text = (s: string) => [...len(s.length), ...Buffer.from(s)];
  const producers = (o.producers ?? []).flatMap(([p, ids]) => [...text(p), ...len(ids.length), ...ids.flatMap((id, n) => [...text(id), ...len(n + 1), 0])]);
  return [
    ...len(o.duration ?? 100),
    ...len(o.maxEntries ?? 100),
    ...len(o.producers?.length ?? 0),
    ...producers,
    ...len(o.added ?? 0),
    ...len(o.duplicates ?? 0),
  ];
}

/** The IDMP tail of a Redis 8.6 stream never given a producer, with the default config: 100 s, 100 entries, none, 0, 0. */
export const EMPTY_IDMP_TAIL = idmpTail();

/** XINFO STREAM FULL and XPENDING (group g) of `key` on `s`: consumers' seen times and the PEL's delivery times and counts included. */
export async function heldStream(s: RedisServer, key: string): Promise<{ full: unknown; pending: unknown[][] }> {
  return {
    full: await s.client().call('XINFO', 'STREAM', key, 'FULL'),
    // Idle times left out: they run on from each delivery time (XINFO's, held above) as each server is asked.
    pending: ((await s.client().call('XPENDING', key, 'g', '-', '+', '10')) as unknown[][]).map(([id, consumer, , count]) => [id, consumer, count]),
  };
}
