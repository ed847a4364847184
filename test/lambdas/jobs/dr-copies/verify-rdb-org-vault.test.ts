import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import { VAULT_VERDICT_PREFIX, vaultVerdictKey } from '../../../../lambdas/domain/vault/vault-verdict.js';
import { type S3ObjectEvent, type VerifyDeps, verifyStep } from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { awsError, MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { serveObject } from '../../../support/s3-object-mock.js';

/**
 * The vault verifier in an organization's vault (issue 52): replicas lie
 * under `<account>/<region>/` (domain/points/account-prefix.ts), so each
 * verdict object is named under the same account prefix (what the drill
 * roles' `${aws:PrincipalAccount}` grant reads) and every count is also
 * published per `Account`, so one account's corrupt replicas are told apart
 * from another's. A replica at the root (a listed vault) gets no account.
 */
const BUCKET = VAULT_TEST_BUCKET;
const A = '111111111111';
const FILE = VAULT_TEST_KEY;
const RDB = VAULT_TEST_RDB;
const TAGS = vaultExportTags('hourly');

import { VAULT_TEST_BUCKET, VAULT_TEST_KEY, VAULT_TEST_RDB, vaultExportTags } from '../../../support/vault-replica.js';

describe('verify-rdb in an organization vault: verdicts and metrics per account', () => {
  const s3 = mockClient(S3Client);
  let deps: VerifyDeps & { metrics: MemoryMetrics };
  let verdicts: Map<string, string>;

  const event = (key: string): S3ObjectEvent => ({
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: { bucket: { name: BUCKET }, object: { key, size: RDB.length, 'version-id': 'v1' } },
  });

  /** A replica at `key`, and a verdict store answering PutObject, then GetObject and HeadObject of what was put. */
  function replica(key: string, bytes: Buffer = RDB): void {
    serveObject(s3, { key, bytes, etag: '"e1"', versionId: 'v1', tags: TAGS });
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: Uint8Array }) => {
      verdicts.set(input.Key, Buffer.from(input.Body).toString('utf8'));
      return {};
    });
    const verdictKey = vaultVerdictKey(key);
    s3.on(GetObjectCommand, { Key: verdictKey }).callsFake(async () => {
      const body = verdicts.get(verdictKey);
      if (body === undefined) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      return { Body: sdkStreamMixin(Readable.from([Buffer.from(body)])) };
    });
    s3.on(HeadObjectCommand, { Key: verdictKey }).callsFake(async () => {
      const body = verdicts.get(verdictKey);
      if (body === undefined) throw awsError('NotFound', 'Not Found', 404);
      const b = Buffer.from(body);
      return { ContentLength: b.length, ChecksumSHA256: createHash('sha256').update(b).digest('base64'), ChecksumType: 'FULL_OBJECT' };
    });
  }

  beforeEach(() => {
    s3.reset();
    verdicts = new Map();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(PutObjectTaggingCommand).resolves({});
    s3.on(DeleteObjectCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    deps = {
      s3: new S3Client({ region: 'eu-central-1' }),
      metrics: new MemoryMetrics(),
      log: new MemoryLog(),
      clock: { now: () => Date.parse('2026-11-21T02:10:00Z') },
      deadline: Number.POSITIVE_INFINITY,
      alert: async () => {},
      where: { deployment: 'prod', region: 'eu-central-1' },
      vaultVerdicts: true,
    };
  });

  it("writes the verdict of an account's replica under that account's prefix and counts it per Account", async () => {
    const key = `${accountRegionPrefix(A, 'eu-west-1')}${FILE}`;
    replica(key);
    const result = await verifyStep({ event: event(key) }, deps);
    expect(result).toMatchObject({
      done: true,
      outcome: { action: 'verified', verdict: 'ok', verdictObject: `${VAULT_VERDICT_PREFIX}${A}/eu-west-1/${FILE}.json` },
    });
    // The verdict object, and the key index beside the replica (jobs/dr-copies/copy-key-index.ts).
    expect([...verdicts.keys()]).toEqual([`${VAULT_VERDICT_PREFIX}${A}/eu-west-1/${FILE}.json`, `${A}/eu-west-1/${FILE}.keys`]);
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET, Account: A })).toBe(1);
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET })).toBe(1);
    // The target is still read from the file name under the prefix.
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(1);
  });

  it("counts a corrupt replica against its own account, not another's", async () => {
    const corrupt = Buffer.from(RDB);
    corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff;
    const key = `${accountRegionPrefix(A, 'eu-west-1')}${FILE}`;
    replica(key, corrupt);
    const result = await verifyStep({ event: event(key) }, deps);
    expect(result).toMatchObject({ done: true, outcome: { verdict: 'corrupt' } });
    expect(deps.metrics.sum('RdbCorrupt', { Bucket: BUCKET, Account: A })).toBe(1);
    expect(deps.metrics.sum('RdbCorrupt', { Bucket: BUCKET, Account: '333333333333' })).toBe(0);
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET, Account: A })).toBe(0);
  });

  it('gives a replica at the root (a listed vault) and a key whose first part is no account id no Account dimension', async () => {
    for (const key of [FILE, `12345/eu-west-1/${FILE}`]) {
      s3.reset();
      s3.on(ListObjectsV2Command).resolves({ Contents: [] });
      s3.on(PutObjectTaggingCommand).resolves({});
      replica(key);
      const result = await verifyStep({ event: event(key) }, deps);
      expect(result, key).toMatchObject({ done: true, outcome: { verdict: 'ok', verdictObject: vaultVerdictKey(key) } });
    }
    expect(deps.metrics.sum('RdbVerified', { Bucket: BUCKET })).toBe(2);
    expect(deps.metrics.points.filter((p) => 'Account' in p.dimensions)).toEqual([]);
  });
});
