import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateFileAtomic } from '../../../../lambdas/adapters/host/textfile.js';
import { builtModule } from '../../../support/built-module.js';

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
  /**
   * `updateFileAtomic` (or `writeFileAtomic`) in a child under a file-size limit (`ulimit -f`, 1024-byte blocks) with
   * SIGXFSZ ignored: a write past it fails with EFBIG, as on a full disk. The child prints the error's code and the
   * descriptors it still holds on files of `dir`.
   */
  function underFileLimit(blocks: number, call: string): { code: string; open: string[] } {
    const module = builtModule(resolve(__dirname, '../../../../lambdas/adapters/host/textfile.ts'));
    const script = `
      const fs = require('node:fs');
      const t = require(${JSON.stringify(module)});
      const dir = process.argv[1];
      const held = () => fs.readdirSync('/proc/self/fd').flatMap((fd) => { try { const p = fs.readlinkSync('/proc/self/fd/' + fd); return p.startsWith(dir) ? [p] : []; } catch { return []; } });
      (${call}).then(() => 'none', (e) => e.code).then((code) => { process.stdout.write(JSON.stringify({ code, open: held() })); });`;
    const quoted = [process.execPath, '-e', script, dir].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const run = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f ${blocks}; exec ${quoted}`], { cwd: resolve(__dirname, '../../../..'), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { code: string; open: string[] };
  }

  it('a lock whose pid cannot be written (no byte allowed: ulimit -f 0): the error, the lock removed and its handle closed (were: an empty lock left, which stalls the next run 5 s, and a handle left to the garbage collector)', () => {
    const r = underFileLimit(0, "t.updateFileAtomic(require('node:path').join(dir, 'm.prom'), () => 'x 1\\n')");
    expect(r).toEqual({ code: 'EFBIG', open: [] });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a text that cannot be written whole (a 1 KiB limit, 4 KiB of text): the error, no temporary file left and the file there unchanged; the same for writeFileAtomic', () => {
    writeFileSync(join(dir, 'm.prom'), 'before\n');
    const big = "'x'.repeat(4096)";
    expect(underFileLimit(1, `t.updateFileAtomic(require('node:path').join(dir, 'm.prom'), () => ${big})`)).toEqual({ code: 'EFBIG', open: [] });
    expect(readdirSync(dir)).toEqual(['m.prom']);
    expect(underFileLimit(1, `t.writeFileAtomic(require('node:path').join(dir, 'm.prom'), ${big})`)).toEqual({ code: 'EFBIG', open: [] });
    expect(readdirSync(dir)).toEqual(['m.prom']);
    expect(readFileSync(join(dir, 'm.prom'), 'utf8')).toBe('before\n');
  });
});
