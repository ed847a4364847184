import {
  CreateReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DeleteServerlessCacheCommand,
  DeleteUserCommand,
  DeleteUserGroupCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ListTagsForResourceCommand,
  type ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { errorName } from './errors.js';
import type { CallWrapper } from './elasticache.js';
import { taggedElastiCacheResources } from './tagging.js';
import { TAGS } from '../../domain/plans/types.js';

/**
 * ElastiCache calls of the restore drill Lambdas: what a snapshot needs to be
 * restored (select), and finding and deleting drill clusters left behind
 * (reaper). Like the other adapters they map to plain shapes and never
 * decide policy.
 */

const direct: CallWrapper = (call) => call();

/** A snapshot as CreateReplicationGroup needs to know it. */
export interface RestorableSnapshot {
  readonly name: string;
  /** Lowercase status. */
  readonly status: string;
  readonly engine?: string;
  readonly engineVersion?: string;
  readonly nodeType?: string;
  /** `NumNodeGroups`, else the distinct node groups among the node snapshots, else 1. */
  readonly shards: number;
  readonly parameterGroup?: string;
  /** The replication group it was taken from. */
  readonly source?: string;
  /** When it was taken (the first node snapshot's time). */
  readonly createdAt?: Date;
  /** Each node snapshot's `CacheSize` as DescribeSnapshots gives it (e.g. `6 MB`), where it gives one. */
  readonly cacheSizes?: readonly string[];
}

/**
 * Describes a manual replication group snapshot for a restore; `undefined`
 * when it does not exist.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_Snapshot.html
 */
export async function describeRestorableSnapshot(client: ElastiCacheClient, name: string, wrap: CallWrapper = direct): Promise<RestorableSnapshot | undefined> {
  try {
    const out = await wrap(() => client.send(new DescribeSnapshotsCommand({ SnapshotName: name })));
    const s = out.Snapshots?.[0];
    if (!s) return undefined;
    const groups = new Set((s.NodeSnapshots ?? []).map((n) => n.NodeGroupId).filter((g): g is string => !!g));
    return {
      name: s.SnapshotName ?? name,
      status: (s.SnapshotStatus ?? 'unknown').toLowerCase(),
      engine: s.Engine || undefined,
      engineVersion: s.EngineVersion || undefined,
      nodeType: s.CacheNodeType || undefined,
      shards: s.NumNodeGroups && s.NumNodeGroups > 0 ? s.NumNodeGroups : Math.max(1, groups.size),
      parameterGroup: s.CacheParameterGroupName || undefined,
      source: s.ReplicationGroupId || undefined,
      createdAt: s.NodeSnapshots?.[0]?.SnapshotCreateTime,
      cacheSizes: (s.NodeSnapshots ?? []).map((n) => n.CacheSize).filter((c): c is string => !!c),
    };
  } catch (err) {
    if (errorName(err) === 'SnapshotNotFoundFault') return undefined;
    throw err;
  }
}

/** A serverless snapshot as CreateServerlessCache needs to know it. */
export interface RestorableServerlessSnapshot {
  readonly name: string;
  readonly arn?: string;
  /** Lowercase status. */
  readonly status: string;
  readonly engine?: string;
  readonly majorEngineVersion?: string;
  /** The serverless cache it was taken from. */
  readonly source?: string;
  readonly createdAt?: Date;
}

/**
 * Describes a serverless snapshot for a restore; `undefined` when it does
 * not exist.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ServerlessCacheSnapshot.html
 */
export async function describeServerlessSnapshot(
  client: ElastiCacheClient,
  name: string,
  wrap: CallWrapper = direct,
): Promise<RestorableServerlessSnapshot | undefined> {
  try {
    const out = await wrap(() => client.send(new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheSnapshotName: name })));
    const s = out.ServerlessCacheSnapshots?.[0];
    if (!s) return undefined;
    const config = s.ServerlessCacheConfiguration;
    return {
      name: s.ServerlessCacheSnapshotName ?? name,
      arn: s.ARN || undefined,
      status: (s.Status ?? 'unknown').toLowerCase(),
      engine: config?.Engine || undefined,
      majorEngineVersion: config?.MajorEngineVersion || undefined,
      source: config?.ServerlessCacheName || undefined,
      createdAt: s.CreateTime,
    };
  } catch (err) {
    if (errorName(err) === 'ServerlessCacheSnapshotNotFoundFault') return undefined;
    throw err;
  }
}

/** What a drill leaves when its cleanup never ran: its cluster or serverless cache, and (serverless) its user group and user. */
export type DrillResourceKind = 'replication-group' | 'serverless-cache' | 'user-group' | 'user';

const DRILL_RESOURCE_TYPES: Record<string, DrillResourceKind> = {
  replicationgroup: 'replication-group',
  serverlesscache: 'serverless-cache',
  usergroup: 'user-group',
  user: 'user',
};

