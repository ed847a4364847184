import { Readable } from 'node:stream';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { VAULT_VERDICT_PREFIX, type VaultVerdict, vaultVerdictBody } from '../../../../lambdas/domain/vault/vault-verdict.js';
import type { FreshnessInput } from '../../../../lambdas/domain/plans/plan-input.js';
import { type FreshnessDeps, runFreshness } from '../../../../lambdas/jobs/scheduled/freshness.js';
import { fakeDeps } from '../../../support/fakes.js';
import { VAULT_ARMING_GRACE_DAYS } from '../../../../lambdas/domain/plans/vault-arming.js';

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
/** When each replica landed in the vault (its LastModified): a few seconds after its export was created. */
let arrivals: Map<string, Date>;

function addReplica(exportName: string, created: string, arrived = new Date(Date.parse(created) + 60_000)): string {
  const key = `${exportName}-0001.rdb`;
  arrivals.set(key, arrived);
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
  arrivals = new Map();
  s3.on(ListObjectsV2Command).callsFake(async (i: { Prefix?: string }) => ({
    Contents: [...tags.keys()].filter((k) => k.startsWith(i.Prefix ?? '')).map((Key) => ({ Key, Size: 1024, LastModified: arrivals.get(Key) })),
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

  it('counts no replica that only tags say verified: its age runs from the first replica that arrived', async () => {
    addReplica('rdr-rg-a-20261121-0900', '2026-11-21T09:00:42.000Z');

    const r = await runFreshness(input(), deps());

    // 09:01:42 → 10:00:00: no recovery point, the age since protection started (the first replica's arrival).
    expect(r.points).toEqual([{ plan: 'sessions', target: 'rg-a', metric: 'VerifiedCopyAgeSeconds', seconds: 3_498, sinceProtectionStart: true }]);
    expect(r.gaps).toEqual([]);
  });
});

describe("freshness (vault): the dead man's switches arm with the first replica, or at the latest a grace after the vault's deploy", () => {
  /** The vault verify state machine, created (the vault deployed) 30 days before the workload stacks. */
  const VERIFY = 'arn:aws:states:eu-central-1:222222222222:stateMachine:redis-dr-vaulted-vault-verify-rdb';
  const deployedLongAgo = (): FreshnessDeps => ({ ...deps(), protectionStart: async () => new Date(NOW - 30 * 86_400_000) });
  const withVerify = (): FreshnessInput => ({ ...input(), verifyStateMachineArn: VERIFY });

  it('reports age 0 while no replica has reached the vault during the arming grace after its deploy', async () => {
    const recently = { ...deps(), protectionStart: async () => new Date(NOW - (VAULT_ARMING_GRACE_DAYS - 1) * 86_400_000) };
    const r = await runFreshness(withVerify(), recently);

    expect(r.points).toEqual([{ plan: 'sessions', target: 'rg-a', metric: 'VerifiedCopyAgeSeconds', seconds: 0, sinceProtectionStart: true }]);
  });

  it('a vault that never received a replica counts from the grace’s end, so it pages (issue 53 item 6)', async () => {
    const r = await runFreshness(withVerify(), deployedLongAgo());

    // Deployed 30 days ago, grace 7 days: 23 days without a replica, far past any plan's RPO.
    expect(r.points).toEqual([
      { plan: 'sessions', target: 'rg-a', metric: 'VerifiedCopyAgeSeconds', seconds: (30 - VAULT_ARMING_GRACE_DAYS) * 86_400, sinceProtectionStart: true },
    ]);
  });

  it("counts a target without a verified replica from the first replica's arrival (another target's), so one that never replicates still pages", async () => {
    addReplica('rdr-rg-b-20261121-0600', '2026-11-21T06:00:00.000Z', new Date('2026-11-21T06:05:00Z'));

    const r = await runFreshness(withVerify(), deployedLongAgo());

    expect(r.points).toEqual([{ plan: 'sessions', target: 'rg-a', metric: 'VerifiedCopyAgeSeconds', seconds: 3 * 3600 + 55 * 60, sinceProtectionStart: true }]);
  });

  it('the DR region keeps counting from its verify state machine (only the vault arms with a replica)', async () => {
    const r = await runFreshness({ ...withVerify(), vaultVerdicts: false }, deployedLongAgo());

    expect(r.points.map((p) => p.seconds)).toEqual([30 * 86_400]);
  });
});

describe('freshness (vault): a replica dated after the run is not fresh', () => {
  it("fails the target (no data point, the run throws) when a verified replica's created tag is in the future (forged or a wrong clock)", async () => {
    // The workload account writes the created tag; dated in 2099, it would read age 0 until then, whatever stopped meanwhile.
    const key = addReplica('rdr-rg-a-20261121-0600', '2099-01-01T00:00:00.000Z', new Date(Date.parse('2026-11-21T06:01:00Z')));
    verdicts.set(key, okOf(key));
    const err = (await runFreshness(input(), deps()).catch((e: unknown) => e)) as {
      report?: { points: unknown[]; failed: { target: string; error: string }[] };
    };
    expect(err.report?.points).toEqual([]);
    expect(err.report?.failed).toEqual([
      {
        plan: 'sessions',
        target: 'rg-a',
        metric: 'VerifiedCopyAgeSeconds',
        error: `rdr-rg-a-20261121-0600 is dated 2099-01-01T00:00:00.000Z, after this run (2026-11-21T10:00:00.000Z): not counted as fresh; check its objects' redis-dr:created tag`,
      },
    ]);
  });

  it('counts a replica dated within the run (clocks of services differ by seconds) as age 0', async () => {
    const key = addReplica('rdr-rg-a-20261121-1000', '2026-11-21T10:00:30.000Z');
    verdicts.set(key, okOf(key));
    const r = await runFreshness(input(), deps());
    expect(r.points.map((p) => [p.target, p.seconds])).toEqual([['rg-a', 0]]);
  });

  it("takes the clock skew every reader allows (15 min, domain/points/clock-skew.ts) past the run's end, as vault status does", async () => {
    // The run starts 10:00:00 with a 60 s budget: its end 10:01:00, the bound 10:16:00.
    const within = addReplica('rdr-rg-a-20261121-1015', '2026-11-21T10:16:00.000Z');
    verdicts.set(within, okOf(within));
    expect((await runFreshness(input(), deps())).points.map((p) => [p.target, p.seconds])).toEqual([['rg-a', 0]]);
    const past = addReplica('rdr-rg-a-20261121-1016', '2026-11-21T10:16:00.001Z');
    verdicts.set(past, okOf(past));
    const err = (await runFreshness(input(), deps()).catch((e: unknown) => e)) as { report?: { failed: { error: string }[] } };
    expect(err.report?.failed.map((f) => f.error)).toEqual([
      expect.stringMatching(/^rdr-rg-a-20261121-1016 is dated 2026-11-21T10:16:00\.001Z, after this run/),
    ]);
  });
});
