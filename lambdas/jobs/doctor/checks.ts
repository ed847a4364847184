/**
 * `redis-dr doctor`'s infrastructure checks of a deployed config, read only:
 * per region, the stack (deployed, not failed, from this config), the
 * schedules (enabled, next run), the alert topic (a confirmed subscription),
 * the recovery buckets (versioning, replication, Object Lock, ElastiCache's
 * access, the owner of the newest export), the vault's lifecycle expiry
 * (versions past the bound still there), the plans' targets (shape, data tiering, the drill's node type)
 * and the alarms (none in ALARM). A region whose stack is not deployed gets
 * that one line instead of a failure per resource; the targets, which
 * redis-dr does not create, are checked either way.
 *
 * Every call runs through `wrap` (throttling retried); a call that is
 * denied, or still throttled, makes its check a failure that names the
 * permission, never a pass.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SNSClient } from '@aws-sdk/client-sns';
import { describeStack } from '../../adapters/aws/cloudformation.js';
import { alarmsWithPrefix } from '../../adapters/aws/cloudwatch.js';
import { describeTarget, snapshotSizes } from '../../adapters/aws/elasticache-target.js';
import {
  bucketAclGrants,
  bucketObjectLock,
  bucketPolicyServicePrincipals,
  bucketReplicationRules,
  bucketVersioning,
  NoSuchBucketError,
  objectReplicationStatus,
} from '../../adapters/aws/s3/bucket.js';
import { schedulesOfGroup } from '../../adapters/aws/scheduler.js';
import { topicSubscriptions } from '../../adapters/aws/sns.js';
import type { CallWrapper } from '../../adapters/aws/elasticache.js';
import { describeError, errorName, isNetworkFailure, isThrottling } from '../../adapters/aws/errors.js';
import { listObjects } from '../../adapters/aws/s3/objects.js';
import { drCopyTags } from '../../adapters/records/verdict-objects.js';
import { listVersions, objectAndBucketOwners } from '../../adapters/aws/s3/versions.js';
import { judgeExportOwner, judgeVaultExpiry, type VaultExpiryBound } from '../../domain/doctor/object-checks.js';
import { couldNotCheck, type DoctorCheck, type DoctorSection, type LookFailure } from '../../domain/doctor/check.js';
import {
  type BucketExpectation,
  copyEvidence,
  judgeAccessRoute,
  judgeAlarms,
  judgeBucketMissing,
  judgeObjectLock,
  judgeObjectReplication,
  judgeReplication,
  judgeSchedules,
  judgeStack,
  judgeTarget,
  judgeTopic,
  judgeVaultReplication,
  judgeVersioning,
  type TargetExpectation,
  type TargetFacts,
  type VaultExpectation,
} from '../../domain/doctor/judge.js';
import type { DrillWhere } from '../../domain/drills/drill.js';
import { judgeSelftest, SELFTEST_PREFIX } from '../../domain/selftest/steps.js';
import type { StackDrift } from '../../domain/org/stack-drift.js';
import { readNewestSelftestRecord } from '../../adapters/records/selftest-records.js';
import { TUNING } from '../../adapters/aws/client-config.js';
import { type RetryClock, throttleRetry } from '../../adapters/aws/retry.js';
import { ServiceClients } from '../../adapters/aws/service-clients.js';
import { exportObjectKey } from '../../domain/points/export-objects.js';

/** What one region of the deployment should hold (derived from the config by the caller). */
export interface DoctorRegion {
  readonly where: DrillWhere;
  readonly region: string;
  readonly stackName: string;
  readonly scheduleGroupArn: string;
  /** Every alarm of the deployment starts with it. */
  readonly alarmPrefix: string;
  readonly buckets: readonly BucketExpectation[];
  /** The plans' targets to describe (the primary region's). */
  readonly targets: readonly TargetExpectation[];
}

