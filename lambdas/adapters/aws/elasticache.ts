import {
  AddTagsToResourceCommand,
  RemoveTagsFromResourceCommand,
  CopySnapshotCommand,
  CreateServerlessCacheSnapshotCommand,
  CreateSnapshotCommand,
  DeleteServerlessCacheSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  type ElastiCacheClient,
  ExportServerlessCacheSnapshotCommand,
  type Snapshot,
  type Tag,
} from '@aws-sdk/client-elasticache';
import { parseSnapshotName } from '../../domain/plans/naming.js';
import type { TargetRef } from '../../domain/plans/types.js';

/**
 * ElastiCache calls used by the snapshot, prune and export Lambdas. Functions take the
 * client as their first argument, paginate, and map to plain domain shapes;
 * they never decide policy.
 */

/** ElastiCache's page-size maximum for DescribeSnapshots and DescribeServerlessCacheSnapshots. */
export const SNAPSHOT_PAGE_SIZE = 50;

/** A replication group as the snapshot Lambda needs it. */
export interface ReplicationGroupInfo {
  readonly id: string;
  /** `available`, `creating`, `modifying`, `snapshotting`, `deleting`, `create-failed`… */
  readonly status: string;
  /** Cluster mode enabled (sharded). */
  readonly clusterEnabled: boolean;
  /** Member cluster id of an available read replica (cluster mode disabled only). */
  readonly replicaClusterId?: string;
  /** Where clients connect: the configuration endpoint (cluster mode enabled) or the primary endpoint. */
  readonly endpoint?: { readonly host: string; readonly port: number };
  /** In-transit encryption is on. */
  readonly tls: boolean;
  /** Replicas per shard (members of the first node group beyond its primary). */
  readonly replicas: number;
}

/** A serverless cache as the snapshot Lambda needs it. */
export interface ServerlessCacheInfo {
  readonly name: string;
  /** `available`, `creating`, `modifying`, `deleting`, `create-failed`. */
  readonly status: string;
  /** Where clients connect (always TLS; it speaks the Redis Cluster protocol), once it is available. */
  readonly endpoint?: { readonly host: string; readonly port: number };
}

/** A manual snapshot of one target, without tags (ElastiCache's describe calls return none). */
export interface SnapshotSummary {
  readonly name: string;
  readonly source: string;
  readonly kind: TargetRef['kind'];
  /** Lowercase status (`creating`, `available`, `failed`, `deleting`, `exporting`…). */
  readonly status: string;
  readonly createdAt: Date;
  /** The snapshot's ARN (AddTagsToResource needs it), when the API returned one. */
  readonly arn?: string;
}

/** Describes one replication group; `undefined` when it does not exist. */
export async function describeReplicationGroup(client: ElastiCacheClient, id: string): Promise<ReplicationGroupInfo | undefined> {
  try {
    const out = await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }));
    const group = out.ReplicationGroups?.[0];
    if (!group) return undefined;
    const clusterEnabled = group.ClusterEnabled === true || (group.NodeGroups?.length ?? 0) > 1;
    // AWS recommends backing up a cluster-mode-disabled group from a replica, so
    // the primary keeps serving writes without the fork's copy-on-write cost.
    const replica = clusterEnabled ? undefined : group.NodeGroups?.[0]?.NodeGroupMembers?.find((m) => m.CurrentRole === 'replica' && m.CacheClusterId);
    const address = clusterEnabled ? group.ConfigurationEndpoint : group.NodeGroups?.[0]?.PrimaryEndpoint;
    return {
      id: group.ReplicationGroupId ?? id,
      status: (group.Status ?? 'unknown').toLowerCase(),
      clusterEnabled,
      replicaClusterId: replica?.CacheClusterId,
      endpoint: address?.Address && address.Port ? { host: address.Address, port: address.Port } : undefined,
      tls: group.TransitEncryptionEnabled === true,
      replicas: Math.max(0, (group.NodeGroups?.[0]?.NodeGroupMembers?.length ?? 1) - 1),
    };
  } catch (err) {
    if ((err as Error).name === 'ReplicationGroupNotFoundFault') return undefined;
    throw err;
  }
}

