import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../lib/config/index.js';
import { controlTowerFindings, nistFindings } from '../support/governance.js';
import { CONTROL_TOWER_EXCEPTIONS, DEFAULT_FAILING_CONTROLS, DEFAULT_FAILING_NIST_RULES } from '../support/governance-expectations.js';
import { exampleConfig, synthesize, type Synthesized } from '../support/synth.js';
import { cfnLint } from '../support/cfn-lint.js';
import { networkIds } from '../../lib/config/index.js';

/** Every governed-account setting on: test/fixtures/config/governed.json. */
function governedConfig(): RedisDrConfig {
  return loadConfig(join(__dirname, '..', 'fixtures', 'config', 'governed.json'));
}

function stacksOf(synth: Synthesized) {
  return [synth.stacks.primary, synth.stacks.dr, ...(synth.stacks.vault ? [synth.stacks.vault] : [])];
}

/**
 * Organizations that govern accounts with AWS Control Tower proactive controls
 * (CloudFormation hooks that refuse non-compliant resources at deploy time) or
 * audit against NIST 800-53 rev 5: @cdklabs/cdk-validator-cfnguard's Control
 * Tower rules (its cfn-guard binary) and cdk-nag's NIST pack over the
 * synthesized templates (docs/deploying.md#governed-accounts).
 */
describe('governed accounts', () => {
  it('with every setting on, fails no Control Tower control but the documented exceptions, and each exception still fails', () => {
    const findings = controlTowerFindings(synthesize(governedConfig()).templateFiles);
    const unexplained = findings.filter((f) => !CONTROL_TOWER_EXCEPTIONS.some((e) => e.control === f.control && e.resources.test(f.logicalId)));
    expect(unexplained).toEqual([]);
    for (const e of CONTROL_TOWER_EXCEPTIONS) {
      expect(
        findings.some((f) => f.control === e.control && e.resources.test(f.logicalId)),
        `${e.control} ${e.resources}: no longer fails; remove the exception`,
      ).toBe(true);
    }
  });

  it("with every setting on, synthesizes clean under cdk-nag AwsSolutions (synth throws otherwise) and cfn-lint (W3005, CDK's DependsOn noise, ignored)", async () => {
    expect(await cfnLint(synthesize(governedConfig()).templateFiles)).toEqual({ status: 0, output: '' });
  }, 300_000);

  it('with every setting on, has no unacknowledged NIST 800-53 rev 5 finding', () => {
    expect(nistFindings(stacksOf(synthesize(governedConfig())))).toEqual([]);
  });

  it('by default (the example config) fails exactly the Control Tower controls docs/deploying.md lists', () => {
    const failing = new Set(controlTowerFindings(synthesize(exampleConfig()).templateFiles).map((f) => f.control));
    expect([...failing].sort()).toEqual([...DEFAULT_FAILING_CONTROLS].sort());
  });

  it('by default fails only the NIST 800-53 rev 5 rules that lambda.inVpc and lambda.logKmsKeyArns settle', () => {
    const failing = new Set(nistFindings(stacksOf(synthesize(exampleConfig()))).map((f) => f.rule));
    expect([...failing].sort()).toEqual([...DEFAULT_FAILING_NIST_RULES].sort());
  });
});

describe('governed-account settings in the templates', () => {
  it('lambda.inVpc: every function of each stack runs in that region’s subnets and security groups, after its role may manage network interfaces', () => {
    const config = governedConfig();
    const synth = synthesize(config);
    for (const [template, network] of [
      [synth.primary, networkIds(config.network)!],
      [synth.dr, networkIds(config.dr.network)!],
      [synth.vault!, config.vault!.network!],
    ] as const) {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      const policies = template.findResources('AWS::IAM::Policy');
      // The vault stack has two (its verifier and freshness monitor).
      expect(functions.length).toBeGreaterThan(1);
      for (const fn of functions) {
        expect(fn.Properties.VpcConfig).toEqual({ SubnetIds: network.subnetIds, SecurityGroupIds: network.securityGroupIds });
        // The role's policy that allows ec2:CreateNetworkInterface is created before the function.
        const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const eni = Object.entries(policies).find(
          ([, p]) =>
            (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })) &&
            JSON.stringify(p.Properties.PolicyDocument).includes('ec2:CreateNetworkInterface'),
        );
        expect(eni, roleId).toBeDefined();
        expect(fn.DependsOn).toContain(eni![0]);
      }
    }
  });

  it('lambda.logKmsKeyArns: every log group of each stack is encrypted with that region’s key', () => {
    const config = governedConfig();
    const synth = synthesize(config);
    for (const [template, key] of [
      [synth.primary, config.lambda.logKmsKeyArns!.primary],
      [synth.dr, config.lambda.logKmsKeyArns!.dr],
      [synth.vault!, config.lambda.logKmsKeyArns!.vault],
    ] as const) {
      const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
      expect(groups.length).toBeGreaterThan(2);
      for (const g of groups) expect(g.Properties.KmsKeyId).toBe(key);
    }
  });

  it('the governed vault (issue 53 item 7): without vault.network and lambda.logKmsKeyArns.vault its stack fails CT.LAMBDA.PR.3 and CT.CLOUDWATCH.PR.3, with them neither', () => {
    const config = governedConfig();
    const { network: _network, ...vault } = config.vault!;
    const { vault: _key, ...keys } = config.lambda.logKmsKeyArns!;
    const ungoverned = synthesize({ ...config, name: 'ungoverned', vault, lambda: { ...config.lambda, logKmsKeyArns: keys } });
    const vaultControls = (files: readonly string[]) => new Set(controlTowerFindings(files.filter((f) => /Vault/.test(f))).map((f) => f.control));
    const before = vaultControls(ungoverned.templateFiles);
    expect(before.has('CT.LAMBDA.PR.3')).toBe(true);
    expect(before.has('CT.CLOUDWATCH.PR.3')).toBe(true);
    const after = vaultControls(synthesize(config).templateFiles);
    expect(after.has('CT.LAMBDA.PR.3')).toBe(false);
    expect(after.has('CT.CLOUDWATCH.PR.3')).toBe(false);
  });

  it('without the settings, functions stay out of the VPC and log groups carry no key (the default deploys as before)', () => {
    const synth = synthesize(exampleConfig());
    const functions = Object.values(synth.primary.findResources('AWS::Lambda::Function'));
    expect(functions.filter((fn) => fn.Properties.VpcConfig === undefined).length).toBeGreaterThan(0);
    for (const g of Object.values(synth.primary.findResources('AWS::Logs::LogGroup'))) expect(g.Properties.KmsKeyId).toBeUndefined();
  });
});
