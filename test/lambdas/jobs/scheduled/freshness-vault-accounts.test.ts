import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FreshnessInput } from '../../../../lambdas/domain/plans/plan-input.js';
import { type FreshnessDeps, MAX_ACCOUNT_LISTING_PAGES, runFreshness, VAULT_ACCOUNTS } from '../../../../lambdas/jobs/scheduled/freshness.js';
import { fakeDeps } from '../../../support/fakes.js';

/**
 * An organization's vault (`vaultAccounts`): each member account's newest replica under its own
 * `<account>/<region>/rdr-`, one bounded listing per account, never the bucket's root. The limit each age is
 * held to is its alarm's (lib/stacks/vault-stack.ts, vaultAccountStaleAlarms): 60 min RPO + 120 min here.
 */
const s3 = mockClient(S3Client);
const BUCKET = 'redis-dr-acme-999999999999-eu-central-1';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const LIMIT_SECONDS = (60 + 120) * 60;
const FRESH = '111111111111';
const OLD = '222222222222';
const EMPTY = '333333333333';

/** The vault's objects (key → arrival). */
let objects: Map<string, Date>;
let deps: ReturnType<typeof fakeDeps> & FreshnessDeps;

const input = (accounts: string[]): FreshnessInput => ({
  deployment: 'acme',
  where: 'dr',
  bucket: BUCKET,
  vaultVerdicts: true,
  plans: [],
  vaultAccounts: accounts.map((account) => ({ account, region: 'eu-west-1' })),
  budgetSeconds: 60,
});

const minutesAgo = (m: number) => new Date(NOW - m * 60_000);

beforeEach(() => {
  s3.reset();
  objects = new Map();
  deps = { ...fakeDeps(NOW), drillHistory: async () => [] };
  s3.on(ListObjectsV2Command).callsFake(async (i: { Prefix?: string }) => ({
    Contents: [...objects.entries()].filter(([k]) => k.startsWith(i.Prefix ?? '')).map(([Key, LastModified]) => ({ Key, Size: 1, LastModified })),
  }));
});

const ages = () => deps.metrics.points.map((p) => [p.dimensions.Account, p.value, p.name]);
const listedPrefixes = () => s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix);

describe('freshness (organization vault): the newest replica per member account', () => {
  it('measures a fresh account by its newest replica, under its own prefix only', async () => {
    objects.set(`${FRESH}/eu-west-1/rdr-rg-a-20261121-0900-0001.rdb`, minutesAgo(55));
    objects.set(`${FRESH}/eu-west-1/rdr-rg-a-20261121-0800-0001.rdb`, minutesAgo(115));
    // Evidence under the same account, another prefix: not a replica.
    objects.set(`${FRESH}/eu-central-1/reports/daily/x.json`, minutesAgo(1));

    const r = await runFreshness(input([FRESH]), deps);

    expect(ages()).toEqual([[FRESH, 55 * 60, 'VaultAccountReplicaAgeSeconds']]);
    expect(r.points[0]!.seconds).toBeLessThan(LIMIT_SECONDS);
    expect(r.points[0]!.recoveryPoint).toBe(`${FRESH}/eu-west-1/rdr-rg-a-20261121-0900-0001.rdb`);
    expect(r.planPoints).toEqual([]);
    expect(listedPrefixes()).toEqual([`${FRESH}/eu-west-1/rdr-`]);
  });

  it('an account whose newest replica is too old reports its age, past the limit (stale)', async () => {
    objects.set(`${OLD}/eu-west-1/rdr-rg-b-20261120-0900-0001.rdb`, minutesAgo(25 * 60));

    const r = await runFreshness(input([OLD]), deps);

    expect(ages()).toEqual([[OLD, 25 * 3600, 'VaultAccountReplicaAgeSeconds']]);
    expect(r.points[0]!.seconds).toBeGreaterThan(LIMIT_SECONDS);
  });

  it('an account with no replica has no data point (its alarm breaches on missing data), named as a gap, never skipped', async () => {
    const r = await runFreshness(input([EMPTY]), deps);

    expect(ages()).toEqual([]);
    expect(r.gaps).toEqual([
      { plan: VAULT_ACCOUNTS, target: EMPTY, metric: 'VaultAccountReplicaAgeSeconds', why: `no replica under s3://${BUCKET}/${EMPTY}/eu-west-1/rdr-` },
    ]);
  });

  it("another account's fresh replicas do not make an account fresh (nor do its keys at the root, or in another region)", async () => {
    objects.set(`${FRESH}/eu-west-1/rdr-rg-a-20261121-0955-0001.rdb`, minutesAgo(5));
    objects.set('rdr-rg-a-20261121-0955-0001.rdb', minutesAgo(5));
    objects.set(`${OLD}/eu-central-1/rdr-rg-b-20261121-0955-0001.rdb`, minutesAgo(5));
    objects.set(`${OLD}/eu-west-1/rdr-rg-b-20261120-0900-0001.rdb`, minutesAgo(25 * 60));

    const r = await runFreshness(input([FRESH, OLD, EMPTY]), deps);

    expect(ages().sort()).toEqual([
      [FRESH, 5 * 60, 'VaultAccountReplicaAgeSeconds'],
      [OLD, 25 * 3600, 'VaultAccountReplicaAgeSeconds'],
    ]);
    expect(r.gaps.map((g) => g.target)).toEqual([EMPTY]);
    expect(listedPrefixes().sort()).toEqual([`${FRESH}/eu-west-1/rdr-`, `${OLD}/eu-west-1/rdr-`, `${EMPTY}/eu-west-1/rdr-`].sort());
  });

  it('lists at most MAX_ACCOUNT_LISTING_PAGES pages of an account, then fails the run naming it (no guess from part of a listing)', async () => {
    s3.on(ListObjectsV2Command).callsFake(async () => ({
      Contents: [{ Key: `${FRESH}/eu-west-1/rdr-rg-a-x.rdb`, Size: 1, LastModified: minutesAgo(1) }],
      IsTruncated: true,
      NextContinuationToken: 'more',
    }));

    await expect(runFreshness(input([FRESH]), deps)).rejects.toThrow(/more than 20000 objects under s3:\/\/.*\/111111111111\/eu-west-1\/rdr-/);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(MAX_ACCOUNT_LISTING_PAGES);
    expect(ages()).toEqual([]);
  });

  it('refuses an account id that is not 12 digits in the input', async () => {
    const { freshnessInputSchema } = await import('../../../../lambdas/domain/plans/plan-input.js');
    const bad = freshnessInputSchema.safeParse({ ...input([FRESH]), vaultAccounts: [{ account: '../x', region: 'eu-west-1' }] });
    expect(bad.success).toBe(false);
  });
});
