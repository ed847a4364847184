/**
 * The one difference tracker of the key pipeline: `compare` (two servers)
 * and `migrate --from-rdb --verify` (a file against a server) both count
 * every difference they find and list the first ones, real ones apart from
 * the ones the caller expects (a key `--on-conflict skip` kept, one whose
 * expiry came). Each decides what is expected; this keeps the books. Pure.
 */
import type { DiffReason } from '../rdb/fingerprint.js';

/** One differing key; `expected` names why the caller expects it (absent: a real difference). */
export interface Difference<K extends string> {
  readonly key: Buffer;
  readonly reason: DiffReason;
  readonly expected?: K;
  /** The database of the key, where a run covers several (a file's databases). */
  readonly db?: number;
}

/** Counts differences by kind, lists the first `maxDiffs` of each list (real, expected). */
export class DifferenceTracker<K extends string> {
  /** Real differences, all counted (including ones not listed). */
  differences = 0;
  /** The first `maxDiffs` real differences. */
  readonly diffs: Difference<K>[] = [];
  /** Expected differences by kind, every kind present (0 when none). */
  readonly expected: Record<K, number>;
  /** The first `maxDiffs` expected differences. */
  readonly expectedDiffs: Difference<K>[] = [];

  /** `kinds`: every kind of expected difference, in the order results list them. */
  constructor(
    kinds: readonly K[],
    private readonly maxDiffs: number,
  ) {
    this.expected = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<K, number>;
  }

  /** Records `key` (of database `db`, when given) differing by `reason`: expected when `kind` is given, a real difference otherwise. */
  note(key: Buffer, reason: DiffReason, kind?: K, db?: number): void {
    const where = db === undefined ? {} : { db };
    if (kind) {
      this.expected[kind]++;
      if (this.expectedDiffs.length < this.maxDiffs) this.expectedDiffs.push({ key, reason, expected: kind, ...where });
      return;
    }
    this.differences++;
    if (this.diffs.length < this.maxDiffs) this.diffs.push({ key, reason, ...where });
  }
}