/** What doctor checks, and against what. */
export interface DoctorInput {
  readonly regions: readonly DoctorRegion[];
  /** The local config's fingerprint, and the stack output that holds the deployed one. */
  readonly configHash: string;
  readonly configHashOutput: string;
  /** The stack output naming the region's alert topic. */
  readonly alertTopicOutput: string;
  /** The stack output naming the region's page router (only stacks with alerts.integrations have it). */
  readonly pageRouterOutput?: string;
  /** The deploy command, for fixes. */
  readonly deploy: string;
  readonly now: Date;
  /** The newest snapshot of each target, when known (status measured it): its sizes size the drill. */
  readonly newestSnapshots?: ReadonlyMap<string, string>;
  /** Per target, the newest export in the export bucket (its replication is read) and the newest verified DR copy (its tags size the DR drill). */
  readonly copies?: ReadonlyMap<string, { readonly exported?: CopyRef; readonly verifiedDr?: CopyRef }>;
  /** The vault the export bucket also replicates into (config `vault`). */
  readonly vault?: VaultExpectation;
  /**
   * The vault's lifecycle, checked in the vault account (`clients.vaultS3`):
   * no version may outlive the bound.
   */
  readonly vaultLifecycle?: { readonly bucket: string; readonly region: string; readonly account: string; readonly bound: VaultExpiryBound };
  /** How ElastiCache is let into each region's export bucket (the owner check's fix depends on it); default `acl`. */
  readonly exportRoute?: (region: string) => 'acl' | 'bucket-policy';
  /**
   * Only these sections are looked at (the selftest's preflight: what its run needs); the
   * others make no call. @default every section
   */
  readonly only?: readonly DoctorSection[];
  /** Where the selftest writes its records (the DR bucket), and how old a passed one may be; absent: not checked. */
  readonly selftest?: { readonly bucket: string; readonly region: string; readonly maxAgeDays?: number };
}

/** One export in a bucket. */
export interface CopyRef {
  readonly region: string;
  readonly bucket: string;
  readonly exportName: string;
}

/** Clients per region, and the throttling retry every call runs through. */
export interface DoctorClients {
  cloudformation(region: string): CloudFormationClient;
  cloudwatch(region: string): CloudWatchClient;
  scheduler(region: string): SchedulerClient;
  sns(region: string): SNSClient;
  s3(region: string): S3Client;
  elasticache(region: string): ElastiCacheClient;
  /** S3 with the vault account's credentials (`--vault-profile`); without it the vault's lifecycle is read with the others. */
  vaultS3?(region: string): S3Client;
  readonly wrap: CallWrapper;
}

/** The operator's access doctor's calls go through (the CLI's `CliAws` is one). */
export interface DoctorAccess {
  readonly clock: RetryClock;
  s3(region: string): S3Client;
  elasticache(region: string): ElastiCacheClient;
  vaultS3?(region: string): S3Client;
}

/**
 * Doctor's clients: the operator's S3 and ElastiCache, the other services'
 * made once per region, every call retried while throttled for up to `budgetMs`.
 */
export function doctorClients(aws: DoctorAccess, budgetMs = 120_000): DoctorClients {
  const services = new ServiceClients();
  return {
    cloudformation: (region) => services.cloudformation(region),
    cloudwatch: (region) => services.cloudwatch(region),
    scheduler: (region) => services.scheduler(region),
    sns: (region) => services.sns(region),
    s3: (region) => aws.s3(region),
    elasticache: (region) => aws.elasticache(region),
    ...(aws.vaultS3 ? { vaultS3: (region: string) => aws.vaultS3!(region) } : {}),
    wrap: throttleRetry(aws.clock, aws.clock.now() + budgetMs, TUNING.throttleDelayMs),
  };
}

/** What the checks found: the checks, and which regions have their stack. */
export interface DoctorRun {
  readonly checks: readonly DoctorCheck[];
  /** Regions whose stack exists (checks beyond it ran there). */
  readonly deployed: readonly DrillWhere[];
  /** Regions AWS could not be reached in (one `network` check each), with the error (a caller may end its run on it). */
  readonly unreachable: readonly { readonly region: string; readonly error: unknown }[];
  /** The alert topic each deployed stack names (its output), for who sends through it (the selftest's alert path). */
  readonly topics: readonly DeployedTopic[];
  /** Each deployed stack whose DescribeStacks said its drift status (as of CloudFormation's last drift detection): the selftest records them. */
  readonly stacks: readonly StackDrift[];
}

/** A deployed stack's alert topic, and its page router when the config has alerts.integrations. */
export interface DeployedTopic {
  readonly where: DrillWhere;
  readonly region: string;
  readonly topicArn: string;
  readonly pageRouterArn?: string;
}

/** Denied, throttled (also when the retries gave up), or another failure. */
function lookFailure(err: unknown): LookFailure {
  const name = errorName(err);
  // S3 answers a denied HEAD with a bare 403 (`Forbidden`); SNS says `AuthorizationError`.
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized|AuthorizationError|AuthorizationFailure|^Forbidden$/.test(name)) return 'denied';
  if (isThrottling(err) || (name === 'RetriesExhaustedError' && isThrottling((err as Error).cause))) return 'throttled';
  return 'other';
}

type Base = Pick<DoctorCheck, 'section' | 'region' | 'subject'>;

