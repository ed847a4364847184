import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorName } from '../../../../lambdas/adapters/aws/errors.js';
import { ReadBackMismatchError, ShortWriteError } from '../../../../lambdas/adapters/storage/durable-file.js';
import { KeyExistsError, type ObjectStore, PutError } from '../../../../lambdas/adapters/storage/object-store.js';
import { FileObjectStore, type OpenFile } from '../../../../lambdas/adapters/storage/object-store-file.js';
import { S3ObjectStore } from '../../../../lambdas/adapters/storage/object-store-s3.js';
import { awsError } from '../../../support/fakes.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';
import { proxiedS3Client, viaS3Proxy } from '../../../support/s3-proxy.js';

const MiB = 1024 * 1024;
/** S3's smallest part: the S3 drivers here cut 5 MiB parts, so a body of 11 MiB is a multipart upload of 3 parts. */
const PART = 5 * MiB;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();
const hex = (b: Uint8Array) => sha(b).toString('hex');

/** `data` as a stream of `size`-byte chunks. */
async function* stream(data: Buffer, size = 777_777): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}
async function* failing(first: Buffer, err: Error): AsyncGenerator<Uint8Array> {
  yield first;
  throw err;
}
async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(Buffer.from(c));
  return Buffer.concat(out);
}
/** 11 MiB of distinct bytes (parts that differ: a swapped part changes the composite checksum). */
const big = Buffer.alloc(11 * MiB + 3);
for (let i = 0; i + 4 <= big.length; i += 4096) big.writeUInt32BE(i, i);

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'redis-dr-object-store-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The real `open`, whose handles write through `write(realHandle, …)`: a fault injected at the file handle, where it happens. */
function writingThrough(write: (fh: FileHandle, data: Uint8Array, offset: number, length: number) => Promise<number>): OpenFile {
  return async (path, flags, mode) => {
    const fh = await open(path, flags, mode);
    return {
      write: (async (data: Uint8Array, offset = 0, length = data.byteLength - offset) => ({
        bytesWritten: await write(fh, data, offset, length),
        buffer: data,
      })) as never,
      sync: () => fh.sync(),
      close: () => fh.close(),
    };
  };
}

/**
 * A driver under the contract: a fresh, empty store each call, and a way
 * to make the next put store other bytes than it sent (a lying disk, a
 * store that changed the object on the way), which only a real read-back
 * of the destination can see.
 */
interface Driver {
  readonly name: string;
  readonly how: { whole: string; stream: string };
  /** Whether a put returns the stored object's ETag (S3: `etag`, what `ifMatch` names). */
  readonly etags: boolean;
  /**
   * `concurrent`: once, right after a put stored its bytes and before it
   * read them back, another writer replaces the object under the key with
   * these bytes (a `replace` or a lease taken over racing this put).
   */
  fresh(opts?: { damaging?: boolean; concurrent?: Buffer }): Promise<ObjectStore>;
}

const folder: Driver = {
  name: 'the folder driver (a temporary folder)',
  how: { whole: 'file', stream: 'file' },
  etags: false,
  async fresh({ damaging = false, concurrent } = {}) {
    // Damaging: a handle that drops the last byte of every write but reports it written (a lying network or FUSE filesystem).
    const lying = writingThrough(async (fh, data, offset, length) => {
      await fh.write(data, offset, Math.max(0, length - 1));
      return length;
    });
    if (concurrent === undefined) return new FileObjectStore(join(tempDir(), 'dest'), damaging ? { open: lying } : {});
    // A folder reads its temporary file back before the key exists: the other writer's file lands under the key
    // as this put's handle closes, and this put's bytes (dropped bytes: it lies) fail their read-back.
    let raced = false;
    return new FileObjectStore(join(tempDir(), 'dest'), {
      open: async (path, flags, mode) => {
        const handle = await lying(path, flags, mode);
        return {
          ...handle,
          close: async () => {
            await handle.close();
            if (raced) return;
            raced = true;
            writeFileSync(
              join(
                dirname(path),
                basename(path)
                  .slice(1)
                  .replace(/\.partial-.*$/, ''),
              ),
              concurrent,
            );
          },
        };
      },
    });
  },
};

