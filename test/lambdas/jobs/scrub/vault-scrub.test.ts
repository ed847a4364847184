/**
 * The scheduled scrub of the vault over a real S3 API (moto, a versioned
 * bucket) and real RDB files: replicas are judged against the vault
 * verifier's verdict objects (never the replicated tags); a flipped byte in
 * an old replica pages rdb-corrupt naming it; a replica changed after its
 * verdict, or without one, is a bad replica; the records go under
 * redis-dr-vault-scrub/.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import { readScrubRecords } from '../../../../lambdas/adapters/records/scrub-records.js';
import { writeVaultVerdict } from '../../../../lambdas/adapters/records/verdict-objects.js';
import type { Page } from '../../../../lambdas/domain/alerting/page.js';
import { evidencePublicKey, verifyChain } from '../../../../lambdas/domain/attest/chain.js';
import { TAGS } from '../../../../lambdas/domain/plans/types.js';
import { VAULT_SCRUB_RECORDS_PREFIX } from '../../../../lambdas/domain/scrub/input.js';
import { runVaultScrub } from '../../../../lambdas/jobs/scrub/vault-bucket.js';
import { kmsEvidenceKey } from '../../../support/kms-evidence.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';
import { COPIES, DAY, FIXTURES, failedRun, recordedS3, scrubDeps } from './bucket-fixtures.js';

let moto: MotoS3;
let n = 0;

beforeAll(async () => {
  moto = await startMotoS3();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

/** Stores `body` as a replica and, unless `verdict` is false, the vault verifier's `ok` verdict naming its version. */
async function putReplica(bucket: string, key: string, body: Uint8Array, keys: number, verdict = true): Promise<void> {
  const put = await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  if (!verdict) return;
  const replica = { key, versionId: put.VersionId!, etag: put.ETag!, size: body.byteLength };
  await writeVaultVerdict(moto.client, bucket, {
    verdict: 'ok',
    replica,
    keys: { version: 9, keys, expires: 0, byType: {} },
    checkedAt: new Date().toISOString(),
  });
}

/** A versioned vault bucket holding every fixture as a replica with its `ok` verdict. */
async function vaultBucket(): Promise<string> {
  const bucket = `vault-scrub-${++n}`;
  await moto.bucket(bucket);
  await moto.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  for (const [file, keys] of Object.entries(COPIES)) await putReplica(bucket, file, readFileSync(join(FIXTURES, file)), keys);
  return bucket;
}

const later = () => new Date(Date.now() + 40 * DAY);

describe('runVaultScrub', () => {
  it('re-reads every due replica against its verdict, finds each good, and writes its record under redis-dr-vault-scrub/', async () => {
    const bucket = await vaultBucket();
    const pages: Page[] = [];
    const run = await runVaultScrub({ bucket, days: 30 }, scrubDeps(recordedS3(moto.client), later(), pages));
    expect(run.record.results.map((r) => [r.file, r.ok, r.problems]).sort()).toEqual(
      Object.keys(COPIES)
        .sort()
        .map((f) => [f, true, []]),
    );
    expect(pages).toEqual([]);
    expect(run.recordKey!.startsWith(VAULT_SCRUB_RECORDS_PREFIX)).toBe(true);
    expect((await readScrubRecords(moto.client, bucket, VAULT_SCRUB_RECORDS_PREFIX)).map((r) => r.startedAt)).toEqual([run.record.startedAt]);
  }, 60_000);

  it('finds a flipped byte in a replica its verdict called ok, pages rdb-corrupt naming the vault replica, and fails', async () => {
    const bucket = await vaultBucket();
    const bytes = Buffer.from(readFileSync(join(FIXTURES, 'list-quicklist.rdb')));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    // The verdict names the flipped version: as if the bytes rotted under a verdict taken before (the scrub's case).
    await putReplica(bucket, 'list-quicklist.rdb', bytes, 2);
    const pages: Page[] = [];
    const run = await failedRun(runVaultScrub({ bucket, days: 30 }, scrubDeps(recordedS3(moto.client), later(), pages)));
    expect(run.bad.map((b) => b.file)).toEqual(['list-quicklist.rdb']);
    expect(run.bad[0]!.problems.join('\n')).toMatch(/CRC-64|structure/);
    expect(pages.map((p) => [p.attributes.kind, p.message.split('\n')[0]])).toEqual([
      ['rdb-corrupt', expect.stringContaining(`vault replica s3://${bucket}/list-quicklist.rdb`)],
    ]);
  }, 60_000);

  it('judges by the verdict object only: a replica changed after its verdict, or without one, is bad whatever its replicated tags say', async () => {
    const bucket = await vaultBucket();
    // A new version of hash-ziplist (the same bytes) after its verdict: the verdict names the older version.
    await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'hash-ziplist.rdb', Body: readFileSync(join(FIXTURES, 'hash-ziplist.rdb')) }));
    // A replica with no verdict, but an `ok` tag as replication from the workload account could bring.
    await putReplica(bucket, 'no-verdict.rdb', readFileSync(join(FIXTURES, 'zset-ziplist.rdb')), 1, false);
    await moto.client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'no-verdict.rdb', Tagging: { TagSet: [{ Key: TAGS.verified, Value: 'ok' }] } }));
    const pages: Page[] = [];
    const run = await failedRun(runVaultScrub({ bucket, days: 30 }, scrubDeps(recordedS3(moto.client), later(), pages)));
    const bad = Object.fromEntries(run.bad.map((b) => [b.file, b.problems]));
    expect(Object.keys(bad).sort()).toEqual(['hash-ziplist.rdb', 'no-verdict.rdb']);
    expect(bad['hash-ziplist.rdb']).toEqual([
      expect.stringMatching(/^no record of what was stored/),
      expect.stringMatching(/^its verdict is about version .* not the current .*: the replica changed after it was verified$/),
    ]);
    expect(bad['no-verdict.rdb']).toEqual([
      'no record of what was stored (not written by redis-dr, or its record is gone): nothing to compare with',
      expect.stringMatching(/^no verdict of the vault verifier to compare with: no verdict object/),
    ]);
    expect(pages).toHaveLength(2);
  }, 60_000);

  it("signs each run's record with the vault's evidence key (KMS mocked with a real P-256 key), chained, checked offline with its public key", async () => {
    const bucket = await vaultBucket();
    const key = kmsEvidenceKey('arn:aws:kms:eu-west-1:222222222222:key/vault-evidence');
    const signer = await kmsSigner(key.kms, key.keyArn);
    const at = later().getTime();
    const runs = [];
    for (const day of [0, 1])
      runs.push(await runVaultScrub({ bucket, days: 30 }, scrubDeps(recordedS3(moto.client), new Date(at + day * DAY), [], { signer })));
    const stored = await Promise.all(
      runs.map(async (r) => ({
        name: r.recordKey!,
        record: JSON.parse(await (await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key: r.recordKey }))).Body!.transformToString()) as unknown,
      })),
    );
    const publicKey = evidencePublicKey(
      createPublicKey({ key: key.publicKeyDer, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString(),
    );
    expect(verifyChain(stored, publicKey, { whole: true, deployment: `s3://${bucket}/` })).toMatchObject({ ok: true, records: 2 });
    // The first record deleted: a truncated chain, never a pass.
    expect(verifyChain(stored.slice(1), publicKey, { whole: true })).toMatchObject({ ok: false, name: runs[1]!.recordKey });
  }, 60_000);
});
