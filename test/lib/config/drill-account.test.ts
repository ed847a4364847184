import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { drillRegion } from '../../../lambdas/jobs/drills/drill-run.js';
import { drillAccountPlans, drillAccountRecords, drillPlans, drillsIn, vaultDrillAccounts, vaultDrillRegion } from '../../../lib/deployment.js';

const NOW = new Date('2026-01-15T00:00:00Z');
const DRILL = '333333333333';

/** A valid config whose plan drills from the vault in the separate drill account; each test breaks one thing. */
function drillAccount(change: (c: Record<string, any>) => void = () => {}): Record<string, any> {
  const c: Record<string, any> = {
    name: 'test',
    primary: { region: 'eu-west-1', account: '111111111111' },
    // No dr.network: the workload account runs no DR drill.
    dr: { region: 'eu-central-1' },
    vault: { account: '222222222222', region: 'eu-north-1', retentionDays: 400 },
    drillAccount: {
      account: DRILL,
      network: {
        vpcId: 'vpc-0fedcba9876543210',
        subnetIds: ['subnet-0123456789abcdef0'],
        securityGroupIds: ['sg-0123456789abcdef0'],
        cacheSubnetGroupName: 'drills',
      },
    },
    plans: [
      {
        name: 'sessions',
        targets: { replicationGroupIds: ['sessions-prod'] },
        schedule: { cron: 'cron(0 0/2 * * ? *)' },
        rpoMinutes: 150,
        export: { enabled: true },
        drill: { enabled: true, where: 'dr', fromVault: true, account: DRILL },
      },
    ],
  };
  change(c);
  return c;
}

function problemsOf(raw: unknown): string[] {
  const result = validateConfig(raw, { now: NOW });
  return result.ok ? [] : result.problems;
}

