/**
 * The contract every key copy shares — `migrate` from a live server or
 * cluster, and `migrate --from-rdb` from a recovery point's file: what it
 * does with a key the target already holds, what it counts, and the options
 * both take. One definition, so the two commands cannot drift apart.
 */

/** What a copy does with a key the target already holds. */
export type OnConflict = 'skip' | 'replace' | 'fail';

/** No key counted yet. */
export function noCounts(): CopyCounts {
  return { scanned: 0, copied: 0, skipped: 0, expired: 0, failed: 0, replaced: 0, replaceUnchecked: 0 };
}

/** `a` and `b` counted together (a run's databases, one after the other). */
export function addCounts(a: CopyCounts, b: CopyCounts): CopyCounts {
  return {
    scanned: a.scanned + b.scanned,
    copied: a.copied + b.copied,
    skipped: a.skipped + b.skipped,
    expired: a.expired + b.expired,
    failed: a.failed + b.failed,
    replaced: a.replaced + b.replaced,
    replaceUnchecked: a.replaceUnchecked + b.replaceUnchecked,
  };
}

/** Running counts of a key copy. */
export interface CopyCounts {
  /** Keys read from the source (SCAN; a key SCAN returns twice counts twice) or from the file (the chosen database, matching). */
  scanned: number;
  /** Restored on the target (dry run: would be). */
  copied: number;
  /** Already on the target and left alone (skip; dry run: would be). */
  skipped: number;
  /**
   * Of {@link copied}, those written over a key the target held (`--on-conflict replace`; dry run: would be), as an
   * EXISTS sent just before each RESTORE … REPLACE found it; keys whose EXISTS the target refused are in
   * {@link replaceUnchecked}.
   */
  replaced: number;
  /** Of {@link copied} under `--on-conflict replace`, keys whose EXISTS the target refused: not known whether they replaced one. */
  replaceUnchecked: number;
  /** Gone or past their expiry when read: not copied. */
  expired: number;
  /** The target refused the write, or its node could not be reached. */
  failed: number;
}

/** Options every key copy takes. */
export interface KeyCopyOptions {
  /** SCAN-style glob on key names. @default all keys */
  readonly match?: string;
  /** @default 'skip' (never overwrite what the target holds) */
  readonly onConflict?: OnConflict;
  /** Read and count only; write nothing. @default false */
  readonly dryRun?: boolean;
  /** Keys per batch; memory is a few batches (per source shard). @default 1000 */
  readonly batchSize?: number;
  /** Milliseconds clock (expired keys are judged against it). @default Date.now */
  readonly now?: () => number;
  /** Called once before the first batch with the keys to copy, when known. */
  readonly onStart?: (total: number | undefined) => void;
  /** Called after every batch with the counts so far (progress; tests). */
  readonly onBatch?: (counts: CopyCounts) => void | Promise<void>;
  /** Checked between batches; true stops the run (Ctrl-C). */
  readonly shouldStop?: () => boolean;
  /** Remember the keys `skip` left alone, for a compare afterwards (--verify). @default false */
  readonly rememberSkipped?: boolean;
  /**
   * Run even when the target can evict and the restore would not fit it
   * (domain/keys/eviction.ts); any eviction during the run still ends it
   * non-zero. @default false (refused before anything is written)
   */
  readonly allowEviction?: boolean;
  /** @internal Milliseconds between samples of the target's `evicted_keys` between batches (tests: 0, every batch). @default 1000 */
  readonly evictionSampleEveryMs?: number;
  /** @internal Payload bytes in flight past which the batches are answered before the next is read (tests make it small). @default 16 MiB (jobs/keys/writer.ts) */
  readonly bytesInFlight?: number;
}

/**
 * What a complete copy (`--from-rdb`, or server to server with `--match`)
 * wrote none of although the source holds it: the databases copied hold
 * keys, and the selection (`--match`) matched none of them (a mistyped
 * pattern). Every database holding keys is copied unless the URL or `--db`
 * chose, so no database is left out unasked.
 */
export interface NoMatch {
  /** The databases of the source copied. */
  readonly databases: readonly number[];
  /** Their keys, none matching. */
  readonly keys: number;
}

/** {@link NoMatch} of a copy of `databases` of a source holding `keysByDb`, or undefined when it read a matching key (or ended early). */
export function copiedNone(
  r: { readonly error?: string; readonly interrupted: boolean; readonly scanned: number },
  databases: readonly number[],
  keysByDb: Readonly<Record<number, number>>,
): NoMatch | undefined {
  if (r.error || r.interrupted || r.scanned > 0) return undefined;
  const keys = databases.reduce((n, d) => n + (keysByDb[d] ?? 0), 0);
  return keys > 0 ? { databases, keys } : undefined;
}
