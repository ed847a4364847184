/**
 * `redis-dr doctor`'s judgements, pure: what the Describe calls found in,
 * checks out (see ./check.ts). The adapters under lambdas/adapters/aws/
 * read; the job (lambdas/jobs/doctor/checks.ts) calls them and these.
 */
import { exportUnsupported } from '../plans/coverage.js';
import { parseExportObjectKey } from '../points/export-objects.js';
import { exportEvidence, NODE_MEMORY_GIB, type PreflightEvidence, restorePreflight, snapshotEvidence } from '../drills/restore-preflight.js';
import { parseRdbSummary } from '../points/rdb-summary.js';
import { nextOccurrences } from '../plans/schedule.js';
import { TAGS, type TargetKind } from '../plans/types.js';
import type { DoctorCheck } from './check.js';
import { RUNBOOKS } from '../alerting/catalog.js';
import type { StackDriftStatus } from '../org/stack-drift.js';

// ---------------------------------------------------------------- stacks

/** A deployed stack as DescribeStacks gives it. */
export interface StackFacts {
  readonly name: string;
  /** `CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, `UPDATE_IN_PROGRESS`… */
  readonly status: string;
  readonly statusReason?: string;
  /** Outputs by key. */
  readonly outputs: Readonly<Record<string, string>>;
  /** CloudFormation's drift status as of its last drift detection (DescribeStacks' `DriftInformation`); absent: not said. */
  readonly drift?: { readonly status: StackDriftStatus; readonly checkedAt?: string };
}

/**
 * The stack's state and whether it was deployed from this config: missing
 * (never deployed, or deleted), failed or rolled back (fail), in progress
 * (warn), complete; then the config fingerprint output against the local
 * config's (changed: fail, names `cdk deploy`; absent: warn, an older deploy).
 */
export function judgeStack(region: string, name: string, stack: StackFacts | undefined, localHash: string, hashOutput: string, deploy: string): DoctorCheck[] {
  const base = { section: 'stacks', region, subject: name } as const;
  if (!stack) {
    return [{ ...base, state: 'fail', detail: `not deployed in ${region} (DescribeStacks: does not exist)`, fix: `deploy it: ${deploy}` }];
  }
  const reason = stack.statusReason ? ` (${stack.statusReason})` : '';
  const s = stack.status;
  if (s === 'ROLLBACK_COMPLETE' || s.endsWith('_FAILED')) {
    return [
      {
        ...base,
        state: 'fail',
        detail: `${s}${reason}: the stack is not usable`,
        fix:
          s === 'ROLLBACK_COMPLETE'
            ? `the first deploy failed: read the stack events, delete the stack, fix the cause and deploy again (${deploy})`
            : `read the stack events (aws cloudformation describe-stack-events --region ${region} --stack-name ${name}), fix the cause and deploy again`,
      },
    ];
  }
  if (s.endsWith('_IN_PROGRESS')) {
    return [{ ...base, state: 'warn', detail: `${s}: a deploy or rollback is running`, fix: 'run doctor again when it is finished' }];
  }
  const checks: DoctorCheck[] = [];
  if (s === 'UPDATE_ROLLBACK_COMPLETE') {
    checks.push({
      ...base,
      state: 'warn',
      detail: `${s}: the last update failed and was rolled back; the stack runs the deploy before it`,
      fix: `read the stack events, fix the cause and deploy again (${deploy})`,
    });
  } else {
    checks.push({ ...base, state: 'pass', detail: s, fix: null });
  }
  const deployed = stack.outputs[hashOutput];
  if (deployed === undefined) {
    checks.push({
      ...base,
      subject: `${name} config`,
      state: 'warn',
      detail: `no ${hashOutput} output: deployed by a redis-dr before doctor, so whether it matches this config is unknown`,
      fix: `deploy once with this version (${deploy})`,
    });
  } else if (deployed !== localHash) {
    checks.push({
      ...base,
      subject: `${name} config`,
      state: 'fail',
      detail: `config changed since the last deploy (deployed ${hashOutput} ${deployed}, this config ${localHash})`,
      fix: `run cdk deploy: ${deploy}`,
    });
  } else {
    checks.push({ ...base, subject: `${name} config`, state: 'pass', detail: `deployed from this config (${hashOutput} ${localHash})`, fix: null });
  }
  const drifted = driftCheck(region, name, stack.drift);
  return drifted ? [...checks, drifted] : checks;
}

