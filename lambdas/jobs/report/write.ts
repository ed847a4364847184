/**
 * Where a rendered DR report goes: local files (the CLI) or a bucket's
 * `reports/` (the scheduled function). Stored = read back, either way.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type ReportOutputs, reportFiles, writeReportFiles } from '../../adapters/host/report-files.js';
import { S3ObjectStore } from '../../adapters/storage/object-store-s3.js';
import type { DrReport } from '../../domain/report/model.js';
import { companionsOfFiles, withCompanions } from '../../domain/attest/companions.js';

/** The report's three forms. */
export interface RenderedReport {
  readonly report: DrReport;
  readonly html: string;
  readonly json: string;
  readonly csv: Readonly<Record<string, string>>;
}

/** Writes the files `outputs` asks for, each read back; the paths written. */
export function writeLocalReport(outputs: ReportOutputs, rendered: RenderedReport): Promise<string[]> {
  // The JSON last, as in a bucket: a report.json never names files (their digests) that were not written.
  return writeReportFiles(
    reportFiles(outputs, rendered.html, rendered.json, rendered.csv).sort((a, b) => Number(a.path === outputs.json) - Number(b.path === outputs.json)),
  );
}

const TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', json: 'application/json', csv: 'text/csv; charset=utf-8' };

/** Where the HTML and the CSV files lie relative to the JSON's folder (`/`-separated); undefined: not written. */
export interface CompanionPaths {
  readonly html?: string;
  readonly csvDir?: string;
}

/** The HTML and CSV files of `rendered` at `paths` (relative to the JSON's folder), with their text. */
export function companionFiles(rendered: RenderedReport, paths: CompanionPaths): { path: string; text: string }[] {
  return [
    ...(paths.html !== undefined ? [{ path: paths.html, text: rendered.html }] : []),
    ...(paths.csvDir !== undefined
      ? Object.entries(rendered.csv).map(([name, text]) => ({ path: paths.csvDir === '.' ? name : `${paths.csvDir}/${name}`, text }))
      : []),
  ];
}

/**
 * The report with its JSON carrying the SHA-256 and length of the HTML and of
 * each CSV file written beside it (`companions`, domain/attest/companions.ts:
 * by default `report.html`, `csv/<name>.csv`, relative to the JSON's folder),
 * so that signing the JSON signs them too.
 */
export function withFileDigests(rendered: RenderedReport, paths: CompanionPaths = { html: 'report.html', csvDir: 'csv' }): RenderedReport {
  const files = companionFiles(rendered, paths).map((f) => ({ path: f.path, bytes: f.text }));
  return { ...rendered, json: withCompanions(rendered.json, companionsOfFiles(files)) };
}

/**
 * Writes `report.html`, `csv/<name>.csv` and then `report.json` under
 * `prefix` in `bucket` through the object store's verified put (SHA-256 sent
 * with the PUT, then read back: S3's checksum of the object, or the object
 * read again); the keys written. The JSON goes last, so a report.json never
 * names files (their digests) that were not stored. A run repeated for the
 * same period replaces its files.
 * @throws PutError naming the object that was not stored as written
 */
export async function writeBucketReport(s3: S3Client, bucket: string, prefix: string, rendered: RenderedReport): Promise<string[]> {
  const store = new S3ObjectStore(s3, bucket, '');
  const json = `${prefix}report.json`;
  const files = reportFiles({ html: `${prefix}report.html`, json, csvDir: `${prefix}csv` }, rendered.html, rendered.json, rendered.csv).sort(
    (a, b) => Number(a.path === json) - Number(b.path === json),
  );
  for (const f of files) {
    const contentType = TYPES[f.path.slice(f.path.lastIndexOf('.') + 1)] ?? 'text/plain; charset=utf-8';
    await store.put(f.path, Buffer.from(f.text), { ifExists: 'replace', contentType });
  }
  return files.map((f) => f.path);
}
