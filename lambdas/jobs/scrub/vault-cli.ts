/**
 * `redis-dr scrub --destination s3://<vault bucket>/ --vault`: an operator's
 * re-read of the vault's replicas with the vault account's credentials,
 * through the one engine of the bucket scrubs (bucket-scrub.ts) and the
 * vault's place (vault-bucket.ts): each replica judged against the vault
 * verifier's verdict object, the sample taken from the scheduled runs'
 * ledger. It writes no record: the vault bucket reserves
 * `redis-dr-vault-scrub/` for the scheduled scrub's role (docs/scrub.md),
 * so the operator's run reports and exits, and the ledger stays the
 * scheduled runs'.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ScrubCoverage } from '../../domain/report/model.js';
import type { ScrubRecord } from '../../domain/scrub/record.js';
import { UsageError } from '../kernel/usage-error.js';
import { openDestination } from '../self-managed/clients.js';
import { type BucketScrubRun, ScrubFailed, runBucketScrub } from './bucket-scrub.js';
import { vaultScrubPlace } from './vault-bucket.js';

/** What to re-read in the vault. */
export interface VaultScrubRequest {
  /** `s3://<vault bucket>/` (the bucket's root: replicas are there, an organization's under `<account>/`). */
  readonly destination: string;
  readonly s3Endpoint?: string;
  readonly days: number;
  readonly all?: boolean;
  readonly sample?: number;
}

/** The run, as the self-managed scrub's (self-managed.ts) reports it: no record name, none is written. */
export interface VaultScrubRun {
  readonly destination: string;
  readonly record: ScrubRecord;
  readonly due: readonly string[];
  readonly coverage: ScrubCoverage;
}

/**
 * Re-reads the vault's replicas due (or `all`, or `sample` of them) and judges each against its verdict.
 * A bad replica is a result with `ok: false`, not a throw.
 * @throws UsageError for a destination that is not an s3:// bucket root (exit 2)
 */
export async function scrubVaultBucket(
  req: VaultScrubRequest,
  deps: { readonly now?: () => Date; readonly random?: () => number } = {},
): Promise<VaultScrubRun> {
  const { client, bucket, prefix } = await openDestination<{ client: S3Client; bucket: string; prefix: string }>(
    '--destination',
    req.destination,
    req.s3Endpoint,
    {
      file: () => {
        throw new UsageError(`--vault reads a vault bucket: --destination ${req.destination} is a folder; write s3://<vault bucket>/`);
      },
      s3: (c, b, p) => ({ client: c, bucket: b, prefix: p }),
    },
  );
  if (prefix !== '')
    throw new UsageError(
      `--destination ${req.destination} names a prefix (${prefix}); with --vault give the vault bucket itself, s3://${bucket}/ (its replicas and verdicts are judged together)`,
    );
  let run: BucketScrubRun;
  try {
    run = await runBucketScrub(vaultScrubPlace(bucket, client), req.days, {
      s3: client,
      // The operator reads the answer on the terminal: no page, no record (the prefix is the scheduled scrub's).
      alert: async () => {},
      where: { deployment: 'operator', region: 'cli' },
      log: { info: () => {}, warn: () => {}, error: () => {} },
      noRecord: true,
      selection: { ...(req.all ? { all: true } : {}), ...(req.sample !== undefined ? { sample: req.sample } : {}) },
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.random ? { random: deps.random } : {}),
    });
  } catch (err) {
    if (!(err instanceof ScrubFailed)) throw err;
    run = err.run;
  }
  return { destination: `s3://${bucket}/`, record: run.record, due: run.due, coverage: run.coverage };
}
