/**
 * Where a rendered DR report goes: local files (the CLI) or a bucket's
 * `reports/` (the scheduled function). Stored = read back, either way.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { CallWrapper } from '../../adapters/aws/elasticache.js';
import { putTextReadBack } from '../../adapters/aws/report-objects.js';
import { type ReportOutputs, reportFiles, writeReportFiles } from '../../adapters/host/report-files.js';
import type { DrReport } from '../../domain/report/model.js';

/** The report's three forms. */
export interface RenderedReport {
  readonly report: DrReport;
  readonly html: string;
  readonly json: string;
  readonly csv: Readonly<Record<string, string>>;
}

/** Writes the files `outputs` asks for, each read back; the paths written. */
export function writeLocalReport(outputs: ReportOutputs, rendered: RenderedReport): Promise<string[]> {
  return writeReportFiles(reportFiles(outputs, rendered.html, rendered.json, rendered.csv));
}

/**
 * Writes `report.html`, `report.json` and `csv/<name>.csv` under `prefix` in
 * `bucket`, each read back; the keys written.
 */
export async function writeBucketReport(
  s3: S3Client,
  bucket: string,
  prefix: string,
  rendered: RenderedReport,
  wrap?: CallWrapper,
  expectedOwner?: string,
): Promise<string[]> {
  const files = reportFiles({ html: `${prefix}report.html`, json: `${prefix}report.json`, csvDir: `${prefix}csv` }, rendered.html, rendered.json, rendered.csv);
  for (const f of files) await putTextReadBack(s3, bucket, f.path, f.text, wrap, expectedOwner);
  return files.map((f) => f.path);
}
