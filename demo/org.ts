/**
 * `npm run demo -- --org --out <dir>`: an organization of three accounts in
 * one folder, then its roll-up (docs/org.md). Each account's month is
 * simulated (demo/history.ts, the single-account demo's history: a plan's
 * schedule, DR copies with one found corrupt, weekly drills) and written as
 * its stacks write their evidence: the weekly scheduled reports
 * (`<account>/<region>/reports/weekly/<end>Z/report.{json,html}` and
 * `csv/`, built by the report's own code) and the selftest record
 * (`<account>/<region>/selftest/<time>.json`). One account is ok, one's
 * newest drill failed, one's stack is missing (the org config lists it, the
 * tree has nothing of it). Then `redis-dr report --org` over the tree, with
 * the org config, leaves `org-report.html`, `.json` and `.csv` in `<dir>`.
 * No Redis runs here: `npm run demo` without `--org` runs one account for real.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportFiles, writeReportFiles } from '../lambdas/adapters/host/report-files.js';
import { type OrgRollup, rollupExitCode } from '../lambdas/domain/org/figures.js';
import { rollupText } from '../lambdas/domain/org/text.js';
import { buildReport } from '../lambdas/domain/report/build.js';
import { reportKeyPrefix, reportPeriod } from '../lambdas/domain/report/input.js';
import type { CacheFacts, DrillFact, ReportFacts } from '../lambdas/domain/report/model.js';
import { reportCsv, reportHtml, reportJson } from '../lambdas/domain/report/render.js';
import { type SelftestRecord, selftestRecordKey } from '../lambdas/domain/selftest/steps.js';
import { expectedAccounts, orgReport } from '../lambdas/jobs/org/rollup.js';
import { simulatedMonth } from './history.js';

/** The organization's DR region: where each account's DR stack writes its reports. */
const REGION = 'eu-central-1';
const DAY = 86_400_000;

/** The demo's three accounts: what each is like. */
export const ORG_DEMO_ACCOUNTS = [
  {
    id: '111111111111',
    name: 'payments',
    kind: 'ok',
    caches: [
      ['ledger', 'gold'],
      ['sessions', 'silver'],
    ],
  },
  {
    id: '222222222222',
    name: 'checkout',
    kind: 'failing-drill',
    caches: [
      ['carts', 'gold'],
      ['pricing', 'silver'],
    ],
  },
  { id: '333333333333', name: 'analytics', kind: 'missing', caches: [] },
] as const;

/** The org config of the three accounts (docs/org.md): gold and silver tiers, one OU. */
export function orgDemoConfig(): object {
  return {
    name: 'demo-org',
    regions: { primary: 'eu-west-1', dr: REGION },
    vault: { account: '999999999999', region: REGION, organizationId: 'o-demoorg0001' },
    root: {
      defaultTier: 'silver',
      tiers: {
        gold: { rpoMinutes: 150, export: { enabled: true }, drill: { enabled: true, everyDays: 7, rtoMinutes: 30 } },
        silver: { rpoMinutes: 240, export: { enabled: true }, drill: { enabled: true, everyDays: 7, rtoMinutes: 60 } },
      },
    },
    organizationalUnits: [{ id: 'ou-demo-prod0001', name: 'prod', accounts: ORG_DEMO_ACCOUNTS.map((a) => a.id) }],
  };
}

/** One account's facts over the month before `until`: per cache the simulated history; a failing account's newest drill failed. */
function accountFacts(account: (typeof ORG_DEMO_ACCOUNTS)[number], until: Date): Omit<ReportFacts, 'since' | 'until' | 'generatedAt'> {
  const caches: CacheFacts[] = [];
  const drills: DrillFact[] = [];
  for (const [cache, tier] of account.caches) {
    const rtoTargetSeconds = tier === 'gold' ? 1800 : 3600;
    const month = simulatedMonth({
      until,
      cache,
      plan: tier,
      schedule: { cron: 'cron(0 0/2 * * ? *)', timeZone: 'UTC' },
      drillCron: 'cron(0 3 ? * MON *)',
      drillRegion: REGION,
      keys: 5000,
      rtoTargetSeconds,
    });
    const last = month.drills.at(-1);
    const failedLast =
      last && account.kind === 'failing-drill'
        ? [{ ...last, passed: false, reason: 'verify: expected key config:feature-flags missing (a shard restored short)' }]
        : [];
    drills.push(...(failedLast.length > 0 ? [...month.drills.slice(0, -1), ...failedLast] : month.drills));
    caches.push({
      cache,
      plan: tier,
      rpoMinutes: tier === 'gold' ? 150 : 240,
      timeZone: 'UTC',
      retentionDays: 35,
      points: month.points,
      drCopies: month.drCopies,
      drCopyLimitMinutes: (tier === 'gold' ? 150 : 240) + 120,
      rtoTargetSeconds,
    });
  }
  const unprotectable = account.kind === 'failing-drill' ? [{ cache: 'recs-tiered', why: 'data tiering (r6gd): ElastiCache takes no snapshot of it' }] : [];
  return { deployment: `demo-org-${account.name}`, caches, unprotected: [], unprotectable, drills, alarms: [], holds: [], minRetentionDays: 30 };
}

