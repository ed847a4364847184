/**
 * `serve -c <config> --point <snapshot>` and `history -c <config> --plan`
 * against a real S3 API (moto) holding a deployment's `.rdb` copies: a
 * two-shard export written by two real redis-servers (served as one
 * keyspace), a later single-shard point, an incomplete export (a hole in
 * the history), and the errors for a point or target that is not there.
 */
import { readFileSync } from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand, PutObjectTaggingCommand, S3ServiceException } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisDrConfig } from '../../../../lib/config/index.js';
import { recoveryBucketName } from '../../../../lib/deployment.js';
import { exportObjectKey, exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import { formatSnapshotName } from '../../../../lambdas/domain/plans/naming.js';
import { OperatorClients } from '../../../../lambdas/jobs/kernel/clients.js';
import { storageS3Client } from '../../../../lambdas/adapters/aws/s3/client.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { planTarget, shardLocations } from '../../../../lambdas/jobs/serve/config-points.js';
import { keyHistoryOf } from '../../../../lambdas/jobs/serve/history.js';
import { servePoint } from '../../../../lambdas/jobs/serve/serve-point.js';
import { closedLoopbackPort } from '../../../support/closed-port.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { exampleConfig } from '../../../support/synth.js';

const ACCOUNT = '123456789012';
const T = [Date.UTC(2030, 10, 24, 3, 0), Date.UTC(2030, 10, 24, 4, 0), Date.UTC(2030, 10, 24, 5, 0)];
const point = (i: number, target = 'sessions-prod'): string => formatSnapshotName(target, new Date(T[i]!));

let moto: MotoS3;
let restoreCredentials: () => void;
let config: RedisDrConfig;
let dr: string;
const savedEnv: Record<string, string | undefined> = {};

/** The saved file of a redis-server after `fill`. */
async function rdbOf(fill: (c: Redis) => Promise<unknown>): Promise<Buffer> {
  const server = await startRedisServer();
  try {
    const c = server.client();
    await fill(c);
    await c.save();
    c.disconnect();
    return readFileSync(server.rdbPath);
  } finally {
    await server.stop();
  }
}

/** Puts shard `shard` of `shards` of the export of point `i` (of `target`) into the DR bucket, tagged as the export job tags it. */
async function putShard(i: number, shard: number, shards: number, body: Buffer, target?: string): Promise<void> {
  const key = exportObjectKey(point(i, target), shard);
  await moto.client.send(new PutObjectCommand({ Bucket: dr, Key: key, Body: body }));
  const tags = exportObjectTags({ tier: 'hourly', plan: 'sessions', snapshot: point(i, target), createdAt: new Date(T[i]!), shard, shards });
  await moto.client.send(
    new PutObjectTaggingCommand({ Bucket: dr, Key: key, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }),
  );
}

/** `target`'s point 0 whole (one shard) and point 1 of two shards; the key of point 1's shard 2 (the one a test deletes). */
async function putWholeAndTwoShardPoints(target: string): Promise<string> {
  await putShard(0, 1, 1, await rdbOf((c) => c.set('user:9', 'v0')), target);
  await putShard(1, 1, 2, await rdbOf((c) => c.set('user:9', 'v1')), target);
  await putShard(1, 2, 2, await rdbOf((c) => c.set('other', 'x')), target);
  return exportObjectKey(point(1, target), 2);
}

/** Deletes `key` from the DR bucket once a request of `aws`'s DR client has been answered and `after(command, input)` says now. */
function deleteAfter(aws: OperatorClients, key: string, after: (command: string, input: { Key?: string; Prefix?: string }) => boolean): void {
  aws.s3(config.dr.region).middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (after(context.commandName ?? '', args.input as { Key?: string; Prefix?: string }))
        await moto.client.send(new DeleteObjectCommand({ Bucket: dr, Key: key }));
      return out;
    },
    { step: 'initialize' },
  );
}

