/**
 * The scheduled DR report (DR stack, weekly and monthly): the report of the
 * period that just ended, written under `reports/<period>/<end>/` in the DR
 * bucket (HTML, JSON and CSV, each read back; with an organization's vault
 * also under `<account>/<region>/reports/…`, the prefix that replicates), then one info line with its
 * location to the alert topic. A report with facts it could not read is
 * still written (it says so on its first page), and then the run fails, so
 * the function's error alarm pages: never a quiet partial report.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Alert } from '../../adapters/aws/alerts.js';
import type { AsyncSigner } from '../../domain/attest/chain.js';
import { pageSubject } from '../../domain/alerting/page.js';
import { orgReportRoot, type ReportInput, reportKeyPrefix, reportPeriod } from '../../domain/report/input.js';
import { ORG_VAULT_COPY_BY_REPLICATION, VAULT_COPY_BY_REPLICATION } from '../../domain/report/vault-copy.js';
import type { LogSink } from '../kernel/deps.js';
import { elastiCacheReport, type ReportAws } from './elasticache-report.js';
import { signScheduledReport } from './report-chain.js';
import { scheduledReportVaultCopy } from './vault-copy.js';
import { withFileDigests, writeBucketReport } from './write.js';

/** What the scheduled report needs besides the AWS reads. */
export interface ScheduledReportDeps {
  readonly aws: ReportAws;
  /** S3 of the DR region, where the report is written. */
  readonly s3: S3Client;
  readonly publish: (alert: Alert) => Promise<void>;
  readonly log: LogSink;
  /**
   * The deployment's evidence key (KMS, lambdas/adapters/aws/kms-signer.ts): report.json is signed as the next of
   * its period's chain (jobs/report/report-chain.ts, docs/attest.md) before anything is written. Unsigned without one.
   */
  readonly signer?: AsyncSigner;
}

/** What one run wrote. */
export interface ScheduledReportResult {
  readonly bucket: string;
  readonly keys: readonly string[];
  readonly pass: number;
  readonly fail: number;
  readonly problems: readonly string[];
  /** With a vault: how the copy there is made, and what the previous report's replication status says. */
  readonly vault?: { readonly copy: string; readonly previous?: string };
}

/** A report written with facts it could not read: the run fails after writing it. */
export class PartialReportError extends Error {
  override readonly name = 'PartialReportError';
}

/** Writes the report of the period before `input.scheduledTime` (or now) and says where. */
export async function runScheduledReport(input: ReportInput, deps: ScheduledReportDeps): Promise<ScheduledReportResult> {
  const period = input.period ?? 'weekly';
  const at = input.scheduledTime ? new Date(input.scheduledTime) : new Date(deps.aws.clock.now());
  const { since, until } = reportPeriod(period, at);
  const prefix = reportKeyPrefix(period, until);
  // An organization's vault takes only <account>/<region>/: the copy written there is the one that replicates.
  const root = orgReportRoot(input);
  // With a vault: this report reaches it by replication; the previous one's copy is judged now (a FAILED one is a problem).
  const previous = input.vault ? await scheduledReportVaultCopy(deps.s3, input.drBucket, period, `${root}${prefix}`, root) : undefined;
  const rendered = await elastiCacheReport(
    input,
    deps.aws,
    {
      since,
      until,
      generatedAt: new Date(deps.aws.clock.now()),
      // The policy document it is held against (config report.policyDocument), linked as `report --policy` links it.
      ...(input.policyDocument !== undefined ? { policyDocument: input.policyDocument } : {}),
    },
    previous?.problems ?? [],
  );
  // report.json carries the SHA-256 of the HTML and CSV beside it (their final bytes), so its signature covers them.
  // Signed before anything is written: a report KMS did not sign is not written unsigned (the run fails, its alarm
  // pages); the HTML and CSV are then written (each read back) before the JSON that names them.
  // The organization's copy is the same bytes, so it carries the same attestation (and the vault's replica too).
  const digested = withFileDigests(rendered);
  const signed = deps.signer
    ? { ...digested, json: await signScheduledReport(deps.s3, input.drBucket, period, prefix, digested.json, deps.signer, new Date(deps.aws.clock.now())) }
    : digested;
  const keys = await writeBucketReport(deps.s3, input.drBucket, prefix, signed);
  // The same bytes again through the verified put (each file read back), rather than a server-side copy:
  // they are in memory, and a copy would need its own read-back to prove it.
  if (root) keys.push(...(await writeBucketReport(deps.s3, input.drBucket, `${root}${prefix}`, signed)));
  const { summary, problems } = rendered.report;
  const where = `s3://${input.drBucket}/${prefix}report.html`;
  const by = root ? ORG_VAULT_COPY_BY_REPLICATION : VAULT_COPY_BY_REPLICATION;
  const vault = input.vault ? { copy: `to the vault by ${by}; the next run checks it`, ...(previous ? { previous: previous.line } : {}) } : undefined;
  const line =
    `${period} DR report ${since.toISOString()} to ${until.toISOString()}: ${summary.pass} pass, ${summary.fail} fail, ${summary.notApplicable} n/a${problems.length ? `, PARTIAL (${problems.length} fact(s) not read)` : ''}: ${where}` +
    (input.policyDocument !== undefined ? `\nPOLICY ${input.policyDocument}` : '') +
    (vault ? `\n${vault.copy}${vault.previous ? `\n${vault.previous}` : ''}` : '');
  deps.log.info('report written', { bucket: input.drBucket, keys, pass: summary.pass, fail: summary.fail, problems, ...(vault ? { vault } : {}) });
  await deps.publish({
    subject: pageSubject('info', input.deployment, `${period} DR report`, undefined, input.drRegion),
    message: `${line}\n`,
    attributes: { kind: 'dr-report', severity: 'info', region: input.drRegion, deployment: input.deployment, bucket: input.drBucket },
  });
  if (problems.length > 0) throw new PartialReportError(`the ${period} report at ${where} is partial: ${problems.join('; ')}`);
  return { bucket: input.drBucket, keys, pass: summary.pass, fail: summary.fail, problems, ...(vault ? { vault } : {}) };
}
