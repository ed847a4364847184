import { createHash } from 'node:crypto';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ReadBackMismatchError } from '../../../../lambdas/adapters/storage/durable-file.js';
import { PartDigests, verifyS3ReadBack } from '../../../../lambdas/adapters/storage/s3-read-back.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();
const data = Buffer.from('0123456789abcdefghij'); // 20 bytes: parts of 8 are 8, 8, 4

describe('PartDigests', () => {
  it.each([
    ['chunks across part edges', [data.subarray(0, 3), data.subarray(3, 13), data.subarray(13)]],
    ['one chunk', [data]],
  ])('digests each part as the upload cuts it: %s', (_, chunks) => {
    const p = new PartDigests(8);
    for (const c of chunks) p.update(c);
    expect(p.digests()).toEqual([sha(data.subarray(0, 8)), sha(data.subarray(8, 16)), sha(data.subarray(16))]);
  });
  it('a stream of exactly N parts has no empty part after them; an empty stream has one empty part', () => {
    const p = new PartDigests(10);
    p.update(data);
    expect(p.digests()).toHaveLength(2);
    expect(new PartDigests(10).digests()).toEqual([sha(Buffer.alloc(0))]);
  });
});

describe('verifyS3ReadBack', () => {
  const s3 = mockClient(S3Client);
  const client = new S3Client({ region: 'eu-west-1' });
  const parts = [sha(data.subarray(0, 8)), sha(data.subarray(8, 16)), sha(data.subarray(16))];
  const composite = createHash('sha256').update(Buffer.concat(parts)).digest('base64');
  const expected = { bytes: 20, sha256: sha(data).toString('hex') };
  const verify = () =>
    verifyS3ReadBack(client, 'b', 'k', 's3://b/k', expected, parts, async () =>
      (async function* () {
        yield data;
      })(),
    );
  beforeEach(() => s3.reset());

  it.each([
    ['a full-object checksum', { ChecksumSHA256: sha(data).toString('base64') }, 's3-full-object-checksum'],
    ['a composite checksum', { ChecksumSHA256: `${composite}-3`, ChecksumType: 'COMPOSITE' as const }, 's3-composite-checksum'],
    ['a composite checksum without its -N', { ChecksumSHA256: composite, ChecksumType: 'COMPOSITE' as const }, 's3-composite-checksum'],
    ['a composite checksum with neither its -N nor a type (moto after a multipart upload)', { ChecksumSHA256: composite }, 's3-composite-checksum'],
    ['no checksum: the object read again', {}, 's3-get'],
  ])('accepts %s', async (_, head, how) => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 20, ETag: '"stored"', ...head });
    await expect(verify()).resolves.toEqual({ how, etag: '"stored"' });
  });

  it.each([
    ['a shorter object', { ContentLength: 19, ChecksumSHA256: sha(data).toString('base64') }],
    ['another full-object checksum', { ContentLength: 20, ChecksumSHA256: sha(Buffer.from('x')).toString('base64') }],
    ['a composite of another part count', { ContentLength: 20, ChecksumSHA256: `${composite}-2` }],
  ])('refuses %s', async (_, head) => {
    s3.on(HeadObjectCommand).resolves(head);
    await expect(verify()).rejects.toThrow(ReadBackMismatchError);
  });

  it('refuses an object read again that differs, when no checksum is reported', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 20 });
    await expect(
      verifyS3ReadBack(client, 'b', 'k', 's3://b/k', expected, parts, async () =>
        (async function* () {
          yield Buffer.from('0123456789abcdefghiX');
        })(),
      ),
    ).rejects.toThrow(/read-back of s3:\/\/b\/k does not match/);
  });
});