/**
 * A DRIFTED stack (CloudFormation's last drift detection found a resource
 * changed outside the stack) warns: it still runs, but not as deployed.
 * Other statuses add no check (NOT_CHECKED: no detection ever ran; doctor
 * reads DescribeStacks only, it does not start one).
 */
export function driftCheck(region: string, name: string, drift: StackFacts['drift']): DoctorCheck | undefined {
  if (drift?.status !== 'DRIFTED') return undefined;
  return {
    section: 'stacks',
    region,
    subject: `${name} drift`,
    state: 'warn',
    detail: `DRIFTED: CloudFormation's drift detection${drift.checkedAt ? ` of ${drift.checkedAt}` : ''} found resources changed outside the stack`,
    fix: `see what changed (aws cloudformation describe-stack-resource-drifts --region ${region} --stack-name ${name} --stack-resource-drift-status-filters MODIFIED DELETED), undo it or deploy again, then detect drift again (aws cloudformation detect-stack-drift --region ${region} --stack-name ${name})`,
  };
}

// ---------------------------------------------------------------- schedules

/** A schedule as GetSchedule gives it. */
export interface ScheduleFacts {
  readonly name: string;
  /** `ENABLED` or `DISABLED`. */
  readonly state: string;
  /** `cron(…)`, `rate(…)` or `at(…)`. */
  readonly expression?: string;
  readonly timeZone?: string;
  /** What it starts (redis-dr writes `redis-dr <purpose> for plan <plan>`). */
  readonly description?: string;
}

/** When a schedule runs next, in words: the time of a cron's next run, `every …` for a rate. */
export function nextRun(expression: string | undefined, timeZone: string | undefined, now: Date): string {
  if (!expression) return 'next run unknown (no expression)';
  if (expression.startsWith('rate(')) return `runs every ${expression.slice(5, -1)}`;
  if (expression.startsWith('at(')) return `runs once at ${expression.slice(3, -1)}`;
  try {
    const [next] = nextOccurrences(expression, timeZone ?? 'UTC', now, 1);
    return next ? `next run ${next.toISOString()}` : 'no run ahead';
  } catch {
    return `next run unknown (${expression} is not an expression doctor evaluates)`;
  }
}

/**
 * Every schedule of the region's group: enabled (pass, with its next run)
 * or disabled (fail: nothing it starts runs). A missing or empty group fails.
 */
export function judgeSchedules(region: string, group: string, schedules: readonly ScheduleFacts[] | undefined, now: Date, deploy: string): DoctorCheck[] {
  const base = { section: 'schedules', region } as const;
  if (schedules === undefined) {
    return [
      {
        ...base,
        subject: `group ${group}`,
        state: 'fail',
        detail: 'schedule group does not exist: nothing is scheduled in this region',
        fix: `deploy the stacks: ${deploy}`,
      },
    ];
  }
  if (schedules.length === 0) {
    return [
      {
        ...base,
        subject: `group ${group}`,
        state: 'fail',
        detail: 'no schedules in the group: nothing runs in this region',
        fix: `deploy the stacks: ${deploy}`,
      },
    ];
  }
  return [...schedules]
    .sort((a, b) => (a.description ?? a.name).localeCompare(b.description ?? b.name))
    .map((s): DoctorCheck => {
      const subject = s.description ? `${s.description} (${s.name})` : s.name;
      const when = `${s.expression ?? '?'} ${s.timeZone ?? 'UTC'}`;
      if (s.state !== 'ENABLED') {
        return {
          ...base,
          subject,
          state: 'fail',
          detail: `${s.state}: it never runs (${when})`,
          fix: `enable it: aws scheduler update-schedule with --state ENABLED, or deploy again (${deploy}) to reset it`,
        };
      }
      return { ...base, subject, state: 'pass', detail: `enabled, ${nextRun(s.expression, s.timeZone, now)} (${when})`, fix: null };
    });
}

