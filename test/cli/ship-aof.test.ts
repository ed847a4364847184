import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileAofStore } from '../../lambdas/adapters/aof-store';
import { AOF_METRICS } from '../../lambdas/domain/aof-metrics';
import { sleep, startAofServer } from '../support/aof';
import { startPingServer } from '../support/ping-server';
import type { RedisServer } from '../support/redis-server';
import { runInProcess } from './support/in-process';
import { cli } from './support/run-cli';

/**
 * `redis-dr ship-aof` and `redis-dr restore-aof` as an operator runs them:
 * the compiled CLI, a real redis-server, SIGTERM to stop the shipper.
 */

const ROOT = join(__dirname, '..', '..');
const cleanup: (() => Promise<unknown> | void)[] = [];
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

/** `redis-dr ship-aof …` in the background; `stop()` sends SIGTERM and resolves to its exit. */
function shipInBackground(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), 'ship-aof', ...args], { cwd: ROOT, env: { ...process.env, REDIS_DR_HEARTBEAT_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
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
    const ship = shipInBackground(['--dir', join(s.dir, 'appendonlydir'), '--to', `file://${dest}`, '--interval', '200ms', '--rpo', '10s', '--heartbeat-every', '1s', '--metrics-file', metrics], { REDIS_DR_HEARTBEAT_URL: ping.url });
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
    expect(r.stdout).toMatch(/^OK .*appendonlydir: base appendonly\.aof\.1\.base\.rdb \(rdb, dataset as of \d{4}-.*Z\), 1 increment \(\d+ commands\) from file:\/\//);
    expect(r.stdout).toContain('loaded by redis-server 7');
    expect(r.stdout).toContain(': 81 keys (db0=81)');
    expect(r.stdout).toContain(`serve it: redis-server --dir ${join(out, '..')} --appenddirname appendonlydir --appendfilename appendonly.aof --appendonly yes`);
    expect(existsSync(join(out, 'appendonly.aof.manifest'))).toBe(true);
    const again = await cli('restore-aof', '--from', `file://${dest}`, '--to', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/--to .*appendonlydir is not empty \(appendonly\.aof\.1\.base\.rdb, .*\): give a new or empty directory/);

    // --until before the oldest base: refused, naming the oldest point; nothing left behind.
    const early = join(tempDir('early'), 'aof');
    const refused = await cli('restore-aof', '--from', `file://${dest}`, '--to', early, '--until', '2000-01-01T00:00:00Z', '--json');
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, refused: { kind: 'before-oldest', message: expect.stringMatching(/is before the oldest point available, \d{4}-\d\d-\d\dT[\d:]+Z \(base appendonly\.aof\.1\.base\.rdb/) } });
    expect(existsSync(early)).toBe(false);
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
    const r = await cli('restore-aof', '--from', `file://${dest}`, '--to', join(tempDir('out'), 'aof'), '--until', new Date().toISOString());
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^REFUSED \(no-timestamps\): --until needs the AOF timestamp annotations \(aof-timestamp-enabled yes\)/);
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
  });

  it.each([
    ['a directory that is not an AOF directory', (d: string) => ['--dir', d], /--dir: .* is not an AOF directory: it holds no <appendfilename>\.manifest/],
    ['the server\'s dir instead of its AOF directory', (d: string) => (mkdirSync(join(d, 'appendonlydir')), ['--dir', d]), /it looks like the server's dir: the AOF directory is .*\/appendonlydir/],
    ['a single-file AOF of Redis < 7', (d: string) => (writeFileSync(join(d, 'appendonly.aof'), ''), ['--dir', d]), /single-file AOF of Redis before 7\.0/],
    [
      'a manifest with a field it does not know',
      (d: string) => (writeFileSync(join(d, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i startoffset 0 fenced yes\n'), ['--dir', d]),
      /appendonly\.aof\.manifest, line 2: unknown field "fenced" \(value "yes"\).*not guessed: nothing shipped/,
    ],
    ['a destination that is none', (d: string) => ['--dir', d, '--to', 'ftp://x'], /--to ftp:\/\/x is not a destination: write file:\/\/\/absolute\/dir or s3:\/\/bucket\/prefix/],
    ['--rpo shorter than --interval', (d: string) => ['--dir', d, '--interval', '10s', '--rpo', '5s'], /--rpo 5s is shorter than --interval 10s/],
    ['a duration it cannot read', (d: string) => ['--dir', d, '--interval', 'soon'], /--interval must be a duration of at least 100ms like 500ms, 5s, 1m or 2h, got soon/],
  ])('ship-aof refuses %s (exit 2, saying why)', async (_what, args, message) => {
    const d = tempDir('bad');
    const given = args(d);
    const r = await runInProcess(['ship-aof', '--to', `file://${tempDir('dest')}`, ...given]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it.each([
    [['--until', '2026-11-23 14:05'], /--until 2026-11-23 14:05 is not an ISO time with its zone: write e\.g\. 2026-11-23T14:05:00Z/],
    [['--until', '2026-11-23T14:05:00'], /is not an ISO time with its zone/],
  ])('restore-aof refuses %j (exit 2)', async (args, message) => {
    const r = await runInProcess(['restore-aof', '--from', `file://${tempDir('dest')}`, '--to', join(tempDir('out'), 'x'), ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it('restore-aof of a destination that holds nothing says so (exit 1)', async () => {
    const r = await runInProcess(['restore-aof', '--from', `file://${tempDir('empty')}`, '--to', join(tempDir('out'), 'x')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^REFUSED \(empty\): file:\/\/.* holds no shipped AOF history: is it the destination ship-aof writes to\?/);
  });

});
