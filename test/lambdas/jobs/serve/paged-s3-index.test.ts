/**
 * An index beside an S3 copy read by blocks through ranged GETs (issue 56):
 * on a real S3 API (moto), `serve` opens a backup with a HeadObject of the
 * copy and of its index, a GET of the copy's CRC-64 trailer and one of the
 * index's directory; then a lookup is a ranged GET of the name's hash
 * block, one of the block its row lies in, and one of the value. A changed block is refused (its CRC-32 in the
 * directory), never served; an index replaced while served fails its
 * ETag-pinned read.
 */
import { readFileSync, rmSync } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BackupStore } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import { BLOCK, FOOTER } from '../../../../lambdas/domain/serve/index-file.js';
import { BackupKeyIndex } from '../../../../lambdas/jobs/self-managed/backup-key-index.js';
import { type Serving, startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { keyHistoryOf } from '../../../../lambdas/jobs/serve/history.js';
import { type MotoS3, requestsAfter, requestsSoFar, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { startRedisServer } from '../../../support/redis-server.js';

const FILE = 'rdr-cache-20300101-0100.rdb';
const KEYS = 3_000;
const URL = `s3://backups/prod/${FILE}`;
let moto: MotoS3;
let restoreCredentials: () => void;
let rdb: Buffer;
let index: Buffer;
/** The index's metadata as its writer put it: the backup object's ETag it was built from. */
let indexMetadata: Record<string, string>;
/** What the real server answered for each key, before it saved the file. */
const expected = new Map<string, string>();

beforeAll(async () => {
  moto = await startMotoS3();
  restoreCredentials = useMotoCredentials();
  await moto.bucket('backups');
  const server = await startRedisServer();
  const c = server.client();
  const p = c.pipeline();
  for (let i = 0; i < KEYS; i++) {
    const v = `value-${i}-${'v'.repeat(i % 50)}`;
    p.set(`key:${i}`, v);
    expected.set(`key:${i}`, v);
  }
  // Keys 300-599 expire in one day or in three, alternately: a block holds both (counted at a later clock, below).
  for (let i = 300; i < 600; i++) p.expire(`key:${i}`, i % 2 === 0 ? 86_400 : 3 * 86_400);
  p.expire('key:7', 86_400).hset('h', 'f', 'x').select(2).rpush('l', 'a', 'b');
  await p.exec();
  await c.save();
  rdb = readFileSync(server.rdbPath);
  c.disconnect();
  await server.stop();
  rmSync(server.rdbPath, { force: true });
  const stored = await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${FILE}`, Body: rdb }));
  const builder = new BackupKeyIndex(URL);
  builder.pushVerified(rdb);
  await builder.write(new S3BackupStore(moto.newClient(), 'backups', 'prod/'), FILE, { etag: stored.ETag });
  indexMetadata = (await moto.client.send(new HeadObjectCommand({ Bucket: 'backups', Key: `prod/${FILE}.keys` }))).Metadata ?? {};
  const got = await moto.client.send(new GetObjectCommand({ Bucket: 'backups', Key: `prod/${FILE}.keys` }));
  index = Buffer.from(await got.Body!.transformToByteArray());
}, 90_000);

afterAll(async () => {
  restoreCredentials?.();
  await moto?.stop();
});

/** Puts `body` as the index, with its writer's metadata (as a changed index would keep it). */
async function putIndex(body: Buffer, metadata: Record<string, string> = indexMetadata): Promise<void> {
  await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${FILE}.keys`, Body: body, Metadata: metadata }));
}

/** Every key SCAN (COUNT 500) walks to, in the client's database. */
async function scanAll(c: Redis): Promise<Set<string>> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await c.scan(cursor, 'COUNT', 500);
    for (const k of keys) seen.add(k);
    cursor = next;
  } while (cursor !== '0');
  return seen;
}

async function serving(): Promise<{ s: Serving; c: Redis }> {
  const s = await startServing({ location: URL, s3Endpoint: moto.endpoint, port: 0 });
  return { s, c: new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 }) };
}

