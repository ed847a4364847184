import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GUARD_KEPT, keptGuardRun, maskedAssetHashes } from './cfn-guard-kept.js';
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
    // Both run by cfn-guard here, whatever is kept.
    const cut = sorted(controlTowerFindings([file], { kept: false }));
    expect(cut).toEqual(sorted(wholeTemplateFindings([file], { kept: false })));
    expect(cut).toContain('CT.LAMBDA.PR.2 Governance-Test.template.json Open');
    expect(cut).toContain('CT.CLOUDWATCH.PR.3 Governance-Test.template.json Plain');
    expect(cut).toContain('CT.CLOUDWATCH.PR.2 Governance-Test.template.json Plain');
    // The bound permission finds its rule, the keyed log group its key: neither fails.
    expect(cut).not.toContain('CT.LAMBDA.PR.2 Governance-Test.template.json Bound');
    expect(cut).not.toContain('CT.CLOUDWATCH.PR.3 Governance-Test.template.json Keyed');
    expect(cut).not.toContain('CT.CLOUDWATCH.PR.2 Governance-Test.template.json Keyed');
  });
});

describe('findings kept between runs (test/support/cfn-guard-kept.ts)', () => {
  it('are the findings cfn-guard gives, kept in a file; a template changed by a byte is run again and kept apart', () => {
    const file = join(dir, 'Kept-Test.template.json');
    const template = (retention: number) => ({ Resources: { Plain: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: retention } } } });
    writeFileSync(file, JSON.stringify(template(7)));
    const fresh = sorted(controlTowerFindings([file], { kept: false }));
    expect(fresh).toContain('CT.CLOUDWATCH.PR.2 Kept-Test.template.json Plain');
    expect(sorted(wholeTemplateFindings([file]))).toEqual(fresh);
    expect(sorted(wholeTemplateFindings([file]))).toEqual(fresh);
    // A year's retention passes CT.CLOUDWATCH.PR.2: a kept result of the 7-day template would still say it fails.
    writeFileSync(file, JSON.stringify(template(400)));
    const longer = sorted(wholeTemplateFindings([file]));
    expect(longer).toEqual(sorted(wholeTemplateFindings([file], { kept: false })));
    expect(longer).not.toContain('CT.CLOUDWATCH.PR.2 Kept-Test.template.json Plain');
  });

  it('are run once for a key, then read from its file', () => {
    const key = `governance-test-${process.pid}`;
    const file = join(GUARD_KEPT, `${key}.json`);
    try {
      let runs = 0;
      const run = () => [{ control: 'CT.TEST.PR.1', template: 't.json', logicalId: `L${++runs}` }];
      expect(keptGuardRun(key, run)).toEqual([{ control: 'CT.TEST.PR.1', template: 't.json', logicalId: 'L1' }]);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([{ control: 'CT.TEST.PR.1', template: 't.json', logicalId: 'L1' }]);
      expect(keptGuardRun(key, run)).toEqual([{ control: 'CT.TEST.PR.1', template: 't.json', logicalId: 'L1' }]);
      expect(runs).toBe(1);
      // A torn file is run again, and kept whole.
      writeFileSync(file, '[{"control":');
      expect(keptGuardRun(key, run)).toEqual([{ control: 'CT.TEST.PR.1', template: 't.json', logicalId: 'L2' }]);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([{ control: 'CT.TEST.PR.1', template: 't.json', logicalId: 'L2' }]);
    } finally {
      rmSync(file, { force: true });
    }
    expect(existsSync(file)).toBe(false);
  });

  it('mask asset hashes by order of first appearance, keeping which are equal', () => {
    const [a, b] = ['a'.repeat(64), `${'0123456789abcdef'.repeat(4)}`];
    expect(maskedAssetHashes(`{"S3Key":"${a}.zip","Other":"${b}.zip","Again":"asset.${a}","Short":"${'f'.repeat(63)}"}`)).toBe(
      `{"S3Key":"<asset-0>.zip","Other":"<asset-1>.zip","Again":"asset.<asset-0>","Short":"${'f'.repeat(63)}"}`,
    );
  });
});
