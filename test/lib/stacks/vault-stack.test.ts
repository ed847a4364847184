import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../../lib/config/index.js';
import { replicationRoleName, vaultStackName, vaultVerifyStateMachineName } from '../../../lib/deployment.js';
import { DRILLS_REPLICATION_RULE_ID, REPORTS_REPLICATION_RULE_ID, VAULT_REPLICATION_RULE_ID } from '../../../lib/constructs/recovery-bucket.js';
import { DRILL_EVIDENCE_PREFIX, drillRecordKey } from '../../../lambdas/domain/drills/evidence-record.js';
import { REPORTS_PREFIX } from '../../../lambdas/domain/report/input.js';
import { vaultStaleAlarms } from '../../../lib/stacks/vault-stack.js';
import { copyVerificationSettingsSchema } from '../../../lambdas/domain/plans/settings.js';
import { VAULT_VERDICT_PREFIX, vaultVerdictKey } from '../../../lambdas/domain/vault/vault-verdict.js';
import { VAULT_VERDICT_DENIED_ACTIONS, VAULT_VERDICT_DENIED_PUTS } from '../../../lib/constructs/vault/vault-bucket.js';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { basicConfig, synthesize, type Synthesized } from '../../support/synth.js';
import { rolePolicies } from '../../support/iam.js';
import { cfnLint } from '../../support/cfn-lint.js';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'config', 'vault.json');
const vaultConfig = (): RedisDrConfig => loadConfig(FIXTURE);

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };
type Resource = { Type: string; Properties: Record<string, any> };

const resourcesOf = (template: { toJSON(): unknown }) => Object.values((template.toJSON() as { Resources: Record<string, Resource> }).Resources);
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The vault bucket's policy statements (the one bucket policy that is not the access logs'). */
function vaultPolicy(synth: Synthesized): Statement[] {
  const policies = resourcesOf(synth.vault!).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
  const vault = policies.find((p) => (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => s.Sid === 'ReplicasFromWorkloadAccounts'));
  return vault!.Properties.PolicyDocument.Statement as Statement[];
}

/**
 * Problems of a vault bucket policy against the vault's promises: an Allow
 * that lets anyone delete or lift a retention, an Allow to a principal that is
 * not narrowed to the named replication roles, no Deny of deletion, no TLS-only Deny.
 */
function vaultPolicyProblems(statements: readonly Statement[], roleArns: readonly string[], reportRoleArns: readonly string[] = []): string[] {
  const problems: string[] = [];
  const destructive = /^s3:(Delete|PutObjectRetention|PutBucketObjectLockConfiguration|BypassGovernanceRetention|ReplicateDelete|PutLifecycle|\*)/;
  for (const s of statements.filter((x) => x.Effect === 'Allow')) {
    const bad = actions(s).filter((a) => destructive.test(a) || a === '*');
    if (bad.length > 0) problems.push(`${s.Sid ?? '?'} allows ${bad.join(', ')}`);
    // Reading the bucket's versioning and lock settings is the workload account's as a whole (whoever sets up replication).
    if (actions(s).every((a) => (BUCKET_SETTINGS_READS as readonly string[]).includes(a))) continue;
    const arns = s.Condition?.ArnEquals?.['aws:PrincipalArn'];
    // The DR bucket's replication roles write the reports prefix, and nothing else of the vault.
    const onReports = JSON.stringify((s as { Resource?: unknown }).Resource ?? '').includes(`/${REPORTS_PREFIX}*"`);
    const allowed = onReports && reportRoleArns.length > 0 ? reportRoleArns : roleArns;
    if (JSON.stringify(arns) !== JSON.stringify(allowed)) problems.push(`${s.Sid ?? '?'} is not limited to the replication roles (${JSON.stringify(arns)})`);
  }
  const denies = statements.filter((x) => x.Effect === 'Deny');
  for (const needed of ['s3:DeleteObjectVersion', 's3:DeleteObject', 's3:BypassGovernanceRetention']) {
    if (!denies.some((d) => d.Principal && JSON.stringify(d.Principal) === '{"AWS":"*"}' && actions(d).includes(needed) && !d.Condition))
      problems.push(`no Deny of ${needed} to everyone`);
  }
  if (!denies.some((d) => JSON.stringify(d.Condition ?? {}).includes('"aws:SecureTransport":"false"'))) problems.push('no Deny of non-TLS requests');
  return problems;
}

/** The read-only bucket settings every principal of a workload account may read (item 6 of issue 35). */
const BUCKET_SETTINGS_READS = ['s3:GetBucketVersioning', 's3:GetBucketObjectLockConfiguration'] as const;

/** A string property as deployed, tokens (ARNs, names) shown as `<token>`. */
function renderJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((p) => (typeof p === 'string' ? p : '<token>')).join(sep);
}

