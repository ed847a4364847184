/**
 * What both restores share (a replication group, restore.ts; a serverless
 * cache, restore-serverless.ts): their options and result, the DR copy a restore
 * seeds from, and a recovery point's `.rdb` copies.
 */
import type { CreateReplicationGroupCommandInput, CreateServerlessCacheCommandInput } from '@aws-sdk/client-elasticache';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { recoveryBucketName } from '../../../lib/deployment.js';
import { listObjects, parseS3Url } from '../../adapters/aws/s3/objects.js';
import type { DrillKind, RecoveryPointChoice } from '../../domain/drills/drill.js';
import { assessDrExport, drChoice } from '../../domain/drills/select.js';
import { drExportsUnder, MAX_EXPORTS_PER_TARGET, type DrExport } from '../../domain/points/choice.js';
import { parseExportObjectKey } from '../../domain/points/export-objects.js';
import { splitAccountKey } from '../../domain/points/account-prefix.js';
import { describeCopy, type RdbCopy } from '../../domain/dr-copies/rdb-copies.js';
import { exportEvidence, type PreflightEvidence, type PreflightRefusal } from '../../domain/drills/restore-preflight.js';
import { TAGS } from '../../domain/plans/types.js';
import type { OperatorClients } from '../kernel/clients.js';
import { copiesOfPoint, copyBuckets, anyPlanExports, readVaultReplica, type PointCopiesReport } from '../dr-copies/copy-listing.js';
import { readDrCopy } from '../../adapters/records/verdict-objects.js';
import { isVerdictObjectKey } from '../../domain/points/verdict-objects.js';
import { connectionProblem } from '../kernel/connection-problem.js';
import { UsageError } from '../kernel/usage-error.js';
import { vaultBucketName, vaultKeyPrefix, vaultProblem } from '../vault/vault-copies.js';
import { errorName } from '../../adapters/aws/errors.js';

/** Options of `runRestore` (restore.ts). */
export interface RestoreOptions {
  readonly target: string;
  /** `latest` (default), a snapshot name, `s3://bucket/<export>`, or `vault` (the newest recovery point in the vault). */
  readonly from?: string;
  /** Default: the config's primary region. */
  readonly region?: string;
  readonly newId: string;
  readonly nodeType?: string;
  /** Replicas per shard; default: the source's when it can be described, else 0. */
  readonly replicas?: number;
  readonly subnetGroup?: string;
  readonly securityGroupIds?: readonly string[];
  /** Parameter group for the new cluster (e.g. the source's maxmemory-policy); default: the snapshot's for cluster mode, else the engine default. */
  readonly parameterGroup?: string;
  /** Secrets Manager secret holding the AUTH token (`{"password"}` or the token) the new cluster requires. */
  readonly authTokenSecret?: string;
  /** RBAC user groups the new cluster uses instead of an AUTH token. */
  readonly userGroupIds?: readonly string[];
  /** Print the request, create nothing. */
  readonly dryRun?: boolean;
  readonly wait?: boolean;
  /** @default 30 */
  readonly pollSeconds?: number;
  /** Give up waiting after this long (the cluster goes on being created). @default 120 */
  readonly timeoutMinutes?: number;
  /** Called with the cluster's status while waiting. */
  readonly onStatus?: (status: string) => void;
  /** Called once the create was accepted (before any wait). */
  readonly onCreated?: (line: string) => void;
  /** Called with defaults an operator should know about (node type, replicas). */
  readonly onWarning?: (line: string) => void;
}

/** What a restore did. */
export interface RestoreResult {
  /** The replication group created (node-based targets), else null. */
  readonly replicationGroupId: string | null;
  /** The serverless cache created (serverless targets), else absent. */
  readonly serverlessCacheName?: string;
  readonly region: string;
  readonly recoveryPoint: string;
  readonly recoveryPointCreatedAt: string;
  /** The request sent (an AUTH token shown as `***`). */
  readonly request: CreateReplicationGroupCommandInput | CreateServerlessCacheCommandInput;
  /** `refused` (the preflight: nothing created), `dry-run`, `creating` (no --wait), `available`, `create-failed`, `restore-failed`, `deleting`, `gone`, or `timeout`. */
  readonly status: string;
  /** Why the preflight refused the restore (domain/drills/restore-preflight.ts), when it did. */
  readonly refusals?: readonly PreflightRefusal[];
  readonly endpoint: string | null;
  readonly ok: boolean;
  readonly message: string;
  /** The recovery point's `.rdb` copies and the key-level fast path (`migrate --from-rdb`), when there is one. */
  readonly rdbCopies: PointCopiesReport;
}

