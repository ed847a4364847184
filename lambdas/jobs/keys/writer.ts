/**
 * The one key writer of every key copy: `migrate` from a live server or
 * cluster (lambdas/jobs/keys/migrate.ts) and `migrate --from-rdb` from a recovery point's
 * files (lambdas/jobs/keys/migrate-rdb.ts), and so the drills and the demo that run
 * them. Readers hand it batches of keys (a DUMP payload and an absolute
 * expiry each); it writes them into the target as pipelined
 * `RESTORE key <expire-at> <payload> ABSTTL [REPLACE]`, each key to the node
 * that serves its slot.
 *
 * - Keys gone from the source, or past their expiry just before their batch
 *   is written, are counted as expired and not written.
 * - Conflicts: `skip` sends RESTORE without REPLACE (the server refuses with
 *   BUSYKEY, atomically: nothing written since the incident is overwritten);
 *   `replace` adds REPLACE; `fail` checks the batch with EXISTS first and
 *   stops before writing it (a key written between that check and the
 *   RESTORE still stops the run). Dry run checks with EXISTS and writes
 *   nothing.
 * - Any other refused write (OOM, READONLY, NOPERM) or a target node that
 *   cannot be reached is counted as failed and stops the run once the
 *   batches already sent are answered; a rerun with `skip` completes it.
 *   One exception: a module value the target refuses with "Bad data format"
 *   (it lacks the module) is counted, named per module type, and the run
 *   goes on with the other keys.
 * - RESTOREs sent on a connection that broke before they were answered are
 *   counted as failed and said to be unanswered (they may be on the target).
 * - Up to {@link WRITES_IN_FLIGHT} batches per window (one window per
 *   reader lane) are on their way to the target; `fail` and dry run write
 *   one batch at a time, because each batch's EXISTS check must see what the
 *   batch before it wrote. Every batch sent is answered and counted before
 *   a window drains, whatever stopped the run, so the counts match the target.
 * - The eviction guard (adapters/redis/memory.ts), when started, refuses a
 *   run that would not fit a target that can evict, and between batches
 *   stops one whose target evicted (unless `allowEviction`).
 */
import { RedisBatchBrokenError } from '../../adapters/redis/resp-pipe.js';
import { RedisConnectionError } from '../../adapters/redis/connection.js';
import { conflictError, existBatch, restoreBatch, restoreError, unansweredNote, type RestoreOutcome } from '../../adapters/redis/dump-restore.js';
import type { Keyspace } from '../../adapters/redis/keyspace.js';
import { EvictionGuard, type RestoreSize } from '../../adapters/redis/memory.js';
import { evictedMessage, type EvictionReport } from '../../domain/keys/eviction.js';
import { type CopyCounts, type KeyCopyOptions, noCounts, type OnConflict } from '../../domain/keys/key-copy.js';

/**
 * Batches of RESTOREs on their way to the target per window (skip and
 * replace): the next batch is sent before the answers to the earlier ones
 * are counted, so the target never waits for the reader to build a batch or
 * for this process to be scheduled. Four (the copies had 2 and 4): a live
 * source was faster with four in 10 of 14 paired runs (median 0.83 of the
 * time), a file no slower (and 7 % faster at low load before), for about
 * 2–7 MiB more (bench/README.md, one key writer).
 */
export const WRITES_IN_FLIGHT = 4;

/**
 * Payload bytes of the batches in flight past which they are answered
 * before the reader reads on (the newest is always sent first): a key of
 * more is restored before the next one is read, so one big value is held,
 * not two (issue 54 item 10: eight 60 MiB lists peaked at 231 MB when four
 * could wait in the socket; with one waiting, 60 MiB hashes at 199–211 MB
 * without --verify, 144–151 MB now, for about 0.2 s more on eight of them:
 * bench/README.md, big-types).
 */
export const BYTES_IN_FLIGHT = 2 * 8 * 1024 * 1024;

