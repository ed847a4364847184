import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { migrateRdbJson, runMigrateRdb } from '../../../../cli/commands/migrate/rdb-action.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { populate } from '../../../support/rdb-dataset.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { awsError } from '../../../support/fakes.js';
import { serveObject } from '../../../support/s3-object-mock.js';

describe('migrate --from-rdb s3://… (ranged GETs through a mocked S3 with streaming bodies)', () => {
  const s3 = mockClient(S3Client);
  let source: RedisServer;
  let target: RedisServer;
  let dst: Redis;
  let file: Buffer;
  const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedisServer({ args: ['--enable-debug-command', 'yes'] }), startRedisServer()]);
    await populate(source.client());
    file = readFileSync(await bgsave(source, source.client()));
    dst = target.client();
    Object.assign(process.env, env);
  });
  afterAll(async () => {
    for (const name of Object.keys(env)) delete process.env[name];
    s3.restore();
    await Promise.all([source?.stop(), target?.stop()]);
  });
  beforeEach(async () => dst.flushall());
  afterEach(() => s3.reset());

  it('restores the object, read twice (verify, then restore) in 4 KiB parts pinned to one ETag: compare equal', async () => {
    const server = serveObject(s3, { bytes: file, etag: '"v1"', tags: {} });
    // Database 0 alone: the source's client is on it (the file's others, every one by default, are tested in migrate-rdb-databases).
    const o = { fromRdb: ['s3://bucket/snap-0001.rdb'], to: target.url, readPartBytes: 4096, databases: [{ from: 0, to: 0 }] };
    const run = await runMigrateRdb(o, {});
    expect(run.result).toMatchObject({ error: undefined, failed: 0 });
    expect(migrateRdbJson(run, o)).toMatchObject({ ok: true, error: null });
    expect(run.result.copied).toBe(await source.client().dbsize());
    expect(server.ranges.length).toBe(2 * Math.ceil(file.length / 4096));
    expect((await compareClients(source.client(), dst, { ttlToleranceMs: 0 })).equal).toBe(true);
  });

  it('an object replaced after its verification is not mixed in: the restore stops at its first read, nothing written', async () => {
    const server = serveObject(s3, { bytes: file, etag: '"v1"', tags: {} });
    const parts = Math.ceil(file.length / 4096);
    server.fault = () => {
      if (server.ranges.length === parts + 1) Object.assign(server.object, { bytes: Buffer.from(file).fill(0, 9, 20), etag: '"v2"' });
    };
    const o = { fromRdb: ['s3://bucket/snap-0001.rdb'], to: target.url, readPartBytes: 4096 };
    const run = await runMigrateRdb(o, {});
    expect(run.result.error).toMatch(/^cannot read s3:\/\/bucket\/snap-0001\.rdb to its end: /);
    // A failure of the run, not a refused file: code failed.
    expect(migrateRdbJson(run, o)).toMatchObject({
      ok: false,
      error: { code: 'failed', message: run.result.error, fix: expect.stringContaining('run it again') },
    });
    expect(run.result.copied).toBe(0);
    expect(await dst.dbsize()).toBe(0);
  });

  it("restores an object in Valkey's compressed envelope (rdbcompression lz4): both reads decompress it; a damaged block writes nothing", async () => {
    const frame = execFileSync('lz4', ['-c', '-q', '-B4', '-BI', '-BX', '--no-frame-crc'], { input: file });
    const enveloped = Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]);
    serveObject(s3, { bytes: enveloped, etag: '"v1"', tags: {} });
    const run = await runMigrateRdb(
      { fromRdb: ['s3://bucket/snap-0001.rdb'], to: target.url, readPartBytes: 4096, verify: true, databases: [{ from: 0, to: 0 }] },
      {},
    );
    expect(run.result).toMatchObject({ error: undefined, failed: 0 });
    expect(run.result.copied).toBe(await source.client().dbsize());
    expect((await compareClients(source.client(), dst, { ttlToleranceMs: 0 })).equal).toBe(true);

    await dst.flushall();
    s3.reset();
    enveloped[8 + 7 + 4 + 10]! ^= 0x40;
    serveObject(s3, { bytes: enveloped, etag: '"v1"', tags: {} });
    const bad = await runMigrateRdb({ fromRdb: ['s3://bucket/snap-0001.rdb'], to: target.url, readPartBytes: 4096 }, {});
    expect(bad.result.error).toMatch(/LZ4 block checksum mismatch/);
    expect(bad.result.copied).toBe(0);
    expect(await dst.dbsize()).toBe(0);
  });

  it('a corrupt object is refused before anything is written', async () => {
    const bad = Buffer.from(file);
    bad[Math.floor(bad.length / 2)]! ^= 0x40;
    serveObject(s3, { bytes: bad, etag: '"v1"', tags: {} });
    const o = { fromRdb: ['s3://bucket/snap-0001.rdb'], to: target.url, readPartBytes: 4096 };
    const run = await runMigrateRdb(o, {});
    expect(run.result.error).toMatch(/^the file is refused, nothing was written: /);
    // --json: as every command's failure is (docs/cli.md), with the fix; the run's error was a bare string, and there was no ok.
    expect(migrateRdbJson(run, o)).toMatchObject({
      ok: false,
      error: { code: 'refused', message: run.result.error, fix: expect.stringContaining('verify-rdb') },
    });
    expect(await dst.dbsize()).toBe(0);
  });

  it('a key without .rdb that names no export is read as one object; one that is no RDB file is refused, nothing written', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    serveObject(s3, { bytes: Buffer.from('{"not":"an rdb"}\n'), etag: '"v1"', tags: {} });
    const run = await runMigrateRdb({ fromRdb: ['s3://bucket/backups/latest'], to: target.url }, {});
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({ Prefix: 'backups/latest-' });
    expect(run.result.files.map((f) => f.location)).toEqual(['s3://bucket/backups/latest']);
    expect(run.result.error).toMatch(/^the file is refused, nothing was written: .*not an RDB file/);
    expect(await dst.dbsize()).toBe(0);
  });

  it('a read error midway through the second read: the run stops there, the counts are what the target holds', async () => {
    const server = serveObject(s3, { bytes: file, etag: '"v1"', tags: {} });
    // 1 KiB parts and batches of one key: the failing range is the first one after database 0's first key
    // ends, wherever the server put its keys (its order changes with each server's hash seed; with 4 KiB
    // parts and a batch of 5, the 5th key once ended in the file's last part, and no later range could fail).
    const part = 1024;
    const parts = Math.ceil(file.length / part);
    const first = new RdbKeyReader({ want: (db) => db === 0 }).push(file)[0]!;
    const failing = Math.ceil(first.end / part) * part;
    expect(failing).toBeLessThan(file.length);
    server.fault = (first) => {
      // The second read only, that range every time it is asked (the SDK retries a 500).
      if (server.ranges.length > parts && first === failing) throw awsError('InternalError', 'We encountered an internal error. Please try again.', 500);
    };
    const run = await runMigrateRdb({ fromRdb: ['s3://bucket/snap-0001.rdb'], to: target.url, readPartBytes: part, batchSize: 1, checkBlockBytes: part }, {});
    expect(run.result.error).toMatch(/^cannot read s3:\/\/bucket\/snap-0001\.rdb to its end: .*InternalError/);
    expect(run.result.copied).toBeGreaterThan(0);
    expect(run.result.copied).toBe(await dst.dbsize());
  });
});
