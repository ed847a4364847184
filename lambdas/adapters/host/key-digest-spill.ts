/**
 * The duplicate-key check's spill (domain/rdb/format/key-digests.ts) as
 * temporary files: one append-only file per shard in a private folder under
 * the system's temporary folder, removed when the check is done. 16 bytes a
 * key on disk (1.6 GB for 100 million keys); in memory only what the domain
 * holds. Synchronous, as the parser that calls it is.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyDigestSpill } from '../../domain/rdb/format/key-digests.js';

/** A spill in a new folder under `parent` (the system's temporary folder by default); `dir` names the folder. */
export function tempKeyDigestSpill(parent: string = tmpdir()): KeyDigestSpill & { readonly dir: string } {
  const dir = mkdtempSync(join(parent, 'redis-dr-key-digests-'));
  const fds = new Map<number, number>();
  const fdOf = (shard: number): number => {
    let fd = fds.get(shard);
    if (fd === undefined) {
      fd = openSync(join(dir, `${shard}.bin`), 'w+');
      fds.set(shard, fd);
    }
    return fd;
  };
  return {
    dir,
    append(shard, records) {
      const fd = fdOf(shard);
      const bytes = new Uint8Array(records.buffer, records.byteOffset, records.byteLength);
      // Every byte written or a throw: a short write (a full disk) must not lose digests silently.
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    },
    read(shard) {
      const fd = fds.get(shard);
      if (fd === undefined) return new Uint32Array(0);
      const size = fstatSync(fd).size;
      const out = new Uint32Array(size / 4);
      const bytes = new Uint8Array(out.buffer);
      for (let at = 0; at < size; ) {
        const n = readSync(fd, bytes, at, size - at, at);
        if (n === 0) throw new Error(`${join(dir, `${shard}.bin`)} ended at byte ${at} of ${size}`);
        at += n;
      }
      return out;
    },
    dispose() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The records a spill in `dir` (a {@link tempKeyDigestSpill}'s, written by another thread) holds for `shard`, in the order appended. */
export function readSpilledShard(dir: string, shard: number): Uint32Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, `${shard}.bin`));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Uint32Array(0); // nothing went to this shard
    throw e;
  }
  // A copy: Buffer's memory may be a pooled slab at an offset that is no multiple of 4.
  return new Uint32Array(new Uint8Array(bytes).buffer);
}
