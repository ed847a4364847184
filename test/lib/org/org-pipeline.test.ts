import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadOrgConfig, validateOrgConfig } from '../../../lib/config/org.js';
import { addOrgPipeline, orgWaves } from '../../../lib/org-pipeline.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

/**
 * The CDK Pipelines path: a pipeline whose source is a CodeConnections
 * connection (synthesized without reaching it), a wave per group of OUs and
 * a Stage per listed account holding its DR and Primary stacks, and the
 * wave settings it refuses.
 */
const PIPELINE = {
  account: '999999999999',
  connectionArn: 'arn:aws:codeconnections:eu-west-1:999999999999:connection/0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b',
  repository: 'acme/redis-dr-org',
};

function org(pipeline: Record<string, unknown> | undefined) {
  // The example has a pipeline of its own: replaced, or taken out.
  const { pipeline: _example, ...raw } = JSON.parse(JSON.stringify(loadOrgConfig('config/org-example.json'))) as Record<string, unknown>;
  const parsed = validateOrgConfig({ ...raw, ...(pipeline ? { pipeline } : {}) });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
}

describe('the org pipeline', () => {
  it('synthesizes a wave per group of OUs, a Stage per listed account with its DR and Primary stacks in its account', () => {
    // Two accounts (a stage each is a whole redis-dr synth): the payments OU emptied, its account entry removed.
    const config = org({
      ...PIPELINE,
      waves: [
        { name: 'canary', organizationalUnits: ['ou-ex12-sand0001'] },
        { name: 'prod', organizationalUnits: ['ou-ex12-prod0001', 'ou-ex12-paym0001'] },
      ],
    });
    const small = {
      ...config,
      accounts: [],
      organizationalUnits: config.organizationalUnits.map((ou) => (ou.id === 'ou-ex12-paym0001' ? { ...ou, accounts: [] } : ou)),
    };
    const app = new App({ outdir: tempDir('redis-dr-pipeline-'), context: { 'aws:cdk:bundling-stacks': [] } });
    const built = addOrgPipeline(app, small, 'config/org.json');
    const assembly = app.synth();
    expect(built.waves).toEqual([
      { name: 'canary', accounts: ['444444444444'] },
      { name: 'prod', accounts: ['111111111111'] },
    ]);
    const template = Template.fromStack(built.stack).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
    const [pipeline] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CodePipeline::Pipeline');
    const stages = pipeline!.Properties.Stages as {
      Name: string;
      Actions: { Name: string; ActionTypeId: { Provider: string }; Configuration?: Record<string, unknown> }[];
    }[];
    // A wave of one stage is named after its stage (CDK Pipelines).
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'canary-444444444444', 'prod-111111111111']);
    expect(stages[0]!.Actions[0]!.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
    expect(stages[0]!.Actions[0]!.Configuration).toMatchObject({
      ConnectionArn: PIPELINE.connectionArn,
      FullRepositoryId: 'acme/redis-dr-org',
      BranchName: 'main',
    });
    expect(stages[5]!.Actions.map((a) => a.ActionTypeId.Provider)).toContain('CloudFormation');
    expect(assembly.nestedAssemblies.map((a) => a.directoryName).sort()).toEqual(['assembly-canary-444444444444', 'assembly-prod-111111111111']);
    // cdk-nag ran (the synth throws on a finding): only CDK Pipelines' own wildcards are acknowledged, each of a known kind.
    expect(built.acknowledged.length).toBeGreaterThan(0);
    for (const id of built.acknowledged)
      expect(id).toMatch(
        /^AwsSolutions-IAM5\[(Action::(s3:(Abort|DeleteObject|GetBucket|GetObject|List)\*|kms:(GenerateDataKey|ReEncrypt)\*)|Resource::(\*|<PipelineArtifactsBucket\w+\.Arn>\/\*|arn:\*:iam::999999999999:role\/\*|arn:(<AWS::Partition>|aws):(codebuild|logs):eu-west-1:999999999999:.*|arn:(<AWS::Partition>|aws):s3:::redisdr-acme-pipeline-[\w-]*bucket\w+\/\*))\]$/,
      );
    const canary = assembly.nestedAssemblies.find((a) => a.directoryName.endsWith('canary-444444444444'))!.nestedAssembly;
    expect(canary.stacks.map((s) => [s.environment.account, s.environment.region]).sort()).toEqual([
      ['444444444444', 'eu-central-1'],
      ['444444444444', 'eu-west-1'],
    ]);
    // The stage's stacks replicate into the organization's vault (gold has vault.enabled), under the account's own prefix.
    const rules = canary.stacks.flatMap((s) =>
      Object.values(s.template.Resources as Record<string, { Type: string; Properties: Record<string, any> }>)
        .filter((r) => r.Type === 'AWS::S3::Bucket')
        .flatMap((r) => (r.Properties.ReplicationConfiguration?.Rules ?? []) as { Id: string; Filter: unknown; Destination: { Bucket: unknown } }[])
        .filter((r) => r.Id.endsWith('to-vault')),
    );
    expect(rules.map((r) => [r.Id, r.Filter, r.Destination.Bucket]).sort()).toEqual([
      ['reports-to-vault', { Prefix: '444444444444/eu-central-1/' }, 'arn:aws:s3:::redis-dr-acme-999999999999-eu-central-1'],
      ['to-vault', { Prefix: '444444444444/eu-west-1/' }, 'arn:aws:s3:::redis-dr-acme-999999999999-eu-central-1'],
    ]);
  }, 600_000);

  it('defaults to a wave per OU in the config order', () => {
    const waves = orgWaves(org(PIPELINE));
    expect(waves).toEqual({
      ok: true,
      waves: [
        { name: 'prod', accounts: ['111111111111'] },
        { name: 'payments', accounts: ['222222222222', '333333333333'] },
        { name: 'sandbox', accounts: ['444444444444'] },
      ],
    });
  });

  it('refuses waves that leave an OU out, name no OU, or list an OU twice; and a config without pipeline', () => {
    const waves = orgWaves(
      org({
        ...PIPELINE,
        waves: [
          { name: 'a', organizationalUnits: ['ou-ex12-prod0001', 'ou-ex12-nope0001'] },
          { name: 'b', organizationalUnits: ['ou-ex12-prod0001', 'ou-ex12-paym0001'] },
        ],
      }),
    );
    expect(waves.ok).toBe(false);
    if (!waves.ok)
      expect(waves.problems).toEqual([
        'pipeline.waves[0].organizationalUnits names no OU of the config, got "ou-ex12-nope0001": use an id of organizationalUnits[]',
        'pipeline.waves[1] repeats OU ou-ex12-prod0001, already in wave a: list each OU in one wave',
        'pipeline.waves names no wave for OU sandbox (ou-ex12-sand0001): add it to a wave, or its accounts are never deployed',
      ]);
    expect(() => addOrgPipeline(new App(), org(undefined), 'x.json')).toThrow(/pipeline is required for -c stacks=org-pipeline/);
    expect(
      validateOrgConfig({ ...JSON.parse(JSON.stringify(loadOrgConfig('config/org-example.json'))), pipeline: { ...PIPELINE, connectionArn: 'nope' } }).ok,
    ).toBe(false);
  });
});