/** Runs `read`; when it fails, the failed check saying why (and which permission) instead. */
async function look<T>(base: Base, permission: string, read: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; check: DoctorCheck }> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    if (err instanceof NoSuchBucketError) throw err;
    return { ok: false, check: couldNotCheck(base, lookFailure(err), permission, describeError(err)) };
  }
}

/** Runs every check of every region (regions one after the other; a denied call costs only its check). */
export async function runDoctorChecks(input: DoctorInput, clients: DoctorClients): Promise<DoctorRun> {
  const checks: DoctorCheck[] = [];
  const deployed: DrillWhere[] = [];
  const topics: DeployedTopic[] = [];
  const stacks: StackDrift[] = [];
  const unreachableIn: { region: string; error: unknown }[] = [];
  const want = (section: DoctorSection) => !input.only || input.only.includes(section);
  const { wrap } = clients;
  for (const r of input.regions) {
    const region = r.region;
    const stackBase: Base = { section: 'stacks', region, subject: r.stackName };
    let unreachable: string | undefined;
    const stack = await look(stackBase, 'cloudformation:DescribeStacks', () =>
      describeStack(clients.cloudformation(region), r.stackName, wrap).catch((err: unknown) => {
        if (isNetworkFailure(err)) {
          unreachable = describeError(err);
          unreachableIn.push({ region, error: err });
        }
        throw err;
      }),
    );
    if (unreachable !== undefined) {
      // Every other call of the region would fail the same way: one line, not one per check blaming permissions.
      checks.push({
        section: 'network',
        region,
        subject: `AWS in ${region}`,
        state: 'fail',
        detail: `not reached (${unreachable}): the other checks of ${region} were not run`,
        fix: `check this machine's route to AWS in ${region} (a proxy, VPC endpoints, AWS_ENDPOINT_URL*), then run doctor again`,
      });
      continue;
    }
    if (!stack.ok) checks.push(stack.check);
    else checks.push(...judgeStack(region, r.stackName, stack.value, input.configHash, input.configHashOutput, input.deploy));
    const exists = !stack.ok || stack.value !== undefined;
    if (stack.ok && stack.value !== undefined) deployed.push(r.where);
    const drift = stack.ok ? stack.value?.drift : undefined;
    if (drift) stacks.push({ stack: r.stackName, region, drift: drift.status, ...(drift.checkedAt ? { checkedAt: drift.checkedAt } : {}) });

    if (exists) {
      const schedules = !want('schedules')
        ? undefined
        : await look(
            { section: 'schedules', region, subject: `group ${r.scheduleGroupArn.split('/').pop()}` },
            'scheduler:GetScheduleGroup, scheduler:ListSchedules and scheduler:GetSchedule',
            () => schedulesOfGroup(clients.scheduler(region), r.scheduleGroupArn, wrap),
          );
      checks.push(
        ...(!schedules
          ? []
          : schedules.ok
            ? judgeSchedules(region, r.scheduleGroupArn.split('/').pop()!, schedules.value, input.now, input.deploy)
            : [schedules.check]),
      );

      const topicArn = stack.ok ? stack.value?.outputs[input.alertTopicOutput] : undefined;
      const pageRouterArn = stack.ok && input.pageRouterOutput ? stack.value?.outputs[input.pageRouterOutput] : undefined;
      if (topicArn) topics.push({ where: r.where, region, topicArn, ...(pageRouterArn ? { pageRouterArn } : {}) });
      if (!want('alerts')) {
        // The topic is still named (above) for who sends through it.
      } else if (stack.ok) {
        const subs = topicArn
          ? await look({ section: 'alerts', region, subject: `topic ${topicArn.split(':').pop()}` }, 'sns:ListSubscriptionsByTopic', () =>
              topicSubscriptions(clients.sns(region), topicArn, wrap),
            )
          : ({ ok: true, value: undefined } as const);
        checks.push(subs.ok ? judgeTopic(region, topicArn, subs.value, input.alertTopicOutput, pageRouterArn) : subs.check);
      } else {
        checks.push({
          section: 'alerts',
          region,
          subject: 'alert topic',
          state: 'fail',
          detail: 'not checked: the topic is named by the stack, which could not be read',
          fix: 'grant cloudformation:DescribeStacks',
        });
      }

      for (const b of r.buckets) checks.push(...(await bucketChecks(region, b, clients.s3(region), wrap, input.deploy)));

      const alarms = !want('alarms')
        ? undefined
        : await look({ section: 'alarms', region, subject: `${r.alarmPrefix}*` }, 'cloudwatch:DescribeAlarms', () =>
            alarmsWithPrefix(clients.cloudwatch(region), r.alarmPrefix, wrap),
          );
      checks.push(...(!alarms ? [] : alarms.ok ? judgeAlarms(region, r.alarmPrefix, alarms.value) : [alarms.check]));
    }

    for (const t of r.targets) {
      const copies = input.copies?.get(t.id);
      checks.push(...(await targetChecks(region, t, clients, input.newestSnapshots?.get(t.id), copies?.verifiedDr)));
      if (copies?.exported && exists) {
        checks.push(await replicationCheck(copies.exported, clients, input.vault));
        checks.push(await exportOwnerCheck(copies.exported, clients, input.exportRoute?.(copies.exported.region) ?? 'acl'));
      }
    }
  }
  if (input.vaultLifecycle && want('vault')) checks.push(await vaultExpiryCheck(input.vaultLifecycle, clients, input.now));
  if (input.selftest && want('selftest') && deployed.includes('dr')) checks.push(await selftestCheck(input.selftest, clients, input.now));
  return { checks, deployed, topics, stacks, unreachable: unreachableIn };
}