// ---------------------------------------------------------------- alert topics

/** One subscription of a topic. */
export interface SubscriptionFacts {
  /** `email`, `https`, `sqs`… */
  readonly protocol: string;
  readonly endpoint: string;
  /** False while the SubscriptionArn is `PendingConfirmation`. */
  readonly confirmed: boolean;
}

/** What it means when the page router's subscription is an alert topic's only confirmed one, and the fix (doctor and selftest). */
export const ROUTER_ONLY = {
  why: 'pages reach on-call only through alerts.integrations, and a page none of them takes reaches no one',
  fix: 'add alerts.emails (or confirm the pending subscription) as a second path, and deploy',
} as const;

/**
 * The region's alert topic: at least one confirmed subscription, else nobody will be paged. The page router's own
 * subscription (`pageRouterArn`, with alerts.integrations) delivers pages to those tools only: as the only one, it warns.
 */
export function judgeTopic(
  region: string,
  topicArn: string | undefined,
  subscriptions: readonly SubscriptionFacts[] | undefined,
  outputName: string,
  pageRouterArn?: string,
): DoctorCheck {
  const base = { section: 'alerts', region, subject: topicArn ? `topic ${topicArn.split(':').pop()}` : 'alert topic' } as const;
  if (!topicArn)
    return {
      ...base,
      state: 'fail',
      detail: `the stack has no ${outputName} output: the alert topic is unknown`,
      fix: 'deploy the stacks with this version of redis-dr',
    };
  if (subscriptions === undefined)
    return {
      ...base,
      state: 'fail',
      detail: `topic ${topicArn} does not exist`,
      fix: 'deploy the stacks again, or fix alerts.existingTopicArns in the config',
    };
  const confirmed = subscriptions.filter((s) => s.confirmed);
  const pending = subscriptions.filter((s) => !s.confirmed);
  const listed = (list: readonly SubscriptionFacts[]) => list.map((s) => `${s.protocol} ${s.endpoint}`).join(', ');
  if (confirmed.length === 0) {
    return {
      ...base,
      state: 'fail',
      detail: pending.length > 0 ? `only unconfirmed subscriptions (${listed(pending)}): nobody will be paged` : 'no subscriptions: nobody will be paged',
      fix:
        pending.length > 0
          ? 'confirm each subscription from the message AWS sent to it (or resend: aws sns subscribe)'
          : `subscribe on-call: add alerts.emails or alerts.httpsEndpoints to the config and deploy, or aws sns subscribe --topic-arn ${topicArn}`,
    };
  }
  if (pageRouterArn !== undefined && confirmed.every((s) => s.protocol === 'lambda' && s.endpoint === pageRouterArn)) {
    return {
      ...base,
      state: 'warn',
      detail: `the page router is the only confirmed subscription${pending.length > 0 ? ` (not yet confirmed: ${listed(pending)})` : ''}: ${ROUTER_ONLY.why}`,
      fix: ROUTER_ONLY.fix,
    };
  }
  if (pending.length > 0) {
    return {
      ...base,
      state: 'warn',
      detail: `${confirmed.length} confirmed (${listed(confirmed)}), ${pending.length} not yet confirmed (${listed(pending)})`,
      fix: 'confirm the pending subscriptions, or remove them',
    };
  }
  return { ...base, state: 'pass', detail: `${confirmed.length} confirmed subscription(s): ${listed(confirmed)}`, fix: null };
}

// ---------------------------------------------------------------- buckets

