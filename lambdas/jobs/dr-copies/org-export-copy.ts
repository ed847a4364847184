/**
 * An export's shards under the account's prefix, for an organization's vault
 * (config `vault.organizationId`). ElastiCache writes exports at the bucket
 * root (`rdr-…`; a snapshot name takes no `/`) and S3 replication keeps a
 * key, while the organization vault takes only `${aws:PrincipalAccount}/*`:
 * so each finished shard is copied, server-side, to
 * `<account>/<region>/<key>` of the same bucket (lambdas/domain/points/account-prefix.ts),
 * with its tags, and read back (length and ETag: S3 keeps the ETag of an
 * SSE-S3 copy made with the source's part lengths). The export bucket's
 * rule into the vault replicates that prefix only.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { CallWrapper } from '../../adapters/aws/elasticache.js';
import { copyVersion, headObject } from '../../adapters/aws/s3/copy.js';
import { addObjectTags } from '../../adapters/aws/s3/objects.js';
import { splitAccountKey } from '../../domain/points/account-prefix.js';
import { seedCopyProblem } from '../../domain/vault/vault-seed.js';

/**
 * Copies `key` of `bucket` to `<orgRoot><key>` with `tags`, read back; the copy's key.
 * @throws Error naming the key when `orgRoot` is not `<account>/<region>/`, the source has no version, or the copy does not read back as the source
 */
export async function copyExportUnderOrgRoot(
  s3: S3Client,
  bucket: string,
  key: string,
  orgRoot: string,
  tags: Readonly<Record<string, string>>,
  wrap?: CallWrapper,
): Promise<string> {
  const target = `${orgRoot}${key}`;
  if (splitAccountKey(target)?.rest !== key)
    throw new Error(`orgRoot must be <12-digit account>/<region>/, got ${JSON.stringify(orgRoot)}: fix the export input`);
  const source = await headObject(s3, bucket, key, wrap);
  if (!source.versionId || !source.etag || source.size === undefined)
    throw new Error(`s3://${bucket}/${key}: HeadObject gave no version id, ETag or length; the export bucket must be versioned to copy it for the vault`);
  const replica = { key, versionId: source.versionId, etag: source.etag, size: source.size };
  await copyVersion(s3, { bucket, replica }, bucket, target, wrap);
  const problem = seedCopyProblem(replica, await headObject(s3, bucket, target, wrap));
  if (problem) throw new Error(`s3://${bucket}/${target}, the organization's copy of ${key}: ${problem}`);
  // Its own tags (the copy was made with none): tier and plan for the vault's retention, shard and keys for its verifier.
  await addObjectTags(s3, bucket, target, tags, { current: {}, ...(wrap ? { wrap } : {}) });
  return target;
}
