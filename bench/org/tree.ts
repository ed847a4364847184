/**
 * A synthetic organization evidence tree in the format the stacks write:
 * per account and region, scheduled reports built by the report's own code
 * (buildReport, reportJson) under `<account>/<region>/reports/weekly/<stamp>Z/report.json`,
 * and a selftest record (lambdas/domain/selftest/steps.ts) under
 * `<account>/<region>/selftest/<time>.json`. Used by `npm run bench:org`,
 * `npm run demo -- --org` and the roll-up's tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildReport } from '../../lambdas/domain/report/build.js';
import type { CacheFacts, DrillFact, ReportFacts } from '../../lambdas/domain/report/model.js';
import { reportJson } from '../../lambdas/domain/report/render.js';
import { reportKeyPrefix, reportPeriod } from '../../lambdas/domain/report/input.js';
import { accountRegionPrefix } from '../../lambdas/domain/points/account-prefix.js';
import { type SelftestRecord, selftestRecordKey } from '../../lambdas/domain/selftest/steps.js';

/** What an account of the tree is like. */
export type AccountKind = 'ok' | 'failing-drill' | 'stale' | 'malformed' | 'missing' | 'selftest-failed' | 'drifted';

export interface TreeShape {
  readonly accounts: number;
  readonly regions: number;
  readonly caches: number;
  /** The newest report's end (the other reports are the weeks before). */
  readonly now: Date;
  /** Reports per account and region (weeks). @default 2 */
  readonly weeks?: number;
  /** The kind of account `i` (0-based). @default every account ok */
  readonly kindOf?: (i: number) => AccountKind;
  /** Tier of cache `c` of an account (its plan). @default gold */
  readonly tierOf?: (c: number) => string;
}

/** An account's evidence beyond its caches: unprotected and unprotectable caches (every tenth account has some). */
const coverage = (account: string) =>
  Number(account.slice(-1)) === 5
    ? { unprotected: ['legacy-sessions'], unprotectable: [{ cache: 'tiered-cache', why: 'data tiering (r6gd): ElastiCache takes no snapshot of it' }] }
    : { unprotected: [], unprotectable: [] };

const HOUR = 3_600_000;

/** The `i`-th account id (12 digits). */
export const accountId = (i: number) => String(100000000000 + i);

/** One region's weekly report of an account, as the scheduled report writes it. */
function report(account: string, region: string, caches: number, until: Date, kind: AccountKind, tierOf: (c: number) => string): string {
  const { since } = reportPeriod('weekly', until);
  const facts: CacheFacts[] = Array.from({ length: caches }, (_, c) => {
    const points = Array.from({ length: 84 }, (_, p) => ({ name: `rdr-cache-${c}-${p}`, at: new Date(until.getTime() - p * 2 * HOUR - HOUR), tier: 'hourly' }));
    return {
      cache: `cache-${region}-${c}`,
      plan: tierOf(c),
      rpoMinutes: 180,
      timeZone: 'UTC',
      retentionDays: 35,
      points,
      drCopies: points.slice(0, 12).map((p) => ({ key: `${p.name}-0001.rdb`, at: new Date(p.at.getTime() + HOUR), verdict: 'ok' as const })),
      drCopyLimitMinutes: 300,
      rtoTargetSeconds: tierOf(c) === 'gold' ? 1800 : 3600,
    };
  });
  const drills: DrillFact[] = facts.map((f, c) => ({
    cache: f.cache,
    plan: f.plan,
    region,
    startedAt: new Date(until.getTime() - 24 * HOUR),
    passed: kind !== 'failing-drill',
    // RTOs spread per cache and account (a distribution to show), a few over the gold target.
    rtoSeconds: 600 + ((Number(account.slice(-1)) * 7 + c * 131) % 1500),
    ...(kind === 'failing-drill' ? { reason: 'verify: expected key config:feature-flags missing' } : {}),
  }));
  const input: ReportFacts = {
    deployment: `org-${TEMPLATE}`,
    generatedAt: until,
    since,
    until,
    caches: facts,
    ...coverage(account),
    drills,
    alarms: [],
    holds: [],
    minRetentionDays: 30,
  };
  return reportJson(buildReport(input));
}

/**
 * The selftest record an account's operator wrote after its deploy (failed: its drill step's role lost a permission),
 * with its stacks' drift as DescribeStacks said it (drifted: CloudFormation's last detection found the DR stack DRIFTED).
 */
