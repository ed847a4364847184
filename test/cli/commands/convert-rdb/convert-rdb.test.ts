import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { populate } from '../../../support/rdb-dataset.js';
import { expiredFieldKeys, frameFile, listpack, moduleAux, newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { listpackSets } from '../../../support/shard-point.js';
import { inWorker } from '../../support/in-process.js';
import { cli, cliAsNobody, cliOnTerminal, cliWithFileLimit, NOBODY } from '../../support/run-cli.js';
import { appendOnly } from '../../../support/append-only.js';

const ROOT = join(__dirname, '..', '..', '..', '..');
/** The escape character a terminal's control sequences begin with. */
const ESC = String.fromCharCode(0x1b);

/**
 * The cases about the words, the files left and the exit code run the program in this process (test/cli/support/in-process.ts).
 * What a shell sees of the binary is the children's: the first conversion, a file-size limit, SIGINT and SIGTERM.
 */
const inProcess = inWorker;

describe('redis-dr convert-rdb', () => {
  let source: RedisServer;
  let dir: string;
  let v11: string;
  let v12: string;
  let files: ReturnType<typeof newerFiles>;

  beforeAll(async () => {
    source = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const c = source.client();
    await populate(c);
    files = newerFiles(readFileSync(await bgsave(source, c)));
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-cli-'));
    v11 = join(dir, 'v11.rdb');
    v12 = join(dir, 'v12.rdb');
    writeFileSync(v11, files.REDIS0011);
    writeFileSync(v12, files.REDIS0012);
  }, 60_000);

  afterAll(async () => {
    await source?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const hidden = () => readdirSync(dir).filter((f) => f.startsWith('.'));
  /**
   * A file of 200,000 listpack sets, each re-encoded for redis-6.2: a run far longer than a signal takes to arrive. Framed
   * once a size (only read), into one buffer (test/support/shard-point.ts: the bytes frameFile wrote of a key each, its
   * ctime aside): 200,000 keys 0.37 -> 0.09 CPU-s, 400,000 0.69 -> 0.10, pinned to one CPU.
   */
  const longRuns = new Map<number, string>();
  const longRun = (name: string, keys = 200_000): string => {
    const made = longRuns.get(keys);
    if (made !== undefined) return made;
    const path = join(dir, name);
    writeFileSync(path, listpackSets('set:', keys));
    longRuns.set(keys, path);
    return path;
  };

  it('converts for --for redis-7.0, prints what it did and that it verified it; exit 0', async () => {
    const out = join(dir, 'ok.rdb');
    const r = await cli('convert-rdb', v11, '--for', 'redis-7.0', '-o', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ok\.rdb: REDIS0010 for redis-7\.0, from .*v11\.rdb \(REDIS RDB 11\)/);
    expect(r.stdout).toMatch(/keys written \(\d+ as they were, \d+ re-encoded\), 1 function library/);
    expect(r.stdout).toMatch(/verified: the output passes verify-rdb and holds the same keys/);
    // The library's Lua is not run here (its syntax is checked, and for redis-7.0 the names its top level reads): said, with where it is (review 45).
    expect(r.stdout).toMatch(
      /^note: 1 function library copied as the input holds it: their Lua's syntax is checked here, and the names their top level reads and assigns and the arguments it gives register_function and log as far as the check follows it \(against Redis 7\.0's\), not all it does when run, .*redis-dr drill local --rdb <output>/m,
    );
    expect(r.stdout).not.toContain('--lossy');
    expect(readFileSync(out).subarray(0, 9).toString()).toBe('REDIS0010');
  }, 30_000);

  it('on a terminal, a progress line while it runs (the input converted, the output verified), cleared before the summary; none on a pipe', async () => {
    const out = join(dir, 'on-terminal.rdb');
    const r = await cliOnTerminal('convert-rdb', v11, '--for', 'redis-6.2', '--lossy', 'function,stream-ids', '-o', out);
    expect(r.status).toBe(0);
    // Drawn at the first step told (the input's first chunk), then at most 5 times a second, and its last state when it stops.
    const frames = r.output.split(new RegExp(`\r|${ESC}\\[1G`)).filter((f) => f.startsWith('redis-dr convert-rdb: '));
    expect(frames[0]).toMatch(/^redis-dr convert-rdb: converting v11\.rdb [\d.]+ of [\d.]+ MiB \(\d+%\) \| - MiB\/s \| 0s/);
    expect(frames.at(-1)).toMatch(/^redis-dr convert-rdb: verifying the output of v11\.rdb ([\d.]+) of \1 MiB \(100%\)/);
    // Cleared (the line erased) before the summary, which follows on a line of its own.
    expect(r.output).toMatch(new RegExp(`${ESC}\\[2K[^\n]*on-terminal\\.rdb: REDIS0009 for redis-6\\.2`));
    // On a pipe (cli: stderr is no terminal), nothing but the summary; with --json, no line either.
    const piped = await cli('convert-rdb', v11, '--for', 'redis-6.2', '--lossy', 'function,stream-ids', '-o', out, '--force');
    expect([piped.status, piped.stderr]).toEqual([0, '']);
    const json = await cliOnTerminal('convert-rdb', v11, '--for', 'redis-6.2', '--lossy', 'function,stream-ids', '-o', out, '--force', '--json');
    expect(json.status).toBe(0);
    expect(json.output).not.toContain('redis-dr convert-rdb: ');
  }, 60_000);

  /** A folder of root's that nobody may read (mode 0755), holding a copy of the input nobody reads: for runs as nobody. */
  const nobodysInput = (): { open: string; input: string } => {
    const open = mkdtempSync(join(tmpdir(), 'redis-dr-convert-nobody-'));
    chmodSync(open, 0o755);
    const input = join(open, 'v11.rdb');
    copyFileSync(v11, input);
    chmodSync(input, 0o644);
    return { open, input };
  };

  it('a folder whose sync fails once the file is renamed into it (writable, not readable: mode 0300, as nobody): the file is named as in place, not "nothing was written"; exit 1', async () => {
    // nobody reads the input and the program; the output folder takes files but cannot be opened, so its fsync fails.
    const { open, input } = nobodysInput();
    try {
      const folder = join(open, 'out');
      mkdirSync(folder);
      chownSync(folder, NOBODY, NOBODY);
      chmodSync(folder, 0o300);
      const out = join(folder, 'unsynced.rdb');
      const r = await cliAsNobody('convert-rdb', input, '--for', 'redis-7.0', '-o', out);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).not.toContain('nothing was written');
      expect(r.stderr).toContain(
        `${out} is in place (verified before it was put there), but its folder could not be synced after it was (EACCES: permission denied, open '${folder}'): a crash may lose it`,
      );
      chmodSync(folder, 0o700);
      // What the folder holds: the converted file, nothing else (no temporary file).
      expect(readdirSync(folder)).toEqual(['unsynced.rdb']);
      expect(readFileSync(out).subarray(0, 9).toString()).toBe('REDIS0010');
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  }, 30_000);

  it("a folder this user may not write in (root's, mode 0755, as nobody): one line naming the folder and the fix, exit 2, nothing read or written", async () => {
    // Before: 'redis-dr convert-rdb: EACCES: permission denied, open '<folder>/.denied.rdb.<tag>.tmp'' (a name the operator never gave), exit 1.
    const { open, input } = nobodysInput();
    try {
      const folder = join(open, 'root-only');
      mkdirSync(folder, { mode: 0o755 });
      const out = join(folder, 'denied.rdb');
      const r = await cliAsNobody('convert-rdb', input, '--for', 'redis-7.0', '-o', out);
      expect(r.stderr).toBe(
        `redis-dr: -o ${out}: no file can be created in ${folder} (EACCES: permission denied): give a path in a folder this user may write; nothing was read or written\n`,
      );
      expect(r.status).toBe(2);
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  }, 30_000);

  it("a folder that takes the output's link but refuses to remove its temporary name (chattr +a): the output is in place and verified, exit 0, with a warning naming the second name left", async () => {
    const folder = mkdtempSync(join(dir, 'append-only-'));
    const out = join(folder, 'kept.rdb');
    appendOnly(folder, true);
    try {
      const r = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', out);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/verified: the output passes verify-rdb and holds the same keys/);
      expect(r.stderr).not.toContain('nothing was written');
      const left = readdirSync(folder).filter((f) => f.startsWith('.'));
      expect(left).toHaveLength(1);
      const temp = join(folder, left[0]!);
      expect(r.stderr).toBe(
        `redis-dr convert-rdb: warning: ${temp} is a second name of ${out} (the same file), which the run could not remove once the output was in place ` +
          `(EPERM: operation not permitted, unlink '${temp}'): remove it (rm ${temp})\n`,
      );
      expect(readFileSync(out).subarray(0, 9).toString()).toBe('REDIS0010');
      expect(readFileSync(temp).equals(readFileSync(out))).toBe(true);
    } finally {
      appendOnly(folder, false);
    }
  }, 30_000);

  it('--force in a folder that refuses to remove names (chattr +a): the rename fails, the file there is unchanged, and the files of the run it could not remove are named, not left unsaid; exit 1', async () => {
    const folder = mkdtempSync(join(dir, 'append-only-force-'));
    const out = join(folder, 'there.rdb');
    writeFileSync(out, 'the older file');
    appendOnly(folder, true);
    try {
      const r = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '--force', '-o', out);
      expect(r.status, r.stderr).toBe(1);
      const temp = join(folder, readdirSync(folder).find((f) => f.endsWith('.tmp'))!);
      const unlinkRefused = (p: string) => `${p} (EPERM: operation not permitted, unlink '${p}')`;
      expect(r.stderr).toBe(
        `redis-dr convert-rdb: writing ${out} failed (EPERM: operation not permitted, rename '${temp}' -> '${out}'): nothing was written to ${out}; ` +
          `the run could not remove its own files beside it: ${unlinkRefused(temp)}, ${unlinkRefused(`${temp}.replaced`)}: remove them\n`,
      );
      expect(readFileSync(out, 'utf8')).toBe('the older file');
    } finally {
      appendOnly(folder, false);
    }
  }, 30_000);

  it('counts a function library left out by --lossy function as left out, not written (and the streams RDB 9 cannot hold exactly, with --lossy stream-ids)', async () => {
    const r = await inProcess('convert-rdb', v11, '--for', 'redis-6.2', '--lossy', 'function,stream-ids', '-o', join(dir, 'no-functions.rdb'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/re-encoded\), 0 function libraries;/);
    expect(r.stdout).not.toMatch(/Lua's syntax is checked/);
    expect(r.stdout).toMatch(/--lossy function: 1 item left out/);
    // Without --lossy: the keys counted as keys, the libraries named beside them (review 45: "1 key of the input … function libraries: …").
    const refused = await inProcess('convert-rdb', v11, '--for', 'redis-6.2', '-o', join(dir, 'refused-62.rdb'));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /^redis-dr convert-rdb: 2 keys of the input, and what it holds besides its keys, cannot be expressed for redis-6\.2: function libraries: RDB 9 has no functions/,
    );
    expect(r.stdout).toMatch(/--lossy stream-ids: 2 keys written with that loss \(streams keep their entries/);
    expect(r.stdout).toMatch(/^verified: .* key by key, but for what --lossy let go \(below\)$/m);
  }, 30_000);

  it('refuses field TTLs for redis-7.0 in one line naming the keys, exit 1, nothing left; --lossy field-ttl says what it dropped', async () => {
    const out = join(dir, 'ttl.rdb');
    const refused = await inProcess('convert-rdb', v12, '--for', 'redis-7.0', '-o', out);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^redis-dr convert-rdb: 2 keys of the input cannot be expressed for redis-7\.0: v12:hash-ttl: .*--lossy field-ttl/);
    expect(existsSync(out)).toBe(false);
    // --json: the refusal as every command's failure is (docs/cli.md: an error object with code and fix; it was a bare string).
    const json = await inProcess('convert-rdb', v12, '--for', 'redis-7.0', '-o', out, '--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      refusal: 'content',
      error: {
        code: 'refused',
        message: expect.stringMatching(/^2 keys of the input cannot be expressed for redis-7\.0: /),
        fix: expect.stringContaining('--lossy'),
      },
    });
    const lossy = await inProcess('convert-rdb', v12, '--for', 'redis-7.0', '-o', out, '--lossy', 'field-ttl', '--json');
    expect(lossy.status).toBe(0);
    expect(JSON.parse(lossy.stdout)).toMatchObject({ ok: true, lost: { 'field-ttl': 2 }, format: { magic: 'REDIS', version: 10 } });
  }, 30_000);

  it.each([
    [['--for', 'redis-9.9'], /^redis-dr: --for redis-9\.9: not an engine release redis-dr knows; one of redis-5\.0, /],
    [['--lossy', 'all', '--for', 'redis-7.0'], /^redis-dr: --lossy all: not a loss redis-dr knows/],
    [['--rdb-version', '3'], /^redis-dr: --rdb-version 3: the writer writes RDB 9 to 15/],
    [['--for', 'redis-7.4', '--rdb-version', '12'], /^redis-dr: --for redis-7\.4 and --rdb-version 12: give one of them, not both/],
  ])(
    'bad input %j: one line, exit 2, no output',
    async (args, message) => {
      const out = join(dir, 'bad.rdb');
      const r = await inProcess('convert-rdb', v11, '-o', out, ...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    },
    30_000,
  );

  // Each refusal names a fix that works (review 21: `s3://b/` is itself refused, S3:// and s3:/ were meant as s3://, h/x.rdb was not meant).
  it.each([
    [
      's3://conv/a/..',
      'the key a/.. has an empty, "." or ".." part (redis-dr writes no such key); it names no object under s3://conv/; write it as s3://conv/<key>.rdb',
    ],
    ['S3://conv/x.rdb', 'an S3 object is written s3://<bucket>/<key>, lower case, two slashes; write it as s3://conv/x.rdb'],
    ['http://h/x.rdb', 'http:// is not an output redis-dr writes; give a local path or s3://<bucket>/<key>.rdb'],
    ['s3:/conv/x.rdb', 'an S3 object is written s3://<bucket>/<key>, lower case, two slashes; write it as s3://conv/x.rdb'],
    // Review 22: `s3:conv/x.rdb` was told to create a local folder `s3:conv` first.
    ['s3:conv/x.rdb', 'an S3 object is written s3://<bucket>/<key>, lower case, two slashes; write it as s3://conv/x.rdb'],
    ['s3//conv/x.rdb', 'an S3 object is written s3://<bucket>/<key>, lower case, two slashes; write it as s3://conv/x.rdb'],
    [' s3://conv/x.rdb', 'an S3 object is written s3://<bucket>/<key>, lower case, two slashes; write it as s3://conv/x.rdb'],
    ['s3:///conv/x.rdb', 'not an S3 object; write it as s3://conv/x.rdb'],
  ])(
    '-o %s: one line naming a fix that works, exit 2, nothing written',
    async (output, why) => {
      const before = readdirSync(dir).sort();
      const r = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', output, '--force');
      expect(r.stderr).toBe(`redis-dr: -o ${output}: ${why}${output.startsWith('s3://') ? '; nothing was read or written' : ''}\n`);
      expect(r.status).toBe(2);
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(existsSync(join(ROOT, 's3:'))).toBe(false);
      expect(existsSync(join(ROOT, 's3:conv'))).toBe(false);
    },
    30_000,
  );

  it('-o <path>/ (a folder meant) for one file: refused in one line, exit 2, no file written without the slash', async () => {
    // Before, -o <dir>/out/ wrote a file named out (said as 'out/: REDIS0010 …', exit 0), not into the folder meant.
    const output = `${join(dir, 'meant-folder')}/`;
    for (const args of [[], ['--dry-run']]) {
      const r = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', output, ...args);
      expect(r.stderr).toBe(
        `redis-dr: -o ${output}: ends in '/', a folder; give the path of the .rdb file to write (a folder is -o only for the shard files of a recovery point)\n`,
      );
      expect(r.status).toBe(2);
      expect(existsSync(join(dir, 'meant-folder'))).toBe(false);
    }
  }, 30_000);

  it('-o "" (an unset shell variable): one line naming the fix, exit 2, nothing read or written', async () => {
    // Before, the run read and converted the input, then ended in 'a file appeared there during the run' (exit 2).
    for (const args of [[], ['--dry-run']]) {
      const r = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', '', ...args);
      expect(r.stderr).toBe('redis-dr: -o is empty: give the path of the .rdb file to write, or s3://<bucket>/<key>.rdb\n');
      expect(r.status).toBe(2);
    }
  }, 30_000);

  it('-o s3:conv/x.rdb where a folder s3:conv is there: written in it, as a local path (negative of the slips above)', async () => {
    const here = mkdtempSync(join(dir, 'cwd-'));
    mkdirSync(join(here, 's3:conv'));
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [join(ROOT, 'bin', 'redis-dr.cjs'), 'convert-rdb', v11, '--for', 'redis-7.0', '-o', 's3:conv/x.rdb'],
        { cwd: here, encoding: 'utf8', timeout: 30_000 },
        (_err, _stdout, stderr) => resolve({ status: child.exitCode, stderr }),
      );
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(
      readFileSync(join(here, 's3:conv', 'x.rdb'))
        .subarray(0, 9)
        .toString('latin1'),
    ).toBe('REDIS0010');
  }, 30_000);

  it('an existing output: exit 2 without --force, left as it was; a missing input: exit 2', async () => {
    const out = join(dir, 'exists.rdb');
    writeFileSync(out, 'precious');
    const r = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/exists\.rdb: the file exists; give --force to replace it, or another path/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const missing = await inProcess('convert-rdb', join(dir, 'nope.rdb'), '--for', 'redis-7.0', '-o', join(dir, 'x.rdb'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.rdb: no such file/);
  }, 30_000);

  it('an output that is the input (the same path, or another spelling of it): exit 2 even with --force, the input left as it was', async () => {
    const input = join(dir, 'only-copy.rdb');
    writeFileSync(input, readFileSync(v11));
    for (const out of [input, join(dir, '.', 'only-copy.rdb')]) {
      const r = await inProcess('convert-rdb', input, '--for', 'redis-7.0', '-o', out, '--force');
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/only-copy\.rdb: that is the input; write the converted copy to another path or key/);
    }
    expect(readFileSync(input).equals(readFileSync(v11))).toBe(true);
  }, 30_000);

  it('a write that fails (the file-size limit, as a full disk): exit 1, one line, no output and no temporary file left', async () => {
    const out = join(dir, 'full.rdb');
    // 4 blocks = 4 KiB: the output of this file is larger.
    expect(files.REDIS0011.length).toBeGreaterThan(8192);
    const r = await cliWithFileLimit(4, 'convert-rdb', v11, '--for', 'redis-7.0', '-o', out, '--json');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^redis-dr convert-rdb: writing .*full\.rdb failed \(.*(EFBIG|file too large|file-size limit).*\): nothing was written to /i);
    // --json: a failure of the run (not a refusal of the input), with the fix.
    const doc = JSON.parse(r.stdout) as { ok: boolean; refusal?: string; error: Record<string, string> };
    expect([doc.ok, doc.refusal, doc.error.code, doc.error.fix]).toEqual([
      false,
      undefined,
      'failed',
      'fix what the message names and run it again (it says what, if anything, was left at the output)',
    ]);
    expect(doc.error.message).toMatch(/^writing .*full\.rdb failed/);
    expect(existsSync(out)).toBe(false);
    expect(hidden()).toEqual([]);
  }, 30_000);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    // A terminal closed, an SSH session dropped: until session 44 the default action killed the run and left its temporary
    // file (this one is sent to a live process: pipes, no terminal; the terminal gone is the case after this one).
    ['SIGHUP', 129],
  ] as const)(
    'interrupted by a real %s mid-run: one line, exit %i, the temporary output removed, nothing at the output',
    async (signal, code) => {
      // 200,000 listpack sets, each re-encoded: far longer than the signal takes to arrive.
      const big = longRun(`big-${signal}.rdb`);
      const out = join(dir, `interrupted-${signal}.rdb`);
      const child = spawn(process.execPath, ['bin/redis-dr.cjs', 'convert-rdb', big, '--for', 'redis-6.2', '-o', out], { cwd: ROOT });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
      // Signalled once its temporary file is there (the run has begun writing).
      const deadline = Date.now() + 20_000;
      while (!hidden().some((f) => f.startsWith(`.interrupted-${signal}.rdb.`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(hidden().some((f) => f.startsWith(`.interrupted-${signal}.rdb.`))).toBe(true);
      child.kill(signal);
      expect(await exited).toBe(code);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(
        new RegExp(`^redis-dr convert-rdb: interrupted \\(${signal}\\): the partial output was removed, nothing was written to .*interrupted-${signal}\\.rdb`),
      );
      expect(existsSync(out)).toBe(false);
      expect(hidden()).toEqual([]);
    },
    60_000,
  );

  it('its terminal closed mid-run (a real hangup: the pseudo-terminal gone, every write to it failing): ended by SIGHUP (129), the temporary output removed, nothing at the output', async () => {
    // Twice the keys of the cases above: the temporary file is there for a second or more, far longer than a look takes.
    const big = longRun('big-hangup.rdb', 400_000);
    const out = join(dir, 'hangup.rdb');
    // python3's pty.fork: the CLI the session leader of a new pseudo-terminal (its stdin, stdout, stderr, progress line
    // and all); once its temporary file is there the terminal's master is closed (the kernel hangs the session up: SIGHUP),
    // and its wait status printed. Node 20 aborted at a normal exit after that (node::ResetStdio: tcsetattr's EIO).
    const harness = [
      'import os, pty, select, sys, time',
      'pid, fd = pty.fork()',
      'if pid == 0:',
      // LOG: its stdout and stderr there, its stdin alone on the terminal (a run whose output goes to a log).
      '    if os.environ.get("LOG"):',
      '        log = os.open(os.environ["LOG"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)',
      '        os.dup2(log, 1); os.dup2(log, 2)',
      '    os.execv(sys.argv[1], sys.argv[1:])',
      'folder = os.path.dirname(sys.argv[-1])',
      'deadline = time.time() + 20',
      'while time.time() < deadline and not any(n.startswith(".hangup.rdb.") for n in os.listdir(folder)):',
      '    if select.select([fd], [], [], 0.01)[0]:',
      '        try: os.read(fd, 65536)',
      '        except OSError: break',
      // The run ended before its temporary file was seen (a machine so loaded the look missed it): said so, not as a hangup.
      'if os.waitpid(pid, os.WNOHANG)[0] != 0: print("missed: the run ended before the hangup"); sys.exit(0)',
      'os.close(fd)',
      '_, status = os.waitpid(pid, 0)',
      'print("signal" if os.WIFSIGNALED(status) else "exit", os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))',
    ].join('\n');
    const hangUp = (env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ stdout: string; stderr: string }>((resolve) =>
        execFile(
          'python3',
          ['-c', harness, process.execPath, join(ROOT, 'bin', 'redis-dr.cjs'), 'convert-rdb', big, '--for', 'redis-6.2', '-o', out],
          { cwd: ROOT, timeout: 40_000, env: { ...process.env, ...env } },
          (_e, stdout, stderr) => resolve({ stdout, stderr }),
        ),
      );
    const r = await hangUp();
    expect(r.stdout.trim(), r.stderr).toBe('signal 1'); // SIGHUP: a shell reports 129
    expect(existsSync(out)).toBe(false);
    expect(hidden()).toEqual([]);
    // Its output to a log, its stdin alone on the terminal: the same end (Node resets a terminal on stdin at exit too),
    // and the line said in the log, which still takes it.
    const log = join(dir, 'hangup.log');
    const logged = await hangUp({ LOG: log });
    expect(logged.stdout.trim(), logged.stderr).toBe('signal 1');
    expect(readFileSync(log, 'utf8')).toMatch(/^redis-dr convert-rdb: interrupted \(SIGHUP\): the partial output was removed, nothing was written to /m);
    expect(existsSync(out)).toBe(false);
    expect(hidden()).toEqual([]);
  }, 60_000);

  it('what verify-rdb says of the input the output does not show is said: no CRC-64, bytes after its end, its warnings', async () => {
    // Saved with rdbchecksum no: an all-zero trailer (Redis loads it unchecked); and 14 bytes after the end.
    const bytes = Buffer.from(files.REDIS0011);
    const unchecked = join(dir, 'unchecked.rdb');
    writeFileSync(unchecked, Buffer.concat([bytes.subarray(0, bytes.length - 8), Buffer.alloc(8), Buffer.from('trailing bytes')]));
    const r = await inProcess('convert-rdb', unchecked, '--for', 'redis-7.0', '-o', join(dir, 'unchecked-70.rdb'));
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(
      "warning: the input has no CRC-64 (an all-zero trailer: saved with rdbchecksum no): its bytes were checked by their structure alone, and the output's CRC-64 covers them as they were read (verify-rdb --require-checksum refuses such a file)",
    );
    expect(lines).toContain('note: 14 bytes after the end of the input were left out, as Redis ignores them');
    // --json says the same for automation.
    const json = await inProcess('convert-rdb', unchecked, '--for', 'redis-7.0', '-o', join(dir, 'unchecked-70-json.rdb'), '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, inputChecksum: 'absent', inputTrailingBytes: 14 });
    // A small listpack hash holding a field twice: Redis loads it (only sanitize-dump-payload yes refuses it), copied as it is.
    const lp = listpack(['f', '1', 'f', '2']);
    const twice = join(dir, 'field-twice.rdb');
    writeFileSync(twice, frameFile('REDIS0011', [{ db: 0, name: 'h', type: 16, object: Uint8Array.from([lp.length, ...lp]), expireAtMs: null }]));
    const dry = await inProcess('convert-rdb', twice, '--for', 'redis-7.0', '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout.split('\n')).toContain(
      `warning: the input: 1 warning(s): Redis loads it, only sanitize-dump-payload yes would refuse it (verify-rdb ${twice} --json lists them)`,
    );
    const dryJson = JSON.parse((await inProcess('convert-rdb', twice, '--for', 'redis-7.0', '--dry-run', '--json')).stdout) as Record<string, unknown>;
    expect(dryJson).toMatchObject({ inputChecksum: 'ok', inputWarnings: { count: 1, kinds: { 'sanitize-only': 1 } } });
    expect(dryJson).not.toHaveProperty('inputTrailingBytes');
    // A key in database 20: the output needs a server with 21 databases, as verify-rdb says of the input (review 45: the summary did not).
    const db20 = join(dir, 'db20.rdb');
    writeFileSync(db20, frameFile('REDIS0011', [{ db: 20, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }]));
    const high = await inProcess('convert-rdb', db20, '--for', 'redis-6.2', '-o', join(dir, 'db20-62.rdb'));
    expect(high.status, high.stderr).toBe(0);
    expect(high.stdout.split('\n')).toContain(
      'warning: the input has keys in database 20: the output needs a server with 21 databases (`databases 21` or more: one with the default 16 refuses the file, as verify-rdb says of it)',
    );
    expect((await inProcess('verify-rdb', join(dir, 'db20-62.rdb'))).stdout).toMatch(/needs a server with 21 databases/);
    // Negative: a file with its CRC-64, nothing after it and no warning gets none of these lines.
    const clean = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '--dry-run');
    // (Its function library's note, of the output's content, is another matter: the first test's.)
    expect(clean.stdout).not.toMatch(/^(warning|note): (?!1 function library would be copied)/m);
  });

  it("a recovery point's shards: each note on its shard's line (shard 2 without a CRC-64, shard 1 with one)", async () => {
    const point = join(dir, 'notes-point');
    mkdirSync(point);
    const name = 'rdr-notes-20261129-0700';
    const key = (n: string) => ({ db: 0, name: n, type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null });
    writeFileSync(join(point, `${name}-0001.rdb`), frameFile('REDIS0011', [key('a')]));
    const second = Buffer.from(frameFile('REDIS0011', [key('b')]));
    second.fill(0, second.length - 8);
    writeFileSync(join(point, `${name}-0002.rdb`), second);
    const out = join(dir, 'notes-out');
    mkdirSync(out);
    const r = await inProcess('convert-rdb', join(point, name), '--shards', '2', '--for', 'redis-7.0', '-o', `${out}/`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^shard 2\/2: warning: the input has no CRC-64 \(an all-zero trailer: saved with rdbchecksum no\)/m);
    expect(r.stdout).not.toMatch(/^shard 1\/2: warning/m);
  });

  it('hash fields whose TTL had passed: left out, and the summary says so', async () => {
    const input = join(dir, 'expired-fields.rdb');
    writeFileSync(input, frameFile('REDIS0012', expiredFieldKeys('redis')));
    const out = join(dir, 'expired-fields-70.rdb');
    const r = await inProcess('convert-rdb', input, '--for', 'redis-7.0', '-o', out, '--lossy', 'field-ttl');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /holds the same keys, values and expiries as the input, key by key, but for what --lossy let go and the expired hash fields \(below\)$/m,
    );
    expect(r.stdout).toMatch(
      /^expired: 5 hash fields whose TTL had passed at \d{4}-\d\d-\d\dT[\d:.]+Z left out; 1 hash all of whose fields had expired left out/m,
    );
    expect(r.stdout).toMatch(/--lossy field-ttl: 2 keys written with that loss/);
  }, 30_000);

  /** `--dry-run`: its words, its JSON and its exit codes (0 a real run goes through, 1 it refuses, 2 usage); nothing written. */
  describe('--dry-run', () => {
    const listing = () => readdirSync(dir).sort();

    it('without -o: what a real run would write, said as such, "nothing written", not verified; exit 0 (the binary)', async () => {
      const before = listing();
      const r = await cli('convert-rdb', v11, '--for', 'redis-7.0', '--dry-run');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^dry run, nothing written: the output would be REDIS0010 for redis-7\.0, from .*v11\.rdb \(REDIS RDB 11\)$/);
      expect(lines[1]).toMatch(
        /^\d+ keys would be written \(\d+ as they are, [1-9]\d* re-encoded\), 1 function library; \d+ → \d+ bytes \(the writer's output, counted\) in /,
      );
      expect(lines[2]).toMatch(/^not verified: nothing was written, so nothing was read back/);
      expect(lines.at(-1)).toBe('checked: no -o given: the output was not checked');
      expect(r.stdout).not.toMatch(/^verified:/m);
      expect(listing()).toEqual(before);
    }, 30_000);

    it('negative: without --dry-run, -o is required (exit 2, one line)', async () => {
      const r = await inProcess('convert-rdb', v11, '--for', 'redis-7.0');
      expect(r.status).toBe(2);
      expect(r.stderr).toBe('redis-dr: give -o <file> or -o s3://<bucket>/<key>: the file to write\n');
    }, 30_000);

    it("--json: the real run's fields plus dryRun and outputChecked, the same figures; bytesOut the size of the file the real run writes", async () => {
      const out = join(dir, 'dry-json.rdb');
      const before = listing();
      const dry = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', out, '--dry-run', '--json');
      expect(dry.status, dry.stderr).toBe(0);
      expect(listing()).toEqual(before);
      const real = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', out, '--json');
      expect(real.status, real.stderr).toBe(0);
      const [d, w] = [JSON.parse(dry.stdout), JSON.parse(real.stdout)];
      expect(
        Object.keys(d)
          .filter((k) => !(k in w))
          .sort(),
      ).toEqual(['dryRun', 'outputChecked']);
      expect(Object.keys(w).filter((k) => !(k in d))).toEqual([]);
      expect(d.dryRun).toBe(true);
      expect(w.dryRun).toBeUndefined();
      for (const k of ['ok', 'keys', 'asIs', 'reencoded', 'dropped', 'lost', 'functions', 'refused', 'refusedCount', 'bytesIn', 'bytesOut', 'format', 'source'])
        expect(d[k], k).toEqual(w[k]);
      expect(d.bytesOut).toBe(readFileSync(out).length);
      rmSync(out);
    }, 30_000);

    it("keys the target cannot hold: the figures, then the real run's refusal naming them; exit 1, nothing written; negative: --lossy field-ttl exit 0", async () => {
      const out = join(dir, 'dry-ttl.rdb');
      const before = listing();
      const r = await inProcess('convert-rdb', v12, '--for', 'redis-7.0', '-o', out, '--dry-run');
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^\d+ keys would be written \(.*\), 2 keys refused, /m);
      // No output size for a refused run (the writer's count stopped at the refusal: it said `N → 0 bytes`).
      expect(r.stdout).toMatch(/; \d+ bytes in; the output's size not counted \(a real run refuses this input and writes nothing\) in /);
      expect(r.stdout).not.toMatch(/→/);
      // Refused for what it holds besides its keys (module AUX data), no key refused: no size either (review 45: `322 → 0 bytes`).
      const aux = join(dir, 'dry-aux.rdb');
      writeFileSync(
        aux,
        frameFile('REDIS0010', [{ db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }], [moduleAux('ReJSON-RL')]),
      );
      const withAux = await inProcess('convert-rdb', aux, '--for', 'redis-7.0', '--dry-run');
      expect(withAux.status).toBe(1);
      expect(withAux.stdout).toMatch(/; \d+ bytes in; the output's size not counted \(a real run refuses this input and writes nothing\) in /);
      expect(withAux.stdout).not.toMatch(/→/);
      rmSync(aux);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /^redis-dr convert-rdb --dry-run: 2 keys of the input cannot be expressed for redis-7\.0: v12:hash-ttl: .*--lossy field-ttl.*; a real run refuses the same \(dry run: nothing written\)\n$/,
      );
      const lossy = await inProcess('convert-rdb', v12, '--for', 'redis-7.0', '-o', out, '--dry-run', '--lossy', 'field-ttl');
      expect(lossy.status, lossy.stderr).toBe(0);
      expect(lossy.stdout).toMatch(/^--lossy field-ttl: 2 keys would be written with that loss/m);
      expect(listing()).toEqual(before);
    }, 30_000);

    it('-o exists: the figures, and that a real run refuses it; exit 1, the file untouched; with --force exit 0', async () => {
      const out = join(dir, 'dry-there.rdb');
      writeFileSync(out, 'mine');
      const r = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', out, '--dry-run');
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `redis-dr convert-rdb --dry-run: a real run refuses this output before reading the input: -o ${out}: the file exists; give --force to replace it, or another path\n`,
      );
      expect(r.stdout).toMatch(/keys would be written/);
      const forced = await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '-o', out, '--dry-run', '--force');
      expect(forced.status, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(
        /^checked: -o .*dry-there\.rdb: a file is there, which --force replaces, and its folder exists; not checked: the permission to write/m,
      );
      expect(readFileSync(out, 'utf8')).toBe('mine');
    }, 30_000);

    it("a corrupt input: the verifier's verdict, exit 1, no figures; negative: the same file whole exit 0", async () => {
      const bytes = readFileSync(v11);
      const cut = join(dir, 'dry-cut.rdb');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
      const r = await inProcess('convert-rdb', cut, '--for', 'redis-7.0', '--dry-run');
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^redis-dr convert-rdb --dry-run: the input is refused \(.+, at byte \d+\): a real run refuses the same \(dry run: nothing written\)\n$/,
      );
      const json = await inProcess('convert-rdb', cut, '--for', 'redis-7.0', '--dry-run', '--json');
      expect(JSON.parse(json.stdout)).toMatchObject({
        ok: false,
        refusal: 'input',
        error: { code: 'refused', message: expect.stringMatching(/^the input is refused /), fix: expect.stringContaining('verify-rdb') },
      });
      expect((await inProcess('convert-rdb', v11, '--for', 'redis-7.0', '--dry-run')).status).toBe(0);
      rmSync(cut);
    }, 30_000);

    it.each([
      [['--for', 'redis-9.9'], /^redis-dr: --for redis-9\.9: not an engine release redis-dr knows; one of redis-5\.0, /],
      [['--for', 'redis-7.0', '--lossy', 'all'], /^redis-dr: --lossy all: not a loss redis-dr knows/],
      [['--for', 'redis-7.0', '-o', 'http://h/x.rdb'], /^redis-dr: -o http:\/\/h\/x\.rdb: http:\/\/ is not an output redis-dr writes/],
    ])(
      'usage %j: one line, exit 2, nothing written',
      async (args, message) => {
        const before = listing();
        const r = await inProcess('convert-rdb', v11, '--dry-run', ...args);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(listing()).toEqual(before);
      },
      30_000,
    );
  });
});