beforeAll(async () => {
  moto = await startMotoS3();
  restoreCredentials = useMotoCredentials();
  for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3']) savedEnv[k] = process.env[k];
  // localhost: the SDK addresses a named host by path only when told; the operator's clients are (adapters/aws/client-config.ts).
  process.env.AWS_ENDPOINT_URL = moto.endpoint.replace('127.0.0.1', 'localhost');
  process.env.AWS_ENDPOINT_URL_S3 = process.env.AWS_ENDPOINT_URL;
  config = { ...exampleConfig(), primary: { ...exampleConfig().primary, account: ACCOUNT } };
  dr = recoveryBucketName(config.name, ACCOUNT, config.dr.region);
  await moto.bucket(dr);
  // Point 0: two shards of a cluster, keys split between them.
  await putShard(0, 1, 2, await rdbOf((c) => c.pipeline().set('user:1', 'alice').hset('cart:1', 'apple', '1').exec()));
  await putShard(0, 2, 2, await rdbOf((c) => c.pipeline().set('user:2', 'bob').sadd('tags', 'a', 'b').exec()));
  // Point 1: one shard, user:1 changed and user:2 gone.
  await putShard(1, 1, 1, await rdbOf((c) => c.pipeline().set('user:1', 'alicia').hset('cart:1', 'apple', '1').exec()));
  // Point 2: shard 1 of 2 only (the export did not finish).
  await putShard(2, 1, 2, await rdbOf((c) => c.set('user:1', 'x')));
}, 90_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  restoreCredentials?.();
  await moto?.stop();
});

describe('serve -c <config> --point <snapshot>', () => {
  it('serves every shard of the copy as one keyspace', async () => {
    const aws = new OperatorClients(config);
    const serving = await servePoint({ kind: 'config', config, aws, point: point(0) }, { port: 0 });
    const c = new Redis({ port: serving.port, lazyConnect: true });
    try {
      expect(serving.point).toBe(point(0));
      expect(serving.location).toBe(`s3://${dr}/${exportObjectKey(point(0), 1)} (+1 shards)`);
      await c.connect();
      expect(await c.dbsize()).toBe(4);
      expect(await c.mget('user:1', 'user:2', 'nope')).toEqual(['alice', 'bob', null]);
      expect((await c.smembers('tags')).sort()).toEqual(['a', 'b']);
      expect(await c.hgetall('cart:1')).toEqual({ apple: '1' });
      await expect(c.set('user:1', 'z')).rejects.toThrow(/READONLY/);
    } finally {
      c.disconnect();
      await serving.close();
    }
  }, 30_000);

  it('names an unknown point, a malformed one and an incomplete copy, with the fix', async () => {
    const aws = new OperatorClients(config);
    const unknown = formatSnapshotName('sessions-prod', new Date(Date.UTC(2030, 0, 1, 0, 0)));
    await expect(servePoint({ kind: 'config', config, aws, point: unknown }, { port: 0 })).rejects.toThrow(
      new RegExp(`^--point ${unknown}: no \\.rdb copy found; redis-dr restore --target sessions-prod --list lists`),
    );
    await expect(servePoint({ kind: 'config', config, aws, point: 'yesterday' }, { port: 0 })).rejects.toThrow(
      /^--point yesterday is not a recovery point id: give a snapshot name such as rdr-<target>-/,
    );
    await expect(servePoint({ kind: 'config', config, aws, point: point(2) }, { port: 0 })).rejects.toThrow(UsageError);
    await expect(servePoint({ kind: 'config', config, aws, point: point(2) }, { port: 0 })).rejects.toThrow(
      /no usable \.rdb copy .*incomplete: shard\(s\) 0002 of 2 missing/,
    );
  }, 30_000);
});

