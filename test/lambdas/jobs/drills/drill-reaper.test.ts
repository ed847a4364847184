import {
  DeleteReplicationGroupCommand,
  DeleteServerlessCacheCommand,
  DeleteUserCommand,
  DeleteUserGroupCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  ElastiCacheClient,
  InvalidReplicationGroupStateFault,
  ListTagsForResourceCommand,
  ReplicationGroupNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DeleteSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DrillReapFailedError, drillReaperInputSchema, reapDrillClusters } from '../../../../lambdas/jobs/drills/drill-reaper.js';
import { awsError, fakeDeps } from '../../../support/fakes.js';

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const sm = mockClient(SecretsManagerClient);

const NOW = Date.parse('2026-11-21T10:00:00Z');
const HOUR = 3_600_000;
const ARN = 'arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:';
const meta = { $metadata: {} };
const INPUT = { deployment: 'prod', maxHours: 6 };

interface FakeGroup {
  id: string;
  status: string;
  createdAt?: Date;
  /** What ElastiCache says now. */
  tags: Record<string, string>;
  /** What the Tagging API still says (it lags); default: `tags`. */
  indexedTags?: Record<string, string>;
}

let groups: Map<string, FakeGroup>;
/** Serverless caches, user groups and users of serverless drills, by ARN. */
let others: Map<
  string,
  { type: 'serverlesscache' | 'usergroup' | 'user'; id: string; status?: string; createdAt?: Date; tags: Record<string, string>; busy?: number }
>;
const OTHER_ARN = (type: string, id: string) => `arn:aws:elasticache:eu-west-1:111122223333:${type}:${id}`;
function addOther(
  type: 'serverlesscache' | 'usergroup' | 'user',
  id: string,
  over: { ageHours?: number; status?: string; busy?: number; tags?: Record<string, string> } = {},
): void {
  others.set(OTHER_ARN(type, id), {
    type,
    id,
    status: over.status ?? 'available',
    createdAt: over.ageHours === undefined ? undefined : new Date(NOW - over.ageHours * HOUR),
    busy: over.busy,
    tags: over.tags ?? { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'prod', 'redis-dr:drill': `exec-${id}` },
  });
}
let deleteFaults: Map<string, Error>;
let deps: ReturnType<typeof fakeDeps> & { secrets: SecretsManagerClient };
/** Drill token secrets ListSecrets answers with (the filter by name prefix and tag key is the service's). */
let secrets: { Name: string; ARN: string; CreatedDate: Date; Tags: { Key: string; Value: string }[] }[];

function addGroup(id: string, ageHours: number, over: Partial<FakeGroup> = {}): void {
  groups.set(id, {
    id,
    status: 'available',
    createdAt: new Date(NOW - ageHours * HOUR),
    tags: { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'prod', 'redis-dr:drill': `exec-${id}`, 'redis-dr:plan': 'sessions' },
    ...over,
  });
}

const deleted = () => ec.commandCalls(DeleteReplicationGroupCommand).map((c) => c.args[0].input.ReplicationGroupId);

