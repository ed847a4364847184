import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderedDigestOn, readCanonicalBatch } from '../../../../../lambdas/adapters/redis/canonical-read.js';
import { keyspaceOf } from '../../../../../lambdas/adapters/redis/keyspace.js';
import { keyDigest, type KeyDigest, type KeyValue, valueDigest } from '../../../../../lambdas/domain/rdb/fingerprint.js';
import { dumpPayload } from '../../../../../lambdas/domain/rdb/format/dump-payload.js';
import { RdbKeyReader, type RdbKey } from '../../../../../lambdas/domain/rdb/keys.js';
import { decodeDumpPayload, payloadDigest } from '../../../../../lambdas/domain/rdb/format/value.js';
import { seedDataset } from '../../../../cli/support/dataset.js';
import { mulberry32 } from '../../../../support/prng.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../../support/rdb-corpus.js';
import { populate } from '../../../../support/rdb-dataset.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../../support/redis-server.js';
import { ziplist } from '../../../../support/ziplist-bytes.js';

/** Every key of an RDB file, each with its DUMP payload. */
function fileKeys(data: Uint8Array): RdbKey[] {
  const reader = new RdbKeyReader();
  const keys = reader.push(data);
  const report = reader.end();
  expect(report.error).toBeUndefined();
  expect(keys.length).toBe(report.keys);
  return keys;
}

const label = (k: RdbKey): string => `db ${k.db} ${JSON.stringify(k.name.toString('latin1'))} (RDB type ${k.type})`;

/** What compare computes for each key, read from the server (`client` is left on database 0). */
async function serverDigests(client: Redis, keys: readonly RdbKey[]): Promise<Map<RdbKey, KeyDigest | undefined>> {
  const out = new Map<RdbKey, KeyDigest | undefined>();
  for (const db of new Set(keys.map((k) => k.db))) {
    const some = keys.filter((k) => k.db === db);
    await client.select(db);
    const reads = await readCanonicalBatch(
      client,
      some.map((k) => k.name),
    );
    some.forEach((k, i) => {
      out.set(k, reads[i] && keyDigest(reads[i].value, reads[i].expireAtMs));
    });
  }
  await client.select(0);
  return out;
}

/** The keys whose payload digest is not the server's, by label (empty when all agree). */
async function disagreements(client: Redis, keys: readonly RdbKey[]): Promise<string[]> {
  const fromServer = await serverDigests(client, keys);
  return keys.filter((k) => JSON.stringify(payloadDigest(k.payload, k.expireAtMs)) !== JSON.stringify(fromServer.get(k))).map(label);
}

/** Integers of every ziplist / listpack / intset width, and text that only looks like one. */
const INTEGERS = [
  '0',
  '7',
  '12',
  '13',
  '127',
  '128',
  '-1',
  '-4096',
  '4095',
  '4096',
  '-32768',
  '32767',
  '32768',
  '8388607',
  '-8388608',
  '8388608',
  '2147483647',
  '-2147483648',
  '2147483648',
  '9223372036854775807',
  '-9223372036854775808',
  '007',
  '1.5',
  ' 1',
  '-0',
  '+3',
];
/** Scores whose printed text is easy to get wrong. */
const SCORES = [
  '0',
  '-0',
  '0.1',
  String(1 / 3),
  '1e17',
  '123456789012',
  '1e300',
  '-1e-300',
  '5e-324',
  '1.7976931348623157e308',
  '-2.5',
  '+inf',
  '-inf',
  '4503599627370497',
];

