/**
 * In-memory model of an ElastiCache region for the fleet benchmark: replication
 * groups, their manual snapshots and the tags the Tagging API sees. The fake
 * API answers from it with the real paging rules (DescribeSnapshots: Marker,
 * at most 50 per page; GetResources: PaginationToken, at most 100 per page),
 * and CreateSnapshot / DeleteSnapshot change it.
 *
 * This is benchmark scaffolding, not a test double of record: only the calls
 * and fields the snapshot and prune handlers use are modelled.
 */
import {
  InvalidSnapshotStateFault,
  ReplicationGroupNotFoundFault,
  SnapshotAlreadyExistsFault,
  SnapshotNotFoundFault,
  type CreateSnapshotCommandInput,
  type DeleteSnapshotCommandInput,
  type DescribeReplicationGroupsCommandInput,
  type DescribeSnapshotsCommandInput,
  type ReplicationGroup,
  type Snapshot,
} from '@aws-sdk/client-elasticache';
import type { GetResourcesCommandInput, ResourceTagMapping } from '@aws-sdk/client-resource-groups-tagging-api';
import { formatSnapshotName, parseSnapshotName } from '../../lambdas/domain/plans/naming.js';
import { classifyTier } from '../../lambdas/domain/plans/tier.js';
import { TAGS } from '../../lambdas/domain/plans/types.js';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const HOUR = 3_600_000;
const DESCRIBE_SNAPSHOTS_MAX = 50;
const DESCRIBE_SNAPSHOTS_MIN = 20;
const GET_RESOURCES_MAX = 100;

/** A taggable resource as the Tagging API indexes it. */
interface Resource {
  readonly arn: string;
  readonly tags: Record<string, string>;
}

interface GroupRec extends Resource {
  readonly id: string;
}

interface SnapshotRec extends Resource {
  readonly name: string;
  readonly group: string;
  status: string;
  /** NodeSnapshots[].SnapshotCreateTime once the snapshot has completed. */
  createdAt?: Date;
}

/** What the model holds, for the report. */
export interface FleetCounts {
  readonly groups: number;
  readonly snapshots: number;
  readonly byStatus: Record<string, number>;
}

/** Options for {@link FleetModel.build}. */
export interface FleetOptions {
  readonly targets: number;
  readonly snapshotsPerTarget: number;
  /** Time of the newest existing snapshot of every target (whole hour, UTC). */
  readonly newest: Date;
  /** Deployment and plan written into snapshot tags. */
  readonly deployment: string;
  readonly plan: string;
  /** Tags on every replication group (the plan's `selectByTags`). */
  readonly groupTags: Readonly<Record<string, string>>;
  /** Tier time zone (the plan's). */
  readonly timeZone: string;
}

const arnOf = (type: string, name: string) => `arn:aws:elasticache:${REGION}:${ACCOUNT}:${type}:${name}`;

/** Zero-padded target ids `fleet-0001` … that are valid ElastiCache ids. */
export function targetId(i: number, width: number): string {
  return `fleet-${String(i + 1).padStart(width, '0')}`;
}

export class FleetModel {
  private readonly groups = new Map<string, GroupRec>();
  /** Per group, oldest first (the order DescribeSnapshots pages through). */
  private readonly snapshotsByGroup = new Map<string, SnapshotRec[]>();
  private readonly snapshotsByName = new Map<string, SnapshotRec>();
  /** tag key → tag value → resources carrying that tag. */
  private readonly tagIndex = new Map<string, Map<string, Set<Resource>>>();
  /** Bumped on every change; GetResources caches its sorted matches per version. */
  private version = 0;
  private readonly queryCache = new Map<string, { version: number; arns: readonly Resource[] }>();

