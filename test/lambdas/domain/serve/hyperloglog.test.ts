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
