/**
 * The key index beside a verified backup: `backup`'s `index` step writes
 * `<file>.keys` from the bytes it wrote (here its writer, fed the file, on a
 * folder and on a real S3 API, moto),
 * `serve` opens the backup from it without reading the file whole, and a
 * missing, damaged or foreign index falls back to the whole read and says
 * so. Retention removes the index with its backup.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { S3BackupStore } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { backupFileName } from '../../../../lambdas/domain/self-managed/backup.js';
import { settle } from '../../../../lambdas/domain/serve/paged-index.js';
import { type OpenedPoint, openPoint } from '../../../../lambdas/jobs/serve/open-point.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { writeIndexBeside } from '../../../support/key-index-beside.js';
import { startRedisServer } from '../../../support/redis-server.js';

const A = backupFileName('cache', new Date(Date.UTC(2030, 0, 1, 1)));
const B = backupFileName('cache', new Date(Date.UTC(2030, 0, 1, 2)));
let root: string;
let dir: string;
let moto: MotoS3;
let restoreCredentials: () => void;
/** The ETag each backup's PutObject gave it (what backup's read-back hands its index). */
const etags = new Map<string, string | undefined>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redis-dr-index-beside-'));
  dir = join(root, 'dest');
  mkdirSync(dir);
  moto = await startMotoS3();
  restoreCredentials = useMotoCredentials();
  await moto.bucket('backups');
  const server = await startRedisServer();
  const c = server.client();
  await c.pipeline().set('k', 'first').hset('h', 'f', 'v').rpush('l', 'a', 'b').select(2).set('other-db', 'x').select(0).exec();
  await c.save();
  copyFileSync(server.rdbPath, join(dir, A));
  await c.set('k', 'second');
  await c.save();
  copyFileSync(server.rdbPath, join(dir, B));
  c.disconnect();
  await server.stop();
  for (const f of [A, B])
    etags.set(f, (await moto.client.send(new PutObjectCommand({ Bucket: 'backups', Key: `prod/${f}`, Body: readFileSync(join(dir, f)) }))).ETag);
}, 60_000);

