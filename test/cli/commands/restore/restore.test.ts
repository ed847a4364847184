import { CreateReplicationGroupCommand, DescribeReplicationGroupsCommand, ReplicationGroupNotFoundFault } from '@aws-sdk/client-elasticache';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkNewId, createRequest } from '../../../../cli/commands/restore/action.js';
import { FakeClock } from '../../../support/fakes.js';
import { fakeAws } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';
import { DR_BUCKET, putDrCopy } from '../../support/dr-copies.js';

const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const aws = fakeAws();
let clock: FakeClock;

const run = (...args: string[]) => runInProcess(['restore', '-c', CONFIG, ...args], { clock });

function snapshot(name: string, createdAt: string, extra: Partial<Parameters<typeof aws.state.snapshots.set>[1]> = {}): void {
  aws.state.snapshots.set(name, { name, target: 'sessions-prod', status: 'available', createdAt: new Date(createdAt), tags: {}, ...extra });
}

/** A DR copy: `shards` objects tagged as the export and verify Lambdas leave them. */
function copy(exportName: string, o: { shards?: number; verified?: 'ok' | 'corrupt' | null } = {}): void {
  putDrCopy(aws, exportName, o);
}

beforeEach(() => {
  aws.install();
  aws.state.snapshots.clear();
  aws.state.groups.clear();
  aws.state.objects.clear();
  aws.state.createdStatuses = ['creating', 'creating', 'available'];
  clock = new FakeClock(NOW);
});

