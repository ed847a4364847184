import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { controlTowerFindings, wholeTemplateFindings } from './governance.js';

const dir = mkdtempSync(join(tmpdir(), 'redis-dr-governance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A template small enough for the whole-template run: log groups with and without a key and a year's retention, and
 * Lambda permissions, one open to anyone and one bound to an EventBridge rule by reference. The rule is of a type
 * CT.LAMBDA.PR.2 does not name: the permission is compliant only if its run still finds the rule by its logical id.
 */
const TEMPLATE = {
  Resources: {
    Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true, KeyPolicy: { Version: '2012-10-17', Statement: [] } } },
    Keyed: { Type: 'AWS::Logs::LogGroup', Properties: { KmsKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] }, RetentionInDays: 400 } },
    Plain: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } },
    Rule: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 hour)' } },
    Bound: {
      Type: 'AWS::Lambda::Permission',
      Properties: { Action: 'lambda:InvokeFunction', FunctionName: 'f', Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': ['Rule', 'Arn'] } },
    },
    Open: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: 'f', Principal: '*' } },
  },
};

const sorted = (findings: readonly { control: string; template: string; logicalId: string }[]) =>
  findings.map((f) => `${f.control} ${f.template} ${f.logicalId}`).sort();

describe('controlTowerFindings (a cfn-guard run per rule, on the resources of the types it names)', () => {
  it('finds what one run of the same rules over the whole template finds: the open permission and the plain log group, not the bound permission', () => {
    const file = join(dir, 'Governance-Test.template.json');
    writeFileSync(file, JSON.stringify(TEMPLATE));
    const cut = sorted(controlTowerFindings([file]));
    expect(cut).toEqual(sorted(wholeTemplateFindings([file])));
    expect(cut).toContain('CT.LAMBDA.PR.2 Governance-Test.template.json Open');
    expect(cut).toContain('CT.CLOUDWATCH.PR.3 Governance-Test.template.json Plain');
    expect(cut).toContain('CT.CLOUDWATCH.PR.2 Governance-Test.template.json Plain');
    // The bound permission finds its rule, the keyed log group its key: neither fails.
    expect(cut).not.toContain('CT.LAMBDA.PR.2 Governance-Test.template.json Bound');
    expect(cut).not.toContain('CT.CLOUDWATCH.PR.3 Governance-Test.template.json Keyed');
    expect(cut).not.toContain('CT.CLOUDWATCH.PR.2 Governance-Test.template.json Keyed');
  });
});
