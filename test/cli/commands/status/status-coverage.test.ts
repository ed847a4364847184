import { DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand, type ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CoverageReport } from '../../../../cli/commands/status/coverage.js';
import { FakeClock } from '../../../support/fakes.js';
import { fakeAws, type FakeCache } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';

// Plans of drills.json: sessions (sessions-prod, serverless sessions-edge; exports), queues (tag redis-dr/backup=queues).
const CONFIG = 'test/fixtures/config/drills.json';
const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const aws = fakeAws();
let clock: FakeClock;

const run = (...args: string[]) => runInProcess(['status', '-c', CONFIG, '--coverage', ...args], { clock });
const add = (...caches: FakeCache[]) => aws.state.caches.push(...caches);

/** Every cache protected, or unprotectable with a reason. */
function covered(): void {
  add(
    { region: PRIMARY, kind: 'replication-group', id: 'sessions-prod' },
    { region: PRIMARY, kind: 'serverless-cache', id: 'sessions-edge' },
    { region: PRIMARY, kind: 'replication-group', id: 'queues-a', clusterEnabled: true, tags: { 'redis-dr/backup': 'queues' } },
    { region: PRIMARY, kind: 'replication-group', id: 'legacy', nodeType: 'cache.t1.micro' },
    { region: DR, kind: 'replication-group', id: 'rdr-drill-sessions-prod-1', tags: { 'redis-dr:drill': 'run-1' } },
  );
}

beforeEach(() => {
  aws.reset();
  clock = new FakeClock(Date.parse('2026-11-21T10:00:00Z'));
});

describe('status --coverage', () => {
  it('lists every cache of both regions with its plan, or unprotectable and why; exit 0 when none is unprotected', async () => {
    covered();
    const r = await run('--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CoverageReport;
    expect(report.caches.map((c) => [c.region, c.kind, c.id, c.state, c.plans.join(',')])).toEqual([
      [PRIMARY, 'replication-group', 'legacy', 'unprotectable', ''],
      [PRIMARY, 'replication-group', 'queues-a', 'protected', 'queues'],
      [PRIMARY, 'replication-group', 'sessions-prod', 'protected', 'sessions'],
      [PRIMARY, 'serverless-cache', 'sessions-edge', 'protected', 'sessions'],
      [DR, 'replication-group', 'rdr-drill-sessions-prod-1', 'redis-dr', ''],
    ]);
    expect(report.caches[0]!.why).toMatch(/cache\.t1\.micro/);
    expect(report).toMatchObject({ unprotected: 0, problems: [], healthy: true });
  });

  it('a cache nobody added, in either region, is unprotected: named in the table, exit 1', async () => {
    covered();
    add(
      { region: PRIMARY, kind: 'replication-group', id: 'new-orders', tags: { 'redis-dr/backup': 'Queues' } },
      { region: DR, kind: 'serverless-cache', id: 'restored-after-failover' },
      { region: DR, kind: 'replication-group', id: 'big', nodeType: 'cache.r6gd.xlarge', dataTiering: true },
    );
    const r = await run();
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.includes('new-orders'))).toMatch(/^eu-west-1\s+replication-group\s+new-orders\s+UNPROTECTED\s+-/);
    expect(lines.find((l) => l.includes('restored-after-failover'))).toMatch(/^eu-central-1\s+serverless-cache\s+restored-after-failover\s+UNPROTECTED/);
    expect(lines.find((l) => l.includes(' big '))).toMatch(/unprotectable\s+-\s+data tiering: .*no DR copy/);
    expect(lines.find((l) => l.includes('sessions-prod '))).toMatch(/protected\s+sessions/);
    expect(r.stdout).toContain('2 cache(s) no plan protects');
  });

  it('every page of the listings through the region the cache is in, no ids', async () => {
    covered();
    await run('--json');
    const listed = aws.ec.commandCalls(DescribeReplicationGroupsCommand).filter((c) => c.args[0].input.ReplicationGroupId === undefined);
    const regions = await Promise.all(listed.map((c) => (c.thisValue as ElastiCacheClient).config.region()));
    expect(regions.sort()).toEqual([DR, PRIMARY]);
    expect(aws.ec.commandCalls(DescribeServerlessCachesCommand).map((c) => c.args[0].input.ServerlessCacheName)).toEqual([undefined, undefined]);
  });

  it('a denied listing in one region: the other is listed, the missing permission is named, exit 1 (no stack trace)', async () => {
    covered();
    aws.ec.on(DescribeServerlessCachesCommand).callsFake(async (_i: unknown, getClient: () => ElastiCacheClient) => {
      if ((await getClient().config.region()) === DR) {
        throw Object.assign(new Error('User is not authorized to perform: elasticache:DescribeServerlessCaches'), { name: 'AccessDeniedException' });
      }
      return { ServerlessCaches: [{ ServerlessCacheName: 'sessions-edge', Engine: 'valkey' }] };
    });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /not listed: dr region eu-central-1: caches not listed \(needs elasticache:DescribeReplicationGroups, elasticache:DescribeServerlessCaches and tag:GetResources\): access denied: .*elasticache:DescribeServerlessCaches/,
    );
    expect(r.stdout).toMatch(/sessions-prod\s+protected/);
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });

  it('a throttled listing is retried, not reported', async () => {
    covered();
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    aws.ec
      .on(DescribeReplicationGroupsCommand, { MaxRecords: 50 })
      .rejectsOnce(throttle)
      .callsFake(async (_i: unknown, getClient: () => ElastiCacheClient) => {
        const region = await getClient().config.region();
        return {
          ReplicationGroups: aws.state.caches
            .filter((c) => c.region === region && c.kind === 'replication-group')
            .map((c) => ({ ReplicationGroupId: c.id, Engine: 'valkey', CacheNodeType: c.nodeType ?? 'cache.r7g.large' })),
        };
      });
    const r = await run('--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as CoverageReport).caches).toHaveLength(5);
    // Two regions, one of them asked twice.
    expect(aws.ec.commandCalls(DescribeReplicationGroupsCommand)).toHaveLength(3);
  });

  it('missing credentials are a usage error (exit 2)', async () => {
    aws.state.credentials = false;
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no AWS credentials found');
  });

  it('the help says what the exit codes mean', async () => {
    const r = await runInProcess(['status', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/--coverage .*exit 0 when none is unprotected, 1 when any is/);
  });
});