  /** `targets` groups × `snapshotsPerTarget` hourly snapshots, tagged as the snapshot Lambda tags them. */
  static build(options: FleetOptions): FleetModel {
    const model = new FleetModel();
    const width = Math.max(4, String(options.targets).length);
    for (let t = 0; t < options.targets; t++) {
      const id = targetId(t, width);
      const group: GroupRec = { id, arn: arnOf('replicationgroup', id), tags: { ...options.groupTags } };
      model.groups.set(id, group);
      model.snapshotsByGroup.set(id, []);
      model.index(group);
      let previous: Date | undefined;
      for (let i = options.snapshotsPerTarget - 1; i >= 0; i--) {
        const at = new Date(options.newest.getTime() - i * HOUR);
        const tier = classifyTier(previous, at, options.timeZone);
        previous = at;
        const name = formatSnapshotName(id, at);
        model.addSnapshot({
          name,
          group: id,
          arn: arnOf('snapshot', name),
          status: 'available',
          createdAt: new Date(at.getTime() + 60_000),
          tags: {
            [TAGS.managed]: 'true',
            [TAGS.deployment]: options.deployment,
            [TAGS.plan]: options.plan,
            [TAGS.source]: id,
            [TAGS.sourceKind]: 'replication-group',
            [TAGS.tier]: tier,
          },
        });
      }
    }
    return model;
  }

  counts(): FleetCounts {
    const byStatus: Record<string, number> = {};
    for (const s of this.snapshotsByName.values()) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    return { groups: this.groups.size, snapshots: this.snapshotsByName.size, byStatus };
  }

  /** ElastiCache finishing every snapshot in `creating` (what happens between two scheduled runs). */
  completeCreating(): number {
    let n = 0;
    for (const s of this.snapshotsByName.values()) {
      if (s.status !== 'creating') continue;
      s.status = 'available';
      s.createdAt = new Date((parseSnapshotName(s.name)?.at.getTime() ?? 0) + 60_000);
      n++;
    }
    if (n > 0) this.version++;
    return n;
  }

  // ---- ElastiCache -------------------------------------------------------

  describeReplicationGroups(input: DescribeReplicationGroupsCommandInput): {
    ReplicationGroups: ReplicationGroup[];
    Marker?: string;
  } {
    if (input.ReplicationGroupId) {
      const group = this.groups.get(input.ReplicationGroupId);
      if (!group) {
        throw new ReplicationGroupNotFoundFault({
          message: `ReplicationGroup ${input.ReplicationGroupId} not found.`,
          $metadata: { httpStatusCode: 404 },
        });
      }
      return { ReplicationGroups: [groupShape(group)] };
    }
    const all = [...this.groups.values()];
    const { start, size } = page(input.Marker, input.MaxRecords, 20, 100, 100);
    const slice = all.slice(start, start + size);
    return { ReplicationGroups: slice.map(groupShape), ...nextMarker(start + size, all.length) };
  }

  describeSnapshots(input: DescribeSnapshotsCommandInput): { Snapshots: Snapshot[]; Marker?: string } {
    let list: readonly SnapshotRec[];
    if (input.SnapshotName) {
      const s = this.snapshotsByName.get(input.SnapshotName);
      if (!s) throw new SnapshotNotFoundFault({ message: `Snapshot ${input.SnapshotName} not found.`, $metadata: { httpStatusCode: 404 } });
      list = [s];
    } else {
      const group = input.ReplicationGroupId ?? (input.CacheClusterId ? clusterGroup(input.CacheClusterId) : undefined);
      list = group ? (this.snapshotsByGroup.get(group) ?? []) : [...this.snapshotsByName.values()];
    }
    // Every modelled snapshot is manual ("user" in the filter, "manual" in the answer).
    if (input.SnapshotSource === 'system') list = [];
    const { start, size } = page(input.Marker, input.MaxRecords, DESCRIBE_SNAPSHOTS_MIN, DESCRIBE_SNAPSHOTS_MAX, DESCRIBE_SNAPSHOTS_MAX);
    const slice = list.slice(start, start + size);
    return { Snapshots: slice.map(snapshotShape), ...nextMarker(start + size, list.length) };
  }

