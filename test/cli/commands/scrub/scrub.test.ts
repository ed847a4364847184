import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageS3Client } from '../../../../lambdas/adapters/aws/s3/client.js';
import { S3BackupStore } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { runScrub } from '../../../../lambdas/jobs/scrub/self-managed.js';
import { startMotoS3, type MotoS3, useMotoCredentials } from '../../../support/moto.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr scrub` end to end: real backups of a real redis-server into a
 * folder and into S3 (moto's real S3 API), one byte of the oldest flipped
 * where it is stored, then the scrub: the flipped copy is named (exit 1),
 * the good ones pass, the run is recorded beside the backups, and
 * `report --destination` shows the coverage and fails naming the copy.
 */
const DAY = 86_400_000;

/** A byte in the middle of `bytes` flipped (past the header: the verifier and every digest must see it). */
function flipped(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const at = Math.floor(out.length / 2);
  out[at] = out[at]! ^ 0xff;
  return out;
}

describe('redis-dr scrub', () => {
  let server: RedisServer;
  let moto: MotoS3;
  const dir = mkdtempSync(join(tmpdir(), 'scrub-'));
  let restoreCredentials = (): void => undefined;
  beforeAll(async () => {
    restoreCredentials = useMotoCredentials();
    [server, moto] = await Promise.all([startRedisServer(), startMotoS3()]);
    await moto.bucket('scrub');
    const p = server.client().pipeline();
    for (let i = 0; i < 2000; i++) p.set(`k:${i}`, `value-${i}-${'x'.repeat(i % 50)}`);
    await p.exec();
  }, 120_000);
  afterAll(async () => {
    restoreCredentials();
    await Promise.all([server?.stop(), moto?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Three backups into `to`, one after another (distinct names). */
  async function threeBackups(to: string, extra: string[] = []): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const r = await runInProcess(['backup', '--redis', server.url, '--to', to, '--create', '--name', 'cache', ...extra]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
  }

  it('file://: a flipped byte in the oldest backup is found and named (exit 1); the run is recorded and the report fails on it', async () => {
    const folder = join(dir, 'backups');
    const dest = `file://${folder}`;
    await threeBackups(dest);
    const backups = readdirSync(folder)
      .filter((f) => f.endsWith('.rdb'))
      .sort();
    expect(backups).toHaveLength(3);
    const good = await runInProcess(['scrub', '--destination', dest, '--all']);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^OK file:\/\/.*: re-read 3 of 3 copies, 0 bad$/m);

    const oldest = join(folder, backups[0]!);
    writeFileSync(oldest, flipped(readFileSync(oldest)));
    const bad = await runInProcess(['scrub', '--destination', dest, '--all']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^CORRUPT .*: re-read 3 of 3 copies, 1 bad$/m);
    expect(bad.stdout).toContain(`  BAD ${backups[0]}: `);
    expect(bad.stdout).toMatch(/SHA-256 [0-9a-f]{64} is not the record's/);
    for (const b of backups.slice(1)) expect(bad.stdout).not.toContain(`BAD ${b}`);
    const records = readdirSync(folder).filter((f) => f.startsWith('redis-dr-scrub-'));
    expect(records).toHaveLength(2);

    const report = await runInProcess(['report', '--destination', dest, '--json', join(dir, 'r.json')]);
    expect(report.code).toBe(1);
    expect(report.stdout).toMatch(new RegExp(`FAIL scrub ${backups[0]!.replace(/\./g, '\\.')}: re-read .* and not what was stored: `));
    expect(report.stdout).toMatch(/SCRUB 2 of 3 copies read and found good within 30 days, 2 re-read by a scrub/);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { scrub: { copies: number; failing: { file: string }[] } };
    expect(json.scrub.copies).toBe(3);
    expect(json.scrub.failing.map((f) => f.file)).toEqual([backups[0]]);
  }, 120_000);

  it('an old copy is due whatever the sample: 40 days on, a sample of 1 re-reads every copy and finds the flipped one', async () => {
    const folder = join(dir, 'aged');
    await threeBackups(`file://${folder}`);
    const oldest = readdirSync(folder)
      .filter((f) => f.endsWith('.rdb'))
      .sort()[0]!;
    writeFileSync(join(folder, oldest), flipped(readFileSync(join(folder, oldest))));
    const later = new Date(Date.now() + 40 * DAY);
    const run = await runScrub({ destination: `file://${folder}`, sample: 1 }, { now: () => later, store: new FileBackupStore(folder, { create: false }) });
    expect(run.due).toHaveLength(3);
    expect(run.record.results.filter((r) => !r.ok).map((r) => r.file)).toEqual([oldest]);
    expect(run.coverage.readWithinDays).toBe(2);
    expect(run.coverage.oldestRead?.file).toBe(oldest);
  }, 120_000);

  it('s3:// (moto): a flipped byte in the oldest object, its tags kept, is found and named (exit 1)', async () => {
    const dest = 's3://scrub/redis';
    await threeBackups(dest, ['--s3-endpoint', moto.endpoint]);
    const listed = await moto.client.send(new ListObjectsV2Command({ Bucket: 'scrub', Prefix: 'redis/' }));
    const keys = (listed.Contents ?? [])
      .map((o) => o.Key!)
      .filter((k) => k.endsWith('.rdb'))
      .sort();
    expect(keys).toHaveLength(3);
    const good = await runInProcess(['scrub', '--destination', dest, '--all', '--s3-endpoint', moto.endpoint]);
    expect(good.code, good.stdout + good.stderr).toBe(0);

    // Rewritten in place with the same tags (what a bit rot or a careless tool does; redis-dr never replaces a backup).
    const key = keys[0]!;
    const body = Buffer.from(await (await moto.client.send(new GetObjectCommand({ Bucket: 'scrub', Key: key }))).Body!.transformToByteArray());
    const tags = (await moto.client.send(new GetObjectTaggingCommand({ Bucket: 'scrub', Key: key }))).TagSet ?? [];
    await moto.client.send(
      new PutObjectCommand({
        Bucket: 'scrub',
        Key: key,
        Body: flipped(body),
        Tagging: new URLSearchParams(tags.map((t): [string, string] => [t.Key!, t.Value!])).toString(),
      }),
    );
    const bad = await runInProcess(['scrub', '--destination', dest, '--all', '--s3-endpoint', moto.endpoint]);
    expect(bad.code).toBe(1);
    const file = key.slice('redis/'.length);
    expect(bad.stdout).toContain(`  BAD ${file}: `);
    expect(bad.stdout).toMatch(/is not the read-back on arrival's/);
    // The same job reads the record back through the store: the run's record is there.
    const store = new S3BackupStore(storageS3Client({ endpoint: moto.endpoint }), 'scrub', 'redis/');
    expect((await store.records('redis-dr-scrub-')).length).toBe(2);
  }, 120_000);

  it('bad input: --all with --sample, a folder that is not there (exit 2, one line)', async () => {
    const both = await runInProcess(['scrub', '--destination', `file://${dir}`, '--all', '--sample', '2']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --all \(every copy\) or --sample <n>, not both/);
    const missing = await runInProcess(['scrub', '--destination', `file://${join(dir, 'nope')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--destination file:\/\/.*nope: no such folder\. Check the path \(a typo\?\): it is where backup --to wrote\n$/);
    // scrub has no --create: the line must not advise it (backup's advice, for a destination it writes).
    expect(missing.stderr).not.toMatch(/--create/);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const zero = await runInProcess(['scrub', '--destination', `file://${dir}`, '--sample', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--sample must be a whole number >= 1, got 0/);
  });
});
