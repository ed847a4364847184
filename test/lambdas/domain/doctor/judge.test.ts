import { describe, expect, it } from 'vitest';
import { countChecks, doctorExitCode, type DoctorCheck, sortChecks } from '../../../../lambdas/domain/doctor/check.js';
import {
  type BucketExpectation,
  copyEvidence,
  judgeAccessRoute,
  judgeAlarms,
  judgeObjectReplication,
  judgeReplication,
  judgeSchedules,
  judgeStack,
  judgeTarget,
  judgeTopic,
  judgeVaultReplication,
  judgeVersioning,
  nextRun,
  type TargetFacts,
} from '../../../../lambdas/domain/doctor/judge.js';

const R = 'eu-west-1';
const DEPLOY = 'npx cdk deploy --all -c config=config/prod.json';
const check = (state: DoctorCheck['state'], section: DoctorCheck['section'] = 'stacks'): DoctorCheck => ({
  section,
  region: R,
  subject: 's',
  state,
  detail: 'd',
  fix: null,
});

describe('verdicts', () => {
  it.each([
    [['pass', 'pass'], 0],
    [['pass', 'warn'], 0],
    [['warn', 'fail'], 1],
  ] as const)('%j exits %i', (states, code) => {
    expect(doctorExitCode(states.map((s) => check(s)))).toBe(code);
  });

  it('counts and orders by section, keeping the order within one', () => {
    const checks = [check('fail', 'alarms'), { ...check('pass', 'stacks'), subject: 'b' }, { ...check('warn', 'stacks'), subject: 'a' }];
    expect(sortChecks(checks).map((c) => `${c.section}/${c.subject}`)).toEqual(['stacks/b', 'stacks/a', 'alarms/s']);
    expect(countChecks(checks)).toEqual({ pass: 1, warn: 1, fail: 1 });
  });
});

describe('judgeStack', () => {
  const stack = (status: string, hash?: string) => ({
    name: 'RedisDr-p-Primary',
    status,
    outputs: (hash ? { ConfigHash: hash } : {}) as Record<string, string>,
  });
  it.each([
    ['CREATE_COMPLETE', 'h', ['pass', 'pass']],
    ['UPDATE_COMPLETE', 'other', ['pass', 'fail']],
    ['UPDATE_COMPLETE', undefined, ['pass', 'warn']],
    ['UPDATE_ROLLBACK_COMPLETE', 'h', ['warn', 'pass']],
    ['UPDATE_IN_PROGRESS', 'h', ['warn']],
    ['ROLLBACK_COMPLETE', 'h', ['fail']],
    ['UPDATE_ROLLBACK_FAILED', 'h', ['fail']],
    ['DELETE_FAILED', 'h', ['fail']],
  ] as const)('%s with ConfigHash %s: %j', (status, hash, states) => {
    expect(judgeStack(R, 'RedisDr-p-Primary', stack(status, hash), 'h', 'ConfigHash', DEPLOY).map((c) => c.state)).toEqual(states);
  });

  it('a stack that does not exist is one failure naming the deploy', () => {
    expect(judgeStack(R, 'RedisDr-p-Primary', undefined, 'h', 'ConfigHash', DEPLOY)).toEqual([
      expect.objectContaining({ state: 'fail', fix: `deploy it: ${DEPLOY}` }),
    ]);
  });
});

describe('schedules', () => {
  const now = new Date('2026-11-21T10:00:00Z');
  it.each([
    ['cron(0 3 * * ? *)', 'Europe/Berlin', 'next run 2026-11-22T02:00:00.000Z'],
    ['rate(15 minutes)', undefined, 'runs every 15 minutes'],
    ['at(2027-01-01T00:00:00)', undefined, 'runs once at 2027-01-01T00:00:00'],
    [undefined, undefined, 'next run unknown (no expression)'],
  ])('%s in %s: %s', (expression, tz, text) => {
    expect(nextRun(expression, tz, now)).toBe(text);
  });

  it('a disabled schedule fails; a missing or empty group fails', () => {
    const s = [{ name: 'a', state: 'DISABLED', expression: 'cron(0 3 * * ? *)', description: 'redis-dr snapshots for plan p' }];
    expect(judgeSchedules(R, 'g', s, now, DEPLOY)).toEqual([expect.objectContaining({ state: 'fail', subject: 'redis-dr snapshots for plan p (a)' })]);
    expect(judgeSchedules(R, 'g', undefined, now, DEPLOY)[0]).toMatchObject({ state: 'fail', detail: expect.stringContaining('does not exist') });
    expect(judgeSchedules(R, 'g', [], now, DEPLOY)[0]).toMatchObject({ state: 'fail', detail: expect.stringContaining('no schedules') });
  });
});

