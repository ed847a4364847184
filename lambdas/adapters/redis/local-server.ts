import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

import { LocalRedisError, type ServerBinary, findServerBinary, freeLoopbackPort, LOCAL_HOST } from './server-binary.js';

/**
 * Throwaway Redis or Valkey servers on this machine, started from an `.rdb`
 * file: `redis-dr drill local` loads a backup into one and checks it (the
 * load time is the RTO floor of that file), and the local demo answers the
 * drill state machine's ElastiCache tasks with them; or from an AOF
 * directory (`redis-dr restore-aof` proves its result loads).
 *
 * Each server is ours alone: a new temporary directory (mode 0700) holding
 * the file (hard-linked when possible, else copied), a config file with the
 * password (0600: it never appears in `ps`), the log; a free port on
 * 127.0.0.1 only; `requirepass` always (a random 43-character password
 * unless one is given); no saving (`save ''`, `appendonly no` unless it
 * loads an AOF directory, which it gets a copy of), so the file it loaded is
 * never rewritten. `stop()` shuts it down (SHUTDOWN NOSAVE,
 * then SIGKILL after a bound) and removes that directory, and nothing else.
 * A process that exits without calling `stop()` still kills its servers and
 * removes their directories (an `exit` hook).
 */

/** The RDB file's name in the server's directory (its `dbfilename`). */
export const LOCAL_RDB_NAME = 'dump.rdb';

/** The AOF directory's name in the server's directory (its `appenddirname`), when it loads one. */
export const LOCAL_AOF_DIR = 'appendonlydir';

const LOG_NAME = 'server.log';
const CONFIG_NAME = 'server.conf';
const START_ATTEMPTS = 5;
/**
 * How long ioredis waits for a disconnected probe's socket to close before
 * destroying it: its default (2 s) runs on a timer that holds the process
 * when the socket is already closed (the server shut down), so a CLI run
 * would end 2 s late.
 */
const PROBE_DISCONNECT_MS = 10;

/** Options of {@link startLocalRedis}. */
export interface LocalRedisOptions {
  /** A local `.rdb` file to load: hard-linked (or copied) into the server's directory as its `dbfilename`. */
  readonly rdb?: string;
  /**
   * A Redis 7+ AOF directory to load instead (its manifest and files, e.g. a
   * restore-aof result): copied (the server appends to its last increment)
   * into the server's directory, loaded with `appendonly yes`,
   * `aof-load-truncated no` (a truncated file is refused, not repaired) and
   * no automatic rewrite.
   */
  readonly aof?: { readonly dir: string; readonly appendFilename: string };
  /** The server binary: a path, or a name looked up on PATH. @default redis-server, else valkey-server, on PATH */
  readonly serverBin?: string;
  /** `requirepass` of the default user. @default 32 random bytes, base64url (43 characters) */
  readonly password?: string;
  /** More `--name value` arguments, after ours. */
  readonly args?: readonly string[];
  /** Prefix of the temporary directory under `os.tmpdir()`. @default `redis-dr-local-` */
  readonly tmpPrefix?: string;
  /**
   * Aborts a start in progress (a long load, Ctrl-C): the server is killed,
   * its directory removed, and the start rejects with kind `aborted`.
   */
  readonly signal?: AbortSignal;
  /** How long the server may take to listen (the load itself has no limit). @default 30_000 */
  readonly listenTimeoutMs?: number;
  /** How long `stop()` waits after SHUTDOWN NOSAVE before SIGKILL. @default 5_000 */
  readonly stopTimeoutMs?: number;
}

