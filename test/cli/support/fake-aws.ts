/**
 * An in-memory AWS account for the CLI's AWS commands, at the SDK boundary
 * (aws-sdk-client-mock): snapshots with tags (ElastiCache + Tagging API),
 * replication groups whose status moves on with each describe, DR objects
 * with tags (S3), drill executions with history (Step Functions), and the
 * caller's account (STS). Every request is recorded for assertions.
 */
import {
  CreateReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ReplicationGroupAlreadyExistsFault,
  ReplicationGroupNotFoundFault,
  type CreateReplicationGroupCommandInput,
  type Snapshot,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, NotFound, S3Client } from '@aws-sdk/client-s3';
import { verdictAnswersOfTags } from '../../support/verdict-store.js';
import { SCRUB_RECORDS_PREFIX } from '../../../lambdas/domain/scrub/input.js';
import { scrubRecordName } from '../../../lambdas/domain/scrub/record.js';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';

/** Who the fake credentials are (STS GetCallerIdentity's Arn): a manual drill records it. */
export const CALLER_ARN = 'arn:aws:sts::111122223333:assumed-role/ops-admin/alice';
export const ACCOUNT = '111122223333';
const meta = { $metadata: {} };

export interface FakeSnapshot {
  name: string;
  target: string;
  status: string;
  createdAt: Date;
  tags: Record<string, string>;
  engine?: string;
  engineVersion?: string;
  nodeType?: string;
  shards?: number;
}

export interface FakeExecution {
  executionArn: string;
  stateMachineArn: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  /** Statuses DescribeExecution answers in turn (the last one stays). */
  next?: { status: string; output?: string; error?: string; cause?: string; history?: HistoryEvent[] }[];
}

/** A cache the region's listings show (`status --coverage`): DescribeReplicationGroups/DescribeServerlessCaches without ids, its tags through GetResources. */
export interface FakeCache {
  region: string;
  kind: 'replication-group' | 'serverless-cache';
  id: string;
  engine?: string;
  nodeType?: string;
  dataTiering?: boolean;
  clusterEnabled?: boolean;
  tags?: Record<string, string>;
}

