/**
 * The restore drill on this machine (`redis-dr drill local --rdb <file|s3://…>`
 * parses, calls {@link runLocalDrill} and prints: cli/commands/drill/local-action.ts).
 * The file (an S3 object is read into a temporary directory first) goes through the RDB verifier; a corrupt file is reported and no server
 * is started. Otherwise a throwaway server (lambdas/adapters/redis/local-server.ts:
 * loopback, its own port and directory, AUTH) loads it, and the checks of
 * the ElastiCache drills' verify step run against it with the same adapter
 * functions. The load time it reports is the RTO floor for the file: no
 * restore of it can come back faster than the server takes to load it.
 *
 * Cleanup always ({@link DrillScratch.cleanup}): the server is stopped and
 * every temporary directory removed on success, on failure, and when the
 * caller is stopped by a signal.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { copyFile, link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { findServerBinary, LocalRedisError, type ServerBinary } from '../../adapters/redis/server-binary.js';
import { startLocalRedis, type LocalRedis } from '../../adapters/redis/local-server.js';
import { countKeys, readExpected, sampleKeys, scanHistogram, serverTime } from '../../adapters/redis/drill-scan.js';
import { createRedisConnection, type RedisClient } from '../../adapters/redis/connection.js';
import { decodeRdbEnvelope } from '../../adapters/storage/rdb-envelope.js';
import { readBackFile } from '../../adapters/storage/durable-file.js';
import { notRecordedBackup } from '../../domain/self-managed/backup.js';
import { nativeLz4Blocks } from '../../adapters/storage/lz4-native.js';
import type { CheckResult } from '../../domain/drills/drill.js';
import { localDrillChecks, type LocalDrillChecks } from '../../domain/drills/local.js';
import { ExactExpiries } from '../../domain/rdb/expiry-histogram.js';
import { verifyRdbStream, type RdbReport } from '../../domain/rdb/verifier.js';
import { connectionProblem } from '../kernel/connection-problem.js';
import { UsageError } from '../kernel/usage-error.js';

/** Prefix of every temporary directory a local drill makes (under the system's temporary directory). */
export const DRILL_TMP_PREFIX = 'redis-dr-drill-';

/** Keys per SCAN batch (as the drills' verify step). */
const SCAN_COUNT = 1000;
/** No scan limit worth having on a machine the operator watches (Ctrl-C stops it): a day. */
const MAX_SCAN_SECONDS = 86_400;

/** What a local drill came to (`--json` prints it whole). */
export interface LocalDrillResult {
  /** The file as given (`--rdb`). */
  readonly file: string;
  readonly bytes?: number;
  /**
   * `passed`, `failed` (a check, or the cleanup after checks that passed: `problem` says), `corrupt` (the verifier
   * refused the file), `unsupported` (a format the verifier cannot judge: not loaded, not corrupt), `refused` (the
   * server did), `error` (the run broke off).
   */
  readonly verdict: 'passed' | 'failed' | 'corrupt' | 'unsupported' | 'refused' | 'error';
  readonly ok: boolean;
  /** The RDB verifier's report, when the file was read. */
  readonly rdb?: RdbReport;
  /** Seconds the file took to be read and verified (an S3 object downloaded), when it was: part of any restore of it. */
  readonly readSeconds?: number;
  readonly server?: {
    readonly bin: string;
    readonly engine: 'redis' | 'valkey';
    readonly version: string;
    readonly port?: number;
    /** The RTO floor for this file. */
    readonly loadSeconds?: number;
    readonly loadSecondsFrom?: 'server-log' | 'wall-clock';
    readonly readySeconds?: number;
    readonly keysLoaded?: number;
    readonly keysExpired?: number;
  };
  readonly checks?: readonly CheckResult[];
  /** Keys the server held (INFO keyspace), when the checks ran. */
  readonly keys?: number;
  readonly byType?: Readonly<Record<string, number>>;
  /** Seconds the checks took. */
  readonly verifySeconds?: number;
  /** Why the server refused the file (its log), or what broke the run off. */
  readonly problem?: string;
  readonly cleanup: {
    /** Whether a server was started (and so stopped). */
    readonly serverStarted: boolean;
    /** A server was starting (loading) when the run was stopped: it was killed and its directory removed. */
    readonly startAborted?: boolean;
    readonly removed: readonly string[];
    /** What could not be cleaned up: the run then fails. */
    readonly problems: readonly string[];
  };
}

