/**
 * The vault verifier signs its verdicts (issue 58 item 2): with the vault's
 * own evidence key (KMS mocked at the API boundary by a real P-256 key), each
 * verdict is the next record of the vault bucket's verdict chain
 * (`redis-dr-vault-verdict-chain/`), and the verdict object is that record.
 * This file's calls are the vault verifier's (`vault-verify-rdb`: recorded
 * for the IAM simulation of test/lib/iam-functions.test.ts, judged against
 * the vault stack's verify role and the vault key's policy).
 */
import {
  GetObjectRetentionCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import { attestationDigest } from '../../../../lambdas/domain/attest/chain.js';
import { chainRecordKey, VERDICT_CHAIN_PREFIX, verdictChainHeadKey } from '../../../../lambdas/domain/points/verdict-objects.js';
import { vaultVerdictKey } from '../../../../lambdas/domain/vault/vault-verdict.js';
import { vaultTierDays } from '../../../../lambdas/domain/vault/vault-retention.js';
import { type S3ObjectEvent, type VerifyDeps, verifyStep } from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { kmsEvidenceKey, refusingSigner } from '../../../support/kms-evidence.js';
import { VAULT_TEST_BUCKET, VAULT_TEST_KEY, VAULT_TEST_RDB, vaultExportTags } from '../../../support/vault-replica.js';
import { serveObject } from '../../../support/s3-object-mock.js';
import { serveVerdicts, type VerdictStore } from '../../../support/verdict-store.js';

const BUCKET = VAULT_TEST_BUCKET;
const KEY = VAULT_TEST_KEY;
const LANDED = new Date('2026-11-21T02:05:00Z');
const RDB = VAULT_TEST_RDB;
const TAGS = vaultExportTags('hourly');

const event = (versionId: string): S3ObjectEvent => ({
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: { bucket: { name: BUCKET }, object: { key: KEY, size: RDB.length, 'version-id': versionId } },
});

describe("verify-rdb in the vault: verdicts signed into the vault's chain", () => {
  const s3 = mockClient(S3Client);
  const key = kmsEvidenceKey('arn:aws:kms:eu-central-1:222222222222:key/0b1c2d3e-vault-evidence');
  let verdicts: VerdictStore;
  let deps: VerifyDeps;

  /** The replica (version `versionId`) as S3 holds it, its retention already what its tier asks; the chain as listed from the store. */
  function replica(versionId: string): void {
    serveObject(s3, { bytes: RDB, etag: `"${versionId}"`, versionId, tags: TAGS, lastModified: LANDED });
    s3.on(GetObjectRetentionCommand).resolves({ Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(LANDED.getTime() + 3 * 86_400_000) } });
    s3.on(PutObjectRetentionCommand).resolves({});
    s3.on(PutObjectTaggingCommand).resolves({});
    s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix?: string; StartAfter?: string }) => ({
      Contents: [...verdicts.bodies.keys()]
        .filter((k) => k.startsWith(input.Prefix ?? '') && (input.StartAfter === undefined || k > input.StartAfter))
        .sort()
        .map((Key) => ({ Key, Size: 1 })),
    }));
  }

  beforeEach(() => {
    s3.reset();
    verdicts = serveVerdicts(s3, 'vault');
    deps = {
      s3: new S3Client({ region: 'eu-central-1' }),
      metrics: new MemoryMetrics(),
      log: new MemoryLog(),
      clock: { now: () => LANDED.getTime() + 10 * 60_000 },
      deadline: Number.POSITIVE_INFINITY,
      alert: async () => undefined,
      where: { deployment: 'prod', region: 'eu-central-1' },
      retention: vaultTierDays(3, {}),
      vaultVerdicts: true,
    };
  });

  it('each verdict is the next record of the vault chain, put only where none is; the verdict object is that record, byte for byte', async () => {
    const signer = await kmsSigner(key.kms, key.keyArn);
    replica('v1');
    const first = await verifyStep({ event: event('v1') }, { ...deps, signer });
    expect(first).toMatchObject({ done: true, outcome: { action: 'verified', verdict: 'ok', verdictObject: vaultVerdictKey(KEY) } });
    // A new version of the replica lands: its verdict is record 2, linked to record 1.
    replica('v2');
    await verifyStep({ event: event('v2') }, { ...deps, signer });
    const [one, two] = [1, 2].map((seq) => JSON.parse(verdicts.bodies.get(chainRecordKey('vault', seq))!));
    expect(one.attestation).toMatchObject({ seq: 1, previous: null, deployment: `s3://${BUCKET}/`, keyId: signer.keyId });
    expect(two.attestation).toMatchObject({ seq: 2, previous: attestationDigest(one.attestation), deployment: `s3://${BUCKET}/` });
    expect(two.replica.versionId).toBe('v2');
    expect(verdicts.bodies.get(vaultVerdictKey(KEY))).toBe(verdicts.bodies.get(chainRecordKey('vault', 2)));
    expect(JSON.parse(verdicts.bodies.get(verdictChainHeadKey('vault'))!)).toEqual({ seq: 2 });
    // Nothing under the DR bucket's chain: the vault's chain is its own.
    expect([...verdicts.bodies.keys()].some((k) => k.startsWith(VERDICT_CHAIN_PREFIX.dr))).toBe(false);
    const records = s3
      .commandCalls(PutObjectCommand)
      .filter((c) => c.args[0].input.Key!.startsWith(VERDICT_CHAIN_PREFIX.vault) && c.args[0].input.Key!.endsWith('.json'));
    expect(records.map((c) => c.args[0].input.IfNoneMatch)).toEqual(['*', '*']);
  });

  it('a Sign KMS refuses fails the step: no verdict object, no chain record, no verdict tag', async () => {
    replica('v1');
    await expect(verifyStep({ event: event('v1') }, { ...deps, signer: refusingSigner() })).rejects.toThrow(/kms:Sign/);
    expect(verdicts.of(KEY)).toBeUndefined();
    expect([...verdicts.bodies.keys()].filter((k) => k.startsWith(VERDICT_CHAIN_PREFIX.vault))).toEqual([]);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });
});