let moto: MotoS3;
let buckets = 0;
const motoDriver: Driver = {
  name: 'the S3 driver against a real S3 API (moto)',
  // The put names the algorithm with the SHA-256 value (a bucket with a default Object Lock retention needs one of it or a
  // Content-MD5): moto then keeps and reports the checksum, as S3 does, and the read-back is HeadObject's.
  how: { whole: 's3-full-object-checksum', stream: 's3-composite-checksum' },
  etags: true,
  async fresh({ damaging = false, concurrent } = {}) {
    const bucket = `contract-${++buckets}`;
    await moto.bucket(bucket);
    const client = moto.newClient();
    cleanup.push(() => client.destroy());
    if (concurrent !== undefined) {
      // The other writer: its own client, its PutObject sent as soon as this put's object is stored (PutObject or
      // CompleteMultipartUpload answered), before the read-back's HeadObject.
      const other = moto.newClient();
      cleanup.push(() => other.destroy());
      let raced = false;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (!raced && (context.commandName === 'PutObjectCommand' || context.commandName === 'CompleteMultipartUploadCommand')) {
            raced = true;
            await other.send(new PutObjectCommand({ Bucket: bucket, Key: (args.input as { Key: string }).Key, Body: concurrent }));
          }
          return result;
        },
        { step: 'initialize', name: 'concurrentWriter' },
      );
    }
    if (damaging) {
      // Flips a byte of each PutObject body after the SDK computed its checksum, and drops the checksum
      // headers, so the server stores other bytes without a checksum to refuse them by: the store must read back.
      client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { headers: Record<string, string>; body: unknown };
          if (request.body instanceof Uint8Array && request.body.byteLength > 0) {
            const body = Buffer.from(request.body);
            body[0] = body[0]! ^ 0xff;
            request.body = body;
            for (const h of Object.keys(request.headers)) if (/^(x-amz-checksum-|x-amz-sdk-checksum-|content-md5)/i.test(h)) delete request.headers[h];
          }
          return next(args);
        },
        { step: 'finalizeRequest', name: 'damageOnTheWay' },
      );
    }
    return new S3ObjectStore(client, bucket, 'store/', { partBytes: PART, queueSize: 2 });
  },
};

/**
 * An in-memory bucket behind aws-sdk-client-mock with S3's behaviour where
 * the contract needs it: checksums checked on PutObject and reported by
 * HeadObject (full-object; composite for multipart uploads), If-None-Match,
 * listings two keys a page. `damaging`: HeadObject reports the checksum of
 * other bytes (what moto cannot be made to say).
 */