/** The newest selftest record in the DR bucket: its age, verdict and failing step (lambdas/domain/selftest/steps.ts). */
async function selftestCheck(where: NonNullable<DoctorInput['selftest']>, clients: DoctorClients, now: Date): Promise<DoctorCheck> {
  const base: Base = { section: 'selftest', region: where.region, subject: `newest record in s3://${where.bucket}/${SELFTEST_PREFIX}` };
  const found = await look(base, 's3:ListBucket and s3:GetObject on selftest/*', () =>
    clients.wrap(() => readNewestSelftestRecord(clients.s3(where.region), where.bucket)),
  );
  if (!found.ok) return found.check;
  return { ...base, ...judgeSelftest(found.value, now, where.maxAgeDays) };
}

/** The owner of the newest export's first object against the bucket owner (ElastiCache's writes under the ACL route). */
async function exportOwnerCheck(ref: CopyRef, clients: DoctorClients, route: 'acl' | 'bucket-policy'): Promise<DoctorCheck> {
  const key = exportObjectKey(ref.exportName, 1);
  const base: Base = { section: 'buckets', region: ref.region, subject: `export bucket ${ref.bucket} owner of ${key}` };
  try {
    const owners = await look(base, 's3:GetObjectAcl and s3:GetBucketAcl', () => objectAndBucketOwners(clients.s3(ref.region), ref.bucket, key, clients.wrap));
    return owners.ok ? judgeExportOwner(ref.region, ref.bucket, key, owners.value, route) : owners.check;
  } catch (err) {
    if (!(err instanceof NoSuchBucketError)) throw err;
    return { ...base, state: 'fail', detail: 'the export bucket does not exist', fix: 'deploy the stacks' };
  }
}

/** Every version of the vault against its lifecycle's bound (read with the vault account's credentials). */
async function vaultExpiryCheck(v: NonNullable<DoctorInput['vaultLifecycle']>, clients: DoctorClients, now: Date): Promise<DoctorCheck> {
  const base: Base = { section: 'vault', region: v.region, subject: `vault bucket ${v.bucket} lifecycle expiry` };
  const s3 = clients.vaultS3?.(v.region) ?? clients.s3(v.region);
  const versions = await look(base, "s3:ListBucketVersions on the vault bucket (the vault account's credentials: --vault-profile)", () =>
    listVersions(s3, v.bucket, '', clients.wrap, v.account),
  );
  return versions.ok ? judgeVaultExpiry(v.region, v.bucket, versions.value, v.bound, now) : versions.check;
}