  createSnapshot(input: CreateSnapshotCommandInput): { Snapshot: Snapshot } {
    const group = input.ReplicationGroupId ?? (input.CacheClusterId ? clusterGroup(input.CacheClusterId) : undefined);
    if (!group || !this.groups.has(group) || !input.SnapshotName) {
      throw new ReplicationGroupNotFoundFault({ message: `ReplicationGroup ${group} not found.`, $metadata: { httpStatusCode: 404 } });
    }
    if (this.snapshotsByName.has(input.SnapshotName)) {
      throw new SnapshotAlreadyExistsFault({
        message: `Snapshot with specified name [${input.SnapshotName}] already exists.`,
        $metadata: { httpStatusCode: 400 },
      });
    }
    const tags: Record<string, string> = {};
    for (const t of input.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    const rec: SnapshotRec = { name: input.SnapshotName, group, arn: arnOf('snapshot', input.SnapshotName), status: 'creating', tags };
    this.addSnapshot(rec);
    return { Snapshot: snapshotShape(rec) };
  }

  deleteSnapshot(input: DeleteSnapshotCommandInput): { Snapshot: Snapshot } {
    const rec = input.SnapshotName ? this.snapshotsByName.get(input.SnapshotName) : undefined;
    if (!rec) throw new SnapshotNotFoundFault({ message: `Snapshot ${input.SnapshotName} not found.`, $metadata: { httpStatusCode: 404 } });
    if (rec.status !== 'available' && rec.status !== 'failed') {
      throw new InvalidSnapshotStateFault({ message: `Snapshot ${rec.name} is ${rec.status}.`, $metadata: { httpStatusCode: 400 } });
    }
    this.removeSnapshot(rec);
    return { Snapshot: { ...snapshotShape(rec), SnapshotStatus: 'deleting' } };
  }

  // ---- Resource Groups Tagging API ---------------------------------------

  /**
   * GetResources over the modelled ElastiCache resources: AND across tag
   * filters, OR across a filter's values (no values: any value), optional
   * `elasticache[:type]` resource type filters; stable ARN order; the token is
   * an offset into that order.
   */
  getResources(input: GetResourcesCommandInput): { ResourceTagMappingList: ResourceTagMapping[]; PaginationToken: string } {
    const filters = (input.TagFilters ?? []).map((f) => ({ key: f.Key ?? '', values: f.Values ?? [] }));
    const types = input.ResourceTypeFilters ?? [];
    const cacheKey = JSON.stringify([filters, types]);
    let cached = this.queryCache.get(cacheKey);
    if (!cached || cached.version !== this.version) {
      cached = { version: this.version, arns: this.match(filters, types) };
      this.queryCache.set(cacheKey, cached);
    }
    const all = cached.arns;
    const size = Math.min(input.ResourcesPerPage ?? GET_RESOURCES_MAX, GET_RESOURCES_MAX);
    const start = input.PaginationToken ? Number(Buffer.from(input.PaginationToken, 'base64url').toString()) : 0;
    const slice = all.slice(start, start + size);
    const next = start + size;
    return {
      ResourceTagMappingList: slice.map((r) => ({
        ResourceARN: r.arn,
        Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
      })),
      // The real API answers an empty string on the last page.
      PaginationToken: next < all.length ? Buffer.from(String(next)).toString('base64url') : '',
    };
  }

  private match(filters: { key: string; values: string[] }[], types: string[]): Resource[] {
    const candidatesOf = (f: { key: string; values: string[] }): Set<Resource> => {
      const byValue = this.tagIndex.get(f.key);
      const out = new Set<Resource>();
      if (!byValue) return out;
      const values = f.values.length > 0 ? f.values : [...byValue.keys()];
      for (const v of values) for (const r of byValue.get(v) ?? []) out.add(r);
      return out;
    };
    // Materialize only the most selective filter's candidates (a managed=true filter matches everything).
    const estimate = (f: { key: string; values: string[] }): number => {
      const byValue = this.tagIndex.get(f.key);
      if (!byValue) return 0;
      const values = f.values.length > 0 ? f.values : [...byValue.keys()];
      return values.reduce((a, v) => a + (byValue.get(v)?.size ?? 0), 0);
    };
    let candidates: Iterable<Resource>;
    if (filters.length === 0) {
      candidates = [...this.groups.values(), ...this.snapshotsByName.values()];
    } else {
      const best = filters.reduce((a, f) => (estimate(f) < estimate(a) ? f : a));
      candidates = candidatesOf(best);
    }
    const typeOk = (arn: string): boolean => {
      if (types.length === 0) return true;
      const [, , service, , , type] = arn.split(':');
      return types.some((t) => t === service || t === `${service}:${type}`);
    };
    const out: Resource[] = [];
    for (const r of candidates) {
      if (!typeOk(r.arn)) continue;
      const ok = filters.every((f) => f.key in r.tags && (f.values.length === 0 || f.values.includes(r.tags[f.key]!)));
      if (ok) out.push(r);
    }
    return out.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  }

  // ---- bookkeeping -------------------------------------------------------

  private addSnapshot(rec: SnapshotRec): void {
    this.snapshotsByName.set(rec.name, rec);
    this.snapshotsByGroup.get(rec.group)!.push(rec);
    this.index(rec);
    this.version++;
  }

  private removeSnapshot(rec: SnapshotRec): void {
    this.snapshotsByName.delete(rec.name);
    const list = this.snapshotsByGroup.get(rec.group)!;
    list.splice(list.indexOf(rec), 1);
    for (const [k, v] of Object.entries(rec.tags)) this.tagIndex.get(k)?.get(v)?.delete(rec);
    this.version++;
  }

  private index(r: Resource): void {
    for (const [k, v] of Object.entries(r.tags)) {
      let byValue = this.tagIndex.get(k);
      if (!byValue) this.tagIndex.set(k, (byValue = new Map()));
      let set = byValue.get(v);
      if (!set) byValue.set(v, (set = new Set()));
      set.add(r);
    }
  }
}

/** Member clusters are `<group>-001` (primary) and `<group>-002` (replica). */
function clusterGroup(cacheClusterId: string): string {
  return cacheClusterId.replace(/-\d{3}$/, '');
}

function groupShape(g: GroupRec): ReplicationGroup {
  return {
    ReplicationGroupId: g.id,
    Status: 'available',
    ClusterEnabled: false,
    MemberClusters: [`${g.id}-001`, `${g.id}-002`],
    NodeGroups: [
      {
        NodeGroupId: '0001',
        Status: 'available',
        NodeGroupMembers: [
          { CacheClusterId: `${g.id}-001`, CacheNodeId: '0001', CurrentRole: 'primary' },
          { CacheClusterId: `${g.id}-002`, CacheNodeId: '0001', CurrentRole: 'replica' },
        ],
      },
    ],
    ARN: g.arn,
  };
}

function snapshotShape(s: SnapshotRec): Snapshot {
  return {
    SnapshotName: s.name,
    ReplicationGroupId: s.group,
    SnapshotStatus: s.status,
    SnapshotSource: 'manual',
    Engine: 'valkey',
    CacheNodeType: 'cache.r7g.large',
    NodeSnapshots: s.createdAt
      ? [{ CacheClusterId: `${s.group}-002`, CacheNodeId: '0001', SnapshotCreateTime: s.createdAt }]
      : [{ CacheClusterId: `${s.group}-002`, CacheNodeId: '0001' }],
    ARN: s.arn,
  };
}

/** Offset and page size from a Marker and MaxRecords (the API's bounds apply). */
function page(marker: string | undefined, maxRecords: number | undefined, min: number, max: number, dflt: number) {
  const size = maxRecords === undefined ? dflt : maxRecords;
  if (size < min || size > max) throw new Error(`MaxRecords must be ${min}-${max}, got ${size}`);
  const start = marker ? Number(marker.replace(/^m:/, '')) : 0;
  return { start, size };
}

function nextMarker(next: number, total: number): { Marker?: string } {
  return next < total ? { Marker: `m:${next}` } : {};
}
