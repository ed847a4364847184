import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configQuote, parseServerLog, startLocalRedis, type LocalRedis } from '../../../../lambdas/adapters/redis/local-server.js';
import { findServerBinary, freeLoopbackPort, LocalRedisError, MAX_LOCAL_PORT } from '../../../../lambdas/adapters/redis/server-binary.js';
import { bgsave, startRedisServer } from '../../../support/redis-server.js';
import { processAlive } from '../../../../lambdas/adapters/host/process.js';

describe('startLocalRedis (a real redis-server)', () => {
  // A private temporary directory for the servers' directories: what is left there is what a test leaked.
  const scratch = mkdtempSync(join(tmpdir(), 'local-redis-test-'));
  const prefix = join(scratch, 'srv-').slice(tmpdir().length + 1);
  const leftovers = () => readdirSync(scratch).filter((n) => n.startsWith('srv-'));
  let rdb: string;

  beforeAll(async () => {
    const source = await startRedisServer();
    try {
      const c = source.client();
      const p = c.pipeline();
      for (let i = 0; i < 300; i++) p.set(`k:${i}`, `v${i}`);
      p.hset('h', { a: '1' });
      p.rpush('l', 'x', 'y');
      p.set('ttl', 'v', 'PX', 3_600_000);
      await p.exec();
      rdb = join(scratch, 'good.rdb');
      writeFileSync(rdb, readFileSync(await bgsave(source, c)));
    } finally {
      await source.stop();
    }
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('loads a BGSAVE file on a loopback port with AUTH required, reports the load, and stop() removes everything', async () => {
    const server = await startLocalRedis({ rdb, tmpPrefix: prefix });
    let stopped = false;
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.port).toBeLessThanOrEqual(MAX_LOCAL_PORT);
      expect(server.engine).toBe('redis');
      expect(server.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(server.password.length).toBeGreaterThanOrEqual(32);
      expect(server.keysLoaded).toBe(303);
      expect(server.loadSecondsFrom).toBe('server-log');
      expect(server.loadSeconds).toBeGreaterThanOrEqual(0);
      expect(server.readySeconds).toBeGreaterThan(0);
      expect(statSync(server.dir).mode & 0o777).toBe(0o700);
      expect(processAlive(server.pid)).toBe(true);

      const c = server.client();
      expect(await c.dbsize()).toBe(303);
      expect(await c.get('k:299')).toBe('v299');
      expect(await c.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
      expect(await c.config('GET', 'save')).toEqual(['save', '']);
      // The password is in a 0600 file, not on the command line.
      expect(statSync(join(server.dir, 'server.conf')).mode & 0o777).toBe(0o600);
      expect(readFileSync(`/proc/${server.pid}/cmdline`, 'latin1')).not.toContain(server.password);

      // A client without the password is refused.
      const stranger = new Redis({
        host: server.host,
        port: server.port,
        protocol: 2,
        lazyConnect: true,
        enableReadyCheck: false,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      stranger.on('error', () => undefined);
      await stranger.connect();
      await expect(stranger.get('k:1')).rejects.toThrow(/NOAUTH/);
      stranger.disconnect();

      const { pid, dir } = server;
      await server.stop();
      stopped = true;
      expect(processAlive(pid)).toBe(false);
      expect(existsSync(dir)).toBe(false);
      await server.stop(); // idempotent
      expect(existsSync(rdb)).toBe(true); // the file it loaded (hard-linked) is untouched
    } finally {
      if (!stopped) await server.stop();
    }
    expect(leftovers()).toEqual([]);
  });

  it('takes a given password, extra arguments, and starts empty without a file', async () => {
    const server = await startLocalRedis({ password: 'pass "with" \\ odd chars é', args: ['--maxmemory', '10mb'], tmpPrefix: prefix });
    try {
      const c = server.client();
      expect(await c.dbsize()).toBe(0);
      expect(await c.config('GET', 'maxmemory')).toEqual(['maxmemory', String(10 * 1024 * 1024)]);
      expect(server.keysLoaded).toBeUndefined();
      expect(server.loadSecondsFrom).toBe('wall-clock');
    } finally {
      await server.stop();
    }
    expect(leftovers()).toEqual([]);
  });

  it("fails on a corrupt file with the server's own log line, and leaves no process and no directory", async () => {
    const truncated = join(scratch, 'truncated.rdb');
    writeFileSync(truncated, readFileSync(rdb).subarray(0, 200));
    const err = await startLocalRedis({ rdb: truncated, tmpPrefix: prefix }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalRedisError);
    expect((err as LocalRedisError).kind).toBe('refused');
    expect((err as LocalRedisError).message).toMatch(/refused .*truncated\.rdb/);
    expect((err as LocalRedisError).message).toMatch(/Short read or OOM loading DB|Unexpected EOF/);
    expect(leftovers()).toEqual([]);

    const garbage = join(scratch, 'garbage.rdb');
    writeFileSync(garbage, 'not an rdb file at all');
    const bad = await startLocalRedis({ rdb: garbage, tmpPrefix: prefix }).catch((e: unknown) => e);
    expect((bad as LocalRedisError).kind).toBe('refused');
    expect((bad as LocalRedisError).serverLines.join('\n')).toMatch(/Wrong signature trying to load DB from file/);
    expect(leftovers()).toEqual([]);
  });

  it('names a missing binary, a binary that is not a server, and the case of none on PATH', async () => {
    const missing = await startLocalRedis({ serverBin: join(scratch, 'no-such-redis-server') }).catch((e: unknown) => e);
    expect((missing as LocalRedisError).kind).toBe('no-binary');
    expect((missing as Error).message).toBe(`${join(scratch, 'no-such-redis-server')} is not an executable file`);
    const notOnPath = await findServerBinary('no-such-server-binary').catch((e: unknown) => e);
    expect((notOnPath as Error).message).toMatch(/^no-such-server-binary was not found on PATH/);
    const notServer = await findServerBinary(process.execPath).catch((e: unknown) => e);
    expect((notServer as LocalRedisError).kind).toBe('not-a-server');

    const path = process.env.PATH;
    process.env.PATH = scratch; // holds no server
    try {
      const none = await findServerBinary().catch((e: unknown) => e);
      expect((none as Error).message).toMatch(/^neither redis-server nor valkey-server was found on PATH/);
    } finally {
      process.env.PATH = path;
    }
    expect(leftovers()).toEqual([]);
  });

  it('an aborted start kills the server and removes its directory', async () => {
    const abort = new AbortController();
    const starting = startLocalRedis({ rdb, tmpPrefix: prefix, signal: abort.signal });
    abort.abort();
    const err = await starting.catch((e: unknown) => e);
    expect((err as LocalRedisError).kind).toBe('aborted');
    expect(leftovers()).toEqual([]);
  });

  it('two servers at once get their own ports and directories', async () => {
    const servers: LocalRedis[] = await Promise.all([startLocalRedis({ rdb, tmpPrefix: prefix }), startLocalRedis({ rdb, tmpPrefix: prefix })]);
    try {
      expect(servers[0]!.port).not.toBe(servers[1]!.port);
      expect(servers[0]!.dir).not.toBe(servers[1]!.dir);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
    expect(leftovers()).toEqual([]);
  });
});

describe('local-redis helpers', () => {
  it('freeLoopbackPort stays at or below the limit', async () => {
    for (let i = 0; i < 5; i++) expect(await freeLoopbackPort()).toBeLessThanOrEqual(MAX_LOCAL_PORT);
  });

  it('configQuote writes anything but plain printable ASCII as \\xHH', () => {
    expect(configQuote('abc')).toBe('"abc"');
    expect(configQuote('a "b" \\ c\n')).toBe('"a \\x22b\\x22 \\x5c c\\x0a"');
    expect(configQuote('é')).toBe('"\\xc3\\xa9"');
  });

  it('parseServerLog reads the load figures and keeps the lines that explain a failure', () => {
    const log = [
      '1:C 23 Nov 2026 00:27:38.335 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo',
      '1:M 23 Nov 2026 00:27:38.335 # Server initialized',
      '1:M 23 Nov 2026 00:27:38.335 # WARNING Memory overcommit must be enabled!',
      '1:M 23 Nov 2026 00:27:41.194 # Short read or OOM loading DB. Unrecoverable error, aborting now.',
      '1:M 23 Nov 2026 00:27:41.194 # Internal error in RDB reading offset 0, function at rdb.c:3249 -> Unexpected EOF reading RDB file',
      '[offset 0] Checking RDB file dump.rdb',
      '--- RDB ERROR DETECTED ---',
      '[offset 300] Internal error in RDB reading offset 0, function at rdb.c:3249 -> Unexpected EOF reading RDB file',
      "[additional info] Reading key 'number'",
    ].join('\n');
    const parsed = parseServerLog(log);
    expect(parsed.problems).toEqual([
      'Short read or OOM loading DB. Unrecoverable error, aborting now.',
      '[offset 300] Internal error in RDB reading offset 0, function at rdb.c:3249 -> Unexpected EOF reading RDB file',
      "[additional info] Reading key 'number'",
    ]);
    expect(parsed.initialized).toBe(true);
    expect(parsed.portTaken).toBe(false);
    const ok = parseServerLog(
      '1:M 23 Nov 2026 00:27:41.930 * Done loading RDB, keys loaded: 13, keys expired: 2.\n1:M 23 Nov 2026 00:27:41.930 * DB loaded from disk: 0.125 seconds',
    );
    expect(ok).toMatchObject({ keysLoaded: 13, keysExpired: 2, loadSeconds: 0.125, problems: [] });
    expect(
      parseServerLog('1:M 23 Nov 2026 00:30:07.460 # Warning: Could not create server TCP listening socket 127.0.0.1:17778: bind: Address already in use')
        .portTaken,
    ).toBe(true);
  });
});
