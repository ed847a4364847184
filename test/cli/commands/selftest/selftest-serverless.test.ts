import {
  CreateServerlessCacheSnapshotCommand,
  type CreateServerlessCacheSnapshotCommandInput,
  DescribeServerlessCacheSnapshotsCommand,
  ExportServerlessCacheSnapshotCommand,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../lib/config/index.js';
import { configHash, recoveryBucketName, stackNames } from '../../../../lib/deployment.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT } from '../../support/fake-aws.js';
import { accessDenied, fakePipeline } from '../../support/fake-pipeline.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * A whole `redis-dr selftest` of a serverless plan (issue 53 item 2): the
 * preflight, the snapshot (CreateServerlessCacheSnapshot), the export
 * (ExportServerlessCacheSnapshot, with the export's dependent actions),
 * replication and the DR verifier's verdict, the alert path and the record.
 * Its calls are recorded (test/fixtures/iam/calls/cli-selftest-serverless.json),
 * so the operator policy derived from the recordings holds a serverless
 * selftest (test/lib/iam-operator.test.ts).
 */
const CONFIG = 'test/fixtures/config/selftest-serverless.json';
const NOW = Date.parse('2026-11-23T10:00:00Z');
const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const CACHE = 'edge-cache';
const POINT = `rdr-${CACHE}-20261123-1000`;
const DR_BUCKET = recoveryBucketName('sl', ACCOUNT, DR);
const EXPORT_BUCKET = recoveryBucketName('sl', ACCOUNT, PRIMARY);
const NAMES = stackNames({ name: 'sl' });
const TOPIC = (region: string) => `arn:aws:sns:${region}:${ACCOUNT}:sl-alerts`;
const pointArn = (name: string) => `arn:aws:elasticache:${PRIMARY}:${ACCOUNT}:serverlesscachesnapshot:${name}`;

const aws = fakePipeline(DR_BUCKET, EXPORT_BUCKET);
let clock: FakeClock;
const run = (...args: string[]) => runInProcess(['selftest', '-c', CONFIG, '--poll-seconds', '5', ...args], { clock });

/** The serverless snapshots the account holds: created, available the next time they are described, found by their tags. */
function serverlessSnapshots(): void {
  const points = new Map<string, { tags: Record<string, string>; looks: number; created: Date }>();
  aws.ec.on(CreateServerlessCacheSnapshotCommand).callsFake((i: CreateServerlessCacheSnapshotCommandInput) => {
    if (aws.pipeline.faults.denied.has('CreateServerlessCacheSnapshot')) throw aws.pipeline.faults.denied.get('CreateServerlessCacheSnapshot');
    points.set(i.ServerlessCacheSnapshotName!, {
      tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key!, t.Value!])),
      looks: 0,
      created: new Date(clock.now()),
    });
    return { ServerlessCacheSnapshot: { ServerlessCacheSnapshotName: i.ServerlessCacheSnapshotName, Status: 'creating' } };
  });
  aws.ec.on(DescribeServerlessCacheSnapshotsCommand).callsFake((i: { ServerlessCacheName?: string; ServerlessCacheSnapshotName?: string }) => ({
    ServerlessCacheSnapshots: [...points.entries()]
      .filter(([name, p]) => (i.ServerlessCacheSnapshotName ? name === i.ServerlessCacheSnapshotName : p.tags['redis-dr:source'] === i.ServerlessCacheName))
      .map(([name, p]) => ({
        ServerlessCacheSnapshotName: name,
        ARN: pointArn(name),
        Status: p.looks++ === 0 ? 'creating' : 'available',
        CreateTime: p.created,
        SnapshotType: 'manual',
        ServerlessCacheConfiguration: { ServerlessCacheName: CACHE, Engine: 'valkey', MajorEngineVersion: '8' },
      })),
  }));
  // ElastiCache writes `<snapshot>-0001.rdb` into the export bucket.
  aws.ec.on(ExportServerlessCacheSnapshotCommand).callsFake((i: { ServerlessCacheSnapshotName: string; S3BucketName: string }) => {
    if (aws.pipeline.faults.denied.has('ExportServerlessCacheSnapshot')) throw aws.pipeline.faults.denied.get('ExportServerlessCacheSnapshot');
    const bucket = aws.state.objects.get(i.S3BucketName) ?? new Map<string, Record<string, string>>();
    aws.state.objects.set(i.S3BucketName, bucket.set(`${i.ServerlessCacheSnapshotName}-0001.rdb`, {}));
    return { ServerlessCacheSnapshot: { ServerlessCacheSnapshotName: i.ServerlessCacheSnapshotName, Status: 'exporting' } };
  });
  aws.tagging.on(GetResourcesCommand).callsFake((i: { TagFilters?: { Key: string; Values: string[] }[] }) => ({
    ResourceTagMappingList: [...points.entries()]
      .filter(([, p]) => (i.TagFilters ?? []).every((f) => f.Values.includes(p.tags[f.Key] ?? '\u0000')))
      .map(([name, p]) => ({ ResourceARN: pointArn(name), Tags: Object.entries(p.tags).map(([Key, Value]) => ({ Key, Value })) })),
  }));
}