beforeEach(() => {
  ec.reset();
  tagging.reset();
  groups = new Map();
  others = new Map();
  deleteFaults = new Map();
  sm.reset();
  secrets = [];
  deps = { ...fakeDeps(NOW), secrets: new SecretsManagerClient({ region: 'eu-west-1' }) };
  sm.on(ListSecretsCommand).callsFake(() => ({ SecretList: secrets }));
  sm.on(DeleteSecretCommand).resolves({});

  tagging.on(GetResourcesCommand).callsFake((i: { TagFilters: { Key: string; Values?: string[] }[]; ResourceTypeFilters: string[] }) => ({
    ...meta,
    ResourceTagMappingList: [
      ...[...groups.values()].map((g) => ({ arn: `${ARN}${g.id}`, tags: g.indexedTags ?? g.tags })),
      ...[...others.entries()].map(([arn, o]) => ({ arn, tags: o.tags })),
    ]
      .filter(() => i.ResourceTypeFilters.includes('elasticache'))
      // A filter without values matches any value of its key.
      .filter(({ tags }) => i.TagFilters.every((f) => f.Key in tags && (!f.Values || f.Values.includes(tags[f.Key]!))))
      .map(({ arn, tags }) => ({ ResourceARN: arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })),
  }));
  ec.on(DescribeServerlessCachesCommand).callsFake((i: { ServerlessCacheName: string }) => {
    const o = others.get(OTHER_ARN('serverlesscache', i.ServerlessCacheName));
    if (!o) throw awsError('ServerlessCacheNotFoundFault', 'gone');
    return { ServerlessCaches: [{ ServerlessCacheName: o.id, Status: o.status, CreateTime: o.createdAt, ARN: OTHER_ARN('serverlesscache', o.id) }] };
  });
  const deleteOther = (type: 'serverlesscache' | 'usergroup' | 'user', id: string, busyFault: string) => {
    const o = others.get(OTHER_ARN(type, id));
    if (!o) throw awsError(type === 'user' ? 'UserNotFoundFault' : 'UserGroupNotFoundFault', 'gone');
    if ((o.busy ?? 0) > 0) {
      o.busy!--;
      throw awsError(busyFault, 'in use');
    }
    others.delete(OTHER_ARN(type, id));
    return {};
  };
  ec.on(DeleteServerlessCacheCommand).callsFake((i: { ServerlessCacheName: string }) =>
    deleteOther('serverlesscache', i.ServerlessCacheName, 'InvalidServerlessCacheStateFault'),
  );
  ec.on(DeleteUserGroupCommand).callsFake((i: { UserGroupId: string }) => deleteOther('usergroup', i.UserGroupId, 'InvalidUserGroupStateFault'));
  ec.on(DeleteUserCommand).callsFake((i: { UserId: string }) => deleteOther('user', i.UserId, 'DefaultUserAssociatedToUserGroupFault'));
  ec.on(DescribeReplicationGroupsCommand).callsFake((i: { ReplicationGroupId: string }) => {
    const g = groups.get(i.ReplicationGroupId);
    if (!g) throw new ReplicationGroupNotFoundFault({ message: `${i.ReplicationGroupId} not found`, $metadata: {} });
    return { ReplicationGroups: [{ ReplicationGroupId: g.id, Status: g.status, ReplicationGroupCreateTime: g.createdAt, ARN: `${ARN}${g.id}` }] };
  });
  ec.on(ListTagsForResourceCommand).callsFake((i: { ResourceName: string }) => {
    // As ElastiCache: "If the cluster is not in the available state, ListTagsForResource returns an error" (API reference).
    const g = groups.get(i.ResourceName.slice(ARN.length));
    if (g && g.status !== 'available') {
      throw new InvalidReplicationGroupStateFault({ message: 'Cluster not in available state to perform tagging operations.', $metadata: {} });
    }
    return {
      TagList: Object.entries(g?.tags ?? others.get(i.ResourceName)?.tags ?? {}).map(([Key, Value]) => ({
        Key,
        Value,
      })),
    };
  });
  ec.on(DeleteReplicationGroupCommand).callsFake((i: { ReplicationGroupId: string }) => {
    const fault = deleteFaults.get(i.ReplicationGroupId);
    if (fault) throw fault;
    const g = groups.get(i.ReplicationGroupId)!;
    g.status = 'deleting';
    return { ReplicationGroup: { ReplicationGroupId: g.id, Status: 'deleting' } };
  });
});

