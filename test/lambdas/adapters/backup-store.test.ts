import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBackupStore, parseDestination, type BackupRecord } from '../../../lambdas/adapters/backup-store';
import { S3BackupStore } from '../../../lambdas/adapters/backup-store-s3';
import { awsError } from '../../support/fakes';

const record = (): BackupRecord => ({ tier: 'daily', target: 'cache', createdAt: '2026-11-23T04:00:00.000Z', keys: 3, rdbVersion: 10 });
async function* chunks(...parts: (string | Error)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) {
    if (p instanceof Error) throw p;
    yield Buffer.from(p);
  }
}
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('parseDestination', () => {
  it.each([
    ['file:///var/backups/redis/', { kind: 'file', dir: '/var/backups/redis' }],
    ['file:///', { kind: 'file', dir: '/' }],
    ['s3://my-bucket', { kind: 's3', bucket: 'my-bucket', prefix: '' }],
    ['s3://my-bucket/redis/prod', { kind: 's3', bucket: 'my-bucket', prefix: 'redis/prod/' }],
  ])('%s', (url, parsed) => expect(parseDestination(url)).toEqual(parsed));
  it.each(['/var/backups', 'file://relative/dir', 's3://', 'https://bucket/x'])('refuses %s', (url) => expect(parseDestination(url)).toBeUndefined());
});