/** The mocked clients and the account's state; `install()` before each test. */
export function fakeAws() {
  const ec = mockClient(ElastiCacheClient);
  const tagging = mockClient(ResourceGroupsTaggingAPIClient);
  const s3 = mockClient(S3Client);
  const sfn = mockClient(SFNClient);
  const sts = mockClient(STSClient);

  const state = {
    snapshots: new Map<string, FakeSnapshot>(),
    /** Replication groups: statuses DescribeReplicationGroups answers in turn (the last one stays). */
    groups: new Map<string, { statuses: string[]; replicas: number; clusterEnabled: boolean; created?: CreateReplicationGroupCommandInput }>(),
    /** DR objects by bucket and key. */
    objects: new Map<string, Map<string, Record<string, string>>>(),
    /**
     * Copies (`<bucket>/<key>`) whose verdict tag someone other than the verifier put: no verdict object. Every
     * other verdict tag in `objects` is the verifier's, its verdict object written with it (test/support/verdict-store.ts).
     */
    forgedVerdicts: new Set<string>(),
    executions: [] as FakeExecution[],
    stateMachines: new Set<string>(),
    /** What CreateReplicationGroup will answer next: a status sequence for the new group. */
    createdStatuses: ['creating', 'available'],
    started: [] as { stateMachineArn: string; name?: string; input: unknown }[],
    /** What a started execution does to the world (the verifier writing a verdict), called as StartExecution answers. */
    onStart: undefined as ((started: { stateMachineArn: string; name?: string; input: unknown }) => void) | undefined,
    /** Copies (`<bucket>/<key>`) replaced since their verdict object was written: HeadObject answers version v2, the object names v1. */
    replacedCopies: new Set<string>(),
    /** Every cache of the account by region, for listings without ids. */
    caches: [] as FakeCache[],
    credentials: true,
  };

  const describeSnapshot = (s: FakeSnapshot): Snapshot => ({
    SnapshotName: s.name,
    ReplicationGroupId: s.target,
    SnapshotStatus: s.status,
    SnapshotSource: 'manual',
    Engine: s.engine ?? 'redis',
    EngineVersion: s.engineVersion ?? '7.1',
    CacheNodeType: s.nodeType ?? 'cache.r7g.large',
    NumNodeGroups: s.shards ?? 1,
    NodeSnapshots: [{ NodeGroupId: '0001', SnapshotCreateTime: s.createdAt }],
  });

  function install(): void {
    for (const m of [ec, tagging, s3, sfn, sts]) m.reset();
    sts.on(GetCallerIdentityCommand).callsFake(() => {
      if (!state.credentials) throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      return { Account: ACCOUNT, Arn: CALLER_ARN };
    });
    tagging
      .on(GetResourcesCommand)
      .callsFake(
        async (i: { TagFilters?: { Key: string; Values: string[] }[]; ResourceTypeFilters?: string[] }, getClient: () => ResourceGroupsTaggingAPIClient) => {
          if (i.ResourceTypeFilters?.includes('elasticache:replicationgroup')) {
            const region = await getClient().config.region();
            const list = state.caches
              .filter((c) => c.region === region && Object.keys(c.tags ?? {}).length > 0)
              .map((c) => ({
                ResourceARN: `arn:aws:elasticache:${region}:${ACCOUNT}:${c.kind === 'replication-group' ? 'replicationgroup' : 'serverlesscache'}:${c.id}`,
                Tags: Object.entries(c.tags!).map(([Key, Value]) => ({ Key, Value })),
              }));
            return { ResourceTagMappingList: list };
          }
          const list = [...state.snapshots.values()]
            .filter((s) => (i.TagFilters ?? []).every((f) => f.Values.includes(s.tags[f.Key] ?? '\u0000')))
            .map((s) => ({
              ResourceARN: `arn:aws:elasticache:eu-west-1:${ACCOUNT}:snapshot:${s.name}`,
              Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
            }));
          return { ResourceTagMappingList: list };
        },
      );
    ec.on(DescribeSnapshotsCommand).callsFake((i: { ReplicationGroupId?: string; SnapshotName?: string }) => {
      const list = [...state.snapshots.values()].filter((s) => (i.SnapshotName ? s.name === i.SnapshotName : s.target === i.ReplicationGroupId));
      return { Snapshots: list.map(describeSnapshot) };
    });
    ec.on(DescribeServerlessCacheSnapshotsCommand).resolves({ ServerlessCacheSnapshots: [] });
    ec.on(DescribeServerlessCachesCommand).callsFake(async (i: { ServerlessCacheName?: string }, getClient: () => ElastiCacheClient) => {
      const region = await getClient().config.region();
      const list = state.caches.filter(
        (c) => c.region === region && c.kind === 'serverless-cache' && (!i.ServerlessCacheName || c.id === i.ServerlessCacheName),
      );
      return { ServerlessCaches: list.map((c) => ({ ServerlessCacheName: c.id, Engine: c.engine ?? 'valkey', Status: 'available' })) };
    });
    ec.on(DescribeReplicationGroupsCommand).callsFake(async (i: { ReplicationGroupId?: string }, getClient: () => ElastiCacheClient) => {
      if (i.ReplicationGroupId === undefined) {
        const region = await getClient().config.region();
        const list = state.caches.filter((c) => c.region === region && c.kind === 'replication-group');
        return {
          ReplicationGroups: list.map((c) => ({
            ReplicationGroupId: c.id,
            Status: 'available',
            Engine: c.engine ?? 'valkey',
            CacheNodeType: c.nodeType ?? 'cache.r7g.large',
            DataTiering: c.dataTiering ? 'enabled' : 'disabled',
            ClusterEnabled: c.clusterEnabled ?? false,
          })),
        };
      }
      const g = state.groups.get(i.ReplicationGroupId);
      if (!g) throw new ReplicationGroupNotFoundFault({ message: `ReplicationGroup ${i.ReplicationGroupId} not found.`, ...meta });
      const status = g.statuses.length > 1 ? g.statuses.shift()! : g.statuses[0]!;
      const members = Array.from({ length: 1 + g.replicas }, (_, n) => ({
        CacheClusterId: `${i.ReplicationGroupId}-00${n + 1}`,
        CurrentRole: n === 0 ? 'primary' : 'replica',
      }));
      return {
        ReplicationGroups: [
          {
            ReplicationGroupId: i.ReplicationGroupId,
            Status: status,
            ClusterEnabled: g.clusterEnabled,
            ConfigurationEndpoint: g.clusterEnabled ? { Address: `clustercfg.${i.ReplicationGroupId}.abc.euw1.cache.amazonaws.com`, Port: 6379 } : undefined,
            NodeGroups: [
              {
                NodeGroupId: '0001',
                NodeGroupMembers: members,
                PrimaryEndpoint: { Address: `master.${i.ReplicationGroupId}.abc.euw1.cache.amazonaws.com`, Port: 6379 },
              },
            ],
          },
        ],
      };
    });
    ec.on(CreateReplicationGroupCommand).callsFake((i: CreateReplicationGroupCommandInput) => {
      if (state.groups.has(i.ReplicationGroupId!)) throw new ReplicationGroupAlreadyExistsFault({ message: 'Replication group already exists.', ...meta });
      state.groups.set(i.ReplicationGroupId!, { statuses: [...state.createdStatuses], replicas: 0, clusterEnabled: i.ClusterMode === 'enabled', created: i });
      return { ReplicationGroup: { ReplicationGroupId: i.ReplicationGroupId, Status: 'creating' } };
    });
    s3.on(ListObjectsV2Command).callsFake((i: { Bucket: string; Prefix?: string }) => {
      const keys = [...(state.objects.get(i.Bucket)?.keys() ?? [])].filter((k) => k.startsWith(i.Prefix ?? '')).sort();
      return { Contents: keys.map((Key) => ({ Key, Size: 1024 })), IsTruncated: false };
    });
    s3.on(GetObjectTaggingCommand).callsFake((i: { Bucket: string; Key: string }) => {
      const tags = state.objects.get(i.Bucket)?.get(i.Key);
      if (!tags) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta });
      return { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
    });
    // A copy's version and its verdict object, from its tags (the verifier wrote both), but for a forged verdict.
    const verdicts = (bucket: string) =>
      verdictAnswersOfTags((k) => state.objects.get(bucket)?.get(k), { forged: (k) => state.forgedVerdicts.has(`${bucket}/${k}`) });
    s3.on(HeadObjectCommand).callsFake(
      (i: { Bucket: string; Key: string }) => verdicts(i.Bucket).head(i.Key) ?? Promise.reject(new NotFound({ message: 'Not Found', ...meta })),
    );
    s3.on(GetObjectCommand).callsFake(
      (i: { Bucket: string; Key: string }) =>
        verdicts(i.Bucket).get(i.Key) ?? Promise.reject(new NoSuchKey({ message: 'The specified key does not exist.', ...meta })),
    );
    sfn.on(StartExecutionCommand).callsFake((i: { stateMachineArn: string; name?: string; input?: string }) => {
      if (!state.stateMachines.has(i.stateMachineArn))
        throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${i.stateMachineArn}'`, ...meta });
      state.started.push({ stateMachineArn: i.stateMachineArn, name: i.name, input: JSON.parse(i.input ?? 'null') });
      state.onStart?.(state.started.at(-1)!);
      const executionArn = `${i.stateMachineArn.replace(':stateMachine:', ':execution:')}:${i.name}`;
      const queued = state.executions.find((e) => e.executionArn === 'next');
      if (queued) Object.assign(queued, { executionArn, stateMachineArn: i.stateMachineArn, input: i.input ?? '{}' });
      return { executionArn, startDate: new Date() };
    });
    sfn.on(ListExecutionsCommand).callsFake((i: { stateMachineArn: string; statusFilter?: string; maxResults?: number }) => {
      const list = state.executions
        .filter((e) => e.stateMachineArn === i.stateMachineArn && (!i.statusFilter || e.status === i.statusFilter))
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
        .slice(0, i.maxResults ?? 100);
      return {
        executions: list.map((e) => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          status: e.status,
          startDate: e.startDate,
          stopDate: e.stopDate,
        })),
      };
    });
    sfn.on(DescribeExecutionCommand).callsFake((i: { executionArn: string }) => {
      const e = state.executions.find((x) => x.executionArn === i.executionArn)!;
      const step = e.next && e.next.length > 0 ? e.next.shift()! : undefined;
      if (step) Object.assign(e, step, step.status === 'RUNNING' ? {} : { stopDate: new Date(e.startDate.getTime() + 600_000) });
      return {
        executionArn: e.executionArn,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate,
        input: e.input,
        output: e.output,
        error: e.error,
        cause: e.cause,
      };
    });
    sfn.on(GetExecutionHistoryCommand).callsFake((i: { executionArn: string; reverseOrder?: boolean }) => {
      const e = state.executions.find((x) => x.executionArn === i.executionArn)!;
      return { events: i.reverseOrder ? [...e.history].reverse() : e.history };
    });
  }

  /** {@link install}, and an empty account: no snapshots, groups, objects or executions. */
  function reset(): void {
    install();
    state.snapshots.clear();
    state.groups.clear();
    state.objects.clear();
    state.forgedVerdicts.clear();
    state.replacedCopies.clear();
    state.onStart = undefined;
    state.executions = [];
    state.caches = [];
    // A test that took the credentials away leaves them gone for every later test of its file otherwise.
    state.credentials = true;
  }

  return { ec, tagging, s3, sfn, sts, state, install, reset };
}

