/**
 * `redis-dr backup`: one verified backup of a self-managed Redis or Valkey,
 * for cron or a systemd timer. Steps, each named when it fails:
 *
 * 0. `lease` — take the destination's lease of the target (one run at a
 *    time: domain/self-managed/lease.ts), waiting up to `lease.waitSeconds`
 *    for a run that holds it; a stale lease (its process gone on this host,
 *    or older than `lease.staleAfterSeconds`) is taken over. A run that does
 *    not get it does nothing else (`busy` in the report): for a holder on
 *    this host, no heartbeat and no metrics (another run is doing the work,
 *    nothing is wrong); for one elsewhere, judged by age, the wait goes to
 *    the metrics and the heartbeat (backup-lease-wait.ts);
 * 1. `heartbeat-start` (opt-in) — ping `<url>/start`;
 * 2. `connect` — AUTH as given; read `rdbchecksum` when CONFIG allows;
 * 3. `destination` — remove the sidecars a killed run left without their
 *    backup, list the destination (tier of the new backup); the
 *    name is this minute's, or this second's when the minute has a backup
 *    of the target already; never overwrites;
 * 4. `save` (local mode: BGSAVE on the server, wait for our save, open
 *    `dir/dbfilename`) or `sync` (remote mode: pull the RDB over the
 *    replication protocol, no file access on the server);
 * 5. `write` — stream the bytes through the RDB verifier (checksum required
 *    unless the server runs `rdbchecksum no`) into the destination under a
 *    temporary name (every byte: short writes are looped over, a write
 *    that stops fails the run); committed only when the last byte verified;
 * 6. `read-back` — the stored bytes read back from the destination (S3:
 *    its checksums) and matched, length and SHA-256, against what was
 *    verified while streaming; a mismatch removes what this run created.
 *    Only a backup read back counts as stored (its record says so);
 * 6b. `index` — the key index, built from the bytes as `write` streamed them
 *    (the stored file is not read again: read-back proved it holds them),
 *    written beside them (`<file>.keys`, read back), so
 *    `serve` opens the backup without reading it whole (none for a file
 *    without a CRC-64 or in Valkey's envelope: said in the detail);
 * 7. `keyspace` — the collapse tripwire: the new backup's keys (and bytes)
 *    against the newest earlier read-back backup of the target that is not
 *    a collapse; a drop past `collapseThresholdPct` (or to 0 keys) keeps the
 *    new backup (marked collapsed), holds the earlier ones and fails the run;
 * 8. `retention` — the GFS selection and rails of the ElastiCache plans
 *    (never the newest `minKeep` read-back backups, never a held one, never
 *    a file redis-dr did not write), only after this run's backup was
 *    read back and judged no collapse; never this run's own backup (a clock
 *    behind the newest backup there: the step fails, nothing is deleted);
 * 9. `metrics` (with `--metrics-file`) — node_exporter textfile, merged
 *    with the other targets' series in it, atomically;
 * 10. `heartbeat` — the success ping, only when every step before succeeded;
 *    with `fail` opted in, `<url>/fail` with the error otherwise (a keyspace
 *    collapse pings `/fail` whenever a heartbeat URL is set: it is an incident).
 *
 * Never a partial success: the report is `ok` only when every step was, and
 * nothing stored before is deleted when a step before retention failed.
 */