/** What a recovery bucket must be, from the config. */
export interface BucketExpectation {
  /** export: the primary region's export bucket; dr: the DR bucket it replicates to. */
  readonly role: 'export' | 'dr';
  readonly name: string;
  /** The export bucket's replication: the rule id and the DR bucket. */
  readonly replicateTo?: { readonly bucket: string; readonly ruleId: string };
  /** The export bucket's second rule, into the vault account's bucket (config `vault`). */
  readonly replicateToVault?: VaultExpectation;
  /** `dr.objectLock` of the config (DR bucket only). */
  readonly objectLock?: { readonly mode: string; readonly days: number };
  /** How ElastiCache reaches the bucket (lib/constructs/elasticache-s3-access.ts). */
  readonly route: 'acl' | 'bucket-policy';
  /** The regional service principal the bucket policy must name. */
  readonly principal: string;
  /** ElastiCache's canonical user the ACL must grant (acl route). */
  readonly canonicalUserId?: string;
  /** The ACL permissions ElastiCache needs there (acl route). */
  readonly aclPermissions: readonly string[];
}

const bucketBase = (region: string, b: BucketExpectation) =>
  ({ section: 'buckets', region, subject: `${b.role === 'export' ? 'export' : 'DR'} bucket ${b.name}` }) as const;

/** A bucket that does not exist: one line instead of one per setting. */
export function judgeBucketMissing(region: string, b: BucketExpectation, deploy: string): DoctorCheck {
  return { ...bucketBase(region, b), state: 'fail', detail: 'does not exist', fix: `deploy the stacks: ${deploy}` };
}

/** Versioning on (replication and Object Lock need it; deletions stay recoverable). */
export function judgeVersioning(region: string, b: BucketExpectation, status: string | undefined): DoctorCheck {
  const base = { ...bucketBase(region, b), subject: `${bucketBase(region, b).subject} versioning` };
  if (status === 'Enabled') return { ...base, state: 'pass', detail: 'Enabled', fix: null };
  return {
    ...base,
    state: 'fail',
    detail: `${status ?? 'never enabled'}: replication and recovery of deleted copies need it`,
    fix: `aws s3api put-bucket-versioning --bucket ${b.name} --versioning-configuration Status=Enabled (or deploy again)`,
  };
}

/** The vault a deployment replicates into (config `vault`). */
export interface VaultExpectation {
  readonly bucket: string;
  readonly account: string;
  readonly ruleId: string;
  /** The vault's stack, deployed with the vault account's credentials. */
  readonly stack: string;
}

/** One replication rule as GetBucketReplication gives it. */
export interface ReplicationRuleFacts {
  readonly id?: string;
  readonly status?: string;
  /** `arn:aws:s3:::<bucket>`. */
  readonly destination?: string;
  /** The destination account, when the rule names one (cross-account). */
  readonly account?: string;
  /** Replicas are handed to the destination's owner (`AccessControlTranslation: Destination`). */
  readonly ownerOverride?: boolean;
  /** `DeleteMarkerReplication` status. */
  readonly deleteMarkers?: string;
}

/** The export bucket's rule to the DR bucket: present, enabled, to the right bucket. */
export function judgeReplication(region: string, b: BucketExpectation, rules: readonly ReplicationRuleFacts[] | undefined): DoctorCheck {
  const base = { ...bucketBase(region, b), subject: `${bucketBase(region, b).subject} replication` };
  const want = b.replicateTo!;
  const fix = `deploy again to restore rule ${want.ruleId} (s3://${b.name} to s3://${want.bucket})`;
  if (!rules || rules.length === 0) return { ...base, state: 'fail', detail: 'no replication configured: no copy reaches the DR region', fix };
  const rule = rules.find((r) => r.id === want.ruleId) ?? rules.find((r) => r.destination?.endsWith(`:::${want.bucket}`));
  if (!rule)
    return {
      ...base,
      state: 'fail',
      detail: `no rule ${want.ruleId} (rules: ${rules.map((r) => r.id ?? '?').join(', ')}): no copy reaches the DR region`,
      fix,
    };
  if (rule.status !== 'Enabled')
    return { ...base, state: 'fail', detail: `rule ${rule.id} is ${rule.status ?? 'not enabled'}: no copy reaches the DR region`, fix };
  if (!rule.destination?.endsWith(`:::${want.bucket}`))
    return { ...base, state: 'fail', detail: `rule ${rule.id} replicates to ${rule.destination ?? '?'}, not s3://${want.bucket}`, fix };
  return { ...base, state: 'pass', detail: `rule ${rule.id} Enabled to s3://${want.bucket}`, fix: null };
}

