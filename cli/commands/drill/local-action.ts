import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { copyFile, link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { findServerBinary, LocalRedisError, type ServerBinary } from '../../../lambdas/adapters/redis/server-binary.js';
import { startLocalRedis, type LocalRedis } from '../../../lambdas/adapters/redis/local-server.js';
import { countKeys, readExpected, sampleKeys, scanHistogram, serverTime } from '../../../lambdas/adapters/redis/drill-scan.js';
import { createRedisConnection, type RedisClient } from '../../../lambdas/adapters/redis/connection.js';
import type { CheckResult } from '../../../lambdas/domain/drills/drill.js';
import { DEFAULT_DRILL_SAMPLE_SIZE, DEFAULT_KEY_COUNT_TOLERANCE_PCT } from '../../../lambdas/domain/drills/defaults.js';
import { localDrillChecks, type LocalDrillChecks } from '../../../lambdas/domain/drills/local.js';
import { ExactExpiries } from '../../../lambdas/domain/drills/expiry.js';
import { verifyRdbStream, type RdbReport } from '../../../lambdas/domain/rdb/verifier.js';
import { connectionProblem } from '../../failure.js';
import { UsageError } from '../../usage.js';
import { formatReport } from '../verify-rdb/action.js';
import { decodeRdbEnvelope } from '../../../lambdas/adapters/storage/rdb-envelope.js';
import { nativeLz4Blocks } from '../../../lambdas/adapters/storage/lz4-native.js';

/** Options of `drill local` as commander parses them. */
export interface DrillLocalCliOptions {
  readonly rdb: string;
  readonly expectKeys?: string[];
  readonly expectKeyCount?: number;
  readonly tolerancePct?: number;
  readonly serverBin?: string;
  readonly json?: boolean;
}

/**
 * `redis-dr drill local --rdb <file|s3://…>`: the restore drill on this
 * machine. The file (an S3 object is read into a temporary directory first)
 * goes through the RDB verifier; a corrupt file is reported and no server
 * is started. Otherwise a throwaway server (lambdas/adapters/redis/local-server.ts:
 * loopback, its own port and directory, AUTH) loads it, and the checks of
 * the ElastiCache drills' verify step run against it with the same adapter
 * functions. The load time it reports is the RTO floor for the file: no
 * restore of it can come back faster than the server takes to load it.
 *
 * Cleanup always: the server is stopped and every temporary directory
 * removed on success, on failure, and on SIGINT/SIGTERM (then exit 130/143).
 * Exit 0 every check passed; 1 a check failed, the file is corrupt, the
 * server refused it, or the run broke off (it says how far it got); 2 usage;
 * 3 the file is in a format the verifier cannot judge (not loaded).
 */

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
   * `passed`, `failed` (a check), `corrupt` (the verifier refused the file), `unsupported` (a format the verifier
   * cannot judge: not loaded, not corrupt), `refused` (the server did), `error` (the run broke off).
   */
  readonly verdict: 'passed' | 'failed' | 'corrupt' | 'unsupported' | 'refused' | 'error';
  readonly ok: boolean;
  /** The RDB verifier's report, when the file was read. */
  readonly rdb?: RdbReport;
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
type Input = { readonly kind: 'file'; readonly path: string; readonly bytes: number } | { readonly kind: 's3'; readonly url: string };

/** `--rdb` checked: a regular file, or an s3:// URL (read later). Usage error naming the option otherwise. */
export function drillInput(rdb: string): Input {
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
  input: Input,
  binary: ServerBinary,
  checks: LocalDrillChecks,
  scratch: DrillScratch,
  say: (line: string) => void = () => undefined,
): Promise<Omit<LocalDrillResult, 'cleanup'>> {
  const file = input.kind === 'file' ? input.path : input.url;
  // 1. Read and verify.
  let path: string;
  let bytes: number | undefined;
  let body: AsyncIterable<Uint8Array>;
  if (input.kind === 's3') {
    const dir = mkdtempSync(join(tmpdir(), DRILL_TMP_PREFIX));
    scratch.dirs.push(dir);
    path = join(dir, 'download.rdb');
    let opened;
    try {
      opened = await (await import('../../../lambdas/adapters/storage/s3-rdb.js')).openS3(input.url);
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
  scratch.progress = { bytes, rdb };
  if (!rdb.ok) return { file, bytes, verdict: rdb.unsupported ? 'unsupported' : 'corrupt', ok: false, rdb };

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
      return { file, bytes, verdict: 'refused', ok: false, rdb, server: about, problem: err.message };
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

const seconds = (s: number) => `${s.toFixed(3)} s`;

/** Lines people read. */
export function formatLocalDrill(r: LocalDrillResult): string {
  const lines: string[] = [];
  if ((r.verdict === 'corrupt' || r.verdict === 'unsupported') && r.rdb) {
    lines.push(
      formatReport(r.file, r.rdb),
      `No server was started: a file the verifier ${r.verdict === 'corrupt' ? 'refuses' : 'cannot judge'} is not loaded.`,
    );
  } else if (r.rdb) {
    const expired = r.rdb.expiredKeys ? `, ${r.rdb.expiredKeys} already expired when it was written (dropped on load)` : '';
    const empty = r.rdb.emptyKeys ? `, ${r.rdb.emptyKeys} empty keys (skipped on load)` : '';
    lines.push(
      `drill local: ${r.file}`,
      `  file:   ${r.rdb.magic === 'VALKEY' ? 'Valkey ' : ''}RDB v${r.rdb.version}, ${r.bytes ?? '?'} bytes, checksum ${r.rdb.checksum}, ` +
        `${r.rdb.keys} keys (${r.rdb.expires} with expiry${expired}${empty}): ${r.rdb.keys - (r.rdb.expiredKeys ?? 0)} should load`,
    );
    const s = r.server;
    if (s) lines.push(`  server: ${s.bin} (${s.engine} ${s.version})${s.port ? ` on 127.0.0.1:${s.port}, AUTH required` : ''}`);
    if (s?.loadSeconds !== undefined) {
      const how =
        s.loadSecondsFrom === 'server-log'
          ? `the server's own figure; ready ${seconds(s.readySeconds!)} after start`
          : 'from start to ready: the server logged no figure';
      lines.push(
        `  load:   ${seconds(s.loadSeconds)} (${how}), ${s.keysLoaded ?? '?'} keys loaded: the RTO floor for this file (no restore of it is faster than loading it)`,
      );
    }
  }
  if (r.verdict === 'refused')
    lines.push('', `REFUSED: ${r.problem}`, 'The verifier passed the file but the server would not load it: its log line above says why.');
  if (r.checks) {
    const mark = (c: CheckResult) => (c.skipped ? '[skip]' : c.ok ? '[ok]  ' : '[FAIL]');
    lines.push(
      '',
      `Checks (expected vs found), ${r.keys} keys in the server, ${seconds(r.verifySeconds ?? 0)}:`,
      ...r.checks.map((c) => `  ${mark(c)} ${c.name}: expected ${c.expected}, found ${c.found}`),
    );
  }
  if (r.verdict === 'error') lines.push('', `ERROR: ${r.problem}`);
  const failed = r.checks?.filter((c) => !c.ok).map((c) => c.name) ?? [];
  const verdict =
    r.verdict === 'passed'
      ? `PASSED: ${r.checks?.filter((c) => !c.skipped).length ?? 0} checks passed${r.checks?.some((c) => c.skipped) ? ` (${r.checks.filter((c) => c.skipped).length} skipped)` : ''}`
      : r.verdict === 'failed'
        ? `FAILED: ${failed.join(', ')}`
        : r.verdict === 'unsupported'
          ? 'NOT RUN: the file is in a format this redis-dr cannot judge (not known to be corrupt): upgrade redis-dr'
          : `FAILED: ${r.verdict === 'corrupt' ? 'the file is corrupt' : r.verdict === 'refused' ? 'the server refused the file' : 'the drill broke off'}`;
  lines.push('', verdict);
  lines.push(r.cleanup.problems.length > 0 ? `Cleanup: INCOMPLETE: ${r.cleanup.problems.join('; ')}` : `Cleanup: ${cleanupWords(r.cleanup)}.`);
  return `${lines.join('\n')}\n`;
}

function cleanupWords(c: LocalDrillResult['cleanup']): string {
  const server = c.serverStarted ? 'server stopped' : c.startAborted ? 'the server still loading was killed, its directory removed' : 'no server was running';
  return [server, ...c.removed.map((d) => `${d} removed`)].join(', ');
}

/** The `drill local` command's action (loaded only when the command runs; options: cli/commands/drill/command.ts). */
export async function drillLocalAction(o: DrillLocalCliOptions): Promise<void> {
  const input = drillInput(o.rdb);
  const binary = await drillServerBinary(o.serverBin);
  const checks: LocalDrillChecks = {
    tolerancePct: o.tolerancePct ?? DEFAULT_KEY_COUNT_TOLERANCE_PCT,
    expectKeys: o.expectKeys ?? [],
    sampleSize: DEFAULT_DRILL_SAMPLE_SIZE,
    ...(o.expectKeyCount !== undefined ? { expectKeyCount: o.expectKeyCount } : {}),
  };
  const say = (line: string) => process.stderr.write(`redis-dr drill local: ${line}\n`);
  const scratch = new DrillScratch();
  let interrupted: NodeJS.Signals | undefined;
  const exitCodeOf = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return; // already stopping
    interrupted = signal;
    say(`${signal}: stopping the server and removing the temporary directories`);
    void scratch.cleanup().then((c) => {
      if (c.problems.length > 0) say(`cleanup INCOMPLETE: ${c.problems.join('; ')}`);
      else say(cleanupWords(c));
      process.exit(exitCodeOf(signal));
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let result: Omit<LocalDrillResult, 'cleanup'>;
    try {
      result = await runLocalDrill(input, binary, checks, scratch, say);
    } catch (err) {
      if (interrupted) {
        await scratch.cleanup();
        process.exitCode = exitCodeOf(interrupted);
        return;
      }
      // A usage problem, or the file's endpoint not reached before anything was read: exit 2, nothing was loaded.
      if (err instanceof UsageError || (connectionProblem(err) && scratch.progress.rdb === undefined)) {
        await scratch.cleanup();
        throw err;
      }
      const why = err instanceof Error ? err.message : String(err);
      result = { file: o.rdb, ...scratch.progress, verdict: 'error', ok: false, problem: why };
      say(`the drill broke off: ${why}`);
    }
    const cleanup = await scratch.cleanup();
    if (interrupted) {
      process.exitCode = exitCodeOf(interrupted);
      return;
    }
    const full: LocalDrillResult = { ...result, ok: result.ok && cleanup.problems.length === 0, cleanup };
    process.stdout.write(o.json ? `${JSON.stringify(full, null, 2)}\n` : formatLocalDrill(full));
    // As verify-rdb: 3 for a format the verifier cannot judge, apart from a failed drill.
    process.exitCode = full.ok ? 0 : full.verdict === 'unsupported' ? 3 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
