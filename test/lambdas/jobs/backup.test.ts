import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileBackupStore, type BackupStore } from '../../../lambdas/adapters/backup-store';
import { backupFileName } from '../../../lambdas/domain/backup';
import { BACKUP_METRICS } from '../../../lambdas/domain/backup-metrics';
import { createRdbVerifier } from '../../../lambdas/domain/rdb/verifier';
import { runBackup, type BackupDeps, type BackupRequest } from '../../../lambdas/jobs/backup';
import { startPingServer, type PingServer } from '../../support/ping-server';
import { startRedisServer, type RedisServer } from '../../support/redis-server';

const retention = { hourly: 2, daily: 3, weekly: 1, monthly: 1, minKeep: 2, timeZone: 'UTC' };

function deps(server: RedisServer, overrides: Partial<BackupDeps> = {}): BackupDeps {
  return {
    connect: async () => server.client(),
    pull: async () => {
      throw new Error('remote mode is not used here');
    },
    openFile: async (path) => (await open(path, 'r')).createReadStream({ highWaterMark: 64 * 1024 }),
    now: () => Date.now(),
    timing: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), pollMs: 20, timeoutMs: 30_000 },
    ...overrides,
  };
}

async function fill(c: Redis): Promise<number> {
  const pipe = c.pipeline();
  for (let i = 0; i < 500; i++) pipe.set(`session:${i}`, `user-${i}`, 'EX', 3600);
  for (let i = 0; i < 50; i++) pipe.rpush(`queue:${i}`, 'a', 'b', 'c');
  pipe.zadd('leaderboard', 1, 'a', 2, 'b');
  await pipe.exec();
  return 551;
}