import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import { type BackupContent, HoldChangedError, type LeaseAttempt, type TakenLease, type WrittenBackup } from '../../adapters/storage/backup-store.js';
import { pingHeartbeat } from '../../adapters/host/heartbeat.js';
import { thisLeaseHolder } from '../../adapters/host/process.js';
import { saveLocally } from '../../adapters/redis/save.js';
import type { RdbPull } from '../../adapters/redis/sync.js';
import { ReadBackMismatchError } from '../../adapters/storage/durable-file.js';
import { updateFileAtomic } from '../../adapters/host/textfile.js';
import { BackupKeyIndex } from './backup-key-index.js';
import {
  backupCollapse,
  backupFileName,
  backupRetention,
  backupsToHold,
  backupTier,
  missingCollapseHolds,
  newBackupFileName,
  parseBackupFileName,
  type StoredBackup,
} from '../../domain/self-managed/backup.js';
import { checkStorable } from '../../domain/self-managed/storable.js';
import { formatBackupMetrics } from '../../domain/self-managed/backup-metrics.js';
import { describeHolder, heldElsewhere, leaseName, leaseWait } from '../../domain/self-managed/lease.js';
import { reportLeaseWait } from './backup-lease-wait.js';
import { collapseHoldName } from '../../domain/plans/holds.js';
import { collapseHold, DEFAULT_COLLAPSE_THRESHOLD_PCT, parseCollapseHold, type Collapse } from '../../domain/plans/collapse.js';
import { checkCollapseThresholdPct } from '../../domain/plans/settings.js';
import { pushDecoded, type RdbReport } from '../../domain/rdb/verifier.js';
import { createRdbBytesDecoder } from '../../adapters/storage/rdb-envelope.js';
import type { Tier } from '../../domain/plans/types.js';

export { BACKUP_STEPS } from './backup-contract.js';
export type { BackupStep, BackupRequest, BackupDeps, StepResult, BackupReport } from './backup-contract.js';
import type { BackupStep, BackupRequest, BackupDeps, StepResult, BackupReport } from './backup-contract.js';

/** This second's name is taken (another run finished in it) and the next seconds' too: the run did nothing. */
class SecondTaken extends Error {}

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

/** What the `destination` step chose: the new backup's name, the time it is named by, its tier, and the listing it was judged against. */
interface Destination {
  readonly file: string;
  readonly at: Date;
  readonly tier: Tier;
  readonly files: readonly StoredBackup[];
}

/** What the `write` step left for the steps after it. */
interface Written {
  readonly written: WrittenBackup | undefined;
  readonly report: RdbReport;
  readonly collapse: Collapse | undefined;
  /** The destination held other bytes than the verified ones (the `read-back` step fails on it). */
  readonly mismatch: Error | undefined;
  /** The key index built from the bytes written. */
  readonly index: BackupKeyIndex;
}

/** A keyspace collapse as the run reports it, with the earlier backups it held so far. */
type Collapsed = { detail: string; previous: string; measure: 'keys' | 'bytes'; database?: number; hold: string; held: string[] };

/**
 * Runs one backup. Never throws: a failed step is in the report (`ok: false`, `failedStep`, `error`).
 * The steps, in order, as the file's header lists them.
 */
export async function runBackup(req: BackupRequest, deps: BackupDeps): Promise<BackupReport> {
  const run = new BackupRun(req, deps);
  // The lease first: a run that does not get it pings nothing and writes no metric (the holder does the work).
  const busy = await run.takeLease();
  if (busy) return busy;
  await run.pingStart();
  try {
    if (run.failure) throw run.failure;
    // Named after the lease was taken: a run that waited for another is named by its own second, not the other's.
    const named = new Date(deps.now());
    const rdbChecksum = await run.connect();
    const destination = await run.chooseDestination(named);
    const { source, savedAt } = await run.openSource();
    const written = await run.writeVerified(destination, source, rdbChecksum, savedAt);
    const stored = await run.readBack(destination, written);
    await run.writeKeyIndex(destination.file, written.index, stored.etag);
    await run.judgeKeyspace(written, stored.bytes);
    await run.applyRetention(destination.file);
  } catch (err) {
    run.failure = err instanceof StepFailed ? err : new StepFailed('connect', String(err), { cause: err });
  } finally {
    await run.release();
  }
  // Another run took the backup of this second: nothing was done and nothing is wrong (exit 75, as a lease held).
  if (run.failure?.cause instanceof SecondTaken) return run.secondTakenReport();
  const seconds = (deps.now() - run.started) / 1000;
  await run.writeMetrics(seconds);
  await run.pingEnd();
  return run.report(seconds);
}

