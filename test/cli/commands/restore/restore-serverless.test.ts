import {
  CreateServerlessCacheCommand,
  DescribeServerlessCachesCommand,
  DescribeServerlessCacheSnapshotsCommand,
  ServerlessCacheAlreadyExistsFault,
  ServerlessCacheNotFoundFault,
  type CreateServerlessCacheCommandInput,
} from '@aws-sdk/client-elasticache';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT, fakeAws } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';
import { DR_BUCKET, PRIMARY_BUCKET, putDrCopy } from '../../support/dr-copies.js';

const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const aws = fakeAws();
const meta = { $metadata: {} };
let clock: FakeClock;
const run = (...args: string[]) => runInProcess(['restore', '-c', CONFIG, ...args], { clock });
const arn = (name: string) => `arn:aws:elasticache:eu-west-1:${ACCOUNT}:serverlesscachesnapshot:${name}`;

/** Serverless snapshots of sessions-edge, and caches whose status moves on with each describe. */
let snapshots: { name: string; status: string; at: string; of?: string }[];
let caches: Map<string, { statuses: string[]; created?: CreateServerlessCacheCommandInput }>;

beforeEach(() => {
  aws.install();
  clock = new FakeClock(NOW);
  snapshots = [
    { name: 'rdr-sessions-edge-20261121-0800', status: 'available', at: '2026-11-21T08:00:20Z' },
    { name: 'rdr-sessions-edge-20261121-0900', status: 'available', at: '2026-11-21T09:00:20Z' },
    { name: 'rdr-sessions-edge-20261121-0930', status: 'creating', at: '2026-11-21T09:30:20Z' },
    { name: 'rdr-other-20261121-0900', status: 'available', at: '2026-11-21T09:00:20Z', of: 'other' },
  ];
  caches = new Map([['sessions-edge', { statuses: ['available'] }]]);
  aws.ec.on(DescribeServerlessCacheSnapshotsCommand).callsFake((i: { ServerlessCacheName?: string; ServerlessCacheSnapshotName?: string }) => ({
    ServerlessCacheSnapshots: snapshots
      .filter((s) => (i.ServerlessCacheSnapshotName ? s.name === i.ServerlessCacheSnapshotName : (s.of ?? 'sessions-edge') === i.ServerlessCacheName))
      .map((s) => ({
        ServerlessCacheSnapshotName: s.name,
        ARN: arn(s.name),
        Status: s.status,
        CreateTime: new Date(s.at),
        SnapshotType: 'manual',
        ServerlessCacheConfiguration: { ServerlessCacheName: s.of ?? 'sessions-edge', Engine: 'valkey', MajorEngineVersion: '8' },
      })),
  }));
  aws.ec.on(DescribeServerlessCachesCommand).callsFake((i: { ServerlessCacheName: string }) => {
    const c = caches.get(i.ServerlessCacheName);
    if (!c) throw new ServerlessCacheNotFoundFault({ message: `${i.ServerlessCacheName} not found`, ...meta });
    const status = c.statuses.length > 1 ? c.statuses.shift()! : c.statuses[0]!;
    return {
      ServerlessCaches: [
        {
          ServerlessCacheName: i.ServerlessCacheName,
          Status: status,
          UserGroupId: i.ServerlessCacheName === 'sessions-edge' ? 'edge-users' : undefined,
          SecurityGroupIds: ['sg-source'],
          SubnetIds: ['subnet-source'],
          Endpoint: status === 'available' ? { Address: `${i.ServerlessCacheName}-abc.serverless.euw1.cache.amazonaws.com`, Port: 6379 } : undefined,
        },
      ],
    };
  });
  aws.ec.on(CreateServerlessCacheCommand).callsFake((i: CreateServerlessCacheCommandInput) => {
    if (caches.has(i.ServerlessCacheName!)) throw new ServerlessCacheAlreadyExistsFault({ message: 'exists', ...meta });
    caches.set(i.ServerlessCacheName!, { statuses: ['creating', 'creating', 'available'], created: i });
    return { ServerlessCache: { ServerlessCacheName: i.ServerlessCacheName, Status: 'creating' } };
  });
});