describe('runBackup (local mode) against a real redis-server', () => {
  let server: RedisServer;
  let keys: number;
  let dir: string;
  let ping: PingServer;
  let request: BackupRequest;

  beforeAll(async () => {
    server = await startRedisServer();
    keys = await fill(server.client());
  });
  afterAll(async () => server?.stop());
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-backup-test-'));
    ping = await startPingServer();
    request = {
      server: server.url,
      source: { host: '127.0.0.1', port: server.port },
      target: 'cache',
      mode: 'local',
      store: new FileBackupStore(join(dir, 'backups')),
      retention,
      heartbeat: { url: ping.url, start: false, fail: true },
      metricsFile: join(dir, 'redis-dr.prom'),
    };
  });
  afterEach(async () => {
    await ping.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a verified backup named like a recovery point, with its checksum, then pings and writes metrics', async () => {
    const report = await runBackup(request, deps(server));
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => [s.step, s.ok])).toEqual([
      ['connect', true],
      ['destination', true],
      ['save', true],
      ['write', true],
      ['retention', true],
      ['metrics', true],
      ['heartbeat', true],
    ]);
    const file = report.backup!.file;
    expect(file).toMatch(/^rdr-cache-\d{8}-\d{4}\.rdb$/);
    expect(report.backup).toMatchObject({ tier: 'monthly', keys, checksum: 'ok' });
    const bytes = readFileSync(join(dir, 'backups', file));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(report.backup!.sha256);
    const v = createRdbVerifier({ requireChecksum: true });
    v.push(bytes);
    expect(v.end()).toMatchObject({ ok: true, keys });
    expect(readFileSync(join(dir, 'backups', `${file}.sha256`), 'utf8')).toBe(`${report.backup!.sha256}  ${file}\n`);
    expect(ping.pings.map((p) => p.path)).toEqual([new URL(ping.url).pathname]);
    const prom = readFileSync(join(dir, 'redis-dr.prom'), 'utf8');
    expect(prom).toContain(`${BACKUP_METRICS.success}{target="cache"} 1\n`);
    expect(prom).toContain(`${BACKUP_METRICS.keys}{target="cache"} ${keys}\n`);
  });

  it('a BGSAVE that fails: step save named, no file, no success ping (a /fail ping), metrics say 0, nothing before deleted', async () => {
    const broken = await startRedisServer({ args: ['--dbfilename', 'blocked.rdb'] });
    try {
      await fill(broken.client());
      mkdirSync(join(broken.dir, 'blocked.rdb'));
      const earlier = backupFileName('cache', new Date('2026-01-01T00:00:00Z'));
      mkdirSync(join(dir, 'backups'));
      writeFileSync(join(dir, 'backups', earlier), 'an earlier backup');
      writeFileSync(join(dir, 'backups', `${earlier}.json`), JSON.stringify({ tier: 'monthly' }));
      const report = await runBackup({ ...request, source: { host: '127.0.0.1', port: broken.port } }, deps(broken));
      expect(report).toMatchObject({ ok: false, failedStep: 'save' });
      expect(report.error).toMatch(/^BGSAVE failed/);
      expect(report.backup).toBeUndefined();
      expect(readdirSync(join(dir, 'backups')).sort()).toEqual([earlier, `${earlier}.json`]);
      expect(ping.pings.map((p) => p.path)).toEqual([`${new URL(ping.url).pathname}/fail`]);
      expect(ping.pings[0]!.body).toMatch(/^save: BGSAVE failed/);
      expect(readFileSync(join(dir, 'redis-dr.prom'), 'utf8')).toContain(`${BACKUP_METRICS.success}{target="cache",step="save"} 0\n`);
    } finally {
      await broken.stop();
    }
  });

  it('a stream corrupted on its way is caught before commit: nothing stored', async () => {
    const flipping: BackupDeps['openFile'] = async (path) => {
      const bytes = readFileSync(path);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x20;
      return (async function* () {
        yield bytes;
      })();
    };
    const report = await runBackup(request, deps(server, { openFile: flipping }));
    expect(report).toMatchObject({ ok: false, failedStep: 'write' });
    expect(report.error).toMatch(/the RDB failed verification/);
    expect(readdirSync(join(dir, 'backups'))).toEqual([]);
  });

  it('local mode stores only the file this save wrote: an older file at dir/dbfilename (another host\'s server) is refused', async () => {
    // A valid RDB whose ctime is years old: what a local dump.rdb of some other server would be.
    const other: BackupDeps['openFile'] = async () => (await open(join(__dirname, '..', '..', 'fixtures', 'rdb', 'zset-ziplist.rdb'), 'r')).createReadStream();
    const report = await runBackup(request, deps(server, { openFile: other }));
    expect(report).toMatchObject({ ok: false, failedStep: 'write' });
    expect(report.error).toMatch(/the file read was written at 2021-08-11T.*before this save was asked for .*it is not the file the server just saved .*use --remote/);
    expect(readdirSync(join(dir, 'backups'))).toEqual([]);
  });

  it('a destination that fails mid-write leaves no file and names the step', async () => {
    const inner = new FileBackupStore(join(dir, 'backups'));
    const failing: BackupStore = {
      url: inner.url,
      list: () => inner.list(),
      exists: (f) => inner.exists(f),
      remove: (f) => inner.remove(f),
      write: (file, body, record, commit) =>
        inner.write(
          file,
          (async function* () {
            let n = 0;
            for await (const chunk of body) {
              if (++n === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
              yield chunk;
            }
          })(),
          record,
          commit,
        ),
    };
    const report = await runBackup({ ...request, store: failing }, deps(server, { openFile: async (p) => (await open(p, 'r')).createReadStream({ highWaterMark: 1024 }) }));
    expect(report).toMatchObject({ ok: false, failedStep: 'write' });
    expect(report.error).toContain('(no space left on the device)');
    expect(readdirSync(join(dir, 'backups'))).toEqual([]);
  });

  it('refuses to overwrite this minute\'s backup', async () => {
    const now = Date.parse('2026-11-23T10:15:30Z');
    const fixed = { now: () => now };
    const file = backupFileName('cache', new Date(now));
    mkdirSync(join(dir, 'backups'));
    writeFileSync(join(dir, 'backups', file), 'already there');
    const report = await runBackup(request, deps(server, fixed));
    expect(report).toMatchObject({ ok: false, failedStep: 'destination' });
    expect(report.error).toBe(`${request.store.url} already holds ${file} (a backup of cache this minute): it is not overwritten; run again next minute`);
    expect(readFileSync(join(dir, 'backups', file), 'utf8')).toBe('already there');
  });

  it('applies GFS retention over many recovery points with the rails: never the newest minKeep, never a foreign file', async () => {
    mkdirSync(join(dir, 'backups'));
    const base = Date.parse('2026-11-01T00:00:00Z');
    const names: string[] = [];
    for (let h = 0; h < 30 * 24; h += 6) {
      const at = new Date(base + h * 3_600_000);
      const name = backupFileName('cache', at);
      names.push(name);
      writeFileSync(join(dir, 'backups', name), 'old');
      const tier = h === 0 ? 'monthly' : h % (7 * 24) === 0 ? 'weekly' : h % 24 === 0 ? 'daily' : 'hourly';
      writeFileSync(join(dir, 'backups', `${name}.json`), JSON.stringify({ tier }));
    }
    writeFileSync(join(dir, 'backups', 'rdr-cache-20261015-0000.rdb'), 'someone else\'s');
    writeFileSync(join(dir, 'backups', 'rdr-other-20261001-0000.rdb'), 'another target');
    const report = await runBackup(request, deps(server, { now: () => Date.parse('2026-12-01T00:30:00Z') }));
    expect(report.ok).toBe(true);
    const left = readdirSync(join(dir, 'backups')).filter((f) => f.endsWith('.rdb')).sort();
    // New (monthly, December), the newest 2 hourly+, 3 daily+, 1 weekly+, 1 monthly — and the two foreign files.
    expect(report.retention!.kept).toHaveLength(left.length - 2);
    expect(left).toContain('rdr-cache-20261015-0000.rdb');
    expect(left).toContain('rdr-other-20261001-0000.rdb');
    expect(left).toContain(report.backup!.file);
    expect(left).toContain(names.at(-1));
    expect(report.retention!.deleted.length).toBe(names.length + 1 - report.retention!.kept.length);
    for (const gone of report.retention!.deleted) expect(readdirSync(join(dir, 'backups'))).not.toContain(`${gone}.json`);
  });

  it('a heartbeat that does not answer: the backup counts, the miss is reported, exit non-zero', async () => {
    ping.status = 500;
    const report = await runBackup(request, deps(server));
    expect(report).toMatchObject({ ok: false, failedStep: 'heartbeat' });
    expect(report.error).toMatch(/heartbeat success ping to .* failed: HTTP 500; the backup itself succeeded and counts/);
    expect(report.backup).toBeDefined();
    expect(readdirSync(join(dir, 'backups'))).toContain(report.backup!.file);
    expect(readFileSync(join(dir, 'redis-dr.prom'), 'utf8')).toContain(`${BACKUP_METRICS.success}{target="cache"} 1\n`);
  });

  it('an unreachable server fails at connect', async () => {
    const report = await runBackup(request, deps(server, { connect: async () => Promise.reject(new Error('could not connect to redis at 127.0.0.1:1: ECONNREFUSED')) }));
    expect(report).toMatchObject({ ok: false, failedStep: 'connect', error: 'could not connect to redis at 127.0.0.1:1: ECONNREFUSED' });
  });
});