/** The DR bucket's daily scrub record of a run started at `startedAt` (its name as the scrub writes it), in the fake's objects. */
export function scrubRecord(state: ReturnType<typeof fakeAws>['state'], bucket: string, startedAt: string): void {
  const objects = state.objects.get(bucket) ?? new Map<string, Record<string, string>>();
  state.objects.set(bucket, objects);
  objects.set(`${SCRUB_RECORDS_PREFIX}${scrubRecordName(new Date(startedAt))}`, {});
}

/** The execution StartExecution creates next: RUNNING when first described, then `ending` (which stays). */
export function nextExecution(at: Date, ending: NonNullable<FakeExecution['next']>[number], history: HistoryEvent[] = []): FakeExecution {
  return { executionArn: 'next', stateMachineArn: '', status: 'RUNNING', startDate: at, input: '', history, next: [{ status: 'RUNNING' }, ending] };
}

/** History events of a drill that reached its report: `Report` exited with `report` and `choice` in `$.drill`. */
export function reportHistory(report: Record<string, unknown>, choice: Record<string, unknown> | null, states: readonly string[] = []): HistoryEvent[] {
  const at = new Date('2026-11-21T10:05:00Z');
  const events: HistoryEvent[] = states.map((name, n) => ({ id: n + 1, timestamp: at, type: 'TaskStateEntered', stateEnteredEventDetails: { name } }));
  events.push({
    id: events.length + 1,
    timestamp: at,
    type: 'TaskStateExited',
    stateExitedEventDetails: { name: 'Report', output: JSON.stringify({ input: {}, drill: { report, choice } }) },
  });
  return events;
}