/**
 * The export bucket's rule into the vault: present, enabled, to the vault
 * bucket of the vault account, replicas handed to that account, deletions
 * not replicated. Whether the vault stack itself exists cannot be read with
 * the workload account's credentials: a replication that FAILED says so.
 */
export function judgeVaultReplication(region: string, b: BucketExpectation, rules: readonly ReplicationRuleFacts[] | undefined): DoctorCheck {
  const base = { ...bucketBase(region, b), subject: `${bucketBase(region, b).subject} replication to the vault` };
  const want = b.replicateToVault!;
  const fix = `deploy the workload stacks again to restore rule ${want.ruleId} (s3://${b.name} to s3://${want.bucket} in account ${want.account})`;
  const rule = (rules ?? []).find((r) => r.id === want.ruleId) ?? (rules ?? []).find((r) => r.destination?.endsWith(`:::${want.bucket}`));
  if (!rule) return { ...base, state: 'fail', detail: `no rule ${want.ruleId}: no copy reaches the vault`, fix };
  const problems = [
    rule.status !== 'Enabled' ? `is ${rule.status ?? 'not enabled'}` : '',
    rule.destination?.endsWith(`:::${want.bucket}`) ? '' : `replicates to ${rule.destination ?? '?'}, not s3://${want.bucket}`,
    rule.account === want.account ? '' : `names account ${rule.account ?? 'none'}, not ${want.account}`,
    rule.ownerOverride ? '' : 'keeps the replicas owned by this account (no owner override)',
    rule.deleteMarkers === 'Enabled' ? 'replicates deletions' : '',
  ].filter(Boolean);
  if (problems.length > 0) return { ...base, state: 'fail', detail: `rule ${rule.id} ${problems.join('; ')}`, fix };
  return {
    ...base,
    state: 'pass',
    detail: `rule ${rule.id} Enabled to s3://${want.bucket} (account ${want.account}, owner override, no deletions); the vault stack ${want.stack} is read with the vault account's credentials only`,
    fix: null,
  };
}

/** The DR bucket's Object Lock, when the config asks for it. */
export function judgeObjectLock(
  region: string,
  b: BucketExpectation,
  found: { readonly enabled: boolean; readonly mode?: string; readonly days?: number } | undefined,
): DoctorCheck {
  const base = { ...bucketBase(region, b), subject: `${bucketBase(region, b).subject} Object Lock` };
  const want = b.objectLock!;
  if (!found?.enabled)
    return {
      ...base,
      state: 'fail',
      detail: `not enabled, but dr.objectLock asks for ${want.mode} ${want.days} days`,
      fix: 'Object Lock can only be turned on when a bucket is created: see docs/dr-copies.md (Object Lock)',
    };
  if (found.mode !== want.mode || found.days !== want.days) {
    return {
      ...base,
      state: 'fail',
      detail: `default retention ${found.mode ?? 'none'} ${found.days ?? '?'} days, config says ${want.mode} ${want.days}`,
      fix: 'deploy again to set the configured default retention',
    };
  }
  return { ...base, state: 'pass', detail: `${want.mode} ${want.days} days`, fix: null };
}

/**
 * ElastiCache's way into the bucket: the bucket policy names the regional
 * service principal (both routes), and on the ACL route the ACL grants its
 * canonical user (docs/dr-copies.md).
 */
