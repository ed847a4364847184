import { CreateSnapshotCommand, DescribeSnapshotsCommand, ElastiCacheClient, ListTagsForResourceCommand } from '@aws-sdk/client-elasticache';
import { GetObjectTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportRunInput, pruneRunInput } from '../../../lib/deployment.js';
import { TAGS } from '../../../lambdas/domain/plans/types.js';
import { exportObjectKey } from '../../../lambdas/domain/points/export-objects.js';
import { restoreEnvAfterFile } from '../../support/env.js';
import { startMotoAws, type MotoAws } from '../../support/moto-aws.js';
import { runInProcess } from '../support/in-process.js';
import { MOTO_ACCOUNT, motoClient, PRIMARY, seedDeployment, type SeededDeployment } from './deployment.js';

/**
 * The deployed functions' code against moto: the prune and export Lambda
 * handlers, imported as Lambda imports them (their module-scope SDK
 * clients read the endpoint from the environment), invoked with the input
 * their schedules send (lib/deployment.ts).
 */
restoreEnvAfterFile();

let aws: MotoAws;
let d: SeededDeployment;
let ec: ElastiCacheClient;

const context = (fn: string): Context => ({
  awsRequestId: `moto-${fn}`,
  functionName: `redis-dr-moto-${fn}`,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${PRIMARY}:${MOTO_ACCOUNT}:function:redis-dr-moto-${fn}`,
  memoryLimitInMB: '512',
  logGroupName: `/aws/lambda/redis-dr-moto-${fn}`,
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 600_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** `rdr-<target>-<yyyymmdd>-<hhmm>` of `at` (UTC), as the snapshot job names a point. */
const pointName = (target: string, at: Date) => `rdr-${target}-${at.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-')}`;

/** A snapshot of `group` as the snapshot job leaves it: its name's time, the plan's tags, tier `tier`. */
async function seedPoint(group: string, plan: string, at: Date, tier: string): Promise<string> {
  const name = pointName(group, at);
  const tags = {
    [TAGS.managed]: 'true',
    [TAGS.deployment]: 'moto',
    [TAGS.plan]: plan,
    [TAGS.source]: group,
    [TAGS.sourceKind]: 'replication-group',
    [TAGS.tier]: tier,
  };
  await ec.send(
    new CreateSnapshotCommand({ ReplicationGroupId: group, SnapshotName: name, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
  return name;
}

const names = async (group: string) =>
  ((await ec.send(new DescribeSnapshotsCommand({ ReplicationGroupId: group }))).Snapshots ?? []).map((s) => s.SnapshotName!).sort();

beforeAll(async () => {
  aws = await startMotoAws();
  d = await seedDeployment(aws);
  ec = motoClient(ElastiCacheClient, aws, PRIMARY);
  // The handlers' clients are made at their first call, from the environment, as in Lambda.
  for (const [k, v] of Object.entries({ ...d.env, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_TRACE_ENABLED: 'false' }))
    vi.stubEnv(k, v);
  vi.resetModules();
}, 180_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  d?.remove();
  await aws?.stop();
});

const hoursAgo = (h: number) => new Date(Math.floor(Date.now() / 3_600_000 - h) * 3_600_000);

describe('the Lambda handlers against moto', { timeout: 180_000 }, () => {
  it('prune: the handler deletes exactly what prune --dry-run said it would, and keeps the rest', async () => {
    // Twelve hourly points of queues-prod: the plan keeps 6 hourly ones.
    for (let h = 12; h >= 1; h--) await seedPoint('queues-prod', 'queues', hoursAgo(h), 'hourly');
    const before = await names('queues-prod');
    expect(before).toHaveLength(12);

    const dry = await runInProcess(['prune', '--plan', 'queues', '--dry-run']);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    const planned = [...dry.stdout.matchAll(/^\s+DELETE\s+(rdr-\S+)/gm)].map((m) => m[1]!).sort();
    expect(planned).toEqual(before.slice(0, 6));
    expect(await names('queues-prod')).toEqual(before);

    const { handler } = await import('../../../lambdas/handlers/prune.js');
    const plan = d.config.plans.find((p) => p.name === 'queues')!;
    await handler({ ...pruneRunInput('moto', plan, false), scheduledTime: new Date().toISOString() }, context('prune'));
    const after = await names('queues-prod');
    expect(after).toEqual(before.filter((n) => !planned.includes(n)));
    // The newest six hourly points stay (retention.hourly 6).
    expect(after).toEqual(expect.arrayContaining(before.slice(-6)));
  });

  it('export: finalizes a snapshot whose shards lie where ElastiCache writes them (tags the objects, marks the snapshot exported)', async () => {
    const name = await seedPoint('sessions-prod', 'sessions', hoursAgo(1), 'hourly');
    const s3 = motoClient(S3Client, aws, PRIMARY);
    // ElastiCache writes one object per shard at the bucket's root (sessions-prod has 2 shards).
    for (const shard of [1, 2])
      await s3.send(new PutObjectCommand({ Bucket: d.exportBucket, Key: exportObjectKey(name, shard), Body: `REDIS0011 shard ${shard}` }));

    const { handler } = await import('../../../lambdas/handlers/export.js');
    const plan = d.config.plans.find((p) => p.name === 'sessions')!;
    await handler({ ...exportRunInput('moto', plan, d.exportBucket), scheduledTime: new Date().toISOString() }, context('export'));

    for (const shard of [1, 2]) {
      const tags = (await s3.send(new GetObjectTaggingCommand({ Bucket: d.exportBucket, Key: exportObjectKey(name, shard) }))).TagSet ?? [];
      expect(Object.fromEntries(tags.map((t) => [t.Key, t.Value]))).toMatchObject({
        [TAGS.snapshot]: name,
        [TAGS.tier]: 'hourly',
        [TAGS.shard]: `000${shard}/0002`,
      });
    }
    const arn = `arn:aws:elasticache:${PRIMARY}:${MOTO_ACCOUNT}:snapshot:${name}`;
    const snapshotTags = (await ec.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList ?? [];
    expect(snapshotTags.find((t) => t.Key === TAGS.exported)?.Value).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
