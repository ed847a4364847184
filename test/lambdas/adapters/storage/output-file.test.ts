import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createOutputFile, earlierLeftovers } from '../../../../lambdas/adapters/storage/output-file.js';
import { appendOnly } from '../../../support/append-only.js';
import { builtModule } from '../../../support/built-module.js';
import { pidScopeTag } from '../../../../lambdas/adapters/host/process.js';

describe('createOutputFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-output-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the temporary file when its body is first read: a body never read, then discarded, leaves no stream erroring (review 20)', async () => {
    const out = await createOutputFile(join(dir, 'a.rdb'), false);
    await out.write(Buffer.from('REDIS0010'));
    await out.close();
    const unread = out.read(); // as a put refused before it read its body
    await out.discard();
    expect(existsSync(out.tempPath)).toBe(false);
    await sleep(50); // an eager stream would have failed to open by now: an unhandled 'error' fails the run
    // Read after all, it fails as a read of a removed file does, to its reader.
    await expect(
      (async () => {
        for await (const _ of unread) void _;
      })(),
    ).rejects.toThrow(/ENOENT/);
  });

  it('its body is the bytes written', async () => {
    const out = await createOutputFile(join(dir, 'b.rdb'), false);
    await out.write(Buffer.from('REDIS'));
    await out.write(Buffer.from('0010'));
    await out.close();
    const chunks: Buffer[] = [];
    for await (const c of out.read()) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString()).toBe('REDIS0010');
    await out.discard();
  });

  it('read back before its last bytes are appended, then its last bytes read from the file (convert-rdb: the trailer after the read-back)', async () => {
    const out = await createOutputFile(join(dir, 'c.rdb'), false);
    const body = Buffer.alloc(3 << 20, 7);
    await out.write(body);
    let read = 0;
    for await (const c of out.readTransient()) read += c.length;
    expect(read).toBe(body.length);
    await out.write(Buffer.from('trailer!'));
    await out.close();
    expect((await out.readTail(8)).toString()).toBe('trailer!');
    expect((await out.readTail(9)).toString('latin1')).toBe('\x07trailer!');
    await out.commit();
    expect(existsSync(join(dir, 'c.rdb'))).toBe(true);
  });

  it('changed by another process after it was closed (read back): the commit refuses it, the name left as it was (nothing there, or the file --force would replace)', async () => {
    for (const replace of [false, true]) {
      const target = join(dir, `changed-${replace}.rdb`);
      if (replace) writeFileSync(target, 'the older file');
      const out = await createOutputFile(target, replace);
      await out.write(Buffer.alloc(1 << 16, 7));
      await out.close();
      for await (const _ of out.read());
      appendFileSync(out.tempPath, 'x');
      await expect(out.commit()).rejects.toThrow(
        new RegExp(
          `^its temporary file ${out.tempPath} was changed by another process while or after it was read back \\(device:inode:size:mtime \\d+:\\d+:65536:\\d+ → \\d+:\\d+:65537:\\d+\\): not the file verified$`,
        ),
      );
      expect(replace ? readFileSync(target, 'utf8') : existsSync(target)).toBe(replace ? 'the older file' : false);
      await out.discard();
    }
  });

  it('changed by another process while it was read back, before its last bytes were appended: the append refuses it; negative: untouched, it goes on', async () => {
    for (const touch of [true, false]) {
      const out = await createOutputFile(join(dir, `appended-${touch}.rdb`), false);
      await out.write(Buffer.alloc(3 << 20, 7));
      for await (const _ of out.readTransient()) if (touch) truncateSync(out.tempPath, 1 << 20);
      const appended = out.write(Buffer.from('trailer!'));
      if (!touch) {
        await appended;
        await out.close();
        await out.commit();
        continue;
      }
      await expect(appended).rejects.toThrow(
        /was changed by another process while or after it was read back \(device:inode:size:mtime \d+:\d+:3145728:\d+ → \d+:\d+:1048576:\d+\)/,
      );
      // The failed write discarded it: nothing left.
      expect(existsSync(out.tempPath)).toBe(false);
    }
  });

  it('a temporary name that cannot be removed once the file is linked under its name (a folder that refuses unlinks: chattr +a): the file is in place, the commit does not fail, leftName names the second name; uncommit cannot take it back while its second name stays, and says so', async () => {
    const folder = mkdtempSync(join(dir, 'append-only-'));
    const target = join(folder, 'x.rdb');
    const out = await createOutputFile(target, false);
    await out.write(Buffer.from('REDIS0010'));
    await out.close();
    appendOnly(folder, true);
    try {
      await out.commit();
      expect(readFileSync(target, 'utf8')).toBe('REDIS0010');
      const left = out.leftName();
      expect(left).toEqual({ path: out.tempPath, reason: `EPERM: operation not permitted, unlink '${out.tempPath}'` });
      expect(readdirSync(folder).sort()).toEqual([basename(out.tempPath), 'x.rdb']);
      await out.discard(); // the temporary name is the output's second name now: discard leaves both as they are
      expect(readFileSync(target, 'utf8')).toBe('REDIS0010');
      await expect(out.uncommit()).rejects.toThrow(
        `its second name ${out.tempPath} could not be removed (EPERM: operation not permitted, unlink '${out.tempPath}')`,
      );
      expect(readFileSync(target, 'utf8')).toBe('REDIS0010');
    } finally {
      appendOnly(folder, false);
    }
    // The folder lets go again: the take-back removes the second name, then the output.
    expect(await out.uncommit()).toBe('removed');
    expect(readdirSync(folder)).toEqual([]);
  });

  it('negative: a folder that removes names: no leftName, only the output there', async () => {
    const folder = mkdtempSync(join(dir, 'plain-'));
    const out = await createOutputFile(join(folder, 'x.rdb'), false);
    await out.write(Buffer.from('REDIS0010'));
    await out.close();
    await out.commit();
    expect(out.leftName()).toBeUndefined();
    expect(readdirSync(folder)).toEqual(['x.rdb']);
  });

  it('a sync started ahead (convert-rdb: while the body is read back) is waited for by the next write and by close: the bytes are all there, in order', async () => {
    const out = await createOutputFile(join(dir, 'd.rdb'), false);
    await out.write(Buffer.alloc(3 << 20, 1));
    out.syncAhead();
    out.syncAhead(); // one under way already: nothing more asked
    const chunks: Buffer[] = [];
    for await (const c of out.readTransient()) chunks.push(Buffer.from(c)); // read back while the disk takes it
    expect(Buffer.concat(chunks).equals(Buffer.alloc(3 << 20, 1))).toBe(true);
    await out.write(Buffer.from('trailer'));
    out.syncAhead();
    await out.close();
    out.syncAhead(); // closed: nothing to sync
    expect((await out.readTail(7)).toString()).toBe('trailer');
    await out.commit();
    expect(readFileSync(join(dir, 'd.rdb')).length).toBe((3 << 20) + 7);
  });

  it("earlierLeftovers names a killed run's second name of the output (same file: nothing to put back); negative: a live process's, another output's, a folder", () => {
    const folder = mkdtempSync(join(dir, 'left-'));
    const out = join(folder, 'x.rdb');
    writeFileSync(out, 'the file there');
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // exited and reaped: no longer running
    const scope = pidScopeTag(); // this host's (a run's names carry it)
    const second = join(folder, `.x.rdb.${scope}-${dead}-00000000.tmp.replaced`);
    linkSync(out, second); // killed between the link and the rename
    writeFileSync(join(folder, `.x.rdb.${scope}-${process.pid}-00000001.tmp`), 'a run under way');
    writeFileSync(join(folder, `.y.rdb.${scope}-${dead}-00000002.tmp`), "another output's");
    mkdirSync(join(folder, `.x.rdb.${scope}-${dead}-00000003.tmp`));
    // The temporary name of a run that put its output in place and could not remove it (or was killed right then): the output itself.
    const kept = join(folder, `.x.rdb.${scope}-${dead}-00000004.tmp`);
    linkSync(out, kept);
    // negative: a killed run's temporary file that is not the output.
    const partial = join(folder, `.x.rdb.${scope}-${dead}-00000005.tmp`);
    writeFileSync(partial, 'half a file');
    expect(earlierLeftovers(out)).toEqual([
      `${second}: a second name of ${out}, made by an earlier run killed before it replaced it (nothing to put back; remove it)`,
      `${kept}: a second name of ${out} (the same file), left by an earlier run after it put the output in place (nothing to keep; remove it)`,
      `${partial}: the temporary file of an earlier run on ${out}, killed before it ended (not an output; remove it)`,
    ]);
    // Named, not removed.
    expect(readdirSync(folder)).toHaveLength(7);
    expect(earlierLeftovers(join(folder, 'none', 'x.rdb'))).toEqual([]);
  });

  it('earlierLeftovers on a folder another host writes too (a shared mount): a file of another scope is named whatever its pid does here, as of a run whose liveness is not known here (was: a pid running here skipped it as live, one not running here called it killed); a name without a scope is judged here and said so', () => {
    const folder = mkdtempSync(join(dir, 'shared-'));
    const out = join(folder, 'x.rdb');
    writeFileSync(out, 'the file there');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const other = pidScopeTag({ host: 'another-host', boot: 'b', pidNamespace: 'pid:[1]' });
    // A pid that runs here (this process) and one that does not: neither says anything of the other host's run.
    const liveHere = join(folder, `.x.rdb.${other}-${process.pid}-00000001.tmp`);
    const deadHere = join(folder, `.x.rdb.${other}-${dead}-00000002.tmp`);
    writeFileSync(liveHere, 'another host, maybe under way');
    writeFileSync(deadHere, 'another host, maybe under way');
    const aside = join(folder, `.x.rdb.${other}-${dead}-00000003.tmp.replaced`);
    writeFileSync(aside, 'the older file');
    const older = join(folder, `.x.rdb.${dead}-00000004.tmp`); // an older redis-dr's name: no scope
    writeFileSync(older, 'half a file');
    writeFileSync(join(folder, `.x.rdb.${process.pid}-00000005.tmp`), 'an older name, its pid running here: skipped as before');
    const run = 'a run on another host or container (whether it is still under way cannot be told from here)';
    // In name order (the pids' digits: this process's and the dead one's compare either way round, so the expected lines
    // are put in that order too: each begins with its name).
    expect(earlierLeftovers(out)).toEqual(
      [
        `${older}: the temporary file of an earlier run on ${out}, killed before it ended (not an output; remove it) ` +
          '(an older name, without its host: judged by the processes of this host; if another host writes this folder, check that no run of it is under way)',
        `${liveHere}: the temporary file of ${run} on ${out} (not an output; remove it once no run on it is under way there)`,
        `${deadHere}: the temporary file of ${run} on ${out} (not an output; remove it once no run on it is under way there)`,
        `${aside}: the file at ${out} that ${run} with --force replaced, kept aside by that run ` +
          `(whether it had finished is not known: to put the older file back, mv ${aside} ${out}; else remove it once no run on it is under way there)`,
      ].sort(),
    );
  });

  it("a run's temporary file carries this host's scope, which earlierLeftovers reads as its own", async () => {
    const folder = mkdtempSync(join(dir, 'scope-'));
    const out = await createOutputFile(join(folder, 'x.rdb'), false);
    expect(basename(out.tempPath)).toMatch(new RegExp(`^\\.x\\.rdb\\.${pidScopeTag()}-${process.pid}-[0-9a-f]{8}\\.tmp$`));
    expect(earlierLeftovers(join(folder, 'x.rdb'))).toEqual([]); // this process runs: its own file is not a leftover
    await out.discard();
  });

  it('a process that exits while its temporary file is being created leaves none (the file is on record before it exists)', () => {
    // The child asks for the file and, without yielding to the event loop, spins until the file is on disk
    // (created by the thread pool; the open's reply not yet taken), then exits as the CLI's SIGTERM handler does.
    const folder = mkdtempSync(join(dir, 'exit-'));
    const module = builtModule(resolve(__dirname, '../../../../lambdas/adapters/storage/output-file.ts'));
    const script = `
      const { readdirSync } = require('node:fs');
      const { createOutputFile } = require(${JSON.stringify(module)});
      void createOutputFile(require('node:path').join(process.argv[1], 'out.rdb'), false);
      const until = Date.now() + 20000;
      while (readdirSync(process.argv[1]).length === 0 && Date.now() < until);
      process.exit(readdirSync(process.argv[1]).length === 0 ? 3 : 143);`;
    const run = spawnSync(process.execPath, ['-e', script, folder], { cwd: resolve(__dirname, '../../../..'), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(143); // the file existed when it exited
    expect(readdirSync(folder)).toEqual([]);
  });
});