describe('FileBackupStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the file with a sha256sum sidecar and the record, and lists it with its tier', async () => {
    const store = new FileBackupStore(dir);
    const w = await store.write('rdr-cache-20261123-0400.rdb', chunks('REDIS', '0010-bytes'), record, () => undefined);
    expect(w).toEqual({ bytes: 15, sha256: sha('REDIS0010-bytes'), location: `file://${dir}/rdr-cache-20261123-0400.rdb` });
    expect(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb'), 'utf8')).toBe('REDIS0010-bytes');
    expect(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb.sha256'), 'utf8')).toBe(`${sha('REDIS0010-bytes')}  rdr-cache-20261123-0400.rdb\n`);
    expect(JSON.parse(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb.json'), 'utf8'))).toMatchObject({ ...record(), sha256: w.sha256, bytes: 15 });
    writeFileSync(join(dir, 'foreign.rdb'), 'x');
    expect((await store.list()).sort((a, b) => a.file.localeCompare(b.file))).toEqual([
      { file: 'foreign.rdb', size: 1 },
      { file: 'rdr-cache-20261123-0400.rdb', size: 15, tier: 'daily' },
    ]);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('leaves nothing when the bytes are judged bad at the end (commit throws)', async () => {
    const store = new FileBackupStore(dir);
    await expect(
      store.write('rdr-cache-20261123-0400.rdb', chunks('REDIS'), record, () => {
        throw new Error('the RDB failed verification');
      }),
    ).rejects.toThrow(/write failed: the RDB failed verification/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves nothing when the source fails mid-way', async () => {
    const store = new FileBackupStore(dir);
    await expect(store.write('rdr-cache-20261123-0400.rdb', chunks('REDIS', new Error('connection reset')), record, () => undefined)).rejects.toThrow(
      `file://${dir}: write failed: connection reset`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never replaces a file already there', async () => {
    writeFileSync(join(dir, 'rdr-cache-20261123-0400.rdb'), 'earlier');
    const store = new FileBackupStore(dir);
    await expect(store.write('rdr-cache-20261123-0400.rdb', chunks('new'), record, () => undefined)).rejects.toThrow(/appeared .* not replaced/);
    expect(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb'), 'utf8')).toBe('earlier');
    expect(readdirSync(dir)).toEqual(['rdr-cache-20261123-0400.rdb']);
  });

  it('never touches another run\'s files: a record already there fails this run, which removes only what it created', async () => {
    const store = new FileBackupStore(dir);
    await store.write('rdr-cache-20261123-0400.rdb', chunks('first'), record, () => undefined);
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    // A second run of the same minute whose backup name is free but whose record name is taken (a leftover).
    writeFileSync(join(dir, 'rdr-cache-20261123-0500.rdb.json'), '{"tier":"hourly"}');
    await expect(store.write('rdr-cache-20261123-0500.rdb', chunks('second'), record, () => undefined)).rejects.toThrow(/rdr-cache-20261123-0500\.rdb\.json appeared .* not replaced/);
    // Its own backup went with it (a backup without its record would never be managed); nothing else changed.
    const after = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect(after).toEqual({ ...before, 'rdr-cache-20261123-0500.rdb.json': '{"tier":"hourly"}' });
  });

  it('sweeps the temporary files of runs that died, never those of a live one', async () => {
    const dead = join(dir, '.rdr-cache-20261123-0300.rdb.partial-999999999-1');
    const live = join(dir, `.rdr-cache-20261123-0300.rdb.partial-${process.ppid}-1`);
    writeFileSync(dead, 'half a backup');
    writeFileSync(live, 'a backup being written');
    await new FileBackupStore(dir).write('rdr-cache-20261123-0400.rdb', chunks('x'), record, () => undefined);
    const names = readdirSync(dir);
    expect(names).not.toContain('.rdr-cache-20261123-0300.rdb.partial-999999999-1');
    expect(names).toContain(`.rdr-cache-20261123-0300.rdb.partial-${process.ppid}-1`);
  });

  it('names the destination when it cannot be written (a path under a file)', async () => {
    writeFileSync(join(dir, 'plain-file'), 'x');
    const store = new FileBackupStore(join(dir, 'plain-file', 'sub'));
    await expect(store.write('rdr-cache-20261123-0400.rdb', chunks('x'), record, () => undefined)).rejects.toThrow(`file://${dir}/plain-file/sub: write failed`);
  });

  it('removes a backup with its sidecars, and an empty or missing folder lists nothing', async () => {
    const store = new FileBackupStore(dir);
    await store.write('rdr-cache-20261123-0400.rdb', chunks('x'), record, () => undefined);
    await store.remove('rdr-cache-20261123-0400.rdb');
    expect(readdirSync(dir)).toEqual([]);
    expect(await new FileBackupStore(join(dir, 'missing')).list()).toEqual([]);
  });
});

describe('S3BackupStore (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const store = () => new S3BackupStore(new S3Client({ region: 'eu-west-1' }), 'bucket', 'redis/', { partBytes: 5 * 1024 * 1024, queueSize: 2 });

  it('uploads with SHA-256 checksums and the record as tags set with the object', async () => {
    s3.on(PutObjectCommand).resolves({});
    const w = await store().write('rdr-cache-20261123-0400.rdb', chunks('REDIS', '0010'), record, () => undefined);
    expect(w).toEqual({ bytes: 9, sha256: sha('REDIS0010'), location: 's3://bucket/redis/rdr-cache-20261123-0400.rdb' });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'bucket', Key: 'redis/rdr-cache-20261123-0400.rdb', ChecksumAlgorithm: 'SHA256', IfNoneMatch: '*' });
    expect(Object.fromEntries(new URLSearchParams(put.Tagging))).toEqual({
      'redis-dr:managed': 'true',
      'redis-dr:tier': 'daily',
      'redis-dr:source': 'cache',
      'redis-dr:created': '2026-11-23T04:00:00.000Z',
    });
  });

  it('never completes an upload whose bytes were judged bad: a large one is aborted, a small one never sent', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    const big = Buffer.alloc(6 * 1024 * 1024, 1).toString('latin1');
    const bad = () => {
      throw new Error('the RDB failed verification');
    };
    await expect(store().write('rdr-cache-20261123-0400.rdb', chunks(big, big), record, bad)).rejects.toThrow(/upload failed: the RDB failed verification/);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    s3.reset();
    await expect(store().write('rdr-cache-20261123-0400.rdb', chunks('REDIS'), record, bad)).rejects.toThrow(/verification/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('never replaces a key already there (If-None-Match refused: 412)', async () => {
    s3.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412));
    await expect(store().write('rdr-cache-20261123-0400.rdb', chunks('REDIS'), record, () => undefined)).rejects.toThrow(
      's3://bucket/redis/: rdr-cache-20261123-0400.rdb appeared while this backup was uploaded: not replaced',
    );
  });

  it('lists .rdb objects of the prefix with the tier only where redis-dr tagged them managed', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'redis/rdr-cache-20261123-0400.rdb', Size: 9 },
        { Key: 'redis/notes.txt', Size: 1 },
        { Key: 'redis/sub/rdr-cache-20261123-0300.rdb', Size: 1 },
        { Key: 'redis/rdr-cache-20261123-0300.rdb', Size: 5 },
      ],
    });
    s3.on(GetObjectTaggingCommand, { Key: 'redis/rdr-cache-20261123-0400.rdb' }).resolves({ TagSet: [{ Key: 'redis-dr:managed', Value: 'true' }, { Key: 'redis-dr:tier', Value: 'weekly' }] });
    s3.on(GetObjectTaggingCommand, { Key: 'redis/rdr-cache-20261123-0300.rdb' }).resolves({ TagSet: [{ Key: 'redis-dr:tier', Value: 'weekly' }] });
    expect(await store().list()).toEqual([
      { file: 'rdr-cache-20261123-0400.rdb', size: 9, tier: 'weekly' },
      { file: 'rdr-cache-20261123-0300.rdb', size: 5 },
    ]);
  });

  it('exists is HeadObject (NotFound: false; other errors name the destination); remove deletes the key', async () => {
    s3.on(HeadObjectCommand, { Key: 'redis/a.rdb' }).resolves({});
    s3.on(HeadObjectCommand, { Key: 'redis/b.rdb' }).rejects(awsError('NotFound', 'Not Found', 404));
    s3.on(HeadObjectCommand, { Key: 'redis/c.rdb' }).rejects(awsError('AccessDenied', 'Access Denied', 403));
    expect(await store().exists('a.rdb')).toBe(true);
    expect(await store().exists('b.rdb')).toBe(false);
    await expect(store().exists('c.rdb')).rejects.toThrow('s3://bucket/redis/: check c.rdb failed: Access Denied');
    s3.on(DeleteObjectCommand).resolves({});
    await store().remove('a.rdb');
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'bucket', Key: 'redis/a.rdb' });
  });
});
