import { CopySnapshotCommand } from '@aws-sdk/client-elasticache';
import { beforeEach, describe, expect, it } from 'vitest';
import { recoveryBucketName } from '../../../../lib/deployment.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT } from '../../support/fake-aws.js';
import { fakePipeline } from '../../support/fake-pipeline.js';
import { runInProcess } from '../../support/in-process.js';

const CONFIG = 'test/fixtures/config/selftest.json';
const NOW = Date.parse('2026-11-23T10:00:00Z');
const DR_BUCKET = recoveryBucketName('st', ACCOUNT, 'eu-central-1');
const EXPORT_BUCKET = recoveryBucketName('st', ACCOUNT, 'eu-west-1');
const POINT = 'rdr-app-cache-20261123-0800';
const aws = fakePipeline(DR_BUCKET, EXPORT_BUCKET);
let clock: FakeClock;
const run = (...args: string[]) => runInProcess(['export', '-c', CONFIG, '--plan', 'app', '--poll-seconds', '5', ...args], { clock });

beforeEach(() => {
  aws.install();
  clock = new FakeClock(NOW);
  aws.state.snapshots.set(POINT, {
    name: POINT,
    target: 'app-cache',
    status: 'available',
    createdAt: new Date(NOW - 7_200_000),
    tags: { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'st', 'redis-dr:plan': 'app', 'redis-dr:source': 'app-cache', 'redis-dr:tier': 'hourly' },
  });
});

describe('redis-dr export', () => {
  it('exports the newest point (whatever its tier), waits for replication and the DR verdict, exit 0', async () => {
    const r = await run('--wait');
    expect(r.code).toBe(0);
    expect(aws.ec.commandCalls(CopySnapshotCommand)[0]!.args[0].input).toMatchObject({
      SourceSnapshotName: POINT,
      TargetSnapshotName: POINT,
      TargetBucket: EXPORT_BUCKET,
    });
    expect(r.stdout).toContain(`${POINT}-0001.rdb: replication COMPLETED, DR verdict ok (v=11 keys=1000 expires=0 string=1000)`);
    expect(r.stdout).toContain(`verified in s3://${DR_BUCKET}`);
    // The export job tagged the object with its tier, and marked the snapshot exported.
    expect(aws.state.objects.get(EXPORT_BUCKET)?.get(`${POINT}-0001.rdb`)).toMatchObject({ 'redis-dr:tier': 'hourly' });
    expect(aws.state.snapshots.get(POINT)?.tags['redis-dr:exported']).toBeDefined();
  });

  it('--json gives the copies; a corrupt verdict is exit 1', async () => {
    aws.pipeline.faults.verdict = 'corrupt';
    const r = await run('--wait', '--json', '--point', POINT);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, copies: [{ key: `${POINT}-0001.rdb`, verdict: 'corrupt' }] });
  });

  it('replication FAILED is exit 1 naming the object and the runbook', async () => {
    aws.pipeline.faults.replication = 'FAILED';
    const r = await run('--wait');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAILED: replication of s3://${EXPORT_BUCKET}/${POINT}-0001.rdb FAILED: see docs/runbooks/dr-copies.md`);
  });

  it('without --wait it starts the export and says so, exit 0', async () => {
    const r = await run();
    expect(r.code).toBe(0);
    expect(aws.ec.commandCalls(CopySnapshotCommand)).toHaveLength(1);
    expect(r.stdout).toContain('export started; not waited for');
  });

  it.each([
    ['a point whose snapshot failed', 'failed', { 'redis-dr:tier': 'hourly' }, `${POINT} is not exported: snapshot-failed`],
    ['a point without a tier tag', 'available', {}, `${POINT} is not exported: no-tier`],
  ])('without --wait, %s is exit 1 naming why (nothing was started)', async (_what, status, extra, message) => {
    const tags = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'st', 'redis-dr:plan': 'app', 'redis-dr:source': 'app-cache', ...extra };
    aws.state.snapshots.set(POINT, { name: POINT, target: 'app-cache', status, createdAt: new Date(NOW - 7_200_000), tags });
    const r = await run('--point', POINT);
    expect(aws.ec.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(r.stdout).not.toContain('export started');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(message);
  });

  it('without --wait, a point this deployment does not manage (no tags of its plan) is exit 1, nothing started', async () => {
    aws.state.snapshots.set(POINT, { name: POINT, target: 'app-cache', status: 'available', createdAt: new Date(NOW - 7_200_000), tags: {} });
    const r = await run('--point', POINT);
    expect(aws.ec.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(r.stdout).not.toContain('export started');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${POINT} is not exported: not an export candidate of plan app`);
  });

  it('a --point of another cache is a usage error (exit 2)', async () => {
    const r = await run('--point', 'rdr-other-20261123-0800');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--point rdr-other-20261123-0800: not a redis-dr snapshot of app-cache');
  });
});
