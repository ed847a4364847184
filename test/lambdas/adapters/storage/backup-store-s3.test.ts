import { createHash } from 'node:crypto';
import { formatDbsTag, parseDbsTag } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import { execFileSync } from 'node:child_process';
import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thisPidScope } from '../../../../lambdas/adapters/host/process.js';
import { S3BackupStore } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import type { LeaseHolder } from '../../../../lambdas/domain/self-managed/lease.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';
import { proxiedS3Client, viaS3Proxy } from '../../../support/s3-proxy.js';

let moto: MotoS3;
beforeAll(async () => {
  moto = await startMotoS3();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

/**
 * The S3 destination lease against moto (a real S3 API over HTTP on a free
 * loopback port): conditional writes (If-None-Match, If-Match) decide who
 * holds it, as S3 does.
 */
describe('S3BackupStore lease (moto: S3 conditional writes)', () => {
  let client: S3Client;
  const bucket = 'redis-dr-lease-test';
  const holder = (token: string, over: Partial<LeaseHolder> = {}): LeaseHolder => ({
    owner: 'redis-dr backup',
    ...thisPidScope(),
    pid: process.pid,
    start: new Date().toISOString(),
    token,
    ...over,
  });

  beforeAll(async () => {
    client = moto.client;
    await moto.bucket(bucket);
  });

  it('one run at a time: a second run sees the holder; after the release the next one takes it', async () => {
    const store = new S3BackupStore(client, bucket, 'a/');
    const first = await store.takeLease('cache', holder('one'), 3600_000);
    expect('taken' in first).toBe(true);
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/.redis-dr-cache.lease' }));
    expect(JSON.parse(await got.Body!.transformToString())).toMatchObject({ token: 'one', pid: process.pid });
    const second = await store.takeLease('cache', holder('two'), 3600_000);
    expect(second).toEqual({ held: expect.objectContaining({ holder: expect.objectContaining({ token: 'one' }) }) });
    // Another target of the same destination has its own lease.
    expect('taken' in (await store.takeLease('other', holder('three'), 3600_000))).toBe(true);
    if ('taken' in first) await first.taken.release();
    const third = await store.takeLease('cache', holder('two'), 3600_000);
    expect('taken' in third && third.taken.tookOver).toBe(undefined);
  });

  it("takes over a stale lease (its process gone from this host, or older than the bound), and a release never removes another run's lease", async () => {
    const store = new S3BackupStore(client, bucket, 'b/');
    const dead = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'b/.redis-dr-cache.lease', Body: JSON.stringify(holder('gone', { pid: dead })) }));
    const took = await store.takeLease('cache', holder('mine'), 3600_000);
    expect('taken' in took && took.taken.tookOver).toMatch(new RegExp(`^a stale lease \\(its holder, pid ${dead} on .*, is gone`));

    const old = holder('old', { host: 'other-host', start: new Date(Date.now() - 7200_000).toISOString() });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'b/.redis-dr-cache.lease', Body: JSON.stringify(old) }));
    // The first holder's release finds another lease there (If-Match fails): it stays.
    if ('taken' in took) await took.taken.release();
    const after = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'b/.redis-dr-cache.lease' }));
    expect(JSON.parse(await after.Body!.transformToString())).toMatchObject({ token: 'old' });
    expect(await store.takeLease('cache', holder('x'), 3600_000 * 3)).toEqual({
      held: expect.objectContaining({ holder: expect.objectContaining({ host: 'other-host' }) }),
    });
    const over = await store.takeLease('cache', holder('y'), 3600_000);
    expect('taken' in over && over.taken.tookOver).toMatch(
      /^a stale lease \(taken 7\d{3} s ago, longer than the 3600 s a run may hold it without a word: .* on other-host/,
    );
  });

  it('a holder refreshes its lease (If-Match its own ETag); once another run put a lease there, it refreshes nothing', async () => {
    const store = new S3BackupStore(client, bucket, 'c/');
    const got = await store.takeLease('cache', holder('mine'), 3600_000);
    if (!('taken' in got)) throw new Error('not taken');
    expect(await got.taken.refresh()).toBe(true);
    expect(await got.taken.refresh()).toBe(true);
    const read = async () =>
      JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'c/.redis-dr-cache.lease' }))).Body!.transformToString());
    expect(await read()).toMatchObject({ token: 'mine', refreshed: expect.any(String) });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'c/.redis-dr-cache.lease', Body: JSON.stringify(holder('other')) }));
    expect(await got.taken.refresh()).toBe(false);
    expect(await read()).toMatchObject({ token: 'other' });
  });
});