/** Edge cases of every type on top of `populate` (database 0). */
async function populateEdges(c: Redis): Promise<void> {
  await c.rpush('edge:list:ints', ...INTEGERS);
  await c.sadd('edge:set:int16', 1, -2, 300);
  await c.sadd('edge:set:int32', 70_000, -1);
  await c.sadd('edge:set:int64', '9223372036854775807', '-9223372036854775808', 5);
  await c.sadd('edge:set:manyints', ...Array.from({ length: 600 }, (_, i) => i * 7919 - 2_000_000)); // hash table of integer-encoded strings
  await c.hset('edge:hash:ints', Object.fromEntries(INTEGERS.map((x, i) => [x, INTEGERS[INTEGERS.length - 1 - i]!])));
  await c.hset('edge:hash:long', 'f', 'v'.repeat(100), 'g', 'short'); // a long value: hash table with two fields
  await c.zadd('edge:zset:scores', ...SCORES.flatMap((s, i) => [s, `m${i}`]));
  await c.zadd('edge:zset:scores:big', ...SCORES.flatMap((s, i) => [s, `m${i}`]), ...Array.from({ length: 200 }, (_, i) => [i * 1.1, `n${i}`]).flat());
  await c.set('edge:str:empty', '');
  await c.set('edge:str:int64', '9223372036854775807');
  await c.set('edge:str:binary', Buffer.from([0, 0xff, 0x80, 0x0a, 0x0d]));
  // Quicklist nodes LZF-compressed in memory are written compressed.
  await c.config('SET', 'list-compress-depth', '1');
  await c.rpush('edge:list:compressed', ...Array.from({ length: 3000 }, (_, i) => `item ${i % 50} ${'z'.repeat(i % 30)}`));
  await c.config('SET', 'list-compress-depth', '0');
  // Same fields, other fields, a negative seq delta, a huge ms delta (wraps as uint64), an XDEL'd entry.
  await c.xadd('edge:stream', '5-10', 'a', '1', 'b', 'x');
  await c.xadd('edge:stream', '5-11', 'a', '2', 'b', 'y');
  await c.xadd('edge:stream', '6-0', 'c', 'z');
  await c.xadd('edge:stream', '6-1', 'a', '-3');
  await c.xadd('edge:stream', '7-0', 'a', '99999999999', 'b', '');
  await c.xadd('edge:stream', '18446744073709551614-3', 'a', 'far', 'b', 'future');
  await c.xdel('edge:stream', '5-11');
  await c.xgroup('CREATE', 'edge:stream', 'g1', '0');
  await c.call('XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', '3', 'STREAMS', 'edge:stream', '>');
  await c.xack('edge:stream', 'g1', '5-10');
  await c.xgroup('CREATE', 'edge:stream', 'g2', '$');
  await c.call('XGROUP', 'CREATECONSUMER', 'edge:stream', 'g2', 'idle');
  // Several nodes (100 entries a node by default), deleted entries in them, pending entries of two consumers.
  for (let i = 0; i < 350; i++) {
    const extra = i % 3 === 0 ? ['extra', String(i * i)] : [];
    await c.xadd('edge:stream:long', `${1_700_000_000_000 + i}-${i % 4}`, 'n', String(i), 'text', `entry ${i}`, ...extra);
  }
  for (let i = 0; i < 350; i += 7) await c.xdel('edge:stream:long', `${1_700_000_000_000 + i}-${i % 4}`);
  await c.xgroup('CREATE', 'edge:stream:long', 'readers', '0');
  await c.call('XREADGROUP', 'GROUP', 'readers', 'alice', 'COUNT', '40', 'STREAMS', 'edge:stream:long', '>');
  await c.call('XREADGROUP', 'GROUP', 'readers', 'bob', 'COUNT', '25', 'STREAMS', 'edge:stream:long', '>');
  await c.xgroup('CREATE', 'edge:stream:empty', 'waiting', '$', 'MKSTREAM');
  await c.xadd('edge:stream:emptied', '1-1', 'a', 'b');
  await c.xdel('edge:stream:emptied', '1-1');
}

