/**
 * The demo's DR report (docs/reports.md): the report the scheduled function
 * and `redis-dr report -c` write, built from what this run made — its
 * recovery point (the backup with its key count), its DR copy with the
 * verifier's verdict (from the copy's tags), the drill with its RTO by
 * phase — and written into the folder standing in for the DR bucket under
 * `reports/demo/<time>/` through the same writer (S3 PutObject, read back).
 * A run has minutes of history, so the report covers the run itself.
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
import { writeBucketReport } from '../lambdas/jobs/report/write.js';

/** What the run made, for its report. */
export interface DemoRun {
  readonly config: RedisDrConfig;
  readonly plan: PlanConfig;
  readonly target: string;
  readonly drRegion: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly point?: { readonly name: string; readonly at: Date; readonly keys: number; readonly tier?: string };
  /** The DR copy's key and its tags (the verifier's verdict among them). */
  readonly drCopy?: { readonly key: string; readonly tags: Readonly<Record<string, string>> };
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

/** With --vault: the report reads no vault, as the scheduled function reads none (the vault lets no workload principal read). */
const VAULT_READER =
  "the demo's report reads no vault, as the scheduled report function reads none: `redis-dr report -c <config> --vault-profile <profile>` judges it";

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
  const report = buildReport({
    deployment: run.config.name,
    generatedAt: run.endedAt,
    since: run.startedAt,
    until: run.endedAt,
    caches: [
      {
        cache: run.target,
        plan: run.plan.name,
        rpoMinutes: run.plan.rpoMinutes,
        timeZone: run.plan.schedule.timeZone,
        retentionDays: planRetentionDays(run.plan),
        points: run.point ? [{ name: run.point.name, at: run.point.at, keys: run.point.keys, ...(run.point.tier ? { tier: run.point.tier } : {}) }] : [],
        drCopies,
        drCopyLimitMinutes: run.plan.rpoMinutes + DR_COPY_ALLOWANCE_MINUTES,
        rtoTargetSeconds: run.plan.drill.rtoMinutes * 60,
        notApplicable: run.config.vault
          ? { 'cross-account-copy': VAULT_READER, 'vault-lock': VAULT_READER }
          : { 'cross-account-copy': 'the demo runs without a vault (npm run demo -- --vault adds one)', 'vault-lock': 'the demo runs without a vault' },
      },
    ],
    unprotected: [],
    unprotectable: [],
    drills,
    alarms: [],
    holds: [],
    minRetentionDays: reportSettings(run.config).minRetentionDays,
  });
  const prefix = demoReportPrefix(run.endedAt);
  const keys = await writeBucketReport(s3, bucket, prefix, { report, html: reportHtml(report), json: reportJson(report), csv: reportCsv(report) });
  return { report, keys, prefix };
}
