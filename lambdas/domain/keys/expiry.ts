/**
 * The one rule for a key that expired while a comparison ran (`compare`,
 * `migrate --verify`, `migrate --from-rdb --verify`): a key one side holds
 * and the other does not is not a difference when the side that holds it
 * (or held it, when read) gives it an absolute expiry (PEXPIRETIME) at or
 * before the scan's clock plus the tolerance — the other side let it go a
 * moment earlier, or the read of the other side came after the expiry. A
 * key without an expiry, or one that outlives the tolerance, stays a
 * difference: it was lost, not expired.
 */

/**
 * Whether a key whose absolute expiry is `expireAtMs` (null: none) is gone at `nowMs`: once its time has passed, not
 * at the millisecond itself, as Redis and Valkey judge it (db.c's keyIsExpired: `now > when`; rdbLoad skips a key
 * only when `expiretime < now`). serve's reads and history's points hold to it.
 */
export function keyExpired(expireAtMs: number | null, nowMs: number): boolean {
  return expireAtMs !== null && expireAtMs < nowMs;
}

/** Allowed gap between two expiry times, and between an expiry and the scan's clock, unless the command is told otherwise. */
export const DEFAULT_TTL_TOLERANCE_MS = 1000;

/**
 * True when a key present on one side only is explained by its expiry:
 * `expireAtMs` is that side's absolute expiry (ms since the epoch, null for
 * none), `nowMs` the scan's clock when the other side was read, `toleranceMs`
 * the gap allowed between the two sides' clocks and expiries.
 */
export function expiredDuringScan(expireAtMs: number | null | undefined, nowMs: number, toleranceMs: number): boolean {
  return expireAtMs != null && expireAtMs <= nowMs + toleranceMs;
}
