/**
 * The organization's roll-up (issue 52 item 4): every account's newest
 * scheduled report in each region it reports from, read from an evidence
 * tree where each account writes under its own prefix,
 * `<account>/<region>/reports/<period>/<yyyy-mm-ddThhmmZ>/report.json` (the
 * layout lambdas/domain/report/input.ts gives a bucket, under the account and
 * the region: the org vault's policy holds each account to `<account>/`).
 * Pure: the job lists and reads, this judges.
 *
 * An account whose newest report is older than its period (plus a day's
 * grace) is a FAIL line, never skipped; a record that is not a report is
 * named, and the rest is still rolled up.
 */
import { z } from 'zod';
import { splitAccountKey } from '../points/account-prefix.js';
import { REPORTS_PREFIX } from '../report/input.js';

/** The rest of a report key of the tree after `<account>/<region>/` (domain/points/account-prefix.ts): `reports/<period>/<stamp>Z/report.json`. */
const REST = new RegExp(`^${REPORTS_PREFIX}(weekly|monthly)/(\\d{4}-\\d{2}-\\d{2}T\\d{4})Z/report\\.json$`);

/** The report fields the roll-up reads (the rest of the report is the account's own business). */
export const reportRecordSchema = z.object({
  deployment: z.string().min(1),
  until: z.iso.datetime(),
  caches: z.array(
    z.object({
      facts: z.object({ cache: z.string().min(1), plan: z.string().optional() }),
      controls: z.array(z.object({ control: z.string(), verdict: z.enum(['pass', 'fail', 'n/a']), why: z.string() })),
    }),
  ),
  unprotected: z.array(z.unknown()).optional(),
  unprotectable: z.array(z.unknown()).optional(),
});

/** A report object of the tree, by its key. */
export interface ReportKey {
  readonly account: string;
  readonly region: string;
  readonly period: 'weekly' | 'monthly';
  readonly until: Date;
  readonly key: string;
}

/** The key's account, period and end; undefined for any other object of the tree. */
export function parseReportKey(key: string): ReportKey | undefined {
  const at = splitAccountKey(key);
  const m = at && REST.exec(at.rest);
  if (!at || !m) return undefined;
  const until = new Date(`${m[2]!.slice(0, 13)}:${m[2]!.slice(13)}:00Z`);
  return Number.isNaN(until.getTime()) ? undefined : { account: at.account, region: at.region, period: m[1] as 'weekly' | 'monthly', until, key };
}

/** Per account and region, its newest report key of any period (the one the roll-up reads). */
export function newestPerAccount(keys: readonly string[]): ReportKey[] {
  const newest = new Map<string, ReportKey>();
  for (const key of keys) {
    const k = parseReportKey(key);
    if (!k) continue;
    const seen = newest.get(`${k.account}/${k.region}`);
    if (!seen || k.until > seen.until) newest.set(`${k.account}/${k.region}`, k);
  }
  return [...newest.values()].sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region));
}

/** An account's line, per region it reports from. */
export interface AccountRollup {
  readonly account: string;
  readonly region: string;
  /** ok: a fresh report whose controls pass; fail: a control failed; stale: the newest report is older than its period; malformed: not a report. */
  readonly state: 'ok' | 'fail' | 'stale' | 'malformed';
  readonly key: string;
  readonly until: string;
  readonly deployment: string | null;
  readonly caches: number;
  /** Caches whose cross-region copy control passed (a verified copy within the RPO). */
  readonly verified: number;
  /** Caches whose restore-time control passed (drilled within the period, within the RTO). */
  readonly drilled: number;
  readonly unprotected: number;
  /** Why the line is not ok. */
  readonly why: string | null;
}

/** The organization's roll-up. */
export interface OrgRollup {
  readonly generatedAt: string;
  readonly accounts: readonly AccountRollup[];
  readonly caches: number;
  /** Share (0–1) of the caches of readable reports with a verified copy within the RPO (a stale report's count as not); null with no cache. */
  readonly verifiedShare: number | null;
  readonly drilledShare: number | null;
  /** Lines (account and region) not ok. */
  readonly failing: number;
}

const DAY = 86_400_000;
/** How old a report of a period may be before the account is stale: its period and a day (the schedule runs at the period's end). */
const FRESH_MS = { weekly: 8 * DAY, monthly: 32 * DAY } as const;

/** One account's line from its newest report's key and body (parsed JSON, or what failed to parse). */
export function accountLine(k: ReportKey, body: unknown, now: Date): AccountRollup {
  const base = { account: k.account, region: k.region, key: k.key, until: k.until.toISOString() };
  const parsed = reportRecordSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const why = `not a report: ${issue.path.join('.') || '(the object)'}: ${issue.message}`;
    return { ...base, state: 'malformed', deployment: null, caches: 0, verified: 0, drilled: 0, unprotected: 0, why };
  }
  const r = parsed.data;
  const passed = (control: string) => r.caches.filter((c) => c.controls.some((x) => x.control === control && x.verdict === 'pass')).length;
  const failed = r.caches.flatMap((c) => c.controls.filter((x) => x.verdict === 'fail').map((x) => `${c.facts.cache} ${x.control}`));
  const age = now.getTime() - k.until.getTime();
  const stale = age > FRESH_MS[k.period];
  const line = {
    ...base,
    deployment: r.deployment,
    caches: r.caches.length,
    verified: passed('cross-region-copy'),
    drilled: passed('restore-time'),
    unprotected: r.unprotected?.length ?? 0,
  };
  if (stale)
    return {
      ...line,
      state: 'stale',
      why: `newest report (${k.period}) is ${Math.floor(age / DAY)} days old, over its period: the account's scheduled report stopped`,
    };
  if (failed.length > 0)
    return { ...line, state: 'fail', why: `${failed.length} control(s) failed: ${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ', …' : ''}` };
  return { ...line, state: 'ok', why: null };
}

/** The roll-up of every account's line. */
export function rollUp(lines: readonly AccountRollup[], now: Date): OrgRollup {
  const read = lines.filter((l) => l.state !== 'malformed');
  const caches = read.reduce((n, l) => n + l.caches, 0);
  // A stale report vouches for nothing now: its caches count, as neither verified nor drilled.
  const fresh = read.filter((l) => l.state !== 'stale');
  const share = (n: number) => (caches === 0 ? null : n / caches);
  return {
    generatedAt: now.toISOString(),
    accounts: lines,
    caches,
    verifiedShare: share(fresh.reduce((n, l) => n + l.verified, 0)),
    drilledShare: share(fresh.reduce((n, l) => n + l.drilled, 0)),
    failing: lines.filter((l) => l.state !== 'ok').length,
  };
}
