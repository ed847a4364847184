/**
 * The scheduled scrub of the vault bucket, through the one engine of the
 * bucket scrubs (bucket-scrub.ts): the replicas are judged against the vault
 * verifier's verdict objects (`redis-dr-vault-verdicts/`), never against the
 * replicated tags (the workload account the vault exists against writes
 * those). A replica is good when its verdict names its current version and
 * ETag, says `ok`, and the re-read finds its length, its key count, its
 * structure and its CRC-64 as recorded. The records go under
 * `redis-dr-vault-scrub/`, which only the vault scrub's role may write.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectIdentity } from '../../adapters/aws/s3/ranges.js';
import { readVaultVerdict } from '../../adapters/records/verdict-objects.js';
import { REPORTS_PREFIX } from '../../domain/report/input.js';
import { SCRUB_RECORDS_PREFIX, VAULT_SCRUB_RECORDS_PREFIX } from '../../domain/scrub/input.js';
import { VAULT_VERDICT_PREFIX, verdictNamesReplica } from '../../domain/vault/vault-verdict.js';
import { type ArrivalRecord, type BucketScrubDeps, type BucketScrubRun, runBucketScrub, type ScrubPlace } from './bucket-scrub.js';

const NOT_COPIES = [VAULT_VERDICT_PREFIX, VAULT_SCRUB_RECORDS_PREFIX, SCRUB_RECORDS_PREFIX, REPORTS_PREFIX];

/** What the vault verifier recorded of the replica's current version (its verdict object), or why nothing counts. */
async function recordedOfVerdict(s3: S3Client, bucket: string, key: string, current: ObjectIdentity): Promise<ArrivalRecord> {
  const stored = await readVaultVerdict(s3, bucket, key);
  if (!stored.verdict) return { problems: [`no verdict of the vault verifier to compare with: ${stored.absent}`] };
  const v = stored.verdict;
  if (
    !verdictNamesReplica(v, {
      key,
      size: current.size,
      ...(current.versionId ? { versionId: current.versionId } : {}),
      ...(current.etag ? { etag: current.etag } : {}),
    })
  )
    return {
      problems: [
        `its verdict is about version ${v.replica.versionId} (ETag ${v.replica.etag}), not the current ${current.versionId ?? '(none)'} (ETag ${current.etag ?? '(none)'}): the replica changed after it was verified`,
      ],
    };
  return {
    recorded: { bytes: v.replica.size, keys: v.keys.keys, noDigestKept: 'the vault verifier records the version, ETag, length and key counts of a replica' },
    problems: v.verdict === 'ok' ? [] : [`the vault verifier found it ${v.verdict} on arrival${v.reason ? ` (${v.reason})` : ''}`],
  };
}

/** The vault bucket as a scrub's place: its `.rdb` replicas, judged by their verdict objects, records under `redis-dr-vault-scrub/`. */
export function vaultScrubPlace(bucket: string, s3: S3Client): ScrubPlace {
  return {
    bucket,
    what: 'vault replica',
    recordsPrefix: VAULT_SCRUB_RECORDS_PREFIX,
    isCopy: (key) => key.endsWith('.rdb') && !NOT_COPIES.some((p) => key.startsWith(p)),
    arrival: (key, current) => recordedOfVerdict(s3, bucket, key, current),
  };
}

/**
 * One scheduled run over the vault bucket `bucket`: every replica re-read within `days`.
 * @throws ScrubFailed when a replica was bad or the run stopped PARTIAL (after the pages and the record); a fault listing or writing the record
 */
export function runVaultScrub(req: { readonly bucket: string; readonly days: number }, deps: BucketScrubDeps): Promise<BucketScrubRun> {
  return runBucketScrub(vaultScrubPlace(req.bucket, deps.s3), req.days, deps);
}
