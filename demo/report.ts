/**
 * The demo's DR report (docs/reports.md): the report the scheduled function
 * and `redis-dr report -c` write, built from what this run made — its
 * caches against the plan (coverage), its recovery point (the backup with
 * its key count), its DR copy with the verifier's verdict (from the copy's
 * tags), the drill with its RTO by phase, the holds its backup store carries
 * — and written into the folder standing in for the DR bucket under
 * `reports/demo/<time>/` through the same writer (S3 PutObject, read back).
 * A run has minutes of history, so the 30 days before it are simulated
 * (demo/history.ts) and marked so on the report's top; the run's own facts
 * are the newest. With `--vault` the vault controls are judged from the
 * local vault's replica (its verifier's verdict, its COMPLIANCE lock). What
 * the demo has no source for (CloudWatch alarms) is marked not collected,
 * never an empty "none" that reads as a pass.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { PlanConfig } from '../lib/config/index.js';
import { DR_COPY_ALLOWANCE_MINUTES, planRetentionDays, reportSettings } from '../lib/deployment.js';
import type { RedisDrConfig } from '../lib/config/index.js';
import { buildReport } from '../lambdas/domain/report/build.js';
import { REPORTS_PREFIX } from '../lambdas/domain/report/input.js';
import type { CopyFact, DrillFact, DrReport } from '../lambdas/domain/report/model.js';
import { reportCsv, reportHtml, reportJson } from '../lambdas/domain/report/render.js';
import { TAGS } from '../lambdas/domain/plans/types.js';
import type { StoredBackup } from '../lambdas/domain/self-managed/backup.js';
import { backupHolds } from '../lambdas/jobs/report/self-managed.js';
import { writeBucketReport } from '../lambdas/jobs/report/write.js';
import { simulatedMonth } from './history.js';

/** What the run made, for its report. */
export interface DemoRun {
  readonly config: RedisDrConfig;
  readonly plan: PlanConfig;
  readonly target: string;
  /** The caches the run started (its source servers, by the names the plan would give them): coverage is judged on them. */
  readonly caches: readonly string[];
  /** Reads the run's backup store (the folder standing in for the export bucket): the holds its backups carry. Absent before the store exists. */
  readonly backups?: () => Promise<readonly StoredBackup[]>;
  readonly drRegion: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly point?: { readonly name: string; readonly at: Date; readonly keys: number; readonly tier?: string };
  /** The DR copy's key and its tags (the verifier's verdict among them). */
  readonly drCopy?: { readonly key: string; readonly tags: Readonly<Record<string, string>> };
  /** With --vault: the replica in the vault folder, its verifier's verdict and its COMPLIANCE lock. */
  readonly vaultCopy?: CopyFact;
  /**
   * Simulate the 30 days before the run (demo/history.ts), marked as simulated on the report.
   * @default true
   */
  readonly history?: boolean;
  /** The drill's report (what its Report step returned) and when it started. */
  readonly drill?: {
    readonly startedAt: Date;
    readonly ok: boolean;
    readonly rtoSeconds?: number;
    readonly restoreSeconds?: number;
    readonly verifySeconds?: number;
    readonly subject: string;
  };
}

/** Why the demo's report has no alarms section: its only source is CloudWatch, which the demo does not run. */
export const DEMO_ALARMS_NOT_COLLECTED =
  "the demo runs no CloudWatch: the deployment's alarms (freshness, lambda-errors, keyspace-collapsed…) exist in a deployed stack, and the scheduled report reads their history there";

/** The prefix of the demo's report in the DR bucket. */
export function demoReportPrefix(at: Date): string {
  return `${REPORTS_PREFIX}demo/${at.toISOString().slice(0, 19).replaceAll(':', '')}Z/`;
}