describe('restore (primary region, from a snapshot)', () => {
  it('restores the newest available snapshot with the source’s engine, version, layout and replicas, waits, and prints the endpoint', async () => {
    snapshot('rdr-sessions-prod-20261121-0800', '2026-11-21T08:00:30Z');
    snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z', { engine: 'valkey', engineVersion: '8.0' });
    snapshot('rdr-sessions-prod-20261121-0930', '2026-11-21T09:30:30Z', { status: 'creating' });
    aws.state.groups.set('sessions-prod', { statuses: ['available'], replicas: 2, clusterEnabled: false });

    const r = await run('--target', 'sessions-prod', '--new-id', 'sessions-restored', '--wait', '--json');

    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      replicationGroupId: 'sessions-restored',
      region: 'eu-west-1',
      recoveryPoint: 'rdr-sessions-prod-20261121-0900',
      status: 'available',
      ok: true,
      endpoint: 'rediss://master.sessions-restored.abc.euw1.cache.amazonaws.com:6379',
    });
    const sent = aws.ec.commandCalls(CreateReplicationGroupCommand)[0]!.args[0].input;
    expect(sent).toEqual({
      ReplicationGroupId: 'sessions-restored',
      ReplicationGroupDescription: 'redis-dr restore of sessions-prod from rdr-sessions-prod-20261121-0900',
      Engine: 'valkey',
      EngineVersion: '8.0',
      CacheNodeType: 'cache.r7g.large',
      SnapshotName: 'rdr-sessions-prod-20261121-0900',
      CacheSubnetGroupName: 'redis-dr-drills',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      Tags: [
        { Key: 'redis-dr:source', Value: 'sessions-prod' },
        { Key: 'redis-dr:restored-from', Value: 'rdr-sessions-prod-20261121-0900' },
      ],
      NumCacheClusters: 3,
      AutomaticFailoverEnabled: true,
    });
    // It polled (30 s apart) until available.
    expect(clock.sleeps).toEqual([30_000, 30_000, 30_000]);
  });

  it.each(['create-failed', 'restore-failed'])('fails with exit 1 and names the way forward when the cluster ends %s', async (end) => {
    snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
    aws.state.createdStatuses = ['creating', end];

    const r = await run('--target', 'sessions-prod', '--new-id', 'sessions-restored', '--wait', '--from', 'rdr-sessions-prod-20261121-0900');

    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAILED sessions-restored is ${end}: ElastiCache could not build it from rdr-sessions-prod-20261121-0900`);
    expect(r.stdout).toContain('aws elasticache describe-events --region eu-west-1 --source-type replication-group --source-identifier sessions-restored');
    expect(r.stdout).toContain('aws elasticache delete-replication-group --region eu-west-1 --replication-group-id sessions-restored');
    expect(r.stdout).toContain('docs/runbooks/corruption.md');
    // The id was said as soon as the create was accepted.
    expect(r.stderr).toContain('redis-dr restore: creating sessions-restored in eu-west-1 from rdr-sessions-prod-20261121-0900');
  });

  it('a group not found right after the create counts as creating for a few polls, then as gone', async () => {
    snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
    // Describe lags the create twice, then the group shows up.
    let misses = 2;
    aws.ec.on(DescribeReplicationGroupsCommand).callsFake((i: { ReplicationGroupId: string }) => {
      if (misses-- > 0) throw new ReplicationGroupNotFoundFault({ message: 'not found', $metadata: {} });
      return {
        ReplicationGroups: [{ ReplicationGroupId: i.ReplicationGroupId, Status: 'available', NodeGroups: [{ PrimaryEndpoint: { Address: 'h', Port: 6379 } }] }],
      };
    });
    const late = await run('--target', 'sessions-prod', '--new-id', 'x1', '--wait', '--json');
    expect(late.code).toBe(0);
    expect(JSON.parse(late.stdout)).toMatchObject({ status: 'available', endpoint: 'rediss://h:6379' });

    aws.ec.on(DescribeReplicationGroupsCommand).rejects(new ReplicationGroupNotFoundFault({ message: 'not found', $metadata: {} }));
    const gone = await run('--target', 'sessions-prod', '--new-id', 'x2', '--wait', '--json');
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout)).toMatchObject({ status: 'gone', ok: false });
    expect(clock.sleeps.slice(-4)).toEqual([30_000, 30_000, 30_000, 30_000]);
  });

  it('a failure while watching names the created cluster and how to follow it (exit 1)', async () => {
    snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
    aws.ec.on(DescribeReplicationGroupsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const r = await run('--target', 'sessions-prod', '--new-id', 'x1', '--wait');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'x1 was created; watching it failed (ThrottlingException: Rate exceeded): follow it with aws elasticache describe-replication-groups --region eu-west-1 --replication-group-id x1',
    );
  });

  it('a named snapshot of another cache is a usage error; its own time is reported', async () => {
    aws.state.snapshots.set('manual-backup', {
      name: 'manual-backup',
      target: 'orders-prod',
      status: 'available',
      createdAt: new Date('2026-11-20T23:00:00Z'),
      tags: {},
    });
    const wrong = await run('--target', 'sessions-prod', '--new-id', 'x1', '--from', 'manual-backup');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--from manual-backup is a snapshot of orders-prod, not of --target sessions-prod');
    const right = await run('--target', 'orders-prod', '--new-id', 'x1', '--from', 'manual-backup', '--dry-run', '--json');
    expect(right.code).toBe(0);
    expect(JSON.parse(right.stdout)).toMatchObject({ recoveryPoint: 'manual-backup', recoveryPointCreatedAt: '2026-11-20T23:00:00.000Z' });
  });

  it('gives up waiting after --timeout-minutes with exit 1 (the cluster goes on being created)', async () => {
    snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
    aws.state.createdStatuses = ['creating'];
    const r = await run('--target', 'sessions-prod', '--new-id', 'x1', '--wait', '--timeout-minutes', '2', '--poll-seconds', '60', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'timeout', ok: false });
    expect(clock.sleeps).toEqual([60_000, 60_000]);
  });

  it('without --wait starts the create and exits 0; --dry-run creates nothing', async () => {
    snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
    const dry = await run('--target', 'sessions-prod', '--new-id', 'x1', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('"SnapshotName": "rdr-sessions-prod-20261121-0900"');
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);

    const started = await run('--target', 'sessions-prod', '--new-id', 'x1', '--json');
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ status: 'creating', ok: true, endpoint: null });
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(1);
  });

  it('refuses an existing id (exit 2), an unavailable snapshot and a target without snapshots (exit 1)', async () => {
    snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z', { status: 'creating' });
    aws.state.groups.set('taken', { statuses: ['available'], replicas: 0, clusterEnabled: false });
    snapshot('rdr-sessions-prod-20261121-0800', '2026-11-21T08:00:30Z');

    const taken = await run('--target', 'sessions-prod', '--new-id', 'taken');
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('--new-id taken: a replication group with this id exists in eu-west-1');

    const busy = await run('--target', 'sessions-prod', '--new-id', 'x2', '--from', 'rdr-sessions-prod-20261121-0900');
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('snapshot rdr-sessions-prod-20261121-0900 is creating, not available');

    const none = await run('--target', 'other-cache', '--new-id', 'x3');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no available manual snapshot of other-cache in eu-west-1');
    // Only the refused create of `taken` was sent.
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand).map((c) => c.args[0].input.ReplicationGroupId)).toEqual(['taken']);
  });
});

describe('restore (DR region, from S3 copies)', () => {
  it('seeds from the newest complete, verified copy, skipping one not verified yet, with every shard in slot order', async () => {
    copy('rdr-sessions-prod-20261121-0600', { shards: 3 });
    copy('rdr-sessions-prod-20261121-0800', { shards: 3, verified: null });

    const r = await run('--target', 'sessions-prod', '--region', 'eu-central-1', '--new-id', 'sessions-dr', '--wait', '--poll-seconds', '5', '--json');

    // DR copies do not record node type or replicas: the defaults are said.
    expect(r.stderr).toContain("warning: node type cache.t4g.small: DR copies do not record the source's node type; pass --node-type");
    expect(r.stderr).toContain('warning: no replicas (the source could not be described): pass --replicas for production');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      recoveryPoint: 'rdr-sessions-prod-20261121-0600',
      endpoint: 'rediss://clustercfg.sessions-dr.abc.euw1.cache.amazonaws.com:6379',
    });
    const sent = aws.ec.commandCalls(CreateReplicationGroupCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({
      Engine: 'valkey',
      EngineVersion: '8.0',
      CacheNodeType: 'cache.t4g.small',
      ClusterMode: 'enabled',
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 0,
      CacheParameterGroupName: 'default.valkey8.cluster.on',
      CacheSubnetGroupName: 'redis-dr-drills',
      SnapshotArns: [1, 2, 3].map((n) => `arn:aws:s3:::${DR_BUCKET}/rdr-sessions-prod-20261121-0600-000${n}.rdb`),
    });
    expect(sent.NodeGroupConfiguration?.map((g) => g.Slots)).toEqual(['0-5460', '5461-10921', '10922-16383']);
  });

  it('restores a named s3:// copy, and refuses a corrupt one with exit 1 (nothing created)', async () => {
    copy('rdr-sessions-prod-20261121-0600');
    copy('rdr-sessions-prod-20261121-0800', { verified: 'corrupt' });

    const bad = await run(
      '--target',
      'sessions-prod',
      '--region',
      'eu-central-1',
      '--new-id',
      'x1',
      '--from',
      `s3://${DR_BUCKET}/rdr-sessions-prod-20261121-0800`,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no usable copy of sessions-prod');
    expect(bad.stderr).toContain('corrupt');
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);

    const good = await run(
      '--target',
      'sessions-prod',
      '--region',
      'eu-central-1',
      '--new-id',
      'x1',
      '--from',
      `s3://${DR_BUCKET}/rdr-sessions-prod-20261121-0600-0001.rdb`,
      '--node-type',
      'cache.r7g.xlarge',
    );
    expect(good.code).toBe(0);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)[0]!.args[0].input).toMatchObject({
      NumCacheClusters: 1,
      CacheNodeType: 'cache.r7g.xlarge',
      SnapshotArns: [`arn:aws:s3:::${DR_BUCKET}/rdr-sessions-prod-20261121-0600-0001.rdb`],
    });
  });
});