describe('an index beside an S3 copy, read by blocks', () => {
  it('counts the keys expired at start where a block holds keys expired and live (its rows read before listening)', async () => {
    const s = await startServing({ location: URL, s3Endpoint: moto.endpoint, port: 0, now: () => Date.now() + 2 * 86_400_000 });
    const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      // key:7 and the 150 even keys of 300-599 have expired two days on; the odd ones have not.
      expect(s.databases.find((d) => d.db === 0)).toEqual({ db: 0, keys: KEYS + 1, expired: 151 });
      expect(await c.dbsize()).toBe(KEYS + 1 - 151);
    } finally {
      c.disconnect();
      await s.close();
    }
  });

  it('opens with the directory alone, then two ranged GETs of the index (hash block, block) and one of the value a lookup', async () => {
    const before = (await requestsAfter(moto, 0)).length;
    const { s, c } = await serving();
    try {
      expect(s.notes).toEqual([`${URL}: its key index (.keys, written when it was verified; read by blocks, not held)`]);
      expect(s.keys).toBe(KEYS + 2);
      const opening = await requestsAfter(moto, before);
      // The copy: HeadObject and its 8-byte trailer; the index: HeadObject and one GET from its end (footer and directory).
      expect(opening.filter((r) => r.includes(`/${FILE}.keys `))).toEqual([
        `HEAD /backups/prod/${FILE}.keys HTTP/1.1 200`,
        `GET /backups/prod/${FILE}.keys HTTP/1.1 206`,
      ]);
      expect(opening.filter((r) => r.includes(`/${FILE} `))).toEqual([`HEAD /backups/prod/${FILE} HTTP/1.1 200`, `GET /backups/prod/${FILE} HTTP/1.1 206`]);
      expect(index.length).toBeGreaterThan(Math.ceil(KEYS / BLOCK) * 1000);

      let at = await requestsSoFar(moto);
      expect(await c.get('key:1234')).toBe(expected.get('key:1234'));
      const one = await requestsAfter(moto, at);
      // The index (RDRKEYS5): the name's hash block, then the block its row lies in; then the value from the copy.
      expect(one).toEqual([
        `GET /backups/prod/${FILE}.keys HTTP/1.1 206`,
        `GET /backups/prod/${FILE}.keys HTTP/1.1 206`,
        `GET /backups/prod/${FILE} HTTP/1.1 206`,
      ]);
      // Every key answers as the server that wrote the file did; TTL, TYPE and DBSIZE from the index.
      for (const k of ['key:0', 'key:999', 'key:2999', 'key:7']) expect(await c.get(k)).toBe(expected.get(k));
      expect(await c.ttl('key:7')).toBeGreaterThan(86_000);
      expect(await c.type('h')).toBe('hash');
      expect(await c.exists('nope', 'key:5')).toBe(1);
      expect(await c.dbsize()).toBe(KEYS + 1);
      expect(await c.mget('key:1', 'key:2000', 'nope')).toEqual([expected.get('key:1'), expected.get('key:2000'), null]);
      // SCAN walks every key, KEYS lists them, with the blocks of the lookups above at hand (at most 9 in database 0):
      // each such block ends a run where it lies (a real server's key order, seeded at random), and the walk goes on
      // past it with its runs still doubling: at most one GET more a block at hand than the 6 of a walk with none.
      at = await requestsSoFar(moto);
      expect(await scanAll(c)).toEqual(new Set([...expected.keys(), 'h']));
      expect((await requestsAfter(moto, at)).length).toBeLessThanOrEqual(Math.ceil(Math.log2(Math.ceil(KEYS / BLOCK) + 1)) + 9);
      expect((await c.keys('key:29*')).sort()).toEqual([...expected.keys()].filter((k) => k.startsWith('key:29')).sort());
      await c.select(2);
      expect(await c.lrange('l', 0, -1)).toEqual(['a', 'b']);
    } finally {
      c.disconnect();
      await s.close();
    }
  }, 60_000);

  it('walks the keys (SCAN, KEYS) in runs of blocks that double as the walk goes on, whatever the key order', async () => {
    // Each walk on a serve of its own, no block at hand: a ranged GET of 1, 2, 4 … blocks, so the 47 blocks of database 0
    // in 6 GETs, not one a block (nor half of them: what a walk took after lookups, varying with the key order).
    const blocks = Math.ceil(KEYS / BLOCK);
    const runs = Math.ceil(Math.log2(blocks + 1));
    for (const walk of [
      async (c: Redis) => expect(await scanAll(c)).toEqual(new Set([...expected.keys(), 'h'])),
      async (c: Redis) => expect((await c.keys('key:29*')).sort()).toEqual([...expected.keys()].filter((k) => k.startsWith('key:29')).sort()),
    ]) {
      const { s, c } = await serving();
      try {
        const at = await requestsSoFar(moto);
        await walk(c);
        expect((await requestsAfter(moto, at)).length).toBe(runs);
      } finally {
        c.disconnect();
        await s.close();
      }
    }
  }, 60_000);

  it('walks on past a block a lookup left at hand, its runs still doubling (not restarted at one block)', async () => {
    // The keys in the walk's order (the index's, whatever the server's), on a serve of its own.
    const order: string[] = [];
    {
      const { s, c } = await serving();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await c.scan(cursor, 'COUNT', 500);
          order.push(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        c.disconnect();
        await s.close();
      }
    }
    const { s, c } = await serving();
    try {
      // A key of block 3 looked up first: that block is at hand when the walk comes to it.
      const name = order[3 * BLOCK + 5]!;
      expect(await c.get(name)).toBe(expected.get(name) ?? null);
      const at = await requestsSoFar(moto);
      expect(await scanAll(c)).toEqual(new Set([...expected.keys(), 'h']));
      // Blocks 0, 1-2, (3 at hand), 4-7, 8-15, 16-31, 32-46: 6 GETs, as with no block at hand (restarted: 0, 1-2, 4, 5-6,
      // 7-10, 11-18, 19-34, 35-46, 8).
      expect(await requestsAfter(moto, at)).toHaveLength(Math.ceil(Math.log2(Math.ceil(KEYS / BLOCK) + 1)));
    } finally {
      c.disconnect();
      await s.close();
    }
  }, 60_000);

  it('refuses a changed block when a lookup reads it (its CRC-32), serving the other blocks', async () => {
    const changed = Buffer.from(index);
    const name = Buffer.from('key:1234');
    const at = changed.indexOf(name);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(changed.length - FOOTER);
    // One letter of a name changed in place: the directory is intact, the block is not.
    changed[at]! = 'K'.charCodeAt(0);
    await putIndex(changed);
    const { s, c } = await serving();
    try {
      expect(s.notes[0]).toMatch(/its key index \(\.keys, written when it was verified; read by blocks, not held\)$/);
      await expect(c.get('key:1234')).rejects.toThrow(
        /^ERR redis-dr serve could not answer GET: the key index s3:\/\/backups\/prod\/.*\.keys: block \d+ does not match its CRC-32 in the index's directory \(changed or damaged\); not served/,
      );
      // Never served from the changed block, on any command that reads it.
      await expect(c.exists('key:1234')).rejects.toThrow(/does not match its CRC-32/);
      // A key of another block still answers: the one whose name lies farthest from the change (blocks are runs of the
      // file's keys, in a real server's order: key:0 may share key:1234's block).
      const far = ['key:1000', 'key:1999', 'key:2000', 'key:2999'].sort((a, b) => Math.abs(index.indexOf(b) - at) - Math.abs(index.indexOf(a) - at))[0]!;
      expect(await c.get(far)).toBe(expected.get(far));
      // history reads that point whole and verified instead (never "absent", never a hole while the copy is sound), and says why.
      const h = await keyHistoryOf({ from: 's3://backups/prod', key: Buffer.from('key:1234'), s3Endpoint: moto.endpoint });
      expect(h.points).toEqual([FILE]);
      expect(h.unreadable).toEqual([]);
      expect(h.rows?.map((r) => [r.point, r.exists, r.type])).toEqual([[FILE, true, 'string']]);
      expect(h.indexUnused).toEqual([
        {
          point: FILE,
          why: expect.stringMatching(/: read whole and verified \(its key index \(\.keys\) does not check out: block \d+ does not match its CRC-32/),
        },
      ]);
    } finally {
      c.disconnect();
      await s.close();
      await putIndex(index);
    }
  }, 60_000);

  it('fails a read of an index replaced while served (its ETag), never mixing two indexes', async () => {
    const { s, c } = await serving();
    try {
      expect(await c.get('key:10')).toBe(expected.get('key:10'));
      const other = Buffer.from(index);
      other[0]! = 'X'.charCodeAt(0);
      await putIndex(other);
      await expect(c.get('key:2500')).rejects.toThrow(/^ERR redis-dr serve could not answer GET: .*(changed|ETag|precondition)/i);
    } finally {
      c.disconnect();
      await s.close();
      await putIndex(index);
    }
  }, 60_000);

  it('names the copy version it was built from, and is never used for the copy overwritten since (same length, trailer kept)', async () => {
    // The copy's version, and the put's own mark (object-store-s3.ts PUT_MARK: a lost answer's object told apart).
    expect(Object.keys(indexMetadata).sort()).toEqual(['redis-dr-put', 'redis-dr-source-etag']);
    // One byte of key:1200's value (stored plain: too short to compress) changed, the length and the CRC-64 trailer kept: the index's own checks all pass.
    const overwritten = Buffer.from(rdb);
    const at = overwritten.indexOf(Buffer.from(expected.get('key:1200')!));
    expect(at).toBeGreaterThan(0);
    overwritten[at]! = 'V'.charCodeAt(0);
    expect(overwritten.subarray(-8)).toEqual(rdb.subarray(-8));
    await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${FILE}`, Body: overwritten }));
    try {
      // Read whole instead, and the verifier refuses the file (its CRC-64 no longer matches): never an answer from the index.
      const before = await requestsSoFar(moto);
      await expect(startServing({ location: URL, s3Endpoint: moto.endpoint, port: 0 })).rejects.toThrow(/CRC|checksum/i);
      expect((await requestsAfter(moto, before)).filter((r) => r.startsWith(`GET /backups/prod/${FILE}.keys `))).toEqual([]);
    } finally {
      await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${FILE}`, Body: rdb }));
    }
  }, 60_000);

  it('reads the copy whole when its index names no version (a legacy index) or another one, and says why', async () => {
    for (const [metadata, why] of [
      [{}, /read whole and verified \(its index names no object version/],
      [
        { 'redis-dr-source-etag': '0123456789abcdef0123456789abcdef' },
        /read whole and verified \(its index belongs to another version of the object \(built from ETag 0123456789abcdef0123456789abcdef; the copy's ETag is now [0-9a-f]{32}\)\)$/,
      ],
    ] as const) {
      await putIndex(index, { ...metadata });
      try {
        const { s, c } = await serving();
        try {
          expect(s.notes[0]).toMatch(why);
          expect(await c.get('key:1234')).toBe(expected.get('key:1234'));
        } finally {
          c.disconnect();
          await s.close();
        }
      } finally {
        await putIndex(index);
      }
    }
  }, 60_000);
});
