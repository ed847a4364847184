import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SEED_COPY_PREFIX, type SeedCopyEvent, seedCopyEventSchema } from '../../../../lambdas/domain/vault/vault-seed.js';
import { runSeedCopy } from '../../../../lambdas/jobs/drills/drill-seed-copy.js';
import { awsError, FakeClock, MemoryLog } from '../../../support/fakes.js';

const s3 = mockClient(S3Client);
const VAULT_BUCKET = 'redis-dr-prod-vault-222222222222-eu-central-1';
const DR_BUCKET = 'redis-dr-prod-111111111111-eu-central-1';
const KEY = 'rdr-sessions-prod-20261122-0200-0001.rdb';
const COPY = `${SEED_COPY_PREFIX}exec-1/${KEY}`;
const ETAG = '"0123456789abcdef0123456789abcdef"';

function event(action: 'copy' | 'delete', replica: Partial<{ etag: string; size: number }> = {}): SeedCopyEvent {
  return {
    action,
    execution: 'exec-1',
    bucket: DR_BUCKET,
    vault: {
      account: '222222222222',
      bucket: VAULT_BUCKET,
      keys: [KEY],
      replicas: [{ key: KEY, versionId: 'v-verified', etag: ETAG, size: 1000, ...replica }],
    },
    partition: 'aws',
  };
}

const deps = () => ({ s3: new S3Client({ region: 'eu-central-1' }), log: new MemoryLog(), clock: new FakeClock(0), throttleDelayMs: 1 });

describe('the vault drill seed copy', () => {
  beforeEach(() => s3.reset());

  it('copies the verified version into the drill prefix of the DR bucket, reads it back, and returns the ARNs to seed from', async () => {
    s3.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: ETAG } });
    s3.on(HeadObjectCommand, { Bucket: DR_BUCKET, Key: COPY }).resolves({ ContentLength: 1000, ETag: ETAG });
    const out = await runSeedCopy(event('copy'), deps());
    expect(out).toMatchObject({ bucket: DR_BUCKET, keys: [COPY], snapshotArns: [`arn:aws:s3:::${DR_BUCKET}/${COPY}`] });
    const copy = s3.commandCalls(CopyObjectCommand)[0]!.args[0].input;
    // The version the verdict names, only while it still has the verified ETag, from a bucket of the vault account.
    expect(copy).toMatchObject({
      Bucket: DR_BUCKET,
      Key: COPY,
      CopySource: `${VAULT_BUCKET}/${KEY}?versionId=v-verified`,
      CopySourceIfMatch: ETAG,
      ExpectedSourceBucketOwner: '222222222222',
      TaggingDirective: 'REPLACE',
    });
  });

  it('fails when the copy read back differs from the verified replica (length or ETag)', async () => {
    s3.on(CopyObjectCommand).resolves({});
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1000, ETag: '"ffffffffffffffffffffffffffffffff"' });
    await expect(runSeedCopy(event('copy'), deps())).rejects.toThrow(/ETag "ffff.*read back, the verified replica has/);
    s3.on(HeadObjectCommand).resolves({ ContentLength: 999, ETag: ETAG });
    await expect(runSeedCopy(event('copy'), deps())).rejects.toThrow(/length 999 read back, the verified replica has 1000/);
  });

  it('refuses a choice without the verified versions (nothing is copied)', async () => {
    const e = event('copy');
    await expect(runSeedCopy({ ...e, vault: { ...e.vault, replicas: undefined } }, deps())).rejects.toThrow(/names no verified version/);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it("copies a multipart replica part by part with the source's own part lengths, so the copy's ETag is the verified one", async () => {
    const etag = '"aaaabbbbccccddddeeeeffff00001111-3"';
    s3.on(HeadObjectCommand, { Bucket: VAULT_BUCKET, PartNumber: 1 }).resolves({ ContentLength: 400 });
    s3.on(HeadObjectCommand, { Bucket: VAULT_BUCKET, PartNumber: 2 }).resolves({ ContentLength: 400 });
    s3.on(HeadObjectCommand, { Bucket: VAULT_BUCKET, PartNumber: 3 }).resolves({ ContentLength: 200 });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u-1' });
    s3.on(UploadPartCopyCommand).callsFake((i: { PartNumber: number }) => ({ CopyPartResult: { ETag: `"p${i.PartNumber}"` } }));
    s3.on(CompleteMultipartUploadCommand).resolves({ ETag: etag });
    s3.on(HeadObjectCommand, { Bucket: DR_BUCKET, Key: COPY }).resolves({ ContentLength: 1000, ETag: etag });
    await runSeedCopy(event('copy', { etag }), deps());
    const ranges = s3.commandCalls(UploadPartCopyCommand).map((c) => c.args[0].input.CopySourceRange);
    expect(ranges).toEqual(['bytes=0-399', 'bytes=400-799', 'bytes=800-999']);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload?.Parts).toEqual([
      { ETag: '"p1"', PartNumber: 1 },
      { ETag: '"p2"', PartNumber: 2 },
      { ETag: '"p3"', PartNumber: 3 },
    ]);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload when a part copy fails', async () => {
    const etag = '"aaaabbbbccccddddeeeeffff00001111-2"';
    s3.on(HeadObjectCommand, { Bucket: VAULT_BUCKET }).resolves({ ContentLength: 500 });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u-2' });
    s3.on(UploadPartCopyCommand).rejects(awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412));
    s3.on(AbortMultipartUploadCommand).resolves({});
    await expect(runSeedCopy(event('copy', { etag }), deps())).rejects.toThrow(/pre-conditions/);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toMatchObject({ Bucket: DR_BUCKET, Key: COPY, UploadId: 'u-2' });
  });

  it('deletes every version of the copy and counts it deleted only when the listing is empty', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [{ Key: COPY, VersionId: 'c1' }], DeleteMarkers: [] })
      .resolves({ Versions: [] });
    s3.on(DeleteObjectCommand).resolves({});
    const out = await runSeedCopy(event('delete'), deps());
    expect(out).toEqual({ deleted: true, bucket: DR_BUCKET, keys: [COPY], versions: 1 });
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({ Bucket: DR_BUCKET, Key: COPY, VersionId: 'c1' });
    // Only the drill prefix is listed, never the bucket.
    expect(s3.commandCalls(ListObjectVersionsCommand).every((c) => c.args[0].input.Prefix === COPY)).toBe(true);
  });

  it('a delete that leaves a version (a lock, a denied delete that did not throw) fails', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: COPY, VersionId: 'c1' }] });
    s3.on(DeleteObjectCommand).resolves({});
    await expect(runSeedCopy(event('delete'), deps())).rejects.toThrow(/1 version\(s\) still listed/);
  });

  it('a copy never made deletes nothing and succeeds (the cleanup runs on every path)', async () => {
    s3.on(ListObjectVersionsCommand).resolves({});
    const out = await runSeedCopy(event('delete'), deps());
    expect(out).toMatchObject({ deleted: true, versions: 0 });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('reads the input as the state machine builds it, and refuses an execution name that cannot name a key', async () => {
    expect(seedCopyEventSchema.parse(event('copy')).vault.keys).toEqual([KEY]);
    await expect(runSeedCopy({ ...event('delete'), execution: '../x' }, deps())).rejects.toThrow(/cannot name a seed copy/);
  });
});