/** A running throwaway server. */
export interface LocalRedis {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The `requirepass` it runs with: every connection must AUTH. */
  readonly password: string;
  /** Its temporary directory (removed by `stop()`). */
  readonly dir: string;
  /** The binary it runs (an absolute path). */
  readonly bin: string;
  /** `redis` or `valkey`, from the binary's `--version`. */
  readonly engine: 'redis' | 'valkey';
  /** The server version, e.g. `7.0.15`, from the binary's `--version`. */
  readonly version: string;
  readonly pid: number;
  /** The server's log file (in `dir`). */
  readonly logFile: string;
  /**
   * Seconds the load took: the server's own "DB loaded from disk (or append only file): X seconds"
   * figure when its log has one (millisecond resolution), else wall time from
   * spawn to ready (see `loadSecondsFrom`).
   */
  readonly loadSeconds: number;
  readonly loadSecondsFrom: 'server-log' | 'wall-clock';
  /** Wall time from spawn until it answered PING with the file loaded. */
  readonly readySeconds: number;
  /** Keys loaded, from the server's log ("keys loaded: N"), when it logged them. */
  readonly keysLoaded?: number;
  /** Keys dropped on load because they had expired ("keys expired: N"), when logged. */
  readonly keysExpired?: number;
  /** A new ioredis client (RESP2) with the password; closed by `stop()`. */
  client(): Redis;
  /** SHUTDOWN NOSAVE, wait for the exit (SIGKILL after a bound), remove `dir`. Idempotent. */
  stop(): Promise<void>;
}

/** A value for a config file line: double-quoted, anything but plain printable ASCII as `\xHH`. */
export function configQuote(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** What the server's log says about a load and about why it exited. */
export interface ServerLog {
  /** "DB loaded from disk: X seconds" (or "from append only file"). */
  readonly loadSeconds?: number;
  /** "keys loaded: N". */
  readonly keysLoaded?: number;
  /** "keys expired: N". */
  readonly keysExpired?: number;
  /** Warning-level lines that explain a failure (boilerplate and advice such as the overcommit warning left out), then the RDB check's lines. */
  readonly problems: string[];
  /** The server could not bind its port (taken meanwhile). */
  readonly portTaken: boolean;
  /** The server got as far as initialising (it listened) before it exited. */
  readonly initialized: boolean;
}

const BOILERPLATE = [
  /^oO0OoO0OoO0Oo/,
  /^(Redis|Valkey) version=/,
  /^Configuration loaded/,
  /^WARNING/,
  /^Warning: no config file/,
  /^Server initialized/,
  /^User requested shutdown/,
  /is now ready to exit/,
  /^Received /,
];

/** Reads a Redis or Valkey log (legacy format: `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`). */
export function parseServerLog(text: string): ServerLog {
  const problems: string[] = [];
  const check: string[] = [];
  let inCheck = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.includes('--- RDB ERROR DETECTED ---')) {
      inCheck = true;
      continue;
    }
    const m = /^\d+:[A-Z] \d{1,2} \w{3} \d{4} [\d:.]+ ([.\-*#]) (.*)$/.exec(line);
    if (m) {
      inCheck = false;
      if (m[1] === '#' && !BOILERPLATE.some((re) => re.test(m[2]!))) problems.push(m[2]!);
      continue;
    }
    // The loader's RDB check report: "[offset 300] Unexpected EOF …", "[additional info] Reading key 'k'".
    if (inCheck && /^\[(offset \d+|additional info)\]/.test(line)) check.push(line);
  }
  const number = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  // The check repeats the loader's own line with the offset: keep the one with the offset.
  const repeated = new Set(check.map((l) => l.replace(/^\[offset \d+\] /, '')));
  return {
    loadSeconds: number(/DB loaded from (?:disk|append only file): ([\d.]+) seconds/),
    keysLoaded: number(/keys loaded: (\d+)/),
    keysExpired: number(/keys expired: (\d+)/),
    problems: [...problems.filter((p) => !repeated.has(p)), ...check],
    portTaken: /Address already in use|Failed listening on port/.test(text),
    initialized: /Server initialized|Loading RDB|DB loaded from disk|DB loaded from append only file/.test(text),
  };
}

/** Servers started and not stopped yet: killed, and their directories removed, if the process exits first. */
const running = new Map<number, { proc: ChildProcess; dir: string }>();
let exitHook = false;
function track(proc: ChildProcess, dir: string): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const { proc: p, dir: d } of running.values()) {
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
  running.set(proc.pid!, { proc, dir });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function aliveProc(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

/** Resolves when `proc` has exited (at once when it has), false after `ms`. */
function exitWithin(proc: ChildProcess, exited: Promise<unknown>, ms: number): Promise<boolean> {
  if (!aliveProc(proc)) return Promise.resolve(true);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]).finally(() => clearTimeout(timer));
}