/** Describes one serverless cache; `undefined` when it does not exist. */
export async function describeServerlessCache(client: ElastiCacheClient, name: string): Promise<ServerlessCacheInfo | undefined> {
  try {
    const out = await client.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: name }));
    const cache = out.ServerlessCaches?.[0];
    if (!cache) return undefined;
    const e = cache.Endpoint;
    return {
      name: cache.ServerlessCacheName ?? name,
      status: (cache.Status ?? 'unknown').toLowerCase(),
      endpoint: e?.Address && e.Port ? { host: e.Address, port: e.Port } : undefined,
    };
  } catch (err) {
    if ((err as Error).name === 'ServerlessCacheNotFoundFault') return undefined;
    throw err;
  }
}

/** Runs one API call; the handlers pass a throttling retry, so a throttled page is retried alone. */
export type CallWrapper = <T>(call: () => Promise<T>) => Promise<T>;

const direct: CallWrapper = (call) => call();

/**
 * Every manual snapshot of a target, all pages (at most 50 per page), each
 * page through `wrap` (the SDK's paginators cannot retry one page: a throttle
 * on page 4 of 4 would start the listing over).
 * `DescribeSnapshots` filters with `SnapshotSource=user` but answers `manual`.
 */
export async function listTargetSnapshots(client: ElastiCacheClient, target: TargetRef, wrap: CallWrapper = direct): Promise<SnapshotSummary[]> {
  const found: SnapshotSummary[] = [];
  if (target.kind === 'replication-group') {
    let Marker: string | undefined;
    do {
      const page = await wrap(() =>
        client.send(new DescribeSnapshotsCommand({ ReplicationGroupId: target.id, SnapshotSource: 'user', MaxRecords: SNAPSHOT_PAGE_SIZE, Marker })),
      );
      for (const s of page.Snapshots ?? []) {
        if (!s.SnapshotName) continue;
        found.push({
          name: s.SnapshotName,
          source: target.id,
          kind: target.kind,
          status: (s.SnapshotStatus ?? 'unknown').toLowerCase(),
          createdAt: snapshotTime(s),
          ...(s.ARN ? { arn: s.ARN } : {}),
        });
      }
      Marker = page.Marker || undefined;
    } while (Marker);
    return found;
  }
  let NextToken: string | undefined;
  do {
    const page = await wrap(() =>
      client.send(
        new DescribeServerlessCacheSnapshotsCommand({
          ServerlessCacheName: target.id,
          SnapshotType: 'manual',
          MaxResults: SNAPSHOT_PAGE_SIZE,
          NextToken,
        }),
      ),
    );
    for (const s of page.ServerlessCacheSnapshots ?? []) {
      if (!s.ServerlessCacheSnapshotName) continue;
      found.push({
        name: s.ServerlessCacheSnapshotName,
        source: target.id,
        kind: target.kind,
        status: (s.Status ?? 'unknown').toLowerCase(),
        createdAt: s.CreateTime ?? parseSnapshotName(s.ServerlessCacheSnapshotName)?.at ?? new Date(0),
        ...(s.ARN ? { arn: s.ARN } : {}),
      });
    }
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  return found;
}

/** Earliest node snapshot time; for a snapshot still `creating`, the time in its name. */
function snapshotTime(s: Snapshot): Date {
  const times = (s.NodeSnapshots ?? []).map((n) => n.SnapshotCreateTime?.getTime()).filter((t): t is number => typeof t === 'number');
  if (times.length > 0) return new Date(Math.min(...times));
  return parseSnapshotName(s.SnapshotName ?? '')?.at ?? new Date(0);
}

/** What to snapshot: a whole replication group, or one member cluster (a replica). */
export type SnapshotSource =
  | { readonly kind: 'replication-group'; readonly replicationGroupId: string; readonly cacheClusterId?: string }
  | { readonly kind: 'serverless-cache'; readonly serverlessCacheName: string };

/** Creates a manual snapshot with tags (tag-on-create: one call, no untagged window). */
export async function createSnapshot(client: ElastiCacheClient, source: SnapshotSource, name: string, tags: Readonly<Record<string, string>>): Promise<void> {
  const Tags: Tag[] = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  if (source.kind === 'serverless-cache') {
    await client.send(
      new CreateServerlessCacheSnapshotCommand({
        ServerlessCacheName: source.serverlessCacheName,
        ServerlessCacheSnapshotName: name,
        Tags,
      }),
    );
    return;
  }
  await client.send(
    new CreateSnapshotCommand(
      source.cacheClusterId
        ? { CacheClusterId: source.cacheClusterId, SnapshotName: name, Tags }
        : { ReplicationGroupId: source.replicationGroupId, SnapshotName: name, Tags },
    ),
  );
}

/** Deletes a manual snapshot. */
export async function deleteSnapshot(client: ElastiCacheClient, kind: TargetRef['kind'], name: string): Promise<void> {
  if (kind === 'serverless-cache') {
    await client.send(new DeleteServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: name }));
  } else {
    await client.send(new DeleteSnapshotCommand({ SnapshotName: name }));
  }
}

