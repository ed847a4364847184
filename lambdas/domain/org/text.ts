/**
 * The organization's roll-up as terminal lines (`report --org`, `status
 * --org`, `npm run demo -- --org`): the headline figures, then a FAIL (or
 * MISSING, MALFORMED) line per account and region that is not ok. Pure.
 */
import { readableSeconds } from '../report/readable.js';
import type { OrgRollup } from './figures.js';
import type { AccountRollup } from './rollup.js';

/** A share as a percentage, `n/a` without caches. */
export const pct = (share: number | null) => (share === null ? 'n/a' : `${Math.round(share * 1000) / 10}%`);

/** The word a line that is not ok starts with. */
export function lineWord(a: AccountRollup): 'FAIL' | 'MISSING' | 'MALFORMED' | 'OK' {
  return a.state === 'ok' ? 'OK' : a.state === 'malformed' ? 'MALFORMED' : a.state === 'missing' ? 'MISSING' : 'FAIL';
}

/** The lines not ok: MALFORMED, MISSING and FAIL first, in that order (what to act on first), each by account and region. */
export function problemLines(r: OrgRollup): AccountRollup[] {
  const rank = { malformed: 0, missing: 1, stale: 2, fail: 3, ok: 4 } as const;
  return r.accounts.filter((a) => a.state !== 'ok').sort((a, b) => rank[a.state] - rank[b.state]);
}

/** The roll-up's terminal text, one figure or line per row. */
export function rollupText(r: OrgRollup): string[] {
  const ok = r.accounts.length - r.failing;
  const tiers = r.rtoByTier.map(
    (t) =>
      `${t.tier} ${t.drills} drill(s)${t.drills > 0 ? ` p50 ${readableSeconds(t.p50Seconds)} p90 ${readableSeconds(t.p90Seconds)} max ${readableSeconds(t.maxSeconds)}` : ''}` +
      `${t.targetSeconds !== null ? ` (target ${readableSeconds(t.targetSeconds)}, ${t.overTarget} over)` : ''}`,
  );
  const u = r.oldestUnverified;
  const s = r.stacks;
  return [
    `org: ${new Set(r.accounts.map((a) => a.account)).size} account(s), ${r.accounts.length} account-region report(s), ${ok} ok, ${r.failing} not; ${r.caches} cache(s): ${pct(r.verifiedShare)} with a verified copy within the RPO, ${pct(r.drilledShare)} drilled within the RTO`,
    `  drilled (a drill that passed): ${pct(r.drilled30Share)} in the last 30 days, ${pct(r.drilled90Share)} in the last 90`,
    `  RTO per tier: ${tiers.length > 0 ? tiers.join('; ') : 'no drill'}`,
    `  oldest unverified copy: ${u ? `${u.account} ${u.region} ${u.cache} ${u.key} (${u.verdict}, ${u.at})` : 'none'}`,
    `  caches unprotected: ${r.unprotected}, unprotectable: ${r.unprotectable}`,
    `  stacks: ${s.missing} missing, ${s.drifted} drifted (CloudFormation), ${s.stopped} stopped reporting, ${s['selftest-failed']} failing their selftest, ${s['no-selftest']} without a selftest, ${s.ok} ok`,
    ...r.malformed.map((m) => `  MALFORMED ${m.key}: ${m.why}`),
    ...problemLines(r).map((a) => `  ${lineWord(a)} ${a.account} ${a.region} ${a.state}: ${a.why}${a.key ? ` (${a.key})` : ''}`),
  ];
}
