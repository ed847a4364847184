import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpPayload } from '../../../../../lambdas/domain/rdb/format/dump-payload.js';
import { decodeDumpPayload, payloadDigest, streamedDigest, streamInfo } from '../../../../../lambdas/domain/rdb/format/value.js';
import { RdbFormatError } from '../../../../../lambdas/domain/rdb/errors.js';
import { type RedisServer, startRedisServer } from '../../../../support/redis-server.js';
import { groupedStream21, IDMP_TAIL, newerStreamObject } from '../../../../support/stream-newer.js';

/**
 * DUMP payloads of Redis 8.6 and 8.8 streams (RDB types 26, 27), as a Redis 8.6 server gives for every stream it holds
 * (a real 8.6.3's `DUMP` of a stream made by `XADD s * a 1` starts with 0x1a): `compare`, `migrate --verify` and `serve`
 * decode them (format/stream-newer-tail.ts). Built from a real 7.0's stream (type 19, made type 21) as the loaders read
 * them (test/support/stream-newer.ts): the same entries, groups and consumers, then a type 27's NACKed entries and the
 * IDMP tail. Before this, each of those reads failed: "malformed DUMP payload (RDB type 26, …): unknown RDB value type 26".
 */
describe('decoding a Redis 8.6/8.8 stream DUMP payload (RDB types 26, 27)', () => {
  let server: RedisServer;
  /** Object bytes of `s` as type 21: entries 1-0…5-0, group g whose consumer c holds all five, group h at the end. */
  let s21: Uint8Array;

  beforeAll(async () => {
    server = await startRedisServer();
    ({ s21 } = await groupedStream21(server, server.client()));
  }, 60_000);
  afterAll(() => server?.stop());

  const payload = (type: number, object: Uint8Array) => dumpPayload(type, object, type === 21 ? 11 : type === 26 ? 13 : 14) as Buffer;
  const p21 = () => payload(21, s21);

  it('reads a type 26 as the type 21 it extends: the same entries, groups and consumers; its IDMP data read and left out', () => {
    const p26 = payload(26, newerStreamObject(s21, 26, IDMP_TAIL));
    expect(p26[0]).toBe(26);
    expect(decodeDumpPayload(p26)).toEqual(decodeDumpPayload(p21()));
    expect(payloadDigest(p26, null)).toEqual(payloadDigest(p21(), null));
    // A big stream's digest, read a node at a time, and XINFO GROUPS's source agree with the whole read.
    expect(streamedDigest(p26)?.digest).toBe(payloadDigest(p21(), null).digest);
    expect(streamInfo(p26)).toEqual(streamInfo(p21()));
  });

  it('reads a type 27: a NACKed entry stays in its group PEL with no consumer (XNACK released it), a difference from the type 21', () => {
    const p27 = payload(27, newerStreamObject(s21, 27, IDMP_TAIL, new Set(['2-0', '3-0'])));
    const v = decodeDumpPayload(p27);
    const w = decodeDumpPayload(p21());
    if (v.type !== 'stream' || w.type !== 'stream') throw new Error('not a stream');
    expect(v.entries).toEqual(w.entries);
    const pel = (x: typeof v) => x.groups!.find((g) => g.name.toString() === 'g')!.pel!.map(([id, consumer]) => [id, consumer.toString()]);
    expect(pel(v)).toEqual([
      ['1-0', 'c'],
      ['2-0', ''],
      ['3-0', ''],
      ['4-0', 'c'],
      ['5-0', 'c'],
    ]);
    expect(pel(w).every(([, consumer]) => consumer === 'c')).toBe(true);
    expect(payloadDigest(p27, null).digest).not.toBe(payloadDigest(p21(), null).digest);
    expect(streamedDigest(p27)?.digest).toBe(payloadDigest(p27, null).digest);
  });

  /** The 17 bytes of a type 27's NACK zone listing 2-0 alone (a count of 1, then the id, big-endian) replaced by `id`'s. */
  const nackedAs = (ms: bigint): Buffer => {
    const object = Buffer.from(newerStreamObject(s21, 27, IDMP_TAIL, new Set(['2-0'])));
    const zone = Buffer.concat([Buffer.from([1]), Buffer.alloc(16)]);
    zone.writeBigUInt64BE(2n, 1);
    const at = object.lastIndexOf(zone);
    expect(at).toBeGreaterThan(0);
    object.writeBigUInt64BE(ms, at + 1);
    return payload(27, object);
  };

  it('refuses a NACKed entry its group PEL lacks, or one a consumer owns, as the loader does (malformed, never a value)', () => {
    expect(() => decodeDumpPayload(nackedAs(2n))).not.toThrow();
    expect(() => decodeDumpPayload(nackedAs(9n))).toThrow(/a NACKed entry 9-0 not found in the group's PEL/);
    expect(() => decodeDumpPayload(nackedAs(1n))).toThrow(/a NACKed entry 1-0 that consumer c owns/);
    expect(() => decodeDumpPayload(nackedAs(9n))).toThrow(RdbFormatError);
  });

  it('refuses IDMP settings out of Redis 8.6 ranges and a tail cut short', () => {
    const bad = [0x00, ...IDMP_TAIL.slice(1)]; // IDMP duration 0 s
    expect(() => decodeDumpPayload(payload(26, newerStreamObject(s21, 26, bad)))).toThrow(/IDMP duration 0 s is outside/);
    expect(() => decodeDumpPayload(payload(26, newerStreamObject(s21, 26, IDMP_TAIL.slice(0, -1))))).toThrow(RdbFormatError);
  });
});
