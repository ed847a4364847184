/**
 * The local drill (`redis-dr drill local`), the pure half: what a server
 * that loaded an `.rdb` file must hold, from the RDB verifier's report, and
 * the checks of the ElastiCache drills' verify step applied to it.
 */
import type { CheckResult, ExpectedData } from './drill.js';
import { checkExpectKeys, checkHistogram, checkKeyCount, checkSample, type SampledKey, type ScanSummary } from './drill-checks.js';
import type { RdbReport } from './rdb/verifier.js';

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
  /** key-count: the keys that load. */
  readonly keyCount: ExpectedData;
  /** type-histogram: the verifier's keys per type, which include the already expired keys. */
  readonly histogram: ExpectedData;
}

/**
 * What a primary loading the file must hold. The verifier's `keys` leaves
 * out empty keys already (nobody loads them) but counts the keys whose
 * expiry had passed when the file was written (`expiredKeys`): a primary
 * drops those on load, so they are not expected. Of the others, those with
 * an expiry may have expired since the file was written: the key-count
 * check's lower bound allows for them (`expires`). The type histogram
 * cannot tell the types of the expired keys apart, so its `expires` covers
 * every key with an expiry. `expectKeyCount` replaces the file's count.
 */
export function localDrillExpected(rdb: RdbReport, expectKeyCount?: number): LocalDrillExpected {
  const expired = rdb.expiredKeys ?? 0;
  const loadable = rdb.keys - expired;
  return {
    keyCount: { keys: expectKeyCount ?? loadable, expires: rdb.expires - expired },
    histogram: { keys: loadable, expires: rdb.expires, byType: rdb.byType },
  };
}

/** What was read from the server. */
export interface LocalDrillFindings {
  /** Keys in every database (INFO keyspace). */
  readonly dbsize: number;
  readonly scan: ScanSummary;
  /** `exists[i]` answers for `expectKeys[i]`. */
  readonly exists: readonly boolean[];
  readonly samples: readonly SampledKey[];
}

/** The checks in report order: key-count, type-histogram, expect-keys, sample. */
export function localDrillChecks(rdb: RdbReport, checks: LocalDrillChecks, found: LocalDrillFindings): CheckResult[] {
  const expected = localDrillExpected(rdb, checks.expectKeyCount);
  return [
    checkKeyCount(expected.keyCount, found.dbsize, checks.tolerancePct),
    checkHistogram(expected.histogram, found.scan, checks.tolerancePct),
    checkExpectKeys(checks.expectKeys, found.exists),
    checkSample(found.samples, checks.sampleSize, rdb.byType),
  ];
}
