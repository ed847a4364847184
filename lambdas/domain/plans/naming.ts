/**
 * Snapshot names: `rdr-<target>-<yyyymmdd>-<hhmm>` (UTC). Formatting and
 * parsing live together so a round trip is guaranteed by one module.
 * Pure: time is always passed in.
 */

/** Prefix of every snapshot name redis-dr creates. */
export const SNAPSHOT_PREFIX = 'rdr-';

/** Longest replication group id / serverless cache name ElastiCache accepts. */
const MAX_TARGET_ID_LENGTH = 40;

// Starts with a letter; hyphen-separated runs of letters/digits, so no
// leading, trailing or doubled hyphen.
const TARGET_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

// The target contains hyphens, so the date fields are anchored at the end.
const SNAPSHOT_NAME = /^rdr-(.+)-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})$/;

// Four-digit years only: the name format has exactly four year digits.
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;

/**
 * True when `id` is a valid ElastiCache replication group id or serverless
 * cache name as ElastiCache stores it: 1–40 characters, lowercase letters,
 * digits and hyphens, starting with a letter, not ending with a hyphen and
 * without two consecutive hyphens.
 *
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateServerlessCache.html
 */
export function isValidTargetId(id: string): boolean {
  return id.length >= 1 && id.length <= MAX_TARGET_ID_LENGTH && TARGET_ID.test(id);
}

/**
 * Name of the snapshot of `targetId` taken at `at`:
 * `rdr-<target>-<yyyymmdd>-<hhmm>` in UTC, seconds dropped. The target is
 * lowercased first, because ElastiCache lowercases ids and names.
 *
 * @throws Error when the (lowercased) target id is not a valid ElastiCache id,
 *   or when `at` is not a valid date with a four-digit UTC year.
 */
export function formatSnapshotName(targetId: string, at: Date): string {
  const target = targetId.toLowerCase();
  if (!isValidTargetId(target)) {
    throw new Error(
      `targetId must be 1-40 lowercase letters, digits or single hyphens, start with a letter and not end with a hyphen, got ${JSON.stringify(targetId)}`,
    );
  }
  const time = at.getTime();
  if (Number.isNaN(time)) {
    throw new Error(`at must be a valid Date, got an invalid Date for target ${JSON.stringify(targetId)}`);
  }
  const year = at.getUTCFullYear();
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new Error(`at must have a four-digit UTC year (${MIN_YEAR}-${MAX_YEAR}), got ${at.toISOString()}`);
  }
  const date = `${year}${pad2(at.getUTCMonth() + 1)}${pad2(at.getUTCDate())}`;
  const hhmm = `${pad2(at.getUTCHours())}${pad2(at.getUTCMinutes())}`;
  return `${SNAPSHOT_PREFIX}${target}-${date}-${hhmm}`;
}

/**
 * Inverse of {@link formatSnapshotName}: the target id and the UTC minute a
 * snapshot name encodes, or `undefined` when `name` is not exactly what
 * `formatSnapshotName` would produce (wrong prefix, invalid or uppercase
 * target, impossible date such as 2026-02-30 or 25:00).
 */
export function parseSnapshotName(name: string): { target: string; at: Date } | undefined {
  const match = SNAPSHOT_NAME.exec(name);
  if (match === null) return undefined;
  const [, target = '', yyyy, mm, dd, hh, mi] = match;
  if (!isValidTargetId(target)) return undefined;

  const year = Number(yyyy);
  const month = Number(mm);
  const day = Number(dd);
  const hour = Number(hh);
  const minute = Number(mi);
  if (year < MIN_YEAR || month < 1 || month > 12 || hour > 23 || minute > 59) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;

  return { target, at: new Date(Date.UTC(year, month - 1, day, hour, minute)) };
}

/**
 * True only when `name` is a redis-dr snapshot name whose parsed target is
 * exactly `targetId` (compared lowercased, as ElastiCache stores ids). A plain
 * prefix check is wrong: `rdr-a-…` is also the start of names of target `a-b`.
 */
export function isSnapshotOf(name: string, targetId: string): boolean {
  const parsed = parseSnapshotName(name);
  return parsed !== undefined && parsed.target === targetId.toLowerCase();
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of `month` (years >= 1000, so
  // Date.UTC's 0-99 → 1900s mapping does not apply).
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
