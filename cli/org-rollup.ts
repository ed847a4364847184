/**
 * The organization's roll-up in a terminal (lambdas/domain/org/rollup.ts),
 * printed the same by `report --org` and `status --org`; the exit code:
 * 0 every account ok; 1 an account failed a control, its report is older
 * than its period, or the tree is empty; 2 a record is no report (named).
 */
import type { AccountRollup, OrgRollup } from '../lambdas/domain/org/rollup.js';

const pct = (share: number | null) => (share === null ? 'n/a' : `${Math.round(share * 1000) / 10}%`);

/** An account's line when it is not ok. */
function line(a: AccountRollup): string {
  const word = a.state === 'malformed' ? 'MALFORMED' : 'FAIL';
  return `  ${word} ${a.account} ${a.region} ${a.state}: ${a.why} (${a.key})\n`;
}

/** The roll-up in a terminal (and the files written); the exit code. */
export function printRollup(r: OrgRollup, written: readonly string[]): number {
  const ok = r.accounts.length - r.failing;
  process.stdout.write(
    `org: ${new Set(r.accounts.map((a) => a.account)).size} account(s), ${r.accounts.length} account-region report(s), ${ok} ok, ${r.failing} not; ${r.caches} cache(s): ${pct(r.verifiedShare)} with a verified copy within the RPO, ${pct(r.drilledShare)} drilled within the RTO\n` +
      r.accounts
        .filter((a) => a.state !== 'ok')
        .map(line)
        .join('') +
      written.map((f) => `  wrote ${f}\n`).join(''),
  );
  if (r.accounts.some((a) => a.state === 'malformed')) return 2;
  return r.failing > 0 || r.accounts.length === 0 ? 1 : 0;
}
