import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intoNextSecond } from '../../../support/next-second.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { inWorker } from '../../support/in-process.js';

/**
 * A self-managed destination end to end, as an operator runs it: `backup`
 * into a folder, `drill local --from` the folder (its newest proven backup,
 * recorded beside the backups), then `report --destination`, whose
 * restore-time control passes on that record (it always failed: drill local
 * recorded nothing).
 */
const ROOT = join(__dirname, '..', '..', '..', '..');
const BIN = join(ROOT, 'bin', 'redis-dr.cjs');

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env }, (_e, stdout, stderr) =>
      resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

describe('drill local --from <destination>', () => {
  let server: RedisServer;
  const dir = mkdtempSync(join(tmpdir(), 'drill-from-'));
  const dest = `file://${join(dir, 'backups')}`;
  beforeAll(async () => {
    server = await startRedisServer();
    const p = server.client().pipeline();
    for (let i = 0; i < 300; i++) p.set(`k:${i}`, `v${i}`);
    await p.exec();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drills the newest proven backup, records it beside the backups, and the report passes restore-time on it', async () => {
    const backup = await cli(['backup', '--redis', server.url, '--to', dest, '--create', '--name', 'cache']);
    expect(backup.status, backup.stderr).toBe(0);
    const before = await cli(['report', '--destination', dest, '--json', join(dir, 'before.json')]);
    const restoreTime = (file: string) =>
      (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { controls: { control: string; verdict: string; why: string }[] }).controls.find(
        (c) => c.control === 'restore-time',
      )!;
    expect(before.status).toBe(1);
    expect(restoreTime('before.json')).toMatchObject({ verdict: 'fail', why: 'no drill in the period' });

    // As cron or a systemd unit runs it: no $USER, and $HOSTNAME (a bash variable) not exported.
    const { USER: _user, HOSTNAME: _host, ...bare } = process.env;
    const drill = await cli(['drill', 'local', '--from', dest], bare);
    expect(drill.status, drill.stdout + drill.stderr).toBe(0);
    expect(drill.stdout).toMatch(/^PASSED: /m);
    expect(drill.stdout).toMatch(/^Recorded: redis-dr-drill-cache-\d{8}T\d{6}\.\d{3}Z\.json in file:\/\/.*backups \(report --destination reads it\)$/m);
    expect(drill.stdout).toMatch(/^ {2}read: {3}\S+ s \(taking the file and reading it through the verifier\)$/m);
    const record = readdirSync(join(dir, 'backups')).find((f) => f.startsWith('redis-dr-drill-cache-'))!;
    const written = JSON.parse(readFileSync(join(dir, 'backups', record), 'utf8')) as Record<string, number>;
    // The RTO from start to verified: read, load and checks.
    expect(written.rtoSeconds).toBeCloseTo(written.readSeconds! + written.loadSeconds! + written.verifySeconds!, 10);
    expect(written.readSeconds).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(dir, 'backups', record), 'utf8'))).toMatchObject({
      target: 'cache',
      point: expect.stringMatching(/^rdr-cache-\d{8}-\d{4}\.rdb$/),
      passed: true,
      verdict: 'passed',
      rtoSeconds: expect.any(Number),
      // Who ran it (a manual drill's starter), from the process, not the environment.
      startedBy: `${userInfo().username}@${hostname()}`,
    });

    const after = await cli(['report', '--destination', dest, '--json', join(dir, 'after.json')]);
    expect(restoreTime('after.json')).toMatchObject({ verdict: 'pass', why: expect.stringMatching(/^last drill .* passed, RTO \d+ s \(target 3600 s\)/) });
    // A destination one backup old still fails frequency and retention over 30 days (honestly); restore-time no more.
    expect(after.stdout).not.toMatch(/FAIL cache restore-time/);
    expect(before.stdout).toMatch(/FAIL cache restore-time/);
  });

  it('--point of a backup never proven stored (put there by hand: no read-back record) is drilled and said to be so; a proven one is not', async () => {
    const proven = readdirSync(join(dir, 'backups')).find((f) => /^rdr-cache-.*\.rdb$/.test(f))!;
    const byHand = join(dir, 'by-hand');
    mkdirSync(byHand);
    copyFileSync(join(dir, 'backups', proven), join(byHand, proven));
    const drill = await inWorker('drill', 'local', '--from', `file://${byHand}`, '--point', proven);
    expect(drill.status, drill.stdout + drill.stderr).toBe(0);
    expect(drill.stdout).toContain(
      `\nWARNING: not proven stored (no read-back record beside it: a run stopped before it, a file put there by hand), drilled all the same, as --point names it (without --point the drill takes the newest proven): ${proven}\n`,
    );
    expect(JSON.parse((await inWorker('drill', 'local', '--from', `file://${byHand}`, '--point', proven, '--json')).stdout)).toMatchObject({ unproven: true });
    const asStored = await inWorker('drill', 'local', '--from', dest, '--point', proven);
    expect(asStored.status, asStored.stdout + asStored.stderr).toBe(0);
    expect(asStored.stdout).not.toContain('not proven stored');
  });

  it('refuses --rdb with --from, --point without --from, and a point that is not there (exit 2, nothing run)', async () => {
    // Messages and exit codes, which the program in the worker gives as the binary does (a child cost about 0.3 CPU-s each).
    const cli = (args: string[]) => inWorker(...args);
    expect((await cli(['drill', 'local', '--from', dest, '--rdb', '/tmp/x.rdb'])).stderr).toMatch(/give --rdb <file> .* or --from <destination>/);
    expect((await cli(['drill', 'local', '--rdb', '/tmp/x.rdb', '--point', 'p'])).stderr).toMatch(/--point goes with --from/);
    const missing = await cli(['drill', 'local', '--from', dest, '--point', 'rdr-cache-20200101-0000.rdb']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--point rdr-cache-20200101-0000\.rdb: no backup of cache of that name/);
    // A destination folder that is not there: exit 2, one line, and no advice of a --create drill local does not have.
    const noFolder = await cli(['drill', 'local', '--from', `${dest}-typo`]);
    expect(noFolder.status).toBe(2);
    expect(noFolder.stderr).toMatch(/^redis-dr: --from file:\/\/.*-typo: no such folder\. Check the path \(a typo\?\): it is where backup --to wrote\n$/);
  });
});

