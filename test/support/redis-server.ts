import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

/**
 * Real redis-server processes for tests: each binds a free loopback port,
 * keeps its data in its own temporary folder, and is stopped on teardown.
 * Never mock Redis: later capabilities (RDB verifier, drills, migrate) test
 * against what these servers really write and answer.
 */

/** A running server. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Working directory: `dump.rdb` is written here. */
  readonly dir: string;
  /** Path of the RDB file the server saves to. */
  readonly rdbPath: string;
  /** The TLS port, when started with {@link StartOptions.tlsArgs}. */
  readonly tlsPort?: number;
  /** `redis://[:password@]127.0.0.1:<port>` */
  readonly url: string;
  /** A new ioredis client (RESP2, so reply shapes are explicit); closed by `stop()`. */
  client(): Redis;
  /** Stops the server (SIGTERM, then SIGKILL), closes clients, removes the folder. */
  stop(): Promise<void>;
  /** Kills the process at once (a crash): the folder stays, so a server started with the same `dir` and `port` comes back as this node. */
  kill(): Promise<void>;
}

/** Options for {@link startRedisServer}. */
export interface StartOptions {
  /** `requirepass` for the default user. */
  readonly password?: string;
  /** An RDB file to load at start (copied into the server's folder). */
  readonly loadRdb?: string;
  /** Extra `--name value` arguments. */
  readonly args?: readonly string[];
  /** Use this folder (kept from a killed server) instead of a new one. */
  readonly dir?: string;
  /** Use this port (a restarted node) instead of a free one. */
  readonly port?: number;
  /**
   * Arguments of a TLS listener besides `--tls-port`, which is chosen with the port at each attempt (a TLS port found
   * before the start and passed in `args` stayed the same through the retries: another test's listen(0) given it
   * meanwhile failed every attempt).
   */
  readonly tlsArgs?: readonly string[];
  /** The server binary (a Valkey or a newer Redis: test/interop). @default redis-server (the one on PATH) */
  readonly binary?: string;
  /** How long the server may take to answer PING (loading a large RDB takes longer). @default 10000 */
  readonly readyTimeoutMs?: number;
}

/** Binds `port` on 127.0.0.1 (0: one the kernel picks) and frees it: the port bound, or undefined when it is taken. */
function bound(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err)));
    srv.listen(port, '127.0.0.1', () => {
      const address = srv.address();
      const at = typeof address === 'object' && address ? address.port : undefined;
      srv.close(() => resolve(at));
    });
  });
}

/** The lowest port of the kernel's ephemeral range, from which listen(0) and outgoing connections take theirs. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/**
 * A free TCP port on 127.0.0.1, below the kernel's ephemeral range (its cluster bus port, 10000 above it, too), checked
 * free by binding it. Not one from listen(0): a test that stops a server and holds its port for a restart, or for a
 * refused connection, lost it to another test's listen(0) meanwhile, which the kernel gives from that range (session
 * 51: docs/runbooks/self-managed-heartbeat.md's server down, and an HTTP server of another file answering on its port,
 * "Unknown RESP type 72"). Ports here are only ever taken by a pick like this one, at random among about 12,000.
 * A range too small for that (a kernel whose ephemeral range starts low): listen(0), as before.
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = Math.min(ephemeralLow(), 65_536) - 10_000;
  for (let attempt = 0; high - low >= 2_000 && attempt < 50; attempt++) {
    const port = await bound(low + Math.floor(Math.random() * (high - low)));
    if (port !== undefined) return port;
  }
  const port = await bound(0);
  if (port === undefined) throw new Error('no free port on 127.0.0.1');
  return port;
}

/**
 * Starts redis-server on a free loopback port and waits until it answers PING.
 * Retries with another port when the chosen one was taken in between.
 */
export async function startRedisServer(options: StartOptions = {}): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'redis-dr-test-'));
    if (options.loadRdb) copyFileSync(options.loadRdb, join(dir, 'dump.rdb'));
    const port = options.port ?? (await freePort());
    const tlsPort = options.tlsArgs ? await freePort() : undefined;
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--dbfilename',
      'dump.rdb',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--logfile',
      '',
      ...(options.password ? ['--requirepass', options.password] : []),
      ...(options.args ?? []),
      ...(options.tlsArgs && tlsPort !== undefined ? ['--tls-port', String(tlsPort), ...options.tlsArgs] : []),
    ];
    const proc = spawn(options.binary ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await waitForReady(proc, port, options.password, options.readyTimeoutMs ?? 10_000);
      return handle(proc, port, dir, options.password, tlsPort);
    } catch (err) {
      lastError = err;
      proc.kill('SIGKILL');
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
      if (options.port) break; // a fixed port: another attempt would meet the same problem
      // A server that exited for another reason than its port (an RDB it refuses, an argument it rejects) or could not be
      // run would do the same again: the tests that expect a refusal started it five times (a fork of this worker each).
      if (/exited with|could not be run/.test(String(err)) && !/Address already in use/.test(String(err))) break;
    }
  }
  throw new Error(`could not start redis-server: ${String(lastError)}`);
}

