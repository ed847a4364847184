import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { DEFAULT_KEY_COUNT_TOLERANCE_PCT } from '../../../../lambdas/domain/drills/defaults.js';
import { startFakeS3, type FakeS3 } from '../../../support/fake-s3.js';
import { bgsave, startRedisServer } from '../../../support/redis-server.js';
import { processAlive } from '../../../../lambdas/adapters/host/process.js';
import { inWorkerWithEnv } from '../../support/in-process.js';

/**
 * `redis-dr drill local` as operators run it: the compiled CLI in a child
 * process (`npm run build` first), real redis-server processes. Each run gets
 * TMPDIR = a scratch directory of this file, so "no temporary directory
 * left" is "nothing named redis-dr-drill-* in it", and a server it started is
 * found by its working directory (redis-server chdirs to its `--dir`; its
 * process title is rewritten to `redis-server 127.0.0.1:<port>`, so the
 * directory is not in `ps` output, the port is).
 */

const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'bin', 'redis-dr.cjs');

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

describe('redis-dr drill local', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'drill-local-cli-'));
  const tmp = join(scratch, 'tmp');
  let good: string;
  let expiring: string;
  let gutted: string;
  let big: string;
  let s3: FakeS3 | undefined;

  function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [BIN, 'drill', 'local', ...args],
        { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, TMPDIR: tmp, ...env } },
        (_e, stdout, stderr) => resolve({ status: child.exitCode, signal: child.signalCode, stdout, stderr }),
      );
    });
  }

  /**
   * The same command run by the program in this process (test/cli/support/in-process.ts), with the TMPDIR {@link cli}
   * gives: for the cases about the verdict, the words and the exit code (a child cost about 0.3 CPU-s, node and the
   * command's modules loaded again). What a shell sees of the binary is the children's: the good file's run, Ctrl-C
   * and SIGTERM.
   */
  async function inProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return { ...(await inWorkerWithEnv({ TMPDIR: tmp, ...env }, 'drill', 'local', ...args)), signal: null };
  }

  /** Temporary directories of local drills left in TMPDIR. */
  const leftDirs = () => readdirSync(tmp).filter((n) => n.startsWith('redis-dr-drill-'));

  /** Processes whose working directory is in TMPDIR: servers a drill started. */
  function serversInTmp(): number[] {
    const pids: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readlinkSync(`/proc/${name}/cwd`).startsWith(tmp)) pids.push(Number(name));
      } catch {
        // gone, or not ours to look at
      }
    }
    return pids;
  }

  /** Nothing left behind: no directory, no server. */
  function expectClean(): void {
    expect(leftDirs()).toEqual([]);
    expect(serversInTmp()).toEqual([]);
  }

  beforeAll(async () => {
    execFileSync('mkdir', ['-p', tmp]);
    const source = await startRedisServer({ args: ['--enable-debug-command', 'local'] });
    try {
      const c = source.client();
      // Keys of every type, one with an expiry, and one that has expired but is still in memory
      // (active expiry off) when the file is written: the file holds it, a loading primary drops it.
      await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
      const p = c.pipeline();
      for (let i = 0; i < 200; i++) p.set(`k:${i}`, `value-${i}`);
      p.hset('h', { a: '1', b: '2' });
      p.rpush('l', 'x', 'y');
      p.sadd('s', 'm1', 'm2');
      p.zadd('z', 1, 'a');
      p.xadd('x', '1-0', 'f', 'v');
      p.set('ttl:1h', 'v', 'PX', 3_600_000);
      p.set('gone', 'v', 'PX', 50);
      await p.exec();
      await new Promise((r) => setTimeout(r, 1_100)); // the file's ctime has second resolution
      good = join(scratch, 'good.rdb');
      writeFileSync(good, readFileSync(await bgsave(source, c)));
      // Keys expiring during the drill: 1000 without expiry, 100 expiring 1.5 s from now (the server's clock), 50 in an
      // hour. Active expiry is off: whenever the saves run, both files hold all of them.
      await c.flushall();
      const serverNow = async () => {
        const [s, us] = await c.time();
        return Number(s) * 1000 + Math.floor(Number(us) / 1000);
      };
      const expiringAt = (await serverNow()) + 1500;
      const q = c.pipeline();
      for (let i = 0; i < 1000; i++) q.set(`p:${i}`, `v${i}`);
      for (let i = 0; i < 100; i++) q.set(`soon:${i}`, 'v', 'PXAT', expiringAt);
      for (let i = 0; i < 50; i++) q.set(`later:${i}`, 'v', 'PX', 3_600_000);
      await q.exec();
      expiring = join(scratch, 'expiring.rdb');
      writeFileSync(expiring, readFileSync(await bgsave(source, c)));
      // The same recovery point missing 1 % of its keys without expiry.
      await c.del(...Array.from({ length: 10 }, (_, i) => `p:${i * 100}`));
      gutted = join(scratch, 'gutted.rdb');
      writeFileSync(gutted, readFileSync(await bgsave(source, c)));
      // The drills below check after those 100 keys expired: wait until the clock (the drill's server's too) is past them.
      while ((await serverNow()) <= expiringAt) await new Promise((r) => setTimeout(r, 50));
      // Large enough that verifying, loading and scanning take seconds: time to press Ctrl-C.
      await c.flushall();
      await c.call('DEBUG', 'POPULATE', '600000');
      big = join(scratch, 'big.rdb');
      writeFileSync(big, readFileSync(await bgsave(source, c)));
    } finally {
      await source.stop();
    }
  });

  afterAll(async () => {
    await s3?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('loads a good file, runs every check and reports the load time as the RTO floor (exit 0)', async () => {
    const r = await cli(['--rdb', good, '--expect-keys', 'k:0,h', '--expect-keys', 'x', '--tolerance-pct', '0']);
    expect(r.stderr).not.toMatch(/broke off|INCOMPLETE/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`drill local: ${good}`);
    // 207 keys in the file, one of them already expired: 206 load, exactly (tolerance 0).
    expect(r.stdout).toMatch(
      /RDB v\d+, \d+ bytes, checksum ok, 207 keys \(2 with expiry, 1 already expired when it was written \(dropped on load\)\): 206 should load/,
    );
    expect(r.stdout).toMatch(/server: \S+redis-server \(redis \d+\.\d+\.\d+\) on 127\.0\.0\.1:\d+, AUTH required/);
    expect(r.stdout).toMatch(/load: +\d+\.\d{3} s \(the server's own figure; .*\), 206 keys loaded: the RTO floor for this file/);
    expect(r.stdout).toMatch(
      /\[ok\] {3}key-count: expected 207 recorded, 1 expired by the check at \S+Z \(file expiries\): exactly 206 \(tolerance 0 % = 0\), found 206 keys\n/,
    );
    expect(r.stdout).toMatch(
      /\[ok\] {3}type-histogram: expected string=202 list=1 set=1 zset=1 hash=1 stream=1 .*found string=201 list=1 set=1 zset=1 hash=1 stream=1 /,
    );
    expect(r.stdout).toContain('[ok]   expect-keys: expected 3 keys exist: k:0, h, x, found all 3 exist');
    expect(r.stdout).toMatch(/\[ok\] {3}sample: expected 100 random keys/);
    expect(r.stdout).toContain('PASSED: 4 checks passed');
    expect(r.stdout).toMatch(/Cleanup: server stopped, .*redis-dr-drill-\w+ removed\./);
    expectClean();
  });

  it('keys that expired between the save and the check are the only keys a restore may miss: exact at tolerance 0, 1 % more missing fails', async () => {
    const r = await inProcess(['--rdb', expiring, '--tolerance-pct', '0']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /\[ok\] {3}key-count: expected 1150 recorded, 100 expired by the check at \S+Z \(file expiries\): exactly 1050 \(tolerance 0 % = 0\), found 1050 keys\n/,
    );
    // 10 of the 1000 keys without expiry gone: 1150 recorded, 100 expired, 1040 found. (Before: 150 had an expiry, so 1000..1150 passed.)
    const g = await inProcess(['--rdb', gutted, '--expect-key-count', '1150', '--tolerance-pct', '0']);
    expect(g.status).toBe(1);
    expect(g.stdout).toMatch(
      /\[FAIL\] key-count: expected 1150 recorded, 100 expired by the check at \S+Z \(file expiries\): exactly 1050 \(tolerance 0 % = 0\), found 1040 keys; 990 without a TTL, recorded 1000: keys that never had a TTL are missing \(at most 0 fewer allowed\)\n/,
    );
    expect(g.stdout).toContain('FAILED: key-count\n'); // the file's own types are all there: the type-histogram check passes
    expectClean();
  });

  it('--json prints the whole report', async () => {
    const r = await inProcess(['--rdb', good, '--json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, any>;
    expect(report).toMatchObject({ file: good, verdict: 'passed', ok: true, keys: 206, rdb: { ok: true, keys: 207, expiredKeys: 1, checksum: 'ok' } });
    expect(report.server).toMatchObject({ engine: 'redis', loadSecondsFrom: 'server-log', keysLoaded: 206 });
    expect(typeof report.server.loadSeconds).toBe('number');
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual(['key-count', 'type-histogram', 'expect-keys', 'sample']);
    expect(report.cleanup).toMatchObject({ serverStarted: true, problems: [] });
    // The server's directory and the one holding the copy that was verified and loaded.
    expect(report.cleanup.removed).toHaveLength(2);
    expectClean();
  });

  it('a corrupt file fails clearly without starting a server (exit 1)', async () => {
    const truncated = join(scratch, 'truncated.rdb');
    writeFileSync(truncated, readFileSync(good).subarray(0, 300));
    const r = await inProcess(['--rdb', truncated]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^CORRUPT truncated\.rdb: RDB v\d+, checksum \w+ at byte \d+: /);
    expect(r.stdout).toContain('No server was started');
    expect(r.stdout).toContain('FAILED: the file is corrupt');
    expect(r.stderr).not.toContain('starting');
    expectClean();
  });

  it("a file in a newer RDB format: UNSUPPORTED, no server started, exit 3; one in Valkey's compressed envelope is verified as the RDB it holds, then loaded as it is", async () => {
    const newer = Buffer.from(readFileSync(good));
    newer.write('0099', 5, 'latin1');
    const v99 = join(scratch, 'v99.rdb');
    writeFileSync(v99, newer);
    const r = await inProcess(['--rdb', v99]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/UNSUPPORTED v99\.rdb: not verified, unsupported format \(version 99/);
    expect(r.stdout).toContain('NOT RUN: the file is in a format this redis-dr cannot judge');
    expect(r.stderr).not.toContain('starting');
    expectClean();

    // redis-server 7.0 does not read the envelope: the verifier passed the file, the server refuses it.
    const frame = execFileSync('lz4', ['-c', '-q', '-B4', '-BI', '-BX', '--no-frame-crc'], { input: readFileSync(good) });
    const enveloped = join(scratch, 'enveloped.rdb');
    writeFileSync(enveloped, Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]));
    const e = await inProcess(['--rdb', enveloped]);
    expect(e.stdout).toMatch(/file: +RDB v\d+, \d+ bytes, checksum ok, \d+ keys/);
    expect(e.stdout).toMatch(/REFUSED: redis-server \S+ refused .*enveloped\.rdb/);
    expect(e.stdout).toContain('FAILED: the server refused the file');
    expectClean();
  });

  it('a file the verifier passes but the server refuses: its log line, exit 1, cleaned up', async () => {
    // RDB version 12 with a valid checksum: the verifier reads it, redis-server 7.0 does not load that version.
    const bytes = Buffer.from(readFileSync(good).subarray(0, -8));
    bytes.write('0012', 5, 'latin1');
    const trailer = Buffer.alloc(8);
    trailer.writeBigUInt64LE(new Crc64().update(bytes).value);
    const v12 = join(scratch, 'v12.rdb');
    writeFileSync(v12, Buffer.concat([bytes, trailer]));
    const r = await inProcess(['--rdb', v12]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/REFUSED: redis-server \S+ refused .*v12\.rdb \(exit code 1\): .*Can't handle RDB format version 12/);
    expect(r.stdout).toContain('FAILED: the server refused the file');
    expect(r.stdout).toContain('Cleanup: no server was running');
    expectClean();
  });

  it('a file of empty keys only: nothing is expected to load (exit 0)', async () => {
    const r = await inProcess(['--rdb', join(ROOT, 'test', 'fixtures', 'rdb-loader', 'corrupt_empty_keys.rdb'), '--tolerance-pct', '0']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('9 empty keys (skipped on load)): 0 should load');
    expect(r.stdout).toMatch(/\[ok\] {3}key-count: expected 0 recorded, 0 expired by the check at \S+ \(file expiries\): exactly 0 /);
    expectClean();
  });

  it('expectations that fail name the check (exit 1)', async () => {
    const missing = await inProcess(['--rdb', good, '--expect-keys', 'k:1,no:such:key']);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('[FAIL] expect-keys: expected 2 keys exist: k:1, no:such:key, found missing: no:such:key');
    expect(missing.stdout).toContain('FAILED: expect-keys');
    // 206 keys load; 300 expected, 1 of them expired, with the default tolerance (1 % = 3): 296..302.
    const count = await inProcess(['--rdb', good, '--expect-key-count', '300']);
    expect(count.status).toBe(1);
    expect(count.stdout).toMatch(
      new RegExp(
        `\\[FAIL\\] key-count: expected 300 recorded, 1 expired by the check at \\S+ \\(file expiries\\): 296\\.\\.302 \\(tolerance ${DEFAULT_KEY_COUNT_TOLERANCE_PCT} % = 3\\), found 206 keys`,
      ),
    );
    expect(count.stdout).toContain('FAILED: key-count\n');
    expect(count.stdout).toMatch(/Cleanup: server stopped/);
    // The count to give is the file's as verify-rdb counts it (207, the key expired when it was written included), not
    // the 206 that load: the check subtracts the expired key itself. The help says so (it said "keys that load": 206,
    // which at tolerance 0 fails a good file).
    const own = await inProcess(['--rdb', good, '--expect-key-count', '207', '--tolerance-pct', '0']);
    expect(own.status, own.stdout).toBe(0);
    const loaded = await inProcess(['--rdb', good, '--expect-key-count', '206', '--tolerance-pct', '0']);
    expect(loaded.status).toBe(1);
    const help = (await inProcess(['--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(
      /--expect-key-count <n> the key count to expect instead of the file's own, counted as verify-rdb counts it: keys already expired when the file was written included/,
    );
    expect(help).not.toMatch(/less keys already expired/);
    expectClean();
  });

  it.each([
    [['--rdb', 'GOOD', '--tolerance-pct', '150'], /--tolerance-pct must be a percentage from 0 to 100, got 150: e\.g\. 0\.5/],
    [['--rdb', 'GOOD', '--expect-key-count', 'many'], /--expect-key-count must be a whole number >= 0, got many: give the number of keys/],
    [['--rdb', 'GOOD', '--expect-keys', 'a,,b'], /--expect-keys takes names separated by commas, got "a,,b": leave out the empty entry/],
    [['--rdb', '/no/such/dump.rdb'], /--rdb \/no\/such\/dump\.rdb: no such file: give the path of an \.rdb file/],
    [['--rdb', 's3://bucket-only'], /--rdb s3:\/\/bucket-only names no object: write S3 locations as s3:\/\/<bucket>\/<key>/],
    [
      ['--rdb', 'GOOD', '--server-bin', '/no/such/redis-server'],
      /--server-bin \/no\/such\/redis-server: \/no\/such\/redis-server is not an executable file: give the path of a redis-server or valkey-server binary/,
    ],
    [['--expect-keys', 'a'], /give --rdb <file> \(a file to drill\) or --from <destination>/],
  ])('usage error %j: exit 2 naming the option, the value and the fix', async (args, message) => {
    const r = await inProcess(args.map((a) => (a === 'GOOD' ? good : a)));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expectClean();
  });

  it('no server binary on PATH: exit 2 naming both and --server-bin', async () => {
    const r = await inProcess(['--rdb', good], { PATH: scratch });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/neither redis-server nor valkey-server was found on PATH .* or name the binary with --server-bin <path>/);
  });

  it('reads an s3:// object into a temporary directory, drills it and removes the directory', async () => {
    s3 = await startFakeS3({ 'backups/daily/good.rdb': good });
    const r = await inProcess(['--rdb', 's3://backups/daily/good.rdb'], {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_REGION: 'eu-central-1',
      AWS_PROFILE: '',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/reading s3:\/\/backups\/daily\/good\.rdb \(\d+ bytes\) into \S+redis-dr-drill-\w+ and verifying it/);
    expect(r.stdout).toContain('PASSED: 3 checks passed (1 skipped)');
    expect(r.stdout).toMatch(/Cleanup: server stopped, \S+ removed, \S+ removed\./);
    const missing = await inProcess(['--rdb', 's3://backups/daily/none.rdb'], {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_REGION: 'eu-central-1',
      AWS_PROFILE: '',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--rdb cannot read s3://backups/daily/none.rdb: no such object');
    expectClean();
  });

  /** Starts the CLI on the big file; resolves once a stderr line matches `when`. */
  function startBig(when: RegExp) {
    const child = spawn(process.execPath, [BIN, 'drill', 'local', '--rdb', big], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const ended = new Promise<Run>((resolve) => child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
    const reached = new Promise<RegExpExecArray>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        const m = when.exec(stderr);
        if (m) resolve(m);
      });
      void ended.then(() => reject(new Error(`the CLI ended before ${when}: ${stderr}${stdout}`)));
    });
    return { child, reached, ended };
  }

  it('Ctrl-C while checking stops the server, removes its directory and exits 130', async () => {
    const run = startBig(/loaded in [\d.]+ s \(pid (\d+), port (\d+), directory (\S+)\); checking/);
    const [, pidText, port, dir] = await run.reached;
    const pid = Number(pidText);
    expect(processAlive(pid)).toBe(true);
    expect(execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })).toMatch(new RegExp(`^\\s*${pid} \\S*redis-server 127\\.0\\.0\\.1:${port}`, 'm'));
    expect(serversInTmp()).toEqual([pid]);
    run.child.kill('SIGINT');
    const r = await run.ended;
    expect(r.status).toBe(130);
    expect(r.stderr).toContain('SIGINT: stopping the server and removing the temporary directories');
    expect(r.stderr).toContain(`server stopped, ${dir} removed`);
    expect(r.stdout).toBe(''); // no report: the run did not finish
    expect(processAlive(pid)).toBe(false);
    expect(execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })).not.toContain(`127.0.0.1:${port}`);
    expectClean();
  });

  it('SIGTERM while the server is starting kills it, removes its directory and exits 143', async () => {
    const run = startBig(/starting \S+ \S+ on 127\.0\.0\.1/);
    await run.reached;
    await new Promise((r) => setTimeout(r, 100)); // the server is spawned and loading
    run.child.kill('SIGTERM');
    const r = await run.ended;
    expect(r.status).toBe(143);
    expect(r.stderr).toContain('SIGTERM: stopping the server');
    expect(r.stdout).toBe('');
    expectClean();
  });

  it('SIGHUP (a terminal closed, a session dropped) while checking: the server stopped, its directory (a copy of the data) removed, exit 129', async () => {
    const run = startBig(/loaded in [\d.]+ s \(pid (\d+), port (\d+), directory (\S+)\); checking/);
    const [, pidText, , dir] = await run.reached;
    run.child.kill('SIGHUP');
    const r = await run.ended;
    expect(r.status).toBe(129);
    expect(r.stderr).toContain('SIGHUP: stopping the server and removing the temporary directories');
    expect(r.stderr).toContain(`server stopped, ${dir} removed`);
    expect(processAlive(Number(pidText))).toBe(false);
    expectClean();
  });
});
