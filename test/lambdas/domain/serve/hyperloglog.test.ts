/**
 * PFCOUNT as a real redis-server 7.0 answers it: HLL values written by the
 * server (sparse and dense, the cached count valid or stale, several keys
 * merged, corrupt and foreign strings), read as their bytes (GET changes
 * nothing) and counted here, against the server's own PFCOUNT; then through
 * `serve` on the point the server saved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HllMerge, isHll, pfcountOne } from '../../../../lambdas/domain/serve/hyperloglog.js';
import { type Serving, startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { RawClient } from '../../../support/resp-raw.js';
import { bgsave, type RedisServer, startRedisServer } from '../../../support/redis-server.js';

/** Element counts: an empty HLL, sparse ones, and dense ones (past hll-sparse-max-bytes 3000). */
const SIZES = [0, 1, 7, 100, 900, 5_000, 40_000];

/** An HLL header: encoding 0 (dense) or 1 (sparse), the cached count (its top bit set: stale). */
function header(encoding: number, card: bigint): Buffer {
  const h = Buffer.alloc(16);
  h.write('HYLL', 0, 'latin1');
  h[4] = encoding;
  h.writeBigUInt64LE(card, 8);
  return h;
}
const STALE = 1n << 63n;
/** A dense value every register of which is `r` (6 bits each, packed least significant first), its cache stale. */
function denseAll(r: number): Buffer {
  const registers = Buffer.alloc((16384 * 6) / 8);
  for (let i = 0; i < 16384; i++) {
    const bit = i * 6;
    registers[bit >> 3]! |= (r << (bit & 7)) & 0xff;
    if ((bit & 7) > 2) registers[(bit >> 3) + 1]! |= r >> (8 - (bit & 7));
  }
  return Buffer.concat([header(0, STALE), registers]);
}

/**
 * Crafted values (review 23): registers too high for a real HLL (the estimate overflows 64 bits, or lies between 2^53
 * and 2^63), a cached count past 2^53, and sparse values whose runs go past the last register (CVE-2025-32023's case:
 * the machine's 7.0.15 carries the fix, as every current release does).
 */
const CRAFTED: Record<string, (c: { sparse: Buffer }) => Buffer> = {
  'hll:all63': () => denseAll(63),
  'hll:all50': () => denseAll(50),
  'hll:all45': () => denseAll(45),
  // A valid cache (top bit clear) of 2^55 + 7 and one near 2^63 over a real sparse value's registers.
  'hll:cache55': ({ sparse }) => Buffer.concat([header(1, 2n ** 55n + 7n), sparse.subarray(16)]),
  'hll:cache63': ({ sparse }) => Buffer.concat([header(1, 9151314442816847873n), sparse.subarray(16)]),
  // XZERO of every register, then VAL 3 registers of 1: past the end after covering every register.
  'sp:over': () => Buffer.concat([header(1, STALE), Buffer.from([0x7f, 0xff, 0x82])]),
  // XZERO 16,380, then ZERO 10: a zero run past the end.
  'sp:zero-over': () => Buffer.concat([header(1, STALE), Buffer.from([0x7f, 0xfb, 0x09])]),
  // XZERO 16,382, then VAL 4 registers of 2: past the end before covering every register.
  'sp:val-mid': () => Buffer.concat([header(1, STALE), Buffer.from([0x7f, 0xfd, 0x87])]),
};