/** Random keys of every type, sizes on both sides of the listpack / intset limits (database `db`). */
async function populateRandom(c: Redis, seed: number, db: number): Promise<void> {
  const rand = mulberry32(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const size = (): number => [1 + int(5), 100 + int(60), 300 + int(400)][int(3)]!;
  const bytes = (): Buffer => Buffer.from(Array.from({ length: int(3) === 0 ? 70 + int(30) : 1 + int(12) }, () => (int(2) ? 97 + int(26) : int(256))));
  const item = (): Buffer => (int(4) === 0 ? Buffer.from(String(int(1e6) - 5e5)) : bytes());
  const many = (n: number, f: () => Buffer): Buffer[] => Array.from({ length: n }, f);
  await c.select(db);
  for (let k = 0; k < 30; k++) {
    const key = `r${seed}:${k}`;
    switch (k % 6) {
      case 0:
        await c.set(key, int(2) ? item() : Buffer.alloc(200 + int(2000), 97 + int(3)));
        break;
      case 1:
        await c.rpush(key, ...many(size(), item));
        break;
      case 2:
        await c.sadd(key, ...(int(2) ? many(size(), () => Buffer.from(String(int(1e9) - 5e8))) : many(size(), item)));
        break;
      case 3:
        await c.zadd(key, ...many(size(), item).flatMap((m) => [int(2) ? int(1000) - 500 : (rand() - 0.5) * 10 ** int(20), m]));
        break;
      case 4:
        await c.hset(key, ...many(size(), item).flatMap((f) => [f, item()]));
        break;
      default:
        for (let i = 0, n = size(); i < n; i++) await c.xadd(key, '*', ...many(2 * (1 + int(3)), item));
        await c.xgroup('CREATE', key, 'g', '0');
        await c.call('XREADGROUP', 'GROUP', 'g', 'reader', 'COUNT', String(1 + int(20)), 'STREAMS', key, '>');
    }
    if (int(4) === 0) await c.pexpire(key, 1_000_000 + int(1e6));
  }
  await c.select(0);
}

describe('decodeDumpPayload: every key of a BGSAVE file equals what the server that wrote it answers', () => {
  let server: RedisServer;
  let client: Redis;
  let keys: RdbKey[];
  const key = (name: string, db = 0): RdbKey => keys.find((k) => k.db === db && k.name.toString() === name)!;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    client = server.client();
    await populate(client);
    await populateEdges(client);
    await populateRandom(client, 1, 2);
    await populateRandom(client, 2, 2);
    await client.select(3);
    await seedDataset(client, { reversed: true });
    await client.select(0);
    keys = fileKeys(readFileSync(await bgsave(server, client)));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('holds every encoding redis-server 7.0 writes', () => {
    // string, quicklist 2, set hash table and intset, zset skiplist and listpack, hash table and listpack, stream listpacks 2
    expect(new Set(keys.map((k) => k.type))).toEqual(new Set([0, 18, 2, 11, 5, 17, 4, 16, 19]));
    expect(keys.length).toBeGreaterThan(100);
  });

  it('payloadDigest equals the digest of readCanonicalBatch, key by key (value, type and expiry)', async () => {
    expect(await disagreements(client, keys)).toEqual([]);
  });

  it('streams and hashes, read by DUMP for the fingerprint, agree with what the server answers by command (XINFO STREAM, XPENDING, XINFO CONSUMERS; HGETALL)', async () => {
    const ks = keyspaceOf(client);
    const streams = keys.filter((k) => k.db === 0 && k.type === 19);
    expect(streams.length).toBeGreaterThanOrEqual(4);
    for (const k of streams) {
      const size = await client.xlen(k.name);
      expect((await orderedDigestOn(ks, k.name, 'stream', size, 7)).digest, k.name.toString()).toBe(valueDigest(decodeDumpPayload(k.payload)));
    }
    for (const k of keys.filter((x) => x.db === 0 && (x.type === 4 || x.type === 16))) {
      const byCommand = await client.hgetallBuffer(k.name);
      const decoded = decodeDumpPayload(k.payload);
      expect(decoded.type === 'hash' && Object.fromEntries(decoded.fields.map(([f, v]) => [f.toString('latin1'), v]))).toEqual(
        Object.fromEntries(Object.entries(byCommand).map(([f, v]) => [Buffer.from(f).toString('latin1'), v])),
      );
    }
  });

  it('decodes to the values the server answers', () => {
    expect(decodeDumpPayload(key('list:small').payload)).toEqual({ type: 'list', items: ['a', 'b', 'c'].map((x) => Buffer.from(x)) });
    expect(decodeDumpPayload(key('zset:small').payload)).toEqual({
      type: 'zset',
      entries: [
        [Buffer.from('c'), '-inf'],
        [Buffer.from('a'), '1'],
        [Buffer.from('b'), '2.5'],
      ],
    });
    expect(decodeDumpPayload(key('edge:list:ints').payload)).toEqual({ type: 'list', items: INTEGERS.map((x) => Buffer.from(x)) });
    const stream = decodeDumpPayload(key('edge:stream').payload);
    expect(stream.type === 'stream' && stream.entries.map(([id]) => id)).toEqual(['5-10', '6-0', '6-1', '7-0', '18446744073709551614-3']);
    expect(stream.type === 'stream' && stream.groups).toEqual([
      {
        name: Buffer.from('g1'),
        lastDeliveredId: '6-1',
        pending: 2,
        pel: [
          ['6-0', Buffer.from('c1'), '1'],
          ['6-1', Buffer.from('c1'), '1'],
        ],
        consumers: [Buffer.from('c1')],
        // The file's stored read counters: unknown (nil) to the server that wrote them, as its XINFO GROUPS answers.
        entriesRead: 'nil',
      },
      { name: Buffer.from('g2'), lastDeliveredId: '18446744073709551614-3', pending: 0, pel: [], consumers: [Buffer.from('idle')], entriesRead: 'nil' },
    ]);
    // XINFO STREAM's ids: 6 entries added, 5-11 deleted.
    expect(stream.type === 'stream' && stream.meta).toEqual({ lastId: '18446744073709551614-3', entriesAdded: '6', maxDeletedId: '5-11' });
    expect(payloadDigest(key('db5:a', 5).payload, key('db5:a', 5).expireAtMs)).toMatchObject({ type: 'string', expireAtMs: key('db5:a', 5).expireAtMs });
  });

  it('a changed member, score, field, list order, stream entry or pending count makes the digests differ; a new BGSAVE agrees again', async () => {
    const changed = ['list:small', 'zset:small', 'zset:big', 'set:small', 'hash:small', 'stream', 'edge:stream', 'edge:stream:long', 'edge:hash:ints'];
    await client.lset('list:small', 0, 'b');
    await client.lset('list:small', 1, 'a');
    await client.zadd('zset:small', 2.5000000000000004, 'b');
    await client.zrem('zset:big', 'm7');
    await client.zadd('zset:big', 7 / 3, 'm7 ');
    await client.srem('set:small', 'c');
    await client.sadd('set:small', 'C');
    await client.hset('hash:small', 'f2', '3');
    await client.xdel('stream', (await client.xrange('stream', '-', '+'))[4]![0]);
    await client.xack('edge:stream', 'g1', '6-0');
    await client.xadd('edge:stream:long', '1800000000000-0', 'n', 'new');
    await client.hset('edge:hash:ints', '007', '7');
    const before = keys.filter((k) => k.db === 0 && changed.includes(k.name.toString()));
    expect(before).toHaveLength(changed.length);
    expect((await disagreements(client, before)).sort()).toEqual(before.map(label).sort());
    const after = fileKeys(readFileSync(await bgsave(server, client))).filter((k) => k.db === 0 && changed.includes(k.name.toString()));
    expect(await disagreements(client, after)).toEqual([]);
  });
});

describe('decodeDumpPayload on older encodings (test/fixtures/rdb): zipmap, ziplists, quicklist 1, linked lists, intsets, text scores', () => {
  it.each(CORPUS_CASES.filter(([, , , keys]) => keys > 0))('%s (RDB v%i): every key equals what redis-server 7.0 loads from the file', async (name) => {
    const path = join(CORPUS_DIR, name);
    const server = await startRedisServer({ loadRdb: path });
    try {
      const keys = fileKeys(readFileSync(path));
      expect(await disagreements(server.client(), keys)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('the corpus holds the encodings 7.0 no longer writes', () => {
    const types = new Set(CORPUS_CASES.flatMap(([name]) => fileKeys(readFileSync(join(CORPUS_DIR, name))).map((k) => k.type)));
    for (const type of [1, 3, 9, 10, 11, 12, 13, 14]) expect(types, `RDB type ${type}`).toContain(type);
  });
});

/** RDB encodings, for payloads of types no local server writes. */
const rdbLength = (n: number | bigint): number[] => {
  const v = BigInt(n);
  if (v < 64n) return [Number(v)];
  if (v < 16384n) return [0x40 | Number(v >> 8n), Number(v & 0xffn)];
  if (v < 1n << 32n) return [0x80, ...bigEndian(v, 4)];
  return [0x81, ...bigEndian(v, 8)];
};
const bigEndian = (v: bigint, width: number): number[] => Array.from({ length: width }, (_, i) => Number((v >> BigInt(8 * (width - 1 - i))) & 0xffn));
/** `v` in `width` bytes, little-endian two's complement. */
const le = (v: bigint, width: number): number[] => bigEndian(BigInt.asUintN(8 * width, v), width).reverse();
const le64 = (v: bigint): number[] => le(v, 8);
const rdbString = (s: string | number[]): number[] => {
  const bytes = typeof s === 'string' ? [...Buffer.from(s)] : s;
  return [...rdbLength(bytes.length), ...bytes];
};
const streamId = (ms: number, seq: number): number[] => [...bigEndian(BigInt(ms), 8), ...bigEndian(BigInt(seq), 8)];

/** A listpack of strings (up to 4095 bytes) and integers (7-bit, 13-bit and 64-bit encodings). */
function listpack(items: readonly (string | number)[]): number[] {
  const entries = items.map((x) => {
    let entry: number[];
    if (typeof x === 'string') {
      const b = [...Buffer.from(x)];
      entry = b.length < 64 ? [0x80 | b.length, ...b] : [0xe0 | (b.length >> 8), b.length & 0xff, ...b];
    } else if (x >= 0 && x < 128) entry = [x];
    else if (x >= -4096 && x < 4096) entry = [0xc0 | ((x >> 8) & 0x1f), x & 0xff];
    else entry = [0xf4, ...le64(BigInt(x))];
    // Back length: the entry's size in 7-bit groups, most significant first; all but that one flagged 0x80.
    const groups: number[] = [];
    for (let n = entry.length; n > 0 || groups.length === 0; n >>= 7) groups.push(n & 0x7f);
    return [...entry, ...groups.reverse().map((g, i) => (i === 0 ? g : g | 0x80))];
  });
  const body = entries.flat();
  const total = 6 + body.length + 1;
  return [...le(BigInt(total), 4), ...le(BigInt(items.length), 2), ...body, 0xff];
}

/** A zipmap (hashes of Redis < 2.6): lengths of 254 and more in 5 bytes, `free` unused bytes after each value. */
function zipmap(pairs: readonly (readonly [string, string])[], free = 0): number[] {
  const len = (n: number): number[] => (n < 254 ? [n] : [254, ...le(BigInt(n), 4)]);
  const entries = pairs.flatMap(([f, v]) => [...len(f.length), ...Buffer.from(f), ...len(v.length), free, ...Buffer.from(v), ...Array<number>(free).fill(0)]);
  return [pairs.length, ...entries, 0xff];
}

const payload = (type: number, body: number[], version: number): Buffer => Buffer.from(dumpPayload(type, Uint8Array.from(body), version));

/** Integers at the edges of every ziplist encoding, and strings of each length encoding. */
const ZIPLIST_ITEMS = [
  'a',
  'x'.repeat(100),
  'y'.repeat(20_000),
  0n,
  12n,
  13n,
  -1n,
  127n,
  -128n,
  128n,
  32767n,
  -32768n,
  32768n,
  8388607n,
  -8388608n,
  8388608n,
  2147483647n,
  -2147483648n,
  2147483648n,
  9223372036854775807n,
  -9223372036854775808n,
];

describe('decodeDumpPayload on encodings redis-server 7.0 reads but no longer writes, RESTOREd into it', () => {
  let server: RedisServer;
  let client: Redis;
  /** What the server makes of the payload: RESTORE it, then read it as compare does. */
  const restored = async (p: Buffer): Promise<KeyDigest> => {
    await client.call('RESTORE', 'restored', '0', p, 'REPLACE');
    const [read] = await readCanonicalBatch(client, [Buffer.from('restored')]);
    return keyDigest(read!.value, read!.expireAtMs);
  };

  beforeAll(async () => {
    server = await startRedisServer();
    client = server.client();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('ziplists: a list (type 10), a quicklist of two (type 14), a hash (type 13) and a zset (type 12) with every integer encoding', async () => {
    const items = ZIPLIST_ITEMS.map((x) => Buffer.from(String(x)));
    const list = payload(10, rdbString(ziplist(ZIPLIST_ITEMS)), 6);
    expect(decodeDumpPayload(list)).toEqual({ type: 'list', items });
    expect(payloadDigest(list, null)).toEqual(await restored(list));
    const quicklist = payload(14, [2, ...rdbString(ziplist(ZIPLIST_ITEMS.slice(0, 5))), ...rdbString(ziplist(ZIPLIST_ITEMS.slice(5)))], 7);
    expect(decodeDumpPayload(quicklist)).toEqual({ type: 'list', items });
    expect(payloadDigest(quicklist, null)).toEqual(await restored(quicklist));
    const hash = payload(13, rdbString(ziplist(ZIPLIST_ITEMS.flatMap((x, i) => [`f${i}`, x]))), 9);
    expect(payloadDigest(hash, null)).toEqual(await restored(hash));
    const zset = payload(
      12,
      rdbString(
        ziplist(
          ZIPLIST_ITEMS.slice(3)
            .flatMap((x, i) => [`m${i}`, x])
            .concat(['frac', '0.10000000000000001', 'inf', 'inf']),
        ),
      ),
      9,
    );
    expect(payloadDigest(zset, null)).toEqual(await restored(zset));
  });

  it('a zipmap (type 9) with lengths of 254 and more and free bytes after the values', async () => {
    for (const free of [0, 3]) {
      const p = payload(
        9,
        rdbString(
          zipmap(
            [
              ['f', 'v'],
              ['long', 'w'.repeat(300)],
              ['k'.repeat(260), ''],
            ],
            free,
          ),
        ),
        3,
      );
      expect(decodeDumpPayload(p)).toEqual({
        type: 'hash',
        fields: [
          ['f', 'v'],
          ['long', 'w'.repeat(300)],
          ['k'.repeat(260), ''],
        ].map(([f, v]) => [Buffer.from(f!), Buffer.from(v!)]),
      });
      expect(payloadDigest(p, null)).toEqual(await restored(p));
    }
  });
});

describe('decodeDumpPayload on encodings no local server writes (or reads), against the same data written with commands', () => {
  let server: RedisServer;
  let client: Redis;
  const digestOf = async (name: string): Promise<KeyDigest> => {
    const [read] = await readCanonicalBatch(client, [Buffer.from(name)]);
    return keyDigest(read!.value, read!.expireAtMs);
  };

  beforeAll(async () => {
    server = await startRedisServer();
    client = server.client();
    await client.hset('h', 'f1', 'v1', 'f2', '2', 'long', 'v'.repeat(100));
    await client.sadd('s', 'a', 'b', '7', 'ccc', '-5000');
    await client.zadd('z', '1.5', 'm1', '+inf', 'm2', '-inf', 'm3', '0.1', 'm4', '3', 'm5');
    for (const [id, ...fv] of [
      ['1-1', 'a', '1', 'b', 'x'],
      ['1-2', 'a', '2', 'b', 'y'],
      ['1-3', 'a', '3', 'b', 'z'],
      ['2-0', 'c', 'w'],
    ])
      await client.xadd('x', id!, ...fv);
    await client.xdel('x', '1-3');
    await client.xgroup('CREATE', 'x', 'g', '0');
    await client.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 'x', '>');
    // Its read counter as the hand-built streams below store it (over a deleted entry 7.0 leaves it unknown: nil).
    await client.call('XGROUP', 'SETID', 'x', 'g', '1-2', 'ENTRIESREAD', '2');
  });

  afterAll(async () => {
    await server?.stop();
  });

  const HASH = [
    ['f1', 'v1'],
    ['f2', '2'],
    ['long', 'v'.repeat(100)],
  ] as const;
  const EXPIRY = 1_900_000_000_000n;

  it('hashes with field expiration: Redis 7.4+ types 22–25 and Valkey 9 type 22, with their field TTLs', async () => {
    const plain = await digestOf('h');
    const [read] = await readCanonicalBatch(client, [Buffer.from('h')]);
    const h = read!.value as Extract<KeyValue, { type: 'hash' }>;
    const timed: KeyValue = { ...h, fieldExpireAtMs: h.fields.map(([f]) => (f.toString() === 'f2' ? Number(EXPIRY + 5n) : null)) };
    const expected = keyDigest(timed, null);
    expect(expected.digest).not.toBe(plain.digest);
    const ttls = [0n, EXPIRY + 5n, 0n];
    const redis22 = [...rdbLength(3), ...HASH.flatMap(([f, v], i) => [...rdbLength(ttls[i]!), ...rdbString(f), ...rdbString(v)])];
    const redis24 = [
      ...le64(EXPIRY),
      ...rdbLength(3),
      ...HASH.flatMap(([f, v], i) => [...rdbLength(ttls[i] ? ttls[i] - EXPIRY + 1n : 0n), ...rdbString(f), ...rdbString(v)]),
    ];
    const triplets = rdbString(listpack(HASH.flatMap(([f, v], i) => [f, /^\d+$/.test(v) ? Number(v) : v, Number(ttls[i])])));
    const valkey22 = [...rdbLength(3), ...HASH.flatMap(([f, v], i) => [...rdbString(f), ...rdbString(v), ...le64(ttls[i] ? ttls[i] : -1n)])];
    for (const [type, body, version] of [
      [22, redis22, 12],
      [24, redis24, 12],
      [23, triplets, 12],
      [25, [...le64(EXPIRY), ...triplets], 12],
      [22, valkey22, 80],
    ] as const) {
      expect(payloadDigest(payload(type, [...body], version), null), `type ${type}, version ${version}`).toEqual(expected);
      expect(decodeDumpPayload(payload(type, [...body], version))).toMatchObject({ fieldExpireAtMs: [null, Number(EXPIRY + 5n), null] });
      // Once f2's TTL has passed, the hash is what the server holds without it.
      expect(payloadDigest(payload(type, [...body], version), null, Number(EXPIRY + 6n)).digest).toBe(
        keyDigest({ type: 'hash', fields: h.fields.filter(([f]) => f.toString() !== 'f2') }, null).digest,
      );
    }
    // Valkey's type 22 is told from Redis's by the payload's RDB version: read as Redis's, it is malformed.
    expect(() => decodeDumpPayload(payload(22, valkey22, 12))).toThrow(/^malformed DUMP payload \(RDB type 22/);
  });

  it('a set listpack (RDB 11, Redis 7.2+)', async () => {
    expect(payloadDigest(payload(20, rdbString(listpack(['a', 'b', 7, 'ccc', -5000])), 11), null)).toEqual(await digestOf('s'));
    expect(payloadDigest(payload(20, rdbString(listpack(['a', 'b', 7, 'ccc', -5001])), 11), null)).not.toEqual(await digestOf('s'));
  });

  it('a zset with text scores (RDB type 3) and infinities', async () => {
    const text = (s: string): number[] => [s.length, ...Buffer.from(s)];
    const body = [
      ...rdbLength(5),
      ...rdbString('m1'),
      ...text('1.5'),
      ...rdbString('m2'),
      254,
      ...rdbString('m3'),
      255,
      ...rdbString('m4'),
      ...text('0.10000000000000001'),
      ...rdbString('m5'),
      ...text('3'),
    ];
    const p = payload(3, body, 7);
    expect(payloadDigest(p, null)).toEqual(await digestOf('z'));
    // The server reads the same bytes the same way.
    await client.call('RESTORE', 'z3', '0', p);
    expect(payloadDigest(p, null)).toEqual(await digestOf('z3'));
  });

  it('streams of listpacks 1 (type 15) and 3 (type 21), as the server holds the same entries and group', async () => {
    // Master entry: 3 live, 1 deleted, fields a and b; then 1-1, 1-2 (same fields), 1-3 (deleted), 2-0 (its own field, seq delta -1).
    const node = listpack([3, 1, 2, 'a', 'b', 0, 2, 0, 0, '1', 'x', 5, 2, 0, 1, '2', 'y', 5, 3, 0, 2, '3', 'z', 5, 0, 1, -1, 1, 'c', 'w', 6]);
    const stream = (type: number): number[] => [
      ...rdbLength(1),
      ...rdbString(streamId(1, 1)),
      ...rdbString(node),
      ...rdbLength(3),
      ...rdbLength(2),
      ...rdbLength(0), // length, last id
      ...(type >= 19 ? [...rdbLength(1), ...rdbLength(1), ...rdbLength(1), ...rdbLength(3), ...rdbLength(4)] : []), // first id, max deleted id, entries added
      ...rdbLength(1),
      ...rdbString('g'),
      ...rdbLength(1),
      ...rdbLength(2),
      ...(type >= 19 ? rdbLength(2) : []), // group g, last delivered 1-2, entries read
      ...rdbLength(2),
      ...streamId(1, 1),
      ...le64(1_700_000_000_000n),
      ...rdbLength(1),
      ...streamId(1, 2),
      ...le64(1_700_000_000_000n),
      ...rdbLength(1), // PEL
      ...rdbLength(1),
      ...rdbString('alice'),
      ...le64(1_700_000_000_000n),
      ...(type >= 21 ? le64(1_700_000_000_000n) : []),
      ...rdbLength(2),
      ...streamId(1, 1),
      ...streamId(1, 2),
    ];
    const expected = await digestOf('x');
    for (const type of [19, 21]) expect(payloadDigest(payload(type, stream(type), type === 21 ? 11 : 9), null), `type ${type}`).toEqual(expected);
    // Type 15 keeps neither entries added nor the largest deleted id: Redis 7.0 derives 3 and 0-0 loading it, not x's 4 and 1-3.
    expect(payloadDigest(payload(15, stream(15), 9), null).digest).not.toBe(expected.digest);
    // redis-server 7.0 reads types 15 and 19: the same bytes restored are the same stream to it.
    for (const type of [15, 19]) {
      await client.call('RESTORE', `x${type}`, '0', payload(type, stream(type), 9));
      expect(await digestOf(`x${type}`), `type ${type} restored`).toEqual(payloadDigest(payload(type, stream(type), 9), null));
    }
    expect((await client.call('XINFO', 'STREAM', 'x15')) as unknown[]).toEqual(expect.arrayContaining(['entries-added', 3, 'max-deleted-entry-id', '0-0']));
    expect(decodeDumpPayload(payload(21, stream(21), 11))).toEqual({
      type: 'stream',
      entries: [
        ['1-1', ['a', '1', 'b', 'x'].map((s) => Buffer.from(s))],
        ['1-2', ['a', '2', 'b', 'y'].map((s) => Buffer.from(s))],
        ['2-0', ['c', 'w'].map((s) => Buffer.from(s))],
      ],
      groups: [
        {
          name: Buffer.from('g'),
          lastDeliveredId: '1-2',
          pending: 2,
          pel: [
            ['1-1', Buffer.from('alice'), '1'],
            ['1-2', Buffer.from('alice'), '1'],
          ],
          consumers: [Buffer.from('alice')],
          entriesRead: '2',
        },
      ],
      meta: { lastId: '2-0', entriesAdded: '4', maxDeletedId: '1-3' },
    });
  });

  it('module values (types 6 and 7) are `other`, named by their module type, with the payload as their bytes', () => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const id = ([...'ReJSON-RL'].reduce((acc, c) => (acc << 6n) | BigInt(chars.indexOf(c)), 0n) << 10n) | 3n;
    const p = payload(7, [0x81, ...bigEndian(id, 8), 0x05, ...rdbString('{}'), 0x00], 11);
    expect(decodeDumpPayload(p)).toEqual({ type: 'other', typeName: 'ReJSON-RL', dump: p });
    expect(payloadDigest(p, 5).type).toBe('ReJSON-RL');
    expect(decodeDumpPayload(payload(6, [0x81, ...bigEndian(id, 8), 0x00], 7))).toMatchObject({ type: 'other', typeName: 'ReJSON-RL' });
  });

  it.each<[string, Buffer, RegExp]>([
    ['a payload shorter than its footer', Buffer.from([0, 1, 2]), /too short/],
    ['an unknown type', payload(8, [0], 11), /RDB type 8.*unknown RDB value type 8/],
    // Not called malformed: its field names are the file's templates (format/template-ref.ts reads it with them).
    [
      'a hash that references a template of its file (type 32)',
      payload(32, [1, ...rdbString('v')], 15),
      /^a hash whose field names are a template of its file \(Redis 8\.10, RDB type 32\).*convert-rdb/,
    ],
    [
      'a hash that references a template of its file (type 30)',
      payload(30, [0], 15),
      /^a hash whose field names are a template of its file \(Redis 8\.10, RDB type 30\)/,
    ],
    ['a truncated value', payload(0, [5, 0x61, 0x62], 11), /RDB type 0.*5 bytes needed at byte 2/],
    ['bytes after the value', payload(0, [1, 0x61, 0x62], 11), /1 bytes after the value/],
    ['a NaN score', payload(5, [...rdbLength(1), ...rdbString('m'), ...le64(0x7ff8000000000000n)], 11), /score is NaN/],
    ['a broken listpack', payload(16, rdbString([7, 0, 0, 0, 0, 0, 0xfe]), 11), /listpack does not end with 0xFF/],
    ['a stream length its nodes do not hold', payload(19, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0], 11), /says it holds 1 entries, its nodes hold 0/],
  ])('refuses %s with a clear error', (_, bytes, message) => {
    expect(() => decodeDumpPayload(bytes)).toThrow(message);
  });
});
