/**
 * Key-level recovery straight from a recovery point (issue 16): the keys of
 * an RDB file written into a live server with `RESTORE … ABSTTL`, without
 * restoring a whole cluster first.
 *
 * Order of work, so a bad file writes nothing:
 * 1. the target's `INFO server` says which RDB version it reads;
 * 2. the whole file is verified (structure, every value, CRC-64) and its
 *    version held against the target's: a corrupt file, or one written by
 *    a newer server than the target, is refused before any key is written;
 * 3. the file is read again and each key of the chosen database that
 *    matches is sent as `RESTORE key <expire-at> <payload> ABSTTL [REPLACE]`
 *    (the payload is the key's bytes in the file, see rdb/keys.ts),
 *    pipelined in batches, four batches in flight. Keys
 *    whose expiry has passed are skipped and counted. Should the second
 *    read fail (the file changed in between), the run stops there and says
 *    which keys were written.
 *
 * Memory: the reader's chunk, the open key (at most 512 MiB), and up to
 * five batches of payloads.
 */
import { conflictError, existBatch, restoreBatch, restoreError, restoreFunctions, type RestoreOutcome } from '../adapters/redis-copy';
import { RedisConnectionError } from '../adapters/redis';
import type { Keyspace } from '../adapters/redis-keyspace';
import { compileGlob } from '../domain/glob';
import { rdbRefusal, targetRdbSupport, type TargetRdbSupport } from '../domain/rdb/dump-payload';
import { RdbKeyReader, type RdbKey } from '../domain/rdb/keys';
import { verifyRdbStream, type RdbReport } from '../domain/rdb/verifier';
import type { CopyCounts, KeyCopyOptions } from '../domain/key-copy';

export type { OnConflict } from '../domain/key-copy';

/** Running counts (the same as migrate's). */
export type RestoreRdbCounts = CopyCounts;

/** The options of every key copy, and the file's own. */
export interface RestoreRdbOptions extends KeyCopyOptions {
  /** Database of the file to restore. @default 0 */
  readonly db?: number;
  /**
   * Also restore the file's function libraries (`FUNCTION RESTORE`, on every
   * primary; never FLUSH): `skip` leaves a library of the same name alone,
   * `replace` replaces it, `fail` stops on it. @default false (only reported)
   */
  readonly functions?: boolean;
}

export interface RestoreRdbResult extends RestoreRdbCounts {
  readonly seconds: number;
  readonly interrupted: boolean;
  readonly error?: string;
  readonly conflict?: Buffer;
  /** The file: what the verification found (undefined when the target could not be asked first). */
  readonly file?: RdbReport;
  readonly targetServer?: TargetRdbSupport;
  /** Keys of the file not restored because they are in another database or do not match. */
  readonly notSelected: number;
  readonly skippedKeys: ReadonlySet<string>;
  /**
   * Module values the target refused, per module type name (it lacks the
   * module): counted in `failed` too, but the run goes on with other keys.
   */
  readonly moduleRefused: Readonly<Record<string, number>>;
  /** Function libraries: in the file; and with `functions`, per library and node, restored, left alone (exists) or failed. */
  readonly functions: { inFile: number; restored: number; skipped: number; failed: number };
  /** Keys written before the second read failed, and the file offset the last one ended at. */
  readonly writtenUpTo?: { readonly keys: number; readonly offset: number };
}

/**
 * Four, not migrate's two: the client builds each batch from the file while
 * the target restores the ones before it, and with two in flight a batch of
 * large keys on one side (or a moment off the CPU) left the other idle:
 * about 7 % slower end to end (bench/README.md, migrate --from-rdb).
 */
const WRITES_IN_FLIGHT = 4;
const SKIPPED_KEYS_REMEMBERED = 1_000_000;

