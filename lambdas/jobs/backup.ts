/**
 * `redis-dr backup`: one verified backup of a self-managed Redis or Valkey,
 * for cron or a systemd timer. Steps, each named when it fails:
 *
 * 1. `heartbeat-start` (opt-in) — ping `<url>/start`;
 * 2. `connect` — AUTH as given; read `rdbchecksum` when CONFIG allows;
 * 3. `destination` — list the destination (tier of the new backup) and
 *    refuse to overwrite this minute's file;
 * 4. `save` (local mode: BGSAVE on the server, wait for our save, open
 *    `dir/dbfilename`) or `sync` (remote mode: pull the RDB over the
 *    replication protocol, no file access on the server);
 * 5. `write` — stream the bytes through the RDB verifier (checksum required
 *    unless the server runs `rdbchecksum no`) into the destination under a
 *    temporary name; committed only when the last byte verified;
 * 6. `retention` — the GFS selection and rails of the ElastiCache plans
 *    (never the newest `minKeep`, never a file redis-dr did not write),
 *    only after this run's backup was committed;
 * 7. `metrics` (with `--metrics-file`) — node_exporter textfile, atomically;
 * 8. `heartbeat` — the success ping, only when every step before succeeded;
 *    with `fail` opted in, `<url>/fail` with the error otherwise.
 *
 * Never a partial success: the report is `ok` only when every step was, and
 * nothing stored before is deleted when a step before retention failed.
 */
import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import type { BackupStore } from '../adapters/backup-store.js';
import { pingHeartbeat } from '../adapters/heartbeat.js';
import { saveLocally, type SaveTiming } from '../adapters/redis-save.js';
import type { RdbPull, SyncSource } from '../adapters/redis-sync.js';
import { readTextIfAny, writeFileAtomic } from '../adapters/textfile.js';
import { backupFileName, backupRetention, backupTier, type BackupRetention } from '../domain/backup.js';
import { formatBackupMetrics, parseLastSuccess } from '../domain/backup-metrics.js';
import { createRdbVerifier, type RdbReport } from '../domain/rdb/verifier.js';
import type { Tier } from '../domain/types.js';

/** The steps of a run, in order. */
export const BACKUP_STEPS = ['heartbeat-start', 'connect', 'destination', 'save', 'sync', 'write', 'retention', 'metrics', 'heartbeat'] as const;
export type BackupStep = (typeof BACKUP_STEPS)[number];

/** What a run is asked to do. */
export interface BackupRequest {
  /** The server, for messages (password redacted). */
  readonly server: string;
  /** Where to connect (the sync source for remote mode: same host, port, TLS and credentials). */
  readonly source: SyncSource;
  readonly target: string;
  readonly mode: 'local' | 'remote';
  readonly store: BackupStore;
  readonly retention: BackupRetention;
  readonly heartbeat?: { readonly url: string; readonly start: boolean; readonly fail: boolean };
  readonly metricsFile?: string;
}

/** The outside world of a run. */
export interface BackupDeps {
  /** An AUTHed client of the server. */
  readonly connect: () => Promise<Redis>;
  readonly pull: (source: SyncSource) => Promise<RdbPull>;
  /** Opens the file a local save wrote (rejects when it cannot be opened). */
  readonly openFile: (path: string) => Promise<AsyncIterable<Uint8Array>>;
  readonly now: () => number;
  readonly timing: SaveTiming;
  /** Progress lines (stderr in the CLI). */
  readonly say?: (line: string) => void;
}

/** One step's outcome. */
export interface StepResult {
  readonly step: BackupStep;
  readonly ok: boolean;
  readonly detail: string;
  readonly seconds: number;
}

/** What a run did. */
export interface BackupReport {
  readonly ok: boolean;
  readonly target: string;
  readonly mode: 'local' | 'remote';
  readonly server: string;
  readonly destination: string;
  readonly steps: readonly StepResult[];
  readonly failedStep?: BackupStep;
  readonly error?: string;
  /** The backup committed by this run (absent when none was). */
  readonly backup?: {
    readonly file: string;
    readonly location: string;
    readonly tier: Tier;
    readonly bytes: number;
    readonly sha256: string;
    readonly keys: number;
    readonly rdbVersion: number;
    readonly checksum: RdbReport['checksum'];
  };
  readonly retention?: { readonly kept: readonly string[]; readonly deleted: readonly string[]; readonly hold?: string };
  readonly seconds: number;
}

