import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pidScopeTag, thisPidScope } from '../../../../lambdas/adapters/host/process.js';
import { FOREIGN_PARTIAL_STALE_MS } from '../../../../lambdas/adapters/storage/object-store-file.js';
import { formatLease, type LeaseHolder, parseLease } from '../../../../lambdas/domain/self-managed/lease.js';
import {
  FileBackupStore,
  parseDestination,
  type BackupContent,
  type BackupMeta,
  type OpenFile,
  type StoreFileHandle,
} from '../../../../lambdas/adapters/storage/backup-store.js';
import { ReadBackMismatchError } from '../../../../lambdas/adapters/storage/durable-file.js';
import { S3BackupStore } from '../../../../lambdas/adapters/storage/backup-store-s3.js';
import { awsError } from '../../../support/fakes.js';
import { builtModule } from '../../../support/built-module.js';

const meta: BackupMeta = { tier: 'daily', target: 'cache', createdAt: '2026-11-23T04:00:00.000Z' };
const content = (): BackupContent => ({ keys: 3, rdbVersion: 10 });
async function* chunks(...parts: (string | Error)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) {
    if (p instanceof Error) throw p;
    yield Buffer.from(p);
  }
}
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
/** A pid that was a process a moment ago and is gone now (a shell that exited). */
const deadPid = (): number => Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());

type Write = StoreFileHandle['write'];
/**
 * The real `open`, whose handles for a backup's temporary file (`.<name>.rdb.partial-…`)
 * write through `fault(realWrite)`: the fault is injected at the file handle, where it happens.
 */
