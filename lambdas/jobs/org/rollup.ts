/**
 * `redis-dr report --org --from <url>`: the organization's roll-up from an
 * evidence tree (file:///dir or s3://bucket[/prefix]) where each account's
 * scheduled reports lie under `<account>/<region>/reports/` (lambdas/domain/org/rollup.ts).
 * One listing of the tree, then one read per account and region (its newest
 * report): the requests grow with accounts × regions, never with caches.
 */
import { mapConcurrent } from '../../adapters/aws/retry.js';
import { reportFiles, writeReportFiles } from '../../adapters/host/report-files.js';
import { storageS3Client } from '../../adapters/aws/s3/client.js';
import { parseDestination } from '../../adapters/storage/backup-store.js';
import { FileObjectStore } from '../../adapters/storage/object-store-file.js';
import { S3ObjectStore } from '../../adapters/storage/object-store-s3.js';
import type { ObjectStore } from '../../adapters/storage/object-store.js';
import { type AccountRollup, accountLine, newestPerAccount, type OrgRollup, rollUp } from '../../domain/org/rollup.js';
import { UsageError } from '../kernel/usage-error.js';

/** Reports read at once. */
const READS_AT_ONCE = 16;

/** The store of `--from`; a URL that is neither file:// nor s3:// is a usage error naming it. */
export function evidenceStore(url: string, s3Endpoint?: string): ObjectStore {
  const where = parseDestination(url);
  if (!where) throw new UsageError(`--from must be file:///dir or s3://bucket[/prefix] (the organization's evidence tree), got ${JSON.stringify(url)}`);
  if (where.kind === 'file') return new FileObjectStore(where.dir);
  return new S3ObjectStore(storageS3Client(s3Endpoint ? { endpoint: s3Endpoint } : {}), where.bucket, where.prefix);
}

/** Reads the tree and rolls it up; a report that is not JSON is a malformed line, like one that is not a report. */
export async function orgRollup(store: ObjectStore, now: Date): Promise<OrgRollup> {
  const newest = newestPerAccount((await store.list()).map((o) => o.key));
  const lines = await mapConcurrent(newest, READS_AT_ONCE, async (k): Promise<AccountRollup> => {
    let body: unknown;
    try {
      body = JSON.parse((await store.get(k.key)).toString('utf8'));
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      body = { notJson: err.message };
    }
    return accountLine(k, body, now);
  });
  return rollUp(lines, now);
}

/** Where `report --org` writes: the roll-up as JSON, and `accounts.csv` in a folder. */
export interface OrgReportOutputs {
  readonly json?: string;
  readonly csvDir?: string;
}

const CSV_HEAD = ['account', 'region', 'state', 'deployment', 'caches', 'verified', 'drilled', 'unprotected', 'until', 'key', 'why'] as const;

/** One CSV cell (RFC 4180 quoting). */
const cell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The roll-up of the tree at `url`, written where asked; the files written. */
export async function orgReport(url: string, outputs: OrgReportOutputs, now: Date, s3Endpoint?: string): Promise<{ rollup: OrgRollup; written: string[] }> {
  const rollup = await orgRollup(evidenceStore(url, s3Endpoint), now);
  const csv = [CSV_HEAD.join(','), ...rollup.accounts.map((a) => CSV_HEAD.map((h) => cell(a[h])).join(','))].join('\r\n');
  const written = await writeReportFiles(
    reportFiles(
      { ...(outputs.json ? { json: outputs.json } : {}), ...(outputs.csvDir ? { csvDir: outputs.csvDir } : {}) },
      '',
      `${JSON.stringify(rollup, null, 2)}\n`,
      { 'accounts.csv': `${csv}\r\n` },
    ),
  );
  return { rollup, written };
}
