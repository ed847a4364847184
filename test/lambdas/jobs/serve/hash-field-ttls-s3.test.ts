/**
 * Hashes with field TTLs served from an S3 copy (moto) answer as the same
 * file served from disk does (hash-field-ttls.test.ts holds those answers to
 * Redis 7.4's semantics): a hash whose fields have all expired is gone for
 * EXISTS, TYPE, SCAN, KEYS, DBSIZE and INFO keyspace. The copy's values are
 * not read at start (its key index beside it is): a hash is read when a
 * command meets it, and DBSIZE reads the database's at its first call.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { S3BackupStore } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import { BackupKeyIndex } from '../../../../lambdas/jobs/self-managed/backup-key-index.js';
import { requestsAfter, requestsSoFar } from '../../../support/moto.js';
import { serveOverMoto } from '../../../support/serve-moto.js';
import { expiredFieldKeys, frameFile } from '../../../support/rdb-newer.js';

const NOW = Date.now();
const served = serveOverMoto('redis-dr-serve-fttl-s3-');
const client = (location: string) => served.client(location, { now: () => NOW });

/** The file of `fork`: a plain string, the hashes of expiredFieldKeys, and a hash in database 1 whose fields all expired. */
function fileOf(magic: string, fork: 'redis' | 'valkey'): Buffer {
  const plain = { db: 0, name: 'plain', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null };
  const keys = expiredFieldKeys(fork, NOW);
  const gone = keys.find((k) => k.name.endsWith(':allgone'))!;
  const aux: Record<string, string> = fork === 'valkey' ? { 'valkey-ver': '9.0.0' } : {};
  return frameFile(magic, [plain, ...keys, { ...gone, db: 1, name: 'db1:allgone' }, { ...plain, db: 1 }], [], aux);
}

/** Each command's raw reply (an error as its text). */
async function replies(c: Redis, commands: readonly string[][]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [name, ...args] of commands) out.push(await c.call(name!, ...args).catch((e: Error) => `error: ${e.message}`));
  return out;
}

describe.each([
  ['REDIS0012', 'redis', 'v12'],
  ['VALKEY080', 'valkey', 'v9'],
] as const)('an S3 copy of %s with hashes whose fields all expired', (magic, fork, p) => {
  const gone = `${p}:allgone`;
  const commands = [
    ['EXISTS', gone, `${p}:mixed`, 'plain'],
    ['TYPE', gone],
    ['TYPE', `${p}:mixed`],
    ['HGETALL', gone],
    ['SCAN', '0', 'COUNT', '100'],
    ['KEYS', '*'],
    ['DBSIZE'],
    ['INFO', 'keyspace'],
    ['SELECT', '1'],
    ['EXISTS', 'db1:allgone'],
    ['SCAN', '0', 'COUNT', '1'],
    ['SCAN', '1', 'COUNT', '1'],
    ['DBSIZE'],
  ];

  it('answers as the file served from disk: the hash is gone for EXISTS, TYPE, SCAN, KEYS, DBSIZE and INFO keyspace', async () => {
    const rdb = fileOf(magic, fork);
    const path = join(served.dir, `${fork}.rdb`);
    writeFileSync(path, rdb);
    const name = `${fork}/indexed.rdb`;
    const stored = await served.moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: name, Body: rdb }));
    const builder = new BackupKeyIndex(`s3://backups/${name}`);
    builder.pushVerified(rdb);
    await builder.write(new S3BackupStore(served.moto.newClient(), 'backups', `${fork}/`), 'indexed.rdb', { etag: stored.ETag });
    await served.moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `${fork}/whole.rdb`, Body: rdb }));

    const local = await client(path);
    const expected = await replies(local.c, commands);
    // What Redis 7.4 answers (hash-field-ttls.test.ts holds the local answers to it): the hash gone, in both databases.
    expect(expected.slice(0, 4)).toEqual([2, 'none', 'hash', []]);
    expect(expected[9]).toBe(0);
    expect(expected[12]).toBe(1);

    const before = await requestsSoFar(served.moto);
    const indexed = await client(`s3://backups/${name}`);
    // The copy is not read at start: its HeadObject and CRC-64 trailer only (the index says where each key lies).
    const opening = (await requestsAfter(served.moto, before)).filter((r) => r.includes(`/${name} `));
    expect(opening).toEqual([`HEAD /backups/${name} HTTP/1.1 200`, `GET /backups/${name} HTTP/1.1 206`]);
    expect(indexed.s.notes[0]).toContain('its key index');
    expect(indexed.s.hashesUncounted).toBe(true);
    expect(await replies(indexed.c, commands)).toEqual(expected);

    // Read whole (no index beside it): the index is built in memory, the values still read from S3 as met.
    const whole = await client(`s3://backups/${fork}/whole.rdb`);
    expect(whole.s.notes[0]).toContain('read whole');
    expect(await replies(whole.c, commands)).toEqual(expected);
  });

  it('counts the hash gone in DBSIZE and INFO keyspace asked first, before any command met it', async () => {
    const { c } = await client(`s3://backups/${fork}/indexed.rdb`);
    const dbsize = fork === 'redis' ? 4 : 3;
    expect(await c.call('INFO', 'keyspace')).toBe(`# Keyspace\r\ndb0:keys=${dbsize},expires=0,avg_ttl=0\r\ndb1:keys=1,expires=0,avg_ttl=0\r\n`);
    expect(await c.dbsize()).toBe(dbsize);
    expect(await c.exists(gone)).toBe(0);
  });
});
