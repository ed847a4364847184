/**
 * A synthetic organization evidence tree in the format the stacks write:
 * per account and region, scheduled reports built by the report's own code
 * (buildReport, reportJson) under `<account>/<region>/reports/weekly/<stamp>Z/report.json`.
 * Used by `npm run bench:org` and the roll-up's tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from '../../lambdas/domain/report/build.js';
import type { CacheFacts, DrillFact, ReportFacts } from '../../lambdas/domain/report/model.js';
import { reportJson } from '../../lambdas/domain/report/render.js';
import { reportKeyPrefix, reportPeriod } from '../../lambdas/domain/report/input.js';
import { accountRegionPrefix } from '../../lambdas/domain/points/account-prefix.js';

/** What an account of the tree is like. */
export type AccountKind = 'ok' | 'failing-drill' | 'stale' | 'malformed';

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
}

const HOUR = 3_600_000;

/** The `i`-th account id (12 digits). */
export const accountId = (i: number) => String(100000000000 + i);

/** One region's weekly report of an account, as the scheduled report writes it. */
function report(account: string, region: string, caches: number, until: Date, kind: AccountKind): string {
  const { since } = reportPeriod('weekly', until);
  const facts: CacheFacts[] = Array.from({ length: caches }, (_, c) => {
    const points = Array.from({ length: 84 }, (_, p) => ({ name: `rdr-cache-${c}-${p}`, at: new Date(until.getTime() - p * 2 * HOUR - HOUR), tier: 'hourly' }));
    return {
      cache: `cache-${region}-${c}`,
      plan: 'gold',
      rpoMinutes: 180,
      timeZone: 'UTC',
      retentionDays: 35,
      points,
      drCopies: points.slice(0, 12).map((p) => ({ key: `${p.name}-0001.rdb`, at: new Date(p.at.getTime() + HOUR), verdict: 'ok' as const })),
      drCopyLimitMinutes: 300,
      rtoTargetSeconds: 3600,
    };
  });
  const drills: DrillFact[] = facts.map((f) => ({
    cache: f.cache,
    plan: 'gold',
    region,
    startedAt: new Date(until.getTime() - 24 * HOUR),
    passed: kind !== 'failing-drill',
    rtoSeconds: 900,
    ...(kind === 'failing-drill' ? { reason: 'verify: expected key config:feature-flags missing' } : {}),
  }));
  const input: ReportFacts = {
    deployment: `org-${account}`,
    generatedAt: until,
    since,
    until,
    caches: facts,
    unprotected: [],
    unprotectable: [],
    drills,
    alarms: [],
    holds: [],
    minRetentionDays: 30,
  };
  return reportJson(buildReport(input));
}

/** Writes the tree under `dir`; the number of report objects written. */
export function writeTree(dir: string, shape: TreeShape): number {
  let written = 0;
  const weeks = shape.weeks ?? 2;
  for (let i = 0; i < shape.accounts; i++) {
    const account = accountId(i);
    const kind = shape.kindOf?.(i) ?? 'ok';
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
        const body =
          kind === 'malformed' && w === 0 && r === 0 ? '{"deployment": "broken", "caches": "not a list"}' : report(account, region, shape.caches, until, kind);
        writeFileSync(join(dir, key), body);
        written++;
      }
    }
  }
  return written;
}