/** Payload bytes of keys to write (a big key's in parts). */
function payloadBytes(keys: readonly WriteKey[]): number {
  let n = 0;
  for (const k of keys) n += Buffer.isBuffer(k.payload) ? k.payload.length : (k.payload as readonly Buffer[]).reduce((m, p) => m + p.length, 0);
  return n;
}

/** Keys remembered as skipped, for --verify (beyond it, a key that differs on a skip run is taken as skipped: see lambdas/jobs/keys/migrate.ts `migrateExplain`). */
export const SKIPPED_KEYS_REMEMBERED = 1_000_000;

/** A key to write: its DUMP payload (from the source's DUMP, or its bytes in a file: a big key's in parts) and absolute expiry. */
export interface WriteKey {
  readonly key: Buffer;
  readonly gone?: false;
  readonly payload: Buffer | readonly Buffer[];
  /** Absolute expiry in ms since the epoch; null without one. */
  readonly expireAtMs: number | null;
  /** The expiry exactly where {@link expireAtMs} rounds it (a file's key past ±2^53 ms): what RESTORE is given. */
  readonly expireAtExact?: bigint | undefined;
  /** Module type name of a module value: a target without the module refuses it per key, and the run goes on. */
  readonly module?: string;
}

/** A key the source no longer held when it was read: counted as expired. */
export interface GoneKey {
  readonly key: Buffer;
  readonly gone: true;
}

/** What counting a written key needs (its payload is gone once encoded). */
type SentKey = Pick<WriteKey, 'key' | 'module'>;

/**
 * How a skipped key of database `db` of a file is remembered: a file's
 * databases can hold keys of the same name, and `--verify` must not take
 * one database's kept key for another's.
 */
export function skippedKeyOf(db: number, key: Buffer): string {
  return `${db}:${key.toString('latin1')}`;
}

/**
 * Bytes of payloads per batch (besides the count, `batchSize`): a batch is
 * sent once it holds this much, so batches of big keys do not pile up; a key
 * bigger than it goes alone.
 */
export const BATCH_BYTES = 8 * 1024 * 1024;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The state of one copy into one target, shared by its windows: the counts,
 * the first reason the run stops, the eviction guard. See the module comment.
 */
export class KeyWriter {
  /** Running counts; readers add what they read to `scanned`. */
  readonly counts: CopyCounts = noCounts();
  /** Keys left alone because the target had them (latin1 of the bytes), up to {@link SKIPPED_KEYS_REMEMBERED}; empty unless `rememberSkipped`. */
  readonly skippedKeys = new Set<string>();
  /** Module values the target refused, per module type name (counted in `failed` too). */
  readonly moduleRefused: Record<string, number> = {};
  /** Why the run stopped early (the first reason; a conflict under `fail` takes the place of an earlier one). */
  error?: string;
  /** The key that stopped a `fail` run. */
  conflict?: Buffer;
  /** `shouldStop` answered true between batches. */
  interrupted = false;
  /** The guard saw the target evict (and eviction was not allowed): its report says so at {@link finish}. */
  private evicting = false;
  /** RESTOREs sent whose connection broke before they were answered (counted in failed; maybe written). */
  private unanswered = 0;
  private guard?: EvictionGuard;
  readonly mode: OnConflict;
  readonly now: () => number;

  constructor(
    readonly target: Keyspace,
    readonly options: KeyCopyOptions = {},
  ) {
    this.mode = options.onConflict ?? 'skip';
    this.now = options.now ?? Date.now;
  }

  /** True once the run must write no more: an error, Ctrl-C or an eviction. */
  get stopped(): boolean {
    return this.error !== undefined || this.interrupted || this.evicting;
  }

  /** Records why the run stops, unless an earlier reason is recorded. */
  fail(reason: unknown): void {
    this.error ??= message(reason);
  }