async function waitForReady(proc: ChildProcess, port: number, password: string | undefined, timeoutMs: number): Promise<void> {
  let output = '';
  // The server logs (to stdout: --logfile '') when it accepts connections: a probe that failed waits for that line,
  // not its whole interval (a start waited 50 ms more than it needed, about once per server of the suite).
  let wake: (() => void) | undefined;
  const onOutput = (b: Buffer) => {
    output += b.toString();
    if (wake && /Ready to accept connections/.test(output)) wake();
  };
  proc.stdout?.on('data', onOutput);
  proc.stderr?.on('data', onOutput);
  const exited = new Promise<never>((_, reject) => {
    proc.once('error', (e) => reject(new Error(`redis-server could not be run (is it installed?): ${e.message}`)));
    // 'close', not 'exit': by then all its output has been read.
    proc.once('close', (code) => {
      // The reason is a warning line ("# ..."); on a refused RDB an integrity report follows it, so the tail alone may miss it.
      const warnings = output
        .split('\n')
        .filter((line) => / # /.test(line) && !/overcommit_memory/.test(line))
        .slice(-5)
        .join('\n');
      reject(new Error(`redis-server exited with ${code}: ${warnings}\n…${output.slice(-500)}`));
    });
  });
  const deadline = Date.now() + timeoutMs;
  const ready = (async () => {
    while (Date.now() < deadline) {
      // No ready check: ioredis would wait out the server's loading ETA before PING; PING is the check (LOADING until loaded).
      const probe = new Redis({
        host: '127.0.0.1',
        port,
        password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        protocol: 2,
        enableReadyCheck: false,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        // not listening yet (or still loading the RDB)
      } finally {
        probe.disconnect();
      }
      // Still at most 50 ms (a server loading an RDB logs the line before it answers PING; a --loglevel above notice
      // logs none): the probe decides, the line only wakes it.
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 50);
        wake = () => {
          clearTimeout(timer);
          r();
        };
        if (/Ready to accept connections/.test(output)) wake();
      });
      wake = undefined;
    }
    throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs / 1000} s: ${output.slice(-500)}`);
  })();
  await Promise.race([ready, exited]);
}

function handle(proc: ChildProcess, port: number, dir: string, password?: string, tlsPort?: number): RedisServer {
  const clients: Redis[] = [];
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  return {
    host: '127.0.0.1',
    port,
    ...(tlsPort !== undefined ? { tlsPort } : {}),
    dir,
    rdbPath: join(dir, 'dump.rdb'),
    url: `redis://${auth}127.0.0.1:${port}`,
    client() {
      const c = new Redis({ host: '127.0.0.1', port, password, protocol: 2, maxRetriesPerRequest: 1 });
      clients.push(c);
      return c;
    },
    async kill() {
      clients.forEach((c) => {
        c.disconnect();
      });
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGKILL');
        await gone;
      }
    },
    async stop() {
      clients.forEach((c) => {
        c.disconnect();
      });
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs BGSAVE and waits until the fork has written the RDB. Returns its path.
 */
export async function bgsave(server: RedisServer, client: Redis): Promise<string> {
  // The reply comes after the fork, so from here on `rdb_bgsave_in_progress`
  // stays 1 until the child has written the file.
  await client.bgsave();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const info = await client.info('persistence');
    if (/rdb_bgsave_in_progress:0/.test(info)) {
      const status = /rdb_last_bgsave_status:(\w+)/.exec(info)?.[1];
      if (status !== 'ok') throw new Error(`BGSAVE finished with status ${status}`);
      return server.rdbPath;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('BGSAVE did not finish within 30 s');
}

/** The servers a test file starts (`start`; `load`: one loading an RDB file), all stopped by `stopAll` (its afterAll). */
export function serverPool(): { start(options?: StartOptions): Promise<RedisServer>; load(path: string): Promise<RedisServer>; stopAll(): Promise<void> } {
  const servers: RedisServer[] = [];
  const start = async (options: StartOptions = {}): Promise<RedisServer> => {
    const s = await startRedisServer(options);
    servers.push(s);
    return s;
  };
  return { start, load: (path) => start({ loadRdb: path }), stopAll: async () => void (await Promise.all(servers.map((s) => s.stop()))) };
}
