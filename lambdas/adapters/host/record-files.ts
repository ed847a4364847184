/**
 * The files `redis-dr attest` checks, read from this machine: one record
 * file, or every `.json` record in a folder (not a backup's own `.rdb.json`
 * sidecar: backups are attested by the scrub's and drills' records), and the
 * PEM key files signing and checking use.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';

/** A path that is not there, or not readable: the caller's usage problem. */
export class MissingFileError extends Error {
  override readonly name = 'MissingFileError';
}

/**
 * The record files at `path` (a file, or a folder's `.json` records, its subfolders' too: a period's reports are
 * `<end>/report.json` each), each with its text and its path under the folder; `folder` says which it was.
 */
export async function readRecordFiles(path: string): Promise<{ folder: boolean; files: { name: string; text: string }[] }> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new MissingFileError(`${path}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}`);
  });
  if (!info.isDirectory()) return { folder: false, files: [{ name: basename(path), text: await readFile(path, 'utf8') }] };
  const names = (await readdir(path, { recursive: true }))
    .map((n) => n.split(sep).join('/'))
    .filter((n) => n.endsWith('.json') && !n.endsWith('.rdb.json'))
    .sort();
  const files = [];
  for (const name of names) files.push({ name, text: await readFile(join(path, name), 'utf8') });
  return { folder: true, files };
}

/** A key file's PEM text. @throws MissingFileError naming the option and the path */
export async function readKeyFile(option: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MissingFileError(`${option} ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** A file's bytes, or undefined when it is not there (a record's companion an auditor did not copy). Other faults throw. */
export async function readFileIfThere(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
