import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AofDirectory } from '../../../../lambdas/adapters/storage/aof-dir.js';

/** This process's descriptors open on `path` (/proc/self/fd). */
function descriptorsOn(path: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path ? [fd] : [];
    } catch {
      return [];
    }
  });
}

describe('AofDirectory.open', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aof-dir-'));
    file = join(dir, 'appendonly.aof.1.incr.aof');
    writeFileSync(file, '*1\r\n$4\r\nPING\r\n');
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a file, reports its identity, and close() gives the descriptor back', async () => {
    const h = await new AofDirectory(dir).open('appendonly.aof.1.incr.aof');
    expect(h).toBeDefined();
    expect(await h!.size()).toBe(14);
    expect(descriptorsOn(file)).toHaveLength(1);
    await h!.close();
    expect(descriptorsOn(file)).toEqual([]);
  });

  it('a file not there: undefined, nothing opened', async () => {
    expect(await new AofDirectory(dir).open('appendonly.aof.2.incr.aof')).toBeUndefined();
  });

  it('an fstat that fails after the open: the error is thrown and the descriptor closed, not left to the garbage collector', async () => {
    // The FileHandle class is not exported: its prototype is reached through a handle (closed again at once).
    const probe = await open(file, 'r');
    const proto = Object.getPrototypeOf(probe) as { stat: () => Promise<unknown> };
    await probe.close();
    const eio = Object.assign(new Error('EIO: i/o error, fstat'), { code: 'EIO' });
    vi.spyOn(proto, 'stat').mockRejectedValueOnce(eio);
    await expect(new AofDirectory(dir).open('appendonly.aof.1.incr.aof')).rejects.toBe(eio);
    // Left to the garbage collector, Node closes it later with a warning on stderr, and until then it is open.
    expect(descriptorsOn(file)).toEqual([]);
  });
});