describe('drill reaper', () => {
  it("deletes the token secrets of drills that never reached their cleanup: this deployment's, older than maxHours, and nothing else", async () => {
    const secret = (name: string, ageHours: number, tags: Record<string, string>) =>
      secrets.push({
        Name: name,
        ARN: `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${name}-AbCdEf`,
        CreatedDate: new Date(NOW - ageHours * HOUR),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      });
    secret('redis-dr/drill/exec-old', 7, { 'redis-dr:drill': 'exec-old', 'redis-dr:deployment': 'prod' });
    secret('redis-dr/drill/exec-running', 1, { 'redis-dr:drill': 'exec-running', 'redis-dr:deployment': 'prod' });
    secret('redis-dr/drill/exec-staging', 30, { 'redis-dr:drill': 'exec-staging', 'redis-dr:deployment': 'staging' });
    const report = await reapDrillClusters(INPUT, deps);
    expect(report.secretsDeleted).toEqual(['redis-dr/drill/exec-old']);
    expect(sm.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-dr/drill/exec-old-AbCdEf', ForceDeleteWithoutRecovery: true },
    ]);
    expect(sm.commandCalls(ListSecretsCommand)[0]!.args[0].input.Filters).toEqual([
      { Key: 'name', Values: ['redis-dr/drill/'] },
      { Key: 'tag-key', Values: ['redis-dr:drill'] },
    ]);
  });

  it('a secret that cannot be deleted fails the run after everything else was handled', async () => {
    secrets.push({
      Name: 'redis-dr/drill/exec-x',
      ARN: 'arn:x',
      CreatedDate: new Date(NOW - 10 * HOUR),
      Tags: [
        { Key: 'redis-dr:drill', Value: 'exec-x' },
        { Key: 'redis-dr:deployment', Value: 'prod' },
      ],
    });
    sm.on(DeleteSecretCommand).rejects(awsError('AccessDeniedException', 'no', 400));
    addGroup('rdr-drill-rg-a-2611200200', 32);
    const err = (await reapDrillClusters(INPUT, deps).catch((e: unknown) => e)) as DrillReapFailedError;
    expect(err).toBeInstanceOf(DrillReapFailedError);
    expect(err.report.deleted).toEqual(['rdr-drill-rg-a-2611200200']);
    expect(err.report.failed).toEqual([{ id: 'redis-dr/drill/exec-x', error: expect.stringMatching(/AccessDenied/) }]);
  });

  it('deletes drill clusters older than maxHours and keeps younger ones', async () => {
    addGroup('rdr-drill-rg-a-2611200200', 32);
    addGroup('rdr-drill-rg-b-2611210830', 1.5);

    const report = await reapDrillClusters(INPUT, deps);

    expect(report).toMatchObject({ region: 'eu-west-1', deleted: ['rdr-drill-rg-a-2611200200'], young: ['rdr-drill-rg-b-2611210830'], failed: [] });
    expect(deleted()).toEqual(['rdr-drill-rg-a-2611200200']);
    expect(ec).toHaveReceivedCommandWith(DeleteReplicationGroupCommand, { ReplicationGroupId: 'rdr-drill-rg-a-2611200200', RetainPrimaryCluster: false });
    expect(deps.metrics.sum('DrillClustersReaped', { Region: 'eu-west-1' })).toBe(1);
  });

  it('never deletes a group without the drill tag, of another deployment, or not named like a drill cluster', async () => {
    addGroup('orders-prod', 100, { tags: { 'redis-dr:deployment': 'prod', 'redis-dr:plan': 'sessions' } });
    addGroup('rdr-drill-rg-x-2611200200', 100, { tags: { 'redis-dr:deployment': 'staging', 'redis-dr:drill': 'exec-x' } });
    // The Tagging API still lists the drill tag someone removed since.
    addGroup('rdr-drill-rg-c-2611200200', 100, {
      tags: { 'redis-dr:deployment': 'prod' },
      indexedTags: { 'redis-dr:deployment': 'prod', 'redis-dr:drill': 'exec-c' },
    });
    addGroup('sessions-prod', 100, { tags: { 'redis-dr:deployment': 'prod', 'redis-dr:drill': 'mistake' } });

    const report = await reapDrillClusters(INPUT, deps);

    expect(deleted()).toEqual([]);
    expect(report.deleted).toEqual([]);
    expect(report.skipped).toEqual([
      { id: 'rdr-drill-rg-c-2611200200', why: 'its tags no longer say redis-dr:drill and redis-dr:deployment=prod' },
      { id: 'sessions-prod', why: 'id does not start with rdr-drill-' },
    ]);
    expect(deps.metrics.sum('DrillClustersReaped', { Region: 'eu-west-1' })).toBe(0);
  });

  it('leaves a busy cluster for the next run, which deletes it', async () => {
    addGroup('rdr-drill-rg-a-2611200200', 32);
    deleteFaults.set('rdr-drill-rg-a-2611200200', new InvalidReplicationGroupStateFault({ message: 'is modifying', $metadata: {} }));

    const first = await reapDrillClusters(INPUT, deps);
    deleteFaults.clear();
    const second = await reapDrillClusters(INPUT, deps);

    expect(first).toMatchObject({ busy: ['rdr-drill-rg-a-2611200200'], deleted: [], failed: [] });
    expect(second).toMatchObject({ busy: [], deleted: ['rdr-drill-rg-a-2611200200'] });
  });

  it('a cluster still creating refuses its tags: left for a later run (busy), not a failure; one in a failed state that refuses them fails the run, named', async () => {
    addGroup('rdr-drill-rg-a-2611200200', 32, { status: 'creating' });
    addGroup('rdr-drill-rg-b-2611200200', 32, { status: 'create-failed' });

    await expect(reapDrillClusters(INPUT, deps)).rejects.toMatchObject({
      report: {
        busy: ['rdr-drill-rg-a-2611200200'],
        deleted: [],
        failed: [{ id: 'rdr-drill-rg-b-2611200200', error: expect.stringMatching(/not in available state/) }],
      },
    });
    expect(deleted()).toEqual([]);
    groups.get('rdr-drill-rg-a-2611200200')!.status = 'available';
    groups.delete('rdr-drill-rg-b-2611200200');
    expect(await reapDrillClusters(INPUT, deps)).toMatchObject({ busy: [], deleted: ['rdr-drill-rg-a-2611200200'] });
  });

  it('counts groups already deleting or gone without deleting them again', async () => {
    addGroup('rdr-drill-rg-a-2611200200', 32, { status: 'deleting' });
    addGroup('rdr-drill-rg-b-2611200200', 32);
    deleteFaults.set('rdr-drill-rg-b-2611200200', new ReplicationGroupNotFoundFault({ message: 'gone', $metadata: {} }));

    const report = await reapDrillClusters(INPUT, deps);

    expect(report).toMatchObject({ busy: ['rdr-drill-rg-a-2611200200'], gone: ['rdr-drill-rg-b-2611200200'], deleted: [], failed: [] });
    expect(deleted()).toEqual(['rdr-drill-rg-b-2611200200']);
  });

  it('tries every cluster, then fails naming the ones it could not delete', async () => {
    addGroup('rdr-drill-rg-a-2611200200', 32);
    addGroup('rdr-drill-rg-b-2611200200', 32);
    deleteFaults.set('rdr-drill-rg-a-2611200200', awsError('AccessDeniedException', 'not authorized to delete'));

    const err = await reapDrillClusters(INPUT, deps).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DrillReapFailedError);
    expect((err as Error).message).toBe(
      'drill reaper (eu-west-1): deleting failed for rdr-drill-rg-a-2611200200 (AccessDeniedException: not authorized to delete)',
    );
    expect((err as DrillReapFailedError).report.deleted).toEqual(['rdr-drill-rg-b-2611200200']);
    expect(deps.metrics.sum('DrillClustersReaped', { Region: 'eu-west-1' })).toBe(1);
  });

  it('retries a throttled deletion within the run', async () => {
    addGroup('rdr-drill-rg-a-2611200200', 32);
    ec.on(DeleteReplicationGroupCommand).rejectsOnce(awsError('ThrottlingException', 'Rate exceeded')).resolves({});

    const report = await reapDrillClusters(INPUT, deps);

    expect(report.deleted).toEqual(['rdr-drill-rg-a-2611200200']);
    expect(deleted()).toHaveLength(2);
  });

  it('serverless drills: deletes an old cache; its user group and user wait while in use, a later run deletes them; young ones stay', async () => {
    const old = 'rdr-drill-sls-a-abc123-261120020000'; // drill started 2026-11-20 02:00:00 UTC, 32 h ago
    const young = 'rdr-drill-sls-b-abc123-261121090000'; // 1 h ago
    addOther('serverlesscache', old, { ageHours: 32 });
    addOther('usergroup', old, { busy: 1 });
    addOther('user', old, { busy: 1 });
    addOther('serverlesscache', young, { ageHours: 1 });
    addOther('usergroup', young);
    addOther('user', young);

    const first = await reapDrillClusters(INPUT, deps);
    const second = await reapDrillClusters(INPUT, deps);

    expect(first).toMatchObject({ deleted: [`serverless-cache/${old}`], busy: [`user-group/${old}`, `user/${old}`], failed: [] });
    expect([...first.young].sort()).toEqual([`serverless-cache/${young}`, `user-group/${young}`, `user/${young}`].sort());
    expect(second).toMatchObject({ deleted: [`user-group/${old}`, `user/${old}`], failed: [] });
    expect([...others.values()].map((o) => `${o.type} ${o.id}`).sort()).toEqual([`serverlesscache ${young}`, `user ${young}`, `usergroup ${young}`]);
  });

  it('never deletes a user or user group of another deployment, without the drill tag, or without a drill start in its id', async () => {
    addOther('usergroup', 'rdr-drill-x-abc123-261120020000', { tags: { 'redis-dr:deployment': 'staging', 'redis-dr:drill': 'e' } });
    addOther('user', 'rdr-drill-handmade', { tags: { 'redis-dr:deployment': 'prod', 'redis-dr:drill': 'e' } });

    const report = await reapDrillClusters(INPUT, deps);

    expect(report.deleted).toEqual([]);
    expect(report.skipped).toEqual([{ id: 'user/rdr-drill-handmade', why: 'its id carries no drill start time, so its age is unknown' }]);
    expect(ec.commandCalls(DeleteUserCommand)).toHaveLength(0);
    expect(ec.commandCalls(DeleteUserGroupCommand)).toHaveLength(0);
  });

  it('requires a positive maxHours', () => {
    expect(drillReaperInputSchema.safeParse({ deployment: 'prod', maxHours: 0 }).success).toBe(false);
    expect(drillReaperInputSchema.safeParse({ deployment: 'prod', maxHours: 6 }).success).toBe(true);
  });
});