/**
 * A put whose answer is lost after S3 stored it (a proxy forwards it to moto, then cuts the connection): the SDK
 * sends it again, and that attempt meets the run's own object (412 under If-None-Match). A backup, or a lease, is
 * the run's own (its mark), not another writer's.
 */
describe('S3BackupStore: an answer lost after S3 stored the object (moto behind a proxy)', () => {
  let n = 0;
  /** A store of a fresh bucket whose `nth` PUT (1, the first) of a key ending in `suffix` has its answer cut. */
  const throughProxy = async <T>(suffix: string, f: (store: S3BackupStore, bucket: string) => Promise<T>, nth = 1): Promise<T> => {
    const bucket = `lost-${++n}`;
    await moto.bucket(bucket);
    let seen = 0;
    const cut = (method: string, url: string) => method === 'PUT' && !url.includes('partNumber=') && url.split('?')[0]!.endsWith(suffix) && ++seen === nth;
    return viaS3Proxy(moto.endpoint, { cut }, async () => {
      const client = proxiedS3Client();
      try {
        return await f(new S3BackupStore(client, bucket, 'p/'), bucket);
      } finally {
        client.destroy();
      }
    });
  };
  const meta = { tier: 'daily', target: 'cache', createdAt: '2026-11-27T05:00:00.000Z' } as const;
  const content = { keys: 3, rdbVersion: 11 };
  async function* body(bytes: Buffer): AsyncGenerator<Uint8Array> {
    yield bytes;
  }

  it('a backup whose PUT answer is lost is stored, read back and recorded: not "appeared while this backup was uploaded"', async () => {
    const bytes = Buffer.from('REDIS0011 the backup bytes');
    const r = await throughProxy('/p/b.rdb', async (store, bucket) => {
      const written = await store.write('b.rdb', body(bytes), meta, () => content).catch((e: unknown) => e);
      const tags = await moto.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'p/b.rdb' }));
      return { written, tags: Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value])) };
    });
    expect(r.written).toMatchObject({
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      location: expect.stringMatching(/b\.rdb$/),
    });
    expect(r.tags).toMatchObject({ 'redis-dr:keys': '3', 'redis-dr:read-back': expect.any(String) });
  });

  it('every answer of the PUT lost and the object cannot be looked at (HEAD refused): the error names the key that may hold the backup and what to run', async () => {
    const bucket = `lost-${++n}`;
    await moto.bucket(bucket);
    const bytes = Buffer.from('REDIS0011 the backup bytes');
    let put = false;
    const err = await viaS3Proxy(
      moto.endpoint,
      {
        cut: (method, url) => (put ||= method === 'PUT' && url.split('?')[0] === `/${bucket}/p/b.rdb`) && method === 'PUT',
        refuse: (method) => put && method === 'HEAD',
      },
      async () => {
        const client = proxiedS3Client();
        try {
          return await new S3BackupStore(client, bucket, 'p/').write('b.rdb', body(bytes), meta, () => content).catch((e: unknown) => e);
        } finally {
          client.destroy();
        }
      },
    );
    const at = `s3://${bucket}/p/b.rdb`;
    expect(String(err)).toMatch(/^Error: s3:\/\/lost-\d+\/p\/: upload failed: .+; whether S3 stored it could not be told \(HeadObject: .+, HTTP 500\): /);
    expect((err as Error).message).toContain(
      `: ${at} may hold this run's backup, not read back (listed unproven: no drill or serve --from takes it, retention prunes it as it ages); ` +
        `run the backup again for one that is read back, and check this one with redis-dr verify-rdb ${at}, or remove it`,
    );
    expect((err as Error).message).not.toContain('\n');
    // What S3 holds: the run's object, its tags without a read-back record (listed unproven).
    const tags = await moto.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'p/b.rdb' }));
    const tagged = Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]));
    expect(tagged['redis-dr:managed']).toBe('true');
    expect(tagged['redis-dr:read-back']).toBeUndefined();
    const listed = await new S3BackupStore(moto.client, bucket, 'p/').list();
    expect(listed).toEqual([expect.objectContaining({ file: 'b.rdb', tier: 'daily' })]);
    expect(listed[0]!.proven).toBeUndefined();
  });

  it("negative: another writer's backup of the very same bytes at the name is not taken for the run's", async () => {
    const bytes = Buffer.from('REDIS0011 the same bytes');
    const err = await throughProxy('/never', async (store, bucket) => {
      await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/b.rdb', Body: bytes }));
      return store.write('b.rdb', body(bytes), meta, () => content).catch((e: unknown) => e);
    });
    expect(String(err)).toMatch(/b\.rdb appeared while this backup was uploaded: not replaced/);
  });

  it("a record beside a backup (its key index, a report, a drill's record) whose PUT answer is lost is written, read back; another writer's is refused", async () => {
    const index = Buffer.from('the key index bytes');
    const r = await throughProxy('/p/b.rdb.keys', async (store, bucket) => {
      const put = await store.putRecord('b.rdb.keys', index, { 'redis-dr-source-etag': '"abc"' }).catch((e: unknown) => e);
      const got = await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'p/b.rdb.keys' }));
      return { put, body: Buffer.from(await got.Body!.transformToByteArray()), metadata: got.Metadata };
    });
    expect(r.put).toBeUndefined();
    expect(r.body.equals(index)).toBe(true);
    expect(r.metadata).toMatchObject({ 'redis-dr-source-etag': '"abc"' });
    const other = await throughProxy('/never', async (store, bucket) => {
      await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/b.rdb.keys', Body: index }));
      return store.putRecord('b.rdb.keys', index).catch((e: unknown) => e);
    });
    expect(String(other)).toMatch(/write b\.rdb\.keys failed/);
  });

  it('a lease whose PUT answer is lost is taken by the run that put it, not held by itself', async () => {
    const holder: LeaseHolder = { owner: 'redis-dr backup', ...thisPidScope(), pid: process.pid, start: new Date().toISOString(), token: 'mine' };
    const got = await throughProxy('.lease', (store) => store.takeLease('cache', holder, 3600_000));
    expect('taken' in got).toBe(true);
    // Taking over a stale lease (If-Match its ETag): the retry meets the run's own lease (412), not a live holder.
    const dead = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    const stale = JSON.stringify({ ...holder, pid: dead, token: 'gone' });
    // Its second PUT (the first, If-None-Match, meets the stale lease) is the one cut.
    const over = await throughProxy(
      '.lease',
      async (store, bucket) => {
        await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/.redis-dr-cache.lease', Body: stale }));
        return store.takeLease('cache', holder, 3600_000);
      },
      2,
    );
    expect('taken' in over && over.taken.tookOver).toMatch(/^a stale lease/);
    // A refresh (If-Match the lease's ETag) whose answer is lost: refreshed, not a lease lost to another run.
    const refreshed = await throughProxy(
      '.lease',
      async (store) => {
        const mine = await store.takeLease('cache', holder, 3600_000);
        return 'taken' in mine && (await mine.taken.refresh());
      },
      2,
    );
    expect(refreshed).toBe(true);
  });
});

describe('the S3 tag of keys per database', () => {
  it('round-trips, and is left out when it would not fit a tag', () => {
    expect(formatDbsTag({ 0: 7300, 3: 2700 })).toBe('0=7300 3=2700');
    expect(parseDbsTag('0=7300 3=2700')).toEqual({ 0: 7300, 3: 2700 });
    expect(parseDbsTag('0=7300,3=x')).toBeUndefined();
    expect(formatDbsTag(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i), 1_000_000])))).toBeUndefined();
  });
});