beforeEach(() => {
  aws.install();
  clock = new FakeClock(NOW);
  const hash = configHash(loadConfig(CONFIG));
  for (const [name, region] of [
    [NAMES.primary, PRIMARY],
    [NAMES.dr, DR],
  ] as const) {
    aws.pipeline.stacks.set(name, { status: 'UPDATE_COMPLETE', outputs: { AlertTopicArn: TOPIC(region), ConfigHash: hash } });
    aws.pipeline.subscriptions.set(TOPIC(region), [{ Protocol: 'email', Endpoint: 'oncall@example.com', SubscriptionArn: `${TOPIC(region)}:sub-1` }]);
  }
  aws.state.caches.push({ region: PRIMARY, kind: 'serverless-cache', id: CACHE, engine: 'valkey' });
  serverlessSnapshots();
});

describe('redis-dr selftest of a serverless plan', () => {
  it('snapshots the serverless cache, exports it, sees the DR copy verified, pages both topics and records it, exit 0', async () => {
    const r = await run();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rows = r.stdout
      .split('\n')
      .filter((l) => /PASSED|FAILED|WARNED|SKIPPED/.test(l) && !l.startsWith('Selftest'))
      .map((l) => l.split(/\s{2,}/)[0]);
    expect(rows).toEqual([
      `preflight ${NAMES.primary}`,
      `preflight ${NAMES.dr}`,
      `snapshot edge/${CACHE}`,
      `export edge/${CACHE}`,
      'alerts primary',
      'alerts dr',
      'record',
    ]);
    expect(aws.ec.commandCalls(CreateServerlessCacheSnapshotCommand)[0]!.args[0].input).toMatchObject({
      ServerlessCacheName: CACHE,
      ServerlessCacheSnapshotName: POINT,
    });
    expect(aws.ec.commandCalls(ExportServerlessCacheSnapshotCommand)[0]!.args[0].input).toEqual({
      ServerlessCacheSnapshotName: POINT,
      S3BucketName: EXPORT_BUCKET,
    });
    expect(r.stdout).toMatch(new RegExp(`replicated to ${DR_BUCKET} \\(COMPLETED\\); DR verifier: ok`));
    expect(r.stdout).toContain('Selftest PASSED');
  });

  it('access denied on ExportServerlessCacheSnapshot: the export step names the action, exit 1', async () => {
    aws.pipeline.faults.denied.set('ExportServerlessCacheSnapshot', accessDenied('elasticache:ExportServerlessCacheSnapshot'));
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`export edge/${CACHE}\\s+${PRIMARY}\\s+FAILED`));
    expect(r.stdout).toContain('lacks elasticache:ExportServerlessCacheSnapshot');
    expect(r.stdout).toContain('Selftest FAILED');
  });
});