async function kill(proc: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (proc.pid === undefined || !aliveProc(proc)) return; // never ran, or gone
  proc.kill('SIGKILL');
  await exitWithin(proc, exited, 10_000);
}

/**
 * Starts a throwaway server (see the module comment) and waits until it has
 * loaded `rdb` and answers PING; retries on another port when the one chosen
 * was taken before the server bound it. Throws {@link LocalRedisError}.
 */
export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  if (options.password === '') throw new Error('an empty password would leave the server open: give one, or none for a random one');
  const binary = await findServerBinary(options.serverBin);
  if (options.rdb !== undefined) {
    let ok = false;
    try {
      ok = statSync(options.rdb).isFile();
      accessSync(options.rdb, constants.R_OK);
    } catch {
      ok = false;
    }
    if (!ok) throw new LocalRedisError('no-rdb', `cannot read ${options.rdb}: not a readable regular file`);
  }
  if (options.aof !== undefined) {
    const manifest = join(options.aof.dir, `${options.aof.appendFilename}.manifest`);
    let ok = false;
    try {
      ok = statSync(manifest).isFile();
      accessSync(manifest, constants.R_OK);
    } catch {
      ok = false;
    }
    if (!ok) throw new LocalRedisError('no-rdb', `cannot read ${manifest}: an AOF directory to load needs its manifest`);
  }
  const password = options.password ?? randomBytes(32).toString('base64url');
  let lastError: LocalRedisError | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    if (options.signal?.aborted) throw new LocalRedisError('aborted', 'the start was aborted');
    const port = await freeLoopbackPort();
    try {
      return await startOnce(binary, port, password, options);
    } catch (err) {
      if (!(err instanceof PortTaken)) throw err;
      lastError = new LocalRedisError('exited', `port ${port} was taken before the server bound it (${START_ATTEMPTS} attempts)`, err.lines);
    }
  }
  throw lastError!;
}

class PortTaken extends Error {
  constructor(readonly lines: readonly string[]) {
    super('port taken');
  }
}