/** Where the file comes from. */
/**
 * The file a drill reads. `sha256`: what its record says the file was when it was stored (`drill local --from`);
 * a file whose bytes hash otherwise was replaced or changed since, and is not drilled as the backup.
 */
export type DrillFile = ({ readonly kind: 'file'; readonly path: string; readonly bytes: number } | { readonly kind: 's3'; readonly url: string }) & {
  readonly sha256?: string;
};

/** `--rdb` checked: a regular file, or an s3:// URL (read later). Usage error naming the option otherwise. */
export function drillInput(rdb: string): DrillFile {
  if (/^s3:\/\//i.test(rdb)) {
    if (!/^s3:\/\/[^/]+\/.+/i.test(rdb)) throw new UsageError(`--rdb ${rdb} names no object: write S3 locations as s3://<bucket>/<key>`);
    return { kind: 's3', url: rdb };
  }
  let stat;
  try {
    stat = statSync(rdb);
  } catch {
    throw new UsageError(`--rdb ${rdb}: no such file: give the path of an .rdb file (e.g. /var/lib/redis/dump.rdb) or s3://<bucket>/<key>`);
  }
  if (!stat.isFile()) throw new UsageError(`--rdb ${rdb} is not a regular file: give the path of an .rdb file or s3://<bucket>/<key>`);
  return { kind: 'file', path: rdb, bytes: stat.size };
}

/** `--server-bin` (or PATH) resolved: usage error (exit 2) naming the option and the fix when there is no server to run. */
export async function drillServerBinary(serverBin: string | undefined): Promise<ServerBinary> {
  try {
    return await findServerBinary(serverBin);
  } catch (err) {
    if (!(err instanceof LocalRedisError)) throw err;
    if (serverBin === undefined) throw new UsageError(`${err.message} with --server-bin <path>`);
    throw new UsageError(
      `--server-bin ${serverBin}: ${err.message}: give the path of a redis-server or valkey-server binary, or leave the option out to find either on PATH`,
    );
  }
}

/**
 * What a run made and must undo: the temporary directory of an S3 download,
 * the server (or its start in progress), the client. {@link cleanup} is
 * idempotent: the run's `finally` and a signal handler may both call it.
 */
export class DrillScratch {
  readonly abort = new AbortController();
  readonly dirs: string[] = [];
  starting?: Promise<LocalRedis>;
  server?: LocalRedis;
  client?: RedisClient;
  /** How far the run got (for a report when it breaks off). */
  progress: Pick<LocalDrillResult, 'bytes' | 'rdb' | 'server'> = {};
  private done?: Promise<LocalDrillResult['cleanup']>;