/** A bucket's settings, each read on its own; a missing bucket is one line. */
async function bucketChecks(region: string, b: BucketExpectation, s3: S3Client, wrap: CallWrapper, deploy: string): Promise<DoctorCheck[]> {
  const subject = `${b.role === 'export' ? 'export' : 'DR'} bucket ${b.name}`;
  const base = (what: string): Base => ({ section: 'buckets', region, subject: `${subject} ${what}` });
  const out: DoctorCheck[] = [];
  try {
    const versioning = await look(base('versioning'), 's3:GetBucketVersioning', () => bucketVersioning(s3, b.name, wrap));
    out.push(versioning.ok ? judgeVersioning(region, b, versioning.value) : versioning.check);
    if (b.replicateTo) {
      const rules = await look(base('replication'), 's3:GetReplicationConfiguration', () => bucketReplicationRules(s3, b.name, wrap));
      out.push(rules.ok ? judgeReplication(region, b, rules.value) : rules.check);
      if (rules.ok && b.replicateToVault) out.push(judgeVaultReplication(region, b, rules.value));
    }
    if (b.objectLock) {
      const lock = await look(base('Object Lock'), 's3:GetBucketObjectLockConfiguration', () => bucketObjectLock(s3, b.name, wrap));
      out.push(lock.ok ? judgeObjectLock(region, b, lock.value) : lock.check);
    }
    const policy = await look(base('ElastiCache access'), 's3:GetBucketPolicy', () => bucketPolicyServicePrincipals(s3, b.name, wrap));
    if (!policy.ok) {
      out.push(policy.check);
    } else if (b.route === 'acl') {
      const acl = await look(base('ElastiCache access'), 's3:GetBucketAcl', () => bucketAclGrants(s3, b.name, wrap));
      out.push(acl.ok ? judgeAccessRoute(region, b, policy.value, acl.value) : acl.check);
    } else {
      out.push(judgeAccessRoute(region, b, policy.value, undefined));
    }
  } catch (err) {
    if (!(err instanceof NoSuchBucketError)) throw err;
    return [judgeBucketMissing(region, b, deploy)];
  }
  return out;
}

/** A target's description and, when the plan drills, its newest snapshot and verified DR copy against the drills' node types. */
async function targetChecks(
  region: string,
  t: TargetExpectation,
  clients: DoctorClients,
  newestSnapshot: string | undefined,
  verifiedDr: CopyRef | undefined,
): Promise<DoctorCheck[]> {
  const { wrap } = clients;
  const ec = clients.elasticache(region);
  const base: Base = { section: 'targets', region, subject: `${t.plan}/${t.id}` };
  const permission =
    t.kind === 'serverless-cache' ? 'elasticache:DescribeServerlessCaches' : 'elasticache:DescribeReplicationGroups and elasticache:DescribeCacheClusters';
  const facts = await look(base, permission, () => describeTarget(ec, t.kind, t.id, wrap));
  if (!facts.ok) return [facts.check];
  if (!facts.value) return judgeTarget(region, t, undefined);
  const extra: DoctorCheck[] = [];
  let found: TargetFacts = facts.value;
  if (newestSnapshot && t.drills?.length && t.kind === 'replication-group') {
    const sizes = await look({ ...base, subject: `${base.subject} drill node` }, 'elasticache:DescribeSnapshots', () =>
      snapshotSizes(ec, newestSnapshot, wrap),
    );
    if (sizes.ok) found = { ...found, newestSnapshot: sizes.value };
    else extra.push(sizes.check);
  }
  if (verifiedDr) {
    const s3 = clients.s3(verifiedDr.region);
    const copy = await look({ ...base, subject: `${base.subject} DR copy ${verifiedDr.exportName}` }, 's3:ListBucket and s3:GetObjectTagging', async () => {
      const objects = await listObjects(s3, verifiedDr.bucket, `${verifiedDr.exportName}-`, wrap);
      const tagged = await Promise.all(objects.map(async (o) => ({ ...o, tags: await drCopyTags(s3, verifiedDr.bucket, o.key, { wrap }) })));
      return copyEvidence(verifiedDr.exportName, tagged);
    });
    if (copy.ok) found = { ...found, drCopy: { name: verifiedDr.exportName, evidence: copy.value } };
    else extra.push(copy.check);
  }
  // A sizing that could not be read is said once; the drills are then judged without it.
  return [
    ...judgeTarget(
      region,
      extra.length > 0 ? { ...t, drills: t.drills?.filter((d) => (d.where === 'dr' ? !!found.drCopy || !verifiedDr : !!found.newestSnapshot)) } : t,
      found,
    ),
    ...extra,
  ];
}

/** The newest export's replication to the DR bucket (its first object's status). */
async function replicationCheck(ref: CopyRef, clients: DoctorClients, vault: VaultExpectation | undefined): Promise<DoctorCheck> {
  const key = exportObjectKey(ref.exportName, 1);
  const base: Base = { section: 'buckets', region: ref.region, subject: `export bucket ${ref.bucket} replication of ${key}` };
  try {
    const status = await look(base, 's3:GetObject', () => objectReplicationStatus(clients.s3(ref.region), ref.bucket, key, clients.wrap));
    return status.ok ? judgeObjectReplication(ref.region, ref.bucket, key, status.value, vault) : status.check;
  } catch (err) {
    if (!(err instanceof NoSuchBucketError)) throw err;
    return { ...base, state: 'fail', detail: 'the export bucket does not exist', fix: 'deploy the stacks' };
  }
}