describe('PFCOUNT (hyperloglog.ts) against a real Redis 7.0', () => {
  let server: RedisServer;
  let serving: Serving | undefined;
  let location = '';
  /** Each string key's bytes as the point holds them (read by GET before any PFCOUNT cached a count). */
  const bytes = new Map<string, Buffer | null>();
  /** The server's reply to each request, byte for byte. */
  const expected = new Map<string, string>();
  const requests: string[][] = [
    ...SIZES.map((n) => [`hll:${n}`]),
    ['hll:cached'],
    ['hll:cut'],
    ['str'],
    ['list'],
    ['nope'],
    ['hll:1', 'hll:900', 'hll:40000'],
    ['hll:5000', 'nope', 'hll:100'],
    ['hll:100', 'str'],
    ['hll:100', 'list'],
    ['str', 'list'],
    ['hll:40000', 'hll:cut'],
    ...Object.keys(CRAFTED).map((k) => [k]),
    ['hll:100', 'sp:over'],
    ['sp:over', 'sp:over'],
    ['sp:over', 'str'],
    ['hll:1', 'sp:zero-over'],
    ['hll:1', 'sp:val-mid'],
    ['hll:all63', 'hll:1'],
    ['hll:all50', 'hll:100'],
    ['hll:all45', 'hll:7'],
    ['hll:cache55', 'hll:1'],
  ];

  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    for (const n of SIZES) {
      if (n === 0) await c.pfadd(`hll:${n}`);
      for (let i = 0; i < n; i += 1000) await c.pfadd(`hll:${n}`, ...Array.from({ length: Math.min(1000, n - i) }, (_, j) => `e${i + j}:${n}`));
    }
    // A valid cached count (PFCOUNT ran) beside the stale ones (PFADD leaves the cache stale).
    await c.pfadd('hll:cached', 'a', 'b', 'c');
    await c.pfcount('hll:cached');
    // A sparse value whose runs cover too few registers (a ZERO run of 64 and a VAL run of 4: 68 of 16,384), a foreign string, a list.
    const sparse = (await c.getBuffer('hll:100'))!;
    await c.set('hll:cut', Buffer.concat([sparse.subarray(0, 16), Buffer.from([0x3f, 0x83])]));
    await c.set('str', 'HYLLnot an hll value');
    for (const [k, make] of Object.entries(CRAFTED)) await c.set(k, make({ sparse }));
    await c.rpush('list', 'x');
    for (const k of new Set(requests.flat())) bytes.set(k, k === 'list' ? null : await c.getBuffer(k));
    location = await bgsave(server, c);
    const raw = await RawClient.open(server.port);
    try {
      for (const keys of requests) expected.set(keys.join(' '), await raw.call('PFCOUNT', ...keys));
    } finally {
      raw.close();
    }
  }, 60_000);

  afterAll(async () => {
    await serving?.close();
    await server?.stop();
  });

  it('has sparse and dense values, stale and valid caches, a corrupt one and a foreign string to count', () => {
    expect(isHll(bytes.get('hll:100')!)).toBe(true);
    expect(bytes.get('hll:100')![4]).toBe(1); // sparse
    expect(bytes.get('hll:40000')![4]).toBe(0); // dense
    expect(bytes.get('hll:40000')![15]! & 0x80).toBe(0x80); // stale: the estimate is computed
    expect(bytes.get('hll:cached')![15]! & 0x80).toBe(0);
    expect(isHll(bytes.get('str')!)).toBe(false);
    expect(expected.get('hll:cut')).toBe('-INVALIDOBJ Corrupted HLL object detected\r\n');
    expect(expected.get('hll:40000')).toMatch(/^:(3[89]|4[01])\d{3}\r\n$/);
    // What the crafted values hold against this server: an estimate past 2^63 answered LLONG_MIN, exact digits past 2^53,
    // a cache past 2^53 as stored, and the patched merge refusing a run past the last register.
    expect(expected.get('hll:all63')).toBe(':-9223372036854775808\r\n');
    expect(expected.get('hll:all50')).toBe(':-9223372036854775808\r\n');
    expect(Number(expected.get('hll:all45')!.slice(1))).toBeGreaterThan(2 ** 53);
    expect(expected.get('hll:cache55')).toBe(`:${2n ** 55n + 7n}\r\n`);
    expect(expected.get('hll:100 sp:over')).toBe('-INVALIDOBJ Corrupted HLL object detected\r\n');
    expect(expected.get('sp:over sp:over')).toBe('-INVALIDOBJ Corrupted HLL object detected\r\n');
    expect(expected.get('sp:over str')).toBe('-INVALIDOBJ Corrupted HLL object detected\r\n');
  });

  it("counts one key's value, or several merged, as the server does", () => {
    for (const keys of requests.filter((k) => !k.includes('list'))) {
      const values = keys.map((k) => bytes.get(k) ?? null);
      let reply: string;
      if (keys.length === 1) {
        const r = pfcountOne(values[0]!);
        reply = 'count' in r ? `:${r.count}` : r.refused;
      } else {
        const merge = new HllMerge();
        const refused = values.map((v) => merge.add(v)).find((why) => why !== undefined);
        reply = refused ?? `:${merge.count()}`;
      }
      const server = expected.get(keys.join(' '))!;
      const words = { 'not-hll': '-WRONGTYPE Key is not a valid HyperLogLog string value.', corrupt: '-INVALIDOBJ Corrupted HLL object detected' };
      expect(`${words[reply as keyof typeof words] ?? reply}\r\n`, keys.join(' ')).toBe(server);
    }
  });

  it('answers PFCOUNT through serve byte for byte as the server, from the point it saved (stale caches computed)', async () => {
    serving = await startServing({ location, port: 0 });
    const raw = await RawClient.open(serving.port);
    try {
      for (const keys of requests) expect(await raw.call('PFCOUNT', ...keys), keys.join(' ')).toBe(expected.get(keys.join(' ')));
      expect(await raw.call('PFCOUNT')).toBe("-ERR wrong number of arguments for 'pfcount' command\r\n");
      expect(await raw.call('PFADD', 'hll:1', 'x')).toMatch(/^-READONLY /);
    } finally {
      raw.close();
    }
  });
});
