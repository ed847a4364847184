import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatRestoreAofReport, parseUntil, restoreAofFailure, UNTIL_FORMATS } from '../../../../cli/commands/restore-aof/action.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { FileAofStore } from '../../../../lambdas/adapters/storage/aof-store.js';
import { parseStoredKey } from '../../../../lambdas/domain/self-managed/aof-layout.js';
import { AOF_METRICS } from '../../../../lambdas/domain/self-managed/aof-metrics.js';
import { sleep, startAofServer } from '../../../support/aof.js';
import { startPingServer } from '../../../support/ping-server.js';
import type { RedisServer } from '../../../support/redis-server.js';
import { inWorker, runInProcess } from '../../support/in-process.js';
import { cli } from '../../support/run-cli.js';

/**
 * `redis-dr ship-aof` and `redis-dr restore-aof` as an operator runs them:
 * the compiled CLI, a real redis-server, SIGTERM to stop the shipper.
 */

const ROOT = join(__dirname, '..', '..', '..', '..');
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
});

function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `redis-dr-cli-aof-${name}-`));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function server(args: string[] = []): Promise<RedisServer> {
  const s = await startAofServer({ args });
  cleanup.push(() => s.stop());
  return s;
}

/** `redis-dr ship-aof …` in the background (`shell`: run first in the bash that execs it, e.g. `ulimit -f 16`); `stop()` sends SIGTERM and resolves to its exit. */
function shipInBackground(args: string[], env: NodeJS.ProcessEnv = {}, shell?: string) {
  const argv = [join(ROOT, 'bin', 'redis-dr.cjs'), 'ship-aof', ...args];
  const options = { cwd: ROOT, env: { ...process.env, REDIS_DR_HEARTBEAT_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
  const child =
    shell === undefined ? spawn(process.execPath, argv, options) : spawn('bash', ['-c', `${shell} && exec "$0" "$@"`, process.execPath, ...argv], options);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  cleanup.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    get stderr() {
      return stderr;
    },
    async waitFor(re: RegExp, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!re.test(stderr)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in: ${stderr}`);
        await sleep(20);
      }
    },
    async stop(): Promise<number | null> {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('redis-dr ship-aof / restore-aof (CLI)', () => {
  it('ships until SIGTERM (exit 0, every whole command shipped), pings the heartbeat, writes metrics; restore-aof rebuilds and loads it', async () => {
    const s = await server();
    const c = s.client();
    for (let i = 0; i < 50; i++) await c.set(`k:${i}`, `v${i}`);
    const dest = tempDir('dest');
    const metrics = join(tempDir('metrics'), 'aof.prom');
    const ping = await startPingServer();
    cleanup.push(() => ping.close());
    const ship = shipInBackground(
      [
        '--dir',
        join(s.dir, 'appendonlydir'),
        '--to',
        `file://${dest}`,
        '--interval',
        '200ms',
        '--rpo',
        '10s',
        '--heartbeat-every',
        '1s',
        '--metrics-file',
        metrics,
      ],
      { REDIS_DR_HEARTBEAT_URL: ping.url },
    );
    await ship.waitFor(/base appendonly\.aof\.1\.base\.rdb stored/);
    await ship.waitFor(/shipped .* in 1 part .*lag \d+\.\d s/);
    for (let i = 50; i < 80; i++) await c.set(`k:${i}`, `v${i}`);
    await c.hset('h', 'f', 'v');
    expect(await ship.stop()).toBe(0); // SIGTERM right after the writes: they ship before it exits
    expect(ship.stderr).toContain('SIGTERM: shipping what is complete, then stopping');
    expect(ship.stderr).toMatch(/stopped, every whole command shipped\n$/);
    expect(ping.pings.length).toBeGreaterThanOrEqual(1);
    expect(ping.pings[0]!.body).toMatch(/^lag \d+\.\d s$/);
    const prom = readFileSync(metrics, 'utf8');
    expect(prom).toContain(`${AOF_METRICS.withinRpo}{dir="${join(s.dir, 'appendonlydir')}"} 1\n`);
    expect(prom).toMatch(new RegExp(`${AOF_METRICS.lag}\\{dir="[^"]+"\\} \\d`));

    const out = join(tempDir('restore'), 'appendonlydir');
    const r = await cli('restore-aof', '--from', `file://${dest}`, '--to', out);
    expect(r.stderr).toContain('restore-aof: base appendonly.aof.1.base.rdb');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^OK .*appendonlydir: base appendonly\.aof\.1\.base\.rdb \(rdb, dataset as of \d{4}-.*Z\), 1 increment \(\d+ commands\) from file:\/\//,
    );
    expect(r.stdout).toContain('loaded by redis-server 7');
    expect(r.stdout).toContain(': 81 keys (db0=81)');
    // The SIGTERM's last cycle wrote the shipped-through record; the restore to the end says through when.
    expect(r.stdout).toMatch(/\n {3}shipped through \d{4}-\d\d-\d\dT[\d:.]+Z \(ship-aof's record, written [^)]+\): anything written after it is not here\n/);
    expect(r.stdout).toContain(
      `serve it: redis-server --dir ${join(out, '..')} --appenddirname appendonlydir --appendfilename appendonly.aof --appendonly yes`,
    );
    expect(existsSync(join(out, 'appendonly.aof.manifest'))).toBe(true);
    const again = await inWorker('restore-aof', '--from', `file://${dest}`, '--to', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/--to .*appendonlydir is not empty \(appendonly\.aof\.1\.base\.rdb, .*\): give a new or empty directory/);

    // --until before the oldest base: refused, naming the oldest point; nothing left behind.
    const early = join(tempDir('early'), 'aof');
    const refused = await inWorker('restore-aof', '--from', `file://${dest}`, '--to', early, '--until', '2000-01-01T00:00:00Z', '--json');
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      ok: false,
      refused: {
        kind: 'before-oldest',
        message: expect.stringMatching(/is before the oldest point available, \d{4}-\d\d-\d\dT[\d:]+Z \(base appendonly\.aof\.1\.base\.rdb/),
      },
    });
    expect(existsSync(early)).toBe(false);

    // --until past what was shipped (the shipper is stopped): refused, naming an --until that restores; --or-shipped-end
    // keeps everything shipped and still exits 1, saying so; without --until it is a usage error.
    const late = join(tempDir('late'), 'aof');
    const past = await inWorker('restore-aof', '--from', `file://${dest}`, '--to', late, '--until', '2099-01-01T00:00:00Z');
    expect(past.status).toBe(1);
    expect(past.stdout).toMatch(
      /^REFUSED \(past-shipped\): --until 2099-01-01T00:00:00\.000Z is past what the shipped history is known to hold: ship-aof recorded it complete through .*Restore (to what is known complete|everything shipped): redis-dr restore-aof --from file:\/\/\S+ --to <a new directory>( --until \S+Z)?; or give --or-shipped-end/,
    );
    expect(existsSync(late)).toBe(false);
    // The command it names runs: an --until known complete, or (the writes and the base in one second: no --until is
    // past the base and known complete) the restore of everything shipped.
    const known = /--to <a new directory>(?: --until (\S+Z))?; or give/.exec(past.stdout)![1];
    const knownRun = await inWorker('restore-aof', '--from', `file://${dest}`, '--to', join(tempDir('known'), 'aof'), ...(known ? ['--until', known] : []));
    expect(knownRun.status, knownRun.stdout).toBe(0);
    const short = await inWorker('restore-aof', '--from', `file://${dest}`, '--to', late, '--until', '2099-01-01T00:00:00Z', '--or-shipped-end');
    expect(short.status).toBe(1);
    expect(short.stdout).toMatch(/^SHORT \S+aof: base /);
    expect(short.stdout).toMatch(/\n {3}SHORT of --until \(kept: --or-shipped-end\): --until 2099-01-01T00:00:00\.000Z is past what/);
    expect(short.stdout).toContain(': 81 keys (db0=81)');
    expect(short.stdout).toContain('serve it: redis-server');
    expect(existsSync(join(late, 'appendonly.aof.manifest'))).toBe(true);
    const usage = await inWorker('restore-aof', '--from', `file://${dest}`, '--to', join(tempDir('u'), 'aof'), '--or-shipped-end');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--or-shipped-end is for --until past what was shipped');
  });

  it('refuses --until without timestamps in the AOF, saying it needs aof-timestamp-enabled', async () => {
    const s = await server(['--aof-timestamp-enabled', 'no']);
    const c = s.client();
    await sleep(1100); // the base second is over
    await c.set('a', '1');
    const dest = tempDir('dest');
    const ship = shipInBackground(['--dir', join(s.dir, 'appendonlydir'), '--to', `file://${dest}`, '--interval', '100ms']);
    await ship.waitFor(/shipped .* in 1 part/);
    await ship.waitFor(/caught up, restorable to the newest command \(base appendonly\.aof\.1\.base\.rdb\)/); // SIGTERM would abandon a base upload in progress
    expect(await ship.stop()).toBe(0);
    const r = await inWorker('restore-aof', '--from', `file://${dest}`, '--to', join(tempDir('out'), 'aof'), '--until', new Date().toISOString());
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^REFUSED \(no-timestamps\): --until needs the AOF timestamp annotations \(aof-timestamp-enabled yes\)/);
  });

  it('ship-aof --redis reads the server: timestamps off is a WARNING at once, the metric is set and the heartbeat never pinged', async () => {
    const s = await server(['--aof-timestamp-enabled', 'no']);
    await s.client().set('a', '1');
    const dest = tempDir('dest');
    const metrics = join(tempDir('metrics'), 'aof.prom');
    const ping = await startPingServer();
    cleanup.push(() => ping.close());
    const ship = shipInBackground(
      [
        '--dir',
        join(s.dir, 'appendonlydir'),
        '--to',
        `file://${dest}`,
        '--interval',
        '100ms',
        '--heartbeat-every',
        '1s',
        '--metrics-file',
        metrics,
        '--redis',
        `redis://127.0.0.1:${s.port}`,
      ],
      { REDIS_DR_HEARTBEAT_URL: ping.url },
    );
    await ship.waitFor(
      /WARNING: the server writes no #TS annotations \(CONFIG GET aof-timestamp-enabled: no\): restore-aof --until cannot date the commands shipped; set aof-timestamp-enabled yes .*the heartbeat is not pinged until it is fixed/,
    );
    await ship.waitFor(/base appendonly\.aof\.1\.base\.rdb stored/);
    await sleep(1200);
    expect(ping.pings).toEqual([]);
    expect(readFileSync(metrics, 'utf8')).toContain(`${AOF_METRICS.timestampsMissing}{dir="${join(s.dir, 'appendonlydir')}"} 1\n`);
    expect(readFileSync(metrics, 'utf8')).toContain(`${AOF_METRICS.aofEnabled}{dir="${join(s.dir, 'appendonlydir')}"} 1\n`);
    expect(await ship.stop()).toBe(0);
  });

  it("ship-aof refuses a destination that holds another directory's history (exit 1, saying so) and writes nothing to it", async () => {
    const a = await server();
    await a.client().set('from-a', '1');
    const dest = tempDir('dest');
    const ship = shipInBackground(['--dir', join(a.dir, 'appendonlydir'), '--to', `file://${dest}`, '--interval', '100ms']);
    await ship.waitFor(/base appendonly\.aof\.1\.base\.rdb stored/);
    await ship.waitFor(/shipped .* in 1 part/);
    expect(await ship.stop()).toBe(0);
    const before = await new FileAofStore(dest).list();

    // Another server: the same file names, other bytes (more of them than shipped).
    const b = await server();
    for (let i = 0; i < 5; i++) await b.client().set(`from-b:${i}`, 'x'.repeat(20));
    const r = await runInProcess(['ship-aof', '--dir', join(b.dir, 'appendonlydir'), '--to', `file://${dest}`]);
    expect(r.stderr).toMatch(
      /ship-aof: file:\/\/\S+ holds a different appendonly\.aof\.1\.(base\.rdb|incr\.aof) than \S+\/appendonlydir \((bytes \d+-\d+ differ|\d+ bytes shipped, \d+ here)\): it is the history of another AOF directory \(or this one was recreated\)\. Ship to a new destination, or move the old history aside/,
    );
    expect(r.code).toBe(1);
    expect(await new FileAofStore(dest).list()).toEqual(before);
    // The refused run (in this process) closed the AOF files it had opened: none left to the garbage collector.
    const aofDir = join(b.dir, 'appendonlydir');
    const open = readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(aofDir) ? [target] : [];
      } catch {
        return [];
      }
    });
    expect(open).toEqual([]);
  });

  it.each([
    ['a directory that is not an AOF directory', (d: string) => ['--dir', d], /--dir: .* is not an AOF directory: it holds no <appendfilename>\.manifest/],
    [
      "the server's dir instead of its AOF directory",
      (d: string) => (mkdirSync(join(d, 'appendonlydir')), ['--dir', d]),
      /it looks like the server's dir: the AOF directory is .*\/appendonlydir/,
    ],
    ['a single-file AOF of Redis < 7', (d: string) => (writeFileSync(join(d, 'appendonly.aof'), ''), ['--dir', d]), /single-file AOF of Redis before 7\.0/],
    [
      'a manifest with a field it does not know',
      (d: string) => (
        writeFileSync(
          join(d, 'appendonly.aof.manifest'),
          'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i startoffset 0 fenced yes\n',
        ),
        ['--dir', d]
      ),
      /appendonly\.aof\.manifest, line 2: unknown field "fenced" \(value "yes"\).*not guessed: nothing shipped/,
    ],
    [
      'a destination that is none',
      (d: string) => ['--dir', d, '--to', 'ftp://x'],
      /--to ftp:\/\/x is not a destination: write file:\/\/\/absolute\/dir or s3:\/\/bucket\/prefix/,
    ],
    ['--rpo shorter than --interval', (d: string) => ['--dir', d, '--interval', '10s', '--rpo', '5s'], /--rpo 5s is shorter than --interval 10s/],
    [
      'a duration it cannot read',
      (d: string) => ['--dir', d, '--interval', 'soon'],
      /--interval must be a duration of at least 100ms like 500ms, 5s, 1m or 2h, got soon/,
    ],
    ['a bare number for --interval', (d: string) => ['--dir', d, '--interval', '5'], /--interval 5 has no unit: write 5s for seconds \(or 5ms, 5m, 5h\)/],
    ['a bare number for --rpo', (d: string) => ['--dir', d, '--rpo', '60'], /--rpo 60 has no unit: write 60s for seconds/],
    ['a bare number for --heartbeat-every', (d: string) => ['--dir', d, '--heartbeat-every', '30'], /--heartbeat-every 30 has no unit: write 30s for seconds/],
    ['a --redis that is no redis URL', (d: string) => ['--dir', d, '--redis', 'http://x'], /--redis: /],
  ])('ship-aof refuses %s (exit 2, saying why)', async (_what, args, message) => {
    const d = tempDir('bad');
    const given = args(d);
    const r = await runInProcess(['ship-aof', '--to', `file://${tempDir('dest')}`, ...given]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it('a --to folder that does not exist is refused as backup refuses it (exit 2, nothing made; --create makes it); restore-aof --from one too', async () => {
    const missing = join(tempDir('parent'), 'tpyo');
    const r = await runInProcess(['ship-aof', '--dir', tempDir('aofdir'), '--to', `file://${missing}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--to file:\/\/.*tpyo: no such folder\. Check the path \(a typo\?\), or add --create to make it/);
    expect(existsSync(missing)).toBe(false);
    const from = await runInProcess(['restore-aof', '--from', `file://${missing}`, '--to', join(tempDir('out'), 'x')]);
    expect(from.code).toBe(2);
    expect(from.stderr).toMatch(/--from file:\/\/.*tpyo: no such folder\. Check the path \(a typo\?\): it is where ship-aof shipped to/);
  });

  it.each([
    [
      ['--until', '2026-11-23 14:05'],
      /--until 2026-11-23 14:05 is not a time restore-aof reads: write unix seconds \(1795442700: what `date -u \+%s` gives; @1795442700 and an AOF line #TS:1795442700 too\).*an ISO time with its zone \(2026-11-23T14:05:00Z.*what `date -u` and `date -u -d @<seconds>` print \(Mon Nov 23 14:05:00 UTC 2026\)/,
    ],
    [['--until', '2026-11-23T14:05:00'], /is not a time restore-aof reads/],
    [['--until', 'Mon Nov 23 15:05:00 CET 2026'], /the zone CET is ambiguous: run date with -u/],
    [['--until', '1795442700000'], /13 digits: milliseconds\? give seconds, 1795442700/],
    [
      ['--server-bin', '/nonexistent/redis-server'],
      /--server-bin \/nonexistent\/redis-server: \/nonexistent\/redis-server is not an executable file: give the path of a redis-server or valkey-server binary/,
    ],
    [['--server-bin', '/bin/true'], /--server-bin \/bin\/true: \/bin\/true is not a Redis or Valkey server: `\/bin\/true --version` said /],
    [['--server-bin', 'redis-server', '--no-load'], /--server-bin redis-server is for the load, and --no-load skips it/],
  ])('restore-aof refuses %j (exit 2) before anything is written', async (args, message) => {
    const out = join(tempDir('out'), 'x');
    const r = await runInProcess(['restore-aof', '--from', `file://${tempDir('dest')}`, '--to', out, ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['unix seconds (date -u +%s, a #TS line)', '1795442700', 1795442700_000],
    ['@seconds', '@1795442700', 1795442700_000],
    ["an AOF #TS line as the runbook's grep prints it", '#TS:1795442700', 1795442700_000],
    ['ISO with Z', '2026-11-23T14:05:00Z', Date.UTC(2026, 10, 23, 14, 5, 0)],
    ['ISO with an offset (date -Iseconds)', '2026-11-23T15:05:00+01:00', Date.UTC(2026, 10, 23, 14, 5, 0)],
    ['ISO with a space (date --rfc-3339=seconds)', '2026-11-23 14:05:00+00:00', Date.UTC(2026, 10, 23, 14, 5, 0)],
    ['date -u -d @<seconds>', 'Mon Nov 23 14:05:00 UTC 2026', Date.UTC(2026, 10, 23, 14, 5, 0)],
    ['date -u with a one-digit day', 'Thu Nov  5 09:01:02 UTC 2026', Date.UTC(2026, 10, 5, 9, 1, 2)],
    ['date -R', 'Mon, 23 Nov 2026 14:05:00 +0000', Date.UTC(2026, 10, 23, 14, 5, 0)],
  ])('restore-aof --until reads %s', (_what, text, ms) => {
    expect(parseUntil(text)).toBe(ms);
  });

  it('restore-aof --until refuses other text with one line naming the forms', () => {
    expect(() => parseUntil('yesterday')).toThrow(UsageError);
    expect(() => parseUntil('yesterday')).toThrow(`--until yesterday is not a time restore-aof reads: write ${UNTIL_FORMATS}`);
    expect(() => parseUntil('Mon Feb 31 14:05:00 UTC 2026')).toThrow(/no such date/);
  });

  it('ship-aof --help shows durations with their units', async () => {
    const r = await runInProcess(['ship-aof', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--interval <duration>[\s\S]*\(default: 5s\)/);
    expect(r.stdout).toMatch(/--rpo <duration>[\s\S]*\(default: 60s\)/);
    expect(r.stdout).toMatch(/--heartbeat-every <duration>[\s\S]*\(default: 60s\)/);
    expect(r.stdout).toContain('a bare number is refused');
    expect(r.stdout).not.toMatch(/default: \d+\)/);
  });

  it('under a file-size limit (ulimit -f in the shell that runs it): cycles fail, no heartbeat, within_rpo 0, SIGTERM exits 1, no truncated part under a final name; run again without it, it ships them and restore-aof restores every key', async () => {
    const s = await server();
    const c = s.client();
    for (let i = 0; i < 20; i++) await c.set(`k:${i}`, `v${i}`);
    const dest = tempDir('dest');
    const metrics = join(tempDir('metrics'), 'aof.prom');
    const ping = await startPingServer();
    cleanup.push(() => ping.close());
    const args = [
      '--dir',
      join(s.dir, 'appendonlydir'),
      '--to',
      `file://${dest}`,
      '--interval',
      '100ms',
      '--rpo',
      '10s',
      '--heartbeat-every',
      '1s',
      '--metrics-file',
      metrics,
    ];
    const limited = shipInBackground(args, { REDIS_DR_HEARTBEAT_URL: ping.url }, 'ulimit -f 16'); // 16 KiB a file
    await limited.waitFor(/base appendonly\.aof\.1\.base\.rdb stored/);
    await limited.waitFor(/shipped .* in 1 part/);
    // One command, so one write of the AOF and one part of 40 KiB, over the limit, whatever the load (40 SETs could
    // spread over several cycles, each part under 16 KiB, and nothing would fail).
    await c.mset(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`big:${i}`, 'x'.repeat(1000)])));
    await limited.waitFor(
      /cycle failed \(retried every 0\.1 s, nothing skipped\): file:\/\/\S+: write files\/appendonly\.aof\.1\.incr\.aof\/\S+ failed \(file too large: a file-size limit, ulimit -f or systemd LimitFSIZE=, is in force\): EFBIG: file too large/,
    );
    const pingsAt = ping.pings.length;
    await sleep(1500); // cycles keep failing; a ping would be due every second
    expect(ping.pings.length).toBe(pingsAt);
    expect(readFileSync(metrics, 'utf8')).toContain(`${AOF_METRICS.withinRpo}{dir="${join(s.dir, 'appendonlydir')}"} 0\n`);
    expect(limited.stderr).not.toMatch(/caught up, restorable[\s\S]*big/);
    expect(await limited.stop()).toBe(1);
    expect(limited.stderr).toMatch(/stopped, last cycle failed: .*EFBIG/);
    for (const o of await new FileAofStore(dest).objects()) {
      const k = parseStoredKey(o.key);
      if (k?.kind === 'part') expect(o.bytes, o.key).toBe(k.part.end - k.part.start);
    }
    expect(
      readdirSync(dest, { recursive: true })
        .map(String)
        .filter((n) => n.includes('.partial-')),
    ).toEqual([]);

    const again = shipInBackground(args, { REDIS_DR_HEARTBEAT_URL: ping.url });
    await again.waitFor(/shipped .* in 1 part/);
    const deadline = Date.now() + 10_000;
    while (ping.pings.length === pingsAt && Date.now() < deadline) await sleep(20);
    expect(ping.pings.length).toBeGreaterThan(pingsAt);
    expect(await again.stop()).toBe(0);
    const r = await inWorker('restore-aof', '--from', `file://${dest}`, '--to', join(tempDir('restore'), 'appendonlydir'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(': 60 keys (db0=60)');
  });

  it('restore-aof of a destination that holds nothing says so (exit 1)', async () => {
    const r = await runInProcess(['restore-aof', '--from', `file://${tempDir('empty')}`, '--to', join(tempDir('out'), 'x')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^REFUSED \(empty\): file:\/\/.* holds no shipped AOF history: is it the destination ship-aof writes to\?/);
  });
});

describe('restore-aof over a FLUSHALL', () => {
  const report = {
    ok: true,
    from: 'file:///backups/aof',
    to: '/restore/appendonlydir',
    base: { name: 'appendonly.aof.1.base.rdb', format: 'rdb' as const, bytes: 100 },
    increments: [{ name: 'appendonly.aof.1.incr.aof', bytes: 200, commands: 9 }],
    flushes: [
      { file: 'appendonly.aof.1.incr.aof', offset: 120, command: 'FLUSHALL' as const, second: '2026-11-25T03:00:05Z', untilBefore: '2026-11-25T03:00:05Z' },
    ],
    seconds: 1,
  };

  it('names the flush and the command that restores to the second before it, and exits 1 unless --through-flush', () => {
    expect(formatRestoreAofReport(report)).toContain(
      'FLUSH REPLAYED: FLUSHALL at appendonly.aof.1.incr.aof byte 120, in second 2026-11-25T03:00:05Z: the data restored is as after it. ' +
        'To the second before it: redis-dr restore-aof --from file:///backups/aof --to <a new directory> --until 2026-11-25T03:00:05Z',
    );
    expect(restoreAofFailure(report)).toMatchObject({
      exitCode: 1,
      error: { code: 'flush-replayed', fix: expect.stringContaining('--until 2026-11-25T03:00:05Z') },
    });
    expect(restoreAofFailure(report, true)).toBeUndefined();
    expect(restoreAofFailure({ ...report, flushes: undefined })).toBeUndefined();
  });

  it('names the engine that loaded it in the command that serves it (a Valkey history: valkey-server, seen with a real Valkey 9.1.2)', () => {
    const loaded = (engine: string) => ({ ...report, flushes: undefined, load: { engine, version: '9.1.2', loadSeconds: 0, keys: 1, keyspace: { db0: 1 } } });
    expect(formatRestoreAofReport(loaded('valkey'))).toContain('   serve it: valkey-server --dir /restore --appenddirname appendonlydir');
    expect(formatRestoreAofReport(loaded('redis'))).toContain('   serve it: redis-server --dir /restore');
    expect(formatRestoreAofReport({ ...report, flushes: undefined })).toContain('   serve it: redis-server --dir /restore');
  });
});
