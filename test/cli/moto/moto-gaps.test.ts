import { CloudWatchClient, DescribeAlarmHistoryCommand } from '@aws-sdk/client-cloudwatch';
import {
  CopySnapshotCommand,
  CreateReplicationGroupCommand,
  CreateSnapshotCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeServerlessCachesCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedMotoVersion, MOTO_GAPS, MOTO_TAG_TYPES, MOTO_VERSION, startMotoAws, type MotoAws } from '../../support/moto-aws.js';

/**
 * Where moto (the version pinned in test/support/moto-aws.ts) lacks an API
 * or deviates from AWS, each asserted against moto itself, not the shim: an
 * upgrade that closes a gap fails here, naming the shim or the workaround
 * to remove, so the suite never keeps pretending for moto.
 */
let aws: MotoAws;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
/** A client of moto itself (no shim), and one through the shim. */
const direct = <T>(Ctor: new (c: object) => T): T => new Ctor({ endpoint: aws.moto.endpoint, region: 'eu-west-1', credentials: CREDENTIALS });
const shimmed = <T>(Ctor: new (c: object) => T): T => new Ctor({ endpoint: aws.endpoint, region: 'eu-west-1', credentials: CREDENTIALS });

/** moto's answer to an action it lacks: HTTP 500 with an HTML page, which the SDK cannot parse (no AWS error name). */
const NOT_IMPLEMENTED = /^500 (Error|SyntaxError)$/;

/** The error a call ends in (or `answered`). */
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'answered',
    (err: Error & { $metadata?: { httpStatusCode?: number } }) => `${err.$metadata?.httpStatusCode ?? '?'} ${err.name}`,
  );

beforeAll(async () => {
  aws = await startMotoAws();
  const ec = direct(ElastiCacheClient);
  await ec.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'gap-probe',
      ReplicationGroupDescription: 'gap probe',
      CacheNodeType: 'cache.t4g.small',
      Engine: 'redis',
      NumCacheClusters: 1,
      Tags: [{ Key: 'probe', Value: 'yes' }],
    }),
  );
  await ec.send(new CreateSnapshotCommand({ ReplicationGroupId: 'gap-probe', SnapshotName: 'gap-probe-snap' }));
}, 180_000);
afterAll(async () => {
  await aws?.stop();
});

describe(`moto ${MOTO_VERSION}: the gaps (MOTO_GAPS, MOTO_DEVIATIONS) the moto suite works around`, { timeout: 180_000 }, () => {
  it('is the moto version the gaps were measured on (an upgrade: run this file and update MOTO_VERSION and the gaps)', () => {
    expect(installedMotoVersion()).toBe(MOTO_VERSION);
  });

  it.each(Object.keys(MOTO_GAPS))('%s: moto does not implement it (the shim answers it; once moto does, drop it from MOTO_GAPS)', async (action) => {
    const ec = direct(ElastiCacheClient);
    const call = action === 'DescribeServerlessCaches' ? new DescribeServerlessCachesCommand({}) : new DescribeServerlessCacheSnapshotsCommand({});
    expect(await outcome(ec.send(call as DescribeServerlessCachesCommand))).toMatch(NOT_IMPLEMENTED);
    // Through the shim: an empty list, as from an account without serverless caches.
    await expect(shimmed(ElastiCacheClient).send(call as DescribeServerlessCachesCommand)).resolves.toBeDefined();
  });

  it('the shim forwards every other call unchanged (DescribeReplicationGroups through it equals moto itself)', async () => {
    const strip = (o: { ReplicationGroups?: unknown[] }) => o.ReplicationGroups;
    expect(strip(await shimmed(ElastiCacheClient).send(new DescribeReplicationGroupsCommand({})))).toEqual(
      strip(await direct(ElastiCacheClient).send(new DescribeReplicationGroupsCommand({}))),
    );
  });

  it('CopySnapshot (the export) is not implemented: selftest and the export stop there (not shimmed)', async () => {
    const call = new CopySnapshotCommand({ SourceSnapshotName: 'gap-probe-snap', TargetSnapshotName: 'gap-probe-snap', TargetBucket: 'any' });
    expect(await outcome(direct(ElastiCacheClient).send(call))).toMatch(NOT_IMPLEMENTED);
  });

  it('CloudWatch DescribeAlarmHistory is not implemented: the report is PARTIAL, its Alarms section not collected', async () => {
    expect(await outcome(direct(CloudWatchClient).send(new DescribeAlarmHistoryCommand({})))).toMatch(NOT_IMPLEMENTED);
  });

  it("the Tagging API's type name of a replication group is moto's own (the shim renames AWS's)", async () => {
    const found = async (client: ResourceGroupsTaggingAPIClient, type: string) =>
      ((await client.send(new GetResourcesCommand({ ResourceTypeFilters: [type] }))).ResourceTagMappingList ?? []).map((m) => m.ResourceARN);
    const [aws_, motos] = Object.entries(MOTO_TAG_TYPES)[0]!;
    expect(await found(direct(ResourceGroupsTaggingAPIClient), aws_)).toEqual([]);
    expect(await found(direct(ResourceGroupsTaggingAPIClient), motos)).toEqual([expect.stringMatching(/:replicationgroup:gap-probe$/)]);
    expect(await found(shimmed(ResourceGroupsTaggingAPIClient), aws_)).toEqual([expect.stringMatching(/:replicationgroup:gap-probe$/)]);
  });

  it("a replication group's member clusters are not described (the seeding creates them)", async () => {
    const group = (await direct(ElastiCacheClient).send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'gap-probe' }))).ReplicationGroups![0]!;
    const member = group.MemberClusters![0]!;
    expect(await outcome(direct(ElastiCacheClient).send(new DescribeCacheClustersCommand({ CacheClusterId: member })))).toBe('404 CacheClusterNotFoundFault');
  });

  it('a snapshot has no NodeSnapshots (its time is read from its name)', async () => {
    const [snap] = (await direct(ElastiCacheClient).send(new DescribeSnapshotsCommand({ SnapshotName: 'gap-probe-snap' }))).Snapshots ?? [];
    expect(snap?.SnapshotStatus).toBe('available');
    expect(snap?.NodeSnapshots ?? []).toEqual([]);
  });
});
