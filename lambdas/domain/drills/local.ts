/**
 * The local drill (`redis-dr drill local`), the pure half: what a server
 * that loaded an `.rdb` file must hold, from the RDB verifier's report, and
 * the checks of the ElastiCache drills' verify step applied to it.
 */
import type { CheckResult, ExpectedData } from './drill.js';
import { checkExpectKeys, checkHistogram, checkKeyCount, checkSample, type CheckWindow, type SampledKey, type ScanSummary } from './checks.js';
import type { ExpiryCounts } from '../rdb/expiry-histogram.js';
import type { RdbReport } from '../rdb/verifier.js';

/** What the operator asked for beyond the file's own counts. */
export interface LocalDrillChecks {
  /** Percent of the key count a count may be off (the drills' `keyCountTolerancePct`). */
  readonly tolerancePct: number;
  /** Replaces the file's key count in the key-count check. */
  readonly expectKeyCount?: number;
  /** Keys that must exist (database 0). */
  readonly expectKeys: readonly string[];
  /** Random keys read back. */
  readonly sampleSize: number;
}

/** The expected data of each count check. */
export interface LocalDrillExpected {
  /** key-count: every key of the file (or `expectKeyCount`); those expired by the check are subtracted there. */
  readonly keyCount: ExpectedData;
  /** type-histogram: the verifier's keys per type, already expired keys included. */
  readonly histogram: ExpectedData;
}

/**
 * What the file recorded. The verifier's `keys` leaves out empty keys
 * already (nobody loads them) and counts every other key, those whose expiry
 * had passed when the file was written included: the checks subtract exactly
 * the keys whose expiry is before the check (the exact expiry times of the
 * file, which include those), no other. `expectKeyCount` replaces the
 * file's count.
 */
export function localDrillExpected(rdb: RdbReport, expectKeyCount?: number): LocalDrillExpected {
  const expiries = rdb.expiryHistogram ? { expiries: [rdb.expiryHistogram] } : {};
  return {
    keyCount: { keys: expectKeyCount ?? rdb.keys, expires: rdb.expires, ...expiries },
    histogram: { keys: rdb.keys, expires: rdb.expires, byType: rdb.byType, ...expiries },
  };
}

/** What was read from the server. */
export interface LocalDrillFindings {
  /** Keys in every database (INFO keyspace), counted after the scan. */
  readonly dbsize: number;
  readonly scan: ScanSummary;
  /** `exists[i]` answers for `expectKeys[i]`. */
  readonly exists: readonly boolean[];
  readonly samples: readonly SampledKey[];
  /** When the scan began and the keys were counted (the server's clock). */
  readonly window: CheckWindow;
}

/**
 * The checks in report order: key-count, type-histogram, expect-keys,
 * sample. `expiry`: the file's exact expiry times (as the drill read it);
 * without them, the file's expiry histogram.
 */
export function localDrillChecks(rdb: RdbReport, checks: LocalDrillChecks, found: LocalDrillFindings, expiry?: ExpiryCounts): CheckResult[] {
  const expected = localDrillExpected(rdb, checks.expectKeyCount);
  return [
    checkKeyCount(expected.keyCount, found.dbsize, checks.tolerancePct, found.window, expiry, found.scan),
    checkHistogram(expected.histogram, found.scan, checks.tolerancePct, found.window, expiry),
    checkExpectKeys(checks.expectKeys, found.exists),
    checkSample(found.samples, checks.sampleSize, rdb.byType),
  ];
}
