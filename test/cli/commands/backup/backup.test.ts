import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BACKUP_METRICS } from '../../../../lambdas/domain/self-managed/backup-metrics.js';
import { thisPidScope } from '../../../../lambdas/adapters/host/process.js';
import { startPingServer, type PingServer } from '../../../support/ping-server.js';
import { closedLoopbackPort } from '../../../support/closed-port.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { type CliRun, inWorkerWithEnv } from '../../support/in-process.js';

const ROOT = join(__dirname, '..', '..', '..', '..');

/** The compiled CLI, asynchronously (the ping server runs in this process). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin', 'redis-dr.cjs'), ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, REDIS_DR_PASSWORD: '', REDIS_DR_USERNAME: '', REDIS_DR_HEARTBEAT_URL: '', ...env },
      },
      (_e, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

/**
 * The same command run by the program in this process (test/cli/support/in-process.ts), with the variables {@link cli}
 * sets: for the cases about the words, the files and the exit code (a child cost about 0.3 CPU-s, node and the
 * command's modules loaded again). What a shell sees of the binary (its exit code, output, the lease of its pid, a
 * file-size limit) is the children's: local mode, the lease, ulimit -f.
 */
function inProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return inWorkerWithEnv({ REDIS_DR_PASSWORD: '', REDIS_DR_USERNAME: '', REDIS_DR_HEARTBEAT_URL: '', ...env }, ...args);
}

