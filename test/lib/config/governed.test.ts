import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';

const NOW = new Date('2026-01-15T00:00:00Z');
const NETWORK = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] };
const PRIMARY_KEY = 'arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-1111-2222-3333-444455556666';
const DR_KEY = 'arn:aws:kms:eu-central-1:111111111111:key/0a1b2c3d-7777-8888-9999-000011112222';

/** A valid config with every governed-account setting; each test breaks one thing. */
function governed(change: (c: Record<string, any>) => void = () => {}): Record<string, any> {
  const c: Record<string, any> = {
    name: 'test',
    primary: { region: 'eu-west-1', account: '111111111111' },
    dr: { region: 'eu-central-1', network: NETWORK },
    network: NETWORK,
    lambda: { logRetentionDays: 365, inVpc: true, logKmsKeyArns: { primary: PRIMARY_KEY, dr: DR_KEY } },
    plans: [{ name: 'sessions', targets: { replicationGroupIds: ['sessions-prod'] }, schedule: { cron: 'cron(0 0/2 * * ? *)' }, rpoMinutes: 150 }],
  };
  change(c);
  return c;
}

function problemsOf(raw: unknown): string[] {
  const result = validateConfig(raw, { now: NOW });
  return result.ok ? [] : result.problems;
}

describe('config lambda: governed-account settings', () => {
  it('accepts every setting on', () => {
    const result = validateConfig(governed(), { now: NOW });
    expect(result.ok && result.config.lambda).toEqual({
      logRetentionDays: 365,
      memorySizeMb: 512,
      inVpc: true,
      logKmsKeyArns: { primary: PRIMARY_KEY, dr: DR_KEY },
    });
  });

  it('leaves both out of a config that gives neither (the config hash of existing deployments stays)', () => {
    const result = validateConfig(
      governed((c) => {
        c.lambda = {};
      }),
      { now: NOW },
    );
    expect(result.ok && result.config.lambda).toEqual({ logRetentionDays: 90, memorySizeMb: 512 });
  });

  it('refuses lambda.inVpc without the network of a region, naming the field to set', () => {
    expect(problemsOf(governed((c) => delete c.network))).toEqual([
      'lambda.inVpc needs network, got true without network: every function of that region runs in its subnets; set network (vpcId, subnetIds, securityGroupIds) or leave lambda.inVpc out',
    ]);
    expect(problemsOf(governed((c) => delete c.dr.network))).toEqual([
      'lambda.inVpc needs dr.network, got true without dr.network: every function of that region runs in its subnets; set dr.network (vpcId, subnetIds, securityGroupIds) or leave lambda.inVpc out',
    ]);
    expect(problemsOf(governed((c) => (c.lambda.inVpc = 'yes')))).toEqual([expect.stringMatching(/^lambda\.inVpc .*boolean/i)]);
  });

  it('refuses a log key of another region than its stack, and an alias', () => {
    expect(problemsOf(governed((c) => (c.lambda.logKmsKeyArns.dr = PRIMARY_KEY)))).toEqual([
      'lambda.logKmsKeyArns.dr must be a key in dr.region "eu-central-1", got a key in "eu-west-1": CloudWatch Logs encrypts a log group only with a key of its own region; create the key (or a multi-Region replica) in "eu-central-1"',
    ]);
    expect(problemsOf(governed((c) => (c.lambda.logKmsKeyArns.primary = 'alias/logs')))).toEqual([
      'lambda.logKmsKeyArns.primary must be a KMS key ARN like "arn:aws:kms:eu-west-1:111122223333:key/<id>", got "alias/logs": an alias is not accepted by CloudWatch Logs; or leave it out',
    ]);
    expect(problemsOf(governed((c) => (c.lambda.logKmsKeyArns.vault = DR_KEY)))).toEqual([
      'lambda.logKmsKeyArns.vault needs vault, got a key without a vault: it encrypts the vault stack’s log groups; set vault or leave logKmsKeyArns.vault out',
    ]);
  });
});

describe('config lambda: a governed vault account (issue 53 item 7)', () => {
  const VAULT_KEY = 'arn:aws:kms:eu-north-1:222222222222:key/0a1b2c3d-aaaa-bbbb-cccc-ddddeeeeffff';
  /** The governed config with a vault in eu-north-1, its network and its log key. */
  const withVault = (change: (c: Record<string, any>) => void = () => {}) =>
    governed((c) => {
      c.plans[0].export = { enabled: true };
      c.vault = { account: '222222222222', region: 'eu-north-1', retentionDays: 400, network: NETWORK };
      c.lambda.logKmsKeyArns.vault = VAULT_KEY;
      change(c);
    });

  it('accepts vault.network and lambda.logKmsKeyArns.vault', () => {
    const result = validateConfig(withVault(), { now: NOW });
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.config.vault?.network).toEqual({ ...NETWORK, secretsManagerEndpoint: false });
    expect(result.ok && result.config.lambda.logKmsKeyArns?.vault).toBe(VAULT_KEY);
  });

  it('refuses lambda.inVpc without vault.network, and a vault log key of another region', () => {
    expect(problemsOf(withVault((c) => delete c.vault.network))).toEqual([
      'lambda.inVpc needs vault.network, got true without vault.network: every function of that region runs in its subnets; set vault.network (vpcId, subnetIds, securityGroupIds) or leave lambda.inVpc out',
    ]);
    expect(problemsOf(withVault((c) => (c.lambda.logKmsKeyArns.vault = DR_KEY)))).toEqual([
      'lambda.logKmsKeyArns.vault must be a key in vault.region "eu-north-1", got a key in "eu-central-1": CloudWatch Logs encrypts a log group only with a key of its own region; create the key (or a multi-Region replica) in "eu-north-1"',
    ]);
  });
});
