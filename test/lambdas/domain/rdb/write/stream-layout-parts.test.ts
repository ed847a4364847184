/**
 * A big newer stream walked in the parts a reader kept (StreamLayout.readParts: convert-rdb's big stream re-encoded,
 * issue 55) is written and digested as the same stream's bytes joined are (read, writeAs, digest): the same bytes,
 * digest, ids and losses, wherever the parts are cut. The input: streams a real redis-server 7.0 wrote (several nodes,
 * deletions, three groups, pending entries and consumers), and each framed again as type 21 (each consumer's active
 * time, which no older layout keeps, between its runs), and as Redis 8.6's type 26 and 8.8's type 27 (an IDMP tail,
 * and two pending entries NACKed: runs left out, and a PEL count made by the walk).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { STREAM_1, STREAM_2, STREAM_3, StreamLayout } from '../../../../../lambdas/domain/rdb/write/source-forms.js';
import { keysOf, streamWithActiveTime } from '../../../../support/rdb-newer.js';
import { IDMP_TAIL, newerStreamObject } from '../../../../support/stream-newer.js';
import { bgsave, type RedisServer, startRedisServer } from '../../../../support/redis-server.js';

/** `b` cut into parts of `size` bytes (the last shorter). */
const cut = (b: Uint8Array, size: number): Uint8Array[] => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.slice(i * size, (i + 1) * size));

/** What a layout writes as `to` and digests (with and without ids), and what it says of its ids. */
function outcome(layout: StreamLayout, to: number, write: (out: RdbOut) => void) {
  const out = new RdbOut(64);
  write(out);
  const digests = [true, false].map((ids) => {
    const d = new KeyListDigest();
    layout.digest(d, to, ids);
    return d.hex();
  });
  return { bytes: Buffer.from(out.take()), digests, exact: layout.exact, lost: layout.lost(), held: layout.held, loaded: layout.loaded };
}

