import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * Writes `text` to `path` so a reader never sees half a file: `<path>.tmp`
 * first, then a rename (node_exporter's textfile collector reads `*.prom`
 * only, and a rename within a folder is atomic).
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, path);
}

/** A file's text, or `undefined` when it cannot be read (absent on a first run). */
export async function readTextIfAny(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