/** One run: its steps, each a method recording its outcome, and what the run holds open until it ends. */
class BackupRun {
  readonly started: number;
  readonly steps: StepResult[] = [];
  readonly say: (line: string) => void;
  readonly threshold: number;
  /** Misses of the start ping: the run is not `ok`, the backup still counts. */
  readonly problems: string[] = [];
  failure: StepFailed | undefined;
  backup: BackupReport['backup'];
  collapsed: Collapsed | undefined;
  retention: BackupReport['retention'];
  private client: Redis | undefined;
  private pulled: RdbPull | undefined;
  /** The saved file the run opened (local mode): closed when the run ends, whether the write read it to its end or not. */
  private opened: AsyncIterable<Uint8Array> | undefined;
  private lease: TakenLease | undefined;
  private refresher: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly req: BackupRequest,
    readonly deps: BackupDeps,
  ) {
    this.started = deps.now();
    this.say = deps.say ?? (() => undefined);
    this.threshold = req.collapseThresholdPct ?? DEFAULT_COLLAPSE_THRESHOLD_PCT;
  }

  /** Runs one step: its outcome recorded and said; a failure rethrown as this step's. */
  async step<T>(name: BackupStep, run: () => Promise<{ value: T; detail: string }>): Promise<T> {
    const t0 = performance.now();
    try {
      const { value, detail } = await run();
      this.steps.push({ step: name, ok: true, detail, seconds: (performance.now() - t0) / 1000 });
      this.say(`${name}: ${detail}`);
      return value;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.steps.push({ step: name, ok: false, detail: message, seconds: (performance.now() - t0) / 1000 });
      throw err instanceof StepFailed ? err : new StepFailed(name, message, { cause: err });
    }
  }

  /** `lease`: takes the destination's lease of the target, waiting for a run holding it; the report of a busy run when another keeps it. */
  async takeLease(): Promise<BackupReport | undefined> {
    const { req, deps, steps } = this;
    if (!req.lease) return undefined;
    const l = req.lease;
    const holder = l.holder ?? thisLeaseHolder('redis-dr backup', new Date(deps.now()));
    const t0 = deps.now();
    let attempt: LeaseAttempt;
    try {
      for (;;) {
        attempt = await req.store.takeLease(req.target, holder, l.staleAfterSeconds * 1000);
        if ('taken' in attempt || deps.now() - t0 >= l.waitSeconds * 1000) break;
        await deps.timing.sleep(Math.min(1000, l.waitSeconds * 1000));
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      steps.push({ step: 'lease', ok: false, detail: message, seconds: (deps.now() - t0) / 1000 });
      this.failure = new StepFailed('lease', message, { cause: err });
    }
    const waited = (deps.now() - t0) / 1000;
    // A store fault or a missing folder (failure set): reported (metrics, /fail) like any failed step.
    if (!this.failure && 'held' in attempt!) {
      const heldBy = describeHolder(attempt.held);
      const elsewhere = heldElsewhere(attempt.held, holder);
      const detail =
        `another run holds the lease of ${req.target} in ${req.store.url} (${heldBy}); waited ${Math.round(waited)} s. ` +
        `This run did nothing (no backup, no retention${elsewhere ? '; the wait is in the metrics and the heartbeat' : ', no heartbeat'}). ` +
        `It waits for ${leaseWait(attempt.held, holder, l.staleAfterSeconds * 1000)}. ` +
        `If no run is going on, remove ${leaseName(req.target)} from the destination; a lease of a process gone from this host (or from before its last boot) is taken over by itself`;
      steps.push({ step: 'lease', ok: false, detail, seconds: waited });
      // A holder out of sight is judged by age alone: a dead one blocks every run until then, so the wait is reported.
      const staleAfterMs = l.staleAfterSeconds * 1000;
      const { target, metricsFile, heartbeat } = req;
      steps.push(...(await reportLeaseWait({ target, found: attempt.held, here: holder, staleAfterMs, detail, metricsFile, heartbeat })));
      return {
        ...this.identity(),
        steps,
        failedStep: 'lease',
        error: detail,
        busy: { holder: heldBy, waitedSeconds: waited },
        seconds: (deps.now() - this.started) / 1000,
      };
    }
    if (!this.failure && 'taken' in attempt!) {
      const taken = attempt.taken;
      this.lease = taken;
      // Refreshed while the run works (a quarter of the bound, at most a minute): a run on another host or in another
      // container, which cannot look the pid up, judges the lease by its last refresh, not by when it was taken.
      this.refresher = setInterval(() => void taken.refresh(), Math.max(1000, Math.min(60_000, (l.staleAfterSeconds * 1000) / 4)));
      this.refresher.unref();
      const detail = `${leaseName(req.target)} in ${req.store.url}${waited >= 1 ? ` after waiting ${Math.round(waited)} s` : ''}${taken.tookOver ? `, taking over ${taken.tookOver}` : ''}`;
      steps.push({ step: 'lease', ok: true, detail, seconds: waited });
      // Said when it is news (a wait, a takeover); a lease taken at once is in the report's steps.
      if (waited >= 1 || taken.tookOver) this.say(`lease: ${detail}`);
    }
    return undefined;
  }

  /** `heartbeat-start` (opt-in): pings `<url>/start`; a miss is a problem of the run, not a failed step. */
  async pingStart(): Promise<void> {
    if (!this.req.heartbeat?.start || this.failure) return;
    const miss = await pingHeartbeat(this.req.heartbeat.url, 'start');
    this.steps.push({ step: 'heartbeat-start', ok: miss === undefined, detail: miss ?? 'pinged /start', seconds: 0 });
    if (miss) this.problems.push(miss);
  }

  /** `connect`: AUTHs to the server; whether its RDB carries a checksum (`rdbchecksum`, when CONFIG allows reading it). */
  connect(): Promise<boolean> {
    return this.step('connect', async () => {
      const client = await this.deps.connect();
      this.client = client;
      const version = /redis_version:(\S+)/.exec(String(await client.info('server')))?.[1] ?? 'unknown';
      // CONFIG may be refused (renamed, ACL): then a checksum is required, as every default server writes one.
      const reply = (await client.call('CONFIG', 'GET', 'rdbchecksum').catch(() => undefined)) as string[] | undefined;
      const checksum = reply?.[1] !== 'no';
      return { value: checksum, detail: `${this.req.server} (redis_version ${version}${checksum ? '' : ', rdbchecksum no: the file carries no CRC-64'})` };
    });
  }

  /** `destination`: sweeps what killed runs left, lists the destination and names the new backup (never an existing name) and its tier. */
  chooseDestination(named: Date): Promise<Destination> {
    const { req, deps, say } = this;
    return this.step('destination', async () => {
      let at = named;
      checkCollapseThresholdPct(this.threshold);
      // Sidecars a killed run of this target left without their backup (under its lease: no run of it is writing one).
      const swept = await req.store.sweepOrphans(req.target);
      for (const f of swept)
        say(
          f.endsWith('.rdb')
            ? `destination: removed ${f} (written by a run killed before its record: never proven, never managed)`
            : `destination: removed ${f} (its backup is gone: left by a run that was killed)`,
        );
      let listed = await req.store.list();
      // Named every run, never touched: a file of this target's naming with no record is not provably ours.
      for (const f of listed.filter((x) => x.tier === undefined && parseBackupFileName(x.file)?.target === req.target.toLowerCase()))
        say(
          `destination: ${f.file} has no record (not written by redis-dr, or by a run killed before its record under an older redis-dr): never deleted; remove it if it is not yours`,
        );
      let name = newBackupFileName(listed, req.target, at);
      // This second's name is taken (a run that held the lease finished in it): the next second, twice at most.
      for (let tries = 0; (name === undefined || (await req.store.exists(name))) && tries < 2; tries++) {
        await deps.timing.sleep(1000 - (deps.now() % 1000) + 5);
        at = new Date(deps.now());
        listed = await req.store.list();
        name = newBackupFileName(listed, req.target, at);
      }
      if (name === undefined || (await req.store.exists(name))) {
        throw new SecondTaken(
          `${req.store.url} already holds ${name ?? backupFileName(req.target, at, true)} of ${req.target} for this second (another run finished in it): ` +
            'nothing is overwritten and this run did nothing; the next run takes the backup',
        );
      }
      const t = backupTier(listed, req.target, at, req.retention.timeZone);
      return {
        value: { file: name, at, tier: t, files: listed },
        detail: `${req.store.url}: ${listed.length} .rdb file(s) there; this backup is ${name}, tier ${t}`,
      };
    });
  }

  /** `save` (local: BGSAVE, then the file it wrote) or `sync` (remote: the RDB over replication): the bytes to store, and when the save was asked for. */
  async openSource(): Promise<{ source: AsyncIterable<Uint8Array>; savedAt: number | undefined }> {
    const { req, deps } = this;
    let savedAt: number | undefined;
    const source = await (req.mode === 'local'
      ? this.step('save', async () => {
          const saved = await saveLocally(this.client!, deps.timing);
          savedAt = saved.requestedAt;
          const how = saved.how === 'scheduled' ? 'BGSAVE SCHEDULE (an AOF rewrite was running)' : 'BGSAVE';
          let body: AsyncIterable<Uint8Array>;
          try {
            body = await deps.openFile(saved.path);
            this.opened = body;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            const why = code === 'ENOENT' ? 'no such file on this host' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
            throw new Error(
              `the server saved to ${saved.path} (CONFIG GET dir ${saved.dir}, dbfilename ${saved.dbfilename}) but it cannot be read here: ${why}. ` +
                "Run the backup on the server's host as a user that can read that file (often redis), or use --remote",
              { cause: err },
            );
          }
          return { value: body, detail: `${how} done${saved.waitedForOther ? ' (after a save already running finished)' : ''}: ${saved.path}` };
        })
      : this.step('sync', async () => {
          const pull = await deps.pull(req.source);
          this.pulled = pull;
          return { value: pull.body, detail: `replication stream open (${pull.form === 'eof' ? 'diskless, $EOF form' : `$${pull.size} bytes`})` };
        }));
    return { source, savedAt };
  }

  /**
   * `write`: streams the bytes through the RDB verifier into the destination,
   * committed only once the last byte verified (and judged for a collapse, so
   * the record carries it).
   */
  async writeVerified(dest: Destination, source: AsyncIterable<Uint8Array>, rdbChecksum: boolean, savedAt: number | undefined): Promise<Written> {
    const { req } = this;
    // The key index is taken from this verification's own parse (the verifier reads through the index's key reader).
    const index = new BackupKeyIndex(req.store.location(dest.file));
    const verifier = index.verifier({ requireChecksum: rdbChecksum });
    // A save in Valkey's compressed envelope (rdbcompression lz4) is stored as it is and verified as the RDB it holds.
    const unwrap = await createRdbBytesDecoder();
    const feed = (take: () => Uint8Array[]): void => pushDecoded(verifier, take);
    let report: RdbReport | undefined;
    let streamed = 0;
    async function* verified(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        index.push(chunk);
        feed(() => unwrap.push(chunk));
        // Stop at the first bad byte: nothing after it is worth writing.
        if (verifier.state === 'failed') break;
        streamed += chunk.byteLength;
        yield chunk;
      }
    }
    let collapse: Collapse | undefined;
    const commit = (): BackupContent => {
      feed(() => unwrap.end());
      report = verifier.end();
      checkStorable(report, savedAt);
      // Judged before the record is written, so a collapse is recorded with the backup itself.
      collapse = backupCollapse(
        dest.files,
        req.target,
        { file: dest.file, at: dest.at, keys: report.keys, bytes: streamed, ...(report.keysByDb ? { keysByDb: report.keysByDb } : {}) },
        this.threshold,
      );
      return {
        keys: report.keys,
        ...(report.keysByDb ? { keysByDb: report.keysByDb } : {}),
        rdbVersion: report.version,
        ...(collapse ? { collapsed: collapse.detail } : {}),
      };
    };
    let mismatch: Error | undefined;
    const written = await this.step('write', async () => {
      let w: WrittenBackup;
      try {
        w = await req.store.write(dest.file, verified(), { tier: dest.tier, target: req.target, createdAt: dest.at.toISOString() }, commit);
      } catch (err) {
        // The bytes went out whole and verified; what the destination holds is not them: the read-back step fails.
        if ((err as Error).cause instanceof ReadBackMismatchError) {
          mismatch = err as Error;
          return { value: undefined, detail: `${streamed} bytes written, RDB verified while streaming; read back: no match` };
        }
        throw err;
      }
      const r = report!;
      return { value: w, detail: `${w.location}: ${w.bytes} bytes, RDB v${r.version}, ${r.keys} keys, checksum ${r.checksum}, sha256 ${w.sha256}` };
    });
    return { written, report: report!, collapse, mismatch, index };
  }

  /** `read-back`: the stored bytes matched what was verified; only then is the backup reported as stored. */
  async readBack(dest: Destination, { written, report, mismatch }: Written): Promise<WrittenBackup> {
    const stored = await this.step('read-back', async () => {
      if (mismatch || !written)
        throw new Error(`${mismatch?.message ?? 'nothing was written'}; this run's backup was removed, nothing stored before was deleted`);
      return { value: written, detail: `${written.location}: ${written.readBack.bytes} bytes read back, sha256 matches (${written.readBack.how})` };
    });
    this.backup = {
      file: dest.file,
      location: stored.location,
      tier: dest.tier,
      bytes: stored.bytes,
      sha256: stored.sha256,
      keys: report.keys,
      rdbVersion: report.version,
      checksum: report.checksum,
      readBack: { how: stored.readBack.how, at: stored.readBack.at },
    };
    return stored;
  }

  /** `index`: the key index beside the backup proven stored (serve's first answer without reading the whole file). */
  async writeKeyIndex(file: string, index: BackupKeyIndex, etag: string | undefined): Promise<void> {
    await this.step('index', async () => ({ value: undefined, detail: await index.write(this.req.store, file, { etag }) }));
  }

  /** `keyspace`: the collapse tripwire; a collapse holds the earlier backups and fails the run, naming how to release them. */
  async judgeKeyspace({ report, collapse }: Written, bytes: number): Promise<void> {
    const { req, say } = this;
    await this.step('keyspace', async () => {
      if (!collapse) {
        return { value: undefined, detail: `${report.keys} keys, ${bytes} bytes: no collapse against the earlier backups (threshold ${this.threshold} %)` };
      }
      // Recorded with its expiry (holds.ts); named without it in what the run says.
      const value = collapseHold(collapse, parseBackupFileName(collapse.point)?.at ?? new Date(this.started), req.collapseHoldDays);
      const hold = collapseHoldName(collapse.point);
      const toHold = backupsToHold(await req.store.list(), req.target, collapse);
      const held: string[] = [];
      this.collapsed = {
        detail: collapse.detail,
        previous: collapse.previous,
        measure: collapse.measure,
        ...(collapse.database !== undefined ? { database: collapse.database } : {}),
        hold,
        held,
      };
      for (const f of toHold) {
        // Unheld when listed: one held since (an operator's hold, put meanwhile) keeps its hold (backupsToHold leaves held ones).
        try {
          await req.store.hold(f, value, { hold: undefined });
        } catch (err) {
          if (!(err instanceof HoldChangedError)) throw err;
          say(`keyspace: ${f} held since the listing (${err.now}): its hold kept`);
          continue;
        }
        held.push(f);
        say(`keyspace: held ${f} (${hold})`);
      }
      // Backups an earlier collapse already holds keep that hold (backupsToHold): name it, and release it first.
      const earlier = [
        ...new Set(
          (await req.store.list())
            .filter(
              (f) => f.hold !== undefined && parseCollapseHold(f.hold) !== collapse.point && parseBackupFileName(f.file)?.target === req.target.toLowerCase(),
            )
            .map((f) => parseCollapseHold(f.hold!))
            .filter((p): p is string => p !== undefined),
        ),
      ].sort();
      const release = (point: string) => `redis-dr retention release --destination ${req.store.url} --target ${req.target} --point ${point}`;
      throw new Error(
        `keyspace collapse: ${collapse.detail}. Held ${held.length} earlier backup(s) (${hold})` +
          (earlier.length > 0 ? `; earlier backups stay held by the earlier collapse(s) ${earlier.join(', ')}` : '') +
          '; retention deleted nothing. ' +
          `If the data is gone by mistake, restore it from ${collapse.previous} (migrate --from-rdb); once handled, release the hold(s): ` +
          [...earlier, collapse.point].map(release).join(' ; then '),
      );
    });
  }

  /** `retention`: deletes what the GFS selection and its rails let go, never this run's own backup. */
  async applyRetention(file: string): Promise<void> {
    const { req, deps, say } = this;
    // Deletions are recorded as they happen: a delete that fails midway still reports the ones before it.
    const deleted: string[] = [];
    this.retention = { kept: [], deleted };
    this.retention = await this.step('retention', async () => {
      // One listing, judged with the holds put back: a hold lifted since (an operator's, on a backup an active collapse
      // needs) is put back by the next run, not deleted by this one.
      const files = await req.store.list();
      const putBack = await this.putBackCollapseHolds(files);
      const listed = files.map((f) => (putBack.has(f.file) ? { ...f, hold: putBack.get(f.file)! } : f));
      const decision = backupRetention(listed, req.target, req.retention, new Date(deps.now()));
      // Never this run's own backup (OK is printed only for a backup that stays): a clock behind the newest backup there.
      if (decision.delete.some((d) => d.point.name === file)) {
        throw new Error(
          `retention would delete ${file}, the backup this run just stored (is this host's clock behind the newest backup there?); nothing was deleted. Fix the clock and run again`,
        );
      }
      for (const d of decision.delete) {
        await req.store.remove(d.point.name);
        deleted.push(d.point.name);
        say(`retention: deleted ${d.point.name} (${d.reason})`);
      }
      const kept = decision.keep.map((k) => k.point.name);
      const detail = decision.hold ? `on hold: ${decision.hold.detail}` : `${kept.length} kept, ${deleted.length} deleted`;
      return { value: { kept, deleted, ...(decision.hold ? { hold: decision.hold.detail } : {}) }, detail };
    });
  }

  /**
   * Before retention: a backup of `files` an active collapse holds by its rule that lost its hold (an operator released
   * their own hold from one the collapse left alone) is held again, written over no hold; one held meanwhile keeps that
   * hold. The backups held so (put back or held since), with the collapse's hold.
   */
  async putBackCollapseHolds(files: readonly StoredBackup[]): Promise<Map<string, string>> {
    const { req, say } = this;
    const held = new Map<string, string>();
    for (const m of missingCollapseHolds(files, req.target)) {
      try {
        await req.store.hold(m.file, m.hold, { hold: undefined });
        say(`retention: held ${m.file} again (keyspace-collapsed:${m.to} is still active and holds every backup before it)`);
      } catch (err) {
        if (!(err instanceof HoldChangedError)) throw err;
      }
      held.set(m.file, m.hold);
    }
    return held;
  }

  /** Closes what the run opened: the client, a replication stream not read to its end, and the lease. */
  async release(): Promise<void> {
    this.client?.disconnect();
    // A replication stream not read to its end (a step after sync failed) is closed, not left to the primary.
    this.pulled?.close();
    // A saved file a failed step left unread (the destination refused before reading it): closed here, not left to the
    // garbage collector, which closes a FileHandle with a warning on stderr (DEP0137).
    await closeUnread(this.opened);
    // Given up once the destination was last changed (retention): the next run may start.
    if (this.refresher) clearInterval(this.refresher);
    await this.lease?.release();
  }

  /** `metrics` (with `--metrics-file`): the run's series merged into the node_exporter textfile. */
  async writeMetrics(seconds: number): Promise<void> {
    const { req, deps, failure, backup } = this;
    if (!req.metricsFile) return;
    const path = req.metricsFile;
    const judged = this.steps.find((x) => x.step === 'keyspace');
    try {
      await this.step('metrics', async () => {
        const run = {
          target: req.target,
          ok: !failure,
          endedAtMs: deps.now(),
          seconds,
          bytes: backup?.bytes ?? 0,
          keys: backup?.keys ?? 0,
          ...(failure ? { failedStep: failure.step } : {}),
          ...(judged ? { collapsed: this.collapsed !== undefined } : {}),
        };
        // Merged under a lock: other targets' series in the same file stay.
        await updateFileAtomic(path, (previous) => formatBackupMetrics(run, previous ?? ''));
        return { value: undefined, detail: `written to ${path}` };
      });
    } catch (err) {
      this.failure ??= err as StepFailed;
    }
  }

  /** `heartbeat`: the success ping when every step succeeded; `/fail` when opted in (or on a collapse: an incident). */
  async pingEnd(): Promise<void> {
    const { req, failure, problems } = this;
    if (!req.heartbeat) return;
    if (!failure && problems.length === 0) {
      const miss = await pingHeartbeat(req.heartbeat.url, 'success');
      this.steps.push({ step: 'heartbeat', ok: miss === undefined, detail: miss ?? 'pinged (success)', seconds: 0 });
      if (miss) this.failure = new StepFailed('heartbeat', `${miss}; the backup itself succeeded and counts (${this.backup?.location})`);
    } else if (req.heartbeat.fail || this.collapsed) {
      const miss = await pingHeartbeat(req.heartbeat.url, 'fail', failure ? `${failure.step}: ${failure.message}` : problems.join('; '));
      this.steps.push({ step: 'heartbeat', ok: miss === undefined, detail: miss ?? 'pinged /fail', seconds: 0 });
    }
  }

  /** The fields every report starts with. */
  private identity(): Pick<BackupReport, 'ok' | 'target' | 'mode' | 'server' | 'destination'> {
    return { ok: false, target: this.req.target, mode: this.req.mode, server: this.req.server, destination: this.req.store.url };
  }

  /** The report of a run that found this second's backup taken by another: busy, not failed. */
  secondTakenReport(): BackupReport {
    const failure = this.failure!;
    return {
      ...this.identity(),
      steps: this.steps,
      failedStep: failure.step,
      error: failure.message,
      busy: { holder: 'a run that finished in this second', waitedSeconds: (this.deps.now() - this.started) / 1000 },
      seconds: (this.deps.now() - this.started) / 1000,
    };
  }

  /** The run's report: `ok` only when every step was. */
  report(seconds: number): BackupReport {
    const { failure, problems, backup, collapsed, retention } = this;
    return {
      ...this.identity(),
      ok: !failure && problems.length === 0,
      steps: this.steps,
      ...(failure
        ? { failedStep: failure.step, error: failure.message }
        : problems.length > 0
          ? { failedStep: 'heartbeat-start' as const, error: problems.join('; ') }
          : {}),
      ...(backup ? { backup } : {}),
      ...(collapsed ? { collapse: collapsed } : {}),
      ...(retention ? { retention } : {}),
      seconds,
    };
  }
}

/** Closes a source stream that was not read to its end (one read to its end closed itself), and waits until it is. */
async function closeUnread(source: AsyncIterable<Uint8Array> | undefined): Promise<void> {
  const s = source as { destroy?: () => void; closed?: boolean; once?: (event: 'close', f: () => void) => void } | undefined;
  if (s?.destroy === undefined || s.once === undefined || s.closed !== false) return;
  const closed = new Promise<void>((done) => s.once!('close', done));
  s.destroy();
  await closed;
}