describe('judgeTopic', () => {
  const sub = (confirmed: boolean) => ({ protocol: 'email', endpoint: 'a@example.com', confirmed });
  it.each([
    [[sub(true)], 'pass'],
    [[sub(true), sub(false)], 'warn'],
    [[sub(false)], 'fail'],
    [[], 'fail'],
  ] as const)('%j: %s', (subs, state) => {
    expect(judgeTopic(R, 'arn:aws:sns:eu-west-1:1:t', subs, 'AlertTopicArn').state).toBe(state);
  });

  it("warns when the page router's subscription is the only confirmed one (pages reach the integrations only); passes with another", () => {
    const ROUTER = 'arn:aws:lambda:eu-west-1:1:function:router';
    const router = { protocol: 'lambda', endpoint: ROUTER, confirmed: true };
    expect(judgeTopic(R, 'arn:aws:sns:eu-west-1:1:t', [router, sub(false)], 'AlertTopicArn', ROUTER)).toMatchObject({
      state: 'warn',
      detail:
        'the page router is the only confirmed subscription (not yet confirmed: email a@example.com): pages reach on-call only through alerts.integrations, and a page none of them takes reaches no one',
    });
    expect(judgeTopic(R, 'arn:aws:sns:eu-west-1:1:t', [router, sub(true)], 'AlertTopicArn', ROUTER).state).toBe('pass');
  });
});

