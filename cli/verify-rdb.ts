import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { errorName } from '../lambdas/adapters/errors';
import { openObject, parseS3Url } from '../lambdas/adapters/s3';
import { verifyRdbStream, type RdbReport } from '../lambdas/domain/rdb/verifier';

/** Bytes to verify and their size, or why not (a usage problem: exit 2). */
async function openInput(file: string): Promise<{ body: AsyncIterable<Uint8Array>; size?: number }> {
  if (/^s3:\/\//i.test(file)) return openS3(file);
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new Error(`cannot read ${file}: no such file`);
  }
  if (!stat.isFile()) throw new Error(`cannot read ${file}: not a regular file`);
  return { body: createReadStream(file, { highWaterMark: 1 << 20 }), size: stat.size };
}

/**
 * Streams `s3://bucket/key` with the default credential chain (environment,
 * profile, SSO, instance role). The bucket's region is followed from S3's
 * redirect. With AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL set (an S3-compatible
 * store such as MinIO for self-managed Redis), path-style addressing is used.
 */
async function openS3(url: string): Promise<{ body: AsyncIterable<Uint8Array>; size?: number }> {
  const parsed = parseS3Url(url);
  if (!parsed) throw new Error(`cannot read ${url}: write S3 locations as s3://<bucket>/<key>`);
  const customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const client = new S3Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    followRegionRedirects: true,
    forcePathStyle: customEndpoint,
  });
  try {
    const object = await openObject(client, parsed.bucket, parsed.key);
    return { body: object.body, size: object.size };
  } catch (err) {
    throw new Error(`cannot read ${url}: ${s3Problem(err)}`, { cause: err });
  }
}

function s3Problem(err: unknown): string {
  const name = errorName(err);
  if (name === 'NoSuchKey' || name === 'NotFound') return 'no such object';
  if (name === 'NoSuchBucket') return 'no such bucket';
  if (name === 'AccessDenied' || name === 'Forbidden') return 'access denied: check the credentials in use (aws sts get-caller-identity) and s3:GetObject on the object';
  if (name === 'CredentialsProviderError') return 'no AWS credentials found: set AWS_PROFILE, or run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
  return `${name}: ${err instanceof Error ? err.message : String(err)}`;
}

/** One line a person reads. */
export function formatReport(file: string, report: RdbReport): string {
  const name = basename(file);
  if (!report.ok) {
    const where = report.error ? ` at byte ${report.error.offset}: ${report.error.message}` : '';
    return `CORRUPT ${name}: RDB v${report.version}, checksum ${report.checksum}${where}`;
  }
  const types = Object.entries(report.byType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  const dbs = report.databases.length > 0 ? ` in db ${report.databases.join(',')}` : '';
  return (
    `OK ${name}: RDB v${report.version}, ${report.keys} keys (${report.expires} with expiry)${dbs}` +
    `${types ? ` [${types}]` : ''}, checksum ${report.checksum}`
  );
}

/**
 * `redis-dr verify-rdb <file> [--json]`: the same streaming verifier the DR
 * region runs on every replicated copy. Exit 0 valid, 1 corrupt, 2 usage.
 */
export function verifyRdbCommand(program: Command): void {
  program
    .command('verify-rdb')
    .description('check an RDB file: structure, encodings and CRC64 trailer; count keys and expiries')
    .argument('<file>', 'path of the .rdb file, or s3://<bucket>/<key> (default AWS credential chain)')
    .option('--json', 'print the full report as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const { body, size } = await openInput(file);
      const report = await verifyRdbStream(body);
      process.stdout.write(
        options.json ? `${JSON.stringify({ file, bytes: size, ...report }, null, 2)}\n` : `${formatReport(file, report)}\n`,
      );
      process.exitCode = report.ok ? 0 : 1;
    });
}
