/**
 * The shape of a hold, one source of truth for the `redis-dr:hold` tag of an
 * ElastiCache snapshot and the `hold` of a self-managed backup's record:
 * why the copy is kept, until when, and (an operator's hold) by whom.
 *
 * - a keyspace collapse's hold: `keyspace-collapsed:<point> until=<iso>`,
 *   its expiry {@link DEFAULT_COLLAPSE_HOLD_DAYS} days after the collapsed
 *   point was taken (derived from the point, so every run writes the same
 *   value);
 * - an operator's hold (a legal hold, an investigation):
 *   `held until=<iso> by=<who> reason=<text>`.
 *
 * An expiry is a judgement date, never a deletion: retention keeps a held
 * copy whatever its hold's expiry until the hold is released; the report
 * makes an expired hold a FAIL line asking for a decision. A hold written
 * before expiries existed (`keyspace-collapsed:<point>`) parses with no
 * expiry. Values stay within what ElastiCache and S3 allow in a tag
 * (letters, digits, spaces, `_ . : / = + - @`, 256 characters). Pure.
 */

/** Days a keyspace collapse's hold lasts from the collapsed point before the report asks for a decision. */
export const DEFAULT_COLLAPSE_HOLD_DAYS = 30;

const DAY = 86_400_000;
const MAX_VALUE = 256;
const COLLAPSE = /^keyspace-collapsed:(\S+)(?: until=(\S+))?$/;
const OPERATOR = /^held until=(\S+) by=(\S+) reason=(.*)$/;

/** A hold as the report and the CLI read it. */
export interface Hold {
  /** Why the copy is kept; absent or blank: no reason given. */
  readonly reason?: string;
  /** When the hold ends (a judgement date: nothing is deleted then); absent: no expiry. */
  readonly expiresAt?: Date;
  /** Who put an operator's hold. */
  readonly by?: string;
  /** The collapsed point a collapse's hold names. */
  readonly collapsedPoint?: string;
}

const isoTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function date(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Characters ElastiCache and S3 both allow in a tag value (letters, digits, spaces, `_ . : / = + - @`). */
export function tagSafe(text: string): string {
  return text
    .replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** How a collapse's hold is named in messages (`keyspace-collapsed:<point>`), its value without the expiry. */
export function collapseHoldName(point: string): string {
  return `keyspace-collapsed:${point}`;
}

/** The hold of a keyspace collapse at `point` (taken at `at`): expires `days` after it. */
export function collapseHoldValue(point: string, at: Date, days: number = DEFAULT_COLLAPSE_HOLD_DAYS): string {
  return `${collapseHoldName(point)} until=${isoTime(new Date(at.getTime() + days * DAY))}`;
}

/** An operator's hold: the reason made tag-safe, the whole cut to 256 characters. */
export function operatorHoldValue(o: { readonly reason: string; readonly until: Date; readonly by: string }): string {
  const by = tagSafe(o.by).replace(/ /g, '_') || 'unknown';
  return `held until=${isoTime(o.until)} by=${by} reason=${tagSafe(o.reason)}`.slice(0, MAX_VALUE);
}

/** What a recorded hold value says. Any other value is a hold whose text is its reason, with no expiry. */
export function parseHold(value: string): Hold {
  const c = COLLAPSE.exec(value);
  if (c) {
    const expiresAt = date(c[2]);
    return { reason: `keyspace-collapse hold (${c[1]})`, collapsedPoint: c[1]!, ...(expiresAt ? { expiresAt } : {}) };
  }
  const o = OPERATOR.exec(value);
  if (o) {
    const expiresAt = date(o[1]);
    const reason = o[3]!.trim();
    return { by: o[2]!, ...(reason ? { reason } : {}), ...(expiresAt ? { expiresAt } : {}) };
  }
  return value.trim() ? { reason: value.trim() } : {};
}

/**
 * Checks an operator's hold before it is written: one line naming the
 * field, the value and the fix. `until` is the text given (`--until`).
 * @returns the expiry
 * @throws Error when the reason is blank, or `until` is not a date or not after `now`
 */
export function checkOperatorHold(reason: string | undefined, until: string | undefined, now: Date): Date {
  if (!reason?.trim() || !tagSafe(reason)) {
    throw new Error(`--reason ${JSON.stringify(reason ?? '')}: a hold needs a reason (who asked, why: "legal hold, case 1234"), so an auditor can judge it`);
  }
  const at = until === undefined ? undefined : /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/.test(until) ? date(until) : undefined;
  // Date rolls 2027-02-30 over to March 2: the day written must be the day read.
  if (!at || at.toISOString().slice(0, 10) !== until!.slice(0, 10))
    throw new Error(`--until ${JSON.stringify(until ?? '')} is not a date: write YYYY-MM-DD (UTC) or an ISO time like 2027-01-31T00:00:00Z`);
  if (at.getTime() <= now.getTime()) {
    throw new Error(`--until ${until} has passed (now ${isoTime(now)}): a hold ends in the future; give a later date`);
  }
  return at;
}
