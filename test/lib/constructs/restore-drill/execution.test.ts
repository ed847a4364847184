import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../lib/config/index.js';
import { DRILL_RETRY } from '../../../../lib/constructs/restore-drill/index.js';
import type { RecoveryPointChoice } from '../../../../lambdas/domain/drills/drill.js';
import { drillReportEventSchema, reportDrill } from '../../../../lambdas/jobs/drills/drill-report.js';
import { runDrillVerify } from '../../../../lambdas/jobs/drills/drill-verify.js';
import type { Alert } from '../../../../lambdas/adapters/aws/alerts.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { keptByContent } from '../../../support/kept-by-content.js';
import { LentClusterNode } from '../../../support/lent-cluster-node.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { DEFAULT_STAND_INS, stateMachineDefinition as renderedDefinition, type TemplateJson } from '../../../../lib/asl.js';
import {
  DRILLS_CONFIG,
  MEMBER_DR_NETWORK_VALUES,
  MEMBER_NETWORK_VALUES,
  memberDrillConfig,
  stateMachineDefinition,
  type AslDefinition,
} from '../../../support/state-machine.js';
import { synthesize } from '../../../support/synth.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (d: unknown, o?: unknown) => { isValid: boolean; errors: unknown[] };
const ASL_OPTIONS = { checkArn: false, checkPaths: true };
/** asl-validator's verdict of a definition's JSON, on a copy of its own (it writes its defaults into what it validates). */
const aslVerdict = (_which: string, json: string): { isValid: boolean; errors: unknown[] } => {
  const { isValid, errors } = aslValidator(JSON.parse(json), ASL_OPTIONS);
  return { isValid, errors };
};
/**
 * {@link aslVerdict}s kept between runs by the definition's JSON, asl-validator's version, the options and the code
 * that asks (test/support/kept-by-content.ts): each validation built a new Ajv and compiled the ASL schemas, 0.3-0.5
 * CPU-s, for the same verdict while the synthesized definition is unchanged; a definition that changed is validated.
 */
const aslVerdicts = keptByContent(
  'asl-validator',
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  [(require('asl-validator/package.json') as { version: string }).version, JSON.stringify(ASL_OPTIONS), aslVerdict].join('\n'),
  aslVerdict,
);

/** An ElastiCache error as the SDK integration names it. */
function sfnError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

interface FakeGroup {
  status: string;
  sharded: boolean;
  /** Tags as CreateReplicationGroup set them (Value resolved by the state machine). */
  tags: Record<string, string>;
  server?: Pick<RedisServer, 'port' | 'stop'>;
  starting?: Promise<void>;
}

/**
 * The ElastiCache calls of the drill, answered locally: CreateReplicationGroup
 * starts a real redis-server from the snapshot's RDB file, Describe reports
 * its status and endpoint, Delete stops it. Faults are injected per test.
 */
class LocalElastiCache {
  readonly groups = new Map<string, FakeGroup>();
  readonly calls: string[] = [];
  /** AUTH tokens the groups were created with. */
  readonly tokens = new Map<string, string>();
  /** CreateReplicationGroup parameters, as the state machine sent them. */
  readonly created: Record<string, any>[] = [];
  createError?: string;
  /** RBAC user groups that exist, by id, with their one user. */
  readonly userGroups = new Map<string, { username: string; password: string }>();
  /** Status Describe reports instead of `available` (e.g. `restore-failed`, or `creating` forever). */
  stuckStatus?: string;
  /** Delete answers "busy" this many times first. */
  busyDeletes = 0;
  /**
   * ListTagsForResource answers "not available" this many times first (the group or cache still creating). ElastiCache
   * lists tags only of an available one ("If the cluster is not in the available state, ListTagsForResource returns an
   * error", API reference): InvalidReplicationGroupState "Cluster not in available state to perform tagging
   * operations.", InvalidServerlessCacheState for a serverless cache creating or deleting. So does a group stuck `creating`.
   */
  busyTagReads = 0;
  /** Serverless caches among the groups (their ids). */
  readonly serverless = new Set<string>();
  /** CreateServerlessCache parameters, as the state machine sent them. */
  readonly createdServerless: Record<string, any>[] = [];
  /** Users the drill made (CreateUser parameters), by id. */
  readonly users = new Map<string, Record<string, any>>();
  /** User groups the drill made: their user ids. */
  readonly drillGroups = new Map<string, string[]>();
  /** DeleteUserGroup answers "in use" this many times first. */
  busyUserGroupDeletes = 0;
  /** DeleteUserGroup fails for good with this error. */
  userGroupDeleteError?: string;
  /** CreateUser fails with this error. */
  createUserError?: string;
  /**
   * Calls (by their first word in `calls`: create, describe, tags, delete…) answered
   * with ElastiCache's throttling this many times first. Throttling (code `Throttling`)
   * is not a modeled error: the integration raises the client's base exception.
   */
  readonly throttle = new Map<string, number>();
  /** CreateReplicationGroup makes the group, then answers with a transient fault (as a 5xx after the work was done). */
  faultAfterCreate = false;

  /** Throws a throttle if one is pending for `call`. */
  private throttled(call: string): void {
    const left = this.throttle.get(call) ?? 0;
    if (left <= 0) return;
    this.throttle.set(call, left - 1);
    throw sfnError('ElastiCache.ElastiCacheException', 'Rate exceeded (Service: ElastiCache, Status Code: 400, Error Code: Throttling)');
  }

  constructor(private readonly snapshots: ReadonlyMap<string, string>) {}

