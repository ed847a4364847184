import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../../lib/config/index.js';
import { replicationRoleName, vaultStackName, vaultVerifyStateMachineName } from '../../../lib/deployment.js';
import { VAULT_REPLICATION_RULE_ID } from '../../../lib/constructs/recovery-bucket.js';
import { vaultSilenceHours } from '../../../lib/stacks/vault-stack.js';
import { basicConfig, synthesize, type Synthesized } from '../../support/synth.js';

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
function vaultPolicyProblems(statements: readonly Statement[], roleArns: readonly string[]): string[] {
  const problems: string[] = [];
  const destructive = /^s3:(Delete|PutObjectRetention|PutBucketObjectLockConfiguration|BypassGovernanceRetention|ReplicateDelete|PutLifecycle|\*)/;
  for (const s of statements.filter((x) => x.Effect === 'Allow')) {
    const bad = actions(s).filter((a) => destructive.test(a) || a === '*');
    if (bad.length > 0) problems.push(`${s.Sid ?? '?'} allows ${bad.join(', ')}`);
    const arns = s.Condition?.ArnEquals?.['aws:PrincipalArn'];
    if (JSON.stringify(arns) !== JSON.stringify(roleArns)) problems.push(`${s.Sid ?? '?'} is not limited to the replication roles (${JSON.stringify(arns)})`);
  }
  const denies = statements.filter((x) => x.Effect === 'Deny');
  for (const needed of ['s3:DeleteObjectVersion', 's3:DeleteObject', 's3:BypassGovernanceRetention']) {
    if (!denies.some((d) => d.Principal && JSON.stringify(d.Principal) === '{"AWS":"*"}' && actions(d).includes(needed) && !d.Condition))
      problems.push(`no Deny of ${needed} to everyone`);
  }
  if (!denies.some((d) => JSON.stringify(d.Condition ?? {}).includes('"aws:SecureTransport":"false"'))) problems.push('no Deny of non-TLS requests');
  return problems;
}

describe('vault stack (config vault)', () => {
  let synth: Synthesized;
  const config = vaultConfig();
  const roleArn = `arn:aws:iam::111111111111:role/${replicationRoleName(config.name)}`;
  beforeAll(() => {
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
    expect(vaultPolicyProblems(statements, [roleArn])).toEqual([]);
    expect(statements.filter((s) => s.Effect === 'Allow').map((s) => s.Principal)).toEqual([
      { AWS: 'arn:aws:iam::111111111111:root' },
      { AWS: 'arn:aws:iam::111111111111:root' },
    ]);
  });

  it('the policy check finds a planted delete grant, an unnarrowed writer and a missing TLS deny (negative cases)', () => {
    const statements = vaultPolicy(synth);
    const planted: Statement[] = [...statements, { Sid: 'Oops', Effect: 'Allow', Action: ['s3:DeleteObjectVersion'], Principal: { AWS: '*' } }];
    expect(vaultPolicyProblems(planted, [roleArn])).toEqual(['Oops allows s3:DeleteObjectVersion', 'Oops is not limited to the replication roles (undefined)']);
    const noTls = statements.filter((s) => !JSON.stringify(s.Condition ?? {}).includes('SecureTransport'));
    expect(vaultPolicyProblems(noTls, [roleArn])).toEqual(['no Deny of non-TLS requests']);
    const noDeny = statements.filter((s) => s.Sid !== 'NobodyDeletesReplicas');
    expect(vaultPolicyProblems(noDeny, [roleArn])).toEqual([
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
    synth.primary.hasResourceProperties('AWS::IAM::Role', { RoleName: replicationRoleName(config.name) });
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
    expect(Object.keys(fn!.Properties.Environment.Variables)).toEqual(expect.arrayContaining(['ALERT_TOPIC_ARN', 'REDIS_DR_COLLAPSE_THRESHOLDS']));
    const alarm = resourcesOf(vault).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.AlarmName.includes('verify-failed'));
    expect(alarm?.Properties.AlarmName).toBe(`redis-dr-${config.name}-verify-failed-vault`);
    expect(JSON.stringify(alarm?.Properties.AlarmActions)).toContain('AlertsTopic');
  });

  it("pages when no replica reached the vault for the shortest DR-copy limit (a dead man's switch on verification starts)", () => {
    // The fixture's exporting plan: RPO 210 min + 120 min allowance = 330 min -> 6 whole hours.
    expect(vaultSilenceHours(config)).toBe(6);
    synth.vault!.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `redis-dr-${config.name}-vault-stale`,
      MetricName: 'ExecutionsStarted',
      Namespace: 'AWS/States',
      Period: 3600,
      EvaluationPeriods: 6,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    // A day at most, however long the RPO.
    const slow = { ...config, plans: config.plans.map((p) => ({ ...p, rpoMinutes: 3000 })) };
    expect(vaultSilenceHours(slow)).toBe(24);
  });

  it('is clean under cfn-lint', () => {
    const out = execFileSync('cfn-lint', ['--ignore-checks', 'W3005', '--', synth.templateFiles[2]!], { encoding: 'utf8' });
    expect(out).toBe('');
  }, 120_000);

  it('re-encrypts replicas with vault.kmsKeyArn when given', () => {
    const withKey = synthesize({
      ...config,
      vault: { ...config.vault!, kmsKeyArn: 'arn:aws:kms:eu-central-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
    });
    try {
      withKey.vault!.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: 'arn:aws:kms:eu-central-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
              },
            },
          ],
        },
      });
      const exportBucket = resourcesOf(withKey.primary).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ReplicationConfiguration);
      expect(exportBucket!.Properties.ReplicationConfiguration.Rules[1].Destination.EncryptionConfiguration).toEqual({
        ReplicaKmsKeyID: 'arn:aws:kms:eu-central-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      });
    } finally {
      withKey.cleanup();
    }
  });

  it('changes nothing without a vault: one rule, the role CDK names', () => {
    const plain = synthesize(basicConfig());
    try {
      expect(plain.stacks.vault).toBeUndefined();
      const exportBucket = resourcesOf(plain.primary).find((r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ReplicationConfiguration);
      expect((exportBucket!.Properties.ReplicationConfiguration.Rules as unknown[]).length).toBe(1);
      expect(resourcesOf(plain.primary).filter((r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === replicationRoleName('example'))).toEqual([]);
    } finally {
      plain.cleanup();
    }
  });
});
