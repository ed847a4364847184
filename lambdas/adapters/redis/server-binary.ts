/** Finding the redis-server or valkey-server binary to start, and a free loopback port for it (local drills, restore-aof). */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, isAbsolute, resolve } from 'node:path';

/** The loopback address local servers listen on. */
export const LOCAL_HOST = '127.0.0.1';

/** Binaries looked for on PATH, in this order, when none is named. */
export const SERVER_BINARIES = ['redis-server', 'valkey-server'] as const;

/** Highest port used: the cluster bus port is the port + 10000 and must stay a valid port. */
export const MAX_LOCAL_PORT = 55_535;

/**
 * Why a server could not be started:
 * - `no-binary`: no server binary (none named, none on PATH, or the named one is missing or not executable);
 * - `not-a-server`: the binary's `--version` is not a Redis or Valkey server's;
 * - `no-rdb`: the RDB file is not a readable regular file (or the AOF directory has no manifest);
 * - `refused`: the server exited while loading the file (corrupt, or a format it does not read) — `message` quotes its log;
 * - `exited`: the server exited before it listened for another reason (its log quoted);
 * - `timeout`: it did not listen within `listenTimeoutMs`;
 * - `aborted`: the `signal` aborted the start.
 * In every case the process is gone and the directory removed.
 */
export type LocalRedisErrorKind = 'no-binary' | 'not-a-server' | 'no-rdb' | 'refused' | 'exited' | 'timeout' | 'aborted' | 'port-taken';

/** A server could not be started (see {@link LocalRedisErrorKind}). */
export class LocalRedisError extends Error {
  override readonly name = 'LocalRedisError';
  constructor(
    readonly kind: LocalRedisErrorKind,
    message: string,
    /** The server's own lines that explain an exit (`refused`, `exited`). */
    readonly serverLines: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A server binary found and identified. */
export interface ServerBinary {
  /** Absolute path. */
  readonly bin: string;
  readonly engine: 'redis' | 'valkey';
  readonly version: string;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathVariable = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVariable.split(delimiter)) {
    if (dir === '') continue;
    const candidate = resolve(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The server binary to run: `serverBin` (a path, or a name on PATH), else
 * `redis-server`, else `valkey-server` on PATH; identified by its `--version`.
 * Throws {@link LocalRedisError} `no-binary` or `not-a-server`.
 */
export async function findServerBinary(serverBin?: string): Promise<ServerBinary> {
  let bin: string | undefined;
  if (serverBin !== undefined) {
    const named = serverBin.includes('/') || isAbsolute(serverBin);
    bin = named ? (isExecutableFile(resolve(serverBin)) ? resolve(serverBin) : undefined) : onPath(serverBin);
    if (!bin) {
      throw new LocalRedisError(
        'no-binary',
        named ? `${serverBin} is not an executable file` : `${serverBin} was not found on PATH (${process.env.PATH ?? ''})`,
      );
    }
  } else {
    for (const name of SERVER_BINARIES) {
      bin = onPath(name);
      if (bin) break;
    }
    if (!bin) {
      throw new LocalRedisError(
        'no-binary',
        `neither ${SERVER_BINARIES.join(' nor ')} was found on PATH (${process.env.PATH ?? ''}): ` +
          'install one (Debian/Ubuntu: apt-get install redis-server, or valkey-server where packaged), or name the binary',
      );
    }
  }
  const found = bin;
  const said = await new Promise<string>((done) => {
    execFile(found, ['--version'], { timeout: 10_000, encoding: 'utf8' }, (err, stdout, stderr) => done(err && !stdout ? `${stderr || err.message}` : stdout));
  });
  const m = /^(Redis|Valkey) server v=(\S+)/m.exec(said);
  if (!m) {
    throw new LocalRedisError(
      'not-a-server',
      `${found} is not a Redis or Valkey server: \`${found} --version\` said ${JSON.stringify(said.trim().slice(0, 200))}`,
    );
  }
  return { bin: found, engine: m[1] === 'Valkey' ? 'valkey' : 'redis', version: m[2]! };
}

/** A free TCP port on 127.0.0.1 that is at most {@link MAX_LOCAL_PORT}. */
export async function freeLoopbackPort(): Promise<number> {
  // Port 0 lets the kernel pick; its ephemeral range may reach above the limit, then pick again.
  for (let i = 0; i < 20; i++) {
    const port = await tryBind(0);
    if (port !== undefined && port <= MAX_LOCAL_PORT) return port;
  }
  for (let i = 0; i < 100; i++) {
    const port = await tryBind(randomInt(10_000, MAX_LOCAL_PORT + 1));
    if (port !== undefined) return port;
  }
  throw new Error(`no free TCP port on ${LOCAL_HOST} at or below ${MAX_LOCAL_PORT}`);
}

function tryBind(port: number): Promise<number | undefined> {
  return new Promise((done) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => done(undefined));
    srv.listen(port, LOCAL_HOST, () => {
      const address = srv.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      srv.close(() => done(bound));
    });
  });
}