/** Where a restore takes its recovery point from. */
export interface RestoreSource {
  /** The region the new cache is created in (an S3 copy seeds only a cache in its bucket's region). */
  readonly region: string;
  /** Which of the config's regions that is; undefined for a vault in a third region. */
  readonly where: 'primary' | 'dr' | undefined;
  /** `--from`, default `latest`. */
  readonly from: string;
  /** It seeds from a copy in the vault (`--from vault`, or an s3:// location in the vault bucket). */
  readonly vault: boolean;
}

/**
 * The region and source of a restore from `--region` and `--from`: the
 * primary region's snapshots, the DR bucket's copies (DR region), or the
 * vault's copies (`vault` or an `s3://` location in the vault bucket: in the
 * vault's region, where its bucket is). Refuses combinations that cannot
 * work, naming the fix.
 */
export function restoreSource(config: RedisDrConfig, o: Pick<RestoreOptions, 'region' | 'from'>): RestoreSource {
  const from = o.from ?? 'latest';
  const vaultBucket = vaultBucketName(config);
  if (from === 'vault' && !vaultBucket)
    throw new UsageError('--from vault: the config has no vault section: restore from latest, a snapshot name, or an s3://<bucket>/<export> DR copy');
  const whereOf = (region: string) => (region === config.primary.region ? 'primary' : region === config.dr.region ? 'dr' : undefined);
  if (from === 'vault' || (vaultBucket !== undefined && parseS3Url(from)?.bucket === vaultBucket)) {
    const region = config.vault!.region;
    if (o.region !== undefined && o.region !== region) {
      throw new UsageError(
        `--from ${from} --region ${o.region}: a vault copy restores in the vault's region ${region} (ElastiCache seeds only from a bucket in the cluster's region): leave out --region, or pass --region ${region}`,
      );
    }
    return { region, where: whereOf(region), from, vault: true };
  }
  const region = o.region ?? config.primary.region;
  const where = whereOf(region);
  if (!where) throw new UsageError(`--region ${region}: restore in the primary (${config.primary.region}) or DR (${config.dr.region}) region of this config`);
  if (from.startsWith('s3://') && where === 'primary')
    throw new UsageError(`--from ${from}: S3 copies restore in the DR region: add --region ${config.dr.region}`);
  if (!from.startsWith('s3://') && from !== 'latest' && where === 'dr')
    throw new UsageError(`--from ${from}: in the DR region restore from latest or an s3://bucket/<export> copy`);
  return { region, where, from, vault: false };
}

/**
 * The `.rdb` copies of a snapshot in the export and DR buckets (none looked
 * for when no plan exports); `to`: the server the fast path restores into.
 */
export async function pointCopiesOrNone(config: RedisDrConfig, aws: OperatorClients, snapshot: string, to?: string): Promise<PointCopiesReport> {
  if (!anyPlanExports(config)) return copiesOfPoint(snapshot, [], to);
  return copiesOfPoint(snapshot, await copyBuckets(config, aws), to);
}

/**
 * The DR copy to restore: `latest` (the target's newest complete, verified
 * export in the DR bucket) or a named `s3://` export; as a replication group
 * or (`kind`) a serverless cache. With `vault`, the same from the vault
 * bucket, read with the vault account's credentials (`from`: `vault` for
 * its newest). With it, that export as an `.rdb` copy, and what its tags
 * and sizes tell the restore preflight.
 */
export async function chooseDr(
  config: RedisDrConfig,
  aws: OperatorClients,
  region: string,
  target: string,
  from: string,
  nodeType: string | undefined,
  now: Date,
  kind: DrillKind = 'replication-group',
  vault = false,
): Promise<{ choice: RecoveryPointChoice; copy: RdbCopy; evidence: PreflightEvidence }> {
  if (!vault) return chooseCopy(config, aws, region, target, from, nodeType, now, kind, false);
  try {
    return await chooseCopy(config, aws, region, target, from === 'vault' ? 'latest' : from, nodeType, now, kind, true);
  } catch (err) {
    // The vault's own words: denied (its policy lets only the vault account read), no bucket, the profile's credentials.
    if (connectionProblem(err)) throw new UsageError(vaultProblem(config, aws, err));
    if (/AccessDenied|^Forbidden$|AllAccessDisabled|^NoSuchBucket$/.test(errorName(err))) throw new Error(vaultProblem(config, aws, err));
    throw err;
  }
}