describe('restore: access to the new cluster', () => {
  const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:sessions-auth';
  const USER_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:sessions-user';
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => {
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: JSON.stringify({ password: 'tok-3f9a-not-in-output' }) });
    secrets.on(GetSecretValueCommand, { SecretId: USER_ARN }).resolves({ SecretString: JSON.stringify({ username: 'app', password: 'pw' }) });
    snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
  });

  it('sets the AUTH token from Secrets Manager, never printing it; a parameter group as given', async () => {
    const r = await run('--target', 'sessions-prod', '--new-id', 'x1', '--auth-token-secret', TOKEN_ARN, '--parameter-group', 'sessions-params', '--json');
    expect(r.code).toBe(0);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)[0]!.args[0].input).toMatchObject({
      AuthToken: 'tok-3f9a-not-in-output',
      TransitEncryptionEnabled: true,
      CacheParameterGroupName: 'sessions-params',
    });
    expect(JSON.parse(r.stdout).request.AuthToken).toBe('***');
    expect(r.stdout + r.stderr).not.toContain('tok-3f9a');
    expect(r.stderr).not.toContain('no AUTH token');
  });

  it('RBAC: user groups as given; an RBAC secret as a token is a usage error; both at once too; neither is warned about', async () => {
    const groups = await run('--target', 'sessions-prod', '--new-id', 'x1', '--user-group-ids', 'ug-app,ug-ops');
    expect(groups.code).toBe(0);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)[0]!.args[0].input.UserGroupIds).toEqual(['ug-app', 'ug-ops']);

    const rbac = await run('--target', 'sessions-prod', '--new-id', 'x2', '--auth-token-secret', USER_ARN);
    expect(rbac.code).toBe(2);
    expect(rbac.stderr).toContain('holds an RBAC user (app): pass --user-group-ids');

    const both = await run('--target', 'sessions-prod', '--new-id', 'x3', '--auth-token-secret', TOKEN_ARN, '--user-group-ids', 'ug-app');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exclude each other');

    const open = await run('--target', 'sessions-prod', '--new-id', 'x4');
    expect(open.stderr).toContain('warning: no AUTH token and no user group');
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(2);
  });
});

