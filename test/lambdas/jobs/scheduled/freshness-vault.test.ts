import { Readable } from 'node:stream';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { VAULT_VERDICT_PREFIX, type VaultVerdict, vaultVerdictBody } from '../../../../lambdas/domain/dr-copies/vault-verdict.js';
import type { FreshnessInput } from '../../../../lambdas/domain/plans/plan-input.js';
import { type FreshnessDeps, runFreshness } from '../../../../lambdas/jobs/scheduled/freshness.js';
import { fakeDeps } from '../../../support/fakes.js';

/**
 * The vault's freshness monitor (`vaultVerdicts`): a replica counts as
 * verified only by the vault verifier's verdict object naming its current
 * version, never by a `redis-dr:verified` tag, which S3 replication copies
 * from the workload account. (The vault stack's roles are not in the
 * recorded-calls IAM check, hence a file of its own.)
 */
const s3 = mockClient(S3Client);
const BUCKET = 'redis-dr-vaulted-222222222222-eu-central-1';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const meta = { $metadata: {} };

/** Replica tags by key, as replication left them: every one carries a verified=ok tag (forged or not). */
let tags: Map<string, Record<string, string>>;
/** Verdict objects by replica key; every replica's current version is v1 with ETag "e1". */
let verdicts: Map<string, VaultVerdict>;

function addReplica(exportName: string, created: string): string {
  const key = `${exportName}-0001.rdb`;
  tags.set(key, {
    'redis-dr:tier': 'daily',
    'redis-dr:plan': 'sessions',
    'redis-dr:created': created,
    'redis-dr:shard': '0001/0001',
    'redis-dr:engine': 'redis 7.1.0',
    'redis-dr:verified': 'ok',
    'redis-dr:rdb': 'v=11 keys=10 expires=0 string=10',
  });
  return key;
}

const okOf = (key: string, versionId = 'v1'): VaultVerdict => ({
  verdict: 'ok',
  replica: { key, versionId, etag: '"e1"', size: 1024 },
  keys: { version: 11, keys: 10, expires: 0, byType: { string: 10 } },
  checkedAt: '2026-11-21T06:10:00.000Z',
});

/** The vault runs no drills: a drill history is never asked for. */
const deps = (): FreshnessDeps => ({
  ...fakeDeps(NOW),
  drillHistory: async () => {
    throw new Error('the vault has no drill history');
  },
});

const input = (): FreshnessInput => ({
  deployment: 'vaulted',
  where: 'dr',
  bucket: BUCKET,
  vaultVerdicts: true,
  plans: [{ plan: 'sessions', targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} }, exports: true, drills: false }],
  budgetSeconds: 60,
});

beforeEach(() => {
  s3.reset();
  tags = new Map();
  verdicts = new Map();
  s3.on(ListObjectsV2Command).callsFake(async (i: { Prefix?: string }) => ({
    Contents: [...tags.keys()].filter((k) => k.startsWith(i.Prefix ?? '')).map((Key) => ({ Key, Size: 1024 })),
  }));
  s3.on(GetObjectTaggingCommand).callsFake(async (i: { Key: string }) => ({
    TagSet: Object.entries(tags.get(i.Key) ?? {}).map(([Key, Value]) => ({ Key, Value })),
  }));
  s3.on(HeadObjectCommand).resolves({ ContentLength: 1024, VersionId: 'v1', ETag: '"e1"' });
  s3.on(GetObjectCommand).callsFake(async (i: { Key: string }) => {
    const v = i.Key.startsWith(VAULT_VERDICT_PREFIX) ? verdicts.get(i.Key.slice(VAULT_VERDICT_PREFIX.length, -'.json'.length)) : undefined;
    if (!v) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta });
    return { Body: sdkStreamMixin(Readable.from([Buffer.from(vaultVerdictBody(v))])) };
  });
});

describe('freshness (vault): verdicts from the vault verifier’s objects only', () => {
  it('does not count a replica whose verified=ok tag has no verdict object (forged by replication), nor one whose verdict names an older version', async () => {
    addReplica('rdr-rg-a-20261121-0900', '2026-11-21T09:00:42.000Z');
    const older = addReplica('rdr-rg-a-20261121-0800', '2026-11-21T08:00:42.000Z');
    const good = addReplica('rdr-rg-a-20261121-0600', '2026-11-21T06:00:42.000Z');
    verdicts.set(older, okOf(older, 'v0'));
    verdicts.set(good, okOf(good));

    const r = await runFreshness(input(), deps());

    expect(r.points.map((p) => [p.metric, p.recoveryPoint, p.seconds])).toEqual([['VerifiedCopyAgeSeconds', 'rdr-rg-a-20261121-0600', 14_358]]);
  });

  it('emits no data point when only tags say verified', async () => {
    addReplica('rdr-rg-a-20261121-0900', '2026-11-21T09:00:42.000Z');

    const r = await runFreshness(input(), deps());

    expect(r.points).toEqual([]);
    expect(r.gaps).toEqual([
      {
        plan: 'sessions',
        target: 'rg-a',
        metric: 'VerifiedCopyAgeSeconds',
        why: 'none of 1 export(s) verified and complete; newest: unverified: rdr-rg-a-20261121-0900-0001.rdb not verified yet',
      },
    ]);
  });
});
