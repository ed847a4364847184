/**
 * What both restores share (a replication group, action.ts; a serverless
 * cache, serverless.ts): their options and result, the DR copy a restore
 * seeds from, and a recovery point's `.rdb` copies.
 */
import type { CreateReplicationGroupCommandInput, CreateServerlessCacheCommandInput } from '@aws-sdk/client-elasticache';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { recoveryBucketName } from '../../../lib/deployment.js';
import { getObjectTags, listObjects, parseS3Url } from '../../../lambdas/adapters/aws/s3.js';
import type { DrillKind, RecoveryPointChoice } from '../../../lambdas/domain/drills/drill.js';
import { assessDrExport, drChoice, drExportsByTarget, MAX_EXPORTS_PER_TARGET, type DrExport } from '../../../lambdas/domain/drills/select.js';
import { parseExportObjectKey } from '../../../lambdas/domain/dr-copies/export.js';
import { describeCopy, type RdbCopy } from '../../../lambdas/domain/dr-copies/rdb-copies.js';
import { exportEvidence, type PreflightEvidence, type PreflightRefusal } from '../../../lambdas/domain/drills/restore-preflight.js';
import { TAGS } from '../../../lambdas/domain/plans/types.js';
import type { CliAws } from '../../aws.js';
import { copiesOfPoint, copyBuckets, anyPlanExports, type PointCopiesReport } from '../../rdb-copies.js';
import { UsageError } from '../../usage.js';

/** Options of `runRestore` (action.ts). */
export interface RestoreOptions {
  readonly target: string;
  /** `latest` (default), a snapshot name, or `s3://bucket/<export>`. */
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
  /** Why the preflight refused the restore (domain/restore-preflight.ts), when it did. */
  readonly refusals?: readonly PreflightRefusal[];
  readonly endpoint: string | null;
  readonly ok: boolean;
  readonly message: string;
  /** The recovery point's `.rdb` copies and the key-level fast path (`migrate --from-rdb`), when there is one. */
  readonly rdbCopies: PointCopiesReport;
}

/**
 * The `.rdb` copies of a snapshot in the export and DR buckets (none looked
 * for when no plan exports); `to`: the server the fast path restores into.
 */
export async function pointCopiesOrNone(config: RedisDrConfig, aws: CliAws, snapshot: string, to?: string): Promise<PointCopiesReport> {
  if (!anyPlanExports(config)) return copiesOfPoint(snapshot, [], to);
  return copiesOfPoint(snapshot, await copyBuckets(config, aws), to);
}

/**
 * The DR copy to restore: `latest` (the target's newest complete, verified
 * export in the DR bucket) or a named `s3://` export; as a replication group
 * or (`kind`) a serverless cache. With it, that export as an `.rdb` copy,
 * and what its tags and sizes tell the restore preflight.
 */
export async function chooseDr(
  config: RedisDrConfig,
  aws: CliAws,
  region: string,
  target: string,
  from: string,
  nodeType: string | undefined,
  now: Date,
  kind: DrillKind = 'replication-group',
): Promise<{ choice: RecoveryPointChoice; copy: RdbCopy; evidence: PreflightEvidence }> {
  const s3 = aws.s3(region);
  let bucket: string;
  let exports: DrExport[];
  const sizes = new Map<string, number>();
  if (from === 'latest') {
    bucket = recoveryBucketName(config.name, await aws.account(), region);
    const listed = await listObjects(s3, bucket, `rdr-${target.toLowerCase()}-`);
    for (const o of listed) sizes.set(o.key, o.size);
    const keys = listed.map((o) => o.key);
    exports = (drExportsByTarget(keys, (t) => t === target.toLowerCase()).get(target.toLowerCase()) ?? []).slice(0, MAX_EXPORTS_PER_TARGET);
    if (exports.length === 0) throw new Error(`no copies of ${target} in s3://${bucket}: check the target id, or restore in the primary region`);
  } else {
    const url = parseS3Url(from);
    if (!url) throw new UsageError(`--from ${from}: write an S3 copy as s3://<bucket>/<export name> (or the key of one of its .rdb objects)`);
    bucket = url.bucket;
    const exportName = parseExportObjectKey(url.key)?.exportName ?? url.key.replace(/\/+$/, '');
    const listed = await listObjects(s3, bucket, exportName);
    for (const o of listed) sizes.set(o.key, o.size);
    const keys = listed.map((o) => o.key);
    exports = (drExportsByTarget(keys, () => true).get(target.toLowerCase()) ?? []).filter((e) => e.exportName === exportName);
    if (exports.length === 0) throw new Error(`no .rdb objects of export ${exportName} of ${target} in s3://${bucket}`);
  }
  const problems: string[] = [];
  for (const exp of exports) {
    const tags = new Map(await Promise.all(exp.objects.map(async (o) => [o.key, await getObjectTags(s3, bucket, o.key)] as const)));
    // The copy's own plan: a restore may use any plan's copies.
    const verdict = assessDrExport(exp, tags, { plan: tags.get(exp.objects[0]!.key)?.[TAGS.plan] ?? '' });
    if (verdict.usable) {
      return {
        choice: drChoice(verdict.choice, { nodeType }, { bucket, partition: aws.partition(region) }, now, kind),
        copy: describeCopy(exp, tags, { where: 'dr', region, bucket }),
        evidence: exportEvidence(
          verdict.choice.summaries,
          exp.objects.map((o) => sizes.get(o.key)),
        ),
      };
    }
    problems.push(`${exp.exportName}: ${verdict.problem} (${verdict.detail})`);
  }
  throw new Error(`no usable copy of ${target} in s3://${bucket}; ${problems.slice(0, 3).join('; ')}`);
}
