import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../lib/config/index.js';
import { vaultStackName } from '../../lib/deployment.js';
import { localApp } from '../../lib/local-app.js';
import { RedisDr } from '../../lib/redis-dr.js';
import { synthesize, type Synthesized } from '../support/synth.js';
import { checkGolden, compactJson, maskTemplate, templateDifferences, UPDATE_HINT } from '../support/template-golden.js';
import {
  bucketReplacements,
  keysWithoutAccountRoot,
  lockedBucketNames,
  lockedReplicationProblems,
  logGroupsWithoutRetention,
  reservedConcurrency,
  retainedFixedNames,
  type TemplateJson,
  uncappedVerifiers,
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

/** Organization configs (config/org-*.json) have a schema of their own (lib/config/org.ts) and no stacks of one deployment. */
const ORG_CONFIG = /^org-.*\.json$/;

/** Every valid config of the repository: config/*.json and test/fixtures/config/*.json. */
function everyConfig(): { file: string; config: RedisDrConfig }[] {
  const dirs = [join(ROOT, 'config'), join(ROOT, 'test', 'fixtures', 'config')];
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'schema.json' && !INVALID_FIXTURES.has(f) && !ORG_CONFIG.test(f))
      .map((f) => ({ file: join(dir, f).slice(ROOT.length + 1), config: loadConfig(join(dir, f)) })),
  );
}

const json = (t: { toJSON(): unknown }) => t.toJSON() as TemplateJson;
const templatesOf = (s: Synthesized) => [s.primary, s.dr, ...(s.vault ? [s.vault] : [])].map(json);
/** A synth's templates by stack role (primary, dr, and vault with config `vault`). */
const stacksOf = (s: Synthesized) => Object.entries({ primary: s.primary, dr: s.dr, ...(s.vault ? { vault: s.vault } : {}) });

/**
 * The golden templates (test/fixtures/templates/<config>.<stack>.json; docs/developing.md):
 * compared here, where every config is synthesized anyway, so the guard costs no synth.
 * `npm run templates:update` sets REDIS_DR_UPDATE_TEMPLATES=1: the same tests write them instead.
 */
const GOLDEN_DIR = join(ROOT, 'test', 'fixtures', 'templates');
const UPDATE_GOLDENS = process.env.REDIS_DR_UPDATE_TEMPLATES === '1';
const goldenName = (file: string, stack: string) => `${basename(file, '.json')}.${stack}.json`;

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
    '%s: no fixed-name resource is Retain; every log group has a retention; no function reserves concurrency but verify-rdb, which is capped; every key keeps its account root',
    (file) => {
      const templates = templatesOf(synths.get(file)!);
      expect(templates.flatMap(retainedFixedNames)).toEqual([]);
      expect(templates.flatMap(logGroupsWithoutRetention)).toEqual([]);
      expect(templates.flatMap(reservedConcurrency)).toEqual([]);
      expect(templates.flatMap(uncappedVerifiers)).toEqual([]);
      expect(templates.flatMap(keysWithoutAccountRoot)).toEqual([]);
    },
  );

  it.each(configs.map((c) => c.file))('%s: every synthesized template equals its golden, asset hashes masked', (file) => {
    const problems = stacksOf(synths.get(file)!).map(([stack, template]) =>
      checkGolden(join(GOLDEN_DIR, goldenName(file, stack)), template.toJSON(), { update: UPDATE_GOLDENS, label: `${file} (${stack})` }),
    );
    const failed = problems.filter((p) => p !== undefined);
    if (failed.length > 0) expect.fail(failed.join('\n\n'));
  });

  it('every golden template belongs to a config and stack synthesized here, one file each', () => {
    const expected = configs.flatMap(({ file }) => stacksOf(synths.get(file)!).map(([stack]) => goldenName(file, stack)));
    // Two configs of one name in config/ and test/fixtures/config/ would share a golden.
    expect(new Set(expected).size).toBe(expected.length);
    const present = existsSync(GOLDEN_DIR) ? readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json')) : [];
    const stale = present.filter((f) => !expected.includes(f));
    if (UPDATE_GOLDENS) for (const f of stale) rmSync(join(GOLDEN_DIR, f));
    else expect(stale, `golden templates of no synthesized config: ${UPDATE_HINT}`).toEqual([]);
  });

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

const byFile = (f: string) => configs.find((c) => c.file === f)!.config;