/** A step failed: its message is the run's error. */
class StepFailed extends Error {
  constructor(
    readonly step: BackupStep,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs one backup. Never throws: a failed step is in the report (`ok: false`, `failedStep`, `error`). */
export async function runBackup(req: BackupRequest, deps: BackupDeps): Promise<BackupReport> {
  const started = deps.now();
  const steps: StepResult[] = [];
  const say = deps.say ?? (() => undefined);
  const step = async <T>(name: BackupStep, run: () => Promise<{ value: T; detail: string }>): Promise<T> => {
    const t0 = performance.now();
    try {
      const { value, detail } = await run();
      steps.push({ step: name, ok: true, detail, seconds: (performance.now() - t0) / 1000 });
      say(`${name}: ${detail}`);
      return value;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      steps.push({ step: name, ok: false, detail: message, seconds: (performance.now() - t0) / 1000 });
      throw err instanceof StepFailed ? err : new StepFailed(name, message, { cause: err });
    }
  };

  let backup: BackupReport['backup'];
  let retention: BackupReport['retention'];
  let failure: StepFailed | undefined;
  const problems: string[] = [];
  let client: Redis | undefined;
  let pulled: RdbPull | undefined;

  if (req.heartbeat?.start) {
    const miss = await pingHeartbeat(req.heartbeat.url, 'start');
    steps.push({ step: 'heartbeat-start', ok: miss === undefined, detail: miss ?? 'pinged /start', seconds: 0 });
    if (miss) problems.push(miss);
  }

  try {
    const at = new Date(started);
    const rdbChecksum = await step('connect', async () => {
      client = await deps.connect();
      const version = /redis_version:(\S+)/.exec(String(await client.info('server')))?.[1] ?? 'unknown';
      // CONFIG may be refused (renamed, ACL): then a checksum is required, as every default server writes one.
      const reply = (await client.call('CONFIG', 'GET', 'rdbchecksum').catch(() => undefined)) as string[] | undefined;
      const checksum = reply?.[1] !== 'no';
      return { value: checksum, detail: `${req.server} (redis_version ${version}${checksum ? '' : ', rdbchecksum no: the file carries no CRC-64'})` };
    });

    const file = backupFileName(req.target, at);
    const tier = await step('destination', async () => {
      const files = await req.store.list();
      if (await req.store.exists(file)) {
        throw new Error(`${req.store.url} already holds ${file} (a backup of ${req.target} this minute): it is not overwritten; run again next minute`);
      }
      const t = backupTier(files, req.target, at, req.retention.timeZone);
      return { value: t, detail: `${req.store.url}: ${files.length} .rdb file(s) there; this backup is ${file}, tier ${t}` };
    });

    let savedAt: number | undefined;
    const source = await (req.mode === 'local'
      ? step('save', async () => {
          const saved = await saveLocally(client!, deps.timing);
          savedAt = saved.requestedAt;
          const how = saved.how === 'scheduled' ? 'BGSAVE SCHEDULE (an AOF rewrite was running)' : 'BGSAVE';
          let body: AsyncIterable<Uint8Array>;
          try {
            body = await deps.openFile(saved.path);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            const why = code === 'ENOENT' ? 'no such file on this host' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
            throw new Error(
              `the server saved to ${saved.path} (CONFIG GET dir ${saved.dir}, dbfilename ${saved.dbfilename}) but it cannot be read here: ${why}. ` +
                'Run the backup on the server\'s host as a user that can read that file (often redis), or use --remote',
              { cause: err },
            );
          }
          return { value: body, detail: `${how} done${saved.waitedForOther ? ' (after a save already running finished)' : ''}: ${saved.path}` };
        })
      : step('sync', async () => {
          const pull = await deps.pull(req.source);
          pulled = pull;
          return { value: pull.body, detail: `replication stream open (${pull.form === 'eof' ? 'diskless, $EOF form' : `$${pull.size} bytes`})` };
        }));

    const verifier = createRdbVerifier({ requireChecksum: rdbChecksum });
    let report: RdbReport | undefined;
    async function* verified(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        verifier.push(chunk);
        // Stop at the first bad byte: nothing after it is worth writing.
        if (verifier.state === 'failed') break;
        yield chunk;
      }
    }
    const commit = (): void => {
      report = verifier.end();
      if (!report.ok) {
        const where = report.error ? ` at byte ${report.error.offset}: ${report.error.message}` : ` (checksum ${report.checksum})`;
        throw new Error(`the RDB failed verification${where}; nothing was stored`);
      }
      // Local mode reads a path on this host: the file must be the one this save wrote (its ctime not before the request).
      const ctime = Number(report.auxFields.ctime);
      if (savedAt !== undefined && Number.isFinite(ctime) && ctime < savedAt) {
        throw new Error(
          `the file read was written at ${new Date(ctime * 1000).toISOString()}, before this save was asked for (${new Date(savedAt * 1000).toISOString()}): ` +
            'it is not the file the server just saved (is the server on another host? use --remote); nothing was stored',
        );
      }
    };
    const written = await step('write', async () => {
      const w = await req.store.write(file, verified(), () => ({ tier, target: req.target, createdAt: at.toISOString(), keys: report!.keys, rdbVersion: report!.version }), commit);
      const r = report!;
      return { value: w, detail: `${w.location}: ${w.bytes} bytes, RDB v${r.version}, ${r.keys} keys, checksum ${r.checksum}, sha256 ${w.sha256}` };
    });
    backup = { file, location: written.location, tier, bytes: written.bytes, sha256: written.sha256, keys: report!.keys, rdbVersion: report!.version, checksum: report!.checksum };

    // Deletions are recorded as they happen: a delete that fails midway still reports the ones before it.
    const deleted: string[] = [];
    retention = { kept: [], deleted };
    retention = await step('retention', async () => {
      const decision = backupRetention(await req.store.list(), req.target, req.retention, new Date(deps.now()));
      for (const d of decision.delete) {
        await req.store.remove(d.point.name);
        deleted.push(d.point.name);
        say(`retention: deleted ${d.point.name} (${d.reason})`);
      }
      const kept = decision.keep.map((k) => k.point.name);
      const detail = decision.hold ? `on hold: ${decision.hold.detail}` : `${kept.length} kept, ${deleted.length} deleted`;
      return { value: { kept, deleted, ...(decision.hold ? { hold: decision.hold.detail } : {}) }, detail };
    });
  } catch (err) {
    failure = err instanceof StepFailed ? err : new StepFailed('connect', String(err), { cause: err });
  } finally {
    (client as Redis | undefined)?.disconnect();
    // A replication stream not read to its end (a step after sync failed) is closed, not left to the primary.
    (pulled as RdbPull | undefined)?.close();
  }

  const seconds = (deps.now() - started) / 1000;
  if (req.metricsFile) {
    const path = req.metricsFile;
    try {
      await step('metrics', async () => {
        const previous = parseLastSuccess((await readTextIfAny(path)) ?? '', req.target);
        const text = formatBackupMetrics(
          { target: req.target, ok: !failure, endedAtMs: deps.now(), seconds, bytes: backup?.bytes ?? 0, keys: backup?.keys ?? 0, ...(failure ? { failedStep: failure.step } : {}) },
          previous,
        );
        await writeFileAtomic(path, text);
        return { value: undefined, detail: `written to ${path}` };
      });
    } catch (err) {
      failure ??= err as StepFailed;
    }
  }

  if (req.heartbeat) {
    if (!failure && problems.length === 0) {
      const miss = await pingHeartbeat(req.heartbeat.url, 'success');
      steps.push({ step: 'heartbeat', ok: miss === undefined, detail: miss ?? 'pinged (success)', seconds: 0 });
      if (miss) failure = new StepFailed('heartbeat', `${miss}; the backup itself succeeded and counts (${backup?.location})`);
    } else if (req.heartbeat.fail) {
      const miss = await pingHeartbeat(req.heartbeat.url, 'fail', failure ? `${failure.step}: ${failure.message}` : problems.join('; '));
      steps.push({ step: 'heartbeat', ok: miss === undefined, detail: miss ?? 'pinged /fail', seconds: 0 });
    }
  }

  return {
    ok: !failure && problems.length === 0,
    target: req.target,
    mode: req.mode,
    server: req.server,
    destination: req.store.url,
    steps,
    ...(failure ? { failedStep: failure.step, error: failure.message } : problems.length > 0 ? { failedStep: 'heartbeat-start' as const, error: problems.join('; ') } : {}),
    ...(backup ? { backup } : {}),
    ...(retention ? { retention } : {}),
    seconds,
  };
}
