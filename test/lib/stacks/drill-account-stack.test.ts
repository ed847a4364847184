/**
 * Drills in a separate drill account (config `drillAccount`, plan
 * `drill.account`; DORA art. 12, NIST CP-9(2)): the drill account's stack
 * (`-c stacks=drill`) synthesized beside the workload's and the vault's,
 * held to cdk-nag (synth throws on a finding), cfn-lint and Control Tower's
 * proactive controls; the vault's grant and the drill bucket's policy
 * evaluated by the IAM simulator; and the drill account's synthesized state
 * machine executed locally (aws-local-stepfunctions) from a vault replica
 * the vault's own verify state machine judged, into a real redis-server
 * standing in for the drill cluster, its record signed with the drill
 * account's key (KMS mocked with a real P-256 key) into the drill bucket
 * (moto), checked by `redis-dr attest` and read by the workload's report as
 * a drill of the separate account.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { renderIntrinsic, stateMachineDefinition, type AslDefinition, type TemplateJson } from '../../../lib/asl.js';
import { addDrillAccountStack, addRedisDrStacks, addVaultStack } from '../../../lib/app.js';
import { runCdkEntry } from '../../../lib/cdk-entry.js';
import { type RedisDrConfig, validateConfig } from '../../../lib/config/index.js';
import { drillAccountStackName, drillRunInput, recoveryBucketName, reportRunInput, vaultDrillRoleNames } from '../../../lib/deployment.js';
import { localApp } from '../../../lib/local-app.js';
import { RedisDrDrillAccount, type RedisDrProps } from '../../../lib/redis-dr.js';
import { kmsSigner } from '../../../lambdas/adapters/aws/kms-signer.js';
import { publishAlert } from '../../../lambdas/adapters/aws/alerts.js';
import { startLocalRedis } from '../../../lambdas/adapters/redis/local-server.js';
import { exportObjectKey, exportObjectTags } from '../../../lambdas/domain/points/export-objects.js';
import { triggerSummary } from '../../../lambdas/domain/report/render.js';
import { SEED_COPY_PREFIX } from '../../../lambdas/domain/vault/vault-seed.js';
import { reportDrill, type DrillReportResult } from '../../../lambdas/jobs/drills/drill-report.js';
import { drillAccountDrills } from '../../../lambdas/jobs/report/elasticache-report.js';
import { runFreshness } from '../../../lambdas/jobs/scheduled/freshness.js';
import { freshnessInputSchema } from '../../../lambdas/domain/plans/plan-input.js';
import { LocalAws } from '../../../demo/local-aws.js';
import { runInProcess } from '../../cli/support/in-process.js';
import { cfnLint } from '../../support/cfn-lint.js';
import { fakeDeps, MemoryLog, MemoryMetrics } from '../../support/fakes.js';
import { controlTowerFindings, nistFindings } from '../../support/governance.js';
import { CONTROL_TOWER_EXCEPTIONS, DEFAULT_FAILING_CONTROLS, DEFAULT_FAILING_NIST_RULES } from '../../support/governance-expectations.js';
import { bucketPolicyOf, evaluate, keyPolicyOf, type PolicyDocument, rolePolicies } from '../../support/iam.js';
import { auditorPublicKeyPem, kmsEvidenceKey } from '../../support/kms-evidence.js';
import { type MotoS3, startMotoS3 } from '../../support/moto.js';
import { bgsave, startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { runVaultDrill, vaultVerdict } from '../../support/vault-drill-run.js';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'config', 'vault-drill.json');
const WORKLOAD = '111111111111';
const VAULT = '222222222222';
const DRILL = '333333333333';
const REGION = 'eu-central-1';
const DRILL_NETWORK = {
  vpcId: 'vpc-0d23456789abcdef0',
  subnetIds: ['subnet-0d23456789abcdef0', 'subnet-0d23456789abcdef1'],
  securityGroupIds: ['sg-0d23456789abcdef0'],
  cacheSubnetGroupName: 'redis-dr-drills',
};

type Resource = { Type: string; Properties: Record<string, any> };
type Json = Record<string, any>;

/** The vault-drill fixture with its vault plan moved to the drill account (`change` edits the raw config first). */
function drillAccountConfig(change: (c: Json) => void = () => {}): RedisDrConfig {
  const raw = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;
  raw.drillAccount = { account: DRILL, network: DRILL_NETWORK };
  raw.plans[0].drill.account = DRILL;
  change(raw);
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

/** Where a synth writes: under the run's folder (removed after the run). */
function outdir(): string {
  let root = tmpdir();
  try {
    root = inject('synthRoot') ?? root;
  } catch {
    // Outside vitest: the system's temporary folder.
  }
  return mkdtempSync(join(root, 'redis-dr-drill-account-'));
}

/** The asked stacks of one config in one app, as each account's synth builds them; cdk-nag's findings make synth throw. */
function synth(config: RedisDrConfig, which: { workload?: boolean; vault?: boolean }) {
  const app = localApp(outdir(), { cloudFormationValidation: false });
  const workload = which.workload ? addRedisDrStacks(app, config) : undefined;
  const vault = which.vault ? addVaultStack(app, config) : undefined;
  const drill = addDrillAccountStack(app, config);
  const assembly = app.synth();
  const file = (s: Stack) => join(assembly.directory, assembly.getStackByName(s.stackName).templateFile);
  const template = (s: Stack | undefined) => (s ? (JSON.parse(readFileSync(file(s), 'utf8')) as TemplateJson) : undefined);
  return {
    drill,
    templates: { drill: template(drill)!, vault: template(vault), dr: template(workload?.dr) },
    files: { drill: file(drill), vault: vault ? file(vault) : undefined, dr: workload ? file(workload.dr) : undefined },
  };
}

const resourcesOf = (t: TemplateJson) => t.Resources as Record<string, Resource>;
const idOf = (t: TemplateJson, test: (r: Resource) => boolean) => Object.entries(resourcesOf(t)).find(([, r]) => test(r))?.[0];
const roleId = (t: TemplateJson, name: string) => idOf(t, (r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === name)!;
const roleIdByPrefix = (t: TemplateJson, prefix: string) =>
  Object.keys(resourcesOf(t)).find((id) => id.startsWith(prefix) && resourcesOf(t)[id]!.Type === 'AWS::IAM::Role')!;
const S3_ALL: PolicyDocument[] = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }];