describe('template review: config changes that must replace no bucket', () => {
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

  it('a golden template: a changed memory size or IAM action fails with the logical id and property path; asset hashes do not', () => {
    // The real basic.json primary template (synthesized above) against its real golden.
    const golden = join(GOLDEN_DIR, goldenName('test/fixtures/config/basic.json', 'primary'));
    const template = synthesize(byFile('test/fixtures/config/basic.json')).primary.toJSON() as any;
    const check = (t: unknown) => checkGolden(golden, t, { update: false, label: 'basic.json (primary)' });
    expect(check(template)).toBeUndefined();

    const resources = Object.entries(template.Resources as Record<string, any>);
    const [fnId, fn] = resources.find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.MemorySize !== undefined)!;
    const [policyId] = resources.find(([, r]) => r.Type === 'AWS::IAM::Policy')!;
    const changed = structuredClone(template);
    changed.Resources[fnId].Properties.MemorySize = fn.Properties.MemorySize * 2;
    const statement = changed.Resources[policyId].Properties.PolicyDocument.Statement[0];
    const action = [statement.Action].flat()[0] as string;
    statement.Action = Array.isArray(statement.Action) ? [`${action}X`, ...statement.Action.slice(1)] : `${action}X`;
    const message = check(changed)!;
    expect(message).toContain('basic.json (primary) differs from');
    expect(message).toContain(
      `Resources.${fnId} [AWS::Lambda::Function] Properties.MemorySize: ${fn.Properties.MemorySize} -> ${fn.Properties.MemorySize * 2}`,
    );
    expect(message).toContain(
      `Resources.${policyId} [AWS::IAM::Policy] Properties.PolicyDocument.Statement[0].Action${Array.isArray(statement.Action) ? '[0]' : ''}: "${action}" -> "${action}X"`,
    );
    expect(message).toContain(UPDATE_HINT);

    // Another build of the same code: new asset hashes, the same golden.
    const rebuilt = structuredClone(template);
    const code = Object.values(rebuilt.Resources as Record<string, any>).find((r) => r.Properties?.Code?.S3Key)!.Properties.Code;
    code.S3Key = `${'0'.repeat(64)}.zip`;
    expect(check(rebuilt)).toBeUndefined();
    // …but not another bucket.
    const bucket = JSON.stringify(code.S3Bucket);
    code.S3Bucket = 'another-bucket';
    expect(check(rebuilt)).toContain(`Properties.Code.S3Bucket: ${bucket} -> "another-bucket"`);
  });

  it('a golden template: a statement added to a policy is one difference, at its index', () => {
    const template = maskTemplate(synthesize(byFile('test/fixtures/config/basic.json')).primary.toJSON()) as any;
    const [policyId] = Object.entries(template.Resources as Record<string, any>).find(
      ([, r]) => r.Type === 'AWS::IAM::Policy' && r.Properties.PolicyDocument.Statement.length > 1,
    )!;
    const changed = structuredClone(template);
    changed.Resources[policyId].Properties.PolicyDocument.Statement.splice(1, 0, { Action: 's3:DeleteObject', Effect: 'Allow', Resource: '*' });
    expect(templateDifferences(template, changed)).toEqual([
      `Resources.${policyId} [AWS::IAM::Policy] Properties.PolicyDocument.Statement[1]: (none) -> {"Action":"s3:DeleteObject","Effect":"Allow","Resource":"*"}`,
    ]);
    // And taken away again: the same line the other way.
    expect(templateDifferences(changed, template)).toEqual([
      `Resources.${policyId} [AWS::IAM::Policy] Properties.PolicyDocument.Statement[1]: {"Action":"s3:DeleteObject","Effect":"Allow","Resource":"*"} -> (none)`,
    ]);
  });

  it('a golden template: only asset keys, synth paths, date-times and the bootstrap check are masked', () => {
    const masked = maskTemplate({
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: `${'a'.repeat(64)}.zip` }, Handler: 'index.handler' } },
        Acl: {
          Type: 'Custom::AWS',
          Properties: { Grantee: 'b'.repeat(64), Path: '/tmp/redis-dr-synths-Ab12/redis-dr-synth-Cd34/asset.x', At: 'at(2026-11-24T05:00:00)' },
        },
        Meta: { Type: 'AWS::CDK::Metadata', Properties: { Staged: `cdk.out/asset.${'c'.repeat(64)}`, Day: '2026-11-24' } },
      },
      Rules: { CheckBootstrapVersion: { Assertions: [{ AssertDescription: 'CDK bootstrap stack version 6 required.' }] }, Mine: { Assertions: [] } },
    });
    expect(masked).toEqual({
      Resources: {
        Acl: { Type: 'Custom::AWS', Properties: { At: 'at(<timestamp>)', Grantee: 'b'.repeat(64), Path: '<cdk.out>' } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: '<asset>.zip' }, Handler: 'index.handler' } },
        Meta: { Type: 'AWS::CDK::Metadata', Properties: { Day: '2026-11-24', Staged: 'cdk.out/asset.<asset>' } },
      },
      Rules: { CheckBootstrapVersion: '<CDK bootstrap version check>', Mine: { Assertions: [] } },
    });
    // Keys sorted at every level: the golden's text does not follow the CDK's order of writing.
    expect(compactJson(maskTemplate({ b: 1, a: { d: 2, c: 3 } }))).toBe('{"a":{"c":3,"d":2},"b":1}\n');
  });

  it('a default synth that carries the vault stack', () => {
    expect(vaultInDefaultSynth(['RedisDr-x-Primary', 'RedisDr-x-Dr', 'RedisDr-x-Vault'], 'RedisDr-x-Vault')).toEqual([
      'the default synth holds RedisDr-x-Vault: the workload deploy would carry the vault stack',
    ]);
  });
});