async function chooseCopy(
  config: RedisDrConfig,
  aws: OperatorClients,
  region: string,
  target: string,
  from: string,
  nodeType: string | undefined,
  now: Date,
  kind: DrillKind,
  vault: boolean,
): Promise<{ choice: RecoveryPointChoice; copy: RdbCopy; evidence: PreflightEvidence }> {
  const s3 = vault ? aws.vaultS3(region) : aws.s3(region);
  const owner = vault ? config.vault?.account : undefined;
  // An organization's vault keeps this account's replicas under `<account>/<primary region>/`: only those are offered.
  const under = vault ? await vaultKeyPrefix(config, aws) : '';
  let bucket: string;
  let exports: DrExport[];
  const sizes = new Map<string, number>();
  if (from === 'latest') {
    bucket = vault ? vaultBucketName(config)! : recoveryBucketName(config.name, await aws.account(), region);
    const listed = (await listObjects(s3, bucket, `${under}rdr-${target.toLowerCase()}-`, undefined, owner)).filter((o) => !isVerdictObjectKey(o.key));
    for (const o of listed) sizes.set(o.key, o.size);
    const keys = listed.map((o) => o.key);
    exports = (drExportsUnder(keys, under, (t) => t === target.toLowerCase()).get(target.toLowerCase()) ?? []).slice(0, MAX_EXPORTS_PER_TARGET);
    if (exports.length === 0)
      throw new Error(
        `no copies of ${target} in s3://${bucket}${under ? `/${under}` : ''}: check the target id, or restore ${vault ? 'from the DR region or a snapshot' : 'in the primary region'}`,
      );
  } else {
    const url = parseS3Url(from);
    if (!url) throw new UsageError(`--from ${from}: write an S3 copy as s3://<bucket>/<export name> (or the key of one of its .rdb objects)`);
    bucket = url.bucket;
    if (isVerdictObjectKey(url.key))
      throw new UsageError(
        `--from ${from}: ${url.key.split('/')[0]}/ holds the verifiers' verdicts, not copies: pass s3://${bucket}/<export name>, or --from vault`,
      );
    // In an organization's vault a copy may be named with this account's prefix or without it; never another account's.
    const other = under !== '' && !url.key.startsWith(under) ? splitAccountKey(url.key) : undefined;
    if (other)
      throw new UsageError(
        `--from ${from}: ${other.account}/${other.region}/ is another account's part of the organization's vault: restore a copy of this account's, under s3://${bucket}/${under}`,
      );
    const rest = url.key.startsWith(under) ? url.key.slice(under.length) : url.key;
    const exportName = parseExportObjectKey(rest)?.exportName ?? rest.replace(/\/+$/, '');
    const listed = (await listObjects(s3, bucket, `${under}${exportName}`, undefined, owner)).filter((o) => !isVerdictObjectKey(o.key));
    for (const o of listed) sizes.set(o.key, o.size);
    const keys = listed.map((o) => o.key);
    exports = (drExportsUnder(keys, under, () => true).get(target.toLowerCase()) ?? []).filter((e) => e.exportName === exportName);
    if (exports.length === 0) throw new Error(`no .rdb objects of export ${exportName} of ${target} in s3://${bucket}`);
  }
  const problems: string[] = [];
  for (const exp of exports) {
    // A verdict only from the verdict object naming the copy's current version: in the vault its tags replicate from the
    // workload account; in the DR bucket a verdict tag without its object is `unproven`, and says so.
    const reads = await Promise.all(
      exp.objects.map(async (o) => {
        if (vault) return [o.key, await readVaultReplica(s3, bucket, o.key, owner)] as const;
        const r = await readDrCopy(s3, bucket, o.key);
        return [o.key, { tags: r.tags, ...(r.untrusted ? { absent: r.untrusted } : {}) }] as const;
      }),
    );
    const tags = new Map(reads.map(([key, r]) => [key, r.tags]));
    // The copy's own plan: a restore may use any plan's copies.
    const verdict = assessDrExport(exp, tags, { plan: tags.get(exp.objects[0]!.key)?.[TAGS.plan] ?? '' });
    if (verdict.usable) {
      return {
        choice: drChoice(verdict.choice, { nodeType }, { bucket, partition: aws.partition(region) }, now, kind),
        copy: describeCopy(exp, tags, { where: vault ? 'vault' : 'dr', region, bucket }),
        evidence: exportEvidence(
          verdict.choice.summaries,
          exp.objects.map((o) => sizes.get(o.key)),
        ),
      };
    }
    const absent = reads.map(([, r]) => ('absent' in r ? r.absent : undefined)).find((a) => a !== undefined);
    problems.push(`${exp.exportName}: ${verdict.problem} (${verdict.detail}${absent ? `; ${absent}` : ''})`);
  }
  throw new Error(`no usable copy of ${target} in s3://${bucket}; ${problems.slice(0, 3).join('; ')}`);
}