describe('drills in a separate drill account (config drillAccount)', () => {
  let config: RedisDrConfig;
  let built: ReturnType<typeof synth>;
  const vaultBucket = () => recoveryBucketName(config.name, VAULT, REGION);
  const drillBucket = () => recoveryBucketName(config.name, DRILL, REGION);
  beforeAll(() => {
    config = drillAccountConfig();
    built = synth(config, { workload: true, vault: true });
  }, 300_000);
  /** The freshness schedule's input in the drill account's template, as deployed (the stand-ins: the drill account, the vault region). */
  const freshnessInput = () => {
    const schedule = Object.values(resourcesOf(built.templates.drill)).find(
      (r) => r.Type === 'AWS::Scheduler::Schedule' && renderIntrinsic(r.Properties.Target?.Input ?? '').includes('"budgetSeconds"'),
    )!;
    // EventBridge Scheduler fills in the time of the tick.
    const text = renderIntrinsic(schedule.Properties.Target.Input, { region: REGION, account: DRILL }).replace(
      '<aws.scheduler.scheduled-time>',
      new Date().toISOString(),
    );
    return freshnessInputSchema.parse(JSON.parse(text));
  };

  describe('the stack', () => {
    it('is a stack of its own in the drill account and the vault region, cdk-nag clean; the workload DR region runs no drill of the plan', () => {
      expect(built.drill.stackName).toBe(drillAccountStackName(config));
      expect([built.drill.account, built.drill.region]).toEqual([DRILL, REGION]);
      const machines = (t: TemplateJson) =>
        Object.values(resourcesOf(t))
          .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
          .map((r) => r.Properties.StateMachineName as string);
      expect(machines(built.templates.drill)).toEqual(['redis-dr-vaultdrill-dr-drill']);
      expect(machines(built.templates.dr!)).not.toContain('redis-dr-vaultdrill-dr-drill');
      // The drill clusters: the drill account's subnet group and security groups, encrypted in transit and at rest, a token per execution.
      const definition = JSON.stringify(stateMachineDefinition(built.templates.drill, 'drill', { region: REGION, account: DRILL }));
      expect(definition).toContain('"CacheSubnetGroupName":"redis-dr-drills"');
      expect(definition).toContain('"SecurityGroupIds":["sg-0d23456789abcdef0"]');
      expect(definition).toContain('"TransitEncryptionEnabled":true');
      expect(definition).toContain('"AtRestEncryptionEnabled":true');
      expect(definition).toContain('"AuthToken.$":"$.drill.auth.token"');
    });

    it('the cdk-nag gate covers it: a planted bucket without logs or TLS fails its synth (negative case)', () => {
      const app = new App({ outdir: outdir(), context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
      const stack = addDrillAccountStack(app, config);
      new s3.Bucket(stack, 'Planted');
      expect(() => app.synth()).toThrow(/Validation failed|AwsSolutions/);
    });

    it('gives the select role reads of the vault only (nothing of the drill bucket, which holds seed copies and records); the seed role writes only seed copies', () => {
      const t = built.templates.drill;
      const names = vaultDrillRoleNames(config.name, REGION);
      const standIns = { region: REGION, account: DRILL };
      const statements = (name: string) => rolePolicies(t, roleId(t, name), standIns).flatMap((d) => d.Statement);
      const touching = (name: string, bucket: string) =>
        statements(name)
          .filter((st) => JSON.stringify(st.Resource).includes(bucket))
          .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]))
          .sort();
      expect(touching(names.select, drillBucket())).toEqual([]);
      expect(touching(names.select, vaultBucket())).toEqual(['s3:GetObject', 's3:GetObjectRetention', 's3:GetObjectTagging', 's3:ListBucket']);
      const seedWrites = statements(names.seedCopy).filter((st) => JSON.stringify(st.Action).includes('s3:PutObject'));
      expect(seedWrites.map((st) => st.Resource)).toEqual([`arn:aws:s3:::${drillBucket()}/${SEED_COPY_PREFIX}*`]);
    });

    it("schedules the plan's drill on the vault bucket, expecting the vault account as its owner, with the drill bucket for the seed copy", () => {
      const resources = resourcesOf(built.templates.drill);
      const inputs = Object.values(resources)
        .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
        .map((r) => JSON.parse(renderIntrinsic(r.Properties.Target.Input)) as Json)
        .filter((i) => 'rtoMinutes' in i);
      const bucketId = idOf(built.templates.drill, (r) => r.Type === 'AWS::S3::Bucket' && r.Properties.BucketName === drillBucket());
      expect(bucketId).toBeDefined();
      expect(inputs).toEqual([
        expect.objectContaining({ plan: 'sessions', where: 'dr', bucket: vaultBucket(), vault: { account: VAULT, seedBucket: bucketId } }),
      ]);
    });

    it("pages the drill account's topic when a plan's last good drill is older than its interval plus the drill time (the freshness job, drills only)", () => {
      const t = built.templates.drill;
      const resources = resourcesOf(t);
      const alarm = Object.values(resources).find(
        (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.AlarmName === 'redis-dr-vaultdrill-drill-age-sessions',
      );
      expect(alarm?.Properties).toMatchObject({
        MetricName: 'LastSuccessfulDrillAgeSeconds',
        TreatMissingData: 'breaching',
        Dimensions: [{ Name: 'Plan', Value: 'sessions' }],
      });
      const topicId = idOf(t, (r) => r.Type === 'AWS::SNS::Topic')!;
      expect(alarm!.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(freshnessInput()).toEqual(
        expect.objectContaining({
          where: 'dr',
          plans: [expect.objectContaining({ plan: 'sessions', exports: false, drills: true })],
          // A reference to this stack's drill state machine (rendered here as its logical id).
          drillStateMachineArn: idOf(t, (r) => r.Type === 'AWS::StepFunctions::StateMachine'),
        }),
      );
      expect(freshnessInput()).not.toHaveProperty('coverage');
      expect(freshnessInput()).not.toHaveProperty('bucket');
    });

    it("signs the records with the drill account's own evidence key, which only its drill report may use", () => {
      const t = built.templates.drill;
      const keyId = idOf(t, (r) => r.Type === 'AWS::KMS::Key' && r.Properties.KeySpec === 'ECC_NIST_P256')!;
      const report = roleIdByPrefix(t, 'DrillsReportRole');
      const standIns = { region: REGION, account: DRILL };
      const keyPolicy = keyPolicyOf(t, keyId, standIns);
      const keyArn = `arn:aws:kms:${REGION}:${DRILL}:key/${keyId}`;
      const sign = (principal: string, identity: readonly PolicyDocument[]) =>
        evaluate(identity, { action: 'kms:Sign', resource: keyArn, context: {}, principal, resourcePolicy: keyPolicy }, standIns);
      const admin: PolicyDocument[] = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }];
      return Promise.all([
        expect(sign(`arn:aws:iam::${DRILL}:role/${report}`, rolePolicies(t, report, standIns))).resolves.toBe('Allowed'),
        expect(sign(`arn:aws:iam::${DRILL}:role/Admin`, admin)).resolves.toBe('ExplicitlyDenied'),
      ]);
    });

    it('IAM evaluates the vault so: the drill roles read and list replicas, and nothing of the drill account writes, deletes or relocks one', async () => {
      const vault = built.templates.vault!;
      const vaultId = idOf(vault, (r) => r.Type === 'AWS::S3::Bucket' && r.Properties.ObjectLockEnabled === true)!;
      const policy = bucketPolicyOf(vault, vaultId, { region: REGION, account: VAULT });
      const drill = built.templates.drill;
      const names = vaultDrillRoleNames(config.name, REGION);
      const standIns = { region: REGION, account: DRILL };
      const identity = (name: string) => rolePolicies(drill, roleId(drill, name), standIns);
      const replica = `arn:aws:s3:::${vaultBucket()}/rdr-sessions-prod-20261122-0200-0001.rdb`;
      const ask = (principal: string, given: readonly PolicyDocument[], action: string, resource = replica, context: Record<string, string> = {}) =>
        evaluate(given, { action, resource, context, principal, resourcePolicy: policy }, { region: REGION, account: VAULT });
      const select = `arn:aws:iam::${DRILL}:role/${names.select}`;
      const seed = `arn:aws:iam::${DRILL}:role/${names.seedCopy}`;
      expect(await ask(select, identity(names.select), 's3:ListBucket', `arn:aws:s3:::${vaultBucket()}`)).toBe('Allowed');
      for (const read of ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectRetention'])
        expect(await ask(select, identity(names.select), read), read).toBe('Allowed');
      expect(await ask(seed, identity(names.seedCopy), 's3:GetObjectVersion')).toBe('Allowed');
      // With every S3 action in their own account's policies, the drill roles still cannot change the vault.
      for (const principal of [select, seed])
        for (const write of ['s3:PutObject', 's3:PutObjectTagging', 's3:PutObjectRetention', 's3:ReplicateObject', 's3:PutObjectLegalHold'])
          expect(await ask(principal, S3_ALL, write), `${principal} ${write}`).not.toBe('Allowed');
      for (const principal of [select, seed])
        for (const destroy of ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention'])
          expect(await ask(principal, S3_ALL, destroy), `${principal} ${destroy}`).toBe('ExplicitlyDenied');
      // Only those two roles: another role of the drill account (its report, an administrator) reads nothing.
      const report = roleIdByPrefix(drill, 'DrillsReportRole');
      expect(await ask(`arn:aws:iam::${DRILL}:role/${report}`, S3_ALL, 's3:GetObject')).not.toBe('Allowed');
      expect(await ask(`arn:aws:iam::${DRILL}:role/Admin`, S3_ALL, 's3:GetObject')).not.toBe('Allowed');
      // The workload account's drill roles of the same names are no longer let in: its plan drills in the drill account.
      expect(await ask(`arn:aws:iam::${WORKLOAD}:role/${names.select}`, S3_ALL, 's3:GetObject')).not.toBe('Allowed');
      // Outside the vault bucket, the drill roles' own grants reach no other bucket of the vault account.
      expect(await ask(seed, identity(names.seedCopy), 's3:GetObjectVersion', `arn:aws:s3:::redis-dr-other-${VAULT}-${REGION}/x.rdb`)).not.toBe('Allowed');
    });

    it('IAM evaluates the drill bucket so: the workload account reads and lists the records only; nobody but the drill report writes them, nobody deletes them', async () => {
      const t = built.templates.drill;
      const standIns = { region: REGION, account: DRILL };
      const bucketId = idOf(t, (r) => r.Type === 'AWS::S3::Bucket' && r.Properties.BucketName === drillBucket())!;
      const policy = bucketPolicyOf(t, bucketId, standIns);
      const record = `arn:aws:s3:::${drillBucket()}/drills/${REGION}/sessions/redis-dr-drill-00000001.json`;
      const seedCopy = `arn:aws:s3:::${drillBucket()}/${SEED_COPY_PREFIX}exec-1/rdr-sessions-prod-20261122-0200-0001.rdb`;
      const ask = (principal: string, given: readonly PolicyDocument[], action: string, resource = record, context: Record<string, string> = {}) =>
        evaluate(given, { action, resource, context, principal, resourcePolicy: policy }, standIns);
      const reader = `arn:aws:iam::${WORKLOAD}:role/redis-dr-report`;
      expect(await ask(reader, S3_ALL, 's3:GetObject')).toBe('Allowed');
      expect(await ask(reader, S3_ALL, 's3:ListBucket', `arn:aws:s3:::${drillBucket()}`, { 's3:prefix': `drills/${REGION}/sessions/` })).toBe('Allowed');
      expect(await ask(reader, S3_ALL, 's3:ListBucket', `arn:aws:s3:::${drillBucket()}`, { 's3:prefix': SEED_COPY_PREFIX })).not.toBe('Allowed');
      expect(await ask(reader, S3_ALL, 's3:GetObject', seedCopy)).not.toBe('Allowed');
      expect(await ask(reader, S3_ALL, 's3:PutObject')).not.toBe('Allowed');
      const report = roleIdByPrefix(t, 'DrillsReportRole');
      const writer = `arn:aws:iam::${DRILL}:role/${report}`;
      expect(await ask(writer, rolePolicies(t, report, standIns), 's3:PutObject')).toBe('Allowed');
      expect(await ask(writer, S3_ALL, 's3:DeleteObject')).toBe('ExplicitlyDenied');
      const admin = `arn:aws:iam::${DRILL}:role/Admin`;
      for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'])
        expect(await ask(admin, S3_ALL, action), action).toBe('ExplicitlyDenied');
      // The seed copies stay the seed function's: the records' rules do not reach them.
      expect(await ask(admin, S3_ALL, 's3:DeleteObject', seedCopy)).toBe('Allowed');
    });

    it("lets the workload's scheduled report read the drill account's records (its input names them), and the vault drill roles of the workload go", () => {
      const dr = built.templates.dr!;
      const statements = Object.values(resourcesOf(dr))
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .flatMap((r) => r.Properties.PolicyDocument.Statement as Json[]);
      const bucketArn = `arn:aws:s3:::${drillBucket()}`;
      expect(statements.filter((s) => JSON.stringify(s.Resource ?? '').includes(drillBucket()))).toEqual([
        {
          Sid: 'ListDrillAccountRecords',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: bucketArn,
          Condition: { StringLike: { 's3:prefix': ['drills/*'] } },
        },
        { Sid: 'ReadDrillAccountRecords', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/drills/*` },
      ]);
      expect(reportRunInput(config, WORKLOAD).drillAccount).toEqual({ account: DRILL, region: REGION, bucket: drillBucket(), plans: ['sessions'] });
      const names = vaultDrillRoleNames(config.name, REGION);
      expect(idOf(dr, (r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === names.select)).toBeUndefined();
    });

    it('bin/app.ts with -c stacks=drill synthesizes the drill account stack alone, cdk-nag clean, naming how to deploy it', () => {
      const dir = outdir();
      const file = join(dir, 'drill.json');
      const raw = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;
      raw.drillAccount = { account: DRILL, network: DRILL_NETWORK };
      raw.plans[0].drill.account = DRILL;
      writeFileSync(file, JSON.stringify(raw));
      let stderr = '';
      const app = new App({
        outdir: join(dir, 'out'),
        context: { 'aws:cdk:bundling-stacks': [], config: file, stacks: 'drill' },
        builtinCloudFormationValidation: false,
      });
      expect(runCdkEntry(app, { write: (text: string) => (stderr += text) })).toBe(0);
      expect(stderr).toContain(`  ${drillAccountStackName(config)} (${REGION}): 3 schedules, 1 state machine(s)`);
      expect(stderr).toContain('cdk-nag: clean');
      expect(stderr).toContain(`sessions (export, drills: dr (from the vault, in drill account ${DRILL}))`);
      expect(stderr).toContain(`drill account: this synth holds ${drillAccountStackName(config)} alone (account ${DRILL}, ${REGION})`);
      expect(stderr).not.toContain('RedisDr-vaultdrill-Primary (');
    });
  });

  describe('the RedisDrDrillAccount construct', () => {
    it('validates the config, adds the drill account stack alone and annotates its deploy order and subscriptions', () => {
      const raw = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;
      raw.drillAccount = { account: DRILL, network: DRILL_NETWORK };
      raw.plans[0].drill.account = DRILL;
      const app = new App({ outdir: outdir(), context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
      const { drill } = new RedisDrDrillAccount(app, 'RedisDrDrillAccount', raw as RedisDrProps);
      expect(app.node.children.filter((c) => Stack.isStack(c)).map((c) => (c as Stack).stackName)).toEqual([drillAccountStackName(config)]);
      const infos = Annotations.fromStack(drill).findInfo('*', Match.anyValue());
      const texts: string[] = infos.map((i) => String(i.entry.data));
      expect(
        texts.some((t) => t.startsWith(`drill account: this stack is deployed with account ${DRILL}'s own credentials, after RedisDr-vaultdrill-Vault`)),
      ).toBe(true);
      expect(texts.some((t) => t.includes('confirm the 1 email subscription(s) of the drill account alert topic'))).toBe(true);
      // Without drillAccount: one line naming the field and the fix, nothing added.
      delete raw.drillAccount;
      delete raw.plans[0].drill.account;
      expect(() => new RedisDrDrillAccount(new App(), 'D', raw as RedisDrProps)).toThrow(/drillAccount is required for the drill account stack, got none/);
    });
  });

  describe('governance', () => {
    let governed: ReturnType<typeof synth>;
    beforeAll(() => {
      governed = synth(
        drillAccountConfig((c) => {
          c.network = { ...DRILL_NETWORK, vpcId: 'vpc-0123456789abcdef0' };
          c.vault.network = { vpcId: 'vpc-0b23456789abcdef0', subnetIds: ['subnet-0b23456789abcdef0'], securityGroupIds: ['sg-0b23456789abcdef0'] };
          c.lambda = {
            logRetentionDays: 365,
            inVpc: true,
            logKmsKeyArns: { drill: `arn:aws:kms:${REGION}:${DRILL}:key/0a1b2c3d-1111-2222-3333-444455556666` },
          };
        }),
        {},
      );
    }, 300_000);

    it('by default fails only Control Tower controls the workload stacks fail too (docs/deploying.md lists them)', () => {
      const failing = new Set(controlTowerFindings([built.files.drill]).map((f) => f.control));
      expect([...failing].filter((c) => !(DEFAULT_FAILING_CONTROLS as readonly string[]).includes(c))).toEqual([]);
      expect(failing.size).toBeGreaterThan(0);
    });

    it('governed (lambda.inVpc, lambda.logKmsKeyArns.drill): fails no Control Tower control but the documented exceptions', () => {
      const findings = controlTowerFindings([governed.files.drill]);
      const unexplained = findings.filter((f) => !CONTROL_TOWER_EXCEPTIONS.some((e) => e.control === f.control && e.resources.test(f.logicalId)));
      expect(unexplained).toEqual([]);
      // The drill bucket's exception is the DR bucket's (SSE-S3 for seeding), no more.
      expect(findings.filter((f) => f.logicalId.startsWith('Copies')).map((f) => f.control)).toEqual(['CT.S3.PR.10']);
    });

    it('NIST 800-53 rev 5 (cdk-nag): governed, no unacknowledged finding; by default only the rules lambda.inVpc and lambda.logKmsKeyArns settle', () => {
      expect(nistFindings([governed.drill])).toEqual([]);
      const failing = new Set(nistFindings([built.drill]).map((f) => f.rule));
      expect([...failing].filter((r) => !(DEFAULT_FAILING_NIST_RULES as readonly string[]).includes(r))).toEqual([]);
    });

    it('is clean under cfn-lint, with the vault and DR templates it goes with, default and governed', async () => {
      expect(await cfnLint([built.files.drill, built.files.vault!, built.files.dr!, governed.files.drill])).toEqual({ status: 0, output: '' });
    }, 300_000);
  });

  describe("the drill account's state machine, executed locally, seeded from a vault replica", () => {
    const snapshot = 'rdr-sessions-prod-20261122-0200';
    const key = exportObjectKey(snapshot, 1);
    let source: RedisServer;
    let moto: MotoS3;
    let rdb: string;
    let scratch: string;
    let engine: string;
    let drill: AslDefinition;
    let verify: AslDefinition;
    const retainUntil = new Date(Date.now() + 401 * 86_400_000);
    const evidenceKey = kmsEvidenceKey(`arn:aws:kms:${REGION}:${DRILL}:key/0b1c2d3e-drill-evidence`);

    beforeAll(async () => {
      drill = stateMachineDefinition(built.templates.drill, 'drill', { region: REGION, account: DRILL });
      verify = stateMachineDefinition(built.templates.vault!, 'verify', { region: REGION, account: VAULT });
      [source, moto] = await Promise.all([startRedisServer(), startMotoS3()]);
      await moto.bucket(drillBucket());
      const c = source.client();
      const pipe = c.pipeline();
      for (let i = 0; i < 300; i++) pipe.set(`session:${i}`, `user-${i}`);
      for (let i = 0; i < 20; i++) pipe.hset(`profile:${i}`, { name: `n${i}` });
      pipe.set('config:schema-version', '42');
      await pipe.exec();
      engine = `redis ${/redis_version:(\S+)/.exec(String(await c.info('server')))?.[1] ?? '7.0.0'}`;
      scratch = mkdtempSync(join(tmpdir(), 'drill-account-'));
      rdb = join(scratch, 'source.rdb');
      copyFileSync(await bgsave(source, c), rdb);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([source?.stop(), moto?.stop()]);
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    /** Files under `dir` with size and mtime (a folder written to or deleted from compares different). */
    const folderState = (dir: string) =>
      (readdirSync(dir, { recursive: true }) as string[])
        .filter((f) => statSync(join(dir, f)).isFile())
        .sort()
        .map((f) => `${f}:${statSync(join(dir, f)).size}:${statSync(join(dir, f)).mtimeMs}`);

    /** The replica in the vault's folder, judged by the vault's verify state machine, then one drill of the drill account. */
    async function run(executionName: string) {
      const vaultDir = mkdtempSync(join(scratch, 'vault-'));
      const drillDir = mkdtempSync(join(scratch, 'drill-bucket-'));
      const aws = new LocalAws({
        account: DRILL,
        buckets: { [vaultBucket()]: vaultDir, [drillBucket()]: drillDir },
        owners: { [vaultBucket()]: VAULT },
        startServer: (file, password) => startLocalRedis({ rdb: file, password, tmpPrefix: 'drill-account-cluster-' }),
      });
      const sns = aws.sns(REGION);
      copyFileSync(rdb, join(vaultDir, key));
      aws.replaceObjectTags(vaultBucket(), key, {
        ...exportObjectTags({ tier: 'daily', plan: 'sessions', snapshot, createdAt: new Date(Date.now() - 3_600_000), shard: 1, shards: 1, engine, keys: 321 }),
      });
      aws.lockObject(vaultBucket(), key, { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil.toISOString() });
      const place = { aws, region: REGION, deployment: config.name, vaultAccount: VAULT };
      const verdict = await vaultVerdict(verify, place, vaultBucket(), key, `vault-verify-${executionName}`);
      expect(verdict.status).toBe('SUCCEEDED');
      const vaultBefore = folderState(vaultDir);
      const callsBefore = aws.calls.length;
      let report: DrillReportResult | undefined;
      const plan = config.plans.find((p) => p.name === 'sessions')!;
      const input = JSON.parse(JSON.stringify(drillRunInput(config.name, plan, 'dr', drillBucket(), config.vault))) as unknown;
      const signer = await kmsSigner(evidenceKey.kms, evidenceKey.keyArn);
      // The record goes into the drill bucket through moto (a real S3 API: conditional puts, checksums read back).
      const execution = await runVaultDrill(drill, place, input, executionName, async (event) => {
        report = await reportDrill(event, {
          publish: (a) => publishAlert(sns, `arn:aws:sns:${REGION}:${DRILL}:alerts`, a),
          metrics: new MemoryMetrics(),
          log: new MemoryLog(),
          evidence: { s3: moto.client, bucket: drillBucket(), signer },
        });
        return report;
      });
      const left = await aws.shutdown();
      return {
        execution,
        report,
        aws,
        left,
        vaultUnchanged: JSON.stringify(folderState(vaultDir)) === JSON.stringify(vaultBefore),
        seedCopiesLeft: (readdirSync(drillDir, { recursive: true }) as string[]).filter((f) => !f.startsWith('.') && statSync(join(drillDir, f)).isFile()),
        drillDir,
        drillCalls: aws.calls.slice(callsBefore),
      };
    }

    it("restores the replica the vault verified into a cluster of the drill account, deletes it and the seed copy, and signs the record into the drill bucket; attest checks it with the drill account's key", async () => {
      const r = await run('drill-account-1');
      expect(r.execution.status).toBe('SUCCEEDED');
      expect(r.report?.ok).toBe(true);
      expect(r.report!.summary).toContain(`(vault copy, account ${VAULT})`);
      expect(r.report!.summary).toContain(`Seeded from a copy in this account's DR bucket ${drillBucket()}; the copy was deleted (1 version(s)).`);
      // The cluster was built from the copy in the drill bucket, then deleted with the copy; the vault was only read.
      expect(r.aws.groups.map((g) => g.rdb)).toEqual([join(r.drillDir, ...`${SEED_COPY_PREFIX}drill-account-1/${key}`.split('/'))]);
      expect(r.aws.groups[0]!.status).toBe('deleted');
      expect(r.left).toEqual([]);
      expect(r.seedCopiesLeft).toEqual([]);
      expect(r.vaultUnchanged).toBe(true);
      expect(r.drillCalls.filter((c) => /^S3 (Put|Delete)/.test(c) && c.includes(vaultBucket()))).toEqual([]);
      // The signed record, in the drill account's own bucket.
      const recordKey = `drills/${REGION}/sessions/redis-dr-drill-00000001.json`;
      expect(r.report!.record).toBe(recordKey);
      const text = await (await moto.client.send(new GetObjectCommand({ Bucket: drillBucket(), Key: recordKey }))).Body!.transformToString();
      expect(JSON.parse(text)).toMatchObject({
        kind: 'redis-dr-drill',
        deployment: config.name,
        plan: 'sessions',
        region: REGION,
        trigger: 'scheduled',
        passed: true,
        point: snapshot,
        attestation: { seq: 1, deployment: `s3://${drillBucket()}/` },
      });
      // An auditor checks it offline with the drill account's public key (aws kms get-public-key there), and no other.
      const dir = mkdtempSync(join(scratch, 'auditor-'));
      mkdirSync(join(dir, 'chain'));
      writeFileSync(join(dir, 'chain', 'redis-dr-drill-00000001.json'), text);
      const pem = auditorPublicKeyPem(evidenceKey, dir);
      const ok = await runInProcess(['attest', join(dir, 'chain'), '--public-key', pem, '--deployment', `s3://${drillBucket()}/`]);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      const otherDir = mkdtempSync(join(scratch, 'other-key-'));
      const other = await runInProcess(['attest', join(dir, 'chain'), '--public-key', auditorPublicKeyPem(kmsEvidenceKey(), otherDir)]);
      expect(other.code).toBe(1);
      expect(existsSync(join(dir, 'chain', 'redis-dr-drill-00000001.json'))).toBe(true);
      // The dead man's switch: the freshness job, with the synthesized input, measures this drill as the plan's last good one.
      const input = freshnessInput();
      const execution = {
        executionArn: `arn:aws:states:${REGION}:${DRILL}:execution:redis-dr-vaultdrill-dr-drill:drill-account-1`,
        status: 'SUCCEEDED',
        startDate: new Date(Date.now() - 60_000),
        stopDate: new Date(),
        input: JSON.stringify(drillRunInput(config.name, config.plans[0]!, 'dr', drillBucket(), config.vault)),
        output: JSON.stringify(r.execution.output),
      };
      const measured = fakeDeps(Date.now() + 3_600_000);
      await runFreshness(input, { ...measured, drillHistory: async (arn) => (arn === input.drillStateMachineArn ? [execution] : []) });
      const age = measured.metrics.points.find((m) => m.name === 'LastSuccessfulDrillAgeSeconds' && JSON.stringify(m.dimensions) === '{"Plan":"sessions"}');
      expect(age?.value).toBeGreaterThanOrEqual(3_600);
      expect(age?.value).toBeLessThan(3_700);
      // No drill at all (nor a protection start): no data point, which the alarm treats as breaching.
      const none = fakeDeps(Date.now());
      await runFreshness(input, { ...none, drillHistory: async () => [] }).catch(() => undefined);
      expect(none.metrics.points.filter((m) => m.name === 'LastSuccessfulDrillAgeSeconds')).toEqual([]);
    }, 60_000);

    it("the workload's report reads the drill from its record as a drill of the separate account; a record of another deployment is named, not counted", async () => {
      const input = reportRunInput(config, WORKLOAD).drillAccount!;
      const since = new Date(Date.now() - 86_400_000);
      const window = { since, until: new Date(Date.now() + 60_000), generatedAt: new Date() };
      // The record of the first test is there (one per drill, chained); another deployment's record planted after it.
      const forged = JSON.parse(
        await (
          await moto.client.send(new GetObjectCommand({ Bucket: drillBucket(), Key: `drills/${REGION}/sessions/redis-dr-drill-00000001.json` }))
        ).Body!.transformToString(),
      ) as Json;
      await moto.client.send(
        new PutObjectCommand({
          Bucket: drillBucket(),
          Key: `drills/${REGION}/sessions/redis-dr-drill-00000002.json`,
          Body: JSON.stringify({ ...forged, deployment: 'another', attestation: { ...forged.attestation, seq: 2 } }),
        }),
      );
      const problems: string[] = [];
      const facts = await drillAccountDrills(moto.client, config.name, input, 'sessions', window, problems);
      expect(facts).toEqual([
        expect.objectContaining({
          cache: 'sessions-prod',
          plan: 'sessions',
          account: DRILL,
          region: `${REGION} (drill account ${DRILL})`,
          passed: true,
          trigger: 'scheduled',
          point: snapshot,
        }),
      ]);
      expect(problems).toEqual([
        `s3://${drillBucket()}/drills/${REGION}/sessions/redis-dr-drill-00000002.json is a drill record of deployment "another", not "${config.name}": not counted`,
      ]);
      expect(triggerSummary(facts)).toBe(`1 scheduled, 0 manual; 1 in the separate drill account ${DRILL}`);
      // A period after the drill: nothing counted, and the reading stops at the record that finished before it.
      const later = { since: new Date(Date.now() + 3_600_000), until: new Date(Date.now() + 7_200_000), generatedAt: new Date() };
      expect(await drillAccountDrills(moto.client, config.name, input, 'sessions', later, [])).toEqual([]);
    }, 60_000);
  });
});
