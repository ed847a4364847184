/**
 * A big newer stream walked in the parts a reader kept (StreamLayout.readParts: convert-rdb's big stream re-encoded,
 * issue 55) is written and digested as the same stream's bytes joined are (read, writeAs, digest): the same bytes,
 * digest, ids and losses, wherever the parts are cut. The input: streams a real redis-server 7.0 wrote (several nodes,
 * deletions, three groups, pending entries and consumers), and each framed again as type 21 (each consumer's active
 * time, which no older layout keeps, between its runs).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { STREAM_1, STREAM_2, StreamLayout } from '../../../../../lambdas/domain/rdb/write/source-forms.js';
import { keysOf, streamWithActiveTime } from '../../../../support/rdb-newer.js';
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
      streams.push({ name: `${k.name} as 21`, type: 21, object: streamWithActiveTime(k.object, 1_700_000_000_000n) });
    }
    expect(streams).toHaveLength(4);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('the same bytes, digests, ids and losses as of its bytes joined, cut every 1, 7, 4096 bytes or not at all, as type 15 and 19', () => {
    for (const s of streams)
      for (const to of [STREAM_1, STREAM_2]) {
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
  });

  it('a stream cut short is refused as malformed, in parts as joined', () => {
    const { object } = streams.find((s) => s.name === 'big')!;
    const short = object.subarray(0, object.length - 3);
    expect(() => new StreamLayout().read(19, short, 0, short.length)).toThrow(/malformed stream/);
    expect(() => new StreamLayout().readParts(19, cut(short, 7))).toThrow(/malformed stream/);
  });
});
