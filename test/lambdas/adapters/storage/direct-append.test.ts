import { execFileSync } from 'node:child_process';
import { mkdtempSync, read, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileChunksReused } from '../../../../lambdas/adapters/host/crc64-thread.js';
import { openDirect, readAhead } from '../../../../lambdas/adapters/host/direct-io.js';
import { appender, STAGE_BYTES } from '../../../../lambdas/adapters/storage/direct-append.js';
import { createOutputFile } from '../../../../lambdas/adapters/storage/output-file.js';
import { mulberry32 } from '../../../support/prng.js';

/**
 * convert-rdb's output written past the page cache (lambdas/adapters/storage/direct-append.ts) and read back past it
 * (host/crc64-thread.ts readFileChunksReused with `direct`), on the real file systems of this machine: the test's
 * temporary folder (ext4 here) and /dev/shm (tmpfs). Which pages the page cache holds is read with util-linux's
 * fincore (mincore(2)).
 */

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
});

function folder(under = tmpdir()): string {
  const d = mkdtempSync(join(under, 'redis-dr-direct-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Whether the file system of `dir` takes O_DIRECT (probed with a file of its own). */
async function takesDirect(dir: string): Promise<boolean> {
  const probe = join(dir, 'probe');
  writeFileSync(probe, '');
  const fh = await openDirect(probe);
  await fh.close();
  return fh.direct === true;
}

/** Whether `dir` is on tmpfs, whose pages are its storage (what the page cache holds of a file there says nothing here). */
const onTmpfs = (dir: string): boolean => statfsSync(dir).type === 0x01021994;

/** Pages of `path` the page cache holds (fincore --raw: RES in bytes). */
function cachedBytes(path: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' }).trim());
}

/** Seeded bytes, `total` of them, cut into chunks of seeded sizes (1 byte to 3 MiB: below, at and across the stage's size). */
function chunks(seed: number, total: number): Buffer[] {
  const random = mulberry32(seed);
  const all = Buffer.allocUnsafe(total + 3);
  for (let i = 0; i < total; i += 4) all.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  const out: Buffer[] = [];
  for (let at = 0; at < total; ) {
    const pick = random();
    const n = Math.min(total - at, pick < 0.3 ? 1 + Math.floor(random() * 100) : pick < 0.4 ? STAGE_BYTES : 1 + Math.floor(random() * 3 * STAGE_BYTES));
    out.push(all.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** The chunks' bytes appended to a new file in `dir` through an appender; the file's path and the appender. */
async function appendAll(dir: string, parts: readonly Buffer[]) {
  const path = join(dir, 'out.bin');
  const fh = await open(path, 'wx', 0o600);
  cleanup.push(() => fh.close().catch(() => undefined));
  const app = await appender(fh, path);
  for (const p of parts) await app.write(p);
  return { path, fh, app };
}

describe('appending past the page cache', () => {
  it('on a file system that takes O_DIRECT: every byte in order, none of the whole blocks left in the page cache', async () => {
    const dir = folder();
    const direct = await takesDirect(dir);
    const parts = chunks(56, 9 * STAGE_BYTES + 12_345);
    const { path, fh, app } = await appendAll(dir, parts);
    expect(app.bypassed).toBe(direct);
    expect(app.bytes).toBe(9 * STAGE_BYTES + 12_345);
    await app.settle();
    await fh.sync();
    expect(readFileSync(path).equals(Buffer.concat(parts))).toBe(true);
    // Read back through the page cache just above: cached whole now, which shows what fincore sees.
    expect(cachedBytes(path)).toBeGreaterThan(9 * STAGE_BYTES);
    // This folder's file system refuses O_DIRECT (written through the page cache, as it must be), or is tmpfs.
    if (!direct || onTmpfs(dir)) return;
    // A second file, not read: only its last partial stage (written through the page cache at settle) is cached.
    const second = await appendAll(folder(dir), parts);
    await second.app.settle();
    expect(cachedBytes(second.path)).toBeLessThanOrEqual(STAGE_BYTES);
    // Read back past the page cache too: the same bytes, still not cached.
    const back: Buffer[] = [];
    for await (const c of readFileChunksReused(second.path, undefined, true)) back.push(Buffer.from(c));
    expect(Buffer.concat(back).equals(Buffer.concat(parts))).toBe(true);
    expect(cachedBytes(second.path)).toBeLessThanOrEqual(STAGE_BYTES);
  });

  it('on tmpfs (/dev/shm, which takes O_DIRECT since Linux 6.6, its pages being its storage): every byte in order', async () => {
    const dir = folder('/dev/shm');
    const parts = chunks(57, 3 * STAGE_BYTES + 777);
    const { path, app } = await appendAll(dir, parts);
    expect(app.bytes).toBe(3 * STAGE_BYTES + 777);
    await app.settle();
    expect(readFileSync(path).equals(Buffer.concat(parts))).toBe(true);
    const back: Buffer[] = [];
    for await (const c of readFileChunksReused(path, undefined, app.bypassed)) back.push(Buffer.from(c));
    expect(Buffer.concat(back).equals(Buffer.concat(parts))).toBe(true);
  });

  it('appends after settle go through the page cache at the end of the file', async () => {
    const dir = folder();
    const parts = chunks(58, 2 * STAGE_BYTES + 5);
    const { path, app } = await appendAll(dir, parts);
    await app.settle();
    await app.write(Buffer.from('trailer!'));
    expect(app.direct).toBe(false);
    expect(readFileSync(path).equals(Buffer.concat([...parts, Buffer.from('trailer!')]))).toBe(true);
  });

  it('a direct read the kernel refuses (a size not a multiple of the block: EINVAL) goes on through the page cache, the same bytes', async () => {
    const dir = folder();
    const parts = chunks(59, STAGE_BYTES + 3_000);
    const { path, app } = await appendAll(dir, parts);
    await app.settle();
    const cachedBefore = cachedBytes(path);
    const back: Buffer[] = [];
    for await (const c of readFileChunksReused(path, 1_000, true)) back.push(Buffer.from(c));
    expect(Buffer.concat(back).equals(Buffer.concat(parts))).toBe(true);
    // Written past the page cache and read through it after the refusal: cached now (the refusal did happen).
    if (app.bypassed && !onTmpfs(dir)) expect(cachedBytes(path)).toBeGreaterThan(cachedBefore + STAGE_BYTES / 2);
  });

  it('a settle asked while a write is under way waits for it: every byte in order', async () => {
    const dir = folder();
    const parts = chunks(61, 8 * STAGE_BYTES + 4_321);
    const path = join(dir, 'out.bin');
    const fh = await open(path, 'wx', 0o600);
    cleanup.push(() => fh.close().catch(() => undefined));
    const app = await appender(fh, path);
    const writes = parts.map((p) => app.write(p)); // none awaited before the settle
    await app.settle();
    expect(readFileSync(path).equals(Buffer.concat(parts))).toBe(true);
    await Promise.all(writes);
    await app.release();
  });
});

describe('reading ahead (host/direct-io.ts readAhead)', () => {
  /** `fs.read` with a fault where a device would give one: `plan(chunk index, call)` says what the read of that chunk does. */
  const faulty =
    (chunkBytes: number, plan: (index: number, call: number) => 'ok' | 'stall' | 'eio' | 'half' | 'none') =>
    (...args: Parameters<typeof read>): void => {
      const [fd, buffer, offset, length, position, done] = args as unknown as [
        number,
        Uint8Array,
        number,
        number,
        number,
        (e: Error | null, n: number) => void,
      ];
      const index = Math.floor(position / chunkBytes);
      const call = (calls.get(index) ?? 0) + 1;
      calls.set(index, call);
      const what = plan(index, call);
      if (what === 'eio') return void setImmediate(() => done(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }), 0));
      if (what === 'none') return void setImmediate(() => done(null, 0));
      const go = () => read(fd, buffer, offset, what === 'half' ? Math.max(1, length >> 1) : length, position, done);
      if (what === 'stall') setTimeout(go, 50);
      else go();
    };
  const calls = new Map<number, number>();
  afterEach(() => calls.clear());

  async function fileOf(bytes: Buffer): Promise<string> {
    const path = join(folder(), 'in.bin');
    writeFileSync(path, bytes);
    return path;
  }

  it('a read ahead that fails while another is awaited: its error is thrown by the iteration, not left unhandled', async () => {
    const bytes = Buffer.concat(chunks(62, 64 * 1024));
    const path = await fileOf(bytes);
    const seen: number[] = [];
    const iterate = async () => {
      const fresh = () => new Uint8Array(8192);
      for await (const c of readAhead(path, 8192, fresh, { ahead: 2, read: faulty(8192, (i) => (i === 2 ? 'stall' : i === 3 ? 'eio' : 'ok')) as typeof read }))
        seen.push(c.length);
    };
    await expect(iterate()).rejects.toThrow('EIO');
    expect(seen).toEqual([8192, 8192, 8192]);
  });

  it('a read that returns fewer bytes than asked before the end is read on: every byte, no gap', async () => {
    const bytes = Buffer.concat(chunks(63, 40_000));
    const path = await fileOf(bytes);
    const back: Buffer[] = [];
    const fresh = () => new Uint8Array(8192);
    for await (const c of readAhead(path, 8192, fresh, { ahead: 2, read: faulty(8192, (i, call) => (i === 1 && call === 1 ? 'half' : 'ok')) as typeof read }))
      back.push(Buffer.from(c));
    expect(Buffer.concat(back).equals(bytes)).toBe(true);
  });

  it('a chunk cut short before bytes that follow (a read that said "end" too early) is an error naming the offset, not a gap', async () => {
    const bytes = Buffer.concat(chunks(64, 40_000));
    const path = await fileOf(bytes);
    const fresh = () => new Uint8Array(8192);
    const iterate = async () => {
      for await (const _ of readAhead(path, 8192, fresh, {
        read: faulty(8192, (i, call) => (i === 1 && call === 2 ? 'none' : i === 1 ? 'half' : 'ok')) as typeof read,
      })) {
        // read on
      }
    };
    await expect(iterate()).rejects.toThrow('a read returned fewer bytes than asked at offset 8192, yet more followed');
  });
});

describe('the output file (storage/output-file.ts) over it', () => {
  it('read back, its trailer appended after, closed and committed: the bytes in order', async () => {
    const dir = folder();
    const out = await createOutputFile(join(dir, 'out.rdb'), false);
    cleanup.push(() => out.discard());
    const parts = chunks(60, 4 * STAGE_BYTES + 99);
    for (const p of parts) await out.write(p);
    out.syncAhead();
    const back: Buffer[] = [];
    for await (const c of out.readTransient()) back.push(Buffer.from(c));
    expect(Buffer.concat(back).equals(Buffer.concat(parts))).toBe(true);
    await out.write(Buffer.from('12345678'));
    await out.close();
    expect((await out.readTail(8)).toString()).toBe('12345678');
    await out.commit();
    expect(readFileSync(join(dir, 'out.rdb')).equals(Buffer.concat([...parts, Buffer.from('12345678')]))).toBe(true);
  });
});