  cleanup(): Promise<LocalDrillResult['cleanup']> {
    this.done ??= (async () => {
      this.abort.abort(); // a start in progress kills its server and removes its directory
      this.client?.disconnect();
      await this.starting?.catch(() => undefined);
      const problems: string[] = [];
      const removed: string[] = [];
      if (this.server) {
        try {
          await this.server.stop();
          removed.push(this.server.dir);
        } catch (err) {
          problems.push(`could not stop the server (pid ${this.server.pid}) or remove ${this.server.dir}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      for (const dir of this.dirs) {
        try {
          rmSync(dir, { recursive: true, force: true });
          removed.push(dir);
        } catch (err) {
          problems.push(`could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const startAborted =
        this.starting !== undefined &&
        this.server === undefined &&
        (await this.starting.then(
          () => false,
          (e: unknown) => e instanceof LocalRedisError && e.kind === 'aborted',
        ));
      return { serverStarted: this.server !== undefined, ...(startAborted ? { startAborted } : {}), removed, problems };
    })();
    return this.done;
  }
}

/**
 * The run's result with its cleanup: a cleanup that left something behind (a
 * server not stopped, a directory not removed) fails the drill. Checks that
 * all passed then make no `passed` verdict: it is `failed`, the cleanup named
 * as the problem, so neither the output, `--json` nor the record left beside
 * the backups says passed (the record's reason is the problem).
 */
export function withCleanup(result: Omit<LocalDrillResult, 'cleanup'>, cleanup: LocalDrillResult['cleanup']): LocalDrillResult {
  if (cleanup.problems.length === 0) return { ...result, cleanup };
  const passedChecks =
    result.verdict === 'passed'
      ? { verdict: 'failed' as const, problem: `the checks passed, but the cleanup is incomplete: ${cleanup.problems.join('; ')}` }
      : {};
  return { ...result, ok: false, ...passedChecks, cleanup };
}

/** Yields `body` and writes it to `path` as it passes (the verifier reads while the S3 object is saved for the server). */
async function* savedTo(body: AsyncIterable<Uint8Array>, path: string): AsyncGenerator<Uint8Array> {
  const out = createWriteStream(path, { mode: 0o600 });
  const failed = once(out, 'error').then(([err]) => {
    throw err;
  });
  failed.catch(() => undefined);
  try {
    for await (const chunk of body) {
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      yield chunk;
    }
  } finally {
    out.end();
    await Promise.race([once(out, 'close'), failed]);
  }
}

/** Runs the drill up to its result; cleanup is the caller's ({@link DrillScratch.cleanup}). */
export async function runLocalDrill(
  input: DrillFile,
  binary: ServerBinary,
  checks: LocalDrillChecks,
  scratch: DrillScratch,
  say: (line: string) => void = () => undefined,
): Promise<Omit<LocalDrillResult, 'cleanup'>> {
  const file = input.kind === 'file' ? input.path : input.url;
  // 1. Read and verify: the file taken (an S3 object downloaded, a local one linked or copied) and checked, as any restore of it must.
  const readStarted = performance.now();
  let path: string;
  let bytes: number | undefined;
  let body: AsyncIterable<Uint8Array>;
  if (input.kind === 's3') {
    const dir = mkdtempSync(join(tmpdir(), DRILL_TMP_PREFIX));
    scratch.dirs.push(dir);
    path = join(dir, 'download.rdb');
    let opened;
    try {
      opened = await (await import('../../adapters/storage/s3-rdb.js')).openS3(input.url);
    } catch (err) {
      // An endpoint not reached or no credentials: the shared mapping names the host and the fix (exit 2).
      if (connectionProblem(err)) throw err;
      throw new UsageError(`--rdb ${err instanceof Error ? err.message : String(err)}`);
    }
    bytes = opened.size;
    say(`reading ${input.url} (${bytes ?? '?'} bytes) into ${dir} and verifying it`);
    body = savedTo(opened.body, path);
  } else {
    // The file verified is the file loaded: a link (or, across file systems, a copy) taken first, since the
    // original may be replaced meanwhile (a server's dump.rdb is renamed over at every save).
    const dir = mkdtempSync(join(tmpdir(), DRILL_TMP_PREFIX));
    scratch.dirs.push(dir);
    path = join(dir, basename(input.path));
    try {
      await link(input.path, path);
    } catch {
      await copyFile(input.path, path);
    }
    bytes = statSync(path).size;
    say(`verifying ${input.path} (${bytes} bytes; the copy loaded is ${path})`);
    body = createReadStream(path, { highWaterMark: 1 << 20 });
  }
  let rdb: RdbReport;
  // Every key's expiry, exactly: the checks subtract precisely the keys expired by the time they count.
  const expiries = new ExactExpiries();
  try {
    // A file in Valkey's compressed envelope is verified as the RDB it holds; the server loads the file as it is.
    rdb = await verifyRdbStream(decodeRdbEnvelope(body, undefined, nativeLz4Blocks), { expiryTimes: expiries });
  } catch (err) {
    // An S3 object that could not be read to its end (replaced meanwhile, access lost): as verify-rdb, a usage problem.
    if (input.kind === 's3' && !connectionProblem(err)) throw new UsageError(`--rdb ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
  if (rdb.ok && input.sha256 !== undefined) {
    // The copy the server would load, hashed whole: the verifier may stop reading at the file's end marker.
    const found = (await readBackFile(path)).sha256;
    if (found !== input.sha256) {
      const problem = notRecordedBackup(file, found, input.sha256, 'not loaded');
      return { file, bytes, verdict: 'failed', ok: false, rdb, readSeconds: (performance.now() - readStarted) / 1000, problem };
    }
  }
  const readSeconds = (performance.now() - readStarted) / 1000;
  scratch.progress = { bytes, rdb };
  if (!rdb.ok) return { file, bytes, verdict: rdb.unsupported ? 'unsupported' : 'corrupt', ok: false, rdb, readSeconds };

  // 2. Load it into a throwaway server.
  const about = { bin: binary.bin, engine: binary.engine, version: binary.version };
  scratch.progress = { bytes, rdb, server: about };
  say(`starting ${basename(binary.bin)} ${binary.version} on 127.0.0.1 with ${basename(file)} (${rdb.keys} keys)`);
  scratch.starting = startLocalRedis({ rdb: path, serverBin: binary.bin, tmpPrefix: DRILL_TMP_PREFIX, signal: scratch.abort.signal });
  let server: LocalRedis;
  try {
    server = await scratch.starting;
  } catch (err) {
    if (err instanceof LocalRedisError && err.kind === 'refused')
      return { file, bytes, verdict: 'refused', ok: false, rdb, readSeconds, server: about, problem: err.message };
    throw err;
  }
  scratch.server = server;
  const serverInfo = {
    ...about,
    port: server.port,
    loadSeconds: server.loadSeconds,
    loadSecondsFrom: server.loadSecondsFrom,
    readySeconds: server.readySeconds,
    ...(server.keysLoaded !== undefined ? { keysLoaded: server.keysLoaded } : {}),
    ...(server.keysExpired !== undefined ? { keysExpired: server.keysExpired } : {}),
  };
  scratch.progress = { bytes, rdb, server: serverInfo };
  say(`loaded in ${server.loadSeconds.toFixed(3)} s (pid ${server.pid}, port ${server.port}, directory ${server.dir}); checking`);

  // 3. The drills' checks, through the drills' adapter functions.
  const started = performance.now();
  const client = await createRedisConnection({ host: server.host, port: server.port, tls: false, password: server.password, clusterMode: 'disabled' });
  scratch.client = client;
  try {
    // As the drills' verify step: scan (it deletes the keys it finds expired), then count, on the server's clock.
    const from = (await serverTime(client)).earliest;
    const scan = await scanHistogram(client, { count: SCAN_COUNT, maxSeconds: MAX_SCAN_SECONDS });
    const dbsize = await countKeys(client);
    const window = { from, to: (await serverTime(client)).latest };
    const { exists } = await readExpected(client, checks.expectKeys, []);
    const samples = checks.sampleSize > 0 ? await sampleKeys(client, checks.sampleSize) : [];
    const results = localDrillChecks(rdb, checks, { dbsize, scan, exists, samples, window }, expiries);
    const ok = results.every((c) => c.ok);
    return {
      file,
      bytes,
      verdict: ok ? 'passed' : 'failed',
      ok,
      rdb,
      readSeconds,
      server: serverInfo,
      checks: results,
      keys: dbsize,
      byType: scan.byType,
      verifySeconds: (performance.now() - started) / 1000,
    };
  } finally {
    client.disconnect();
  }
}