export function judgeAccessRoute(
  region: string,
  b: BucketExpectation,
  policyPrincipals: readonly string[] | undefined,
  aclGrants: readonly { readonly id: string; readonly permission: string }[] | undefined,
): DoctorCheck {
  const base = { ...bucketBase(region, b), subject: `${bucketBase(region, b).subject} ElastiCache access` };
  const does = b.role === 'export' ? 'export snapshots into it' : 'seed a restore from it';
  const fix = 'deploy again (the stack sets the policy and the ACL grant); see docs/dr-copies.md for the two routes';
  if (!(policyPrincipals ?? []).includes(b.principal)) {
    return { ...base, state: 'fail', detail: `the bucket policy does not name ${b.principal}: ElastiCache cannot ${does}`, fix };
  }
  if (b.route === 'acl') {
    const granted = (aclGrants ?? []).filter((g) => g.id === b.canonicalUserId).map((g) => g.permission);
    const missing = b.aclPermissions.filter((p) => !granted.includes(p) && !granted.includes('FULL_CONTROL'));
    if (missing.length > 0)
      return { ...base, state: 'fail', detail: `the ACL does not grant ElastiCache's canonical user ${missing.join(', ')}: ElastiCache cannot ${does}`, fix };
    return { ...base, state: 'pass', detail: `bucket policy for ${b.principal} and ACL grant (${b.aclPermissions.join(', ')})`, fix: null };
  }
  return { ...base, state: 'pass', detail: `bucket policy for ${b.principal}`, fix: null };
}

/**
 * The newest export's replication (its first object's `ReplicationStatus`):
 * COMPLETED passes, PENDING warns, FAILED fails, none fails (the rule did
 * not take it).
 */
export function judgeObjectReplication(region: string, bucket: string, key: string, status: string | undefined, vault?: VaultExpectation): DoctorCheck {
  const base = { section: 'buckets', region, subject: `export bucket ${bucket} replication of ${key}` } as const;
  switch (status) {
    case 'COMPLETED':
      return { ...base, state: 'pass', detail: 'COMPLETED', fix: null };
    case 'PENDING':
      return {
        ...base,
        state: 'warn',
        detail: 'PENDING: not in the DR bucket yet',
        fix: `normal for minutes after an export; if it stays, see ${RUNBOOKS.drCopies}`,
      };
    case 'FAILED':
      return {
        ...base,
        state: 'fail',
        detail: vault
          ? 'FAILED: this copy will not reach the DR bucket or the vault (S3 reports one status for both rules)'
          : 'FAILED: this copy will not reach the DR bucket',
        fix: vault
          ? `check that ${vault.stack} is deployed (with account ${vault.account}'s credentials: its bucket policy lets the replication role write), then see ${RUNBOOKS.drCopies} (the replication role, the DR bucket's policy and versioning)`
          : `see ${RUNBOOKS.drCopies} (the replication role, the DR bucket's policy and versioning)`,
      };
    default:
      return {
        ...base,
        state: 'fail',
        detail: `${status ?? 'no replication status'}: the replication rule did not take this object`,
        fix: "check the rule's filter and status; objects written before the rule existed are not replicated",
      };
  }
}

// ---------------------------------------------------------------- targets

/** A plan's target, from the config. */
export interface TargetExpectation {
  readonly plan: string;
  readonly kind: TargetKind;
  readonly id: string;
  /** The plan exports to S3 (a DR copy is expected). */
  readonly exports: boolean;
  /** The plan's drills of this target: where, and `drill.nodeType` (unset: the primary drill takes the snapshot's, the DR drill `defaultNodeType`). */
  readonly drills?: readonly { readonly where: 'primary' | 'dr'; readonly nodeType?: string; readonly defaultNodeType?: string }[];
}

/** A target as ElastiCache describes it, with its newest snapshot when there is one. */
export interface TargetFacts {
  readonly status: string;
  readonly engine?: string;
  readonly engineVersion?: string;
  readonly nodeType?: string;
  readonly clusterMode: boolean;
  readonly dataTiering: boolean;
  readonly shards: number;
  readonly newestSnapshot?: { readonly name: string; readonly nodeType?: string; readonly cacheSizes?: readonly string[] };
  /** The newest verified DR copy and what its verifier tags record (what a DR drill restores). */
  readonly drCopy?: { readonly name: string; readonly evidence: PreflightEvidence };
}

/**
 * What a DR copy's objects record for the restore preflight: the RDB
 * version and databases from the verifier's summary tags of the objects of
 * `exportName` (other exports under the same prefix are left out), and their
 * sizes.
 */
