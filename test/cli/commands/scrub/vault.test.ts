import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeVaultVerdict } from '../../../../lambdas/adapters/records/verdict-objects.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr scrub --vault`: an operator re-reads a vault bucket (moto's real
 * S3 API, versioned, replicas with the vault verifier's verdict objects):
 * good replicas pass; a replica whose bytes rotted under its `ok` verdict
 * (one byte flipped) is named (exit 1); nothing is written into the vault;
 * a folder, a prefix or a signing key with --vault is bad input (exit 2).
 */
const FIXTURES = join(__dirname, '../../../fixtures/rdb');
const REPLICAS: Record<string, number> = { 'hash-ziplist.rdb': 1, 'list-quicklist.rdb': 2, 'zset-ziplist.rdb': 1 };

describe('redis-dr scrub --vault', () => {
  let moto: MotoS3;
  let restoreCredentials = (): void => undefined;
  let n = 0;
  beforeAll(async () => {
    restoreCredentials = useMotoCredentials();
    moto = await startMotoS3();
  }, 60_000);
  afterAll(async () => {
    restoreCredentials();
    await moto?.stop();
  });

  /** A versioned vault bucket with each replica and its `ok` verdict (naming the version stored: `body` when given). */
  async function vault(bodies: Record<string, Buffer> = {}): Promise<string> {
    const bucket = `vault-cli-${++n}`;
    await moto.bucket(bucket);
    await moto.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    for (const [key, keys] of Object.entries(REPLICAS)) {
      const body = bodies[key] ?? readFileSync(join(FIXTURES, key));
      const put = await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      await writeVaultVerdict(moto.client, bucket, {
        verdict: 'ok',
        replica: { key, versionId: put.VersionId!, etag: put.ETag!, size: body.byteLength },
        keys: { version: 9, keys, expires: 0, byType: {} },
        checkedAt: new Date().toISOString(),
      });
    }
    return bucket;
  }

  const objects = async (bucket: string) => ((await moto.client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();

  it('re-reads every replica against its verdict: all good, exit 0, nothing written into the vault', async () => {
    const bucket = await vault();
    const before = await objects(bucket);
    const r = await runInProcess(['scrub', '--destination', `s3://${bucket}/`, '--vault', '--all', '--s3-endpoint', moto.endpoint]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^OK s3://${bucket}/: re-read 3 of 3 copies, 0 bad\\n`));
    expect(r.stdout).toContain('not recorded: the vault keeps its scrub records for the scheduled scrub');
    expect(await objects(bucket)).toEqual(before);
  }, 60_000);

  it('finds a flipped byte in a replica its verdict called ok, naming it (exit 1)', async () => {
    const bytes = Buffer.from(readFileSync(join(FIXTURES, 'list-quicklist.rdb')));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    const bucket = await vault({ 'list-quicklist.rdb': bytes });
    const r = await runInProcess(['scrub', '--destination', `s3://${bucket}/`, '--vault', '--all', '--s3-endpoint', moto.endpoint]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^CORRUPT s3://${bucket}/: re-read 3 of 3 copies, 1 bad\\n`));
    expect(r.stdout).toMatch(/^ {2}BAD list-quicklist\.rdb: .*(CRC-64|structure)/m);
    expect(r.stdout).not.toMatch(/BAD (hash|zset)/);
  }, 60_000);

  it('bad input is one line, exit 2: a folder, a prefix, or a signing key with --vault', async () => {
    const bucket = await vault();
    const folder = await runInProcess(['scrub', '--destination', 'file:///tmp', '--vault']);
    expect([folder.code, folder.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(folder.stderr).toMatch(/--vault reads a vault bucket: --destination file:\/\/\/tmp is a folder/);
    const prefix = await runInProcess(['scrub', '--destination', `s3://${bucket}/redis/`, '--vault', '--s3-endpoint', moto.endpoint]);
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toMatch(new RegExp(`names a prefix \\(redis/\\); with --vault give the vault bucket itself, s3://${bucket}/`));
    const signed = await runInProcess(['scrub', '--destination', `s3://${bucket}/`, '--vault', '--signing-key', '/tmp/k.pem']);
    expect(signed.code).toBe(2);
    expect(signed.stderr).toMatch(/--signing-key with --vault/);
  }, 60_000);
});
