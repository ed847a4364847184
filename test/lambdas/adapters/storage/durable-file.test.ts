import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ReadBackMismatchError,
  ShortWriteError,
  readBackFile,
  syncDir,
  verifyReadBack,
  writeAll,
  type WritableHandle,
} from '../../../../lambdas/adapters/storage/durable-file.js';
import { builtModule } from '../../../support/built-module.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdr-durable-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A real file handle whose writes write at most `max` bytes, and nothing after `limit` bytes in total. */
async function shortHandle(path: string, max: number, limit = Number.POSITIVE_INFINITY) {
  const fh = await open(path, 'w');
  let total = 0;
  const handle: WritableHandle = {
    write: (async (buffer: Uint8Array, offset = 0, length = buffer.byteLength - offset) => {
      const n = Math.max(0, Math.min(max, length, limit - total));
      const { bytesWritten } = await fh.write(buffer, offset, n);
      total += bytesWritten;
      return { bytesWritten, buffer };
    }) as WritableHandle['write'],
  };
  return { handle, close: () => fh.close() };
}

describe('writeAll', () => {
  it('writes every byte through a handle that writes at most 7 bytes a call', async () => {
    const path = join(dir, 'f');
    const data = Buffer.from(`${'x'.repeat(1000)}end`);
    const { handle, close } = await shortHandle(path, 7);
    await writeAll(handle, data, path);
    await close();
    expect(readFileSync(path)).toEqual(data);
  });

  it('throws ShortWriteError naming the bytes written when the handle stops writing', async () => {
    const path = join(dir, 'f');
    const { handle, close } = await shortHandle(path, 100, 250);
    const err = await writeAll(handle, Buffer.alloc(1000, 1), path).catch((e: unknown) => e);
    await close();
    expect(err).toBeInstanceOf(ShortWriteError);
    expect(err).toMatchObject({ expected: 1000, written: 250 });
    expect((err as Error).message).toContain(`short write to ${path}: 250 of 1000 bytes written`);
  });

  it('fails under a real file-size limit (ulimit -f in a child shell) instead of writing short', () => {
    // A child node under `ulimit -f 1` (1 KiB blocks): the kernel writes up to the limit, then EFBIG.
    // The module as dist/ compiled it (test/support/built-module.ts), run by node itself: through tsx's command (its own
    // node, then the script's, with the loader) the file cost 0.5 CPU-s, 0.09 so (pinned to one CPU).
    const module = builtModule(resolve(__dirname, '../../../../lambdas/adapters/storage/durable-file.ts'));
    const script = `
      const { open } = require('node:fs/promises');
      const { writeAll } = require(${JSON.stringify(module)});
      (async () => {
        const fh = await open(process.argv[1], 'w');
        try { await writeAll(fh, Buffer.alloc(64 * 1024, 7), process.argv[1]); console.log('ok'); }
        catch (e) { console.log('error ' + (e.code || e.name)); process.exitCode = 1; }
        finally { await fh.close(); }
      })();`;
    const path = join(dir, 'limited');
    const run = spawnSync('bash', ['-c', `ulimit -f 1 && exec "$0" -e "$1" "$2"`, process.execPath, script, path], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('error EFBIG');
    expect(run.status).toBe(1);
    expect(statSync(path).size).toBeLessThan(64 * 1024);
  });
});

describe('read-back', () => {
  it('returns length and SHA-256 of the stored bytes', async () => {
    const path = join(dir, 'f');
    writeFileSync(path, 'hello');
    expect(await readBackFile(path)).toEqual({ bytes: 5, sha256: createHash('sha256').update('hello').digest('hex') });
  });

  it('verifyReadBack throws ReadBackMismatchError on a truncated file', async () => {
    const path = join(dir, 'f');
    writeFileSync(path, 'hello');
    const expected = await readBackFile(path);
    writeFileSync(path, 'hell');
    await expect(verifyReadBack(path, expected, 'file:///x/f')).rejects.toThrow(ReadBackMismatchError);
    await expect(verifyReadBack(path, expected, 'file:///x/f')).rejects.toThrow(/read-back of file:\/\/\/x\/f does not match what was written: 4 bytes/);
  });

  it('verifyReadBack accepts the same bytes', async () => {
    const path = join(dir, 'f');
    writeFileSync(path, 'hello');
    await expect(verifyReadBack(path, { bytes: 5, sha256: createHash('sha256').update('hello').digest('hex') })).resolves.toMatchObject({ bytes: 5 });
  });

  it('syncDir syncs a directory', async () => {
    await expect(syncDir(dir)).resolves.toBeUndefined();
  });
});