describe('serve s3://<bucket>/<export name> (the location status and restore --list print)', () => {
  it('serves every shard of that export as one keyspace, as migrate --from-rdb reads it', async () => {
    const serving = await servePoint({ kind: 'file', location: `s3://${dr}/${point(0)}` }, { port: 0 });
    const c = new Redis({ port: serving.port, lazyConnect: true });
    try {
      await c.connect();
      expect(await c.dbsize()).toBe(4);
      expect(await c.mget('user:1', 'user:2')).toEqual(['alice', 'bob']);
    } finally {
      c.disconnect();
      await serving.close();
    }
  }, 30_000);

  it('names a bucket that is not there as no such bucket (not no such object), with the fix, for a file and an export name', async () => {
    const missing = 'no-such-bucket-redis-dr';
    for (const location of [`s3://${missing}/${point(0)}-0001.rdb`, `s3://${missing}/${point(0)}`]) {
      const err = await servePoint({ kind: 'file', location }, { port: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect([location, (err as Error).message]).toEqual([
        location,
        expect.stringMatching(
          new RegExp(`^cannot (read|list) s3://${missing}/\\S*: no such bucket ${missing}: check the bucket name \\(aws s3 ls lists yours\\)`),
        ),
      ]);
    }
    const err = await servePoint({ kind: 'file', location: `s3://${dr}/nope.rdb` }, { port: 0 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`cannot read s3://${dr}/nope.rdb: no such object`);
  }, 30_000);

  it('an S3 endpoint that refuses the connection: its words and fix, as verify-rdb gives them (rev37: the bare ECONNREFUSED)', async () => {
    const port = await closedLoopbackPort();
    const location = `s3://${dr}/${point(1)}.rdb`;
    const err = await servePoint({ kind: 'file', location, s3Endpoint: `http://127.0.0.1:${port}` }, { port: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `cannot read ${location}: 127.0.0.1:${port} refused the connection (ECONNREFUSED): nothing listens there: check the endpoint URL (--s3-endpoint, AWS_ENDPOINT_URL*, a proxy) and that the service runs there`,
    );
  }, 30_000);

  it('refuses an export with a shard missing, naming it, before listening', async () => {
    await expect(servePoint({ kind: 'file', location: `s3://${dr}/${point(2)}` }, { port: 0 })).rejects.toThrow(UsageError);
    await expect(servePoint({ kind: 'file', location: `s3://${dr}/${point(2)}` }, { port: 0 })).rejects.toThrow(/has 2 shards; shard 2 is missing/);
  }, 30_000);
});

describe('history -c <config> --plan <name>', () => {
  it("walks the plan's points, oldest first, and names the one without a usable copy as a hole", async () => {
    const aws = new OperatorClients(config);
    const plan = config.plans.find((p) => p.name === 'sessions')!;
    const r = await keyHistoryOf({ plan: { config, aws, plan }, target: 'sessions-prod', key: Buffer.from('user:2') });
    expect(r.target).toBe('sessions-prod');
    expect(r.rows!.map((x) => [x.point, x.exists, x.change])).toEqual([
      [point(0), true, 'first'],
      [point(1), false, 'vanished'],
    ]);
    expect(r.unreadable).toEqual([{ point: point(2), why: expect.stringMatching(/incomplete: shard\(s\) 0002 of 2 missing/) }]);
    const changed = await keyHistoryOf({ plan: { config, aws, plan }, target: 'sessions-prod', match: 'user:*' });
    expect(changed.changes!.map((c) => [c.point, c.change, c.key.toString()])).toEqual([
      [point(1), 'changed', 'user:1'],
      [point(1), 'vanished', 'user:2'],
    ]);
  }, 60_000);

  it('refuses at the read a copy whose shard is gone since it was listed complete, so its keys are never read as absent', async () => {
    // Point 2's copy lacks shard 2: what a copy chosen complete looks like once a shard was deleted before the read.
    await expect(shardLocations(`s3://${dr}/${point(2)}`)).rejects.toThrow(UsageError);
    await expect(shardLocations(`s3://${dr}/${point(2)}`)).rejects.toThrow(new RegExp(`^s3://${dr}/${point(2)}: not read: .*has 2 shards; shard 2 is missing`));
    expect(await shardLocations(`s3://${dr}/${point(0)}`)).toEqual([1, 2].map((n) => `s3://${dr}/${exportObjectKey(point(0), n)}`));
  }, 30_000);

  it('names a point whose shard went between the listing and the read as a hole, and reads the other points (aud35)', async () => {
    // sessions-edge: point 0 whole (one shard), point 1 of two shards, shard 2 deleted once the listing has read both shards
    // (each shard's tags and, for its verdict, its current version: HeadObject; the two go out together, so the deletion
    // waits for all four, else a HEAD still on its way finds shard 2 gone and the listing, not the read, names the hole).
    const gone = await putWholeAndTwoShardPoints('sessions-edge');
    const aws = new OperatorClients(config);
    const shards = [1, 2].map((n) => exportObjectKey(point(1, 'sessions-edge'), n));
    const listingReads = new Set<string>();
    deleteAfter(aws, gone, (command, input) => {
      if (!['GetObjectTaggingCommand', 'HeadObjectCommand'].includes(command) || !shards.includes(input.Key ?? '')) return false;
      listingReads.add(`${command} ${input.Key}`);
      return listingReads.size === 4;
    });
    const plan = config.plans.find((p) => p.name === 'sessions')!;
    const r = await keyHistoryOf({ plan: { config, aws, plan }, target: 'sessions-edge', key: Buffer.from('user:9') });
    expect(listingReads.size).toBe(4);
    expect(r.rows!.map((x) => [x.point, x.exists, x.change])).toEqual([[point(0, 'sessions-edge'), true, 'first']]);
    expect(r.unreadable).toEqual([{ point: point(1, 'sessions-edge'), why: expect.stringMatching(/: not read: .*has 2 shards; shard 2 is missing/) }]);
  }, 60_000);

  it('names a point whose shard went between the listing and its tag read as incomplete, not its bucket as unreadable', async () => {
    // sessions-late: point 0 whole, point 1 of two shards, shard 2 deleted as soon as the listing has named it.
    const gone = await putWholeAndTwoShardPoints('sessions-late');
    const late = {
      ...config,
      plans: config.plans.map((p) =>
        p.name === 'sessions' ? { ...p, targets: { ...p.targets, replicationGroupIds: [...p.targets.replicationGroupIds, 'sessions-late'] } } : p,
      ),
    };
    const aws = new OperatorClients(late);
    let listings = 0;
    deleteAfter(aws, gone, (command, input) => command === 'ListObjectsV2Command' && (input.Prefix ?? '').startsWith('rdr-sessions-late-') && ++listings === 1);
    const plan = late.plans.find((p) => p.name === 'sessions')!;
    const r = await keyHistoryOf({ plan: { config: late, aws, plan }, target: 'sessions-late', key: Buffer.from('user:9') });
    expect(listings).toBe(1);
    expect(r.rows!.map((x) => [x.point, x.exists, x.change])).toEqual([[point(0, 'sessions-late'), true, 'first']]);
    expect(r.unreadable).toEqual([
      { point: point(1, 'sessions-late'), why: expect.stringMatching(/no usable \.rdb copy \(.*: incomplete: shard\(s\) 0002 deleted since the listing\)$/) },
    ]);
  }, 60_000);

  it('names a point whose read S3 failed for good as a hole, and reads the other points (aud35: the whole history stopped on it)', async () => {
    // Point 0's shard 2: every GetObject of it fails as S3 answers (a 500 InternalError), so the ranged reader's retries end on it, at the
    // client that reads s3:// points (one per endpoint, shared: adapters/aws/s3/client.ts storageS3Client).
    const failing = exportObjectKey(point(0), 2);
    const reader = storageS3Client({ concurrency: 8 });
    let failed = 0;
    reader.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'GetObjectCommand' || (args.input as { Key?: string }).Key !== failing) return next(args);
        failed++;
        throw new S3ServiceException({
          name: 'InternalError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500, attempts: 3 },
          message: 'We encountered an internal error. Please try again.',
        });
      },
      { step: 'initialize', name: 'failGetOfShard' },
    );
    try {
      const aws = new OperatorClients(config);
      const plan = config.plans.find((p) => p.name === 'sessions')!;
      const r = await keyHistoryOf({ plan: { config, aws, plan }, target: 'sessions-prod', key: Buffer.from('user:1') });
      expect(failed).toBeGreaterThan(0);
      expect(r.rows!.map((x) => [x.point, x.exists, x.change])).toEqual([[point(1), true, 'first']]);
      expect(r.unreadable).toEqual([
        {
          point: point(0),
          why: expect.stringMatching(
            new RegExp(
              `^S3 failed for good: reading s3://${dr}/${failing} bytes \\d+-\\d+ failed after 3 attempts: InternalError: We encountered an internal error\\. Please try again\\.$`,
            ),
          ),
        },
        { point: point(2), why: expect.stringMatching(/incomplete: shard\(s\) 0002 of 2 missing/) },
      ]);
    } finally {
      reader.middlewareStack.remove('failGetOfShard');
    }
  }, 60_000);

  it('asks which target of a plan of several, and refuses one the plan does not back up', () => {
    const plan = config.plans.find((p) => p.name === 'sessions')!;
    expect(() => planTarget(plan, undefined)).toThrow(/^plan sessions backs up sessions-prod, sessions-edge: name the one to follow with --target$/);
    expect(() => planTarget(plan, 'orders')).toThrow(/^--target orders: plan sessions does not back it up; its targets: sessions-prod, sessions-edge$/);
    expect(planTarget(plan, 'Sessions-Prod')).toBe('sessions-prod');
    const byTags = config.plans.find((p) => p.name === 'queues')!;
    expect(() => planTarget(byTags, undefined)).toThrow(/selects its targets at run time \(caches tagged [^)]+\): name the one to follow with --target/);
    expect(planTarget(byTags, 'queues-1')).toBe('queues-1');
    // A plan of the caches without a tag: any cache may be one of its targets, so any is followed when named.
    const untagged = { ...plan, targets: { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: {}, selectWithoutTag: 'redis-dr:tier' } };
    expect(() => planTarget(untagged, undefined)).toThrow(
      /^plan sessions selects its targets at run time \(caches without a redis-dr:tier tag\): name the one/,
    );
    expect(planTarget(untagged, 'Orders')).toBe('orders');
  });
});