/** True when the error says the snapshot name is taken (our deterministic names make this "already done"). */
export function isAlreadyExists(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === 'SnapshotAlreadyExistsFault' || name === 'ServerlessCacheSnapshotAlreadyExistsFault';
}

/** True when the error says the snapshot is gone already. */
export function isSnapshotNotFound(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === 'SnapshotNotFoundFault' || name === 'ServerlessCacheSnapshotNotFoundFault';
}

/** True when the error is a snapshot quota (20 per node per rolling 24 h, 24 per serverless cache). */
export function isQuotaExceeded(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === 'SnapshotQuotaExceededFault' || name === 'ServerlessCacheSnapshotQuotaExceededFault';
}

/** One snapshot as the export Lambda needs it: fresh status, ARN (for tagging) and what the object tags record. */
export interface SnapshotDetail {
  readonly name: string;
  readonly kind: TargetRef['kind'];
  /** Lowercase status. */
  readonly status: string;
  /** The snapshot's ARN (AddTagsToResource needs it), when the API returned one. */
  readonly arn?: string;
  /** Engine and version, e.g. `redis 7.1.0` (serverless: major version only, `valkey 8`). */
  readonly engine?: string;
  /** Shards (node groups) in the snapshot; unknown for serverless snapshots. */
  readonly shards?: number;
  /**
   * The hash slots of each node group, in node group id order (`0001`, `0002`, …),
   * as ElastiCache recorded them (`0-5460`), when every node group has them.
   */
  readonly slots?: readonly string[];
  /** When the snapshot was taken. */
  readonly createdAt: Date;
}

/**
 * Describes one manual snapshot by name; `undefined` when it does not exist.
 * The shard count of a replication group snapshot is `NumNodeGroups`, else
 * the number of distinct node groups among its node snapshots.
 */