  /**
   * Before the first write: starts the eviction guard with the size of what
   * will be written. False (and {@link error} set) when it refuses the run.
   */
  async startGuard(size: RestoreSize): Promise<boolean> {
    this.guard = await EvictionGuard.start(this.target, size, { allowEviction: this.options.allowEviction, sampleEveryMs: this.options.evictionSampleEveryMs });
    if (this.guard.refused) this.fail(this.guard.refused);
    return !this.guard.refused;
  }

  /**
   * A window of batches in flight, for one reader lane (a source shard, or
   * the files one after another), into `target` (another database of the
   * same server, for a file's databases; default the writer's). With `db`,
   * the keys it skips are remembered as {@link skippedKeyOf}(db, key).
   */
  window(target: Keyspace = this.target, db?: number): WriteWindow {
    return new WriteWindow(this, target, db);
  }

  /**
   * After every window drained: the guard's last sample of `evicted_keys`
   * and its report (undefined when it was never started), an eviction or a
   * blind guard recorded as the run's error, and the unanswered RESTOREs
   * added to whatever error the run has.
   */
  async finish(): Promise<EvictionReport | undefined> {
    const eviction = this.guard ? await this.guard.finish() : undefined;
    this.guard = undefined;
    if (eviction?.stopped) this.fail(evictedMessage(eviction.evictedKeys, true));
    if (eviction?.unknown) this.fail(eviction.unknown);
    if (this.error && this.unanswered > 0) {
      this.error += unansweredNote(this.unanswered, this.mode);
      this.unanswered = 0;
    }
    return eviction;
  }

  /** @internal A key the target already held (of database `db` of a file, when given). */
  skip(key: Buffer, db?: number): void {
    this.counts.skipped++;
    if (this.options.rememberSkipped && this.skippedKeys.size < SKIPPED_KEYS_REMEMBERED)
      this.skippedKeys.add(db === undefined ? key.toString('latin1') : skippedKeyOf(db, key));
  }

  /** @internal Counts the target's answers to one batch (written into database `db` of a file, when given). */
  count(keys: readonly SentKey[], outcomes: readonly RestoreOutcome[], db?: number): void {
    for (const [i, o] of outcomes.entries()) {
      const k = keys[i]!;
      if (o === 'restored') this.counts.copied++;
      else if (o === 'replaced' || o === 'unchecked') {
        this.counts.copied++;
        if (o === 'replaced') this.counts.replaced++;
        else this.counts.replaceUnchecked++;
      } else if (o === 'exists') {
        if (this.mode === 'fail' && !this.conflict) {
          this.conflict = k.key; // written between our EXISTS and RESTORE
          this.error = conflictError(k.key);
        }
        this.skip(k.key, db);
      } else if (k.module !== undefined && !(o instanceof RedisConnectionError) && /Bad data format/i.test(o.message)) {
        // A module value needs its module on the target (without it RESTORE answers "Bad data format"):
        // refused per key, named, counted; the other keys go on. Any other refusal stops the run as for any key.
        this.counts.failed++;
        this.moduleRefused[k.module] = (this.moduleRefused[k.module] ?? 0) + 1;
      } else {
        this.counts.failed++;
        if (o instanceof RedisBatchBrokenError) this.unanswered++;
        this.fail(restoreError(o, k.key));
      }
    }
  }

  /** @internal A batch whose answers never came as a whole (its connection broke, or building it failed): every key failed. */
  countLost(keys: readonly SentKey[], err: unknown): void {
    this.counts.failed += keys.length;
    if (err instanceof RedisBatchBrokenError) this.unanswered += keys.length;
    if (keys.length > 0 && err instanceof Error) this.fail(restoreError(err, keys[0]!.key));
    else this.fail(err);
  }

  /** @internal Samples the guard between batches; true when the target evicted and the run must stop. */
  async evicted(): Promise<boolean> {
    if (await this.guard?.check()) this.evicting = true;
    return this.evicting;
  }
}

