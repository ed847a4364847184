import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../lib/config/index.js';
import { vaultStackName } from '../../lib/deployment.js';
import { localApp } from '../../lib/local-app.js';
import { RedisDr } from '../../lib/redis-dr.js';
import { synthesize, type Synthesized } from '../support/synth.js';
import {
  bucketReplacements,
  keysWithoutAccountRoot,
  lockedBucketNames,
  lockedReplicationProblems,
  logGroupsWithoutRetention,
  reservedConcurrency,
  retainedFixedNames,
  type TemplateJson,
  vaultInDefaultSynth,
} from '../support/template-review.js';

/**
 * The second template review (issue 35), automated over every config the
 * tests and the repository ship: each check runs on every synthesized
 * template, and each is shown failing on a planted fragment.
 */

const ROOT = join(__dirname, '..', '..');
/** Fixtures that are invalid on purpose (config tests read them). */
const INVALID_FIXTURES = new Set(['broken-json.json', 'several-problems.json']);

/** Every valid config of the repository: config/*.json and test/fixtures/config/*.json. */
function everyConfig(): { file: string; config: RedisDrConfig }[] {
  const dirs = [join(ROOT, 'config'), join(ROOT, 'test', 'fixtures', 'config')];
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'schema.json' && !INVALID_FIXTURES.has(f))
      .map((f) => ({ file: join(dir, f).slice(ROOT.length + 1), config: loadConfig(join(dir, f)) })),
  );
}

const json = (t: { toJSON(): unknown }) => t.toJSON() as TemplateJson;
const templatesOf = (s: Synthesized) => [s.primary, s.dr, ...(s.vault ? [s.vault] : [])].map(json);

const configs = everyConfig();

describe('template review: every config the repository ships', () => {
  const synths = new Map<string, Synthesized>();
  beforeAll(() => {
    for (const { file, config } of configs) synths.set(file, synthesize(config));
  }, 1_200_000);

  it('covers the example, the demo and every valid fixture, vaults included', () => {
    expect(configs.map((c) => c.file)).toEqual(
      expect.arrayContaining(['config/example.json', 'test/fixtures/config/vault.json', 'test/fixtures/config/vault-drill.json']),
    );
    expect(configs.filter((c) => c.config.vault).length).toBeGreaterThanOrEqual(2);
  });

  it.each(configs.map((c) => c.file))(
    '%s: no fixed-name resource is Retain; every log group has a retention; no function reserves concurrency; every key keeps its account root',
    (file) => {
      const templates = templatesOf(synths.get(file)!);
      expect(templates.flatMap(retainedFixedNames)).toEqual([]);
      expect(templates.flatMap(logGroupsWithoutRetention)).toEqual([]);
      expect(templates.flatMap(reservedConcurrency)).toEqual([]);
      expect(templates.flatMap(keysWithoutAccountRoot)).toEqual([]);
    },
  );

  it.each(configs.map((c) => c.file))('%s: replication into a locked destination may read retention and legal hold', (file) => {
    const templates = templatesOf(synths.get(file)!);
    const locked = new Set(templates.flatMap(lockedBucketNames));
    expect(templates.flatMap((t) => lockedReplicationProblems(t, locked))).toEqual([]);
  });

  it.each(configs.filter((c) => c.config.vault).map((c) => c.file))(
    '%s: the default synth (the RedisDr construct, as bin/app.ts) holds no vault stack',
    (file) => {
      const config = configs.find((c) => c.file === file)!.config;
      const outdir = mkdtempSync(join(tmpdir(), 'redis-dr-review-'));
      try {
        const app = localApp(outdir, { cloudFormationValidation: false });
        new RedisDr(app, 'RedisDr', config);
        const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c)).map((s) => s.stackName);
        expect(stacks.length).toBe(2);
        expect(vaultInDefaultSynth(stacks, vaultStackName(config))).toEqual([]);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    },
  );
});

describe('template review: config changes that must replace no bucket', () => {
  const byFile = (f: string) => configs.find((c) => c.file === f)!.config;
  const basic = byFile('test/fixtures/config/basic.json');
  const vaulted = byFile('test/fixtures/config/vault.json');
  const vaultDrill = byFile('test/fixtures/config/vault-drill.json');
  const { vault: _vault, ...unvaulted } = vaulted;
  const changes: [string, RedisDrConfig, RedisDrConfig][] = [
    ['renaming a plan', basic, { ...basic, plans: basic.plans.map((p, i) => (i === 0 ? { ...p, name: `${p.name}-renamed` } : p)) }],
    [
      'adding a cache',
      basic,
      {
        ...basic,
        plans: basic.plans.map((p, i) =>
          i === 0 ? { ...p, targets: { ...p.targets, replicationGroupIds: [...p.targets.replicationGroupIds, 'another-cache'] } } : p,
        ),
      },
    ],
    ['enabling the vault', unvaulted as RedisDrConfig, vaulted],
    [
      'toggling drill.fromVault',
      vaultDrill,
      { ...vaultDrill, plans: vaultDrill.plans.map((p) => ({ ...p, drill: { ...p.drill, fromVault: !p.drill.fromVault } })) },
    ],
  ];
  const pairs = new Map<string, [Synthesized, Synthesized]>();
  beforeAll(() => {
    for (const [what, before, after] of changes) pairs.set(what, [synthesize(before), synthesize(after)]);
  }, 1_200_000);
  afterAll(() => {
    for (const [a, b] of pairs.values()) {
      a.cleanup();
      b.cleanup();
    }
  });

  it.each(changes.map(([what]) => what))('%s replaces no bucket of the Primary or DR stack', (what) => {
    const [before, after] = pairs.get(what)!;
    // The change is real: some template differs.
    expect(JSON.stringify([before.primary.toJSON(), before.dr.toJSON()])).not.toBe(JSON.stringify([after.primary.toJSON(), after.dr.toJSON()]));
    expect(bucketReplacements(json(before.primary), json(after.primary))).toEqual([]);
    expect(bucketReplacements(json(before.dr), json(after.dr))).toEqual([]);
  });
});

