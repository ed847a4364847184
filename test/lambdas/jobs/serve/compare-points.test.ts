import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FoundProblem } from '../../../../lambdas/jobs/kernel/found-problem.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { comparePoints, isServerUrl, notComparedOf } from '../../../../lambdas/jobs/serve/compare-points.js';
import { startMotoS3, type MotoS3, useMotoEndpoint } from '../../../support/moto.js';
import { populate } from '../../../support/rdb-dataset.js';
import { frameFile, keyMetadata, keysOf } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/**
 * Issue 55 item 3: `compare` with an RDB file (local or s3://) on either
 * side: a backup written by a real redis-server 7.0 against that live
 * server, against itself under a newer RDB header, and against a changed
 * server; served for the run and closed after it.
 */
describe('comparePoints: an RDB file as either side', () => {
  let server: RedisServer;
  let c: Redis;
  let moto: MotoS3;
  let restore: () => void;
  let dir: string;
  let file: string;
  let v11: string;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    c = server.client();
    await populate(c);
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-compare-points-'));
    file = join(dir, 'dump.rdb');
    const bytes = readFileSync(await bgsave(server, c));
    writeFileSync(file, bytes);
    // The same keys under RDB 11's header (the encodings of 7.0 are RDB 11's): other bytes, the same data.
    const { keys, functions } = keysOf(bytes);
    v11 = join(dir, 'v11.rdb');
    writeFileSync(v11, frameFile('REDIS0011', keys, functions));
    moto = await startMotoS3();
    await moto.bucket('points');
    restore = useMotoEndpoint(moto);
    await moto.client.send(new PutObjectCommand({ Bucket: 'points', Key: 'backups/dump.rdb', Body: bytes }));
  }, 60_000);
  afterAll(async () => {
    restore?.();
    await Promise.all([server?.stop(), moto?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tells a server URL from a file', () => {
    expect(isServerUrl('redis://h:1/0')).toBe(true);
    expect(isServerUrl('REDISS://h')).toBe(true);
    expect(isServerUrl('s3://b/k.rdb')).toBe(false);
    expect(isServerUrl('./dump.rdb')).toBe(false);
  });

  it('a backup against the server that wrote it, the file both ways, against its RDB 11 copy and from S3: EQUAL, every database', async () => {
    const back = await startRedisServer({ loadRdb: file });
    try {
      for (const [a, b] of [
        [file, back.url],
        [back.url, file],
        [file, v11],
        ['s3://points/backups/dump.rdb', back.url],
      ] as const) {
        const r = await comparePoints({ a, b, ttlToleranceMs: 0 });
        expect(r.diffs, `${a} vs ${b}`).toEqual([]);
        expect(r.equal, `${a} vs ${b}`).toBe(true);
        expect(r.keysA).toBeGreaterThan(10);
        expect(r.databases.length).toBeGreaterThan(1);
      }
    } finally {
      await back.stop();
    }
  }, 120_000);

  it('negative: a changed value, a deleted key and a key more on the server are found, named, not equal', async () => {
    const back = await startRedisServer({ loadRdb: file });
    try {
      const b = back.client();
      const [victim, gone] = (await b.keys('*')).sort();
      await b.set('only-on-server', 'x');
      await b.del(gone!);
      const type = await b.type(victim!);
      if (type === 'string') await b.append(victim!, '!');
      else await b.del(victim!);
      const r = await comparePoints({ a: file, b: back.url, ttlToleranceMs: 0 });
      expect(r.equal).toBe(false);
      expect(r.differences).toBe(3);
      expect(r.diffs.map((d) => d.key.toString()).sort()).toEqual([victim, gone, 'only-on-server'].sort());
    } finally {
      await back.stop();
    }
  }, 60_000);

  it('a file whose keys carry Redis 8.6 key metadata: the values compared EQUAL, the metadata named under not compared, per class (left34 gap 5)', async () => {
    const back = await startRedisServer({ loadRdb: file });
    try {
      const { keys, functions } = keysOf(readFileSync(file));
      // One key of a class a server without its module refuses (ATTR), two of an ignorable one (BLES).
      const classes: (readonly [string, boolean] | undefined)[] = [
        ['ATTR', false],
        ['BLES', true],
        ['BLES', true],
      ];
      const meta = join(dir, 'meta.rdb');
      writeFileSync(
        meta,
        frameFile(
          'REDIS0013',
          keys.map((k, i) => (classes[i] ? { ...k, meta: keyMetadata(classes[i][0], classes[i][1]) } : k)),
          functions,
        ),
      );
      const r = await comparePoints({ a: meta, b: back.url, ttlToleranceMs: 0 });
      expect(r.equal).toBe(true);
      expect(r.notCompared).toEqual([
        `A (${meta}) holds 1 function library and Redis 8.6 key metadata of classes ATTR (1 key), BLES (2 keys) (the keys' values are compared, not their metadata), which compare does not compare (it compares keys): the other side may lack them`,
      ]);
    } finally {
      await back.stop();
    }
  }, 60_000);

  it('negative: a corrupt file (a problem found), a missing file or credentials for a file side (usage) are refused before any comparison', async () => {
    const bad = join(dir, 'bad.rdb');
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(bad, bytes);
    await expect(comparePoints({ a: bad, b: server.url })).rejects.toThrow(FoundProblem);
    await expect(comparePoints({ a: join(dir, 'none.rdb'), b: server.url })).rejects.toThrow(UsageError);
    await expect(comparePoints({ a: file, b: server.url, specA: { credentials: { password: 'p', source: '--a-secret' } } })).rejects.toThrow(
      /is a file: it takes no credentials \(--a-secret\)/,
    );
  }, 60_000);
});

describe('notComparedOf: what a file side holds besides its keys', () => {
  it('a server side and a file holding neither: nothing said', () => {
    expect(notComparedOf('A', 'redis://h:6379', undefined)).toBeUndefined();
    expect(notComparedOf('A', 'f.rdb', { besidesKeys: { functionLibraries: 0, moduleAux: [] } })).toBeUndefined();
  });

  it('libraries and AUX data named; a shard opened unread from an index that does not keep them: not known, said so', () => {
    expect(notComparedOf('B', 'f.rdb', { besidesKeys: { functionLibraries: 2, moduleAux: ['ft-index'] } })).toBe(
      'B (f.rdb) holds 2 function libraries and module AUX data of ft-index, which compare does not compare (it compares keys): the other side may lack them',
    );
    // The other side a file read whole: what it holds of the same is said, not "may lack them" (review 45: B held none).
    expect(
      notComparedOf('A', 'f.rdb', { besidesKeys: { functionLibraries: 1, moduleAux: [] } }, { besidesKeys: { functionLibraries: 0, moduleAux: [] } }),
    ).toBe('A (f.rdb) holds 1 function library, which compare does not compare (it compares keys): B holds 0 function libraries');
    expect(
      notComparedOf('B', 'g.rdb', { besidesKeys: { functionLibraries: 2, moduleAux: ['ft-index'] } }, { besidesKeys: { functionLibraries: 2, moduleAux: [] } }),
    ).toBe(
      'B (g.rdb) holds 2 function libraries and module AUX data of ft-index, which compare does not compare (it compares keys): A holds 2 function libraries and no module AUX data',
    );
    expect(notComparedOf('A', 's3://b/k.rdb', {})).toBe(
      'A (s3://b/k.rdb): whether it holds function libraries, module AUX data or key metadata is not known (a shard was opened from a key index written before indexes kept it, not read whole): compare compares keys only',
    );
  });
});