/** A drill resource as the Tagging API lists it (tags may lag a little). */
export interface TaggedDrillResource {
  readonly kind: DrillResourceKind;
  readonly id: string;
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * ElastiCache resources carrying a `redis-dr:drill` tag (any value) and
 * `redis-dr:deployment=<deployment>`, all pages: replication groups,
 * serverless caches, users and user groups. (The service-level type filter:
 * the resource type is read from each ARN.)
 * @see https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
 */
export async function findDrillResources(
  client: ResourceGroupsTaggingAPIClient,
  deployment: string,
  wrap: CallWrapper = direct,
): Promise<TaggedDrillResource[]> {
  const found: TaggedDrillResource[] = [];
  // A filter without values matches any value of the key.
  const filters = [{ Key: TAGS.drill }, { Key: TAGS.deployment, Values: [deployment] }];
  for await (const r of taggedElastiCacheResources(client, filters, wrap, ['elasticache'])) {
    const kind = DRILL_RESOURCE_TYPES[r.type];
    if (kind) found.push({ kind, id: r.name, arn: r.arn, tags: r.tags });
  }
  return found;
}

/** A replication group as the reaper needs it. */
export interface DrillGroupState {
  readonly id: string;
  /** Lowercase: `creating`, `available`, `modifying`, `deleting`, `create-failed`… */
  readonly status: string;
  /** `ReplicationGroupCreateTime`, when the API returns it. */
  readonly createdAt?: Date;
  readonly arn?: string;
}

/** Describes one replication group; `undefined` when it does not exist. */
export async function describeDrillGroup(client: ElastiCacheClient, id: string, wrap: CallWrapper = direct): Promise<DrillGroupState | undefined> {
  try {
    const out = await wrap(() => client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id })));
    const g = out.ReplicationGroups?.[0];
    if (!g) return undefined;
    return {
      id: g.ReplicationGroupId ?? id,
      status: (g.Status ?? 'unknown').toLowerCase(),
      createdAt: g.ReplicationGroupCreateTime,
      arn: g.ARN,
    };
  } catch (err) {
    if (isGroupNotFound(err)) return undefined;
    throw err;
  }
}

/** The resource's current tags, straight from ElastiCache (the Tagging API's view may lag). */
export async function resourceTags(client: ElastiCacheClient, arn: string, wrap: CallWrapper = direct): Promise<Record<string, string>> {
  const out = await wrap(() => client.send(new ListTagsForResourceCommand({ ResourceName: arn })));
  return tagRecord(out.TagList);
}

/** A serverless cache as the reaper needs it; `undefined` when it does not exist. */
export async function describeDrillServerless(client: ElastiCacheClient, name: string, wrap: CallWrapper = direct): Promise<DrillGroupState | undefined> {
  try {
    const out = await wrap(() => client.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: name })));
    const c = out.ServerlessCaches?.[0];
    if (!c) return undefined;
    return { id: c.ServerlessCacheName ?? name, status: (c.Status ?? 'unknown').toLowerCase(), createdAt: c.CreateTime, arn: c.ARN };
  } catch (err) {
    if (isDrillResourceGone(err)) return undefined;
    throw err;
  }
}

/** A small throwaway replication group, locked as every cluster redis-dr creates. */
export interface ThrowawayGroup {
  readonly id: string;
  readonly description: string;
  readonly engine: string;
  readonly nodeType: string;
  readonly cacheSubnetGroupName: string;
  readonly securityGroupIds: readonly string[];
  /** The AUTH token the cache requires (in-transit encryption is on, so it is never sent in clear). */
  readonly authToken: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Creates a one-node replication group with AUTH, in-transit and at-rest
 * encryption, no automatic backups, tagged on create (the tag-conditioned
 * create permission needs the tags in the request).
 */
export async function createThrowawayGroup(client: ElastiCacheClient, g: ThrowawayGroup, wrap: CallWrapper = direct): Promise<void> {
  await wrap(() =>
    client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: g.id,
        ReplicationGroupDescription: g.description,
        Engine: g.engine,
        CacheNodeType: g.nodeType,
        NumCacheClusters: 1,
        AutomaticFailoverEnabled: false,
        CacheSubnetGroupName: g.cacheSubnetGroupName,
        SecurityGroupIds: [...g.securityGroupIds],
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        AuthToken: g.authToken,
        SnapshotRetentionLimit: 0,
        Tags: Object.entries(g.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  );
}

/** Deletes a drill resource of any kind (a serverless cache without a final snapshot). */
export async function deleteDrillResource(client: ElastiCacheClient, kind: DrillResourceKind, id: string, wrap: CallWrapper = direct): Promise<void> {
  const command =
    kind === 'replication-group'
      ? new DeleteReplicationGroupCommand({ ReplicationGroupId: id, RetainPrimaryCluster: false })
      : kind === 'serverless-cache'
        ? new DeleteServerlessCacheCommand({ ServerlessCacheName: id })
        : kind === 'user-group'
          ? new DeleteUserGroupCommand({ UserGroupId: id })
          : new DeleteUserCommand({ UserId: id });
  await wrap(() => client.send(command as DeleteReplicationGroupCommand));
}

/** True when the error says a drill resource (of any kind) does not exist (any more). */
export function isDrillResourceGone(err: unknown): boolean {
  return ['ReplicationGroupNotFoundFault', 'ServerlessCacheNotFoundFault', 'UserGroupNotFoundFault', 'UserNotFoundFault'].includes(errorName(err));
}

/** True when a user group or user is still in use (its cache or group is being deleted): a later run deletes it. */
export function isAccessInUse(err: unknown): boolean {
  return ['InvalidUserGroupStateFault', 'InvalidUserStateFault', 'DefaultUserAssociatedToUserGroupFault'].includes(errorName(err));
}

/** True when the error says the replication group does not exist (any more). */
export function isGroupNotFound(err: unknown): boolean {
  return errorName(err) === 'ReplicationGroupNotFoundFault';
}

function tagRecord(list: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return tags;
}