const mockDriver: Driver = {
  name: 'the S3 driver against aws-sdk-client-mock',
  how: { whole: 's3-full-object-checksum', stream: 's3-composite-checksum' },
  etags: true,
  async fresh({ damaging = false, concurrent } = {}) {
    // The instance is mocked, not the class: the moto driver's clients stay real.
    const client = new S3Client({ region: 'eu-west-1' });
    const s3 = mockClient(client);
    cleanup.push(() => s3.restore());
    const objects = new Map<string, { body: Buffer; checksum: string; type: string; etag: string }>();
    const uploads = new Map<string, Map<number, Buffer>>();
    let writes = 0;
    const etag = () => `"${++writes}"`;
    let raced = false;
    /** The other writer (`concurrent`), once: its object replaces the one just stored. */
    const race = (key: string) => {
      if (concurrent === undefined || raced) return;
      raced = true;
      objects.set(key, { body: concurrent, checksum: sha(concurrent).toString('base64'), type: 'FULL_OBJECT', etag: etag() });
    };
    const conflict = (input: { Key?: string; IfNoneMatch?: string; IfMatch?: string }) => {
      if (input.IfNoneMatch === '*' && objects.has(input.Key!))
        throw awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
      if (input.IfMatch !== undefined && !objects.has(input.Key!)) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      if (input.IfMatch !== undefined && objects.get(input.Key!)!.etag !== input.IfMatch)
        throw awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
    };
    s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      const body = Buffer.from(input.Body as Uint8Array);
      if (input.ChecksumSHA256 !== undefined && input.ChecksumSHA256 !== sha(body).toString('base64'))
        throw awsError('BadDigest', 'The SHA256 you specified did not match the calculated checksum.', 400);
      conflict(input);
      const tag = etag();
      objects.set(input.Key!, { body, checksum: sha(body).toString('base64'), type: 'FULL_OBJECT', etag: tag });
      race(input.Key!);
      return { ETag: tag };
    });
    s3.on(CreateMultipartUploadCommand).callsFake(async (input: { Key: string }) => {
      uploads.set(input.Key, new Map());
      return { UploadId: input.Key };
    });
    s3.on(UploadPartCommand).callsFake(async (input: { UploadId: string; PartNumber: number; Body: Uint8Array }) => {
      const b = Buffer.from(input.Body);
      uploads.get(input.UploadId)!.set(input.PartNumber, b);
      return { ETag: `"${input.PartNumber}"`, ChecksumSHA256: sha(b).toString('base64') };
    });
    s3.on(CompleteMultipartUploadCommand).callsFake(async (input: { Key: string; UploadId: string; IfNoneMatch?: string }) => {
      conflict(input);
      const parts = [...uploads.get(input.UploadId)!.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
      uploads.delete(input.UploadId);
      const checksum = `${sha(Buffer.concat(parts.map((p) => sha(p)))).toString('base64')}-${parts.length}`;
      const tag = etag();
      objects.set(input.Key, { body: Buffer.concat(parts), checksum, type: 'COMPOSITE', etag: tag });
      race(input.Key);
      return { ETag: tag };
    });
    s3.on(AbortMultipartUploadCommand).callsFake(async (input: { UploadId: string }) => {
      uploads.delete(input.UploadId);
      return {};
    });
    s3.on(HeadObjectCommand).callsFake(async (input: { Key: string }) => {
      const o = objects.get(input.Key);
      if (!o) throw awsError('NotFound', 'Not Found', 404);
      const checksum = damaging ? o.checksum.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) : o.checksum;
      return { ContentLength: o.body.length, ChecksumSHA256: checksum, ChecksumType: o.type, ETag: o.etag };
    });
    s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
      const o = objects.get(input.Key);
      if (!o) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      return { Body: sdkStreamMixin(Readable.from([o.body])), ETag: o.etag };
    });
    s3.on(DeleteObjectCommand).callsFake(async (input: { Key: string; IfMatch?: string }) => {
      // A conditional delete (If-Match) as S3 answers it: 404 when the key is gone, 412 when its ETag is another.
      conflict(input);
      objects.delete(input.Key);
      return {};
    });
    s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix?: string; ContinuationToken?: string }) => {
      const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
      const from = Number(input.ContinuationToken ?? 0);
      const more = from + 2 < keys.length;
      return {
        Contents: keys.slice(from, from + 2).map((Key) => ({ Key, Size: objects.get(Key)!.body.length })),
        IsTruncated: more,
        ...(more ? { NextContinuationToken: String(from + 2) } : {}),
      };
    });
    return new S3ObjectStore(client, 'bucket', 'store/', { partBytes: PART, queueSize: 2 });
  },
};