describe('config drillAccount and plans[].drill.account', () => {
  it('accepts a vault drill in the drill account (the vault in another region than dr.region): the vault lets that account read, the workload DR region drills nothing', () => {
    const result = validateConfig(drillAccount(), { now: NOW });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const { config } = result;
    const plan = config.plans[0]!;
    expect(drillsIn(plan, 'dr')).toBe(false);
    expect(drillPlans(config.plans, 'dr')).toEqual([]);
    expect(drillAccountPlans(config.plans)).toEqual([plan]);
    expect(vaultDrillAccounts(config)).toEqual([DRILL]);
    expect(vaultDrillRegion(config)).toBe('eu-north-1');
    expect(drillAccountRecords(config)).toEqual({ account: DRILL, region: 'eu-north-1', bucket: `redis-dr-test-${DRILL}-eu-north-1`, plans: ['sessions'] });
  });

  it('with drill.where "both": the primary drill stays in the workload account, the vault drill goes to the drill account', () => {
    const result = validateConfig(
      drillAccount((c) => {
        c.plans[0].drill.where = 'both';
        c.network = { ...c.drillAccount.network };
      }),
      { now: NOW },
    );
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const plan = result.config.plans[0]!;
    expect([drillsIn(plan, 'primary'), drillsIn(plan, 'dr')]).toEqual([true, false]);
    expect(drillAccountPlans(result.config.plans)).toEqual([plan]);
  });

  it('without drill.account nothing changes: the vault drill runs in the DR region of the workload account', () => {
    const result = validateConfig(
      drillAccount((c) => {
        delete c.drillAccount;
        delete c.plans[0].drill.account;
        c.vault.region = 'eu-central-1';
        c.dr.network = {
          vpcId: 'vpc-0fedcba9876543210',
          subnetIds: ['subnet-0123456789abcdef0'],
          securityGroupIds: ['sg-0123456789abcdef0'],
          cacheSubnetGroupName: 'd',
        };
      }),
      { now: NOW },
    );
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(vaultDrillAccounts(result.config)).toEqual(['111111111111']);
    expect(drillAccountRecords(result.config)).toBeUndefined();
  });

  it.each([
    [
      'no drillAccount section',
      (c: Record<string, any>) => delete c.drillAccount,
      `plans[0].drill.account needs drillAccount, got "${DRILL}" without a drillAccount section: add drillAccount (account "${DRILL}", network of that account in vault.region), or remove drill.account`,
    ],
    [
      'another account than drillAccount.account',
      (c: Record<string, any>) => (c.plans[0].drill.account = '444444444444'),
      `plans[0].drill.account must be drillAccount.account "${DRILL}" (one drill account per deployment), got "444444444444": set "${DRILL}", or remove drill.account`,
    ],
    [
      'the workload account as drill account',
      (c: Record<string, any>) => {
        c.drillAccount.account = '111111111111';
        c.plans[0].drill.account = '111111111111';
      },
      'drillAccount.account must differ from primary.account, got "111111111111" for both: drills in the drill account are segregated from the workload and the vault only in an account of their own; use a separate account',
    ],
    [
      'the vault account as drill account',
      (c: Record<string, any>) => {
        c.drillAccount.account = '222222222222';
        c.plans[0].drill.account = '222222222222';
      },
      'drillAccount.account must differ from vault.account, got "222222222222" for both: drills in the drill account are segregated from the workload and the vault only in an account of their own; use a separate account',
    ],
    [
      'a drill that does not read the vault',
      (c: Record<string, any>) => (c.plans[0].drill.fromVault = false),
      `plans[0].drill.account drills from the vault only, got "${DRILL}" with drill.fromVault false: the drill account reads the vault's replicas and nothing of the workload account; set drill.fromVault to true, or remove drill.account`,
    ],
    [
      'an RBAC user group of the workload account',
      (c: Record<string, any>) =>
        (c.plans[0].drill.rbac = { userGroupId: 'drills', secretArn: 'arn:aws:secretsmanager:eu-north-1:111111111111:secret:drill-user-AbCdEf' }),
      'plans[0].drill.rbac cannot be used with drill.account, got a user group "drills": a user group and its secret are the workload account\'s, the drill account\'s clusters lock with a token generated per execution; remove drill.rbac',
    ],
    [
      'a drillAccount no plan uses',
      (c: Record<string, any>) => delete c.plans[0].drill.account,
      // Without drill.account the plan's vault drill runs in the DR region again, whose rules then apply too.
      `drillAccount is used by no plan, got account "${DRILL}": set drill.account to it on a plan that drills from the vault, or remove drillAccount`,
    ],
    [
      'a malformed account id',
      (c: Record<string, any>) => (c.drillAccount.account = '3333'),
      'drillAccount.account must be a 12-digit AWS account id, got "3333": write it as a string of 12 digits, or leave it out',
    ],
    [
      'a log key of the drill account in another region than the vault',
      (c: Record<string, any>) => (c.lambda = { logKmsKeyArns: { drill: `arn:aws:kms:eu-west-1:${DRILL}:key/0a1b2c3d-1111-2222-3333-444455556666` } }),
      `lambda.logKmsKeyArns.drill must be a key in vault.region "eu-north-1" (where the drill account's stack is), got a key in "eu-west-1": CloudWatch Logs encrypts a log group only with a key of its own region; create the key in the drill account in "eu-north-1"`,
    ],
    [
      'a drill log key without a drill account',
      (c: Record<string, any>) => {
        c.lambda = { logKmsKeyArns: { drill: `arn:aws:kms:eu-north-1:${DRILL}:key/0a1b2c3d-1111-2222-3333-444455556666` } };
        delete c.drillAccount;
      },
      'lambda.logKmsKeyArns.drill needs drillAccount, got a key without a drillAccount',
    ],
    [
      "an organization's vault (each account reads only its own prefix)",
      (c: Record<string, any>) => (c.vault.organizationId = 'o-a1b2c3d4e5'),
      'drillAccount cannot be used with vault.organizationId "o-a1b2c3d4e5": an organization\'s vault lets each account\'s drills read only under its own prefix <account id>/',
    ],
    ['no network for the drill account', (c: Record<string, any>) => delete c.drillAccount.network, 'drillAccount.network'],
  ])('refuses %s in one line naming the field, the value and the fix', (_name, change, expected) => {
    const problems = problemsOf(drillAccount(change));
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('accepts a drill log key in vault.region', () => {
    expect(
      problemsOf(drillAccount((c) => (c.lambda = { logKmsKeyArns: { drill: `arn:aws:kms:eu-north-1:${DRILL}:key/0a1b2c3d-1111-2222-3333-444455556666` } }))),
    ).toEqual([]);
  });

  it('the plan without drill.account falls back to the DR-region rules (dr.network, vault.region = dr.region): a negative case of the exemption', () => {
    const problems = problemsOf(drillAccount((c) => delete c.plans[0].drill.account));
    expect(problems.some((p) => p.startsWith('plans[0].drill.where runs drills in the dr region'))).toBe(true);
    expect(problems.some((p) => p.startsWith('vault.region must equal dr.region'))).toBe(true);
  });

  it("redis-dr drill run refuses a drill of the drill account (another account's state machine), naming where and how to start it", () => {
    const result = validateConfig(drillAccount(), { now: NOW });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const plan = result.config.plans[0]!;
    expect(() => drillRegion(result.config, plan, undefined)).toThrow(
      `plan sessions drills from the vault in the drill account ${DRILL} (drill.account), not with these credentials: ` +
        `start it there with that account's credentials (aws stepfunctions start-execution --region eu-north-1 --state-machine-arn arn:aws:states:eu-north-1:${DRILL}:stateMachine:redis-dr-test-dr-drill --input <the plan's schedule input, with "startedBy">)`,
    );
    // Without drill.account the same plan's DR drill is this account's.
    const workload = validateConfig(
      drillAccount((c) => {
        delete c.drillAccount;
        delete c.plans[0].drill.account;
        c.vault.region = 'eu-central-1';
        c.dr.network = {
          vpcId: 'vpc-0fedcba9876543210',
          subnetIds: ['subnet-0123456789abcdef0'],
          securityGroupIds: ['sg-0123456789abcdef0'],
          cacheSubnetGroupName: 'd',
        };
      }),
      { now: NOW },
    );
    if (!workload.ok) throw new Error(workload.problems.join('\n'));
    expect(drillRegion(workload.config, workload.config.plans[0]!, undefined)).toEqual({ where: 'dr', region: 'eu-central-1' });
  });

  it('keeps refusing the full DR-account model (dr.account other than primary.account)', () => {
    expect(problemsOf(drillAccount((c) => (c.dr.account = DRILL)))).toContain(
      `dr.account must equal primary.account (cross-account DR is not supported), got "${DRILL}" and "111111111111": remove dr.account, or set both to the same account`,
    );
  });
});
