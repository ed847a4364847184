/**
 * A local file served at offsets is the one file that was opened and
 * verified: the pass that indexes it reads the opened file (not whatever the
 * path names by then: a live server's BGSAVE renames a new dump.rdb over
 * it), and a file rewritten in place after it was opened is never answered
 * from: each read after the change fails, naming the file.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openLocalRdb } from '../../../../lambdas/adapters/storage/rdb-at.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-rdb-at-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function all(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p);
  return Buffer.concat(parts);
}

describe('openLocalRdb', () => {
  it('streams the file it opened, even once another file is renamed over its path (a BGSAVE into the served dump.rdb)', async () => {
    const path = join(dir, 'dump.rdb');
    const first = Buffer.alloc(3 << 20, 'a');
    writeFileSync(path, first);
    const at = openLocalRdb(path);
    try {
      expect(at.pathChanged!()).toBeUndefined();
      writeFileSync(join(dir, 'temp.rdb'), Buffer.alloc(2 << 20, 'b'));
      renameSync(join(dir, 'temp.rdb'), path);
      const streamed = await all(at.stream());
      // A reader that opened the path again (the verifier) learns that it read another file.
      expect(at.pathChanged!()).toBe(`${path} was replaced by another file after it was opened (a save renamed over it?): run serve again`);
      expect(streamed.length).toBe(first.length);
      expect(streamed.equals(first)).toBe(true);
      expect(at.readNow!(10, 3).toString()).toBe('aaa');
      // Streamed twice (the verifier's pass, then the index's): the same bytes, and the file still open for reads.
      expect((await all(at.stream())).equals(first)).toBe(true);
      expect(at.readNow!(0, 1).toString()).toBe('a');
    } finally {
      at.close();
    }
  });

  it('refuses every read once the file it opened is rewritten in place, naming the file', async () => {
    const path = join(dir, 'inplace.rdb');
    writeFileSync(path, Buffer.alloc(4096, 'a'));
    const at = openLocalRdb(path);
    try {
      expect(at.readNow!(100, 4).toString()).toBe('aaaa');
      const changed = readFileSync(path);
      changed.write('EVIL', 100);
      writeFileSync(path, changed); // the same inode, truncated and written again (cp onto it)
      // The change is seen when the file system reports it (inotify: within milliseconds).
      await vi.waitFor(() => expect(() => at.readNow!(100, 4)).toThrow(), { timeout: 2000 });
      expect(() => at.readNow!(100, 4)).toThrow(`${path} was changed after it was opened and verified`);
      await expect(at.read(0, 4)).rejects.toThrow(/was changed after it was opened and verified/);
      expect(at.pathChanged!()).toMatch(/was changed after it was opened and verified/);
    } finally {
      at.close();
    }
  });
});