describe('StreamLayout.readParts: a stream in parts written and digested as its bytes joined', () => {
  let server: RedisServer;
  const streams: { name: string; type: number; object: Uint8Array }[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    // Several nodes (stream-node-max-entries 100), deletions (its first entry's too), three groups, one read part-way by two consumers.
    for (let i = 1; i <= 450; i++) await c.xadd('big', `${i}-1`, 'f', `value ${i}`, 'g', String(i * 7));
    await c.xdel('big', '1-1', '200-1', '201-1');
    await c.xgroup('CREATE', 'big', 'a', '0');
    await c.xgroup('CREATE', 'big', 'b', '$');
    await c.xgroup('CREATE', 'big', 'c', '100-1', 'ENTRIESREAD', '7'); // entries read a type 15 would not derive
    await c.xreadgroup('GROUP', 'a', 'alice', 'COUNT', '3', 'STREAMS', 'big', '>');
    await c.xreadgroup('GROUP', 'a', 'bob', 'COUNT', '2', 'STREAMS', 'big', '>');
    await c.xadd('small', '5-5', 'x', 'y');
    const { keys } = keysOf(readFileSync(await bgsave(server, c)));
    for (const k of keys) {
      expect(k.type).toBe(19);
      streams.push({ name: k.name, type: 19, object: k.object });
      const as21 = streamWithActiveTime(k.object, 1_700_000_000_000n);
      streams.push({ name: `${k.name} as 21`, type: 21, object: as21 });
      streams.push({ name: `${k.name} as 26`, type: 26, object: newerStreamObject(as21, 26, IDMP_TAIL) });
      // alice holds 2-1, 3-1, 4-1 (1-1 was deleted), bob 5-1 and 6-1: one of each NACKed.
      streams.push({ name: `${k.name} as 27`, type: 27, object: newerStreamObject(as21, 27, IDMP_TAIL, new Set(['3-1', '6-1'])) });
    }
    expect(streams).toHaveLength(8);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('the same bytes, digests, ids and losses as of its bytes joined, cut every 1, 7, 4096 bytes or not at all, as type 15 and 19 (and 21)', () => {
    for (const s of streams)
      for (const to of s.type === 19 ? [STREAM_1, STREAM_2] : [STREAM_1, STREAM_2, STREAM_3]) {
        const whole = new StreamLayout().read(s.type, s.object, 0, s.object.length);
        const expected = outcome(whole, to, (out) => whole.writeAs(to, out));
        expect(expected.bytes.length, s.name).toBeGreaterThan(to === STREAM_1 ? 20 : 40);
        for (const size of [1, 7, 4096, s.object.length]) {
          const layout = new StreamLayout().readParts(s.type, cut(s.object, size));
          const got = outcome(layout, to, (out) => {
            let closed = 0;
            layout.writePiecesAs(to, {
              piece: (b) => {
                expect(b.length, 'no empty piece').toBeGreaterThan(0);
                out.bytes(b);
              },
              piecesWritten: (type, head) => {
                expect([type, head.length]).toEqual([to, 0]);
                closed++;
              },
            });
            expect(closed).toBe(1);
          });
          expect(got, `${s.name} as ${to}, parts of ${size}`).toEqual(expected);
        }
      }
    // The big one's ids are not what a type 15 derives: its losses are named (group names read across the parts).
    const big = streams.find((s) => s.name === 'big')!;
    expect(new StreamLayout().readParts(19, cut(big.object, 1)).lost().join('; ')).toMatch(/; group c entries-read 7 \(would be nil\)$/);
    // A type 27's NACKed entries, named by group (read across the parts), and its IDMP tail, as the judge needs them.
    const nacked = streams.find((s) => s.name === 'big as 27')!;
    expect(new StreamLayout().readParts(27, cut(nacked.object, 1)).extras).toEqual({
      nacked: [{ group: 'a', entries: 2 }],
      idmp: { duration: 60, maxEntries: 50, producers: 1, ids: 1, added: 1n, duplicates: 0n },
    });
  });

  it('a type 27 as 21 is the type 21 without its NACKed entries in the PEL: the count made, the entries left out, the rest as it was', () => {
    const s21 = streams.find((s) => s.name === 'big as 21')!.object;
    const s27 = streams.find((s) => s.name === 'big as 27')!.object;
    const out = new RdbOut(64);
    new StreamLayout().read(27, s27, 0, s27.length).writeAs(STREAM_3, out);
    const written = out.take();
    // Group a's PEL held 5 entries (an id, a delivery time, a count: 25 bytes each): 2 fewer, its count 5 → 3. Their
    // consumers no longer own them (16 bytes each in the type 27 already): 2 × 25 + 2 × 16 bytes less than the 21.
    expect(written.length).toBe(s21.length - 2 * 25 - 2 * 16);
    const id = (ms: number) => Buffer.from([0, 0, 0, 0, 0, 0, 0, ms, 0, 0, 0, 0, 0, 0, 0, 1]);
    const pelAt = Buffer.from(s21).indexOf(id(2)); // group a's first PEL entry (its name and ids before it)
    expect(s21[pelAt - 1]).toBe(5);
    expect(written[pelAt - 1]).toBe(3);
    expect([0, 1, 2].map((i) => Buffer.from(written.subarray(pelAt + 25 * i, pelAt + 25 * i + 16)))).toEqual([id(2), id(4), id(5)]);
    expect(Buffer.from(written.subarray(pelAt + 25, pelAt + 50))).toEqual(Buffer.from(s21.subarray(pelAt + 50, pelAt + 75)));
    expect(Buffer.from(written.subarray(0, pelAt - 1))).toEqual(Buffer.from(s21.subarray(0, pelAt - 1)));
    // 26 as 21: the type 21 it was made from, byte for byte (its IDMP tail left out).
    const s26 = streams.find((s) => s.name === 'big as 26')!.object;
    const out26 = new RdbOut(64);
    new StreamLayout().read(26, s26, 0, s26.length).writeAs(STREAM_3, out26);
    expect(Buffer.from(out26.take())).toEqual(Buffer.from(s21));
    // A type 19 has no active times: it is not written as a 21.
    const s19 = streams.find((s) => s.name === 'big')!.object;
    expect(() => new StreamLayout().read(19, s19, 0, s19.length).writeAs(STREAM_3, new RdbOut(64))).toThrow(/not a layout a type 19 is written as/);
  });

  it('a stream cut short is refused as malformed, in parts as joined', () => {
    const { object } = streams.find((s) => s.name === 'big')!;
    const short = object.subarray(0, object.length - 3);
    expect(() => new StreamLayout().read(19, short, 0, short.length)).toThrow(/malformed stream/);
    expect(() => new StreamLayout().readParts(19, cut(short, 7))).toThrow(/malformed stream/);
  });
});
