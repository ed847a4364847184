/**
 * The chain of the scheduled reports of one period (docs/attest.md): each
 * `reports/<period>/<end>/report.json` in the DR bucket is signed as the
 * next after the newest report of that period before it. One chain per
 * period, so the weekly and the monthly report, which may run in the same
 * minute, never fork one chain; a run repeated for the same period (a
 * retry) takes the place of the report it replaces (the same `seq`).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../../adapters/aws/s3/objects.js';
import { S3ObjectStore } from '../../adapters/storage/object-store-s3.js';
import { type AsyncSigner, type Attestation, attestationOf, attestJsonText } from '../../domain/attest/chain.js';
import { REPORTS_PREFIX } from '../../domain/report/input.js';
import { previousReportPrefix } from '../../domain/report/vault-copy.js';

/** The report's JSON file under its prefix. */
const REPORT_JSON = 'report.json';

/** Signing a report into its period's chain would rewrite history: a later period's report is already there. */
export class ReportChainError extends Error {
  override readonly name = 'ReportChainError';
}

/**
 * The head of the chain `prefix` (`reports/<period>/<end>/`) continues: the attestation of the newest report of
 * the period before it, or undefined when there is none or it is unsigned (reports written before signing began:
 * the chain starts at this one).
 * @throws ReportChainError when a report of a later period is there, or the previous report.json is not JSON
 */
export async function reportChainHead(s3: S3Client, bucket: string, period: string, prefix: string): Promise<Attestation | undefined> {
  const base = `${REPORTS_PREFIX}${period}/`;
  const keys = (await listObjects(s3, bucket, base)).map((o) => o.key);
  const later = keys.find((k) => k.endsWith(`/${REPORT_JSON}`) && k.slice(0, k.length - REPORT_JSON.length) > prefix);
  if (later)
    throw new ReportChainError(
      `s3://${bucket}/${later} is of a later period than ${prefix}: signing this report would fork the ${period} reports' chain; run the report for a period after the newest`,
    );
  const previous = previousReportPrefix(
    keys.filter((k) => k.endsWith(`/${REPORT_JSON}`)),
    period,
    prefix,
  );
  if (!previous) return undefined;
  const text = (await new S3ObjectStore(s3, bucket, '').get(`${previous}${REPORT_JSON}`)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReportChainError(
      `s3://${bucket}/${previous}${REPORT_JSON} is not JSON: the ${period} reports' chain cannot be continued from it (changed or damaged)`,
    );
  }
  return attestationOf(parsed);
}

/**
 * `json` (a rendered report.json) signed as the next of its period's chain, whose deployment is the bucket's URL.
 * Signed before anything is written: a Sign that fails leaves no report unsigned where reports are signed.
 */
export async function signScheduledReport(
  s3: S3Client,
  bucket: string,
  period: string,
  prefix: string,
  json: string,
  signer: AsyncSigner,
  at: Date,
): Promise<string> {
  const head = await reportChainHead(s3, bucket, period, prefix);
  return attestJsonText(json, { deployment: `s3://${bucket}/`, ...(head ? { head } : {}), at, signer });
}
