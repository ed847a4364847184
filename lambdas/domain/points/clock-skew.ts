/**
 * How far a recorded time may lie after now before it is a time from the
 * future: the clock skew S3 accepts of a signed request (15 minutes: its
 * RequestTimeTooSkewed error carries MaxAllowedSkewMilliseconds 900000).
 * Evidence is dated by AWS's clocks (a schedule's time, a Lambda's clock); a
 * time past this is no schedule's, and judged as an age it would stay fresh
 * for ever. A reader whose own clock is further behind sees a fresh record
 * so: named, never a pass. Pure.
 */

/** The clock skew S3 accepts of a signed request, milliseconds. */
export const CLOCK_SKEW_MS = 15 * 60_000;

/** The latest time a record can honestly carry, read at `now`: later is a time from the future. */
export function clockCeiling(now: Date): Date {
  return new Date(now.getTime() + CLOCK_SKEW_MS);
}