beforeAll(async () => {
  moto = await startMotoS3();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

describe.each([folder, motoDriver, mockDriver])('the object store contract: $name', (driver) => {
  it('puts a whole body and a stream, each read back before it resolves; gets, lists and checks them', async () => {
    const store = await driver.fresh();
    const small = Buffer.from('hello, store');
    expect(await store.put('a/b/small.part', small)).toEqual({
      written: true,
      bytes: small.length,
      sha256: hex(small),
      location: store.location('a/b/small.part'),
      how: driver.how.whole,
      ...(driver.etags ? { etag: expect.any(String) } : {}),
    });
    expect(await store.put('big.rdb', stream(big), { commit: () => undefined })).toEqual({
      written: true,
      bytes: big.length,
      sha256: hex(big),
      location: store.location('big.rdb'),
      how: driver.how.stream,
      ...(driver.etags ? { etag: expect.any(String) } : {}),
    });
    expect(await store.get('a/b/small.part')).toEqual(small);
    expect((await collect(await store.getStream('big.rdb'))).equals(big)).toBe(true);
    expect(await store.list()).toEqual([
      { key: 'a/b/small.part', bytes: small.length },
      { key: 'big.rdb', bytes: big.length },
    ]);
    expect(await store.exists('big.rdb')).toBe(true);
    expect(await store.exists('a/b')).toBe(driver === folder); // a folder is a thing on disk, a prefix is not
    expect(await store.exists('nothing')).toBe(false);
    await expect(store.get('nothing')).rejects.toThrow();
  });

  it('an empty store lists nothing; delete removes a key, and a key that is not there is no error', async () => {
    const store = await driver.fresh();
    expect(await store.list()).toEqual([]);
    await store.put('k', Buffer.from('x'));
    await store.delete('k');
    await store.delete('k');
    expect(await store.list()).toEqual([]);
    expect(await store.exists('k')).toBe(false);
  });

  it('never replaces by accident: fail refuses a key that is there, skip leaves it, replace replaces it whole', async () => {
    const store = await driver.fresh();
    await store.put('k', Buffer.from('first'));
    const err = await store.put('k', Buffer.from('second'), { ifExists: 'fail' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyExistsError);
    expect(String(err)).toMatch(/k appeared in .* not replaced/);
    const streamed = await store.put('k', stream(Buffer.from('second streamed')), { ifExists: 'fail' }).catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(KeyExistsError);
    expect(await store.put('k', Buffer.from('third'), { ifExists: 'skip' })).toMatchObject({ written: false, bytes: 0 });
    expect((await store.get('k')).toString()).toBe('first');
    expect(await store.put('k', Buffer.from('fourth'), { ifExists: 'replace' })).toMatchObject({ written: true, bytes: 6 });
    expect((await store.get('k')).toString()).toBe('fourth');
    expect(await store.list()).toEqual([{ key: 'k', bytes: 6 }]);
  });

  it('leaves nothing when commit refuses the bytes (small or multipart), when the source fails midway, or when aborted', async () => {
    const store = await driver.fresh();
    const refuse = () => {
      throw new Error('the RDB failed verification');
    };
    for (const body of [stream(Buffer.from('REDIS0011')), stream(big)]) {
      const err = await store.put('bad.rdb', body, { commit: refuse }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PutError);
      expect((err as PutError).cause).toEqual(new Error('the RDB failed verification'));
    }
    const cut = await store.put('cut.rdb', failing(Buffer.from('REDIS'), new Error('connection reset'))).catch((e: unknown) => e);
    expect((cut as PutError).cause).toEqual(new Error('connection reset'));
    const abort = new AbortController();
    abort.abort(new Error('stopping'));
    await expect(store.put('aborted.rdb', stream(Buffer.from('x')), { signal: abort.signal })).rejects.toThrow('stopping');
    expect(await store.list()).toEqual([]);
    expect(await store.exists('bad.rdb')).toBe(false);
  });

  it('stored = read back: bytes that arrive other than sent fail the put (ReadBackMismatchError), and nothing stays under the key', async () => {
    const store = await driver.fresh({ damaging: true });
    for (const [key, body] of [
      ['whole.part', Buffer.from('hello, store')],
      ['streamed.rdb', stream(Buffer.from('REDIS0011-streamed'))],
    ] as const) {
      const err = await store.put(key, body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PutError);
      expect((err as PutError).stage).toBe('read-back');
      expect((err as PutError).cause).toBeInstanceOf(ReadBackMismatchError);
      expect(String((err as PutError).cause)).toContain(`read-back of ${store.location(key)} does not match what was written`);
    }
    expect(await store.list()).toEqual([]);
  });

  it('a read-back failed because another writer replaced the object meanwhile deletes nothing of theirs (whole body and multipart, replace)', async () => {
    for (const [key, body] of [
      ['whole.part', Buffer.from('ours, sent whole')],
      ['streamed.rdb', stream(big)],
    ] as const) {
      const theirs = Buffer.from(`theirs, under ${key}`);
      const store = await driver.fresh({ concurrent: theirs });
      const err = await store.put(key, body, { ifExists: 'replace' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PutError);
      expect((err as PutError).stage).toBe('read-back');
      expect(await store.get(key)).toEqual(theirs);
      expect(await store.list()).toEqual([{ key, bytes: theirs.length }]);
    }
  });

  it('refuses keys that would leave the destination or name nothing', async () => {
    const store = await driver.fresh();
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', '.']) await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(`not a key: ${key}`);
    expect(await store.list()).toEqual([]);
  });
});

describe('the folder driver under write faults (at the file handle)', () => {
  it.each([
    ['writes at most 7 bytes a call: every byte is written', 7, undefined],
    ['stops writing (a file-size limit, a full device): ShortWriteError, nothing left', 1000, 2500],
  ] as const)('a handle that %s', async (_what, max, stopAfter) => {
    const dir = tempDir();
    let total = 0;
    const store = new FileObjectStore(dir, {
      open: writingThrough(async (fh, data, offset, length) => {
        const { bytesWritten } = await fh.write(data, offset, Math.max(0, Math.min(max, length, (stopAfter ?? Infinity) - total)));
        total += bytesWritten;
        return bytesWritten;
      }),
    });
    const body = Buffer.from(`${'x'.repeat(5000)}end`);
    if (stopAfter === undefined) {
      expect(await store.put('a/p.part', body)).toMatchObject({ written: true, bytes: body.length });
      expect(await store.get('a/p.part')).toEqual(body);
    } else {
      const err = await store.put('a/p.part', body).catch((e: unknown) => e);
      expect((err as PutError).cause).toBeInstanceOf(ShortWriteError);
      expect(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
    }
  });

  it('a destination that goes read-only midway (EROFS at the handle): the errno is the cause, nothing left', async () => {
    const dir = tempDir();
    let calls = 0;
    const store = new FileObjectStore(dir, {
      open: writingThrough(async (fh, data, offset, length) => {
        if (++calls > 1) throw Object.assign(new Error('EROFS: read-only file system, write'), { code: 'EROFS' });
        return (await fh.write(data, offset, length)).bytesWritten;
      }),
    });
    const err = await store.put('big.rdb', stream(Buffer.alloc(3 * MiB, 1), MiB)).catch((e: unknown) => e);
    expect((err as PutError).cause).toMatchObject({ code: 'EROFS' });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe.each([motoDriver, mockDriver])("the S3 driver's conditional replace: $name", (driver) => {
  it('ifMatch replaces the object only while its ETag is the one a put returned; a stale one is refused, the object kept', async () => {
    const store = (await driver.fresh()) as S3ObjectStore;
    const first = await store.put('lease', Buffer.from('first'));
    const second = await store.put('lease', Buffer.from('second'), { ifMatch: first.etag! });
    expect(second).toMatchObject({ written: true, bytes: 6, etag: expect.any(String) });
    expect(second.etag).not.toBe(first.etag);
    const stale = await store.put('lease', Buffer.from('third'), { ifMatch: first.etag! }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(PutError);
    expect(errorName((stale as PutError).cause)).toBe('PreconditionFailed');
    expect((await store.get('lease')).toString()).toBe('second');
  });
});

/**
 * A put whose answer is lost after S3 stored the object (a proxy forwards the request to moto, then cuts the
 * connection): the SDK sends it again, and that attempt meets the object. Its mark (S3PutOptions.mark) tells the put's
 * own object from another writer's.
 */
describe("the S3 driver's mark: an answer lost after S3 stored the object (moto behind a proxy)", () => {
  /** A store of a fresh bucket whose client goes through a proxy that cuts the answer of the first request `cut` names (`every`: of each). */
  const throughProxy = async <T>(
    cut: (method: string, url: string) => boolean,
    f: (store: S3ObjectStore, bucket: string) => Promise<T>,
    every = false,
  ): Promise<T> => {
    const bucket = `marked-${++buckets}`;
    await moto.bucket(bucket);
    let done = false;
    const once = (method: string, url: string) => !done && (done = cut(method, url));
    return viaS3Proxy(moto.endpoint, { cut: every ? cut : once }, async () => {
      const client = proxiedS3Client();
      try {
        return await f(new S3ObjectStore(client, bucket, 'store/', { partBytes: PART, queueSize: 2 }), bucket);
      } finally {
        client.destroy();
      }
    });
  };
  const putOf = (key: string) => (method: string, url: string) => method === 'PUT' && url.split('?')[0]!.endsWith(`/store/${key}`);

  it('a whole body (PutObject) whose retry meets its own object (412): read back and resolved, not KeyExistsError; negative: unmarked, KeyExistsError', async () => {
    const body = Buffer.from('the bytes sent');
    const marked = await throughProxy(putOf('a'), (store) => store.put('a', body, { mark: true }));
    expect(marked).toMatchObject({ written: true, bytes: body.length, sha256: hex(body), how: 's3-full-object-checksum', etag: expect.any(String) });
    const unmarked = await throughProxy(putOf('a'), (store) => store.put('a', body).catch((e: unknown) => e));
    expect(unmarked).toBeInstanceOf(KeyExistsError);
  });

  it('a multipart upload whose every CompleteMultipartUpload answer is lost (the SDK tries 3 times): its object read back (composite checksum) and resolved, not a write error', async () => {
    // One lost answer is no fault: S3 (and moto) answer a second Complete of the same upload as the first.
    const complete = (method: string, url: string) => method === 'POST' && url.includes('/store/big') && url.includes('uploadId=');
    const r = await throughProxy(complete, async (store) => ({ put: await store.put('big', stream(big), { mark: true }), got: await store.get('big') }), true);
    expect(r.put).toMatchObject({ written: true, bytes: big.length, sha256: hex(big), how: 's3-composite-checksum' });
    expect(r.got.equals(big)).toBe(true);
  });

  it('a put refused on its only attempt (403): nothing was stored, said so without looking (no HEAD); negative: refused after attempts that may have stored it (500 each), it is looked for', async () => {
    const bucket = `marked-${++buckets}`;
    await moto.bucket(bucket);
    const requests: string[] = [];
    const attempt = (forbid: boolean) =>
      viaS3Proxy(
        moto.endpoint,
        {
          // The proxy asks refuse first, of every request.
          refuse: (method) => {
            requests.push(method);
            return !forbid && method === 'PUT';
          },
          forbid: (method) => forbid || method === 'HEAD',
        },
        async () => {
          const client = proxiedS3Client();
          try {
            return await new S3ObjectStore(client, bucket, 'store/').put('refused', Buffer.from('bytes'), { mark: true }).catch((e: unknown) => e);
          } finally {
            client.destroy();
          }
        },
      );
    const refused = await attempt(true);
    expect(refused).toBeInstanceOf(PutError);
    expect((refused as PutError).stage).toBe('write');
    expect(requests).toEqual(['PUT']);
    requests.length = 0;
    const unsure = await attempt(false);
    expect((unsure as PutError).stage).toBe('unsettled');
    expect(requests).toEqual(['PUT', 'PUT', 'PUT', 'HEAD']);
  });

  /**
   * A put of `body` under `key` with a signal that comes once a request `request` picks is on its way to S3, not yet
   * done there: each such request held at the proxy (which has its body: S3 then does it, whether or not the caller
   * waits) until the put looks for its object (a HEAD) or `holdMs` pass. What the put left: the signal's error, the
   * multipart uploads still open as it rejected (left when the process exits: the CLI's signal), whether the object is
   * there once the held request is done, and what onCut said.
   */
  const cutWhileHeld = async (request: (method: string, url: string) => boolean, key: string, body: Buffer | AsyncIterable<Uint8Array>, holdMs: number) => {
    const bucket = `marked-${++buckets}`;
    await moto.bucket(bucket);
    const abort = new AbortController();
    const held: (() => void)[] = [];
    let sent: Promise<void> | undefined;
    let answered: () => void = () => undefined;
    const out = { message: '', uploads: -1, object: true, cut: [] as string[] };
    await viaS3Proxy(
      moto.endpoint,
      {
        hold: (method, url) => {
          if (!request(method, url)) return undefined;
          if (!sent) {
            sent = new Promise<void>((done) => {
              answered = done;
            });
            abort.abort(new Error('stopping'));
          }
          return new Promise<void>((go) => {
            held.push(go);
            setTimeout(go, holdMs);
          });
        },
        onReply: (method, url) => {
          if (method === 'HEAD') for (const go of held) go();
          if (request(method, url)) answered();
        },
      },
      async () => {
        const client = proxiedS3Client();
        try {
          const err = await new S3ObjectStore(client, bucket, 'store/', { partBytes: PART, queueSize: 2 })
            .put(key, body, { mark: true, signal: abort.signal, onCut: (left) => out.cut.push(left) })
            .catch((e: unknown) => e);
          out.message = (err as Error).message;
          out.uploads = ((await moto.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).length;
          await sent; // S3 has done the request held (the put may have ended before it did)
        } finally {
          client.destroy();
        }
      },
    );
    out.object = await moto.client.send(new HeadObjectCommand({ Bucket: bucket, Key: `store/${key}` })).then(
      () => true,
      () => false,
    );
    return out;
  };

  /**
   * A signal while a request of a multipart upload is on its way: the put ends only once what it sent is settled, so
   * the upload is aborted or its object removed, and onCut says which; never 'none' with the object or the upload's parts left.
   */
  it.each([
    ['an UploadPart', (method: string, url: string) => method === 'PUT' && url.includes('partNumber=')],
    ['the CompleteMultipartUpload', (method: string, url: string) => method === 'POST' && url.includes('uploadId=')],
  ])('a signal while %s is on its way: nothing of the put is left when it rejects (no object, no open upload)', async (_, request) => {
    const left = await cutWhileHeld(request, 'big', stream(big), 2_000);
    expect({ ...left, cut: left.cut.length === 1 && ['none', 'removed'].includes(left.cut[0]!) }).toEqual({
      message: 'stopping',
      uploads: 0,
      object: false,
      cut: true,
    });
  });

  /**
   * The same for a put of one buffer (one PutObject). An aborted request would have the put look before S3 stored it:
   * 'none' said with the object left.
   */
  it('a signal while the PUT of a buffer is on its way: nothing of the put is left when it rejects, and onCut says so', async () => {
    const isPut = (method: string, url: string) => method === 'PUT' && url.split('?')[0]!.endsWith('/store/one');
    expect(await cutWhileHeld(isPut, 'one', Buffer.from('one buffer'), 500)).toEqual({ message: 'stopping', uploads: 0, object: false, cut: ['removed'] });
  });

  it("negative: another writer's object with the very bytes the put sends is not taken for its own (KeyExistsError, with the mark)", async () => {
    const body = Buffer.from('the same bytes');
    const err = await throughProxy(
      () => false,
      async (store, bucket) => {
        await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'store/same', Body: body }));
        return store.put('same', body, { mark: true }).catch((e: unknown) => e);
      },
    );
    expect(err).toBeInstanceOf(KeyExistsError);
  });
});

describe('the S3 driver against faults only a mock can give (aws-sdk-client-mock)', () => {
  const client = new S3Client({ region: 'eu-west-1' });
  const s3 = mockClient(client);
  afterEach(() => s3.reset());
  afterAll(() => s3.restore());
  const store = () => new S3ObjectStore(client, 'bucket', 'p/', { partBytes: PART, queueSize: 1 });

  it('a store that reports no checksum has the object read again: a match counts, a mismatch deletes it', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand).resolves({ ContentLength: 5 });
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('hello')]) }));
    expect((await store().put('k', Buffer.from('hello'))).how).toBe('s3-get');
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('hellO')]) }));
    const err = await store()
      .put('k', Buffer.from('hello'))
      .catch((e: unknown) => e);
    expect((err as PutError).cause).toBeInstanceOf(ReadBackMismatchError);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'bucket', Key: 'p/k' }]);
  });

  it("a store that refuses conditional deletes (NotImplemented): the object is looked at again and deleted only while it is still the put's", async () => {
    const notImplemented = awsError('NotImplemented', 'A header you provided implies functionality that is not implemented', 501);
    const mismatched = { ContentLength: 5, ChecksumSHA256: sha(Buffer.from('hellO')).toString('base64'), ChecksumType: 'FULL_OBJECT' as const };
    s3.on(PutObjectCommand).resolves({ ETag: '"ours"' });
    s3.on(DeleteObjectCommand).callsFake((input: { IfMatch?: string }) => {
      if (input.IfMatch !== undefined) throw notImplemented;
      return {};
    });
    // Another writer's object is there by the time the cleanup looks: it stays.
    s3.on(HeadObjectCommand)
      .resolvesOnce({ ...mismatched, ETag: '"ours"' })
      .resolves({ ContentLength: 6, ETag: '"theirs"' });
    const err = await store()
      .put('k', Buffer.from('hello'), { ifExists: 'replace' })
      .catch((e: unknown) => e);
    expect((err as PutError).cause).toBeInstanceOf(ReadBackMismatchError);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'bucket', Key: 'p/k', IfMatch: '"ours"' }]);
    // Still the put's own object: it goes.
    s3.resetHistory();
    s3.on(HeadObjectCommand)
      .resolvesOnce({ ...mismatched, ETag: '"ours"' })
      .resolves({ ContentLength: 5, ETag: '"ours"' });
    await expect(store().put('k', Buffer.from('hello'), { ifExists: 'replace' })).rejects.toBeInstanceOf(PutError);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'bucket', Key: 'p/k', IfMatch: '"ours"' },
      { Bucket: 'bucket', Key: 'p/k' },
    ]);
  });

  it('an expected owner goes on every object call; a refused cleanup delete leaves the read-back error to be seen', async () => {
    const owned = new S3ObjectStore(client, 'bucket', 'p/', undefined, '111111111111');
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand).resolves({ ContentLength: 5, ChecksumSHA256: sha(Buffer.from('hellO')).toString('base64'), ChecksumType: 'FULL_OBJECT' });
    // A bucket where nobody may delete (the vault).
    s3.on(DeleteObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('hello')]) }));
    const err = await owned.put('k', Buffer.from('hello'), { ifExists: 'replace' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PutError);
    expect((err as PutError).stage).toBe('read-back');
    expect((err as PutError).cause).toBeInstanceOf(ReadBackMismatchError);
    await collect(await owned.getStream('k'));
    expect(await owned.exists('k')).toBe(true);
    const sent = [PutObjectCommand, HeadObjectCommand, DeleteObjectCommand, GetObjectCommand].flatMap((c) => s3.commandCalls(c));
    expect(sent.length).toBeGreaterThanOrEqual(5);
    for (const call of sent) expect(call.args[0].input).toMatchObject({ ExpectedBucketOwner: '111111111111' });
  });

  it('a composite checksum of another part count is not what was uploaded; a refused multipart upload is aborted, never completed', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
    s3.on(CompleteMultipartUploadCommand).resolves({});
    s3.on(AbortMultipartUploadCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    const digests = [0, PART, 2 * PART].map((at) => sha(big.subarray(at, at + PART)));
    const composite = `${sha(Buffer.concat(digests)).toString('base64')}-3`;
    s3.on(HeadObjectCommand).resolves({ ContentLength: big.length, ChecksumSHA256: composite, ChecksumType: 'COMPOSITE' });
    expect((await store().put('k', stream(big))).how).toBe('s3-composite-checksum');
    s3.on(HeadObjectCommand).resolves({ ContentLength: big.length, ChecksumSHA256: composite.replace(/-3$/, '-2'), ChecksumType: 'COMPOSITE' });
    await expect(store().put('k', stream(big))).rejects.toThrow(/read-back of s3:\/\/bucket\/p\/k does not match/);
    s3.resetHistory();
    await expect(
      store().put('k', stream(big), {
        commit: () => {
          throw new Error('judged bad');
        },
      }),
    ).rejects.toThrow('judged bad');
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('sends If-None-Match: * unless replacing, the SHA-256 S3 checks on a whole body, and the tags with the object', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand).resolves({ ContentLength: 5, ChecksumSHA256: sha(Buffer.from('hello')).toString('base64'), ChecksumType: 'FULL_OBJECT' });
    await store().put('k', Buffer.from('hello'), { tags: { 'redis-dr:tier': 'daily', 'a b': 'c/d' } });
    await store().put('k', Buffer.from('hello'), { ifExists: 'replace' });
    const [first, second] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(first).toMatchObject({ Key: 'p/k', ContentLength: 5, ChecksumSHA256: sha(Buffer.from('hello')).toString('base64'), IfNoneMatch: '*' });
    expect(Object.fromEntries(new URLSearchParams(first!.Tagging))).toEqual({ 'redis-dr:tier': 'daily', 'a b': 'c/d' });
    expect(second).not.toHaveProperty('IfNoneMatch');
    // A store fault (not the object's bytes) is the cause, at the write stage.
    s3.on(PutObjectCommand).rejects(awsError('SlowDown', 'Please reduce your request rate.', 503));
    const err = await store()
      .put('k', Buffer.from('hello'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ stage: 'write', cause: expect.objectContaining({ name: 'SlowDown' }) });
  });
});
