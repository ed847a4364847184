import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { inWorkerWithEnv } from '../cli/support/in-process.js';
import { AOF_ARGS, sleep } from '../support/aof.js';
import { startPingServer } from '../support/ping-server.js';
import { freePort, type RedisServer, startRedisServer } from '../support/redis-server.js';

/**
 * The self-managed runbooks, run as written: every ```sh block of
 * docs/runbooks/self-managed-host-lost.md, self-managed-heartbeat.md,
 * ship-aof-lag.md and the backup fallback of flushall.md is pasted into bash
 * (`-e -o pipefail`) against real redis-server processes, real backups and a
 * real shipped AOF history, in the state the runbook is for. Two things are
 * resolved before a block runs, and nothing else is changed:
 * - named placeholders (`<target>`, `<yyyymmdd>-<hhmm>`, `<file>`…) get the
 *   value the scenario produced, often from what an earlier block printed;
 *   a placeholder left unresolved fails the test;
 * - the host's paths and ports (`/var/backups/…`, `/var/lib/redis`, `6379`…)
 *   point into a temporary folder and at free ports.
 * `redis-dr` is on the PATH as installed (a shim running bin/redis-dr.cjs,
 * so `npx tsc -p tsconfig.cli.json` first). systemd is not running here: the
 * `systemctl`/`journalctl` lines the runbooks give in prose are checked to
 * name units this repository ships, not run.
 */

const ROOT = join(__dirname, '..', '..');
const RUNBOOKS = join(ROOT, 'docs', 'runbooks');
const SELF_MANAGED = ['self-managed-host-lost.md', 'self-managed-heartbeat.md', 'ship-aof-lag.md'];
/** The section of flushall.md that is self-managed and backup-based. */
const FLUSHALL_FALLBACK = 'No shipper, or a gap at that time: the newest backup before the flush';
/** As root with a `redis` user (CI, a Redis host) the commands run as written; elsewhere the user switch and chown are the only lines left out. */
const AS_ROOT =
  process.getuid?.() === 0 &&
  spawnSync('id', ['redis']).status === 0 &&
  // …and that user can run this node and read this checkout (not so when either is under /root).
  spawnSync('runuser', ['-u', 'redis', '--', 'test', '-x', process.execPath, '-a', '-r', join(ROOT, 'bin', 'redis-dr.cjs')]).status === 0;

/** A fenced ```sh block: where, and under which heading. */
interface Block {
  readonly where: string;
  readonly section: string;
  readonly text: string;
}