describe('restore usage errors (exit 2)', () => {
  it.each([
    [['--target', 'a', '--new-id', '9starts-with-digit'], 'is not a valid replication group id'],
    [['--target', 'a', '--new-id', 'double--hyphen'], 'is not a valid replication group id'],
    [['--target', 'a', '--new-id', 'ok', '--region', 'us-east-1'], 'restore in the primary (eu-west-1) or DR (eu-central-1) region'],
    [['--target', 'a', '--new-id', 'ok', '--from', 's3://b/k'], 'S3 copies restore in the DR region'],
    [['--target', 'a', '--new-id', 'ok', '--region', 'eu-central-1', '--from', 'rdr-a-20261121-0900'], 'in the DR region restore from latest or an s3://'],
    [['--target', 'a'], "required option '--new-id <id>' not specified"],
  ])('%j', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
  });

  it('a network given as SSM parameter names (network.fromSsm): the subnet group and security groups from the options, asked for when missing', async () => {
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8')) as Record<string, any>;
    raw.network = { fromSsm: { vpcId: '/n/vpc', subnetIds: '/n/subnets', securityGroupIds: '/n/groups', subnetGroupName: '/n/subnet-group' } };
    for (const plan of raw.plans) plan.probe = { enabled: false };
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-restore-ssm-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...raw, $schema: undefined }));
    try {
      snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
      aws.state.groups.set('sessions-prod', { statuses: ['available'], replicas: 0, clusterEnabled: false });
      const asked = await runInProcess(['restore', '-c', file, '--target', 'sessions-prod', '--new-id', 'sessions-restored'], { clock });
      expect(asked.code).toBe(2);
      expect(asked.stderr).toContain(
        'no subnet group for eu-west-1: network.fromSsm names SSM parameters, which restore does not read: pass --subnet-group and --security-group-ids',
      );
      expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
      const given = await runInProcess(
        [
          'restore',
          '-c',
          file,
          '--target',
          'sessions-prod',
          '--new-id',
          'sessions-restored',
          '--subnet-group',
          'app-subnets',
          '--security-group-ids',
          'sg-0aaaaaaaaaaaaaaa1',
        ],
        { clock },
      );
      expect(given.code, given.stderr).toBe(0);
      expect(aws.ec.commandCalls(CreateReplicationGroupCommand)[0]!.args[0].input).toMatchObject({
        CacheSubnetGroupName: 'app-subnets',
        SecurityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checkNewId lowercases a valid id; createRequest keeps a one-shard source unsharded', () => {
    expect(checkNewId('Sessions-Restore-1')).toBe('sessions-restore-1');
    expect(checkNewId('a'.repeat(40))).toHaveLength(40);
    expect(() => checkNewId('a'.repeat(41))).toThrow(/not a valid/);
    const req = createRequest(
      {
        kind: 'replication-group',
        target: 't',
        recoveryPoint: 'p',
        createdAt: '',
        ageSeconds: 0,
        clusterId: 'x',
        engine: 'redis',
        engineVersion: '7.1',
        nodeType: 'n',
        shards: 1,
        clusterMode: 'disabled',
        snapshotName: 'p',
        expected: {},
      },
      { id: 'x', replicas: 0, subnetGroup: 'g', securityGroupIds: [] },
    );
    expect(req).toMatchObject({ NumCacheClusters: 1, AutomaticFailoverEnabled: false });
    expect(req).not.toHaveProperty('SecurityGroupIds');
    expect(req).not.toHaveProperty('NumNodeGroups');
  });
});