// The program in the worker (test/cli/support/in-process.ts): the backups' and drills' words and exit codes, as the binary gives them.
describe('drill local --from <destination> whose newest backup is marked a keyspace collapse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drill-from-collapse-'));
  const dest = `file://${join(dir, 'backups')}`;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('drills it (the newest, as asked) and says so, naming the newest good backup before it and the drill command for it', async () => {
    const server = await startRedisServer();
    try {
      const c = server.client();
      for (let i = 0; i < 20; i++) await c.set(`k${i}`, 'v');
      const backup = () => inWorker('backup', '--redis', server.url, '--to', dest, '--create', '--name', 'cache');
      expect((await backup()).status).toBe(0);
      const good = readdirSync(join(dir, 'backups')).find((f) => f.endsWith('.rdb'))!;
      await intoNextSecond(); // a name of its own: to the second within the minute, the minute form across one (either is matched below)
      await c.flushall();
      c.disconnect();
      const collapsed = await backup();
      expect(collapsed.stdout).toContain('keyspace collapse');
      const drill = await inWorker('drill', 'local', '--from', dest);
      const line = new RegExp(
        `^COLLAPSED: rdr-cache-\\d{8}-\\d{4}(?:\\d{2})?\\.rdb is marked a keyspace collapse \\(.*holds 0 keys.*\\); the newest good backup before it: redis-dr drill local --from ${dest} --point ${good}$`,
        'm',
      );
      expect(drill.stdout).toMatch(line);
      await intoNextSecond(); // each drill's record is named to the second
      const json = await inWorker('drill', 'local', '--from', dest, '--json');
      expect(JSON.parse(json.stdout)).toMatchObject({
        collapse: { point: expect.stringMatching(/^rdr-cache-/), mark: expect.stringContaining('0 keys'), before: good },
      });
      await intoNextSecond();
      const pointed = await inWorker('drill', 'local', '--from', dest, '--point', good);
      expect(pointed.status, pointed.stdout + pointed.stderr).toBe(0);
      expect(pointed.stdout).not.toContain('COLLAPSED');
    } finally {
      await server.stop();
    }
  }, 60_000);
});
