import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileChunksReused } from '../../../../lambdas/adapters/host/crc64-thread.js';
import { openDirect } from '../../../../lambdas/adapters/host/direct-io.js';
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
    if (!direct) return; // this folder's file system refuses O_DIRECT: written through the page cache, as it must be
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
    const path = join(dir, 'in.bin');
    const bytes = Buffer.concat(chunks(59, STAGE_BYTES + 3_000));
    writeFileSync(path, bytes);
    const back: Buffer[] = [];
    for await (const c of readFileChunksReused(path, 1_000, true)) back.push(Buffer.from(c));
    expect(Buffer.concat(back).equals(bytes)).toBe(true);
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
