import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { VerifiedCopyRule } from '../../../../lib/constructs/org/verified-copy-rule.js';
import { ScopedNagPack } from '../../../../lib/nag/scoped-pack.js';
import { cfnLint } from '../../../support/cfn-lint.js';
import { tempDirs } from '../../../support/temp-dirs.js';

const tempDir = tempDirs();

/**
 * The AWS Config custom rule construct: periodic, Lambda-backed, a role
 * that reads only what it judges (the caches, `reports/` of the DR bucket)
 * and answers Config (and Security Hub's default product, only when on);
 * cdk-nag (the synth throws on a finding) and cfn-lint clean.
 */
function synth(securityHub: boolean) {
  const dir = tempDir('redis-dr-rule-');
  const app = new App({ outdir: dir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Rule', { env: { account: '111111111111', region: 'eu-west-1' } });
  new VerifiedCopyRule(stack, 'VerifiedCopy', {
    deployment: 'acme',
    drRegion: 'eu-central-1',
    securityHub,
    logRetention: RetentionDays.ONE_MONTH,
    metricsNamespace: 'RedisDr',
  });
  Validations.of(app).addPlugins(new ScopedNagPack(new AwsSolutionsChecks(), [stack]));
  const assembly = app.synth();
  return { template: Template.fromStack(stack), file: join(assembly.directory, assembly.getStackByName(stack.stackName).templateFile) };
}

type Statement = { Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statements = (t: Template): Statement[] =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );

describe('VerifiedCopyRule', () => {
  const off = synth(false);
  const on = synth(true);

  it('is a periodic custom rule (every 24 hours) invoked by Config, named after the deployment', () => {
    off.template.hasResourceProperties('AWS::Config::ConfigRule', {
      ConfigRuleName: 'redis-dr-acme-verified-copy',
      MaximumExecutionFrequency: 'TwentyFour_Hours',
      Source: {
        Owner: 'CUSTOM_LAMBDA',
        SourceDetails: [{ EventSource: 'aws.config', MessageType: 'ScheduledNotification', MaximumExecutionFrequency: 'TwentyFour_Hours' }],
      },
    });
    off.template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'config.amazonaws.com',
      Action: 'lambda:InvokeFunction',
      SourceAccount: '111111111111',
    });
    // No AWS managed policy (config.CustomRule would attach AWSConfigRulesExecutionRole).
    expect(JSON.stringify(off.template.toJSON())).not.toContain('AWSConfigRulesExecutionRole');
    off.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ REPORTS_BUCKET: 'redis-dr-acme-111111111111-eu-central-1', DR_REGION: 'eu-central-1', SECURITY_HUB: 'false' }),
      },
    });
  });

  it("reads only reports/ of the DR bucket, and may import findings only to this account's default product when Security Hub is on", () => {
    const byId = (t: Template) => Object.fromEntries(statements(t).map((s) => [s.Sid, s]));
    const s = byId(off.template);
    expect(s.ListReports).toMatchObject({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['reports/*'] } } });
    expect(JSON.stringify(s.ReadReports!.Resource)).toContain('redis-dr-acme-111111111111-eu-central-1/reports/*');
    expect(s.ReadReports!.Action).toBe('s3:GetObject');
    expect(s.ImportFindings).toBeUndefined();
    const h = byId(on.template);
    expect(h.ImportFindings).toMatchObject({ Action: 'securityhub:BatchImportFindings' });
    expect(JSON.stringify(h.ImportFindings!.Resource)).toContain(':securityhub:eu-west-1:111111111111:product/111111111111/default');
    // Nothing writes: no s3:Put*, no Delete*, no wildcard action.
    const actions = statements(on.template).flatMap((x) => [x.Action].flat());
    expect(actions.filter((a) => /Put(Object|Bucket)|Delete|\*/.test(a))).toEqual([]);
  });

  it('passes cfn-lint', async () => {
    expect(await cfnLint([off.file, on.file])).toEqual({ status: 0, output: '' });
  }, 120_000);
});