describe('restore of a serverless cache', () => {
  it('builds a new serverless cache from the newest available snapshot: same engine and major version, the config’s network, the source’s user group; waits and prints the endpoint', async () => {
    const r = await run('--target', 'sessions-edge', '--new-id', 'sessions-edge-restored', '--wait', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      replicationGroupId: null,
      serverlessCacheName: 'sessions-edge-restored',
      recoveryPoint: 'rdr-sessions-edge-20261121-0900',
      status: 'available',
      ok: true,
      endpoint: 'rediss://sessions-edge-restored-abc.serverless.euw1.cache.amazonaws.com:6379',
    });
    expect(aws.ec.commandCalls(CreateServerlessCacheCommand)[0]!.args[0].input).toEqual({
      ServerlessCacheName: 'sessions-edge-restored',
      Description: 'redis-dr restore of sessions-edge from rdr-sessions-edge-20261121-0900',
      Engine: 'valkey',
      MajorEngineVersion: '8',
      SnapshotArnsToRestore: [arn('rdr-sessions-edge-20261121-0900')],
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      UserGroupId: 'edge-users',
      Tags: [
        { Key: 'redis-dr:source', Value: 'sessions-edge' },
        { Key: 'redis-dr:restored-from', Value: 'rdr-sessions-edge-20261121-0900' },
      ],
    });
  });

  it('names the snapshot’s .rdb copy and the fast path into the source cache’s endpoint', async () => {
    aws.state.objects.clear();
    putDrCopy(aws, 'rdr-sessions-edge-20261121-0900', { bucket: PRIMARY_BUCKET, verified: null });
    const r = await run('--target', 'sessions-edge', '--new-id', 'x-restored', '--dry-run', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rdbCopies).toMatchObject({
      copies: [{ where: 'primary', location: `s3://${PRIMARY_BUCKET}/rdr-sessions-edge-20261121-0900`, complete: true }],
      fastPath: {
        command: `redis-dr migrate --from-rdb s3://${PRIMARY_BUCKET}/rdr-sessions-edge-20261121-0900 --to rediss://sessions-edge-abc.serverless.euw1.cache.amazonaws.com:6379`,
      },
    });
  });

  it('--dry-run prints the request and creates nothing; a named snapshot of another cache is refused (exit 2)', async () => {
    const dry = await run('--target', 'sessions-edge', '--new-id', 'x-restored', '--from', 'rdr-sessions-edge-20261121-0800', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/"SnapshotArnsToRestore": \[\s+"arn:aws:elasticache:eu-west-1:\d+:serverlesscachesnapshot:rdr-sessions-edge-20261121-0800"/);
    expect(aws.ec.commandCalls(CreateServerlessCacheCommand)).toHaveLength(0);
    const other = await run('--target', 'sessions-edge', '--new-id', 'x-restored', '--from', 'rdr-other-20261121-0900');
    expect(other.stderr).toMatch(/is a snapshot of other, not of --target sessions-edge/);
    expect(other.code).toBe(2);
  });

  it('create-failed ends the wait with exit 1 and the way out; an existing name is exit 2; nothing is ever deleted', async () => {
    aws.ec.on(CreateServerlessCacheCommand).callsFake((i: CreateServerlessCacheCommandInput) => {
      if (caches.has(i.ServerlessCacheName!)) throw new ServerlessCacheAlreadyExistsFault({ message: 'exists', ...meta });
      caches.set(i.ServerlessCacheName!, { statuses: ['creating', 'create-failed'] });
      return {};
    });
    const failed = await run('--target', 'sessions-edge', '--new-id', 'edge-bad', '--wait');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      /^FAILED edge-bad is create-failed: .*aws elasticache delete-serverless-cache --region eu-west-1 --serverless-cache-name edge-bad/m,
    );
    const exists = await run('--target', 'sessions-edge', '--new-id', 'sessions-edge');
    expect(exists.stderr).toMatch(/--new-id sessions-edge: a serverless cache with this name exists in eu-west-1/);
    expect(exists.code).toBe(2);
    expect(
      aws.ec
        .calls()
        .map((c) => c.args[0].constructor.name)
        .filter((n) => /Delete/.test(n)),
    ).toEqual([]);
  });

  it('refuses what a serverless cache cannot take, before any AWS call that creates (exit 2)', async () => {
    for (const [args, message] of [
      [['--auth-token-secret', 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:x'], /serverless caches take no AUTH token/],
      [['--node-type', 'cache.r7g.large'], /--node-type: a serverless cache has no node type/],
      [['--region', 'us-east-1'], /--region us-east-1: restore in the primary \(eu-west-1\) or DR \(eu-central-1\) region of this config/],
      [['--from', `s3://${DR_BUCKET}/rdr-sessions-edge-20261121-0600`], /S3 copies restore in the DR region: add --region eu-central-1/],
      [['--region', 'eu-central-1', '--from', 'rdr-sessions-edge-20261121-0900'], /in the DR region restore from latest or an s3:\/\/bucket\/<export> copy/],
      [['--user-group-ids', 'a,b'], /a serverless cache takes one user group/],
    ] as const) {
      const r = await run('--target', 'sessions-edge', '--new-id', 'x-restored', ...args);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    }
    expect(aws.ec.commandCalls(CreateServerlessCacheCommand)).toHaveLength(0);
  });
});

describe('restore of a serverless cache in the DR region, from its verified DR copies', () => {
  const key = (name: string, shard: number) => `${name}-000${shard}.rdb`;
  const s3Arn = (name: string, shard: number) => `arn:aws:s3:::${DR_BUCKET}/${key(name, shard)}`;
  beforeEach(() => aws.state.objects.clear());

  it("latest: the newest complete, verified copy, every shard's object, engine and major version from its tags, dr.network; waits for the endpoint", async () => {
    putDrCopy(aws, 'rdr-sessions-edge-20261121-0600', { shards: 2, engine: 'redis 7.1' });
    putDrCopy(aws, 'rdr-sessions-edge-20261121-0800', { shards: 2, verified: null }); // newer, not verified yet: skipped

    const r = await run(
      '--target',
      'sessions-edge',
      '--region',
      'eu-central-1',
      '--new-id',
      'sessions-edge-dr',
      '--user-group-ids',
      'dr-users',
      '--wait',
      '--poll-seconds',
      '5',
      '--json',
    );

    expect(r.stderr).not.toMatch(/warning/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      serverlessCacheName: 'sessions-edge-dr',
      region: 'eu-central-1',
      recoveryPoint: 'rdr-sessions-edge-20261121-0600',
      status: 'available',
      endpoint: 'rediss://sessions-edge-dr-abc.serverless.euw1.cache.amazonaws.com:6379',
      rdbCopies: { copies: [{ where: 'dr', shards: 2, verification: 'ok' }], fastPath: { location: `s3://${DR_BUCKET}/rdr-sessions-edge-20261121-0600` } },
    });
    expect(aws.ec.commandCalls(CreateServerlessCacheCommand)[0]!.args[0].input).toEqual({
      ServerlessCacheName: 'sessions-edge-dr',
      Description: 'redis-dr restore of sessions-edge from rdr-sessions-edge-20261121-0600',
      Engine: 'redis',
      MajorEngineVersion: '7',
      SnapshotArnsToRestore: [s3Arn('rdr-sessions-edge-20261121-0600', 1), s3Arn('rdr-sessions-edge-20261121-0600', 2)],
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      SecurityGroupIds: ['sg-0123456789abcdef0'],
      UserGroupId: 'dr-users',
      Tags: [
        { Key: 'redis-dr:source', Value: 'sessions-edge' },
        { Key: 'redis-dr:restored-from', Value: 'rdr-sessions-edge-20261121-0600' },
      ],
    });
    // Nothing of the primary region's snapshots was asked.
    expect(aws.ec.commandCalls(DescribeServerlessCacheSnapshotsCommand)).toHaveLength(0);
  });

  it('a named s3:// copy; an unverified or corrupt one is refused with exit 1 and nothing is created', async () => {
    putDrCopy(aws, 'rdr-sessions-edge-20261121-0600');
    putDrCopy(aws, 'rdr-sessions-edge-20261121-0700', { verified: null });
    putDrCopy(aws, 'rdr-sessions-edge-20261121-0800', { verified: 'corrupt' });

    for (const [name, problem] of [
      ['rdr-sessions-edge-20261121-0700', 'unverified'],
      ['rdr-sessions-edge-20261121-0800', 'corrupt'],
    ] as const) {
      const bad = await run('--target', 'sessions-edge', '--region', 'eu-central-1', '--new-id', 'x1', '--from', `s3://${DR_BUCKET}/${name}`);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`no usable copy of sessions-edge in s3://${DR_BUCKET}; ${name}: ${problem}`);
    }
    expect(aws.ec.commandCalls(CreateServerlessCacheCommand)).toHaveLength(0);

    const good = await run(
      '--target',
      'sessions-edge',
      '--region',
      'eu-central-1',
      '--new-id',
      'x1',
      '--from',
      `s3://${DR_BUCKET}/${key('rdr-sessions-edge-20261121-0600', 1)}`,
      '--dry-run',
      '--json',
    );
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({
      status: 'dry-run',
      request: { SnapshotArnsToRestore: [s3Arn('rdr-sessions-edge-20261121-0600', 1)], Engine: 'valkey', MajorEngineVersion: '8' },
    });
    expect(good.stderr).toContain('warning: no user group: the new serverless cache accepts the default user');
    expect(aws.ec.commandCalls(CreateServerlessCacheCommand)).toHaveLength(0); // dry run
  });

  it('create-failed ends the wait with exit 1 and the way out', async () => {
    putDrCopy(aws, 'rdr-sessions-edge-20261121-0600');
    aws.ec.on(CreateServerlessCacheCommand).callsFake((i: CreateServerlessCacheCommandInput) => {
      caches.set(i.ServerlessCacheName!, { statuses: ['creating', 'create-failed'], created: i });
      return { ServerlessCache: { ServerlessCacheName: i.ServerlessCacheName, Status: 'creating' } };
    });

    const r = await run(
      '--target',
      'sessions-edge',
      '--region',
      'eu-central-1',
      '--new-id',
      'edge-dr',
      '--user-group-ids',
      'dr-users',
      '--wait',
      '--poll-seconds',
      '5',
    );

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/edge-dr is create-failed: ElastiCache could not build it from rdr-sessions-edge-20261121-0600/);
    expect(r.stdout).toContain('aws elasticache delete-serverless-cache --region eu-central-1 --serverless-cache-name edge-dr');
  });

  it('no copies of the target: says so (exit 1), creates nothing', async () => {
    const r = await run('--target', 'sessions-edge', '--region', 'eu-central-1', '--new-id', 'edge-dr');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no copies of sessions-edge in s3://${DR_BUCKET}`);
    expect(aws.ec.commandCalls(CreateServerlessCacheCommand)).toHaveLength(0);
  });
});
