/**
 * The duplicate-key check's spill (domain/rdb/format/key-digests.ts) as
 * temporary files: one append-only file per shard in a private folder under
 * the system's temporary folder, removed when the check is done. 16 bytes a
 * key on disk (1.6 GB for 100 million keys); in memory only what the domain
 * holds. Synchronous, as the parser that calls it is.
 */
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyDigestSpill } from '../../domain/rdb/format/key-digests.js';

/** A spill in a new folder under `parent` (the system's temporary folder by default); `dir` names the folder. */
export function tempKeyDigestSpill(parent: string = tmpdir()): KeyDigestSpill & { readonly dir: string } {
  const dir = mkdtempSync(join(parent, 'redis-dr-key-digests-'));
  const fds = new Map<number, number>();
  const reused = reusedBuffer();
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
      return readWhole(fd, join(dir, `${shard}.bin`), reused);
    },
    dispose() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Reads the shards of a spill in `dir` (a {@link tempKeyDigestSpill}'s,
 * written by another thread): `read(s)` gives the records of shard `s` in
 * the order appended, in an array the next read reuses (read them one
 * after another: the check needs one shard at a time, and an array per
 * shard was about 40 MB of garbage at a time for 10 million keys).
 */
export function spilledShardReader(dir: string): { read(shard: number): Uint32Array } {
  const reused = reusedBuffer();
  return {
    read(shard) {
      const path = join(dir, `${shard}.bin`);
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        // Nothing went to this shard; but a folder that is gone is records lost, never an empty shard.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(dir)) return new Uint32Array(0);
        throw e;
      }
      try {
        return readWhole(fd, path, reused);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** A buffer that grows to the largest size asked for and is handed out again. */
function reusedBuffer(): (bytes: number) => Uint8Array {
  let buffer = new Uint8Array(0);
  return (bytes) => {
    if (buffer.length < bytes) buffer = new Uint8Array(Math.max(bytes, buffer.length * 2));
    return buffer.subarray(0, bytes);
  };
}

/** The whole file `fd` as 32-bit words, in a buffer of `reused`'s. */
function readWhole(fd: number, path: string, reused: (bytes: number) => Uint8Array): Uint32Array {
  const size = fstatSync(fd).size;
  if (size % 16 !== 0) throw new Error(`${path} holds ${size} bytes, not whole 16-byte records`);
  const bytes = reused(size);
  for (let at = 0; at < size; ) {
    const n = readSync(fd, bytes, at, size - at, at);
    if (n === 0) throw new Error(`${path} ended at byte ${at} of ${size}`);
    at += n;
  }
  return new Uint32Array(bytes.buffer, bytes.byteOffset, size / 4);
}