/** The selftest record the account's operator wrote after the deploy (it passed). */
function selftest(deployment: string, at: Date): SelftestRecord {
  return {
    kind: 'redis-dr-selftest',
    version: 1,
    deployment,
    startedAt: at.toISOString(),
    finishedAt: new Date(at.getTime() + 900_000).toISOString(),
    regions: 'both',
    verdict: 'passed',
    steps: [{ step: 'drill dr', region: REGION, verdict: 'passed', seconds: 840, detail: 'restored the newest verified copy and verified it' }],
  };
}

/** Writes every account's evidence under `tree` as its stacks write it: four weekly reports and a selftest record each. */
export async function writeOrgDemoTree(tree: string, now: Date): Promise<string[]> {
  const written: string[] = [];
  for (const account of ORG_DEMO_ACCOUNTS) {
    if (account.kind === 'missing') continue;
    const facts = accountFacts(account, now);
    for (let w = 0; w < 4; w++) {
      const { since, until } = reportPeriod('weekly', new Date(now.getTime() - w * 7 * DAY));
      const report = buildReport({ ...facts, since, until, generatedAt: until, simulated: 'demo organization: the month is simulated (demo/history.ts)' });
      const prefix = join(tree, account.id, REGION, reportKeyPrefix('weekly', until));
      written.push(
        ...(await writeReportFiles(
          reportFiles(
            { html: join(prefix, 'report.html'), json: join(prefix, 'report.json'), csvDir: join(prefix, 'csv') },
            reportHtml(report),
            reportJson(report),
            reportCsv(report),
          ),
        )),
      );
    }
    const at = new Date(now.getTime() - 5 * DAY);
    const key = join(tree, account.id, REGION, selftestRecordKey(at));
    mkdirSync(join(tree, account.id, REGION, 'selftest'), { recursive: true });
    writeFileSync(key, `${JSON.stringify(selftest(facts.deployment, at), null, 2)}\n`);
    written.push(key);
  }
  return written;
}

/** The org demo's outcome: the roll-up and its exit code (1: the roll-up has FAIL lines, as this organization does). */
export interface OrgDemoResult {
  readonly rollup: OrgRollup;
  readonly exitCode: number;
  readonly files: readonly string[];
}

/** Runs the org demo into `out`, saying each line. */
export async function runOrgDemo(o: { readonly out: string; readonly say: (line: string) => void; readonly now?: Date }): Promise<OrgDemoResult> {
  const now = o.now ?? new Date();
  const tree = join(o.out, 'evidence');
  const config = join(o.out, 'org-config.json');
  mkdirSync(o.out, { recursive: true });
  writeFileSync(config, `${JSON.stringify(orgDemoConfig(), null, 2)}\n`);
  o.say(`org demo: 3 accounts (simulated month each) into ${tree}: ${ORG_DEMO_ACCOUNTS.map((a) => `${a.id} ${a.name} (${a.kind})`).join(', ')}`);
  const evidence = await writeOrgDemoTree(tree, now);
  o.say(`  wrote ${evidence.length} evidence objects; the org config is ${config}`);
  o.say(`$ redis-dr report --org --from file://${tree} --org-config ${config} --html … --json … --csv …`);
  const files = { html: join(o.out, 'org-report.html'), json: join(o.out, 'org-report.json'), csv: join(o.out, 'org-report.csv') };
  const { rollup, written } = await orgReport(`file://${tree}`, files, now, undefined, expectedAccounts(config));
  for (const line of [...rollupText(rollup), ...written.map((f) => `  wrote ${f}`)]) o.say(line);
  const exitCode = rollupExitCode(rollup);
  o.say(
    `exit ${exitCode}: ${exitCode === 0 ? 'every account ok' : exitCode === 1 ? 'the roll-up has FAIL lines (this organization has a failing drill and a missing stack)' : 'a record is malformed'}`,
  );
  return { rollup, exitCode, files: written };
}