describe('template review: each check fails on a planted fragment (negative cases)', () => {
  const fixedBucket = { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'redis-dr-x-1-eu-west-1' } };

  it('a fixed-name resource kept with Retain', () => {
    const planted: TemplateJson = {
      Resources: {
        Group: { Type: 'AWS::Scheduler::ScheduleGroup', Properties: { Name: 'redis-dr-x-vault' }, DeletionPolicy: 'Retain' },
        Unnamed: { Type: 'AWS::S3::Bucket', Properties: {}, DeletionPolicy: 'Retain' },
        Bucket: { ...fixedBucket, DeletionPolicy: 'RetainExceptOnCreate' },
      },
    };
    expect(retainedFixedNames(planted)).toEqual([
      'Group (AWS::Scheduler::ScheduleGroup Name=redis-dr-x-vault) is Retain with a fixed name: a failed first deploy cannot be retried',
    ]);
  });

  it('a log group without retention, a function reserving concurrency, a key without its account root', () => {
    expect(logGroupsWithoutRetention({ Resources: { Logs: { Type: 'AWS::Logs::LogGroup', Properties: {} } } })).toEqual([
      'Logs keeps its logs forever (no RetentionInDays)',
    ]);
    expect(reservedConcurrency({ Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { ReservedConcurrentExecutions: 0 } } } })).toEqual([
      'Fn reserves 0 concurrent executions',
    ]);
    const key = (principal: unknown) => ({
      Resources: {
        Key: {
          Type: 'AWS::KMS::Key',
          Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Action: 'kms:*', Principal: { AWS: principal }, Resource: '*' }] } },
        },
      },
    });
    expect(keysWithoutAccountRoot(key('arn:aws:iam::111111111111:role/admin'))).toEqual(["Key's key policy has no kms:* statement for the account root"]);
    expect(keysWithoutAccountRoot(key({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] }))).toEqual([]);
  });

  it('replication into a locked bucket by a role that cannot read retention or legal hold', () => {
    const source = (actions: string[]): TemplateJson => ({
      Resources: {
        Exports: {
          Type: 'AWS::S3::Bucket',
          Properties: {
            ReplicationConfiguration: {
              Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
              Rules: [{ Id: 'to-vault', Destination: { Bucket: 'arn:aws:s3:::redis-dr-x-222222222222-eu-central-1' } }],
            },
          },
        },
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            Roles: [{ Ref: 'Role' }],
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: actions, Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Exports', 'Arn'] }, '/*']] } }] },
          },
        },
      },
    });
    const vault: TemplateJson = {
      Resources: { Vault: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'redis-dr-x-222222222222-eu-central-1', ObjectLockEnabled: true } } },
    };
    const locked = new Set(lockedBucketNames(vault));
    expect(lockedReplicationProblems(source(['s3:GetObjectVersionForReplication', 's3:GetObjectRetention']), locked)).toEqual([
      'Exports: rule to-vault replicates into locked redis-dr-x-222222222222-eu-central-1, but its role may not s3:GetObjectLegalHold on the source objects',
    ]);
    expect(lockedReplicationProblems(source(['s3:GetObjectRetention', 's3:GetObjectLegalHold']), locked)).toEqual([]);
    // An unlocked destination asks for nothing.
    expect(lockedReplicationProblems(source([]), new Set())).toEqual([]);
  });

  it('a bucket renamed or re-identified by a config change', () => {
    const before: TemplateJson = { Resources: { ExportsBucket1: fixedBucket } };
    expect(bucketReplacements(before, { Resources: { ExportsBucket2: fixedBucket } })).toEqual([
      'bucket ExportsBucket1 is gone (replaced or removed)',
      'bucket ExportsBucket2 is new',
    ]);
    expect(bucketReplacements(before, { Resources: { ExportsBucket1: { ...fixedBucket, Properties: { BucketName: 'redis-dr-y-1-eu-west-1' } } } })).toEqual([
      'bucket ExportsBucket1 changes its name "redis-dr-x-1-eu-west-1" -> "redis-dr-y-1-eu-west-1" (a replacement)',
    ]);
  });

  it('a default synth that carries the vault stack', () => {
    expect(vaultInDefaultSynth(['RedisDr-x-Primary', 'RedisDr-x-Dr', 'RedisDr-x-Vault'], 'RedisDr-x-Vault')).toEqual([
      'the default synth holds RedisDr-x-Vault: the workload deploy would carry the vault stack',
    ]);
  });
});
