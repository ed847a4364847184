import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareClients } from '../../../cli/compare';
import { AofDirectory, RestoreDirectory } from '../../../lambdas/adapters/aof-dir';
import { FileAofStore, S3AofStore } from '../../../lambdas/adapters/aof-store';
import { startLocalRedis } from '../../../lambdas/adapters/local-redis';
import { AofShipper } from '../../../lambdas/jobs/ship-aof';
import { restoreAof } from '../../../lambdas/jobs/restore-aof';
import { rewriteAof, startAofServer } from '../../support/aof';
import { awsError } from '../../support/fakes';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'redis-dr-aof-store-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
const allFiles = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);

describe('FileAofStore', () => {
  it('writes a key whole under folders, leaves one that exists alone, and lists keys (not temporary files)', async () => {
    const dir = tempDir();
    const store = new FileAofStore(dir);
    expect(await store.list()).toEqual([]);
    expect(await store.put('files/a.1.incr.aof/p1.part', Buffer.from('hello'))).toBe(5);
    expect(await store.put('files/a.1.incr.aof/p1.part', Buffer.from('other'))).toBe(0);
    expect(readFileSync(join(dir, 'files', 'a.1.incr.aof', 'p1.part'), 'utf8')).toBe('hello');
    expect(await store.put('top.json', Buffer.from('{}'))).toBe(2);
    expect(await store.list()).toEqual(['files/a.1.incr.aof/p1.part', 'top.json']);
    expect((await store.get('top.json')).toString()).toBe('{}');
    expect(allFiles(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a stream refused at commit, or aborted, leaves nothing', async () => {
    const dir = tempDir();
    const store = new FileAofStore(dir);
    await expect(
      store.putStream('files/b/base.part', chunks('REDIS', '0010'), () => {
        throw new Error('changed while it was uploaded');
      }),
    ).rejects.toThrow(/file:\/\/.*: write files\/b\/base\.part failed: changed while it was uploaded/);
    const abort = new AbortController();
    abort.abort(new Error('stopping'));
    await expect(store.putStream('files/b/base.part', chunks('x'), () => undefined, abort.signal)).rejects.toThrow('stopping');
    expect(allFiles(dir)).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('refuses keys that would leave its folder', async () => {
    await expect(new FileAofStore(tempDir()).put('../x', Buffer.from('x'))).rejects.toThrow('not a key: ../x');
  });
});

/** An in-memory bucket behind the mocked S3 client: PutObject checks ChecksumSHA256 as S3 does; HeadObject reports length and SHA-256; listings come two keys a page. */
function memoryBucket(s3: ReturnType<typeof mockClient>) {
  const objects = new Map<string, Buffer>();
  s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    const body = Buffer.from(input.Body as Uint8Array);
    if (input.ChecksumSHA256 !== undefined && input.ChecksumSHA256 !== sha(body).toString('base64')) throw awsError('BadDigest', 'The SHA256 you specified did not match the calculated checksum.', 400);
    objects.set(input.Key!, body);
    return {};
  });
  s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix?: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const from = Number(input.ContinuationToken ?? 0);
    const page = keys.slice(from, from + 2);
    return { Contents: page.map((Key) => ({ Key, Size: objects.get(Key)!.length })), IsTruncated: from + 2 < keys.length, ...(from + 2 < keys.length ? { NextContinuationToken: String(from + 2) } : {}) };
  });
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const b = objects.get(input.Key);
    if (!b) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
    return { Body: sdkStreamMixin(Readable.from([b])) };
  });
  s3.on(HeadObjectCommand).callsFake(async (input: { Key: string }) => {
    const b = objects.get(input.Key);
    if (!b) throw awsError('NotFound', 'Not Found', 404);
    return { ContentLength: b.length, ChecksumSHA256: sha(b).toString('base64'), ChecksumType: 'FULL_OBJECT' };
  });
  return objects;
}

describe('S3AofStore (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const store = () => new S3AofStore(new S3Client({ region: 'eu-west-1' }), 'bucket', 'aof/');

  it('puts with the SHA-256 S3 checks, lists every page without the prefix, reads back', async () => {
    const objects = memoryBucket(s3);
    await store().put('files/a/p1.part', Buffer.from('hello'));
    await store().put('files/a/p2.part', Buffer.from('world'));
    await store().put('manifests/m', Buffer.from('file a seq 1 type i\n'));
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'bucket', Key: 'aof/files/a/p1.part', ContentLength: 5, ChecksumSHA256: sha(Buffer.from('hello')).toString('base64') });
    expect(await store().list()).toEqual(['files/a/p1.part', 'files/a/p2.part', 'manifests/m']);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
    expect((await store().get('files/a/p2.part')).toString()).toBe('world');
    expect([...objects.keys()]).toHaveLength(3);
    await expect(store().get('nope')).rejects.toThrow('s3://bucket/aof/: read nope (no such key) failed');
  });

  it('streams a base as one upload with SHA-256 checksums, and sends nothing when commit refuses', async () => {
    memoryBucket(s3);
    expect(await store().putStream('files/b/base.part', chunks('REDIS', '0010'), () => undefined)).toBe(9);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ Key: 'aof/files/b/base.part', ChecksumAlgorithm: 'SHA256' });
    s3.resetHistory();
    await expect(
      store().putStream('files/c/base.part', chunks('REDIS'), () => {
        throw new Error('changed while it was uploaded');
      }),
    ).rejects.toThrow(/upload files\/c\/base\.part failed: changed while it was uploaded/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('carries a whole ship and restore: a redis-server AOF shipped to s3:// comes back equal', async () => {
    memoryBucket(s3);
    const server = await startAofServer();
    cleanup.push(() => server.stop());
    const c = server.client();
    for (let i = 0; i < 100; i++) await c.set(`k:${i}`, `v${i}`);
    const shipper = new AofShipper({ dir: new AofDirectory(join(server.dir, 'appendonlydir')), store: store(), intervalMs: 50, rpoMs: 10_000 }, { now: () => Date.now(), say: () => undefined });
    cleanup.push(() => shipper.stop());
    await shipper.start();
    await shipper.cycle(); // the base uploads in the background: restorable once it is stored
    await shipper.settled();
    expect((await shipper.cycle()).ok).toBe(true);
    await rewriteAof(c);
    await c.hset('h', 'f', 'v');
    for (let i = 0; i < 3; i++) expect((await shipper.cycle()).errors).toEqual([]);
    await shipper.settled();
    expect((await shipper.cycle()).ok).toBe(true);
    await shipper.settled();
    await shipper.stop();
    const out = join(tempDir(), 'aof');
    const r = await restoreAof({ store: store(), to: new RestoreDirectory(out), load: {} }, { now: () => Date.now(), startServer: startLocalRedis });
    expect(r).toMatchObject({ ok: true, base: { name: 'appendonly.aof.2.base.rdb' }, load: { keys: 101 } });
    const restored = await startLocalRedis({ aof: { dir: out, appendFilename: 'appendonly.aof' } });
    cleanup.push(() => restored.stop());
    expect((await compareClients(c, restored.client())).equal).toBe(true);
  });
});