export async function describeSnapshotDetail(client: ElastiCacheClient, kind: TargetRef['kind'], name: string): Promise<SnapshotDetail | undefined> {
  try {
    if (kind === 'serverless-cache') {
      const out = await client.send(new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheSnapshotName: name }));
      const s = out.ServerlessCacheSnapshots?.[0];
      if (!s) return undefined;
      const config = s.ServerlessCacheConfiguration;
      return {
        name: s.ServerlessCacheSnapshotName ?? name,
        kind,
        status: (s.Status ?? 'unknown').toLowerCase(),
        arn: s.ARN,
        engine: engineLabel(config?.Engine, config?.MajorEngineVersion),
        createdAt: s.CreateTime ?? parseSnapshotName(name)?.at ?? new Date(0),
      };
    }
    const out = await client.send(new DescribeSnapshotsCommand({ SnapshotName: name }));
    const s = out.Snapshots?.[0];
    if (!s) return undefined;
    const groups = new Set((s.NodeSnapshots ?? []).map((n) => n.NodeGroupId).filter((g): g is string => !!g));
    const shards = s.NumNodeGroups !== undefined && s.NumNodeGroups > 0 ? s.NumNodeGroups : groups.size > 0 ? groups.size : undefined;
    const bySlotGroup = new Map<string, string | undefined>();
    for (const n of s.NodeSnapshots ?? [])
      if (n.NodeGroupId && !bySlotGroup.get(n.NodeGroupId)) bySlotGroup.set(n.NodeGroupId, n.NodeGroupConfiguration?.Slots);
    const ordered = [...bySlotGroup.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, slots]) => slots);
    const slots = ordered.length > 0 && ordered.length === shards && ordered.every((x): x is string => !!x) ? ordered : undefined;
    return {
      name: s.SnapshotName ?? name,
      kind,
      status: (s.SnapshotStatus ?? 'unknown').toLowerCase(),
      arn: s.ARN,
      engine: engineLabel(s.Engine, s.EngineVersion),
      shards,
      ...(slots ? { slots } : {}),
      createdAt: snapshotTime(s),
    };
  } catch (err) {
    if (isSnapshotNotFound(err)) return undefined;
    throw err;
  }
}

function engineLabel(engine: string | undefined, version: string | undefined): string | undefined {
  const label = [engine, version].filter((p) => !!p).join(' ');
  return label || undefined;
}

/**
 * Starts exporting a snapshot to a same-region bucket. Replication group
 * snapshots: `CopySnapshot` with `TargetBucket`, writing
 * `<exportName>-0001.rdb`… Serverless snapshots: `ExportServerlessCacheSnapshot`,
 * which takes no target name: its objects are assumed to be named
 * `<snapshot>-0001.rdb`… like the others (unverified: no AWS access here), so
 * `exportName` must be the snapshot's own name. `targetTags` go on the
 * CopySnapshot request (its `Tags`), for an export under a new name.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CopySnapshot.html
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ExportServerlessCacheSnapshot.html
 */
export async function startSnapshotExport(
  client: ElastiCacheClient,
  kind: TargetRef['kind'],
  snapshot: string,
  exportName: string,
  bucket: string,
  targetTags?: Readonly<Record<string, string>>,
): Promise<void> {
  if (kind === 'serverless-cache') {
    if (exportName !== snapshot) {
      throw new Error(`a serverless snapshot is exported under its own name ${snapshot}, got export name ${exportName}`);
    }
    await client.send(new ExportServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: snapshot, S3BucketName: bucket }));
    return;
  }
  // Tags (tag-on-create) only when asked: they make IAM authorize the target name by aws:RequestTag.
  const tags = targetTags ? { Tags: Object.entries(targetTags).map(([Key, Value]): Tag => ({ Key, Value })) } : {};
  await client.send(new CopySnapshotCommand({ SourceSnapshotName: snapshot, TargetSnapshotName: exportName, TargetBucket: bucket, ...tags }));
}

/** Removes tags (by key) from a snapshot; RemoveTagsFromResource wants its ARN. */
export async function untagSnapshot(client: ElastiCacheClient, arn: string, keys: readonly string[]): Promise<void> {
  await client.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: [...keys] }));
}

/** Adds (or overwrites) tags on a snapshot; AddTagsToResource wants its ARN. */
export async function tagSnapshot(client: ElastiCacheClient, arn: string, tags: Readonly<Record<string, string>>): Promise<void> {
  await client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
}