/** Restores the keys of the file `open()` streams (called twice: verification, then the restore) into `target`. */
export async function restoreRdbKeys(open: () => AsyncIterable<Uint8Array>, target: Keyspace, options: RestoreRdbOptions = {}): Promise<RestoreRdbResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const mode = options.onConflict ?? 'skip';
  const db = options.db ?? 0;
  const counts: RestoreRdbCounts = { scanned: 0, copied: 0, skipped: 0, expired: 0, failed: 0 };
  const skippedKeys = new Set<string>();
  let error: string | undefined;
  let conflict: Buffer | undefined;
  let interrupted = false;
  let notSelected = 0;
  let file: RdbReport | undefined;
  let targetServer: TargetRdbSupport | undefined;
  let writtenUpTo: RestoreRdbResult['writtenUpTo'];
  const moduleRefused: Record<string, number> = {};
  const functions = { inFile: 0, restored: 0, skipped: 0, failed: 0 };
  const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
  const result = (): RestoreRdbResult => ({
    ...counts,
    seconds: (now() - started) / 1000,
    interrupted,
    error,
    conflict,
    file,
    targetServer,
    notSelected,
    skippedKeys,
    writtenUpTo,
    moduleRefused,
    functions,
  });
  const skip = (key: Buffer) => {
    counts.skipped++;
    if (options.rememberSkipped && skippedKeys.size < SKIPPED_KEYS_REMEMBERED) skippedKeys.add(key.toString('latin1'));
  };

  try {
    if (target.cluster && db !== 0) {
      error = `a Redis Cluster target has only database 0; --db ${db} cannot be written to it`;
      return result();
    }
    const info = await (await target.clientFor(Buffer.alloc(0))).info('server');
    targetServer = targetRdbSupport(info);
    file = await verifyRdbStream(open());
    if (!file.ok) {
      error = `the file is refused, nothing was written: ${file.error?.message ?? 'not a valid RDB file'} (at byte ${file.error?.offset ?? 0})`;
      return result();
    }
    const refusal = rdbRefusal({ version: file.version, valkey: file.magic === 'VALKEY' }, targetServer);
    if (refusal) {
      error = `the file is refused, nothing was written: ${refusal}`;
      return result();
    }
    if (!file.databases.includes(db) && file.keys > 0) {
      error = `the file holds no database ${db} (it holds ${file.databases.join(', ')}): choose one with --db`;
      return result();
    }
    options.onStart?.(undefined);
  } catch (err) {
    error = message(err);
    return result();
  }

  const matches = options.match === undefined ? undefined : compileGlob(options.match);
  const reader = new RdbKeyReader({ want: (kdb, name) => kdb === db && (matches === undefined || matches(name)) });
  const sent: { readonly keys: readonly RdbKey[]; readonly outcomes: Promise<readonly RestoreOutcome[]> }[] = [];
  let lastEnd = 0;
  let written = 0;
  const countOldest = async (): Promise<void> => {
    const { keys, outcomes } = sent.shift()!;
    for (const [i, o] of (await outcomes).entries()) {
      if (o === 'restored') counts.copied++;
      else if (o === 'exists') {
        if (mode === 'fail' && !conflict) {
          conflict = keys[i]!.name;
          error = conflictError(conflict);
        }
        skip(keys[i]!.name);
      } else if (keys[i]!.module !== undefined && !(o instanceof RedisConnectionError)) {
        // A module value needs its module on the target: refused per key, named, counted; the other keys go on.
        counts.failed++;
        moduleRefused[keys[i]!.module!] = (moduleRefused[keys[i]!.module!] ?? 0) + 1;
      } else {
        counts.failed++;
        error ??= restoreError(o, keys[i]!.name);
      }
    }
    await options.onBatch?.({ ...counts });
  };
  /** Writes one batch (after the checks fail and dry run make); false when the run must stop. */
  const flush = async (batch: RdbKey[]): Promise<boolean> => {
    const at = now();
    const live = batch.filter((k) => {
      if (k.expireAtMs !== null && k.expireAtMs <= at) {
        counts.expired++;
        return false;
      }
      return true;
    });
    if (mode === 'fail' || options.dryRun) {
      const exists = await existBatch(target, live.map((k) => k.name), 'the target');
      const first = exists.indexOf(true);
      if (mode === 'fail' && first >= 0) {
        conflict ??= live[first]!.name;
        error ??= `${conflictError(conflict)}: stopped before writing its batch`;
        return false;
      }
      if (options.dryRun) {
        if (mode === 'replace') counts.copied += live.length;
        else live.forEach((k, i) => (exists[i] ? skip(k.name) : counts.copied++));
      }
    }
    const items = live.map((k) => ({ key: k.name, payload: k.payload, expireAtMs: k.expireAtMs }));
    const outcomes = !options.dryRun && items.length > 0 ? restoreBatch(target, items, mode === 'replace') : Promise.resolve([]);
    outcomes.catch(() => undefined); // counted (or its failure reported) by countOldest
    sent.push({ keys: live, outcomes });
    written += live.length;
    if (batch.length > 0) lastEnd = batch[batch.length - 1]!.end;
    const inFlight = mode === 'fail' || options.dryRun ? 1 : WRITES_IN_FLIGHT;
    while (sent.length >= inFlight) await countOldest();
    return !error;
  };

  const batchSize = options.batchSize ?? 1000;
  let batch: RdbKey[] = [];
  try {
    reading: for await (const chunk of open()) {
      for (const key of reader.push(chunk)) {
        counts.scanned++;
        batch.push(key);
        if (batch.length >= batchSize) {
          const full = batch;
          batch = [];
          if (!(await flush(full))) break reading;
          if (options.shouldStop?.()) {
            interrupted = true;
            break reading;
          }
        }
      }
      if (reader.error) break;
    }
    if (!error && !interrupted && batch.length > 0) await flush(batch);
    while (sent.length > 0) await countOldest();
    if (!error && !interrupted && options.functions && !options.dryRun && reader.functions.length > 0) {
      const outcomes = await restoreFunctions(target, reader.functions, mode === 'replace');
      for (const [i, nodes] of outcomes.entries()) {
        for (const o of nodes) {
          if (o === 'restored') functions.restored++;
          else if (o === 'exists' && mode !== 'fail') functions.skipped++;
          else {
            functions.failed++;
            error ??= `FUNCTION RESTORE of the file's library ${i + 1} failed: ${o === 'exists' ? 'a library of that name exists on the target (--on-conflict fail)' : o.message}`;
          }
        }
      }
    }
    const second = reader.end();
    if (!error && !interrupted && !second.ok) {
      writtenUpTo = { keys: written, offset: lastEnd };
      error =
        `the file changed since it was verified and now fails at byte ${second.error?.offset}: ${second.error?.message}; ` +
        `the ${written} keys before byte ${lastEnd} were written, nothing after`;
    }
  } catch (err) {
    error ??= message(err);
  } finally {
    try {
      while (sent.length > 0) await countOldest();
    } catch (err) {
      error ??= message(err);
    }
  }
  notSelected = reader.unwanted;
  functions.inFile = file?.functionLibraries ?? 0;
  return result();
}