/** One reader lane's batches in flight: {@link write} each batch, then {@link drain}. */
export class WriteWindow {
  /** Batches whose RESTOREs were sent and whose answers are not counted yet, oldest first. */
  private readonly sent: { readonly keys: readonly SentKey[]; readonly outcomes: Promise<readonly RestoreOutcome[]>; readonly bytes: number }[] = [];

  constructor(
    private readonly writer: KeyWriter,
    private readonly target: Keyspace,
    private readonly db?: number,
  ) {}

  /**
   * Writes one batch (gone and expired keys counted, not written), waiting
   * while the window is full; false when the run must stop (this batch's or
   * an earlier one's error, a conflict under `fail`, an eviction, Ctrl-C).
   * Never throws: a failure is recorded as the writer's error.
   */
  async write(batch: readonly (WriteKey | GoneKey)[]): Promise<boolean> {
    const w = this.writer;
    const { options, mode } = w;
    try {
      const at = w.now();
      const live: WriteKey[] = [];
      for (const k of batch) {
        if (k.gone || (k.expireAtMs !== null && k.expireAtMs <= at)) w.counts.expired++;
        else live.push(k);
      }
      if (mode === 'fail' || options.dryRun) {
        const exists = await existBatch(
          this.target,
          live.map((k) => k.key),
          'the target',
        );
        const first = exists.indexOf(true);
        if (mode === 'fail' && first >= 0) {
          w.conflict ??= live[first]!.key;
          w.fail(`${conflictError(w.conflict)}: stopped before writing its batch`);
          return false;
        }
        if (options.dryRun) {
          if (mode === 'replace') {
            w.counts.copied += live.length;
            w.counts.replaced += exists.filter(Boolean).length;
          } else
            live.forEach((k, i) => {
              exists[i] ? w.skip(k.key, this.db) : w.counts.copied++;
            });
        }
      }
      const outcomes = !options.dryRun && live.length > 0 ? restoreBatch(this.target, live, mode === 'replace') : Promise.resolve([]);
      outcomes.catch(() => undefined); // counted (or its failure recorded) by countOldest
      // The RESTOREs are encoded: kept until answered without their payloads, so a big key is not held twice.
      this.sent.push({ keys: live.map((k) => ({ key: k.key, module: k.module })), outcomes, bytes: payloadBytes(live) });
      // fail and dry run check each batch with EXISTS against what the batches before it wrote: one at a time.
      const inFlight = mode === 'fail' || options.dryRun ? 1 : WRITES_IN_FLIGHT;
      while (this.sent.length >= inFlight) await this.countOldest();
      // Past BYTES_IN_FLIGHT, the batches answered first, this one too: a big key is restored before the reader reads the
      // next (else it waits in the socket while the next is read: two big values held).
      const bound = options.bytesInFlight ?? BYTES_IN_FLIGHT;
      while (this.sent.length > 0 && this.sent.reduce((n, b) => n + b.bytes, 0) > bound) await this.countOldest();
      if (w.stopped || (await w.evicted())) return false; // an eviction: each further write may push out a live key
      if (options.shouldStop?.()) w.interrupted = true;
      return !w.stopped;
    } catch (err) {
      w.fail(err);
      return false;
    }
  }

  /** Waits for the answers to every batch sent and counts them (however the lane ended: the counts match the target). */
  async drain(): Promise<void> {
    while (this.sent.length > 0) {
      try {
        await this.countOldest();
      } catch (err) {
        this.writer.fail(err); // onBatch threw: the other batches are still counted
      }
    }
  }

  private async countOldest(): Promise<void> {
    const { keys, outcomes } = this.sent.shift()!;
    let answers: readonly RestoreOutcome[];
    try {
      answers = await outcomes;
    } catch (err) {
      this.writer.countLost(keys, err);
      answers = [];
    }
    if (answers.length > 0) this.writer.count(keys, answers, this.db);
    await this.writer.options.onBatch?.({ ...this.writer.counts });
  }
}