  async create(p: Record<string, any>): Promise<unknown> {
    this.calls.push(`create ${p.ReplicationGroupId}`);
    this.throttled('create');
    if (this.createError) throw sfnError(this.createError, 'capacity');
    // Primary drills name a snapshot, DR drills the S3 ARNs of the copies (one shard here).
    const source = p.SnapshotName ?? (p.SnapshotArns as string[] | undefined)?.[0];
    const rdb = this.snapshots.get(source);
    if (!rdb) throw sfnError('ElastiCache.SnapshotNotFoundFaultException', `no snapshot ${source}`);
    if (this.groups.has(p.ReplicationGroupId)) throw sfnError('ElastiCache.ReplicationGroupAlreadyExistsException', 'Replication group already exists.');
    const tags = Object.fromEntries((p.Tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
    const group: FakeGroup = { status: 'creating', sharded: p.NumNodeGroups !== undefined, tags };
    // Sharded: a one-node Redis Cluster owning every slot stands in for the shards.
    const args = group.sharded ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1'] : [];
    let password: string;
    let member: { name: string; password: string } | undefined;
    if (p.UserGroupIds !== undefined) {
      // In a user group: only the group's users get in (the default user's password is nobody's to know).
      const user = this.userGroups.get(String(p.UserGroupIds));
      if (!user || p.AuthToken !== undefined) throw sfnError('ElastiCache.InvalidParameterCombinationException', `user group ${String(p.UserGroupIds)}`);
      if (user.username === 'default') password = user.password;
      else {
        args.push('--user', user.username, 'on', `>${user.password}`, '~*', '&*', '+@all');
        password = `default-${'x'.repeat(20)}`;
        member = { name: user.username, password: user.password };
      }
    } else {
      // Otherwise the drill cluster requires the execution's AUTH token, as ElastiCache would.
      if (typeof p.AuthToken !== 'string' || p.AuthToken.length < 16) throw sfnError('ElastiCache.InvalidParameterValueException', 'no AuthToken');
      this.tokens.set(p.ReplicationGroupId, p.AuthToken);
      password = p.AuthToken;
    }
    // Sharded: the file's one-node cluster when it is not lent already (test/support/lent-cluster-node.ts).
    const lent = group.sharded ? clusterNode.lend(rdb, password, member) : undefined;
    group.starting = lent
      ? lent.then((node) => void (group.server = node))
      : startRedisServer({ loadRdb: rdb, args, password }).then(async (s) => {
          if (group.sharded) {
            // Redis already took the slots of the keys it loaded; claim the rest in one CLUSTER ADDSLOTSRANGE (Redis 7.0+):
            // an ADDSLOTS per slot was 16,384 commands, about 0.4 CPU-s and a second per sharded drill.
            const myself = String(await s.client().call('CLUSTER', 'NODES'))
              .split('\n')
              .find((line) => line.split(' ')[2]?.split(',').includes('myself'));
            const owned = new Set<number>();
            for (const range of myself?.split(' ').slice(8) ?? []) {
              const [from, to = from] = range.split('-').map(Number);
              for (let slot = from!; slot <= to!; slot++) owned.add(slot);
            }
            const ranges: string[] = [];
            for (let slot = 0; slot < 16384; slot++) {
              if (owned.has(slot)) continue;
              let end = slot;
              while (end + 1 < 16384 && !owned.has(end + 1)) end++;
              ranges.push(String(slot), String(end));
              slot = end;
            }
            if (ranges.length > 0) await s.client().call('CLUSTER', 'ADDSLOTSRANGE', ...ranges);
            // "available" only once the one-node cluster says it is ok.
            for (let i = 0; i < 100 && !/cluster_state:ok/.test(String(await s.client().call('CLUSTER', 'INFO'))); i++) {
              await new Promise((r) => setTimeout(r, 50));
            }
          }
          group.server = s;
        });
    this.created.push(p);
    this.groups.set(p.ReplicationGroupId, group);
    if (this.faultAfterCreate) {
      this.faultAfterCreate = false;
      throw sfnError('ElastiCache.ElastiCacheException', 'Service Unavailable (Service: ElastiCache, Status Code: 503, Error Code: ServiceUnavailable)');
    }
    return { ReplicationGroup: { ReplicationGroupId: p.ReplicationGroupId, Status: 'creating' } };
  }

  /** A serverless cache: a one-node cluster (serverless speaks the cluster protocol) locked by its user group. */
  async createServerless(p: Record<string, any>): Promise<unknown> {
    this.calls.push(`create-serverless ${p.ServerlessCacheName}`);
    if (this.createError) throw sfnError(this.createError, 'capacity');
    if (this.groups.has(p.ServerlessCacheName)) throw sfnError('ElastiCache.ServerlessCacheAlreadyExistsException', 'already exists');
    if (typeof p.UserGroupId !== 'string') throw sfnError('ElastiCache.InvalidParameterValueException', 'the fake wants a user group');
    const source = (p.SnapshotArnsToRestore as string[])[0]!;
    if (!this.snapshots.has(source)) throw sfnError('ElastiCache.ServerlessCacheSnapshotNotFoundException', `no snapshot ${source}`);
    this.createdServerless.push(p);
    this.serverless.add(p.ServerlessCacheName);
    // Restored from the cluster-mode file (database 0 only): cluster mode keeps one database.
    await this.create({
      ReplicationGroupId: p.ServerlessCacheName,
      SnapshotName: SHARDED_SNAPSHOT,
      NumNodeGroups: 1,
      UserGroupIds: p.UserGroupId,
      Tags: p.Tags,
    });
    this.calls.splice(this.calls.lastIndexOf(`create ${p.ServerlessCacheName}`), 1);
    this.created.pop();
    return { ServerlessCache: { ServerlessCacheName: p.ServerlessCacheName, Status: 'creating' } };
  }

  async describeServerless(p: Record<string, any>): Promise<unknown> {
    this.calls.push(`describe-serverless ${p.ServerlessCacheName}`);
    this.throttled('describe-serverless');
    const group = this.groups.get(p.ServerlessCacheName);
    if (!group) throw sfnError('ElastiCache.ServerlessCacheNotFoundException');
    await group.starting;
    const status = this.stuckStatus ?? 'available';
    return { ServerlessCaches: [{ Status: status, ...(status === 'available' ? { Endpoint: { Address: '127.0.0.1', Port: group.server!.port } } : {}) }] };
  }

  createUser(p: Record<string, any>): unknown {
    this.calls.push(`create-user ${p.UserId}`);
    if (this.createUserError) throw sfnError(this.createUserError, 'user');
    if (this.users.has(p.UserId)) throw sfnError('ElastiCache.UserAlreadyExistsException', 'exists');
    this.users.set(p.UserId, p);
    return { UserId: p.UserId, UserName: p.UserName, Status: 'active' };
  }

  createUserGroup(p: Record<string, any>): unknown {
    this.calls.push(`create-user-group ${p.UserGroupId}`);
    const ids = p.UserIds as string[];
    const user = this.users.get(ids[0]!);
    if (!user) throw sfnError('ElastiCache.UserNotFoundException', ids[0]);
    this.drillGroups.set(p.UserGroupId, ids);
    this.userGroups.set(p.UserGroupId, { username: user.UserName, password: (user.Passwords as string[])[0]! });
    return { UserGroupId: p.UserGroupId, Status: 'creating' };
  }

  deleteUserGroup(p: Record<string, any>): unknown {
    this.calls.push(`delete-user-group ${p.UserGroupId}`);
    if (this.userGroupDeleteError) throw sfnError(this.userGroupDeleteError, 'refused');
    if (this.busyUserGroupDeletes-- > 0) throw sfnError('ElastiCache.InvalidUserGroupStateException', 'in use by a cache being deleted');
    if (!this.drillGroups.delete(p.UserGroupId)) throw sfnError('ElastiCache.UserGroupNotFoundException', 'gone');
    this.userGroups.delete(p.UserGroupId);
    return { UserGroupId: p.UserGroupId, Status: 'deleting' };
  }

  deleteUser(p: Record<string, any>): unknown {
    this.calls.push(`delete-user ${p.UserId}`);
    if ([...this.drillGroups.values()].some((ids) => ids.includes(p.UserId)))
      throw sfnError('ElastiCache.DefaultUserAssociatedToUserGroupException', 'in a group');
    if (!this.users.delete(p.UserId)) throw sfnError('ElastiCache.UserNotFoundException', 'gone');
    return { UserId: p.UserId, Status: 'deleting' };
  }

  async describe(p: Record<string, any>): Promise<unknown> {
    this.calls.push(`describe ${p.ReplicationGroupId}`);
    this.throttled('describe');
    const group = this.groups.get(p.ReplicationGroupId);
    if (!group) throw sfnError('ElastiCache.ReplicationGroupNotFoundException');
    await group.starting;
    const status = this.stuckStatus ?? 'available';
    return {
      ReplicationGroups: [
        {
          Status: status,
          ...(status !== 'available'
            ? { NodeGroups: [] }
            : group.sharded
              ? { ConfigurationEndpoint: { Address: '127.0.0.1', Port: group.server!.port }, NodeGroups: [{ NodeGroupId: '0001' }] }
              : { NodeGroups: [{ PrimaryEndpoint: { Address: '127.0.0.1', Port: group.server!.port } }] }),
        },
      ],
    };
  }

  /** A group someone else made, with the id a drill will choose (tags of another execution, or none). */
  foreign(id: string, tags: Record<string, string>): void {
    this.groups.set(id, { status: 'available', sharded: false, tags });
  }

  async listTags(p: Record<string, any>): Promise<unknown> {
    const id = String(p.ResourceName).split(/:replicationgroup:|:serverlesscache:/)[1]!;
    this.calls.push(`tags ${id}`);
    this.throttled('tags');
    const group = this.groups.get(id);
    if (!group) throw sfnError('ElastiCache.ReplicationGroupNotFoundException', `${id} not found`);
    if (this.busyTagReads-- > 0 || this.stuckStatus === 'creating') {
      throw this.serverless.has(id)
        ? sfnError('ElastiCache.InvalidServerlessCacheStateException', 'Serverless cache is not in an available state to perform the requested action.')
        : sfnError('ElastiCache.InvalidReplicationGroupStateException', 'Cluster not in available state to perform tagging operations.');
    }
    return { TagList: Object.entries(group.tags).map(([Key, Value]) => ({ Key, Value })) };
  }

  async delete(p: Record<string, any>): Promise<unknown> {
    const serverless = p.ServerlessCacheName !== undefined;
    const id: string = p.ServerlessCacheName ?? p.ReplicationGroupId;
    this.calls.push(`${serverless ? 'delete-serverless' : 'delete'} ${id}`);
    this.throttled(serverless ? 'delete-serverless' : 'delete');
    p = { ReplicationGroupId: id };
    const group = this.groups.get(p.ReplicationGroupId);
    if (!group)
      throw sfnError(serverless ? 'ElastiCache.ServerlessCacheNotFoundException' : 'ElastiCache.ReplicationGroupNotFoundException', `${id} not found`);
    if (this.busyDeletes > 0 || (this.stuckStatus === 'creating' && this.busyDeletes < 0)) {
      this.busyDeletes--;
      throw sfnError(serverless ? 'ElastiCache.InvalidServerlessCacheStateException' : 'ElastiCache.InvalidReplicationGroupStateException', 'still creating');
    }
    await group.starting;
    await group.server?.stop();
    this.groups.delete(p.ReplicationGroupId);
    return { ReplicationGroup: { Status: 'deleting' } };
  }

  /** Stops whatever a test left running. */
  async stopAll(): Promise<void> {
    for (const g of this.groups.values()) {
      await g.starting?.catch(() => undefined);
      await g.server?.stop();
    }
    this.groups.clear();
  }
}

const SNAPSHOT = 'rdr-sessions-prod-20261122-0200';
const SHARDED_SNAPSHOT = 'rdr-sessions-prod-20261122-0300';
const COPY_ARN = `arn:aws:s3:::redis-dr-example-000000000000-eu-central-1/${SNAPSHOT}-0001.rdb`;
const SERVERLESS_SNAPSHOT = 'rdr-sessions-edge-20261122-0200';
const SERVERLESS_ARN = `arn:aws:elasticache:eu-west-1:000000000000:serverlesscachesnapshot:${SERVERLESS_SNAPSHOT}`;
const STARTED = new Date();
const secrets = mockClient(SecretsManagerClient);
/** The one-node cluster the sharded groups and serverless caches stand on, one at a time (started with the file). */
const clusterNode = new LentClusterNode();
/** The drill cluster of sessions-prod for the fixed start time of these executions. */
const CLUSTER = 'rdr-drill-sessions-prod-2611220400';

describe('restore drill state machine, executed locally from the synthesized definition', () => {
  let definition: AslDefinition;
  let drDefinition: AslDefinition;
  /** A StackSet member's (network.fromSsm), its network parameters resolved as CloudFormation would in one account. */
  let memberDefinition: AslDefinition;
  /** The same member's DR-region drill (dr.network.fromSsm), its parameters resolved in that account's DR region. */
  let memberDrDefinition: AslDefinition;
  let source: RedisServer;
  let scratch: string;
  let rdbFile: string;
  let shardedRdb: string;
  let sourceKeys: number;

  beforeAll(async () => {
    clusterNode.start();
    const synth = synthesize(loadConfig(DRILLS_CONFIG));
    definition = stateMachineDefinition(synth.primary);
    drDefinition = stateMachineDefinition(synth.dr);
    synth.cleanup();
    const member = synthesize(memberDrillConfig());
    memberDefinition = renderedDefinition(member.primary.toJSON() as TemplateJson, 'drill', { ...DEFAULT_STAND_INS, parameters: MEMBER_NETWORK_VALUES });
    memberDrDefinition = renderedDefinition(member.dr.toJSON() as TemplateJson, 'drill', { ...DEFAULT_STAND_INS, parameters: MEMBER_DR_NETWORK_VALUES });
    member.cleanup();

    // The "production" data: several types, expiries, a canary, two databases.
    source = await startRedisServer();
    const c = source.client();
    const pipe = c.pipeline();
    for (let i = 0; i < 200; i++) pipe.set(`session:${i}`, `user-${i}`);
    for (let i = 0; i < 30; i++) pipe.hset(`profile:${i}`, { name: `n${i}`, plan: 'pro' });
    for (let i = 0; i < 20; i++) pipe.rpush(`queue:${i}`, 'a', 'b');
    pipe.set('config:feature-flags', '{"beta":true}');
    pipe.set('config:schema-version', '42');
    pipe.set('redis-dr:canary', `${SNAPSHOT}:nonce-1`);
    pipe.select(2);
    pipe.set('db2:key', 'x');
    await pipe.exec();
    sourceKeys = 200 + 30 + 20 + 3 + 1;
    scratch = mkdtempSync(join(tmpdir(), 'drill-exec-'));
    rdbFile = join(scratch, 'snapshot.rdb');
    copyFileSync(await bgsave(source, c), rdbFile);
    // Cluster mode keeps database 0 only: the sharded restore gets the same data without db 2.
    await c.select(2);
    await c.flushdb();
    shardedRdb = join(scratch, 'sharded.rdb');
    copyFileSync(await bgsave(source, c), shardedRdb);
  });
  afterAll(async () => {
    aslVerdicts.save();
    await clusterNode.stop();
    await source?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /**
   * The definitions the cases below found valid: {@link machineOf} makes their machines without validating them a second
   * time (aws-local-stepfunctions runs the same asl-validator with the same options, checkArn off and checkPaths on, and
   * each call compiles the ASL schemas anew: about 0.5 CPU-s a definition). A definition not validated here (a case
   * run alone with -t, or one that failed) is still validated by its machine.
   */
  const validated = new Set<AslDefinition>();

  it.each(['primary', 'dr', 'member', 'member dr'])('%s: is a valid ASL definition (asl-validator)', (which) => {
    const chosen = { primary: definition, dr: drDefinition, member: memberDefinition, 'member dr': memberDrDefinition }[which]!;
    const result = aslVerdicts.of(which, JSON.stringify(chosen));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    validated.add(chosen);
  });

  function choice(overrides: Partial<RecoveryPointChoice['expected']> = {}): RecoveryPointChoice {
    return {
      kind: 'replication-group',
      target: 'sessions-prod',
      recoveryPoint: SNAPSHOT,
      createdAt: '2026-11-22T02:00:00.000Z',
      ageSeconds: 7200,
      clusterId: 'rdr-drill-sessions-prod-2611220400',
      engine: 'redis',
      engineVersion: '7.0',
      nodeType: 'cache.t4g.small',
      shards: 1,
      clusterMode: 'disabled',
      snapshotName: SNAPSHOT,
      expected: { keys: sourceKeys, canary: `${SNAPSHOT}:nonce-1`, ...overrides },
    };
  }

  /**
   * One StateMachine per definition, validated when made (asl-validator, as each execution's did) unless the cases above
   * found it valid: a machine holds no state between runs, and its validation compiled the ASL schemas anew each time
   * (about 0.13 CPU-s an execution).
   */
  const machines = new Map<AslDefinition, StateMachine>();
  function machineOf(d: AslDefinition): StateMachine {
    let machine = machines.get(d);
    if (!machine) {
      machine = new StateMachine(d as never, { validationOptions: validated.has(d) ? { noValidate: true } : { checkArn: false } });
      machines.set(d, machine);
    }
    return machine;
  }

  /** Runs one execution; returns how it ended, the report sent, and what ElastiCache saw. */
  async function run(options: {
    select?: () => RecoveryPointChoice;
    fake?: (ec: LocalElastiCache) => void;
    dr?: boolean;
    /** Another definition than the drills config's (a StackSet member's). */
    definition?: AslDefinition;
    /** Storing the token secret fails. */
    secretFault?: boolean;
    /** Deleting the token secret fails (a fault no retry clears). */
    secretDeleteFault?: boolean;
    /** The plan's RBAC user group and the secret of its user. */
    rbac?: {
      userGroupId: string;
      secretArn: string;
      username: string;
      password: string /** The user's password in the group when it differs from the secret's. @default password */;
      groupPassword?: string;
    };
  }) {
    const ec = new LocalElastiCache(
      new Map([
        [SNAPSHOT, rdbFile],
        [COPY_ARN, rdbFile],
        [SHARDED_SNAPSHOT, shardedRdb],
        [SERVERLESS_ARN, shardedRdb],
      ]),
    );
    options.fake?.(ec);
    const alerts: Alert[] = [];
    const metrics = new MemoryMetrics();
    const reports: { ok: boolean; summary: string }[] = [];
    const verifyInputs: unknown[] = [];
    const machine = machineOf(options.definition ?? (options.dr ? drDefinition : definition));
    // Secrets Manager, answered locally: the drill token secret the state machine stores and deletes, which the verify step reads.
    secrets.reset();
    const secretStore = new Map<string, string>();
    const secretCalls: string[] = [];
    secrets.on(GetSecretValueCommand).callsFake((i: { SecretId: string }) => {
      const value = secretStore.get(i.SecretId);
      if (value === undefined) throw Object.assign(new Error(`no secret ${i.SecretId}`), { name: 'ResourceNotFoundException' });
      return { SecretString: value };
    });
    const input = {
      deployment: 'example',
      plan: 'sessions',
      where: options.dr ? 'dr' : 'primary',
      targets: { replicationGroupIds: ['sessions-prod'], serverlessCacheNames: [], selectByTags: {} },
      rtoMinutes: 45,
      checks: { keyCountTolerancePct: 1, expectKeys: ['config:feature-flags'], expectValues: { 'config:schema-version': '42' }, sampleSize: 20 },
      ...(options.rbac ? { rbac: { userGroupId: options.rbac.userGroupId, secretArn: options.rbac.secretArn } } : {}),
    };
    if (options.rbac) {
      ec.userGroups.set(options.rbac.userGroupId, { username: options.rbac.username, password: options.rbac.groupPassword ?? options.rbac.password });
      secretStore.set(options.rbac.secretArn, JSON.stringify({ username: options.rbac.username, password: options.rbac.password }));
    }
    const execution = machine.run(input, {
      context: {
        Execution: { Name: 'drill-exec-1', Id: 'arn:aws:states:eu-west-1:111122223333:execution:redis-dr-example-primary-drill:drill-exec-1' },
        State: { EnteredTime: new Date(STARTED.getTime() + 5 * 60_000).toISOString() },
      } as never,
      overrides: {
        waitTimeOverrides: { 'Wait for cluster': 0 },
        retryIntervalOverrides: {
          'Delete cluster': 0,
          Report: 0,
          'Select recovery point': 0,
          'Verify data': 0,
          'Delete serverless cache': 0,
          'Delete drill user group': 0,
          'Delete drill user': 0,
          'Create serverless cache': 0,
          'Create serverless cache (RBAC)': 0,
          'Create drill user': 0,
          'Create drill user group': 0,
          'Create cluster': 0,
          'Create sharded cluster': 0,
          'Create cluster (RBAC)': 0,
          'Create sharded cluster (RBAC)': 0,
          'Check owner': 0,
          'Check serverless owner': 0,
        },
        taskResourceLocalHandlers: {
          'Select recovery point': async () => {
            if (!options.select) return choice() as never;
            return options.select() as never;
          },
          'Create cluster': (p) => ec.create(p as Record<string, any>) as never,
          'Create sharded cluster': (p) => ec.create(p as Record<string, any>) as never,
          'Create cluster (RBAC)': (p) => ec.create(p as Record<string, any>) as never,
          'Create sharded cluster (RBAC)': (p) => ec.create(p as Record<string, any>) as never,
          'Describe cluster': (p) => ec.describe(p as Record<string, any>) as never,
          'Create drill user': async (p) => ec.createUser(p as Record<string, any>) as never,
          'Create drill user group': async (p) => ec.createUserGroup(p as Record<string, any>) as never,
          'Create serverless cache': (p) => ec.createServerless(p as Record<string, any>) as never,
          'Create serverless cache (RBAC)': (p) => ec.createServerless(p as Record<string, any>) as never,
          'Describe serverless cache': (p) => ec.describeServerless(p as Record<string, any>) as never,
          'Check serverless owner': (p) => ec.listTags(p as Record<string, any>) as never,
          'Delete serverless cache': (p) => ec.delete(p as Record<string, any>) as never,
          'Delete drill user group': async (p) => ec.deleteUserGroup(p as Record<string, any>) as never,
          'Delete drill user': async (p) => ec.deleteUser(p as Record<string, any>) as never,
          'Generate AUTH token': async (p) => {
            secretCalls.push(`random ${JSON.stringify(p)}`);
            return { RandomPassword: `tok${'e'.repeat(58)}n42` } as never;
          },
          'Store AUTH token': async (p: any) => {
            const arn = `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${p.Name}-AbCdEf`;
            secretCalls.push(`create ${p.Name}`);
            if (options.secretFault) throw sfnError('SecretsManager.LimitExceededException', 'too many secrets');
            secretStore.set(arn, p.SecretString);
            return { ARN: arn, Name: p.Name } as never;
          },
          'Delete AUTH token': async (p: any) => {
            secretCalls.push(`delete ${p.SecretId}`);
            if (options.secretDeleteFault) throw sfnError('SecretsManager.InvalidRequestException', 'the secret is replicated: remove its replicas first');
            secretStore.delete(p.SecretId);
            return { ARN: p.SecretId } as never;
          },
          'Check owner': (p) => ec.listTags(p as Record<string, any>) as never,
          'Delete cluster': (p) => ec.delete(p as Record<string, any>) as never,
          // The real verify handler against the local "restored cluster"; TLS is skipped locally.
          'Verify data': async (p) => {
            verifyInputs.push(p);
            return (await runDrillVerify(
              { ...(p as any), tls: false },
              {
                secrets: new SecretsManagerClient({ region: 'eu-west-1' }), // answered by the mock above
                log: new MemoryLog(),
                clock: { now: () => Date.now() },
                scanCount: 100,
                maxScanSeconds: 30,
                connectTimeoutMs: 2000,
              },
            )) as never;
          },
          // The real report handler with an in-memory topic and metrics.
          Report: async (p) => {
            const result = await reportDrill(drillReportEventSchema.parse(p), {
              publish: async (a) => {
                alerts.push(a);
              },
              metrics,
              log: new MemoryLog(),
            });
            reports.push(result);
            return result as never;
          },
        },
      },
    });
    const events: unknown[] = [];
    const collect = (async () => {
      for await (const e of execution.eventLogs) events.push(e);
    })();
    let outcome: 'succeeded' | string;
    try {
      await execution.result;
      outcome = 'succeeded';
    } catch (err) {
      outcome = err instanceof ExecutionError ? String((err as Error).message) : `crashed: ${String(err)}`;
    } finally {
      await ec.stopAll();
      await collect.catch(() => undefined);
      if (process.env.DEBUG_DRILL) {
        for (const e of events as any[])
          console.log(e.type, e.state?.name, JSON.stringify(e.state?.output?.drill?.report ?? e.state?.error ?? e.error ?? '').slice(0, 300));
      }
    }
    return { outcome, ec, alerts, metrics, reports, verifyInputs, secretStore, secretCalls };
  }

  it("a StackSet member's drill (network.fromSsm), its parameters resolved: restores into their subnet group and security groups, verifies, deletes, passes", async () => {
    const r = await run({ definition: memberDefinition });
    expect(r.outcome).toBe('succeeded');
    expect(r.ec.created[0]).toMatchObject({
      ReplicationGroupId: 'rdr-drill-sessions-prod-2611220400',
      CacheSubnetGroupName: MEMBER_NETWORK_VALUES.NetworkCacheSubnetGroupName,
      SecurityGroupIds: MEMBER_NETWORK_VALUES.NetworkSecurityGroupIds,
    });
    expect(r.ec.calls.at(-1)).toBe('delete rdr-drill-sessions-prod-2611220400');
    expect(r.reports[0]!.summary).toMatch(/passed/);
  });

  it("a StackSet member's DR-region drill (dr.network.fromSsm), its parameters resolved: seeds from the DR copy into their subnet group and security groups, verifies, deletes, passes", async () => {
    const r = await run({
      dr: true,
      definition: memberDrDefinition,
      select: () => ({ ...choice({ byType: { string: 204, list: 20, hash: 30 }, expires: 0 }), snapshotName: undefined, snapshotArns: [COPY_ARN] }),
    });
    expect(r.outcome).toBe('succeeded');
    expect(r.ec.created[0]).toMatchObject({
      ReplicationGroupId: 'rdr-drill-sessions-prod-2611220400',
      SnapshotArns: [COPY_ARN],
      CacheSubnetGroupName: MEMBER_DR_NETWORK_VALUES.NetworkCacheSubnetGroupName,
      SecurityGroupIds: MEMBER_DR_NETWORK_VALUES.NetworkSecurityGroupIds,
    });
    expect(r.ec.created[0]).not.toHaveProperty('SnapshotName');
    expect(r.ec.calls.at(-1)).toBe('delete rdr-drill-sessions-prod-2611220400');
    expect(r.ec.groups.size).toBe(0);
    expect(r.reports[0]!.summary).toMatch(/passed/);
    expect(r.reports[0]!.summary).toMatch(/\[ok\]\s+type-histogram/);
  });

  it('success: restores the snapshot, verifies it, deletes the cluster and reports a pass', async () => {
    const r = await run({});
    expect(r.outcome).toBe('succeeded');
    expect(r.ec.calls[0]).toBe('create rdr-drill-sessions-prod-2611220400');
    expect(r.ec.calls.at(-1)).toBe('delete rdr-drill-sessions-prod-2611220400');
    expect(r.ec.groups.size).toBe(0);
    expect(r.reports).toHaveLength(1);
    expect(r.reports[0]!.ok).toBe(true);
    expect(r.verifyInputs[0]).toMatchObject({
      host: '127.0.0.1',
      tls: true,
      clusterMode: 'disabled',
      authSecretArn: expect.stringMatching(/:secret:redis-dr\/drill\/drill-exec-1-AbCdEf$/),
    });
    // The cluster required the execution's token (requirepass) and the verify step got in with it, read from the secret.
    expect(r.ec.tokens.get(CLUSTER)).toMatch(/^tok[e]+n42$/);
    expect(r.secretCalls).toEqual([
      'random {"PasswordLength":64,"ExcludePunctuation":true,"IncludeSpace":false}',
      'create redis-dr/drill/drill-exec-1',
      'delete arn:aws:secretsmanager:eu-west-1:000000000000:secret:redis-dr/drill/drill-exec-1-AbCdEf',
    ]);
    expect(r.secretStore.size).toBe(0);
    expect(r.metrics.points.find((p) => p.name === 'DrillSucceeded')?.value).toBe(1);
    expect(r.alerts[0]!.message).toContain(SNAPSHOT);
  });

  it("RBAC user group: the cluster joins it (no token made), verify gets in as the configured user, and the user's secret stays", async () => {
    const rbac = {
      userGroupId: 'drill-readers',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:drill-reader-XyZabc',
      username: 'drill-reader',
      password: `reader-${'p'.repeat(24)}`,
    };
    const r = await run({ rbac });
    expect(r.outcome).toBe('succeeded');
    expect(r.reports[0]!.ok).toBe(true);
    expect(r.ec.created[0]).toMatchObject({ UserGroupIds: ['drill-readers'], TransitEncryptionEnabled: true });
    expect(r.ec.created[0]).not.toHaveProperty('AuthToken');
    expect(r.verifyInputs[0]).toMatchObject({ tls: true, authSecretArn: rbac.secretArn });
    expect(r.secretCalls).toEqual([]); // nothing generated, stored or deleted
    expect(r.secretStore.get(rbac.secretArn)).toBeDefined();
    expect(r.ec.calls.at(-1)).toBe(`delete ${CLUSTER}`);
    expect(r.ec.groups.size).toBe(0);
  });

  it('RBAC user group: a verify that cannot get in as the configured user fails the drill and still deletes the cluster', async () => {
    const r = await run({
      rbac: {
        userGroupId: 'drill-readers',
        secretArn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:drill-reader-XyZabc',
        username: 'drill-reader',
        password: `reader-${'p'.repeat(24)}`,
        groupPassword: `other-${'q'.repeat(24)}`, // the secret is stale
      },
    });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.reports[0]!.ok).toBe(false);
    expect(r.reports[0]!.summary).toMatch(/failed \(verify\)/);
    expect(r.reports[0]!.summary).toMatch(/WRONGPASS/);
    expect(r.ec.calls.at(-1)).toBe(`delete ${CLUSTER}`);
    expect(r.ec.groups.size).toBe(0);
  });

  it('restore-failed: fails fast, still deletes, reports the status', async () => {
    const r = await run({ fake: (ec) => (ec.stuckStatus = 'restore-failed') });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.ec.calls.filter((c) => c.startsWith('describe'))).toHaveLength(1);
    expect(r.ec.calls.at(-1)).toMatch(/^delete /);
    expect(r.ec.groups.size).toBe(0);
    expect(r.reports[0]!.ok).toBe(false);
    expect(r.reports[0]!.summary).toMatch(/restore-failed/);
  });

  it('polling exhausts its rounds: reports it, and names the cluster it could not delete', async () => {
    const r = await run({ fake: (ec) => ((ec.stuckStatus = 'creating'), (ec.busyDeletes = 100)) });
    expect(r.outcome).toMatch(/says which step or check failed/);
    const describes = r.ec.calls.filter((c) => c.startsWith('describe')).length;
    expect(describes).toBeGreaterThan(100);
    // Still creating: its tags cannot be read, so the owner check waits as the delete would (first try + the busy retries).
    expect(r.ec.calls.filter((c) => c.startsWith('tags')).length).toBe(1 + DRILL_RETRY.busy.maxAttempts);
    expect(r.reports[0]!.summary).toMatch(/PollingExhausted|still creating/);
    expect(r.reports[0]!.summary).toContain('Cleanup: FAILED, cluster left behind: rdr-drill-sessions-prod-2611220400');
  });

  it.each([
    ['canary missing', { canary: 'rdr-other-snapshot:nonce-9' }, /canary/],
    ['key count off', { keys: 1000 }, /key-count|key count/i],
    ['histogram mismatch', { byType: { string: 1, hash: 999 } }, /histogram|type/i],
  ])('verification fails (%s): deletes the cluster and reports the failed check', async (_what, expected, check) => {
    const r = await run({ select: () => choice(expected) });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.ec.groups.size).toBe(0);
    expect(r.ec.calls.at(-1)).toMatch(/^delete /);
    expect(r.reports[0]!.ok).toBe(false);
    expect(r.reports[0]!.summary).toMatch(check);
    expect(r.metrics.points.find((p) => p.name === 'DrillSucceeded')?.value).toBe(0);
    expect(r.secretStore.size).toBe(0); // the token went with the cluster
  });

  it('create throws: nothing was created, so nothing is deleted; the report says so', async () => {
    const r = await run({ fake: (ec) => (ec.createError = 'ElastiCache.InsufficientCacheClusterCapacityException') });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.ec.calls).toEqual([`create ${CLUSTER}`]);
    expect(r.reports[0]!.summary).toMatch(/InsufficientCacheClusterCapacity/);
    expect(r.reports[0]!.summary).toMatch(/Cleanup: nothing deleted: the create failed, so this drill made no cluster/);
    expect(r.secretCalls.at(-1)).toMatch(/^delete .*redis-dr\/drill\/drill-exec-1/);
    expect(r.secretStore.size).toBe(0);
  });

  it('the token cannot be stored: no cluster is created, the drill fails and says why', async () => {
    const r = await run({ secretFault: true });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.ec.calls).toEqual([]);
    expect(r.secretCalls.map((c) => c.split(' ')[0])).toEqual(['random', 'create']);
    expect(r.reports[0]!.ok).toBe(false);
    expect(r.reports[0]!.summary).toMatch(/LimitExceeded/);
  });