describe('buckets', () => {
  const b: BucketExpectation = {
    role: 'export',
    name: 'redis-dr-p-1-eu-west-1',
    replicateTo: { bucket: 'redis-dr-p-1-eu-central-1', ruleId: 'to-dr-region' },
    route: 'acl',
    principal: 'eu-west-1.elasticache-snapshot.amazonaws.com',
    canonicalUserId: 'ec',
    aclPermissions: ['READ', 'WRITE', 'READ_ACP'],
  };
  it('versioning: Enabled passes, Suspended or never fails', () => {
    expect(['Enabled', 'Suspended', undefined].map((v) => judgeVersioning(R, b, v).state)).toEqual(['pass', 'fail', 'fail']);
  });

  it.each([
    [[{ id: 'to-dr-region', status: 'Enabled', destination: 'arn:aws:s3:::redis-dr-p-1-eu-central-1' }], 'pass'],
    [[{ id: 'to-dr-region', status: 'Disabled', destination: 'arn:aws:s3:::redis-dr-p-1-eu-central-1' }], 'fail'],
    [[{ id: 'to-dr-region', status: 'Enabled', destination: 'arn:aws:s3:::elsewhere' }], 'fail'],
    [[{ id: 'other', status: 'Enabled', destination: 'arn:aws:s3:::elsewhere' }], 'fail'],
    [[], 'fail'],
  ])('replication %j: %s', (rules, state) => {
    expect(judgeReplication(R, b, rules).state).toBe(state);
  });

  it('the rule into the vault: enabled, to the vault bucket of the vault account, owner override, no deletions; each fault named', () => {
    const v = { ...b, replicateToVault: { bucket: 'redis-dr-p-2-eu-central-1', account: '222222222222', ruleId: 'to-vault', stack: 'RedisDr-p-Vault' } };
    const good = {
      id: 'to-vault',
      status: 'Enabled',
      destination: 'arn:aws:s3:::redis-dr-p-2-eu-central-1',
      account: '222222222222',
      ownerOverride: true,
      deleteMarkers: 'Disabled',
    };
    const dr = { id: 'to-dr-region', status: 'Enabled', destination: 'arn:aws:s3:::redis-dr-p-1-eu-central-1' };
    expect(judgeVaultReplication(R, v, [dr, good]).state).toBe('pass');
    expect(judgeVaultReplication(R, v, [dr]).detail).toBe('no rule to-vault: no copy reaches the vault');
    expect(judgeVaultReplication(R, v, [dr, { ...good, ownerOverride: false, deleteMarkers: 'Enabled', account: '111111111111' }]).detail).toBe(
      'rule to-vault names account 111111111111, not 222222222222; keeps the replicas owned by this account (no owner override); replicates deletions',
    );
    expect(judgeVaultReplication(R, v, [{ ...good, status: 'Disabled' }])).toMatchObject({ state: 'fail', detail: 'rule to-vault is Disabled' });
    expect(judgeVaultReplication(R, v, [{ ...good, destination: 'arn:aws:s3:::elsewhere' }]).state).toBe('fail');
  });

  it('a FAILED replication names the vault stack and its credentials when there is a vault', () => {
    const vault = { bucket: 'redis-dr-p-2-eu-central-1', account: '222222222222', ruleId: 'to-vault', stack: 'RedisDr-p-Vault' };
    expect(judgeObjectReplication(R, 'x', 'k', 'FAILED', vault).fix).toMatch(
      /^check that RedisDr-p-Vault is deployed \(with account 222222222222's credentials/,
    );
    expect(judgeObjectReplication(R, 'x', 'k', 'FAILED').fix).not.toContain('Vault');
  });

  it('the ACL route needs the policy principal and every ACL permission (FULL_CONTROL covers them)', () => {
    const grants = (...p: string[]) => p.map((permission) => ({ id: 'ec', permission }));
    expect(judgeAccessRoute(R, b, [b.principal], grants('READ', 'WRITE', 'READ_ACP')).state).toBe('pass');
    expect(judgeAccessRoute(R, b, [b.principal], grants('FULL_CONTROL')).state).toBe('pass');
    expect(judgeAccessRoute(R, b, [b.principal], grants('READ')).detail).toContain("does not grant ElastiCache's canonical user WRITE, READ_ACP");
    expect(judgeAccessRoute(R, b, [], grants('READ', 'WRITE', 'READ_ACP')).state).toBe('fail');
    expect(judgeAccessRoute(R, { ...b, route: 'bucket-policy' }, [b.principal], undefined).state).toBe('pass');
  });
});

describe('judgeTarget', () => {
  const facts: TargetFacts = {
    status: 'available',
    engine: 'valkey',
    engineVersion: '8.0',
    nodeType: 'cache.r7g.large',
    clusterMode: true,
    dataTiering: false,
    shards: 3,
  };
  const target = {
    plan: 'p',
    kind: 'replication-group' as const,
    id: 'orders',
    exports: true,
    drills: [{ where: 'dr' as const, defaultNodeType: 'cache.t4g.small' }],
  };
  const copy = (dbs: string, bytes: number) => ({
    name: 'rdr-orders-20261121-0700',
    evidence: copyEvidence('rdr-orders-20261121-0700', [
      { key: 'rdr-orders-20261121-0700-0001.rdb', size: bytes, tags: { 'redis-dr:verified': 'ok', 'redis-dr:rdb': `v=11 keys=10 expires=0 string=10${dbs}` } },
      { key: 'rdr-orders-20261121-0700-r2-0001.rdb', size: 10 * 1024 ** 3, tags: {} },
    ]),
  });

  it('a verified DR copy with keys outside db 0 fails for a cluster-mode target (and in the DR drill preflight)', () => {
    const checks = judgeTarget(R, target, { ...facts, drCopy: copy(' dbs=0+3', 1024) });
    expect(checks.map((c) => `${c.state} ${c.subject}`)).toEqual(['pass p/orders', 'fail p/orders databases', 'fail p/orders dr drill node']);
    expect(checks[2]!.detail).toContain('[cluster-mode-databases]');
  });

  it('a summary naming no databases says nothing about them; the copy is sized against the DR drill node, not the other export under the same prefix', () => {
    expect(judgeTarget(R, target, { ...facts, drCopy: copy('', 1024) }).map((c) => `${c.state} ${c.subject}`)).toEqual([
      'pass p/orders',
      'pass p/orders dr drill node',
    ]);
  });

  it('a copy larger than the default DR node fails with the drill.nodeType fix', () => {
    const memory = judgeTarget(R, target, { ...facts, drCopy: copy('', 2 * 1024 ** 3) }).find((c) => c.subject === 'p/orders dr drill node')!;
    expect(memory).toMatchObject({ state: 'fail', detail: expect.stringContaining('[node-memory]'), fix: expect.stringContaining('set drill.nodeType') });
  });

  it('not found, and not available yet', () => {
    expect(judgeTarget(R, target, undefined)).toEqual([expect.objectContaining({ state: 'fail', detail: 'replication-group orders not found in eu-west-1' })]);
    expect(judgeTarget(R, { ...target, drills: [] }, { ...facts, status: 'creating' })[0]!.state).toBe('warn');
  });
});

describe('judgeAlarms', () => {
  it('ALARM fails by name, INSUFFICIENT_DATA warns once, all OK is one pass, none at all fails', () => {
    const alarms = [
      { name: 'redis-dr-p-b', state: 'ALARM' },
      { name: 'redis-dr-p-a', state: 'ALARM' },
      { name: 'redis-dr-p-c', state: 'INSUFFICIENT_DATA' },
      { name: 'redis-dr-p-d', state: 'OK' },
    ];
    expect(judgeAlarms(R, 'redis-dr-p-', alarms).map((c) => `${c.state} ${c.subject}`)).toEqual(['fail redis-dr-p-a', 'fail redis-dr-p-b', 'warn 1 alarm(s)']);
    expect(judgeAlarms(R, 'redis-dr-p-', [alarms[3]!])).toEqual([expect.objectContaining({ state: 'pass', detail: '1 alarm(s), all OK' })]);
    expect(judgeAlarms(R, 'redis-dr-p-', [])[0]!.state).toBe('fail');
  });
});
