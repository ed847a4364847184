/**
 * Maximum retention (PCI DSS requirement 3, GDPR storage limitation): no
 * copy kept past it unless a hold keeps it, and every such hold with a
 * reason and an expiry still ahead. One line per copy past the maximum: FAIL
 * when nothing holds it, or its hold has no reason, no expiry or one that
 * has passed; pass (listed, with the hold) otherwise. Pure.
 */
import type { AuditResult, RetainedCopy } from './model.js';

const DAY = 86_400_000;
const isoTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The copies kept past `maxDays` at `until`, each judged with its hold. */
export function maxRetentionAudits(copies: readonly RetainedCopy[], maxDays: number, until: Date): AuditResult[] {
  // A copy's own maximum (its plan's) wins over the report's.
  const past = (c: RetainedCopy) => c.at.getTime() < until.getTime() - (c.maxDays ?? maxDays) * DAY;
  return copies
    .filter(past)
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((c) => {
      const age = Math.floor((until.getTime() - c.at.getTime()) / DAY);
      const what = `${c.cache} ${c.where}: ${age} days old, past the maximum retention of ${c.maxDays ?? maxDays} days`;
      const h = c.hold;
      const fail = (why: string): AuditResult => ({ check: 'hold', subject: c.point, verdict: 'fail', why: `${what}; ${why}` });
      if (!h)
        return {
          check: 'max-retention',
          subject: c.point,
          verdict: 'fail',
          why: `${what}, and no hold keeps it: delete it, or hold it with a reason and an expiry`,
        };
      if (!h.reason?.trim()) return fail('held without a reason: say why it is kept (a legal hold, an incident) or release it');
      if (!h.expiresAt) return fail(`held (${h.reason}) without an expiry: give the hold an end, or release it`);
      if (h.expiresAt <= until)
        return fail(
          `held (${h.reason}) until ${isoTime(h.expiresAt)}, which has passed (retention still keeps it until released): decide: release it, or renew the hold with a reason and a new expiry`,
        );
      const by = h.by !== undefined ? ` by ${h.by}` : '';
      return { check: 'hold', subject: c.point, verdict: 'pass', why: `${what}; held${by} (${h.reason}) until ${isoTime(h.expiresAt)}` };
    });
}