async function startOnce(binary: ServerBinary, port: number, password: string, options: LocalRedisOptions): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), options.tmpPrefix ?? 'redis-dr-local-'));
  const logFile = join(dir, LOG_NAME);
  const configFile = join(dir, CONFIG_NAME);
  let proc: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let stopListening = () => {};
  try {
    if (options.rdb !== undefined) {
      const target = join(dir, LOCAL_RDB_NAME);
      try {
        linkSync(options.rdb, target); // instant for a large file; the server never writes it (no saving)
      } catch {
        copyFileSync(options.rdb, target); // another file system, or hard links not allowed
      }
    }
    const aofArgs: string[] = [];
    if (options.aof !== undefined) {
      const aofDir = join(dir, LOCAL_AOF_DIR);
      mkdirSync(aofDir, { mode: 0o700 });
      // Copied, never linked: the server appends to the last increment.
      for (const name of readdirSync(options.aof.dir)) copyFileSync(join(options.aof.dir, name), join(aofDir, name));
      aofArgs.push(
        '--appendonly',
        'yes',
        '--appenddirname',
        LOCAL_AOF_DIR,
        '--appendfilename',
        options.aof.appendFilename,
        '--aof-load-truncated',
        'no',
        '--auto-aof-rewrite-percentage',
        '0',
      );
    }
    writeFileSync(configFile, `# throwaway server of redis-dr: removed with this directory\nrequirepass ${configQuote(password)}\n`, { mode: 0o600 });
    const args = [
      configFile,
      '--port',
      String(port),
      '--bind',
      LOCAL_HOST,
      '--protected-mode',
      'yes',
      '--daemonize',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--dbfilename',
      LOCAL_RDB_NAME,
      '--logfile',
      logFile,
      ...aofArgs,
      ...(options.args ?? []),
    ];
    const spawnedAt = performance.now();
    const child = spawn(binary.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = child;
    if (child.pid !== undefined) track(child, dir);
    let output = '';
    const collect = (b: Buffer) => (output = (output + b.toString()).slice(-8192));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    exited = new Promise<void>((r) => child.once('exit', () => r()));
    const spawnFailed = new Promise<never>((_, reject) =>
      child.once('error', (e) => reject(new LocalRedisError('no-binary', `${binary.bin} could not be run: ${e.message}`))),
    );
    spawnFailed.catch(() => undefined);
    const why = (): LocalRedisError | PortTaken => {
      let text = '';
      try {
        text = readFileSync(logFile, 'utf8');
      } catch {
        // never opened: the server failed before (its stderr says why)
      }
      const log = parseServerLog(`${text}\n${output}`);
      if (log.portTaken) return new PortTaken(log.problems);
      const lines = log.problems.length > 0 ? log.problems : output.trim().split('\n').slice(-5);
      const code = child.exitCode !== null ? `exit code ${child.exitCode}` : `signal ${child.signalCode}`;
      const loaded = options.rdb ?? options.aof?.dir;
      if (loaded !== undefined && log.initialized) {
        return new LocalRedisError('refused', `${binary.engine}-server ${binary.version} refused ${loaded} (${code}): ${lines.join('; ')}`, lines);
      }
      return new LocalRedisError('exited', `${binary.bin} exited before it was ready (${code}): ${lines.join('; ')}`, lines);
    };
    // Its last words on stderr may arrive after the exit: read them once the pipes closed (or shortly after).
    const gone = exited.then(async () => {
      await new Promise<void>((r) => {
        const late = setTimeout(r, 200);
        child.once('close', () => (clearTimeout(late), r()));
      });
      throw why();
    });
    gone.catch(() => undefined);
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new LocalRedisError('aborted', 'the start was aborted'));
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      stopListening = () => options.signal?.removeEventListener('abort', onAbort);
    });
    aborted.catch(() => undefined);
    const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, gone, aborted, spawnFailed]);
    await waitReady(port, password, race, options.listenTimeoutMs ?? 30_000, async () => exitWithin(child, exited, 2_000), child.pid);
    const readySeconds = (performance.now() - spawnedAt) / 1000;
    const log = parseServerLog(readFileSync(logFile, 'utf8'));
    return handle(binary, child, exited, { port, password, dir, logFile, readySeconds, log, stopTimeoutMs: options.stopTimeoutMs ?? 5_000 });
  } catch (err) {
    if (proc) await kill(proc, exited);
    rmSync(dir, { recursive: true, force: true });
    if (proc?.pid !== undefined) running.delete(proc.pid);
    throw err;
  } finally {
    stopListening();
  }
}

/**
 * Connects (retrying until the server listens, at most `listenTimeoutMs`),
 * then polls `INFO persistence` until `loading:0` and PING answers. Every
 * wait is raced with the server's exit and the abort signal (`race`).
 */
async function waitReady(
  port: number,
  password: string,
  race: <T>(p: Promise<T>) => Promise<T>,
  listenTimeoutMs: number,
  exitedSoon: () => Promise<boolean>,
  pid: number | undefined,
): Promise<void> {
  const deadline = Date.now() + listenTimeoutMs;
  let client: Redis | undefined;
  for (;;) {
    const probe = probeClient(port, password);
    try {
      await race(probe.connect());
      client = probe;
      break;
    } catch (err) {
      probe.disconnect();
      if (err instanceof LocalRedisError) throw err;
      if (Date.now() > deadline) throw new LocalRedisError('timeout', `the server did not listen on ${LOCAL_HOST}:${port} within ${listenTimeoutMs / 1000} s`);
      await race(sleep(20));
    }
  }
  try {
    for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
      const info = await race(client.info('persistence'));
      if (/^loading:0\r?$/m.test(info)) {
        await race(client.ping());
        // The port was free when chosen: make sure the server answering is ours, not one that took the port meanwhile.
        const servedBy = /^process_id:(\d+)/m.exec(await race(client.info('server')))?.[1];
        if (pid !== undefined && servedBy !== String(pid)) {
          throw new LocalRedisError(
            'port-taken',
            `${LOCAL_HOST}:${port} is answered by another server (process ${servedBy ?? '?'}, not ours: ${pid}); try again`,
          );
        }
        return;
      }
      await race(sleep(wait));
    }
  } catch (err) {
    // A connection that broke because the server exited: the exit (and its log) is the reason.
    if (!(err instanceof LocalRedisError) && (await exitedSoon())) await race(sleep(1_000));
    throw err;
  } finally {
    client.disconnect();
  }
}