export function copyEvidence(
  exportName: string,
  objects: readonly { readonly key: string; readonly size: number; readonly tags: Readonly<Record<string, string>> }[],
): PreflightEvidence {
  const shards = objects
    .map((o) => ({ o, key: parseExportObjectKey(o.key) }))
    .filter((x) => x.key?.exportName === exportName)
    .sort((a, b) => a.key!.shard - b.key!.shard);
  return exportEvidence(
    shards.map(({ o }) => (o.tags[TAGS.verified] === 'ok' ? parseRdbSummary(o.tags[TAGS.rdb]) : undefined)),
    shards.map(({ o }) => o.size),
  );
}

/**
 * A target: exists and available, its shape (engine, version, cluster mode,
 * shards, node type), data tiering in an exporting plan (no DR copy
 * possible: fail with the alternative), and, when the plan drills, the restore
 * preflight of its newest snapshot onto the drill's node type (the
 * preflight's memory and data-tiering rules).
 */
export function judgeTarget(region: string, t: TargetExpectation, facts: TargetFacts | undefined): DoctorCheck[] {
  const base = { section: 'targets', region, subject: `${t.plan}/${t.id}` } as const;
  if (!facts) {
    return [{ ...base, state: 'fail', detail: `${t.kind} ${t.id} not found in ${region}`, fix: `fix the id in plan ${t.plan}'s targets, or create the cache` }];
  }
  const serverless = t.kind === 'serverless-cache';
  const shape = [
    `${facts.engine ?? '?'} ${facts.engineVersion ?? '?'}`,
    serverless ? 'serverless' : `cluster mode ${facts.clusterMode ? 'enabled' : 'disabled'}`,
    ...(serverless ? [] : [`${facts.shards} shard(s)`, facts.nodeType ?? '?']),
    ...(facts.dataTiering ? ['data tiering'] : []),
  ].join(', ');
  const checks: DoctorCheck[] = [];
  checks.push(
    facts.status === 'available'
      ? { ...base, state: 'pass', detail: shape, fix: null }
      : {
          ...base,
          state: 'warn',
          detail: `${facts.status} (${shape}): snapshots wait until it is available`,
          fix: 'wait until it is available; a failed cache cannot be protected',
        },
  );
  if (t.exports && facts.dataTiering) {
    const why = exportUnsupported({ kind: t.kind, id: t.id, dataTiering: true, clusterMode: facts.clusterMode, tags: {} })!;
    checks.push({
      ...base,
      subject: `${base.subject} DR copy`,
      state: 'fail',
      detail: `export impossible: ${why.split(';')[0]}`,
      fix: `move ${t.id} to a plan with export.enabled false (snapshots only), or to a node type without data tiering (e.g. r6g/r7g)`,
    });
  }
  const dbs = facts.drCopy?.evidence.databases;
  if ((facts.clusterMode || serverless) && dbs) {
    // Cluster mode has database 0 only: ElastiCache refuses to restore a file with keys in others.
    const others = dbs.filter((d) => d !== 0);
    checks.push(
      others.length === 0
        ? { ...base, subject: `${base.subject} databases`, state: 'pass', detail: `keys in database 0 only (${facts.drCopy!.name})`, fix: null }
        : {
            ...base,
            subject: `${base.subject} databases`,
            state: 'fail',
            detail: `${facts.drCopy!.name} holds keys in database(s) ${dbs.join(', ')}: a cluster-mode restore refuses it`,
            fix: 'keep the data in database 0, or restore one database at a time into database 0 with `redis-dr migrate --from-rdb <file> --db <n>:0`',
          },
    );
  }
  if (serverless) return checks;
  const point = facts.newestSnapshot;
  for (const drill of t.drills ?? []) {
    // A primary drill without drill.nodeType restores onto the snapshot's node type.
    const nodeType = drill.nodeType ?? drill.defaultNodeType ?? point?.nodeType ?? facts.nodeType;
    const sub = `${base.subject} ${drill.where} drill node`;
    if (!nodeType) {
      checks.push({ ...base, subject: sub, state: 'warn', detail: 'node type unknown', fix: 'set drill.nodeType in the plan' });
      continue;
    }
    // A DR drill restores the verified copy: its verifier's summary says the RDB version and databases.
    const copy = drill.where === 'dr' ? facts.drCopy : undefined;
    const restored = copy?.name ?? point?.name;
    const refusals = restorePreflight(
      {
        kind: 'replication-group',
        target: t.id,
        recoveryPoint: restored ?? `${t.id} (no snapshot yet)`,
        createdAt: '',
        ageSeconds: 0,
        clusterId: 'doctor',
        engine: facts.engine ?? 'valkey',
        engineVersion: facts.engineVersion ?? '',
        nodeType,
        shards: facts.shards,
        clusterMode: facts.clusterMode ? 'enabled' : 'disabled',
        expected: {},
      },
      // The cache's node type now: its next snapshot is taken on it.
      copy
        ? { ...copy.evidence, ...snapshotEvidence({ nodeType: facts.nodeType ?? point?.nodeType }) }
        : snapshotEvidence({ nodeType: facts.nodeType ?? point?.nodeType, cacheSizes: point?.cacheSizes }),
      'drill',
    );
    const memory = NODE_MEMORY_GIB[nodeType];
    const why = drill.nodeType ? [] : [drill.defaultNodeType ? 'the default: drill.nodeType not set' : "the snapshot's: drill.nodeType not set"];
    const notes = [...(memory ? [`${memory} GiB`] : []), ...why];
    const onto = `${nodeType}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
    if (refusals.length > 0) {
      for (const r of refusals) checks.push({ ...base, subject: sub, state: 'fail', detail: `${onto}: [${r.rule}] ${r.reason}`, fix: r.fix });
    } else if (!restored) {
      checks.push({
        ...base,
        subject: sub,
        state: 'warn',
        detail: `${onto}: no ${drill.where === 'dr' ? 'verified DR copy' : 'snapshot'} yet to size against`,
        fix: 'run doctor again after the first one',
      });
    } else if (!(copy ? copy.evidence.shardBytes : point?.cacheSizes)?.length) {
      checks.push({ ...base, subject: sub, state: 'warn', detail: `${onto}: ${restored} records no size to compare`, fix: null });
    } else {
      checks.push({ ...base, subject: sub, state: 'pass', detail: `${onto} holds ${restored}`, fix: null });
    }
  }
  return checks;
}

// ---------------------------------------------------------------- alarms

/** An alarm as DescribeAlarms gives it. */
export interface AlarmFacts {
  readonly name: string;
  /** `OK`, `ALARM`, `INSUFFICIENT_DATA`. */
  readonly state: string;
  readonly reason?: string;
}

/**
 * The deployment's alarms of a region: each in ALARM fails by name;
 * INSUFFICIENT_DATA warns (new alarms wait for their first data point);
 * otherwise one pass line.
 */
export function judgeAlarms(region: string, prefix: string, alarms: readonly AlarmFacts[]): DoctorCheck[] {
  const base = { section: 'alarms', region } as const;
  if (alarms.length === 0) {
    return [{ ...base, subject: `${prefix}*`, state: 'fail', detail: 'no alarms: nothing watches this region', fix: 'deploy the stacks' }];
  }
  const checks: DoctorCheck[] = alarms
    .filter((a) => a.state === 'ALARM')
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((a) => ({
      ...base,
      subject: a.name,
      state: 'fail',
      detail: `in ALARM${a.reason ? `: ${a.reason}` : ''}`,
      fix: 'follow its runbook (docs/runbooks/, linked in the alarm description)',
    }));
  const insufficient = alarms
    .filter((a) => a.state === 'INSUFFICIENT_DATA')
    .map((a) => a.name)
    .sort();
  if (insufficient.length > 0) {
    checks.push({
      ...base,
      subject: `${insufficient.length} alarm(s)`,
      state: 'warn',
      detail: `INSUFFICIENT_DATA: ${insufficient.join(', ')}`,
      fix: 'normal for a few hours after the first deploy; later it means the metric stopped (its function does not run)',
    });
  }
  const ok = alarms.filter((a) => a.state === 'OK').length;
  if (checks.length === 0) checks.push({ ...base, subject: `${prefix}*`, state: 'pass', detail: `${ok} alarm(s), all OK`, fix: null });
  return checks;
}
