import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateFileAtomic } from '../../../../lambdas/adapters/host/textfile.js';

describe('updateFileAtomic (a textfile several runs share)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdr-textfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands the current text to the update and leaves only the file (no lock, no temporary file)', async () => {
    const path = join(dir, 'm.prom');
    await updateFileAtomic(path, (previous) => `${previous ?? ''}a\n`);
    await updateFileAtomic(path, (previous) => `${previous ?? ''}b\n`);
    expect(readFileSync(path, 'utf8')).toBe('a\nb\n');
    expect(readdirSync(dir)).toEqual(['m.prom']);
  });

  it('ten concurrent updates each see the one before (serialized by the lock): none is lost', async () => {
    const path = join(dir, 'm.prom');
    await Promise.all(Array.from({ length: 10 }, (_, i) => updateFileAtomic(path, (previous) => `${previous ?? ''}${i}\n`)));
    expect(readFileSync(path, 'utf8').trim().split('\n').sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('takes over the lock of a process that is gone, and an empty lock older than 5 s', async () => {
    const path = join(dir, 'm.prom');
    writeFileSync(`${path}.lock`, '999999999');
    await updateFileAtomic(path, () => 'x\n');
    writeFileSync(`${path}.lock`, '');
    utimesSync(`${path}.lock`, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await updateFileAtomic(path, () => 'y\n');
    expect(readFileSync(path, 'utf8')).toBe('y\n');
  });

  it("waits for a live process's lock and fails naming it when it is not released in time", async () => {
    const path = join(dir, 'm.prom');
    writeFileSync(`${path}.lock`, String(process.ppid));
    await expect(updateFileAtomic(path, () => 'x\n', 200)).rejects.toThrow(
      `${path}.lock is held by process ${process.ppid} for more than 0.2 s: remove it if that process is gone`,
    );
  });
});