function handle(
  binary: ServerBinary,
  proc: ChildProcess,
  exited: Promise<unknown>,
  s: { port: number; password: string; dir: string; logFile: string; readySeconds: number; log: ServerLog; stopTimeoutMs: number },
): LocalRedis {
  const clients: Redis[] = [];
  let stopping: Promise<void> | undefined;
  const fromLog = s.log.loadSeconds !== undefined;
  return {
    host: LOCAL_HOST,
    port: s.port,
    password: s.password,
    dir: s.dir,
    bin: binary.bin,
    engine: binary.engine,
    version: binary.version,
    pid: proc.pid!,
    logFile: s.logFile,
    loadSeconds: fromLog ? s.log.loadSeconds! : s.readySeconds,
    loadSecondsFrom: fromLog ? 'server-log' : 'wall-clock',
    readySeconds: s.readySeconds,
    ...(s.log.keysLoaded !== undefined ? { keysLoaded: s.log.keysLoaded } : {}),
    ...(s.log.keysExpired !== undefined ? { keysExpired: s.log.keysExpired } : {}),
    client() {
      const c = new Redis({ host: LOCAL_HOST, port: s.port, password: s.password, protocol: 2, maxRetriesPerRequest: 1, disconnectTimeout: 100 });
      clients.push(c);
      return c;
    },
    stop() {
      stopping ??= (async () => {
        clients.forEach((c) => {
          c.disconnect();
        });
        if (aliveProc(proc)) {
          const sent = await shutdownNoSave(s.port, s.password);
          if (!sent && aliveProc(proc)) proc.kill('SIGTERM');
          if (!(await exitWithin(proc, exited, s.stopTimeoutMs))) await kill(proc, exited);
        }
        running.delete(proc.pid!);
        rmSync(s.dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** A short-lived internal client of the local server: no retries, quick timeouts, errors left to the caller. */
function probeClient(port: number, password: string): Redis {
  const c = new Redis({
    host: LOCAL_HOST,
    port,
    password,
    protocol: 2,
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    disconnectTimeout: PROBE_DISCONNECT_MS,
  });
  c.on('error', () => undefined);
  return c;
}

/** Sends SHUTDOWN NOSAVE; false when it could not be sent (no connection, refused). */
async function shutdownNoSave(port: number, password: string): Promise<boolean> {
  const c = probeClient(port, password);
  try {
    await c.connect();
  } catch {
    c.disconnect();
    return false;
  }
  // Not ioredis' commandTimeout: its timer outlives the command and would hold the process for its length.
  let timer: NodeJS.Timeout | undefined;
  const noAnswer = new Promise<'no answer'>((r) => (timer = setTimeout(() => r('no answer'), 2_000)));
  try {
    // The server closes the connection instead of answering; the caller waits for the exit either way.
    return (await Promise.race([c.call('SHUTDOWN', 'NOSAVE'), noAnswer])) !== 'no answer';
  } catch (err) {
    // The connection closing is the answer; an error reply means it refused.
    return !(err instanceof Error && /^(ERR|NOPERM|NOAUTH|WRONGPASS)/.test(err.message));
  } finally {
    clearTimeout(timer);
    c.disconnect();
  }
}