/** The ```sh blocks of a markdown file, each with the heading it is under. */
function shellBlocks(file: string, text = readFileSync(file, 'utf8')): Block[] {
  const blocks: Block[] = [];
  let section = '';
  let open: { start: number; lines: string[] } | undefined;
  text.split('\n').forEach((line, i) => {
    if (open) {
      if (/^```\s*$/.test(line)) {
        blocks.push({ where: `${relative(ROOT, file)}:${open.start}`, section, text: open.lines.join('\n') });
        open = undefined;
      } else open.lines.push(line);
      return;
    }
    if (/^```sh\s*$/.test(line)) open = { start: i + 1, lines: [] };
    const heading = /^#{2,3} (.*)$/.exec(line);
    if (heading) section = heading[1]!;
  });
  return blocks;
}

/** The blocks of one section (by the start of its heading), in order. */
function section(file: string, heading: string): Block[] {
  const found = shellBlocks(join(RUNBOOKS, file)).filter((b) => b.section.startsWith(heading));
  expect(found.length, `${file} has ${'```'}sh blocks under "${heading}"`).toBeGreaterThan(0);
  return found;
}

/** Inline code spans (outside blocks) that are commands, with the lines of the section they are in. */
function inlineCommands(file: string, onlySection?: string, text = readFileSync(file, 'utf8')): { where: string; command: string }[] {
  const found: { where: string; command: string }[] = [];
  let inBlock = false;
  let current = '';
  text.split('\n').forEach((line, i) => {
    if (/^```/.test(line)) inBlock = !inBlock;
    const heading = /^#{2,3} (.*)$/.exec(line);
    if (heading) current = heading[1]!;
    if (inBlock || (onlySection !== undefined && current !== onlySection)) return;
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      // A bare `redis-dr <command>` names the command in prose; with arguments it is one to run.
      if (/^redis-dr [a-z-]+$/.test(m[1]!)) continue;
      if (/^(redis-dr|redis-cli|redis-server|systemctl|journalctl|runuser|grep|awk|tail|ls|mv|mkdir|rm|chown|cp|sha256sum|install) \S/.test(m[1]!))
        found.push({ where: `${relative(ROOT, file)}:${i + 1}`, command: m[1]! });
    }
  });
  return found;
}

/** A scenario's sandbox: the host's folders under a temporary one, its ports free ones, redis-dr on the PATH. */
class Host {
  readonly root = mkdtempSync(join(tmpdir(), 'redis-dr-runbook-'));
  readonly port: number;
  readonly sparePort: number;
  private readonly cleanups: (() => unknown)[] = [];

  private constructor(port: number, sparePort: number) {
    this.port = port;
    this.sparePort = sparePort;
    // The redis user (the jobs' user) walks into these folders, as on a host.
    chmodSync(this.root, 0o755);
    for (const d of ['bin', 'backups/redis', 'lib/redis', 'textfile', 'tmp', 'log', 'etc', 'cron.d', 'lock']) {
      mkdirSync(this.path(d), { recursive: true, mode: 0o755 });
    }
    writeFileSync(this.path('bin/redis-dr'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'redis-dr.cjs')}" "$@"\n`, { mode: 0o755 });
    this.onCleanup(() => rmSync(this.root, { recursive: true, force: true }));
  }

  static async create(): Promise<Host> {
    const host = new Host(await freePort(), await freePort());
    hosts.push(host);
    return host;
  }

  path(p: string): string {
    return join(this.root, p);
  }

  onCleanup(f: () => unknown): void {
    this.cleanups.push(f);
  }

  async cleanup(): Promise<void> {
    for (const f of this.cleanups.reverse()) await f();
  }

  /** The host's paths and ports as this sandbox has them (longest first, so a longer path is never cut by a shorter one). */
  private sandbox(): [string, string][] {
    const map: [string, string][] = [
      ['/var/lib/node_exporter/textfile/', `${this.path('textfile')}/`],
      ['/var/backups/', `${this.path('backups')}/`],
      ['/var/lib/redis', this.path('lib/redis')],
      ['/var/log/redis-dr/', `${this.path('log')}/`],
      ['/var/tmp/', `${this.path('tmp')}/`],
      ['/etc/redis-dr/', `${this.path('etc')}/`],
      ['/etc/cron.d/', `${this.path('cron.d')}/`],
      ['/run/lock/', `${this.path('lock')}/`],
      ['6379', String(this.port)],
      ['6390', String(this.sparePort)],
    ];
    if (!AS_ROOT) map.push(['runuser -u redis -- ', ''], ['chown -R redis:redis ', 'true ']);
    return map;
  }

  /**
   * The text with placeholders and the host's paths resolved; a placeholder left is an error. One pass, the longest
   * name first at each place: what a name is replaced with is never read again (replacing one name after another, a
   * free port 36379 in a resolved `<target>` became 336379 at the `6379` after it: a clean clone's run failed so).
   */
  resolve(text: string, placeholders: Record<string, string> = {}): string {
    const names = [...Object.entries(placeholders), ...this.sandbox()].sort((a, b) => b[0].length - a[0].length);
    const value = new Map(names);
    const any = new RegExp(names.map(([from]) => from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    const out = text.replace(any, (name) => value.get(name)!);
    const left = /<[a-z][^<>\n]*>/.exec(out);
    if (left) throw new Error(`unresolved placeholder ${left[0]} in:\n${out}`);
    return out;
  }

  /** Runs a block as pasted into bash: `-e -o pipefail`, the sandbox's PATH, no REDIS_DR_* from the test's environment. */
  async run(block: Block, placeholders: Record<string, string> = {}): Promise<{ status: number | null; out: string; script: string }> {
    const script = this.resolve(block.text, placeholders);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDIS_DR_')));
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: this.root,
      env: { ...env, PATH: `${this.path('bin')}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const status = await new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    clearTimeout(timer);
    return { status, out: `${block.where}:\n${out}`, script };
  }

  /** A block that must succeed; resolves to what it printed. */
  async ok(block: Block, placeholders: Record<string, string> = {}): Promise<string> {
    const r = await this.run(block, placeholders);
    expect(r.status, `${r.out}\n(script:\n${r.script})`).toBe(0);
    return r.out;
  }

  /** The server as the host runs it: its dir `/var/lib/redis`, its port; `aof` adds the shipper's settings. */
  async server(aof: boolean): Promise<RedisServer> {
    const s = await startRedisServer({ dir: this.path('lib/redis'), port: this.port, args: aof ? AOF_ARGS : [] });
    chmodSync(this.path('lib/redis'), 0o755);
    this.onCleanup(() => s.kill());
    return s;
  }

  /** A server a runbook started (`--daemonize yes`) is stopped at the end. */
  stopsDaemonOn(port: number): void {
    this.onCleanup(() => {
      spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
      // A daemonized server writes its pid file there (when it may).
      rmSync(`/var/run/redis_${port}.pid`, { force: true });
    });
  }

  /** Waits until the shipper's metrics file matches. */
  async waitForMetrics(re: RegExp): Promise<void> {
    const file = this.path('textfile/redis-dr-aof.prom');
    const deadline = Date.now() + 30_000;
    while (!(existsSync(file) && re.test(readFileSync(file, 'utf8')))) {
      if (Date.now() > deadline) throw new Error(`no ${re} in ${existsSync(file) ? readFileSync(file, 'utf8') : 'no metrics file'}`);
      await sleep(50);
    }
  }

  /**
   * `redis-dr …` outside the runbook (the scenario's past: the backups before the incident), run by the program in this
   * process (test/cli/support/in-process.ts): the runbook's own blocks run the installed binary in bash.
   */
  async cli(...args: string[]): Promise<{ status: number | null; out: string }> {
    const r = await inWorkerWithEnv({ REDIS_DR_HEARTBEAT_URL: '' }, ...args);
    return { status: r.status, out: r.stdout + r.stderr };
  }

  /** `redis-dr ship-aof` as the unit runs it (metrics file, log appended); `stop()` sends SIGTERM. */
  shipAof(): { stop(): Promise<number | null>; waitFor(re: RegExp): Promise<void> } {
    const log = this.path('log/ship-aof.log');
    const fd = openSync(log, 'a');
    const child: ChildProcess = spawn(
      this.path('bin/redis-dr'),
      [
        'ship-aof',
        '--dir',
        this.path('lib/redis/appendonlydir'),
        '--to',
        `file://${this.path('backups/redis-aof')}`,
        // A folder destination is made on its first run only when asked (the unit ships to s3://, which needs none).
        '--create',
        '--interval',
        '200ms',
        '--rpo',
        '60s',
        '--metrics-file',
        this.path('textfile/redis-dr-aof.prom'),
      ],
      { stdio: ['ignore', fd, fd], env: { ...process.env, REDIS_DR_HEARTBEAT_URL: '' } },
    );
    closeSync(fd);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    this.onCleanup(() => child.exitCode === null && child.kill('SIGKILL'));
    const since = existsSync(log) ? readFileSync(log, 'utf8').length : 0;
    return {
      stop: async () => {
        child.kill('SIGTERM');
        return exited;
      },
      waitFor: async (re: RegExp) => {
        const deadline = Date.now() + 30_000;
        while (!re.test(readFileSync(log, 'utf8').slice(since))) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in ${readFileSync(log, 'utf8').slice(since)}`);
          await sleep(50);
        }
      },
    };
  }
}

const hosts: Host[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.cleanup();
});

/** Writes `n` keys `<prefix>:<i>`, every tenth with a day's expiry. */
async function write(s: RedisServer, prefix: string, n: number): Promise<void> {
  const c = s.client();
  const p = c.pipeline();
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) p.set(`${prefix}:${i}`, `v${i}`, 'EX', 86_400);
    else p.set(`${prefix}:${i}`, `v${i}`);
  }
  await p.exec();
  c.disconnect();
}

/** Waits until the AOF rewrite the runbook started has finished. */
/**
 * Waits until the shipper says it shipped the increment `name` to its end as the server has it now (the writes answered
 * are in the file: the server appends before it replies), not a guessed sleep that a loaded machine outlasts.
 */
async function shippedToEnd(host: Host, ship: ReturnType<Host['shipAof']>, name: string): Promise<void> {
  const size = statSync(host.path(`lib/redis/appendonlydir/${name}`)).size;
  await ship.waitFor(new RegExp(`${name.replaceAll('.', '\\.')} to byte ${size}\\b`));
}

async function rewriteDone(c: Redis): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const info = await c.info('persistence');
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) {
      expect(info).toMatch(/aof_last_bgrewrite_status:ok/);
      return;
    }
    await sleep(20);
  }
  throw new Error('the AOF rewrite did not finish within 20 s');
}

/** DBSIZE on a port. */
function dbsize(port: number): number {
  return Number(spawnSync('redis-cli', ['-p', String(port), 'dbsize'], { encoding: 'utf8' }).stdout.trim());
}

/** The backup a runbook's `awk … | sort | tail -n 1` printed: its name and the `<yyyymmdd>-<hhmm>` part. */
function newestBackup(out: string, target: string): { name: string; stamp: string } {
  const m = new RegExp(`(rdr-${target}-(\\d{8}-\\d{4}(?:\\d{2})?)\\.rdb)\\.json`).exec(out);
  expect(m, out).not.toBeNull();
  return { name: m![1]!, stamp: m![2]! };
}

describe('the self-managed runbooks: every command in them', () => {
  it('is in a block this test runs, or names a systemd unit this repository ships (systemd is not run here)', () => {
    const blocks = [...SELF_MANAGED.flatMap((f) => shellBlocks(join(RUNBOOKS, f))), ...section('flushall.md', FLUSHALL_FALLBACK)];
    const inline = [...SELF_MANAGED.flatMap((f) => inlineCommands(join(RUNBOOKS, f))), ...inlineCommands(join(RUNBOOKS, 'flushall.md'), FLUSHALL_FALLBACK)];
    expect(looseCommands(inline, blocks)).toEqual([]);
    expect(blocks.length).toBeGreaterThan(12);
  });

  it.each([
    ['a command in prose only', 'Check with `redis-cli -p 6379 dbsize` first.', /redis-cli -p 6379 dbsize/],
    ['a systemd unit this repository does not ship', 'Then `systemctl start redis-dr-backupz.timer`.', /redis-dr-backupz\.timer/],
  ])('reports %s', (_what, line, command) => {
    const text = ['## 1. Steps', line, '', '```sh', 'redis-cli -p 6379 ping', '```'].join('\n');
    const loose = looseCommands(inlineCommands('x.md', undefined, text), shellBlocks('x.md', text));
    expect(loose.map((l) => l.command)).toEqual([expect.stringMatching(command)]);
  });

  it('refuses to run a block with a placeholder no scenario resolved; resolves each name once (a port holding 6379 is left as it is)', async () => {
    const host = await Host.create();
    expect(host.resolve('ls /var/backups/redis/rdr-<target>-*.rdb; redis-cli -p 6379 ping', { '<target>': 'redis-127-0-0-1-36379' })).toBe(
      `ls ${host.path('backups')}/redis/rdr-redis-127-0-0-1-36379-*.rdb; redis-cli -p ${host.port} ping`,
    );
    expect(() => host.resolve('redis-dr drill local --rdb /var/backups/redis/rdr-<target>-<yyyymmdd>-<hhmm>.rdb', { '<target>': 'cache-1' })).toThrow(
      /unresolved placeholder <yyyymmdd>/,
    );
  });
});

/** Inline commands that no block runs, and systemd lines naming a unit neither deploy/systemd/ nor the server's package ships. */
function looseCommands(inline: { where: string; command: string }[], blocks: Block[]): { where: string; command: string }[] {
  const units = [...readdirSync(join(ROOT, 'deploy', 'systemd')), 'redis-server'];
  return inline.filter(({ command }) => {
    if (/^(systemctl|journalctl) /.test(command)) return !command.split(' ').some((w) => units.includes(w) || units.includes(`${w}.service`));
    return !blocks.some((b) => b.text.includes(command));
  });
}

describe('docs/runbooks/self-managed-host-lost.md', () => {
  it('brings a lost host back from the shipped AOF to its last command, then from the newest backup; each path checked and backed up again', async () => {
    const host = await Host.create();
    const target = `redis-127-0-0-1-${host.port}`;
    const file = 'self-managed-host-lost.md';
    // The past: a server backed up hourly and shipping its AOF; 300 keys at the backup, 200 written after it.
    const old = await host.server(true);
    await write(old, 'before', 300);
    expect((await host.cli('backup', '--redis', old.url, '--to', `file://${host.path('backups/redis')}`)).status).toBe(0);
    const ship = host.shipAof();
    await ship.waitFor(/caught up, restorable/);
    await write(old, 'after', 200);
    await shippedToEnd(host, ship, 'appendonly.aof.1.incr.aof');
    expect(await ship.stop()).toBe(0);
    // The host is lost: its server gone, its data directory empty.
    await old.kill();
    rmSync(host.path('lib/redis'), { recursive: true, force: true });
    mkdirSync(host.path('lib/redis'), { mode: 0o755 });
    host.stopsDaemonOn(host.port);

    const [what] = section(file, '1. See what the destinations hold');
    const listed = await host.ok(what!, { '<target>': target });
    expect(listed).toMatch(new RegExp(`rdr-${target}-\\d{8}-\\d{4}\\.rdb`));
    expect(listed).toMatch(/\.manifest/);

    // Step 2: the AOF to its last command, the server started on it.
    const [restore, start] = section(file, '2. With shipped AOF');
    expect(await host.ok(restore!)).toMatch(/: 500 keys \(db0=500\)/);
    await host.ok(start!);
    const [count, backup] = section(file, '4. Check');
    expect(await host.ok(count!)).toMatch(/^500\n[\s\S]*aof_enabled:1/m);
    expect(await host.ok(backup!)).toMatch(/OK rdr-.*500 keys/);
    // "After step 2 the shipper continues the same history": it resumes where the old host stopped.
    const resumed = host.shipAof();
    await resumed.waitFor(/appendonly\.aof\.1\.incr\.aof resumes at byte \d+/);
    expect(await resumed.stop()).toBe(0);
    expect(spawnSync('redis-cli', ['-p', String(host.port), 'shutdown', 'nosave']).status).toBe(0);

    // Step 3 on the same empty directory: the newest backup (the one step 4 just took, 500 keys).
    rmSync(host.path('lib/redis'), { recursive: true, force: true });
    mkdirSync(host.path('lib/redis'), { mode: 0o755 });
    const [find, prove, load] = section(file, '3. From the newest backup');
    const newest = newestBackup(await host.ok(find!, { '<target>': target }), target);
    const stamp = { '<target>': target, '<yyyymmdd>-<hhmm>': newest.stamp };
    expect(await host.ok(prove!, stamp)).toMatch(/\.rdb: OK\n[\s\S]*PASSED/);
    expect(await host.ok(load!, stamp)).toMatch(/500/);
    expect(dbsize(host.port)).toBe(500);
    expect(await host.ok(count!)).toMatch(/^500\n[\s\S]*aof_enabled:1/m);
    expect(await host.ok(backup!)).toMatch(/OK rdr-.*500 keys/);
  }, 180_000);
});

describe('docs/runbooks/self-managed-heartbeat.md', () => {
  it('tells runs that fail (the failed step in the metrics and the log) from runs that never happen, and the run by hand succeeds once the cause is fixed', async () => {
    const host = await Host.create();
    const file = 'self-managed-heartbeat.md';
    const ping = await startPingServer();
    host.onCleanup(() => ping.close());
    // The host as docs/self-managed.md sets it up: the cron file, the env file (0600, redis), the folders the job writes.
    copyFileSync(join(ROOT, 'deploy', 'cron', 'redis-dr'), host.path('cron.d/redis-dr'));
    writeFileSync(host.path('etc/backup.env'), `REDIS_DR_HEARTBEAT_URL='${ping.url}'\n`, { mode: 0o600 });
    if (AS_ROOT) {
      const [uid, gid] = ['-u', '-g'].map((f) => Number(spawnSync('id', [f, 'redis'], { encoding: 'utf8' }).stdout.trim()));
      for (const d of ['backups/redis', 'textfile', 'log', 'lock', 'etc/backup.env']) chownSync(host.path(d), uid!, gid!);
    }
    let server = await host.server(false);
    await write(server, 'k', 100);
    // What cron runs, from the cron file itself: one good run, then the server is down and the next run fails.
    const cronLine = readFileSync(host.path('cron.d/redis-dr'), 'utf8')
      .split('\n')
      .find((l) => /^7 \* \* \* \* redis /.test(l))!;
    const job = { where: 'deploy/cron/redis-dr', section: '', text: `runuser -u redis -- sh -c ${shellQuote(cronLine.replace(/^7 \* \* \* \* redis /, ''))}` };
    expect((await host.run(job)).status).toBe(0);
    expect(ping.pings.map((p) => p.path)).toEqual([new URL(ping.url).pathname]);
    await server.kill();
    expect((await host.run(job)).status).toBe(2);

    const [ages] = section(file, '1. Did it run');
    const said = await host.ok(ages!);
    expect(said).toMatch(/redis_dr_backup_last_run_timestamp_seconds\{target="redis-127-0-0-1-\d+"\} \d+ s ago/);
    expect(said).toMatch(/redis_dr_backup_last_success_timestamp_seconds\{target="redis-127-0-0-1-\d+"\} \d+ s ago/);
    expect(said).toMatch(/redis_dr_backup_success\{target="redis-127-0-0-1-\d+",step="connect"\} 0/);

    const [cron] = section(file, '2. Nothing ran');
    expect(await host.ok(cron!)).toMatch(/refused the connection/);

    const [byHand, check] = section(file, '3. Runs fail');
    const failing = await host.run(byHand!);
    expect(failing.status, failing.out).toBe(2);
    expect(failing.out).toMatch(/refused the connection/);
    expect(ping.pings.at(-1)?.path).toBe(`${new URL(ping.url).pathname}/fail`);
    // The cause fixed: the server back on its port and folder.
    server = await startRedisServer({ dir: host.path('lib/redis'), port: host.port });
    host.onCleanup(() => server.kill());
    expect(await host.ok(byHand!)).toMatch(/^OK rdr-/m);
    expect(ping.pings.at(-1)?.path).toBe(new URL(ping.url).pathname);
    expect(await host.ok(check!)).toMatch(/redis_dr_backup_success\{target="redis-127-0-0-1-\d+"\} 1/);
  }, 180_000);
});

/** Single-quotes a string for sh. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

describe('docs/runbooks/ship-aof-lag.md', () => {
  it("reads the shipper's state, proves the history restorable, and takes a torn part the server no longer has out of the history", async () => {
    const host = await Host.create();
    const file = 'ship-aof-lag.md';
    const server = await host.server(true);
    await write(server, 'k', 200);
    let ship = host.shipAof();
    await ship.waitFor(/caught up, restorable/);
    // The shipper logs a cycle before it writes that cycle's metrics file: the operator reads the file after it is written.
    await host.waitForMetrics(/^redis_dr_aof_within_rpo\{[^}]*\} 1$/m);

    const [state, log, rewrite] = section(file, '1. What the shipper says');
    const said = await host.ok(state!);
    expect(said).toMatch(/^redis_dr_aof_within_rpo\{[^}]*\} 1$/m);
    expect(said).toMatch(/^redis_dr_aof_torn_parts\{[^}]*\} 0$/m);
    expect(await host.ok(log!)).toMatch(/ship-aof: caught up, restorable/);
    // A new base: the rewrite removes the increment the next steps tear.
    expect(await host.ok(rewrite!)).toMatch(/rewriting started/);
    const c = server.client();
    await rewriteDone(c);
    await write(server, 'later', 50);
    await shippedToEnd(host, ship, 'appendonly.aof.2.incr.aof');

    const [check] = section(file, '2. Is the history restorable');
    expect(await host.ok(check!)).toMatch(/: 250 keys/);
    expect(existsSync(host.path('tmp/aof-check'))).toBe(false);

    // A part of the removed increment torn at the destination (cut to 5 bytes), found on the next start.
    expect(await ship.stop()).toBe(0);
    const tornDir = host.path('backups/redis-aof/files/appendonly.aof.1.incr.aof');
    const part = readdirSync(tornDir).find((n) => n.endsWith('.part'))!;
    truncateSync(join(tornDir, part), 5);
    ship = host.shipAof();
    await ship.waitFor(/is torn \(5 of \d+ bytes stored\) and the server no longer has the file/);
    await host.waitForMetrics(/^redis_dr_aof_torn_parts\{[^}]*\} 1$/m);
    expect(await host.ok(state!)).toMatch(/^redis_dr_aof_torn_parts\{[^}]*\} 1$/m);

    const [moveAside, after] = section(file, '3. A torn part the server no longer has');
    await host.ok(moveAside!, { '<file>': 'appendonly.aof.1.incr.aof', '<part>': part });
    expect(existsSync(host.path(`backups/redis-aof-torn/${part}`))).toBe(true);
    await ship.stop();
    ship = host.shipAof();
    await host.waitForMetrics(/^redis_dr_aof_torn_parts\{[^}]*\} 0$/m);
    await host.waitForMetrics(/^redis_dr_aof_within_rpo\{[^}]*\} 1$/m);
    const now = await host.ok(after!);
    expect(now).toMatch(/^redis_dr_aof_torn_parts\{[^}]*\} 0$/m);
    expect(now).toMatch(/^redis_dr_aof_within_rpo\{[^}]*\} 1$/m);
    expect(await host.ok(check!)).toMatch(/: 250 keys/);
    expect(existsSync(host.path('tmp/aof-check'))).toBe(false);
    expect(await ship.stop()).toBe(0);
    c.disconnect();
  }, 180_000);
});

describe('docs/runbooks/flushall.md, self-managed without a shipper', () => {
  it('finds the newest backup before the flush (not the collapsed one after it), brings every key back from it, serves a copy, releases the hold', async () => {
    const host = await Host.create();
    const target = `redis-127-0-0-1-${host.port}`;
    const server = await host.server(false);
    await write(server, 'k', 300);
    const to = `file://${host.path('backups/redis')}`;
    expect((await host.cli('backup', '--redis', server.url, '--to', to)).status).toBe(0);
    const c = server.client();
    await c.flushall();
    await c.set('written:after', 'x');
    const collapsed = await host.cli('backup', '--redis', server.url, '--to', to);
    expect(collapsed.status, collapsed.out).toBe(1);
    const collapsedName = /(rdr-\S+\.rdb)/.exec(collapsed.out)![1]!;

    const [find, recover, serve, release] = section('flushall.md', FLUSHALL_FALLBACK);
    const newest = newestBackup(await host.ok(find!, { '<target>': target }), target);
    expect(newest.name).not.toBe(collapsedName);
    const values = { '<target>': target, '<yyyymmdd>-<hhmm>': newest.stamp, '<collapsed backup>': collapsedName };
    expect(await host.ok(recover!, values)).toMatch(/300 keys/);
    expect(await c.dbsize()).toBe(301);
    expect(await c.ttl('k:10')).toBeGreaterThan(80_000);
    host.stopsDaemonOn(host.sparePort);
    expect(await host.ok(serve!, values)).toMatch(/^300$/m);
    expect(existsSync(host.path('tmp/pitr'))).toBe(false);
    expect(await host.ok(release!, values)).toContain(collapsedName);
    c.disconnect();
  }, 180_000);
});
