import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { stackSelectionOf } from '../../../lib/config/context.js';
import { loadOrgConfig } from '../../../lib/config/org.js';
import { runCdkEntry } from '../../../lib/cdk-entry.js';
import { orgWaves } from '../../../lib/org-pipeline.js';
import { cfnLint } from '../../support/cfn-lint.js';

/**
 * `npx cdk synth -c config=config/org-example.json -c stacks=org-pipeline`
 * (lib/cdk-entry.ts): the CDK Pipelines path instead of the StackSets, the
 * pipeline stack cdk-nag clean (AwsSolutions: the synth fails on a finding;
 * CDK Pipelines' own wildcards acknowledged with the reason) and cfn-lint
 * clean, and an unknown `stacks` value refused in one line. The example's
 * own org config, with its pipeline, cut to the sandbox OU's one account
 * (each stage is a whole redis-dr synth).
 */
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-org-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function exampleCutToOneAccount(): string {
  const raw = JSON.parse(readFileSync('config/org-example.json', 'utf8')) as {
    accounts: unknown[];
    organizationalUnits: { id: string; accounts: string[] }[];
  };
  const file = join(dir, 'org.json');
  raw.accounts = [];
  for (const ou of raw.organizationalUnits) if (ou.id !== 'ou-ex12-sand0001') ou.accounts = [];
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

function entry(context: Record<string, unknown>, outdir: string): { status: number; stderr: string; app: App } {
  let stderr = '';
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const status = runCdkEntry(app, { write: (text: string) => (stderr += text) });
  return { status, stderr, app };
}

describe('-c stacks=org-pipeline', () => {
  it('selects the pipeline path (org the StackSets, org-pipeline the pipeline); refuses another value in one line naming it and the choices', () => {
    expect(stackSelectionOf({ stacks: 'org' })).toBe('org');
    expect(stackSelectionOf({ stacks: 'org-pipeline' })).toBe('org-pipeline');
    const unknown = entry({ config: 'config/org-example.json', stacks: 'org-pipelines' }, join(dir, 'refused'));
    expect(unknown.status).toBe(1);
    const lines = unknown.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^context stacks must be "vault", "drill", "org", "org-pipeline", "org-vault" or unset, got "org-pipelines"\. /);
  });

  it("the example's pipeline: its waves name every OU with accounts", () => {
    expect(orgWaves(loadOrgConfig('config/org-example.json'))).toEqual({
      ok: true,
      waves: [
        { name: 'canary', accounts: ['444444444444'] },
        { name: 'prod', accounts: ['111111111111', '222222222222', '333333333333'] },
      ],
    });
  });

  it('synthesizes the pipeline stack, cdk-nag clean and cfn-lint clean, with a stage per listed account', async () => {
    const out = join(dir, 'cdk.out');
    const r = entry({ config: exampleCutToOneAccount(), stacks: 'org-pipeline' }, out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('the CDK Pipelines path, 2 wave(s), a stage per listed account');
    expect(r.stderr).toContain('  wave canary: 444444444444');
    expect(r.stderr).toContain('  wave prod: (no account listed: no stage)');
    expect(r.stderr).toContain('stack RedisDr-acme-Pipeline in 555555555555 (eu-west-1); cdk-nag: clean');
    // The example's drills are carried (drill.network, drill.drNetwork), each tier's where it drills, and its vault: the group
    // replicates into the organization's vault, deployed first.
    expect(r.stderr).toMatch(
      /^restore drills in eu-west-1 \(primary\), their network read by CloudFormation in each member account from SSM parameters \/acme\/network\/vpc-id, .* \(drill\.network\)/m,
    );
    expect(r.stderr).toMatch(
      /^restore drills in eu-central-1 \(DR, restoring the DR copies\), their network read by CloudFormation in each member account from SSM parameters \/acme\/network\/dr\/private-subnet-ids, \/acme\/network\/dr\/redis-dr-security-group-ids, \/acme\/network\/dr\/cache-subnet-group \(drill\.drNetwork\)/m,
    );
    expect(r.stderr).toMatch(
      /^ {2}drills, group g378d62: gold weekly \(Sundays 04:00\) \(drill\.everyDays 7\) in eu-west-1 \(primary\) and eu-central-1 \(DR\), silver weekly \(Sundays 04:00\) \(drill\.everyDays 30\) in eu-west-1 \(primary\)$/m,
    );
    expect(r.stderr).toMatch(
      /^vault: the member stacks of g378d62 replicate their exports and reports, each account under its own <account>\/<region>\/, into redis-dr-acme-999999999999-eu-central-1 \(RedisDr-acme-Vault, account 999999999999, eu-central-1, granted to o-exampleorg1\): deploy it first, with the vault account's credentials: npx cdk deploy --all -c config=.* -c stacks=org-vault$/m,
    );
    expect(r.stderr).not.toMatch(/NOT CARRIED YET/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string }> };
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    // The pipeline and CodePipeline's support stack for the DR region's deploy actions; no StackSet.
    expect(stacks.map(([id]) => id).sort()).toEqual(['RedisDr-acme-Pipeline', 'cross-region-stack-555555555555_eu-central-1']);
    const template = readFileSync(join(out, 'RedisDr-acme-Pipeline.template.json'), 'utf8');
    expect(template).not.toContain('AWS::CloudFormation::StackSet');
    expect(template).toContain('"StackName": "RedisDr-acme-g378d62-Dr"');
    const lint = await cfnLint([join(out, 'RedisDr-acme-Pipeline.template.json'), join(out, 'cross-region-stack-555555555555_eu-central-1.template.json')]);
    expect(lint).toEqual({ status: 0, output: '' });
  }, 600_000);
});