  it('the token secret cannot be deleted: the cluster is deleted, yet the drill fails at cleanup and names the secret left behind', async () => {
    const r = await run({ secretDeleteFault: true });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.ec.calls.at(-1)).toBe(`delete ${CLUSTER}`);
    expect(r.secretStore.size).toBe(1);
    expect(r.reports[0]!.ok).toBe(false);
    expect(r.reports[0]!.summary).toMatch(/cleanup: .*InvalidRequestException|cleanup: .*remove its replicas first/);
    expect(r.reports[0]!.summary).toContain(
      'AUTH token secret left behind: arn:aws:secretsmanager:eu-west-1:000000000000:secret:redis-dr/drill/drill-exec-1-AbCdEf',
    );
  });

  it("a group with the drill's id already exists (someone else's): the create fails, the group is never touched", async () => {
    const r = await run({ fake: (ec) => ec.foreign(CLUSTER, { 'redis-dr:drill': 'another-execution', 'redis-dr:deployment': 'example' }) });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.ec.calls).toEqual([`create ${CLUSTER}`, `tags ${CLUSTER}`]); // its tags read, no delete: the foreign group is left alone
    expect(r.reports[0]!.summary).toMatch(/not this drill's, so it was left alone/);
    expect(r.reports[0]!.ok).toBe(false);
    expect(r.reports[0]!.summary).toMatch(/ReplicationGroupAlreadyExists/);
  });

  it("a group that does not carry this execution's tag is never deleted, on any path", async () => {
    const r = await run({
      fake: (ec) => {
        const create = ec.create.bind(ec);
        // The create is accepted, yet the group answers with another execution's tag (a foreign group under our id).
        ec.create = async (p) => {
          const out = await create(p);
          ec.groups.get(p.ReplicationGroupId)!.tags = { 'redis-dr:drill': 'another-execution' };
          return out;
        };
      },
    });
    expect(r.ec.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(r.ec.calls).toContain(`tags ${CLUSTER}`);
    expect(r.reports[0]!.ok).toBe(false);
    expect(r.reports[0]!.summary).toMatch(/not this drill's, so it was left alone/);
  });

  it("throttled describes are the poll loop's to retry: the drill still passes", async () => {
    const r = await run({ fake: (ec) => ec.throttle.set('describe', 3) });
    expect(r.outcome).toBe('succeeded');
    expect(r.reports[0]!.ok).toBe(true);
    expect(r.ec.calls.filter((c) => c.startsWith('describe'))).toHaveLength(4);
    expect(r.ec.groups.size).toBe(0);
  });

  it('a throttled create, owner check and delete are retried: the drill still passes', async () => {
    const r = await run({ fake: (ec) => (ec.throttle.set('create', 2), ec.throttle.set('tags', 1), ec.throttle.set('delete', 1)) });
    expect(r.outcome).toBe('succeeded');
    expect(r.ec.calls.filter((c) => c.startsWith('create'))).toHaveLength(3);
    expect(r.ec.calls.filter((c) => c.startsWith('tags'))).toHaveLength(2);
    expect(r.ec.calls.filter((c) => c.startsWith('delete'))).toHaveLength(2);
    expect(r.ec.groups.size).toBe(0);
  });

  it('a create retried after a fault that had in fact made the group: the owner check finds it ours and deletes it', async () => {
    // The group just made is still creating: its tags are refused twice before it is available.
    const r = await run({ fake: (ec) => ((ec.faultAfterCreate = true), (ec.busyTagReads = 2)) });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.ec.calls).toEqual([`create ${CLUSTER}`, `create ${CLUSTER}`, `tags ${CLUSTER}`, `tags ${CLUSTER}`, `tags ${CLUSTER}`, `delete ${CLUSTER}`]);
    expect(r.ec.groups.size).toBe(0); // nothing left behind
    expect(r.reports[0]!.summary).toMatch(/ReplicationGroupAlreadyExists/);
    expect(r.secretStore.size).toBe(0);
  });

  it('a describe throttled on every round ends as polling exhausted, and the cluster is still deleted', async () => {
    const r = await run({ fake: (ec) => ec.throttle.set('describe', 1_000_000) });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.reports[0]!.summary).toMatch(/PollingExhausted|still unknown/);
    expect(r.ec.calls.at(-1)).toBe(`delete ${CLUSTER}`);
    expect(r.ec.groups.size).toBe(0);
  });

  it('delete fails once (still busy), then succeeds: the drill still passes', async () => {
    const r = await run({ fake: (ec) => (ec.busyDeletes = 1) });
    expect(r.outcome).toBe('succeeded');
    expect(r.ec.calls.filter((c) => c.startsWith('delete'))).toHaveLength(2);
    expect(r.ec.groups.size).toBe(0);
  });

  it.each([
    ['the histogram the RDB verifier recorded', undefined, 'succeeded'],
    ['a histogram that does not match', { string: 204, list: 20, hash: 3 }, 'failed'],
  ])("DR region: seeds from the copy's S3 ARN and checks %s", async (_what, byType, expected) => {
    const r = await run({
      dr: true,
      select: () => ({
        ...choice({ byType: byType ?? { string: 204, list: 20, hash: 30 }, expires: 0 }),
        snapshotName: undefined,
        snapshotArns: [COPY_ARN],
      }),
    });
    expect(r.outcome === 'succeeded' ? 'succeeded' : 'failed').toBe(expected);
    expect(r.ec.groups.size).toBe(0);
    expect(r.reports[0]!.summary).toMatch(expected === 'succeeded' ? /\[ok\]\s+type-histogram/ : /\[FAIL\]\s+type-histogram|type-histogram/);
  });

  it('cluster mode enabled: creates every shard with the cluster parameter group, verifies through the configuration endpoint', async () => {
    const r = await run({
      select: () => ({
        ...choice({ keys: sourceKeys - 1 }),
        recoveryPoint: SHARDED_SNAPSHOT,
        snapshotName: SHARDED_SNAPSHOT,
        shards: 3,
        clusterMode: 'enabled',
        cacheParameterGroupName: 'default.redis7.cluster.on',
      }),
    });
    expect(r.reports[0]!.summary).toMatch(/passed/);
    expect(r.outcome).toBe('succeeded');
    expect(r.ec.created[0]).toMatchObject({
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 0,
      ClusterMode: 'enabled',
      CacheParameterGroupName: 'default.redis7.cluster.on',
      SnapshotName: SHARDED_SNAPSHOT,
    });
    expect(r.ec.created[0]).not.toHaveProperty('NumCacheClusters');
    expect(r.verifyInputs[0]).toMatchObject({ clusterMode: 'enabled', host: '127.0.0.1' });
    expect(r.ec.groups.size).toBe(0);
  });

  describe('serverless caches', () => {
    const SLS = 'rdr-drill-sessions-edge-2611220400';
    const serverless = (over: Partial<RecoveryPointChoice> = {}): RecoveryPointChoice => ({
      ...choice({ keys: sourceKeys - 1 }),
      kind: 'serverless-cache',
      target: 'sessions-edge',
      recoveryPoint: SERVERLESS_SNAPSHOT,
      clusterId: SLS,
      engine: 'valkey',
      engineVersion: '8',
      nodeType: 'serverless',
      clusterMode: 'enabled',
      snapshotName: undefined,
      snapshotArns: [SERVERLESS_ARN],
      ...over,
    });
    const order = (calls: readonly string[]) => calls.map((c) => c.split(' ')[0]);

    it('primary: locks a new serverless cache with a user group made for the execution, verifies it over the cluster protocol, deletes cache, group and user', async () => {
      const r = await run({ select: () => serverless() });
      expect(r.reports[0]!.summary).toMatch(/passed/);
      expect(r.outcome).toBe('succeeded');
      expect(order(r.ec.calls)).toEqual([
        'create-user',
        'create-user-group',
        'create-serverless',
        'describe-serverless',
        'tags',
        'delete-serverless',
        'delete-user-group',
        'delete-user',
      ]);
      expect(r.ec.createdServerless[0]).toEqual({
        ServerlessCacheName: SLS,
        Description: 'redis-dr primary restore drill (deleted when the drill ends)',
        Engine: 'valkey',
        MajorEngineVersion: '8',
        SnapshotArnsToRestore: [SERVERLESS_ARN],
        SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
        SecurityGroupIds: ['sg-0123456789abcdef0'],
        UserGroupId: SLS,
        Tags: expect.arrayContaining([
          { Key: 'redis-dr:drill', Value: 'drill-exec-1' },
          { Key: 'redis-dr:deployment', Value: 'example' },
        ]),
      });
      expect(r.ec.users.size).toBe(0); // made for the execution, deleted with it
      expect(r.secretCalls[0]).toMatch(/^random /);
      expect(r.verifyInputs[0]).toMatchObject({ tls: true, clusterMode: 'enabled', authSecretArn: expect.stringMatching(/redis-dr\/drill\/drill-exec-1/) });
      expect(r.ec.groups.size).toBe(0);
      expect(r.ec.drillGroups.size).toBe(0);
      expect(r.secretStore.size).toBe(0);
      expect(r.reports[0]!.summary).toContain(`Drill cache: ${SLS}, serverless valkey 8, from 1 object(s).`);
      expect(r.reports[0]!.summary).toContain(`Cleanup: drill user group ${SLS} deleted.`);
      expect(r.reports[0]!.summary).toContain(`Cleanup: drill user ${SLS} deleted.`);
    });

    it("a StackSet member's (network.fromSsm): the serverless cache gets the parameters' subnet and security group lists", async () => {
      const r = await run({ definition: memberDefinition, select: () => serverless() });
      expect(r.outcome).toBe('succeeded');
      expect(r.ec.createdServerless[0]).toMatchObject({
        SubnetIds: MEMBER_NETWORK_VALUES.NetworkSubnetIds,
        SecurityGroupIds: MEMBER_NETWORK_VALUES.NetworkSecurityGroupIds,
      });
      expect(r.reports[0]!.summary).toMatch(/passed/);
    });

    it("the drill user is named default and holds the execution's token, tagged with the execution", async () => {
      let made: Record<string, any> | undefined;
      const r = await run({
        select: () => serverless(),
        fake: (ec) => {
          const createUser = ec.createUser.bind(ec);
          ec.createUser = (p) => ((made = p), createUser(p));
        },
      });
      expect(r.outcome).toBe('succeeded');
      expect(made).toMatchObject({
        UserId: SLS,
        UserName: 'default',
        Engine: 'valkey',
        Passwords: [expect.stringMatching(/^tok[e]+n42$/)],
        AccessString: 'on ~* +@all',
      });
      expect(made!.Tags).toContainEqual({ Key: 'redis-dr:drill', Value: 'drill-exec-1' });
    });

    it('DR region: seeds the serverless cache from the S3 copies', async () => {
      const r = await run({
        dr: true,
        select: () =>
          serverless({
            snapshotArns: [COPY_ARN],
            engine: 'redis',
            engineVersion: '7',
            expected: { keys: sourceKeys - 1, expires: 0, byType: { string: 203, list: 20, hash: 30 } },
          }),
      });
      expect(r.reports[0]!.summary).toMatch(/passed/);
      expect(r.ec.createdServerless[0]).toMatchObject({
        SnapshotArnsToRestore: [COPY_ARN],
        Engine: 'redis',
        MajorEngineVersion: '7',
        SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      });
      expect(r.ec.groups.size + r.ec.drillGroups.size + r.ec.users.size).toBe(0);
    });

    it('verification fails: the cache, its user group and user are still deleted', async () => {
      const r = await run({ select: () => serverless({ expected: { keys: 5000 } }) });
      expect(r.outcome).toMatch(/says which step or check failed/);
      expect(r.reports[0]!.summary).toMatch(/key-count/);
      expect(order(r.ec.calls).slice(-3)).toEqual(['delete-serverless', 'delete-user-group', 'delete-user']);
      expect(r.ec.groups.size + r.ec.drillGroups.size + r.ec.users.size).toBe(0);
    });

    it('the cache create fails: no cache is deleted, the user group and user made for it are', async () => {
      const r = await run({ select: () => serverless(), fake: (ec) => (ec.createError = 'ElastiCache.ServerlessCacheQuotaForCustomerExceededException') });
      expect(r.outcome).toMatch(/says which step or check failed/);
      expect(order(r.ec.calls)).toEqual(['create-user', 'create-user-group', 'create-serverless', 'delete-user-group', 'delete-user']);
      expect(r.reports[0]!.summary).toMatch(/ServerlessCacheQuotaForCustomerExceeded/);
      expect(r.reports[0]!.summary).toMatch(/Cleanup: nothing deleted: the create failed/);
      expect(r.ec.drillGroups.size + r.ec.users.size).toBe(0);
      expect(r.secretStore.size).toBe(0);
    });

    it("a user with the drill's id exists (someone else's): nothing is created and nothing is deleted", async () => {
      const r = await run({ select: () => serverless(), fake: (ec) => ec.users.set(SLS, { UserId: SLS, UserName: 'default', Passwords: ['theirs'] }) });
      expect(r.outcome).toMatch(/says which step or check failed/);
      expect(r.ec.calls).toEqual([`create-user ${SLS}`]);
      expect(r.ec.users.get(SLS)).toMatchObject({ Passwords: ['theirs'] });
      expect(r.reports[0]!.summary).toMatch(/UserAlreadyExists/);
    });

    it("a serverless cache with the drill's id that is not this execution's is never deleted", async () => {
      const r = await run({
        select: () => serverless(),
        fake: (ec) => {
          const create = ec.createServerless.bind(ec);
          ec.createServerless = async (p) => {
            const out = await create(p);
            ec.groups.get(p.ServerlessCacheName)!.tags = { 'redis-dr:drill': 'another-execution' };
            return out;
          };
        },
      });
      expect(order(r.ec.calls)).not.toContain('delete-serverless');
      expect(r.reports[0]!.ok).toBe(false);
      expect(r.reports[0]!.summary).toMatch(/not this drill's, so it was left alone/);
    });

    it('a throttled serverless describe and owner check do not fail the drill', async () => {
      const r = await run({
        select: () => serverless(),
        fake: (ec) => (ec.throttle.set('describe-serverless', 2), ec.throttle.set('tags', 1), ec.throttle.set('delete-serverless', 1)),
      });
      expect(r.outcome).toBe('succeeded');
      expect(order(r.ec.calls).filter((c) => c === 'describe-serverless')).toHaveLength(3);
      expect(r.ec.groups.size + r.ec.drillGroups.size + r.ec.users.size).toBe(0);
    });

    it('deletes wait while the cache is still busy and the user group still in use, then succeed', async () => {
      const r = await run({ select: () => serverless(), fake: (ec) => ((ec.busyDeletes = 1), (ec.busyUserGroupDeletes = 2)) });
      expect(r.outcome).toBe('succeeded');
      expect(order(r.ec.calls).filter((c) => c === 'delete-serverless')).toHaveLength(2);
      expect(order(r.ec.calls).filter((c) => c === 'delete-user-group')).toHaveLength(3);
      expect(r.ec.groups.size + r.ec.drillGroups.size + r.ec.users.size).toBe(0);
    });

    it('its tags refused while the cache is not available (ListTagsForResource answers only for an available one): the owner check waits, then the cache is deleted', async () => {
      const r = await run({ select: () => serverless(), fake: (ec) => (ec.busyTagReads = 2) });
      expect(r.outcome).toBe('succeeded');
      expect(order(r.ec.calls).filter((c) => c === 'tags')).toHaveLength(3);
      expect(r.ec.groups.size + r.ec.drillGroups.size + r.ec.users.size).toBe(0);
    });

    it('a user group that cannot be deleted fails the drill and is named as left behind (and so is its user)', async () => {
      const r = await run({ select: () => serverless(), fake: (ec) => (ec.userGroupDeleteError = 'ElastiCache.AccessDeniedException') });
      expect(r.outcome).toMatch(/says which step or check failed/);
      expect(r.reports[0]!.summary).toContain(`Cleanup: FAILED, drill user group left behind: ${SLS}`);
      expect(r.reports[0]!.summary).toMatch(/drill user left behind/);
      expect(r.ec.groups.size).toBe(0); // the cache itself went
    });

    it("RBAC: the cache joins the plan's user group; no user or group is made, none deleted", async () => {
      const rbac = {
        userGroupId: 'drill-readers',
        secretArn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:drill-reader-XyZabc',
        username: 'drill-reader',
        password: `reader-${'p'.repeat(24)}`,
      };
      const r = await run({ rbac, select: () => serverless() });
      expect(r.reports[0]!.summary).toMatch(/passed/);
      expect(order(r.ec.calls)).toEqual(['create-serverless', 'describe-serverless', 'tags', 'delete-serverless']);
      expect(r.ec.createdServerless[0]).toMatchObject({ UserGroupId: 'drill-readers' });
      expect(r.verifyInputs[0]).toMatchObject({ authSecretArn: rbac.secretArn, clusterMode: 'enabled' });
      expect(r.secretCalls).toEqual([]);
    });
  });

  it('no recovery point: creates nothing and reports why', async () => {
    const r = await run({
      select: () => {
        throw Object.assign(new Error('no available snapshot of plan sessions'), { name: 'NoRecoveryPointError' });
      },
    });
    expect(r.outcome).toMatch(/says which step or check failed/);
    expect(r.ec.calls).toEqual([]);
    expect(r.reports[0]!.summary).toMatch(/NoRecoveryPoint|no available snapshot/);
  });
});