/** Every identity-policy statement of a template, with the policy's logical id. */
function identityStatements(template: { toJSON(): unknown }): (Statement & { policy: string; Resource?: unknown })[] {
  const found: (Statement & { policy: string })[] = [];
  for (const [id, r] of Object.entries((template.toJSON() as { Resources: Record<string, Resource> }).Resources)) {
    if (r.Type === 'AWS::IAM::Policy') for (const s of r.Properties.PolicyDocument.Statement as Statement[]) found.push({ ...s, policy: id });
    if (r.Type === 'AWS::IAM::Role')
      for (const p of (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
        for (const s of p.PolicyDocument.Statement) found.push({ ...s, policy: id });
  }
  return found;
}

/**
 * Problems of the vault's retention grants against its promises: an Allow of
 * s3:BypassGovernanceRetention (or of every S3 action) to anyone; an Allow of
 * s3:PutObjectRetention without COMPLIANCE and the longest-tier cap, or in
 * more than one policy; a bucket policy that does not deny setting a
 * retention to everyone but the verifier, in another mode, or further than
 * the cap.
 */
function retentionProblems(identity: readonly (Statement & { policy: string })[], bucket: readonly Statement[], maxDays: number): string[] {
  const problems: string[] = [];
  const allows = identity.filter((s) => s.Effect === 'Allow');
  for (const s of allows) {
    const wide = actions(s).filter((a) => a === '*' || a === 's3:*' || a === 's3:BypassGovernanceRetention' || a === 's3:PutObject*');
    if (wide.length > 0) problems.push(`${s.policy}/${s.Sid ?? '?'} allows ${wide.join(', ')}`);
  }
  const grants = allows.filter((s) => actions(s).includes('s3:PutObjectRetention'));
  for (const g of grants) {
    if (g.Condition?.StringEquals?.['s3:object-lock-mode'] !== 'COMPLIANCE') problems.push(`${g.policy}/${g.Sid ?? '?'} allows PutObjectRetention in any mode`);
    if (g.Condition?.NumericLessThanEquals?.['s3:object-lock-remaining-retention-days'] !== String(maxDays))
      problems.push(`${g.policy}/${g.Sid ?? '?'} allows PutObjectRetention without the ${maxDays}-day cap`);
  }
  if (new Set(grants.map((g) => g.policy)).size !== 1) problems.push(`PutObjectRetention is granted by ${grants.length} statements, not by the verifier's one`);
  const denies = bucket.filter((s) => s.Effect === 'Deny' && JSON.stringify(s.Principal) === '{"AWS":"*"}' && actions(s).includes('s3:PutObjectRetention'));
  const has = (test: (c: Record<string, Record<string, unknown>>) => boolean) => denies.some((d) => d.Condition && test(d.Condition));
  if (!has((c) => JSON.stringify(c.ArnNotEquals?.['aws:PrincipalArn'] ?? '').includes('VerifyRdbRole')))
    problems.push('the bucket policy lets others than the verifier set a retention');
  if (!has((c) => c.StringNotEquals?.['s3:object-lock-mode'] === 'COMPLIANCE'))
    problems.push('the bucket policy lets a retention be set in another mode than COMPLIANCE');
  if (!has((c) => c.NumericGreaterThan?.['s3:object-lock-remaining-retention-days'] === String(maxDays)))
    problems.push(`the bucket policy lets a retention reach past ${maxDays} days`);
  return problems;
}

const VAULT_BUCKET = 'redis-dr-vaulted-222222222222-eu-central-1';
const REPLICA_ARN = `arn:aws:s3:::${VAULT_BUCKET}/rdr-sessions-prod-20261121-0200-0001.rdb`;

/**
 * The IAM simulator on the vault bucket's policy as deployed (the bucket's
 * and the verifier role's ARNs in place of their references): `ask` whether
 * `principal` with `identity` policies may do `action` on `resource` (a
 * replica by default); `bucketPolicy` replaces the statements (planted edits).
 */
function vaultSimulator(synth: Synthesized, statements: readonly Statement[] = vaultPolicy(synth)) {
  const template = synth.vault!.toJSON() as { Resources: Record<string, Resource> };
  const standIns = { region: 'eu-central-1', account: '222222222222' };
  const roleId = Object.keys(template.Resources).find((id) => /^VerificationVerifyRdbRole[0-9A-F]{8}$/.test(id))!;
  const roleArn = `arn:aws:iam::222222222222:role/${roleId}`;
  const render = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(render);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, any>;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
    if (o['Fn::GetAtt']) return template.Resources[o['Fn::GetAtt'][0]]?.Type === 'AWS::IAM::Role' ? roleArn : `arn:aws:s3:::${VAULT_BUCKET}`;
    if (o.Ref) return VAULT_BUCKET;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, render(x)]));
  };
  const bucketPolicy = render({ Version: '2012-10-17', Statement: statements });
  const verifier = rolePolicies(template as never, roleId, standIns);
  const ask = async (
    principal: string,
    identity: readonly unknown[],
    action: string,
    context: Record<string, string> = {},
    resource = REPLICA_ARN,
  ): Promise<string> => {
    const account = /^arn:aws:iam::(\d{12}):/.exec(principal)?.[1] ?? '222222222222';
    const response = await runSimulation(
      {
        identityPolicies: identity.map((policy, i) => ({ name: `p${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: bucketPolicy,
        request: {
          action,
          principal,
          resource: { resource, accountId: '222222222222' },
          // What AWS fills in for every request (the simulator takes it as given).
          contextVariables: { 'aws:SecureTransport': 'true', 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': account, ...context },
        },
      } as never,
      {},
    );
    return response.resultType === 'error' ? `error: ${JSON.stringify(response.errors)}` : response.overallResult;
  };
  return { roleArn, verifier, ask };
}

/**
 * Problems of the verdict prefix's protection (VaultBucket.reserveVerdicts):
 * an Allow naming the prefix with a write; no unconditioned Deny to everyone
 * of replicating into it or of each PutObject* but PutObject; no Deny of
 * PutObject there to everyone but the verifier's role alone.
 */
function verdictPrefixProblems(statements: readonly Statement[]): string[] {
  const problems: string[] = [];
  const onPrefix = (s: Statement & { Resource?: unknown }) =>
    (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((r) => JSON.stringify(r ?? '').includes(`/${VAULT_VERDICT_PREFIX}*"`));
  const writes = /^(s3:(Replicate|PutObject|\*)|\*$)/;
  for (const s of statements.filter((x) => x.Effect === 'Allow' && onPrefix(x))) {
    const bad = actions(s).filter((a) => writes.test(a));
    if (bad.length > 0) problems.push(`${s.Sid ?? '?'} allows ${bad.join(', ')} on the verdict prefix`);
  }
  const denies = statements.filter((x) => x.Effect === 'Deny' && JSON.stringify(x.Principal) === '{"AWS":"*"}' && onPrefix(x));
  for (const needed of [...VAULT_VERDICT_DENIED_ACTIONS, ...VAULT_VERDICT_DENIED_PUTS]) {
    if (!denies.some((d) => !d.Condition && actions(d).includes(needed))) problems.push(`no Deny of ${needed} on the verdict prefix to everyone`);
  }
  const puts = denies.filter((d) => actions(d).some((a) => a === 's3:PutObject' || a === 's3:PutObject*'));
  const onlyVerifier = (d: Statement) => {
    const c = d.Condition;
    if (!c || Object.keys(c).length !== 1 || !c.ArnNotEquals) return false;
    const arns = c.ArnNotEquals['aws:PrincipalArn'];
    return Object.keys(c.ArnNotEquals).length === 1 && !Array.isArray(arns) && /VerifyRdbRole/.test(JSON.stringify(arns));
  };
  if (!puts.some(onlyVerifier)) problems.push('no Deny of PutObject on the verdict prefix to everyone but the verifier');
  for (const d of puts.filter((x) => x.Condition && !onlyVerifier(x))) problems.push(`${d.Sid ?? '?'} exempts others than the verifier`);
  return problems;
}

describe('vault stack (config vault)', () => {
  let synth: Synthesized;
  const config = vaultConfig();
  const roleArn = `arn:aws:iam::111111111111:role/${replicationRoleName(config.name, config.primary.region)}`;
  const reportRoleArn = `arn:aws:iam::111111111111:role/${replicationRoleName(config.name, config.dr.region)}`;
  beforeAll(() => {
    // cdk-nag runs at synth (it throws on a finding). The CDK's template validation of these templates is checked in
    // test/lib/app.test.ts, beside the example's: its rule engine costs about 5 CPU-s the first time a worker loads it,
    // so one worker loads it, not two. test/bin/app.test.ts runs the real app on this config without it.
    synth = synthesize(config);
  });
  afterAll(() => synth.cleanup());

  it('adds a third stack bound to the vault account and region, cdk-nag clean (synth throws otherwise)', () => {
    expect(synth.stacks.vault?.stackName).toBe(vaultStackName(config));
    expect(synth.stacks.vault?.account).toBe('222222222222');
    expect(synth.stacks.vault?.region).toBe('eu-central-1');
    expect(synth.stacks.primary.account).toBe('111111111111');
  });

  it('locks every replica in COMPLIANCE mode for vault.retentionDays, versioned, SSE-S3, owned by the vault', () => {
    synth.vault!.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'redis-dr-vaulted-222222222222-eu-central-1',
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } } },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const bucket = resourcesOf(synth.vault!).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ObjectLockEnabled);
    // Kept on delete and replace; only a failed first create removes it (empty then).
    expect(bucket).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  it("lets only the workload account's replication role write, nobody delete, and nothing without TLS", () => {
    const statements = vaultPolicy(synth);
    expect(vaultPolicyProblems(statements, [roleArn], [reportRoleArn])).toEqual([]);
    expect(statements.filter((s) => s.Effect === 'Allow').map((s) => s.Principal)).toEqual([
      { AWS: 'arn:aws:iam::111111111111:root' },
      { AWS: 'arn:aws:iam::111111111111:root' },
      { AWS: 'arn:aws:iam::111111111111:root' },
    ]);
  });

  it('the policy check finds a planted delete grant, an unnarrowed writer and a missing TLS deny (negative cases)', () => {
    const statements = vaultPolicy(synth);
    const planted: Statement[] = [...statements, { Sid: 'Oops', Effect: 'Allow', Action: ['s3:DeleteObjectVersion'], Principal: { AWS: '*' } }];
    expect(vaultPolicyProblems(planted, [roleArn], [reportRoleArn])).toEqual([
      'Oops allows s3:DeleteObjectVersion',
      'Oops is not limited to the replication roles (undefined)',
    ]);
    // The reports role named on the replicas: not the roles that may write there.
    const widened = statements.map((s) =>
      s.Sid === 'ReplicasFromWorkloadAccounts' ? { ...s, Condition: { ArnEquals: { 'aws:PrincipalArn': [reportRoleArn] } } } : s,
    );
    expect(vaultPolicyProblems(widened, [roleArn], [reportRoleArn])).toEqual([
      `ReplicasFromWorkloadAccounts is not limited to the replication roles (${JSON.stringify([reportRoleArn])})`,
    ]);
    const noTls = statements.filter((s) => !JSON.stringify(s.Condition ?? {}).includes('SecureTransport'));
    expect(vaultPolicyProblems(noTls, [roleArn], [reportRoleArn])).toEqual(['no Deny of non-TLS requests']);
    const noDeny = statements.filter((s) => s.Sid !== 'NobodyDeletesReplicas');
    expect(vaultPolicyProblems(noDeny, [roleArn], [reportRoleArn])).toEqual([
      'no Deny of s3:DeleteObjectVersion to everyone',
      'no Deny of s3:DeleteObject to everyone',
      'no Deny of s3:BypassGovernanceRetention to everyone',
    ]);
  });

  it('replicates the export bucket into the vault with owner override, no delete markers, through the role the vault names', () => {
    const exportBucket = resourcesOf(synth.primary).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ReplicationConfiguration);
    const rules = exportBucket!.Properties.ReplicationConfiguration.Rules as Record<string, any>[];
    expect(rules.map((r) => r.Id)).toEqual(['to-dr-region', VAULT_REPLICATION_RULE_ID]);
    expect(rules[1]).toMatchObject({
      Priority: 2,
      DeleteMarkerReplication: { Status: 'Disabled' },
      Destination: {
        Bucket: 'arn:aws:s3:::redis-dr-vaulted-222222222222-eu-central-1',
        Account: '222222222222',
        AccessControlTranslation: { Owner: 'Destination' },
      },
    });
    // The role carries the fixed name the vault's policy names.
    synth.primary.hasResourceProperties('AWS::IAM::Role', { RoleName: replicationRoleName(config.name, config.primary.region) });
  });

  it('verifies every replica in the vault account: S3 events to EventBridge, a rule on .rdb objects, the verify state machine, a failed verification pages the vault topic', () => {
    const vault = synth.vault!;
    vault.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    vault.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: vaultVerifyStateMachineName(config.name) });
    const rule = resourcesOf(vault).find((r) => r.Type === 'AWS::Events::Rule');
    expect(rule?.Properties.EventPattern.detail.object).toEqual({ key: [{ suffix: '.rdb' }] });
    const fn = resourcesOf(vault).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.REDIS_DR_DEPLOYMENT);
    // Wiring only in the environment: the plans' settings come in each invocation's payload.
    expect(Object.keys(fn!.Properties.Environment.Variables)).toEqual(expect.arrayContaining(['ALERT_TOPIC_ARN', 'REDIS_DR_DEPLOYMENT']));
    expect(Object.keys(fn!.Properties.Environment.Variables).filter((k) => /THRESHOLD|RETENTION/.test(k))).toEqual([]);
    const alarm = resourcesOf(vault).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.AlarmName.includes('verify-failed'));
    expect(alarm?.Properties.AlarmName).toBe(`redis-dr-${config.name}-verify-failed-vault`);
    expect(JSON.stringify(alarm?.Properties.AlarmActions)).toContain('AlertsTopic');
  });

  it('pages per named cache when its newest verified replica is older than the RPO + 2 h, from the freshness job run on the vault bucket', () => {
    const vault = synth.vault!;
    // The fixture's exporting plan names two caches; the tag-selected plan does not export.
    expect(vaultStaleAlarms(config.plans).map((a) => a.suffix)).toEqual(['sessions-sessions-prod', 'sessions-sessions-edge']);
    for (const target of ['sessions-prod', 'sessions-edge']) {
      vault.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `redis-dr-${config.name}-vault-stale-sessions-${target}`,
        MetricName: 'VerifiedCopyAgeSeconds',
        Namespace: config.metricsNamespace,
        Dimensions: [
          { Name: 'Plan', Value: 'sessions' },
          { Name: 'Target', Value: target },
        ],
        Statistic: 'Maximum',
        Threshold: (210 + 120) * 60,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'breaching',
      });
    }
    const stale = resourcesOf(vault).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && String(r.Properties.AlarmName).includes('vault-stale'));
    expect(stale).toHaveLength(2);
    // The freshness job measures the vault bucket as the DR region's: verified copies, no drills, no caches.
    const schedule = resourcesOf(vault).find((r) => r.Type === 'AWS::Scheduler::Schedule');
    const input = JSON.parse(renderJoin(schedule!.Properties.Target.Input));
    // Verdicts from the vault verifier's objects only (vaultVerdicts), never from replicated tags.
    expect(input).toMatchObject({ deployment: config.name, where: 'dr', vaultVerdicts: true, plans: [{ plan: 'sessions', exports: true, drills: false }] });
    expect(input.coverage).toBeUndefined();
    const reads = identityStatements(vault).filter((s) => s.policy.startsWith('FreshnessMonitor'));
    const granted = reads.flatMap(actions);
    expect(granted).toEqual(expect.arrayContaining(['s3:GetObject', 's3:GetObjectTagging', 's3:ListBucket', 'states:DescribeStateMachine']));
    // Nothing of ElastiCache or the Tagging API in an account without caches, nothing that writes to the bucket.
    expect(granted.filter((a) => /^(elasticache|tag):|^s3:(Put|Delete)/.test(a))).toEqual([]);
  });

  it('keeps one alarm per tag-selected exporting plan, whose caches the config cannot name', () => {
    const plans = config.plans.map((p) => (p.name === 'queues' ? { ...p, export: { ...p.export, enabled: true } } : p));
    expect(vaultStaleAlarms(plans)).toEqual([
      { plan: 'sessions', target: 'sessions-prod', suffix: 'sessions-sessions-prod', limitMinutes: 330 },
      { plan: 'sessions', target: 'sessions-edge', suffix: 'sessions-sessions-edge', limitMinutes: 330 },
      { plan: 'queues', suffix: 'queues', limitMinutes: 420 },
    ]);
    // The same for a plan of the caches without a tag (an organization's default tier): their names are known at run time only.
    const untagged = plans.map((p) => (p.name === 'queues' ? { ...p, targets: { ...p.targets, selectByTags: {}, selectWithoutTag: 'redis-dr:tier' } } : p));
    expect(vaultStaleAlarms(untagged).at(-1)).toEqual({ plan: 'queues', suffix: 'queues', limitMinutes: 420 });
    // The negative case: with no run-time selection left, the plan has no alarm of its own.
    const none = plans.map((p) => (p.name === 'queues' ? { ...p, targets: { ...p.targets, selectByTags: {}, replicationGroupIds: ['q-1'] } } : p));
    expect(vaultStaleAlarms(none).map((a) => a.suffix)).toEqual(['sessions-sessions-prod', 'sessions-sessions-edge', 'queues-q-1']);
  });

  it("extends each replica's retention through the verifier alone: COMPLIANCE, capped at the longest tier, read back", () => {
    const vault = synth.vault!;
    const statements = identityStatements(vault);
    expect(retentionProblems(statements, vaultPolicy(synth), 401)).toEqual([]);
    const grant = statements.find((s) => s.Sid === 'ExtendReplicaRetention');
    expect(grant).toMatchObject({
      Action: 's3:PutObjectRetention',
      Condition: { StringEquals: { 's3:object-lock-mode': 'COMPLIANCE' }, NumericLessThanEquals: { 's3:object-lock-remaining-retention-days': '401' } },
    });
    expect(grant!.policy).toMatch(/^VerificationVerifyRdbRole/);
    expect(statements.find((s) => s.Sid === 'ReadReplicaRetention')).toMatchObject({ Action: 's3:GetObjectRetention', policy: grant!.policy });
    // A replica waiting for its tier is looked at again every 30 minutes: a wait, not a retried error.
    const sm = resourcesOf(vault).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    const definition = JSON.parse(renderJoin(sm!.Properties.DefinitionString));
    // Each invocation is sent the tiers' days, parsed by the verifier's own schema.
    expect(definition.States.Verify.Parameters['step.$']).toBe('$');
    expect(copyVerificationSettingsSchema.parse(definition.States.Verify.Parameters.settings).vaultRetentionDays).toEqual({
      hourly: 400,
      daily: 400,
      weekly: 400,
      monthly: 400,
    });
    expect(definition.States['Await tier']).toEqual({ Type: 'Wait', Seconds: 1800, Next: 'Verify' });
    expect(definition.States['Done?'].Choices).toContainEqual({ Variable: '$.awaitTier', IsPresent: true, Next: 'Await tier' });
    // The DR region's verifier sets no retention and waits for no tier (its bucket's policy names the action only to deny it).
    expect(JSON.stringify(synth.dr.findResources('AWS::IAM::Policy'))).not.toContain('PutObjectRetention');
    expect(JSON.stringify(synth.dr.toJSON())).not.toContain('Await tier');
  });

  it('the retention check finds a planted unconditioned PutObjectRetention, a BypassGovernanceRetention grant and a missing Deny (negative cases)', () => {
    const statements = identityStatements(synth.vault!);
    const bucket = vaultPolicy(synth);
    const plain = [...statements, { policy: 'Intruder', Sid: 'Lock', Effect: 'Allow', Action: 's3:PutObjectRetention' }];
    expect(retentionProblems(plain, bucket, 401)).toEqual([
      'Intruder/Lock allows PutObjectRetention in any mode',
      'Intruder/Lock allows PutObjectRetention without the 401-day cap',
      "PutObjectRetention is granted by 2 statements, not by the verifier's one",
    ]);
    const bypass = [...statements, { policy: 'Intruder', Sid: 'Bypass', Effect: 'Allow', Action: ['s3:BypassGovernanceRetention'] }];
    expect(retentionProblems(bypass, bucket, 401)).toEqual(['Intruder/Bypass allows s3:BypassGovernanceRetention']);
    const ungoverned = bucket.filter((s) => !String(s.Sid).startsWith('OnlyTheVerifier') && s.Sid !== 'RetentionOnlyCompliance');
    expect(retentionProblems(statements, ungoverned, 401)).toEqual([
      'the bucket policy lets others than the verifier set a retention',
      'the bucket policy lets a retention be set in another mode than COMPLIANCE',
    ]);
    expect(retentionProblems(statements, bucket, 400)).toEqual([
      expect.stringContaining('without the 400-day cap'),
      'the bucket policy lets a retention reach past 400 days',
    ]);
  });

  it('IAM evaluates it so: the verifier may extend in COMPLIANCE up to the cap, nobody else may, nothing removes, bypasses or deletes', async () => {
    const { roleArn, verifier, ask } = vaultSimulator(synth);
    const admin = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }];
    const compliance = (days: string) => ({ 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-remaining-retention-days': days });
    expect(await ask(roleArn, verifier, 's3:PutObjectRetention', compliance('400'))).toBe('Allowed');
    expect(await ask(roleArn, verifier, 's3:PutObjectRetention', compliance('401'))).toBe('Allowed');
    expect(await ask(roleArn, verifier, 's3:PutObjectRetention', compliance('402'))).toBe('ExplicitlyDenied');
    expect(await ask(roleArn, verifier, 's3:PutObjectRetention', { 's3:object-lock-mode': 'GOVERNANCE', 's3:object-lock-remaining-retention-days': '5' })).toBe(
      'ExplicitlyDenied',
    );
    // A request without a mode would remove the retention.
    expect(await ask(roleArn, verifier, 's3:PutObjectRetention')).toBe('ExplicitlyDenied');
    expect(await ask(roleArn, verifier, 's3:BypassGovernanceRetention')).toBe('ExplicitlyDenied');
    // The vault account's administrator, allowed everything by its own policies.
    const root = 'arn:aws:iam::222222222222:role/Admin';
    expect(await ask(root, admin, 's3:PutObjectRetention', compliance('30'))).toBe('ExplicitlyDenied');
    expect(await ask(root, admin, 's3:BypassGovernanceRetention')).toBe('ExplicitlyDenied');
    expect(await ask(root, admin, 's3:DeleteObjectVersion')).toBe('ExplicitlyDenied');
    expect(await ask(root, admin, 's3:GetObject')).toBe('Allowed');
  });

  it('reserves the verdict prefix for the verifier: replication cannot write it, the verifier only puts (policy check and IAM simulation)', async () => {
    const statements = vaultPolicy(synth);
    expect(verdictPrefixProblems(statements)).toEqual([]);
    const { roleArn: verifierArn, verifier, ask } = vaultSimulator(synth);
    const verdict = `arn:aws:s3:::${VAULT_BUCKET}/${vaultVerdictKey('rdr-sessions-prod-20261121-0200-0001.rdb')}`;
    const replicator = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:Replicate*', Resource: '*' }] }];
    const admin = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }];
    expect(await ask(roleArn, replicator, 's3:ReplicateObject')).toBe('Allowed');
    expect(await ask(roleArn, replicator, 's3:ReplicateObject', {}, verdict)).toBe('ExplicitlyDenied');
    expect(await ask(roleArn, replicator, 's3:ReplicateTags', {}, verdict)).toBe('ExplicitlyDenied');
    expect(await ask(verifierArn, verifier, 's3:PutObject', {}, verdict)).toBe('Allowed');
    expect(await ask(verifierArn, verifier, 's3:GetObject', {}, verdict)).toBe('Allowed');
    // The verifier's grant is the prefix only: no verdict-shaped object elsewhere, no object data written anywhere else.
    expect(await ask(verifierArn, verifier, 's3:PutObject')).toBe('ImplicitlyDenied');
    expect(await ask(verifierArn, admin, 's3:PutObjectTagging', {}, verdict)).toBe('ExplicitlyDenied');
    expect(await ask('arn:aws:iam::222222222222:role/Admin', admin, 's3:PutObject', {}, verdict)).toBe('ExplicitlyDenied');
  });

  it('the verdict-prefix check fails on a planted statement letting replication write the prefix (negative cases)', async () => {
    const statements = vaultPolicy(synth);
    const verdicts = { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['VaultBucket', 'Arn'] }, `/${VAULT_VERDICT_PREFIX}*`]] };
    const planted = [
      ...statements,
      {
        Sid: 'Oops',
        Effect: 'Allow',
        Action: ['s3:ReplicateObject', 's3:ReplicateTags'],
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Resource: verdicts,
      },
    ];
    expect(verdictPrefixProblems(planted)).toEqual(['Oops allows s3:ReplicateObject, s3:ReplicateTags on the verdict prefix']);
    // The Deny's exemption widened to the replication role: the check says so, and IAM lets replication write verdicts.
    const exempted = statements.map((s) =>
      s.Sid === 'OnlyTheVerifierWritesVerdicts'
        ? { ...s, Condition: { ArnNotEquals: { 'aws:PrincipalArn': [s.Condition!.ArnNotEquals!['aws:PrincipalArn'], roleArn] } } }
        : s.Sid === 'VerdictsArePutOnly'
          ? { ...s, Action: actions(s).filter((a) => !a.startsWith('s3:Replicate')) }
          : s,
    );
    expect(verdictPrefixProblems(exempted)).toEqual([
      'no Deny of s3:ReplicateObject on the verdict prefix to everyone',
      'no Deny of s3:ReplicateTags on the verdict prefix to everyone',
      'no Deny of PutObject on the verdict prefix to everyone but the verifier',
      'OnlyTheVerifierWritesVerdicts exempts others than the verifier',
    ]);
    const replicator = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:Replicate*', Resource: '*' }] }];
    const verdict = `arn:aws:s3:::${VAULT_BUCKET}/${vaultVerdictKey('rdr-sessions-prod-20261121-0200-0001.rdb')}`;
    expect(await vaultSimulator(synth, exempted).ask(roleArn, replicator, 's3:ReplicateObject', {}, verdict)).toBe('Allowed');
    expect(verdictPrefixProblems(statements.filter((s) => s.Sid !== 'OnlyTheVerifierWritesVerdicts'))).toEqual([
      'no Deny of PutObject on the verdict prefix to everyone but the verifier',
    ]);
  });

  it('with per-tier days: the floor as the default retention, each tier in the verifier, one lifecycle rule at the longest (never by the forgeable tier tag), the cap at the longest', () => {
    const tiered = synthesize({ ...config, vault: { ...config.vault!, retentionDays: 3, tierRetentionDays: { daily: 8, weekly: 29, monthly: 400 } } });
    try {
      const vault = tiered.vault!;
      vault.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3 } } },
      });
      const bucket = resourcesOf(vault).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ObjectLockEnabled);
      expect(bucket!.Properties.LifecycleConfiguration.Rules.map((r: Record<string, any>) => [r.Id, r.ExpirationInDays, r.TagFilters])).toEqual([
        // One expiry, no tag filter: a tier tag replicated from the workload account must not hide a locked replica.
        ['expire-after-retention', 401, undefined],
        // The delete markers that expiry leaves, once alone.
        ['expired-delete-markers', undefined, undefined],
      ]);
      const sm = resourcesOf(vault).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
      expect(JSON.parse(renderJoin(sm!.Properties.DefinitionString)).States.Verify.Parameters.settings.vaultRetentionDays).toEqual({
        hourly: 3,
        daily: 8,
        weekly: 29,
        monthly: 400,
      });
      expect(retentionProblems(identityStatements(vault), vaultPolicy(tiered), 401)).toEqual([]);
    } finally {
      tiered.cleanup();
    }
  });

  it('deletes its fixed-name schedule group with the stack, as Primary and DR do (a kept one fails the retry of a failed first deploy)', () => {
    const groups = resourcesOf(synth.vault!).filter((r) => r.Type === 'AWS::Scheduler::ScheduleGroup') as (Resource & { DeletionPolicy?: string })[];
    expect(groups.map((g) => [g.Properties.Name, g.DeletionPolicy])).toEqual([[`redis-dr-${config.name}-vault`, 'Delete']]);
  });

  it("lets the replication role read each source version's retention and legal hold (S3 requires both to replicate into a locked bucket)", () => {
    const statements = identityStatements(synth.primary).filter((s) => actions(s).includes('s3:GetObjectRetention'));
    expect(statements.map((s) => [[...actions(s)].sort(), renderJoin(s.Resource)])).toEqual([
      [['s3:GetObjectLegalHold', 's3:GetObjectRetention'], '<token>/*'],
    ]);
    const roleId = (synth.primary.toJSON() as { Resources: Record<string, Resource> }).Resources[statements[0]!.policy]!.Properties.Roles[0].Ref;
    expect((synth.primary.toJSON() as { Resources: Record<string, Resource> }).Resources[roleId]!.Properties.RoleName).toBe(
      replicationRoleName(config.name, config.primary.region),
    );
  });

  it("lets any principal of the workload account read the vault bucket's versioning and lock settings (the Primary deploy may be the one S3 checks), and nothing more", async () => {
    const { ask } = vaultSimulator(synth);
    const deployer = 'arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1';
    const admin = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }];
    const bucketArn = `arn:aws:s3:::${VAULT_BUCKET}`;
    expect(await ask(deployer, admin, 's3:GetBucketVersioning', {}, bucketArn)).toBe('Allowed');
    expect(await ask(deployer, admin, 's3:GetBucketObjectLockConfiguration', {}, bucketArn)).toBe('Allowed');
    for (const write of ['s3:PutBucketVersioning', 's3:PutBucketPolicy', 's3:PutLifecycleConfiguration']) {
      expect(await ask(deployer, admin, write, {}, bucketArn), write).not.toBe('Allowed');
    }
    for (const objectAction of ['s3:GetObject', 's3:ReplicateObject', 's3:PutObject']) {
      expect(await ask(deployer, admin, objectAction), objectAction).not.toBe('Allowed');
    }
    // Another account reads nothing.
    expect(await ask('arn:aws:iam::333333333333:role/x', admin, 's3:GetBucketVersioning', {}, bucketArn)).not.toBe('Allowed');
  });

  it('removes expired delete markers in a rule of its own (S3 refuses ExpiredObjectDeleteMarker beside Days in one Expiration)', () => {
    const bucket = resourcesOf(synth.vault!).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ObjectLockEnabled);
    const rules = bucket!.Properties.LifecycleConfiguration.Rules as Record<string, any>[];
    expect(rules.filter((r) => r.ExpiredObjectDeleteMarker === true)).toEqual([
      { Id: 'expired-delete-markers', ExpiredObjectDeleteMarker: true, Status: 'Enabled' },
    ]);
    for (const r of rules) expect(r.ExpiredObjectDeleteMarker && (r.ExpirationInDays !== undefined || r.ExpirationDate !== undefined), r.Id).toBeFalsy();
  });

  it('is clean under cfn-lint, and so is the DR stack with its replication of reports into the vault', async () => {
    expect(await cfnLint([synth.templateFiles[1]!, synth.templateFiles[2]!])).toEqual({ status: 0, output: '' });
  }, 300_000);

  it('keeps replicas SSE-S3: the vault bucket is SSE-S3 and the rule into it names no replica key', () => {
    synth.vault!.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    const exportBucket = resourcesOf(synth.primary).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ReplicationConfiguration);
    expect(exportBucket!.Properties.ReplicationConfiguration.Rules[1].Destination.EncryptionConfiguration).toBeUndefined();
    expect(exportBucket!.Properties.ReplicationConfiguration.Rules[1].SourceSelectionCriteria).toBeUndefined();
  });

  it("replicates the DR bucket's reports/ and drills/ (only) into the vault with owner override, no delete markers, through the role the vault names", () => {
    const drBucket = resourcesOf(synth.dr).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ReplicationConfiguration);
    const rules = drBucket!.Properties.ReplicationConfiguration.Rules as Record<string, any>[];
    expect(rules).toHaveLength(2);
    const destination = { Bucket: `arn:aws:s3:::${VAULT_BUCKET}`, Account: '222222222222', AccessControlTranslation: { Owner: 'Destination' } };
    expect(rules[0]).toMatchObject({
      Id: REPORTS_REPLICATION_RULE_ID,
      Priority: 1,
      Filter: { Prefix: REPORTS_PREFIX },
      DeleteMarkerReplication: { Status: 'Disabled' },
      Destination: destination,
    });
    // The drills' signed records (issue 58): every chain drills/<region>/<plan>/, its newest record the head.
    expect(rules[1]).toMatchObject({
      Id: DRILLS_REPLICATION_RULE_ID,
      Priority: 2,
      Filter: { Prefix: DRILL_EVIDENCE_PREFIX },
      DeleteMarkerReplication: { Status: 'Disabled' },
      Destination: destination,
    });
    synth.dr.hasResourceProperties('AWS::IAM::Role', { RoleName: replicationRoleName(config.name, config.dr.region) });
  });

  it('IAM evaluates it so: the DR replication role writes reports into the vault, never a replica, a verdict or a deletion; the export role is unchanged', async () => {
    const { ask } = vaultSimulator(synth);
    const template = synth.dr.toJSON() as { Resources: Record<string, Resource> };
    const roleId = Object.keys(template.Resources).find(
      (id) =>
        template.Resources[id]!.Type === 'AWS::IAM::Role' && template.Resources[id]!.Properties.RoleName === replicationRoleName(config.name, config.dr.region),
    )!;
    const policies = rolePolicies(template as never, roleId, { region: config.dr.region, account: '111111111111' });
    // The role's grants name the vault bucket by its ARN; the simulator needs them rendered as deployed.
    const identity = JSON.parse(
      JSON.stringify(policies).replaceAll(/arn:aws:s3:::redis-dr-vaulted-222222222222-eu-central-1/g, `arn:aws:s3:::${VAULT_BUCKET}`),
    );
    const report = `arn:aws:s3:::${VAULT_BUCKET}/${REPORTS_PREFIX}weekly/2026-11-23T0600Z/report.html`;
    const verdict = `arn:aws:s3:::${VAULT_BUCKET}/${vaultVerdictKey('rdr-sessions-prod-20261121-0200-0001.rdb')}`;
    expect(await ask(reportRoleArn, identity, 's3:ReplicateObject', {}, report)).toBe('Allowed');
    expect(await ask(reportRoleArn, identity, 's3:ObjectOwnerOverrideToBucketOwner', {}, report)).toBe('Allowed');
    // A drill's signed record (issue 58), as the drill report names it.
    const drill = `arn:aws:s3:::${VAULT_BUCKET}/${drillRecordKey('eu-west-1', 'sessions', 42)}`;
    expect(await ask(reportRoleArn, identity, 's3:ReplicateObject', {}, drill)).toBe('Allowed');
    expect(await ask(reportRoleArn, identity, 's3:ObjectOwnerOverrideToBucketOwner', {}, drill)).toBe('Allowed');
    const all = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }];
    expect(await ask(reportRoleArn, all, 's3:DeleteObject', {}, drill)).toBe('ExplicitlyDenied');
    // Nothing else of the DR bucket's keys: a scrub record there is not let into the vault by this role.
    expect(await ask(reportRoleArn, identity, 's3:ReplicateObject', {}, `arn:aws:s3:::${VAULT_BUCKET}/scrub/redis-dr-scrub-20261125T031500123Z.json`)).not.toBe(
      'Allowed',
    );
    // Negative: nothing else of the vault, even with a wider identity policy.
    const wide = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }];
    expect(await ask(reportRoleArn, identity, 's3:ReplicateObject')).not.toBe('Allowed');
    expect(await ask(reportRoleArn, wide, 's3:ReplicateObject')).not.toBe('Allowed');
    expect(await ask(reportRoleArn, wide, 's3:ReplicateObject', {}, verdict)).not.toBe('Allowed');
    expect(await ask(reportRoleArn, wide, 's3:ReplicateTags', {}, report)).not.toBe('Allowed');
    expect(await ask(reportRoleArn, wide, 's3:DeleteObject', {}, report)).toBe('ExplicitlyDenied');
    // The export bucket's role is not let into reports/ by the new statement (it had replicas everywhere already).
    expect(await ask('arn:aws:iam::111111111111:role/someone-else', wide, 's3:ReplicateObject', {}, report)).not.toBe('Allowed');
  });

  it('changes nothing without a vault: one rule, the role CDK names', () => {
    const plain = synthesize(basicConfig());
    try {
      expect(plain.stacks.vault).toBeUndefined();
      const exportBucket = resourcesOf(plain.primary).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ReplicationConfiguration);
      expect((exportBucket!.Properties.ReplicationConfiguration.Rules as unknown[]).length).toBe(1);
      expect(
        resourcesOf(plain.primary).filter((r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === replicationRoleName('example', 'eu-west-1')),
      ).toEqual([]);
      // The DR bucket replicates nothing without a vault.
      expect(resourcesOf(plain.dr).filter((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ReplicationConfiguration)).toEqual([]);
    } finally {
      plain.cleanup();
    }
  });
});