function selftest(account: string, at: Date, kind: AccountKind): string {
  const failed = kind === 'selftest-failed';
  const checkedAt = new Date(at.getTime() - 3_600_000).toISOString();
  const record: SelftestRecord = {
    kind: 'redis-dr-selftest',
    version: 1,
    deployment: `org-${account}`,
    startedAt: at.toISOString(),
    finishedAt: new Date(at.getTime() + 600_000).toISOString(),
    regions: 'both',
    verdict: failed ? 'failed' : 'passed',
    steps: [
      { step: 'preflight', region: 'eu-central-1', verdict: 'passed', seconds: 2, detail: 'stacks deployed' },
      failed
        ? {
            step: 'drill dr',
            region: 'eu-central-1',
            verdict: 'failed',
            seconds: 40,
            detail: 'restore refused',
            cause: 'access denied: redis-dr-drill lacks elasticache:CreateReplicationGroup',
            fix: 'deploy the stacks again (npx cdk deploy --all)',
          }
        : { step: 'drill dr', region: 'eu-central-1', verdict: 'passed', seconds: 900, detail: 'restored and verified' },
    ],
    stacks: [
      { stack: `RedisDr-org-${account}-Primary`, region: 'eu-west-1', drift: 'IN_SYNC', checkedAt },
      { stack: `RedisDr-org-${account}-Dr`, region: 'eu-central-1', drift: kind === 'drifted' ? 'DRIFTED' : 'IN_SYNC', checkedAt },
    ],
  };
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** The org config of the tree's first `accounts` accounts (one OU), for `--org-config`: an account of it with no evidence is MISSING. */
export function orgConfigOf(accounts: number): object {
  return {
    name: 'bench',
    regions: { primary: 'eu-west-1', dr: 'eu-central-1' },
    vault: { account: '999999999999', region: 'eu-central-1', organizationId: 'o-exampleorg1' },
    root: { defaultTier: 'gold', tiers: { gold: { rpoMinutes: 180, drill: { enabled: true, rtoMinutes: 30 } }, silver: { rpoMinutes: 240 } } },
    organizationalUnits: [{ id: 'ou-ex12-prod0001', name: 'prod', accounts: Array.from({ length: accounts }, (_, i) => accountId(i)) }],
  };
}

/** Stands for the account in a report built once and written for every account alike (building each report alone took hours at 300 × 2 × 13). */
const TEMPLATE = 'ACCOUNT-ID';

/** Writes the tree under `dir`; the number of report objects written. */
export function writeTree(dir: string, shape: TreeShape): number {
  let written = 0;
  // Reports depend on the account only through its last digit (RTOs, coverage) and its name: built once per kind of each.
  const built = new Map<string, string>();
  const reportOf = (account: string, region: string, until: Date, kind: AccountKind) => {
    const at = `${account.slice(-1)}|${region}|${until.getTime()}|${kind}`;
    const body = built.get(at) ?? report(account, region, shape.caches, until, kind, tierOf);
    built.set(at, body);
    return body.replaceAll(`org-${TEMPLATE}`, `org-${account}`);
  };
  const weeks = shape.weeks ?? 2;
  const tierOf = shape.tierOf ?? (() => 'gold');
  for (let i = 0; i < shape.accounts; i++) {
    const account = accountId(i);
    const kind = shape.kindOf?.(i) ?? 'ok';
    // A missing account's stack never wrote anything.
    if (kind === 'missing') continue;
    // A stale account's scheduled report stopped 3 weeks ago.
    const newest = kind === 'stale' ? new Date(shape.now.getTime() - 21 * 24 * HOUR) : shape.now;
    for (let r = 0; r < shape.regions; r++) {
      const region = ['eu-central-1', 'us-east-1', 'ap-southeast-2'][r % 3]!;
      for (let w = 0; w < weeks; w++) {
        const until = new Date(newest.getTime() - w * 7 * 24 * HOUR);
        // The scheduled report's own key of the organization's copy (lambdas/domain/report/input.ts), as a path.
        const prefix = `${accountRegionPrefix(account, region)}${reportKeyPrefix('weekly', until)}`;
        const key = `${prefix}report.json`;
        mkdirSync(join(dir, prefix), { recursive: true });
        const body = kind === 'malformed' && w === 0 && r === 0 ? '{"deployment": "broken", "caches": "not a list"}' : reportOf(account, region, until, kind);
        writeFileSync(join(dir, key), body);
        written++;
      }
      const at = new Date(newest.getTime() - 3 * 24 * HOUR);
      const selftestKey = `${accountRegionPrefix(account, region)}${selftestRecordKey(at)}`;
      mkdirSync(dirname(join(dir, selftestKey)), { recursive: true });
      writeFileSync(join(dir, selftestKey), selftest(account, at, kind));
    }
  }
  return written;
}