function faultyOpen(
  fault: (real: (data: Uint8Array, offset: number, length: number) => Promise<number>) => (data: Uint8Array, offset: number, length: number) => Promise<number>,
): OpenFile {
  return async (path, flags, mode) => {
    const fh = await open(path, flags, mode);
    if (!/\.rdb\.partial-/.test(path)) return fh;
    const real = async (data: Uint8Array, offset: number, length: number) => (await fh.write(data, offset, length)).bytesWritten;
    const faulty = fault(real);
    const write = (async (data: Uint8Array, offset = 0, length = data.byteLength - offset) => ({
      bytesWritten: await faulty(data, offset, length),
      buffer: data,
    })) as Write;
    return { write, sync: () => fh.sync(), close: () => fh.close() };
  };
}

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
    const w = await store.write('rdr-cache-20261123-0400.rdb', chunks('REDIS', '0010-bytes'), meta, content);
    expect(w).toMatchObject({ bytes: 15, sha256: sha('REDIS0010-bytes'), location: `file://${dir}/rdr-cache-20261123-0400.rdb` });
    expect(w.readBack).toMatchObject({ bytes: 15, sha256: sha('REDIS0010-bytes'), how: 'file' });
    expect(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb'), 'utf8')).toBe('REDIS0010-bytes');
    expect(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb.sha256'), 'utf8')).toBe(`${sha('REDIS0010-bytes')}  rdr-cache-20261123-0400.rdb\n`);
    expect(JSON.parse(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb.json'), 'utf8'))).toMatchObject({
      ...meta,
      ...content(),
      sha256: w.sha256,
      bytes: 15,
      readBack: { bytes: 15, sha256: w.sha256 },
    });
    writeFileSync(join(dir, 'foreign.rdb'), 'x');
    expect((await store.list()).sort((a, b) => a.file.localeCompare(b.file))).toEqual([
      { file: 'foreign.rdb', size: 1 },
      { file: 'rdr-cache-20261123-0400.rdb', size: 15, tier: 'daily', proven: true, sha256: w.sha256, keys: 3 },
    ]);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('leaves nothing when the bytes are judged bad at the end (commit throws)', async () => {
    const store = new FileBackupStore(dir);
    await expect(
      store.write('rdr-cache-20261123-0400.rdb', chunks('REDIS'), meta, () => {
        throw new Error('the RDB failed verification');
      }),
    ).rejects.toThrow(/write failed: the RDB failed verification/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves nothing when the source fails mid-way', async () => {
    const store = new FileBackupStore(dir);
    await expect(store.write('rdr-cache-20261123-0400.rdb', chunks('REDIS', new Error('connection reset')), meta, content)).rejects.toThrow(
      `file://${dir}: write failed: connection reset`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never replaces a file already there', async () => {
    writeFileSync(join(dir, 'rdr-cache-20261123-0400.rdb'), 'earlier');
    const store = new FileBackupStore(dir);
    await expect(store.write('rdr-cache-20261123-0400.rdb', chunks('new'), meta, content)).rejects.toThrow(/appeared .* not replaced/);
    expect(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb'), 'utf8')).toBe('earlier');
    expect(readdirSync(dir)).toEqual(['rdr-cache-20261123-0400.rdb']);
  });

  it("never touches another run's files: a record already there fails this run, which removes only what it created", async () => {
    const store = new FileBackupStore(dir);
    await store.write('rdr-cache-20261123-0400.rdb', chunks('first'), meta, content);
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    // A second run of the same minute whose backup name is free but whose record name is taken (a leftover).
    writeFileSync(join(dir, 'rdr-cache-20261123-0500.rdb.json'), '{"tier":"hourly"}');
    await expect(store.write('rdr-cache-20261123-0500.rdb', chunks('second'), meta, content)).rejects.toThrow(
      /rdr-cache-20261123-0500\.rdb\.json appeared .* not replaced/,
    );
    // Its own backup went with it (a backup without its record would never be managed); nothing else changed.
    const after = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect(after).toEqual({ ...before, 'rdr-cache-20261123-0500.rdb.json': '{"tier":"hourly"}' });
  });

  it('sweeps the temporary files of runs that died here (same host, boot and pid namespace), never those of a live one', async () => {
    const dead = `.rdr-cache-20261123-0300.rdb.partial-${pidScopeTag()}-999999999-1`;
    const live = `.rdr-cache-20261123-0300.rdb.partial-${pidScopeTag()}-${process.ppid}-1`;
    writeFileSync(join(dir, dead), 'half a backup');
    writeFileSync(join(dir, live), 'a backup being written');
    await new FileBackupStore(dir).write('rdr-cache-20261123-0400.rdb', chunks('x'), meta, content);
    const names = readdirSync(dir);
    expect(names).not.toContain(dead);
    expect(names).toContain(live);
  });

  it("sweeps a killed earlier run of this very pid (a container's pid 1 every time), not a file this process made", async () => {
    const killed = `.rdr-cache-20261123-0300.rdb.partial-${pidScopeTag()}-${process.pid}-1`; // created long before this process started
    const mine = `.rdr-cache-20261123-0300.rdb.partial-${pidScopeTag()}-${process.pid}-${Date.now()}`;
    writeFileSync(join(dir, killed), 'half a backup of the run before the restart');
    writeFileSync(join(dir, mine), 'being written by this process');
    await new FileBackupStore(dir).write('rdr-cache-20261123-0400.rdb', chunks('x'), meta, content);
    const names = readdirSync(dir);
    expect(names).not.toContain(killed);
    expect(names).toContain(mine);
  });

  it('a temporary file written elsewhere (another host on a shared folder, another container or boot, or an older redis-dr) is judged by age, never by its pid', async () => {
    const otherHost = pidScopeTag({ host: 'nfs-client-2', boot: 'b', pidNamespace: 'pid:[1]' });
    const elsewhere = `.rdr-cache-20261123-0300.rdb.partial-${otherHost}-999999999-1`; // a pid that is no process here
    const legacy = '.rdr-cache-20261123-0300.rdb.partial-999999999-1';
    const old = `.rdr-cache-20261123-0200.rdb.partial-${otherHost}-999999999-1`;
    for (const f of [elsewhere, legacy, old]) writeFileSync(join(dir, f), 'being written on another host');
    const past = (Date.now() - FOREIGN_PARTIAL_STALE_MS - 60_000) / 1000;
    utimesSync(join(dir, old), past, past);
    const store = new FileBackupStore(dir);
    await store.write('rdr-cache-20261123-0400.rdb', chunks('x'), meta, content);
    const names = readdirSync(dir);
    expect(names).toContain(elsewhere);
    expect(names).toContain(legacy);
    expect(names).not.toContain(old);
    expect(FOREIGN_PARTIAL_STALE_MS).toBe(6 * 3600 * 1000);
  });

  it('writes every byte through a handle that writes at most 4 KiB a call (short writes are looped over)', async () => {
    const data = Buffer.alloc(50_000, 7).toString('latin1');
    const store = new FileBackupStore(dir, { open: faultyOpen((real) => (d, o, l) => real(d, o, Math.min(l, 4096))) });
    const w = await store.write('rdr-cache-20261123-0400.rdb', chunks(data), meta, content);
    expect(readFileSync(join(dir, 'rdr-cache-20261123-0400.rdb')).length).toBe(50_000);
    expect(w).toMatchObject({ bytes: 50_000, sha256: sha(data), readBack: { bytes: 50_000, sha256: sha(data) } });
  });

  it('a handle that stops writing (a file-size limit) fails the write: nothing under the final name, nothing left', async () => {
    let total = 0;
    const store = new FileBackupStore(dir, {
      open: faultyOpen((real) => async (d, o, l) => {
        const n = await real(d, o, Math.max(0, Math.min(l, 10_000 - total)));
        total += n;
        return n;
      }),
    });
    await expect(store.write('rdr-cache-20261123-0400.rdb', chunks(Buffer.alloc(50_000, 1).toString('latin1')), meta, content)).rejects.toThrow(
      /write failed: short write to .*\.rdb\.partial-.*: 10000 of 50000 bytes written/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a handle that says it wrote what it did not: the read-back catches it, nothing under the final name, nothing left', async () => {
    // Drops the last 100 bytes of every write but reports them written (a lying network or FUSE filesystem).
    const store = new FileBackupStore(dir, { open: faultyOpen((real) => async (d, o, l) => (await real(d, o, Math.max(0, l - 100))) + Math.min(100, l)) });
    const err = await store.write('rdr-cache-20261123-0400.rdb', chunks(Buffer.alloc(5_000, 2).toString('latin1')), meta, content).catch((e: Error) => e);
    expect((err as Error).cause).toBeInstanceOf(ReadBackMismatchError);
    expect((err as Error).message).toMatch(/write failed: read-back of file:\/\/.*rdr-cache-20261123-0400\.rdb does not match what was written: 4900 bytes/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a destination that turns read-only midway (EROFS at the handle: as root, chmod would not stop the writes) fails naming it, leaving nothing', async () => {
    let calls = 0;
    const store = new FileBackupStore(dir, {
      open: faultyOpen((real) => async (d, o, l) => {
        if (++calls > 1) throw Object.assign(new Error('EROFS: read-only file system, write'), { code: 'EROFS' });
        return real(d, o, l);
      }),
    });
    const big = Buffer.alloc(1.5 * 1024 * 1024, 3).toString('latin1');
    await expect(store.write('rdr-cache-20261123-0400.rdb', chunks(big, big), meta, content)).rejects.toThrow(
      `file://${dir}: write failed (read-only file system): EROFS`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the temporary file of a run killed mid-write (SIGKILL: its pid gone) is removed by the next run', async () => {
    // A child writes a backup whose source never ends; once its temporary file is there it is killed.
    const module = builtModule(resolve(__dirname, '../../../../lambdas/adapters/storage/backup-store.ts'));
    const script = `
      const { FileBackupStore } = require(${JSON.stringify(module)});
      async function* forever() { yield Buffer.alloc(2 * 1024 * 1024, 1); await new Promise(() => setInterval(() => undefined, 1000)); }
      new FileBackupStore(process.argv[1]).write('rdr-cache-20261123-0300.rdb', forever(), { tier: 'daily', target: 'cache', createdAt: '2026-11-23T03:00:00.000Z' }, () => ({ keys: 1, rdbVersion: 10 }));`;
    // node itself (not a wrapper process), so the pid in the file name is the child's.
    const child = spawn(process.execPath, ['-e', script, dir], { stdio: 'ignore', cwd: resolve(__dirname, '../../../..') });
    const exited = new Promise((r) => child.once('exit', r));
    const partial = () => readdirSync(dir).find((f) => /^\.rdr-cache-20261123-0300\.rdb\.partial-h[0-9a-f]{12}-\d+-\d+$/.test(f));
    for (let i = 0; i < 600 && !partial(); i++) await new Promise((r) => setTimeout(r, 50));
    const left = partial();
    expect(left).toMatch(new RegExp(`partial-${pidScopeTag()}-${child.pid}-`));
    child.kill('SIGKILL');
    await exited; // reaped: its pid no longer answers signal 0
    await new FileBackupStore(dir).write('rdr-cache-20261123-0400.rdb', chunks('x'), meta, content);
    expect(existsSync(join(dir, left!))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it("holds and releases a backup in its record; a record whose read-back length is not the file's proves nothing", async () => {
    const store = new FileBackupStore(dir);
    await store.write('rdr-cache-20261123-0400.rdb', chunks('REDIS'), meta, () => ({
      keys: 3,
      rdbVersion: 10,
      collapsed: 'rdr-cache-20261123-0400.rdb holds 3 keys, 99 % fewer',
    }));
    await store.hold('rdr-cache-20261123-0400.rdb', 'keyspace-collapsed:rdr-cache-20261123-0500.rdb');
    expect(await store.list()).toEqual([
      {
        file: 'rdr-cache-20261123-0400.rdb',
        size: 5,
        tier: 'daily',
        proven: true,
        sha256: sha('REDIS'),
        keys: 3,
        hold: 'keyspace-collapsed:rdr-cache-20261123-0500.rdb',
        collapsed: 'rdr-cache-20261123-0400.rdb holds 3 keys, 99 % fewer',
      },
    ]);
    // A hold that is not the one the caller read is kept: named, never overwritten.
    await expect(store.hold('rdr-cache-20261123-0400.rdb', 'held until=2027-01-01T00:00:00Z by=a@b reason=x', { hold: undefined })).rejects.toThrow(
      'the hold on rdr-cache-20261123-0400.rdb changed since it was read: it is now "keyspace-collapsed:rdr-cache-20261123-0500.rdb", kept as it is',
    );
    expect((await store.list())[0]!.hold).toBe('keyspace-collapsed:rdr-cache-20261123-0500.rdb');
    await store.release('rdr-cache-20261123-0400.rdb');
    expect(await store.list()).toEqual([{ file: 'rdr-cache-20261123-0400.rdb', size: 5, tier: 'daily', proven: true, sha256: sha('REDIS'), keys: 3 }]);
    await store.hold('rdr-cache-20261123-0400.rdb', 'keyspace-collapsed:rdr-cache-20261123-0600.rdb', { hold: undefined });
    expect((await store.list())[0]!.hold).toBe('keyspace-collapsed:rdr-cache-20261123-0600.rdb');
    await store.release('rdr-cache-20261123-0400.rdb');
    writeFileSync(join(dir, 'rdr-cache-20261123-0400.rdb'), 'REDIS-changed');
    expect((await store.list())[0]).not.toHaveProperty('proven');
    expect((await store.list())[0]).not.toHaveProperty('sha256');
    writeFileSync(join(dir, 'foreign.rdb'), 'x');
    await expect(store.hold('foreign.rdb', 'keyspace-collapsed:x')).rejects.toThrow(/hold foreign\.rdb failed: foreign\.rdb has no record redis-dr wrote/);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('names the destination when it cannot be written (a path under a file)', async () => {
    writeFileSync(join(dir, 'plain-file'), 'x');
    const store = new FileBackupStore(join(dir, 'plain-file', 'sub'));
    await expect(store.write('rdr-cache-20261123-0400.rdb', chunks('x'), meta, content)).rejects.toThrow(`file://${dir}/plain-file/sub: write failed`);
  });

  it('a destination whose records cannot be read fails naming it: never "no record" (the report would count no drill, signing would restart the chain)', async () => {
    writeFileSync(join(dir, 'plain-file'), 'x');
    // A path that is a file, not a folder: readdir answers ENOTDIR (as root, the fault a chmod cannot make).
    const store = new FileBackupStore(join(dir, 'plain-file'));
    await expect(store.records('redis-dr-drill-')).rejects.toThrow(`file://${dir}/plain-file: list the records failed`);
    expect(await new FileBackupStore(join(dir, 'missing')).records('redis-dr-drill-')).toEqual([]);
  });

  it('removes a backup with its sidecars, and an empty or missing folder lists nothing', async () => {
    const store = new FileBackupStore(dir);
    await store.write('rdr-cache-20261123-0400.rdb', chunks('x'), meta, content);
    await store.remove('rdr-cache-20261123-0400.rdb');
    expect(readdirSync(dir)).toEqual([]);
    expect(await new FileBackupStore(join(dir, 'missing')).list()).toEqual([]);
  });

  describe('the lease', () => {
    const lease = (over: Partial<LeaseHolder>): void =>
      writeFileSync(
        join(dir, '.redis-dr-cache.lease'),
        formatLease({ owner: 'redis-dr backup', ...thisPidScope(), pid: deadPid(), start: new Date().toISOString(), token: 'theirs', ...over }),
      );
    const mine = (): LeaseHolder => ({ owner: 'redis-dr backup', ...thisPidScope(), pid: process.pid, start: new Date().toISOString(), token: 'mine' });

    it('is created through the verified put: the holder with its host, boot and pid namespace, no temporary file left', async () => {
      const got = await new FileBackupStore(dir).takeLease('cache', mine(), 3600_000);
      expect('taken' in got).toBe(true);
      expect(parseLease(readFileSync(join(dir, '.redis-dr-cache.lease'), 'utf8'))).toEqual(expect.objectContaining({ token: 'mine', ...thisPidScope() }));
      expect(readdirSync(dir)).toEqual(['.redis-dr-cache.lease']);
    });

    it('a lease whose bytes did not reach the disk is not taken: read back like every put, nothing left', async () => {
      // Drops the last 10 bytes of every write but reports them written (a lying network file system).
      const store = new FileBackupStore(dir, {
        open: async (path, flags, mode) => {
          const fh = await open(path, flags, mode);
          if (!/\.lease\.partial-/.test(path)) return fh;
          const write = (async (data: Uint8Array, offset = 0, length = data.byteLength - offset) => ({
            bytesWritten: (await fh.write(data, offset, Math.max(0, length - 10))).bytesWritten + Math.min(10, length),
            buffer: data,
          })) as Write;
          return { write, sync: () => fh.sync(), close: () => fh.close() };
        },
      });
      await expect(store.takeLease('cache', mine(), 3600_000)).rejects.toThrow(
        /take the lease of cache failed: read-back of .*\.redis-dr-cache\.lease does not match/,
      );
      expect(readdirSync(dir)).toEqual([]);
    });

    it('takes over a lease whose holder is gone from this host, boot and pid namespace', async () => {
      lease({});
      const got = await new FileBackupStore(dir).takeLease('cache', mine(), 3600_000);
      expect('taken' in got && got.taken.tookOver).toMatch(/^a stale lease \(its holder, pid \d+ on .*, is gone/);
    });

    it('takes over at once a lease left on this host during an earlier boot (a reboot ended its run; it blocked backups for the 6 h bound)', async () => {
      lease({ boot: '00000000-0000-0000-0000-000000000000' });
      const got = await new FileBackupStore(dir).takeLease('cache', mine(), 3600_000);
      expect('taken' in got && got.taken.tookOver).toMatch(/^a stale lease \(its holder, pid \d+ on .*, ran before this host's last boot/);
    });

    it("never takes over a live holder of this host, however old its lease; refreshed, a lease from elsewhere stays its holder's", async () => {
      lease({ pid: process.pid, start: new Date(Date.now() - 7200_000).toISOString() });
      expect(await new FileBackupStore(dir).takeLease('cache', mine(), 3600_000)).toEqual({
        held: expect.objectContaining({ holder: expect.objectContaining({ token: 'theirs' }) }),
      });
      lease({ host: 'nfs-client-2', start: new Date(Date.now() - 7200_000).toISOString(), refreshed: new Date(Date.now() - 60_000).toISOString() });
      expect('held' in (await new FileBackupStore(dir).takeLease('cache', mine(), 3600_000))).toBe(true);
    });

    it('a holder refreshes its lease (the same token, a new time); a lease no longer its own is not refreshed', async () => {
      const store = new FileBackupStore(dir);
      const got = await store.takeLease('cache', mine(), 3600_000);
      if (!('taken' in got)) throw new Error('not taken');
      // The new time is the refresh's own (read between these two clock reads), not within 5 s of a read after it.
      const asked = Date.now();
      expect(await got.taken.refresh()).toBe(true);
      const answered = Date.now();
      const refreshed = parseLease(readFileSync(join(dir, '.redis-dr-cache.lease'), 'utf8'))!;
      expect(refreshed.token).toBe('mine');
      expect(Date.parse(refreshed.refreshed!)).toBeGreaterThanOrEqual(asked);
      expect(Date.parse(refreshed.refreshed!)).toBeLessThanOrEqual(answered);
      expect(readdirSync(dir)).toEqual(['.redis-dr-cache.lease']);
      lease({ host: 'elsewhere' });
      expect(await got.taken.refresh()).toBe(false);
      expect(parseLease(readFileSync(join(dir, '.redis-dr-cache.lease'), 'utf8'))!.token).toBe('theirs');
    });

    it.each<[string, Partial<LeaseHolder>]>([
      ['another host (an NFS client)', { host: 'nfs-client-2' }],
      ['this host name and boot, another pid namespace (another container)', { pidNamespace: 'pid:[1]' }],
      ['a holder that recorded no boot (an older redis-dr)', { boot: undefined, pidNamespace: undefined }],
    ])('a lease from %s with a dead-looking pid is NOT taken over before its age limit, then is', async (_what, over) => {
      lease(over);
      const store = new FileBackupStore(dir);
      expect(await store.takeLease('cache', mine(), 3600_000)).toEqual({
        held: expect.objectContaining({ holder: expect.objectContaining({ token: 'theirs' }) }),
      });
      lease({ ...over, start: new Date(Date.now() - 7200_000).toISOString() });
      const over2 = await store.takeLease('cache', mine(), 3600_000);
      expect('taken' in over2 && over2.taken.tookOver).toMatch(/^a stale lease \(taken 7\d{3} s ago, longer than the 3600 s a run may hold it without a word/);
    });
  });
});

describe('S3BackupStore (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const store = () => new S3BackupStore(new S3Client({ region: 'eu-west-1' }), 'bucket', 'redis/', { partBytes: 5 * 1024 * 1024, queueSize: 2 });

  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  /** S3's composite SHA-256 of `data` uploaded in `part`-byte parts: `<base64 SHA-256 of the part digests>-<parts>`. */
  const composite = (data: Buffer, part: number) => {
    const digests: Buffer[] = [];
    for (let i = 0; i < data.length; i += part)
      digests.push(
        createHash('sha256')
          .update(data.subarray(i, i + part))
          .digest(),
      );
    return `${createHash('sha256').update(Buffer.concat(digests)).digest('base64')}-${digests.length}`;
  };
  const tagsOf = (input: { Tagging?: { TagSet?: { Key?: string; Value?: string }[] } }) =>
    Object.fromEntries((input.Tagging?.TagSet ?? []).map((t) => [t.Key, t.Value]));

  it("uploads with SHA-256 checksums and the record as tags set with the object; reads back S3's full-object checksum, then records it", async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand).resolves({ ContentLength: 9, ChecksumSHA256: b64(sha('REDIS0010')), ChecksumType: 'FULL_OBJECT' });
    s3.on(PutObjectTaggingCommand).resolves({});
    const w = await store().write('rdr-cache-20261123-0400.rdb', chunks('REDIS', '0010'), meta, content);
    expect(w).toMatchObject({
      bytes: 9,
      sha256: sha('REDIS0010'),
      location: 's3://bucket/redis/rdr-cache-20261123-0400.rdb',
      readBack: { how: 's3-full-object-checksum' },
    });
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'bucket',
      Key: 'redis/rdr-cache-20261123-0400.rdb',
      ChecksumMode: 'ENABLED',
    });
    expect(tagsOf(s3.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input)).toEqual({
      'redis-dr:managed': 'true',
      'redis-dr:tier': 'daily',
      'redis-dr:source': 'cache',
      'redis-dr:created': '2026-11-23T04:00:00.000Z',
      'redis-dr:keys': '3',
      'redis-dr:read-back': `bytes=9 sha256=${sha('REDIS0010')}`,
    });
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
    await expect(store().write('rdr-cache-20261123-0400.rdb', chunks(big, big), meta, bad)).rejects.toThrow(/upload failed: the RDB failed verification/);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    s3.reset();
    await expect(store().write('rdr-cache-20261123-0400.rdb', chunks('REDIS'), meta, bad)).rejects.toThrow(/verification/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it.each([
    [
      'a checksum that does not match',
      { ContentLength: 9, ChecksumSHA256: b64(sha('REDIS0011')), ChecksumType: 'FULL_OBJECT' },
      /read-back of s3:\/\/bucket\/redis\/rdr-cache-20261123-0400\.rdb does not match/,
    ],
    [
      'a length that does not match',
      { ContentLength: 8, ChecksumSHA256: b64(sha('REDIS0010')), ChecksumType: 'FULL_OBJECT' },
      /does not match what was written: 8 bytes/,
    ],
  ] as const)('%s: the write fails and the object is deleted, never tagged as read back', async (_what, head, message) => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand).resolves(head);
    s3.on(DeleteObjectCommand).resolves({});
    const err = await store()
      .write('rdr-cache-20261123-0400.rdb', chunks('REDIS', '0010'), meta, content)
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).cause).toBeInstanceOf(ReadBackMismatchError);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'bucket', Key: 'redis/rdr-cache-20261123-0400.rdb' }]);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });

  it("a multipart upload is matched against S3's composite checksum of its parts (and its part count); a wrong one deletes it", async () => {
    const part = 5 * 1024 * 1024;
    const data = Buffer.alloc(2 * part + 1000);
    for (let i = 0; i < data.length; i += 4096) data[i] = i % 127; // ASCII: chunks() encodes its strings as UTF-8
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
    s3.on(CompleteMultipartUploadCommand).resolves({});
    s3.on(PutObjectTaggingCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    const body = () => chunks(data.subarray(0, 3_000_000).toString('latin1'), data.subarray(3_000_000).toString('latin1'));
    s3.on(HeadObjectCommand).resolves({ ContentLength: data.length, ChecksumSHA256: composite(data, part), ChecksumType: 'COMPOSITE' });
    const w = await store().write('rdr-cache-20261123-0400.rdb', body(), meta, content);
    expect(w.readBack.how).toBe('s3-composite-checksum');
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    // The same digest with another part count, or the full-object digest, is not what was uploaded.
    for (const wrong of [composite(data, part).replace(/-3$/, '-2'), b64(createHash('sha256').update(data).digest('hex'))]) {
      s3.reset();
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
      s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
      s3.on(CompleteMultipartUploadCommand).resolves({});
      s3.on(DeleteObjectCommand).resolves({});
      s3.on(HeadObjectCommand).resolves({ ContentLength: data.length, ChecksumSHA256: wrong, ChecksumType: 'COMPOSITE' });
      await expect(store().write('rdr-cache-20261123-0400.rdb', body(), meta, content)).rejects.toThrow(/read-back of .* does not match/);
      expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
      expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    }
  });

  it('a store that returns no checksum has the object read again: a match counts, a mismatch deletes it', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand).resolves({ ContentLength: 9 });
    s3.on(PutObjectTaggingCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('REDIS0010')]) }));
    expect((await store().write('rdr-cache-20261123-0400.rdb', chunks('REDIS', '0010'), meta, content)).readBack.how).toBe('s3-get');
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('REDIS0011')]) }));
    await expect(store().write('rdr-cache-20261123-0400.rdb', chunks('REDIS', '0010'), meta, content)).rejects.toThrow(/does not match/);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it("holds and releases with the object's tags (the others kept); lists read-back, keys, hold and collapse", async () => {
    const tags = [
      { Key: 'redis-dr:managed', Value: 'true' },
      { Key: 'redis-dr:tier', Value: 'daily' },
      { Key: 'redis-dr:keys', Value: '1000' },
      { Key: 'redis-dr:read-back', Value: `bytes=9 sha256=${sha('REDIS0010')}` },
    ];
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'redis/rdr-cache-20261123-0400.rdb', Size: 9 }] });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [...tags, { Key: 'redis-dr:hold', Value: 'keyspace-collapsed:rdr-cache-20261123-0500.rdb' }] });
    expect(await store().list()).toEqual([
      {
        file: 'rdr-cache-20261123-0400.rdb',
        size: 9,
        tier: 'daily',
        proven: true,
        sha256: sha('REDIS0010'),
        keys: 1000,
        hold: 'keyspace-collapsed:rdr-cache-20261123-0500.rdb',
      },
    ]);
    s3.on(PutObjectTaggingCommand).resolves({});
    await store().release('rdr-cache-20261123-0400.rdb');
    expect(tagsOf(s3.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input)).toEqual(Object.fromEntries(tags.map((t) => [t.Key, t.Value])));
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: tags });
    await store().hold('rdr-cache-20261123-0400.rdb', 'keyspace-collapsed:rdr-cache-20261123-0500.rdb');
    expect(tagsOf(s3.commandCalls(PutObjectTaggingCommand)[1]!.args[0].input)).toMatchObject({
      'redis-dr:hold': 'keyspace-collapsed:rdr-cache-20261123-0500.rdb',
      'redis-dr:keys': '1000',
    });
    // Its tags hold another's hold now (read just before the write): kept, named, no tags written.
    await expect(
      store().hold('rdr-cache-20261123-0400.rdb', 'held until=2027-01-01T00:00:00Z by=a@b reason=x', {
        hold: 'keyspace-collapsed:rdr-cache-20261123-0100.rdb',
      }),
    ).rejects.toThrow('the hold on rdr-cache-20261123-0400.rdb changed since it was read: it is now (none), kept as it is');
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(2);
    // An empty hold tag is no hold, as the listing reads it: a hold expected to find none is written.
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [...tags, { Key: 'redis-dr:hold', Value: '' }] });
    await store().hold('rdr-cache-20261123-0400.rdb', 'keyspace-collapsed:rdr-cache-20261123-0600.rdb', { hold: undefined });
    expect(tagsOf(s3.commandCalls(PutObjectTaggingCommand)[2]!.args[0].input)['redis-dr:hold']).toBe('keyspace-collapsed:rdr-cache-20261123-0600.rdb');
  });

  it('never replaces a key already there (If-None-Match refused: 412)', async () => {
    s3.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412));
    await expect(store().write('rdr-cache-20261123-0400.rdb', chunks('REDIS'), meta, content)).rejects.toThrow(
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
    s3.on(GetObjectTaggingCommand, { Key: 'redis/rdr-cache-20261123-0400.rdb' }).resolves({
      TagSet: [
        { Key: 'redis-dr:managed', Value: 'true' },
        { Key: 'redis-dr:tier', Value: 'weekly' },
      ],
    });
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