/** The CLI in a child shell under `ulimit -f <kib>` (1 KiB blocks): the kernel writes up to the limit, then EFBIG. */
function cliLimited(kib: number, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'bash',
      ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, join(ROOT, 'bin', 'redis-dr.cjs'), ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, REDIS_DR_PASSWORD: '', REDIS_DR_USERNAME: '', REDIS_DR_HEARTBEAT_URL: '', ...env },
      },
      (_e, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

async function fill(server: RedisServer, n: number): Promise<void> {
  const c = server.client();
  const pipe = c.pipeline();
  for (let i = 0; i < n; i++) pipe.hset(`user:${i}`, { name: `n${i}`, visits: String(i) });
  pipe.set('counter', '42', 'PX', 600_000);
  await pipe.exec();
}

describe('redis-dr backup (CLI) against real redis-server', () => {
  let plain: RedisServer;
  let secured: RedisServer;
  let diskless: RedisServer;
  let dir: string;
  let ping: PingServer;

  beforeAll(async () => {
    plain = await startRedisServer();
    secured = await startRedisServer({ password: 's3cret!pw', args: ['--repl-diskless-sync', 'no'] });
    diskless = await startRedisServer({ args: ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'] });
    await Promise.all([fill(plain, 300), fill(secured, 200), fill(diskless, 250)]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), secured?.stop(), diskless?.stop()]);
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-cli-backup-'));
    ping = await startPingServer();
  });
  afterEach(async () => {
    await ping.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rdbFiles = () => readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.rdb'));

  it('local mode: exit 0, a verified file named for the target, the heartbeat pinged once, metrics written', async () => {
    const r = await cli(
      [
        'backup',
        '--redis',
        `redis://127.0.0.1:${plain.port}`,
        '--to',
        `file://${dir}/out`,
        '--create',
        '--name',
        'app-cache',
        '--metrics-file',
        join(dir, 'm.prom'),
      ],
      { REDIS_DR_HEARTBEAT_URL: ping.url },
    );
    expect(r.stderr).toContain('save: BGSAVE done');
    // Every progress line carries an ISO timestamp (cron appends them to one log file).
    // The lease taken at once is in the report's steps, not a line (only a wait or a takeover is news).
    expect(r.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z connect: redis:\/\/127\.0\.0\.1:/);
    for (const line of r.stderr.trim().split('\n')) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^OK rdr-app-cache-\d{8}-\d{4}\.rdb \(tier monthly\): \d+ bytes, 301 keys, RDB v10, checksum ok, sha256 [0-9a-f]{64}\n/);
    expect(rdbFiles()).toHaveLength(1);
    expect(ping.pings).toHaveLength(1);
    expect(readFileSync(join(dir, 'm.prom'), 'utf8')).toContain(`${BACKUP_METRICS.keys}{target="app-cache"} 301\n`);
  });

  it('another run of this host holding the lease: exit 75, BUSY naming the holder, no ping, nothing written', async () => {
    mkdirSync(join(dir, 'out'));
    // A live process of this host, boot and pid namespace (this test's): the run doing the work.
    const lease = { owner: 'redis-dr backup', ...thisPidScope(), pid: process.pid, start: new Date().toISOString(), token: 't' };
    writeFileSync(join(dir, 'out', '.redis-dr-app-cache.lease'), JSON.stringify(lease));
    const r = await cli(
      [
        'backup',
        '--redis',
        `redis://127.0.0.1:${plain.port}`,
        '--to',
        `file://${dir}/out`,
        '--name',
        'app-cache',
        '--lease-wait',
        '0',
        '--heartbeat-fail',
        '--metrics-file',
        join(dir, 'm.prom'),
      ],
      { REDIS_DR_HEARTBEAT_URL: ping.url },
    );
    expect(r.status).toBe(75);
    expect(r.stdout).toMatch(new RegExp(`^BUSY: another run holds the lease of app-cache in file://.* \\(redis-dr backup pid ${process.pid} on `));
    // What it waits for: a live process of this host, taken over only once it is gone (never by age).
    expect(r.stdout).toContain(`It waits for pid ${process.pid} on this host is running: it is taken over only once that process is gone.`);
    expect(ping.pings).toEqual([]);
    expect(readdirSync(join(dir, 'out'))).toEqual(['.redis-dr-app-cache.lease']);
    expect(readdirSync(dir)).not.toContain('m.prom');
  });

  it('a --to folder that does not exist is a usage error without --create (a typo): exit 2, nothing made, the fix in one line', async () => {
    const r = await inProcess(['backup', '--redis', `redis://127.0.0.1:${plain.port}`, '--to', `file://${dir}/typo`]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^redis-dr: --to file:\/\/.*\/typo: no such folder\. Check the path \(a typo\?\), or add --create to make it \(the first run of a new destination\)\n$/,
    );
    expect(readdirSync(dir)).not.toContain('typo');
  });

  it('remote mode ($<len> form) with the password from the environment; --json report', async () => {
    const r = await inProcess(['backup', '--remote', '--redis', `redis://127.0.0.1:${secured.port}`, '--to', `file://${dir}/out`, '--create', '--json'], {
      REDIS_DR_PASSWORD: 's3cret!pw',
    });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, mode: 'remote', target: `redis-127-0-0-1-${secured.port}`, backup: { keys: 201, checksum: 'ok' } });
    expect(report.steps.find((s: { step: string }) => s.step === 'sync').detail).toMatch(/\$\d+ bytes/);
    expect(r.stdout).not.toContain('s3cret');
  });

  it('remote mode, diskless ($EOF form)', async () => {
    const r = await inProcess(['backup', '--remote', '--redis', `redis://127.0.0.1:${diskless.port}`, '--to', `file://${dir}/out`, '--create', '--json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.backup.keys).toBe(251);
    expect(report.steps.find((s: { step: string }) => s.step === 'sync').detail).toMatch(/\$EOF form/);
  });

  it('AUTH refused: exit 2 (credentials), one line naming the host and REDIS_DR_PASSWORD, no file, a /fail ping when asked, the password never printed', async () => {
    const r = await inProcess(
      ['backup', '--redis', `redis://127.0.0.1:${secured.port}`, '--to', `file://${dir}/out`, '--create', '--heartbeat-url', ping.url, '--heartbeat-fail'],
      { REDIS_DR_PASSWORD: 'wrong-password' },
    );
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^redis-dr: redis at 127\\.0\\.0\\.1:${secured.port} refused the credentials \\((WRONGPASS|ERR invalid)`));
    expect(r.stderr).toContain('REDIS_DR_PASSWORD');
    expect(`${r.stdout}${r.stderr}`).not.toContain('wrong-password');
    expect(ping.pings.map((p) => p.path)).toEqual([`${new URL(ping.url).pathname}/fail`]);
  });

  it('an unreachable server: exit 2 at the connect step (a connection not made: cli/failure.ts), naming it, nothing stored', async () => {
    // A low port nothing listens on, that no test's listen(0) can be given meanwhile (a port freed by closing one could).
    const port = await closedLoopbackPort();
    const r = await inProcess(['backup', '--redis', `redis://127.0.0.1:${port}`, '--to', `file://${dir}/out`, '--create']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`redis-dr: 127.0.0.1:${port} refused the connection (ECONNREFUSED): nothing listens there`);
  });

  it('a destination that cannot be written: exit 1 at the lease step (the first write there), saying why', async () => {
    // sysfs refuses new entries even to root (no read-only mount is at hand here).
    const r = await inProcess(['backup', '--redis', `redis://127.0.0.1:${plain.port}`, '--to', 'file:///sys/redis-dr-backup-test', '--create']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAILED at step lease: file:\/\/\/sys\/redis-dr-backup-test: create the folder failed \(permission denied\)/);
  });

  it('--remote against a server that refuses SYNC (as ElastiCache does): exit 1 at the sync step, pointing to snapshots', async () => {
    const noSync = await startRedisServer({ args: ['--rename-command', 'SYNC', ''] });
    try {
      const r = await inProcess(['backup', '--remote', '--redis', `redis://127.0.0.1:${noSync.port}`, '--to', `file://${dir}/out`, '--create']);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^FAILED at step sync: .*ElastiCache/);
      expect(r.stdout).toMatch(/snapshot/);
    } finally {
      await noSync.stop();
    }
  });

  it("local mode refuses a server on another host (it would read this host's file), before connecting: exit 2", async () => {
    // 192.0.2.1 is TEST-NET-1: nothing is sent there, the refusal comes first.
    const r = await inProcess(['backup', '--redis', 'redis://192.0.2.1:6379', '--to', `file://${dir}/out`, '--create']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/192\.0\.2\.1 is not this machine, and local mode reads the file the server saves on this host's disk.*--remote/);
  });

  it('a default name cut to 40 characters would lose the port (two servers of a host sharing one retention series): refused, naming the name to give; --name runs', async () => {
    const host = 'a-very-long-host-name.internal.example.com';
    for (const port of [6379, 6380]) {
      const r = await inProcess(['backup', '--redis', `redis://${host}:${port}`, '--remote', '--to', `file://${dir}/out`, '--create']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `--redis redis://${host}:${port}: the default name redis-${host.replace(/\./g, '-')}-${port} is longer than 40 characters, and cut to redis-a-very-long-host-name-internal-exa it loses the port`,
      );
      expect(r.stderr).toMatch(/give --name <target> \(--name redis-a-very-long-host-name-internal-exa keeps the backups taken so far under retention\)/);
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it.each([
    [['--to', 'file://relative'], /--to file:\/\/relative is not a destination: write file:\/\/\/absolute\/dir or s3:\/\/bucket\/prefix/],
    [['--to', 'file:///tmp/x', '--name', 'Bad_Name'], /--name Bad_Name is not a valid name/],
    [['--to', 'file:///tmp/x', '--time-zone', 'Mars/Olympus'], /--time-zone Mars\/Olympus is not an IANA time zone/],
    [['--to', 'file:///tmp/x', '--keep-daily', '-1'], /--keep-daily must be a whole number >= 0, got -1/],
    [['--to', 'file:///tmp/x', '--heartbeat-start'], /--heartbeat-start and --heartbeat-fail need --heartbeat-url/],
    [['--to', 'file:///tmp/x', '--s3-endpoint', 'http://127.0.0.1:9000'], /--s3-endpoint .* is for s3:\/\/ destinations/],
    // The plans' own schema and words (plans[0].collapseThresholdPct in a config says the same).
    [
      ['--to', 'file:///tmp/x', '--collapse-threshold-pct', '150'],
      /--collapse-threshold-pct must be <= 100, got 150: set a percentage within 0\.\.100; 100 pages only on an empty keyspace/,
    ],
    [['--to', 'file:///tmp/x', '--collapse-threshold-pct', '-5'], /--collapse-threshold-pct must be >= 0, got -5: set a percentage within 0\.\.100/],
    [['--to', 'file:///tmp/x', '--collapse-threshold-pct', 'half'], /--collapse-threshold-pct must be a number, got "half": write a percentage like 50/],
  ])('usage errors exit 2 naming the option: %j', async (args, message) => {
    const r = await inProcess(['backup', '--redis', `redis://127.0.0.1:${plain.port}`, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('under a file-size limit (ulimit -f): exit 1 naming it, no success ping or metric, no truncated file under a final name, nothing deleted; the next run succeeds', async () => {
    // About 200 KiB of incompressible values: the RDB passes a 64 KiB limit.
    const big = await startRedisServer();
    try {
      const pipe = big.client().pipeline();
      for (let i = 0; i < 200; i++) pipe.set(`blob:${i}`, randomBytes(1024).toString('hex'));
      await pipe.exec();
      const out = join(dir, 'out');
      mkdirSync(out);
      // Older good backups (read back when written): tight retention would delete them after a success.
      const good: string[] = [];
      for (const [i, name] of ['rdr-big-20261120-0000.rdb', 'rdr-big-20261121-0000.rdb'].entries()) {
        writeFileSync(join(out, name), `good ${i}`);
        const sha256 = createHash('sha256').update(`good ${i}`).digest('hex');
        writeFileSync(join(out, `${name}.json`), JSON.stringify({ tier: 'daily', target: 'big', keys: 200, readBack: { bytes: 6, sha256 } }));
        good.push(name);
      }
      const before = readdirSync(out).sort();
      const args = [
        'backup',
        '--redis',
        `redis://127.0.0.1:${big.port}`,
        '--to',
        `file://${out}`,
        '--name',
        'big',
        '--heartbeat-url',
        ping.url,
        '--heartbeat-fail',
        '--metrics-file',
        join(dir, 'm.prom'),
        '--keep-hourly',
        '0',
        '--keep-daily',
        '0',
        '--keep-weekly',
        '0',
        '--keep-monthly',
        '0',
        '--min-keep',
        '1',
      ];
      const r = await cliLimited(64, args);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(
        /^FAILED at step write: file:\/\/.*: write failed \(file too large: a file-size limit, ulimit -f or systemd LimitFSIZE=, is in force\)/,
      );
      expect(r.stdout).toContain('no backup was stored by this run; nothing stored before was deleted');
      expect(readdirSync(out).sort()).toEqual(before);
      expect(ping.pings.map((p) => p.path)).toEqual([`${new URL(ping.url).pathname}/fail`]);
      const prom = readFileSync(join(dir, 'm.prom'), 'utf8');
      expect(prom).toContain(`${BACKUP_METRICS.success}{target="big",step="write"} 0\n`);
      expect(prom).not.toContain(BACKUP_METRICS.lastSuccess);

      const next = await cli(args);
      expect(next.status).toBe(0);
      expect(next.stdout).toMatch(/^OK rdr-big-\d{8}-\d{4}\.rdb .* 200 keys/);
      expect(next.stdout).toMatch(/retention: 1 kept, 2 deleted: /);
      const left = readdirSync(out);
      expect(left.filter((f) => f.endsWith('.rdb'))).toHaveLength(1);
      expect(left.filter((f) => f.startsWith('.'))).toEqual([]);
      for (const g of good) expect(left).not.toContain(g);
    } finally {
      await big.stop();
    }
  });

  it('a FLUSHALL between two runs: the second exits 1 at the keyspace step, stored and read back, the first held, /fail pinged', async () => {
    const flushed = await startRedisServer();
    try {
      await fill(flushed, 100);
      const args = [
        'backup',
        '--redis',
        `redis://127.0.0.1:${flushed.port}`,
        '--to',
        `file://${dir}/out`,
        '--create',
        '--name',
        'shop',
        '--heartbeat-url',
        ping.url,
        '--min-keep',
        '1',
        '--keep-hourly',
        '0',
        '--keep-daily',
        '0',
        '--keep-weekly',
        '0',
        '--keep-monthly',
        '0',
      ];
      const first = await inProcess(args);
      expect(first.status).toBe(0);
      const good = rdbFiles()[0]!;
      await flushed.client().flushall();
      // Within the same minute the second is named by the second (across a minute boundary, by the minute).
      const second = await inProcess(args);
      expect(second.status).toBe(1);
      expect(second.stdout).toMatch(
        new RegExp(
          `^FAILED at step keyspace: keyspace collapse: rdr-shop-\\d{8}-\\d{4}(\\d{2})?\\.rdb holds 0 keys, 100 % fewer than 101 in ${good.replace(/\./g, '\\.')}`,
        ),
      );
      expect(second.stdout).toMatch(/the backup itself was stored and read back: file:\/\/.* \(\d+ bytes, 0 keys\)/);
      expect(second.stdout).toContain(`held (keyspace-collapsed:`);
      expect(second.stdout).toContain(`): ${good}\n`);
      expect(rdbFiles()).toHaveLength(2);
      expect(JSON.parse(readFileSync(join(dir, 'out', `${good}.json`), 'utf8')).hold).toMatch(/^keyspace-collapsed:rdr-shop-/);
      expect(ping.pings.map((p) => p.path)).toEqual([new URL(ping.url).pathname, `${new URL(ping.url).pathname}/fail`]);
    } finally {
      await flushed.stop();
    }
  });
});
