/**
 * A stream whose listpack nodes are not in rising ID order (one byte of a
 * node key changed, the CRC-64 made right again): Redis keeps nodes in a
 * radix tree and reads its entries in ID order, redis-dr in file order, so
 * the two would disagree on the stream. The verifier refuses it as corrupt,
 * and a node (so its first entry) above the stream's last ID too.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { createRdbVerifier } from '../../../../lambdas/domain/rdb/verifier.js';
import { streamNodeKeyAt } from '../../../support/rdb-bytes.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** The file with byte `at` set to `value`, its CRC-64 trailer recomputed. */
function changed(file: Buffer, at: number, value: number): Buffer {
  const out = Buffer.from(file);
  out[at] = value;
  new Crc64().update(out, 0, out.length - 8).writeLittleEndian(out, out.length - 8);
  return out;
}

const verify = (bytes: Uint8Array) => {
  const v = createRdbVerifier();
  v.push(bytes);
  return v.end();
};

describe('verifier: stream nodes in rising ID order, none above the last ID', () => {
  let server: RedisServer;
  let file: Buffer;
  let single: Buffer;

  beforeAll(async () => {
    // Two entries per node: four entries make the nodes 1000-1, 1000-3.
    server = await startRedisServer({ args: ['--stream-node-max-entries', '2'] });
    const c = server.client();
    for (let i = 1; i <= 4; i++) await c.xadd('s', `1000-${i}`, 'f', String(i));
    file = Buffer.from(readFileSync(await bgsave(server, c)));
    await c.del('s');
    await c.xadd('one', '1000-1', 'f', 'v');
    single = Buffer.from(readFileSync(await bgsave(server, c)));
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("a real server's file passes (negative)", () => {
    expect(verify(file).ok).toBe(true);
    expect(verify(single).ok).toBe(true);
  });

  it('a first node key changed above the next one: corrupt, naming both IDs', () => {
    const at = streamNodeKeyAt(file, 1000, 1);
    // The milliseconds' top byte 0x00 → 0x40 (the review's fuzzed file): the first node now sorts after the second.
    const r = verify(changed(file, at, 0x40));
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/stream node ID 1000-3 is not above the node before it \(4611686018427388904-1\): node IDs out of order/);
  });

  it("a single node's key changed above the stream's last ID: corrupt", () => {
    const at = streamNodeKeyAt(single, 1000, 1);
    // The sequence's last byte 1 → 9: the node (and its entry) now lies after the last ID, 1000-1.
    const r = verify(changed(single, at + 15, 9));
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/stream entry 1000-9 of node 1000-9 is above the stream's last ID 1000-1/);
  });
});