afterAll(async () => {
  restoreCredentials?.();
  await moto?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function valueIn(p: OpenedPoint, db: number, key: string): Promise<unknown> {
  // An index on S3 reads its blocks as promises: settle waits for them, as the command dispatch does.
  const entry = await settle(() => p.index.entry(db, p.index.find(db, Buffer.from(key))));
  return decodeDumpPayload(await p.payload(entry));
}

describe('the key index beside a backup', () => {
  it('is written from a verifying pass over the bytes written, and serve opens a local backup from it once the verifier passed the file', async () => {
    const store = new FileBackupStore(dir);
    expect(await writeIndexBeside(store, A, join(dir, A))).toMatch(
      new RegExp(`^${A}\\.keys: 4 keys, \\d+ bytes, built from the bytes written \\(the file not read again\\), read back$`),
    );
    const p = await openPoint(join(dir, A));
    try {
      expect(p.notes).toEqual([`${join(dir, A)}: verified whole, then its key index (.keys) for lookups (read by blocks, not held)`]);
      expect(p.reports.map((r) => r.keys)).toEqual([4]);
      expect(p.index.keys).toBe(4);
      expect(await valueIn(p, 0, 'k')).toEqual({ type: 'string', value: Buffer.from('first') });
      expect(await valueIn(p, 2, 'other-db')).toEqual({ type: 'string', value: Buffer.from('x') });
    } finally {
      p.close();
    }
  }, 30_000);

  it('refuses a local file changed after its index was written (one byte of a value; length and CRC-64 trailer left alone)', async () => {
    const changed = join(root, 'changed');
    mkdirSync(changed);
    const bytes = readFileSync(join(dir, A));
    const at = bytes.indexOf('first');
    expect(at).toBeGreaterThan(0);
    bytes[at + 4] = 'T'.charCodeAt(0);
    writeFileSync(join(changed, A), bytes);
    copyFileSync(join(dir, `${A}.keys`), join(changed, `${A}.keys`));
    // Never "firsT" from the index: the verifier's verdict refuses the file before anything is answered.
    await expect(openPoint(join(changed, A))).rejects.toThrow(
      new RegExp(`^${join(changed, A).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt \\(the verifier's verdict.*\\); redis-dr verify-rdb`),
    );
    // The unchanged file beside the same index still opens from it.
    copyFileSync(join(dir, A), join(changed, A));
    const p = await openPoint(join(changed, A));
    try {
      expect(p.notes[0]).toMatch(/verified whole, then its key index \(\.keys\) for lookups/);
      expect(await valueIn(p, 0, 'k')).toEqual({ type: 'string', value: Buffer.from('first') });
    } finally {
      p.close();
    }
  }, 30_000);

  it('falls back to the whole read, saying why, when the index is missing, foreign or damaged', async () => {
    const open = async (): Promise<{ note: string; k: unknown; reports: number }> => {
      const p = await openPoint(join(dir, B));
      try {
        return { note: p.notes[0]!, k: await valueIn(p, 0, 'k'), reports: p.reports.length };
      } finally {
        p.close();
      }
    };
    const second = { type: 'string', value: Buffer.from('second') };
    expect(await open()).toEqual({
      note: `${join(dir, B)}: read whole and verified (no usable .keys index beside it: cannot read ${join(dir, B)}.keys: no such file)`,
      k: second,
      reports: 1,
    });
    // A's index beside B (same size, other CRC-64): never used for B.
    copyFileSync(join(dir, `${A}.keys`), join(dir, `${B}.keys`));
    const foreign = await open();
    expect(foreign.note).toMatch(
      /read whole and verified \(it indexes another copy \(\d+ bytes, CRC-64 [0-9a-f]{16}; the copy: \d+ bytes, CRC-64 [0-9a-f]{16}\)\)$/,
    );
    expect(foreign.k).toEqual(second);
    const damaged = readFileSync(join(dir, `${A}.keys`));
    damaged[damaged.length - 40]! ^= 1;
    writeFileSync(join(dir, `${B}.keys`), damaged);
    expect((await open()).note).toMatch(/read whole and verified \(its directory does not match its SHA-256 \(damaged\)\)$/);
    // An index of the layout before this one (RDRKEYS1: one checksum over the whole index) is not read by blocks.
    writeFileSync(join(dir, `${B}.keys`), Buffer.concat([Buffer.from('RDRKEYS1'), Buffer.alloc(200, 7)]));
    expect((await open()).note).toMatch(
      /read whole and verified \(its index is of the older layout \(RDRKEYS1, one checksum over the whole index\), not read by blocks \(indexes written since are\)\)$/,
    );
    rmSync(join(dir, `${B}.keys`));
    // B's own index with a block changed (its directory intact): checked whole at open, so the file is read whole
    // instead of answering some keys and failing the others.
    await writeIndexBeside(new FileBackupStore(dir), B, join(dir, B));
    const own = readFileSync(join(dir, `${B}.keys`));
    own[10]! ^= 0x20; // a byte of block 0's first row (the blocks start after the 8-byte magic)
    writeFileSync(join(dir, `${B}.keys`), own);
    expect(await open()).toEqual({
      note: expect.stringMatching(/read whole and verified \(its key index \(\.keys\) does not check out: block 0 does not match its /),
      k: second,
      reports: 1,
    });
    rmSync(join(dir, `${B}.keys`));
  }, 30_000);

  it('on S3 too: written beside the object, and serve reads the index and the values with ranged GETs', async () => {
    const store = new S3BackupStore(moto.newClient(), 'backups', 'prod/');
    expect(await writeIndexBeside(store, B, join(dir, B), { etag: etags.get(B) })).toMatch(
      new RegExp(`^${B}\\.keys: 4 keys, \\d+ bytes, built from the bytes written \\(the file not read again\\), bound to ETag [0-9a-f]{32}, read back$`),
    );
    const p = await openPoint(`s3://backups/prod/${B}`, moto.endpoint);
    try {
      expect(p.notes).toEqual([`s3://backups/prod/${B}: its key index (.keys, written when it was verified; read by blocks, not held)`]);
      expect(await valueIn(p, 0, 'l')).toEqual({ type: 'list', items: [Buffer.from('a'), Buffer.from('b')] });
    } finally {
      p.close();
    }
    const whole = await openPoint(`s3://backups/prod/${A}`, moto.endpoint);
    expect(whole.notes[0]).toMatch(/read whole and verified \(no usable \.keys index beside it: cannot read .*: no such object\)$/);
    whole.close();
  }, 30_000);

  it('goes with its backup when retention removes it (folder and S3)', async () => {
    await new FileBackupStore(dir).remove(A);
    expect(existsSync(join(dir, `${A}.keys`))).toBe(false);
    await new S3BackupStore(moto.newClient(), 'backups', 'prod/').remove(B);
    await expect(moto.client.send(new HeadObjectCommand({ Bucket: 'backups', Key: `prod/${B}.keys` }))).rejects.toMatchObject({ name: 'NotFound' });
  }, 30_000);
});