/** Builds the run's report and writes it (HTML, JSON, CSV) into the DR bucket; the report and the keys written. */
export async function writeDemoReport(run: DemoRun, s3: S3Client, bucket: string): Promise<{ report: DrReport; keys: string[]; prefix: string }> {
  const verified = run.drCopy?.tags[TAGS.verified];
  const drCopies: CopyFact[] = run.drCopy
    ? [
        {
          key: run.drCopy.key,
          at: new Date(run.drCopy.tags[TAGS.created] ?? run.startedAt.toISOString()),
          verdict: verified === 'ok' ? 'ok' : verified === 'corrupt' ? 'corrupt' : verified === 'unsupported' ? 'unsupported' : 'pending',
        },
      ]
    : [];
  const drills: DrillFact[] = run.drill
    ? [
        {
          cache: run.target,
          plan: run.plan.name,
          region: `${run.drRegion} (dr)`,
          startedAt: run.drill.startedAt,
          // Started by whoever ran `npm run demo`, not by a schedule.
          trigger: 'manual',
          passed: run.drill.ok,
          ...(run.drill.rtoSeconds !== undefined ? { rtoSeconds: run.drill.rtoSeconds } : {}),
          phases: {
            ...(run.drill.restoreSeconds !== undefined ? { restore: run.drill.restoreSeconds } : {}),
            ...(run.drill.verifySeconds !== undefined ? { verify: run.drill.verifySeconds } : {}),
          },
          ...(run.drill.ok ? {} : { reason: run.drill.subject }),
        },
      ]
    : [];
  const month =
    run.history === false
      ? undefined
      : simulatedMonth({
          until: run.startedAt,
          cache: run.target,
          plan: run.plan.name,
          schedule: run.plan.schedule,
          drillCron: run.plan.drill.schedule.cron,
          drillRegion: `${run.drRegion} (dr)`,
          keys: run.point?.keys ?? 5000,
          rtoTargetSeconds: run.plan.drill.rtoMinutes * 60,
          ...(run.config.vault ? { vaultDays: run.config.vault.retentionDays } : {}),
        });
  const inPlan = (cache: string) =>
    run.config.plans.some((p) => (p.targets.replicationGroupIds ?? []).includes(cache) || (p.targets.serverlessCacheNames ?? []).includes(cache));
  const backups = run.backups ? await run.backups() : undefined;
  const report = buildReport({
    deployment: run.config.name,
    generatedAt: run.endedAt,
    since: month?.since ?? run.startedAt,
    until: run.endedAt,
    caches: [
      {
        cache: run.target,
        plan: run.plan.name,
        rpoMinutes: run.plan.rpoMinutes,
        timeZone: run.plan.schedule.timeZone,
        retentionDays: planRetentionDays(run.plan),
        points: [
          ...(month?.points ?? []),
          ...(run.point ? [{ name: run.point.name, at: run.point.at, keys: run.point.keys, ...(run.point.tier ? { tier: run.point.tier } : {}) }] : []),
        ],
        drCopies: [...(month?.drCopies ?? []), ...drCopies],
        // With a vault: its replicas, judged like the scheduled report judges a vault it reads (the run's own from the local vault).
        ...(run.config.vault ? { vaultCopies: [...(month?.vaultCopies ?? []), ...(run.vaultCopy ? [run.vaultCopy] : [])] } : {}),
        drCopyLimitMinutes: run.plan.rpoMinutes + DR_COPY_ALLOWANCE_MINUTES,
        rtoTargetSeconds: run.plan.drill.rtoMinutes * 60,
        ...(run.config.vault
          ? {}
          : {
              notApplicable: {
                'cross-account-copy': 'the demo runs without a vault (npm run demo -- --vault adds one)',
                'vault-lock': 'the demo runs without a vault',
              },
            }),
      },
    ],
    unprotected: run.caches.filter((c) => !inPlan(c)),
    // Every shape the demo runs (one node, cluster mode disabled) can be protected.
    unprotectable: [],
    drills: [...(month?.drills ?? []), ...drills],
    alarms: [],
    holds: [...(month?.holds ?? []), ...(backups ? backupHolds(backups) : [])],
    ...(month ? { simulated: month.said } : {}),
    minRetentionDays: reportSettings(run.config).minRetentionDays,
    notCollected: {
      alarms: DEMO_ALARMS_NOT_COLLECTED,
      ...(backups ? {} : { holds: 'the run ended before its backup store existed' }),
    },
  });
  const prefix = demoReportPrefix(run.endedAt);
  const keys = await writeBucketReport(s3, bucket, prefix, { report, html: reportHtml(report), json: reportJson(report), csv: reportCsv(report) });
  return { report, keys, prefix };
}
