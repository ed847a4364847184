import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { processAlive } from './process.js';

/**
 * Writes `text` to `path` so a reader never sees half a file: `<path>.tmp`
 * first, then a rename (node_exporter's textfile collector reads `*.prom`
 * only, and a rename within a folder is atomic).
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await writeThenRename(`${path}.tmp`, path, text);
}

/** Writes `text` to `temp`, then renames it to `path`; a write or rename that fails removes `temp` (no half file left beside). */
async function writeThenRename(temp: string, path: string, text: string): Promise<void> {
  try {
    await writeFile(temp, text, { mode: 0o644 });
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** A file's text, or `undefined` when it cannot be read (absent on a first run). */
export async function readTextIfAny(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** How long {@link updateFileAtomic} waits for another process's lock before it fails. */
const LOCK_WAIT_MS = 30_000;

/**
 * Replaces `path` with `update(its current text)` so that concurrent runs
 * sharing the file (two targets' backups writing one textfile) each keep
 * the other's part: a lock file `<path>.lock` (created exclusively, holding
 * the pid; a lock whose process is gone is taken over) around read, update
 * and an atomic rename.
 * @throws Error naming the lock when another live process holds it for 30 s
 */
export async function updateFileAtomic(path: string, update: (previous: string | undefined) => string, waitMs = LOCK_WAIT_MS): Promise<void> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      try {
        await fh.writeFile(String(process.pid));
      } catch (err) {
        // Ours, without its pid: closed and removed (left, the next run would wait 5 s before it took it over as an orphan).
        await fh.close().catch(() => undefined);
        await unlink(lock).catch(() => undefined);
        throw err;
      }
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readTextIfAny(lock))?.trim());
      const valid = Number.isInteger(holder) && holder > 0;
      // A lock without a pid is being written (wait), or was left by a process killed right then (older than 5 s: taken over).
      const orphan = !valid && Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now()) > 5_000;
      if (orphan || (valid && holder !== process.pid && !processAlive(holder))) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`${lock} is held by process ${holder || '?'} for more than ${waitMs / 1000} s: remove it if that process is gone`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    await writeThenRename(`${path}.tmp-${process.pid}`, path, update(await readTextIfAny(path)));
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
