import { GetObjectCommand, GetObjectRetentionCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../../../cli/commands/status/action.js';
import type { VaultTargetStatus } from '../../../../cli/vault-copies.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT, fakeAws, reportHistory, scrubRecord } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';
import { installVault, putVaultCopy, type Retentions, VAULT_BUCKET, VAULT_CONFIG, VAULT_PROFILE } from '../../support/vault.js';

/** `status` with a vault: its replicas of each target, their verdict and retention, read with the vault account's profile. */

const NOW = Date.parse('2026-11-21T10:00:00Z');
const DR_BUCKET = `redis-dr-example-${ACCOUNT}-eu-central-1`;
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'sessions-prod' };
const NEWER = 'rdr-sessions-prod-20261121-0900';
const GOOD = 'rdr-sessions-prod-20261121-0700';
const aws = fakeAws();
let clock: FakeClock;
let retentions: Retentions;

/** Everything of the workload account within its limits (status exits 0 without a vault): only the vault decides. */
function healthyWorkload(): void {
  const snap = (name: string, at: string, tags: Record<string, string> = {}) =>
    aws.state.snapshots.set(name, {
      name,
      target: 'sessions-prod',
      status: 'available',
      createdAt: new Date(at),
      tags: { ...OURS, 'redis-dr:tier': 'hourly', ...tags },
    });
  snap(NEWER, '2026-11-21T09:00:30Z');
  snap(GOOD, '2026-11-21T07:00:30Z', { 'redis-dr:exported': '2026-11-21T07:30:00Z' });
  aws.state.objects.set(
    DR_BUCKET,
    new Map([
      [
        `${GOOD}-0001.rdb`,
        {
          'redis-dr:plan': 'sessions',
          'redis-dr:tier': 'hourly',
          'redis-dr:created': '2026-11-21T07:00:30.000Z',
          'redis-dr:shard': '0001/0001',
          'redis-dr:engine': 'redis 7.1',
          'redis-dr:verified': 'ok',
          'redis-dr:rdb': 'v=11 keys=10 expires=0 string=10',
        },
      ],
    ]),
  );
  scrubRecord(aws.state, DR_BUCKET, '2026-11-21T03:00:00Z');
  for (const [where, stop] of [
    ['primary', '2026-11-20T04:20:00Z'],
    ['dr', '2026-11-20T05:20:00Z'],
  ] as const) {
    const region = where === 'primary' ? 'eu-west-1' : 'eu-central-1';
    const stateMachineArn = `arn:aws:states:${region}:${ACCOUNT}:stateMachine:redis-dr-example-${where}-drill`;
    const input = JSON.stringify({ deployment: 'example', plan: 'sessions' });
    const choice = { target: 'sessions-prod', recoveryPoint: GOOD };
    const report = { ok: true, rtoSeconds: 750, subject: 'PASSED' };
    aws.state.executions.push({
      executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:run`,
      stateMachineArn,
      status: 'SUCCEEDED',
      startDate: new Date(Date.parse(stop) - 900_000),
      stopDate: new Date(stop),
      input,
      output: JSON.stringify({ input: JSON.parse(input), drill: { choice, report } }),
      history: reportHistory(report, choice),
    });
  }
}

async function status(...extra: string[]): Promise<{ code: number; report: StatusReport; target: VaultTargetStatus; stderr: string }> {
  const r = await runInProcess(['status', '-c', VAULT_CONFIG, '--json', ...extra], { clock });
  const report = JSON.parse(r.stdout) as StatusReport;
  return { code: r.code, report, target: report.vault!.targets[0]!, stderr: r.stderr };
}

const text = async (...extra: string[]) => runInProcess(['status', '-c', VAULT_CONFIG, ...extra], { clock });
/** The verdict object of the first shard of `exportName`. */
const verdictUrl = (exportName: string) => `s3://${VAULT_BUCKET}/redis-dr-vault-verdicts/${exportName}-0001.rdb.json`;
const vaultCalls = () => aws.s3.commandCalls(ListObjectsV2Command).filter((c) => c.args[0].input.Bucket === VAULT_BUCKET);

beforeEach(() => {
  aws.reset();
  retentions = new Map();
  installVault(aws, retentions);
  healthyWorkload();
  clock = new FakeClock(NOW);
  delete process.env.REDIS_DR_VAULT_PROFILE;
});
afterEach(() => {
  delete process.env.REDIS_DR_VAULT_PROFILE;
});

describe('status: the vault copies', () => {
  it('a verified, locked replica within its limit: shown with its age, shards, verdict and retain-until; exit 0', async () => {
    putVaultCopy(aws, retentions, GOOD, { shards: 2 });

    const { code, report, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(0);
    expect(report.vault).toMatchObject({
      account: '444455556666',
      region: 'eu-north-1',
      bucket: VAULT_BUCKET,
      credentials: `profile ${VAULT_PROFILE}`,
      problems: [],
      healthy: true,
    });
    expect(target).toMatchObject({ plan: 'sessions', target: 'sessions-prod', state: 'ok', limitSeconds: 19_800, newer: null });
    expect(target.newestRecoveryPoint).toMatchObject({
      exportName: GOOD,
      location: `s3://${VAULT_BUCKET}/${GOOD}`,
      where: 'vault',
      shards: 2,
      complete: true,
      verification: 'ok',
      ageSeconds: 10_770,
      retention: { state: 'locked', retainUntil: '2027-12-26T06:00:00.000Z', modes: ['COMPLIANCE'] },
      recoveryPoint: true,
    });
    // Retention of every shard read, in the vault's region, with the vault's profile.
    const retention = aws.s3.commandCalls(GetObjectRetentionCommand);
    expect(retention.map((c) => c.args[0].input.Key)).toEqual([`${GOOD}-0001.rdb`, `${GOOD}-0002.rdb`]);

    const out = await text('--vault-profile', VAULT_PROFILE);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`vault s3://${VAULT_BUCKET} (account 444455556666, eu-north-1; read with profile ${VAULT_PROFILE})`);
    expect(out.stdout).toMatch(
      new RegExp(`sessions-prod +${GOOD} +2h 59m +2/2 shards +verified ok +2027-12-26 06:00Z \\(COMPLIANCE\\) +ok: newest recovery point \\(limit 5h 30m\\)`),
    );
    expect(out.stdout).toContain('All recovery points within their limits.');
  });

  it('$REDIS_DR_VAULT_PROFILE names the profile when --vault-profile is not given', async () => {
    putVaultCopy(aws, retentions, GOOD);
    process.env.REDIS_DR_VAULT_PROFILE = VAULT_PROFILE;

    const { code, report } = await status();

    expect(code).toBe(0);
    expect(report.vault!.credentials).toBe(`profile ${VAULT_PROFILE}`);
  });

  it('access denied (the workload credentials): a partial result naming the fix, exit 1, the vault section still printed', async () => {
    putVaultCopy(aws, retentions, GOOD);

    const { code, report, target, stderr } = await status();

    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(report.healthy).toBe(false);
    expect(target).toMatchObject({ state: 'error', copies: [], newestRecoveryPoint: null });
    expect(report.vault!.problems).toEqual([
      `access denied reading s3://${VAULT_BUCKET} (vault account 444455556666, eu-north-1) with the credentials in use ` +
        '(AccessDenied: User is not authorized to perform: s3:ListBucket (explicit deny in a resource-based policy)): ' +
        'pass --vault-profile <a profile of account 444455556666> (or set REDIS_DR_VAULT_PROFILE): the vault bucket lets no principal of the workload account read',
    ]);
    // The workload rows are all fine: the vault alone makes it 1.
    expect(report.rows.every((r) => r.state === 'ok')).toBe(true);

    const out = await text();
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/sessions-prod +- +- +- +- +- +ERROR: not read \(see below\)/);
    expect(out.stdout).toContain(`vault not read: access denied reading s3://${VAULT_BUCKET}`);
    expect(out.stdout).not.toContain('All recovery points within their limits.');
  });

  it('a profile the vault refuses too: the fix names what that profile needs', async () => {
    aws.reset();
    installVault(aws, retentions, { refuse: true });
    healthyWorkload();

    const { code, report } = await status('--vault-profile', 'other');

    expect(code).toBe(1);
    expect(report.vault!.problems[0]).toMatch(
      /with profile other .*: check that profile other is of account 444455556666 and may s3:ListBucket, s3:GetObject, s3:GetObjectTagging and s3:GetObjectRetention on the vault bucket$/,
    );
  });

  it('the vault bucket missing: says which stack to deploy with which credentials; exit 1', async () => {
    aws.s3
      .on(ListObjectsV2Command, { Bucket: VAULT_BUCKET })
      .rejects(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' }));

    const { code, report } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(1);
    expect(report.vault!.problems).toEqual([
      `s3://${VAULT_BUCKET} (vault account 444455556666, eu-north-1) does not exist: deploy RedisDr-example-Vault with account 444455556666's credentials (docs/dr-copies.md#the-vault-account)`,
    ]);
  });

  it('no copy at all: MISSING, exit 1', async () => {
    const { code, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(1);
    expect(target).toMatchObject({ state: 'missing', copies: [], newestRecoveryPoint: null, detail: 'no copy in the vault' });
    expect((await text('--vault-profile', VAULT_PROFILE)).stdout).toMatch(/sessions-prod +- +- +- +- +- +MISSING: no copy in the vault/);
  });

  it('the newest replica not verified yet and the one before verified corrupt: neither is a recovery point, the older verified one is', async () => {
    const CORRUPT = 'rdr-sessions-prod-20261121-0800';
    putVaultCopy(aws, retentions, NEWER, { verified: null });
    putVaultCopy(aws, retentions, CORRUPT, { verified: 'corrupt' });
    putVaultCopy(aws, retentions, GOOD);

    const { code, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(0);
    expect(target.copies.map((c) => [c.exportName, c.verification, c.recoveryPoint, c.why])).toEqual([
      [NEWER, 'not-verified', false, `not verified (yet) by the vault's verifier: no verdict object ${verdictUrl(NEWER)}`],
      [CORRUPT, 'corrupt', false, `VERIFIED CORRUPT by the vault's verifier: ${CORRUPT}-0001.rdb verified corrupt`],
      [GOOD, 'ok', true, null],
    ]);
    expect(target.newestRecoveryPoint!.exportName).toBe(GOOD);
    expect(target.newer).toBe(`2 newer copies are not (newest ${NEWER}: not verified (yet) by the vault's verifier: no verdict object ${verdictUrl(NEWER)})`);

    const out = (await text('--vault-profile', VAULT_PROFILE)).stdout;
    expect(out).toMatch(
      new RegExp(`${NEWER} +59m +1/1 shards +not verified +2027-12-26 06:00Z \\(COMPLIANCE\\) +not a recovery point: not verified \\(yet\\)`),
    );
    expect(out).toMatch(new RegExp(`${CORRUPT} +1h 59m +1/1 shards +VERIFIED CORRUPT +.* +not a recovery point: VERIFIED CORRUPT by the vault's verifier`));
    expect(out).toMatch(new RegExp(`${GOOD} +2h 59m +1/1 shards +verified ok +.* +ok: newest recovery point`));
  });

  it('a forged redis-dr:verified=ok tag without a verdict object: not verified, not a recovery point (the older one with a verdict is)', async () => {
    putVaultCopy(aws, retentions, NEWER, { verified: null, forgedTag: true });
    putVaultCopy(aws, retentions, GOOD);

    const { code, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(0);
    expect(target.copies.map((c) => [c.exportName, c.verification, c.recoveryPoint])).toEqual([
      [NEWER, 'not-verified', false],
      [GOOD, 'ok', true],
    ]);
    expect(target.copies[0]!.why).toBe(`not verified (yet) by the vault's verifier: no verdict object ${verdictUrl(NEWER)}`);
    expect(target.newestRecoveryPoint!.exportName).toBe(GOOD);
    const out = (await text('--vault-profile', VAULT_PROFILE)).stdout;
    expect(out).toMatch(
      new RegExp(`${NEWER} +59m +1/1 shards +not verified +.* +not a recovery point: not verified \\(yet\\) by the vault's verifier: no verdict object`),
    );
  });

  it('the only replica has a forged verified tag: MISSING, exit 1', async () => {
    putVaultCopy(aws, retentions, GOOD, { verified: null, forgedTag: true });

    const { code, report, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(1);
    expect(report.vault!.healthy).toBe(false);
    expect(target).toMatchObject({ state: 'missing', newestRecoveryPoint: null });
    expect(target.detail).toBe(
      `no recovery point among the 1 newest copy (newest ${GOOD}: not verified (yet) by the vault's verifier: no verdict object ${verdictUrl(GOOD)})`,
    );
  });

  it('a verdict object about an older version of the replica is no verdict, even with a forged tag: MISSING, exit 1', async () => {
    putVaultCopy(aws, retentions, GOOD, { verdictOf: 'older', forgedTag: true });

    const { code, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(1);
    expect(target.state).toBe('missing');
    const key = `${GOOD}-0001.rdb`;
    expect(target.copies[0]).toMatchObject({ verification: 'not-verified', recoveryPoint: false });
    expect(target.copies[0]!.why).toBe(
      `not verified (yet) by the vault's verifier: the verdict of s3://${VAULT_BUCKET}/${key} is about version v1.${key} (ETag "etag-v1-${key}"), ` +
        `not the current v2.${key} (ETag "etag-v2-${key}"): not verified yet`,
    );
  });

  it('reads verdict objects with the vault profile, naming the vault account as the bucket owner; never lists them as copies', async () => {
    putVaultCopy(aws, retentions, GOOD);

    await status('--vault-profile', VAULT_PROFILE);

    const gets = aws.s3
      .commandCalls(GetObjectCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.Bucket === VAULT_BUCKET);
    expect(gets).toEqual([{ Bucket: VAULT_BUCKET, Key: `redis-dr-vault-verdicts/${GOOD}-0001.rdb.json`, ExpectedBucketOwner: '444455556666' }]);
    expect(vaultCalls().map((c) => c.args[0].input.ExpectedBucketOwner)).toEqual(['444455556666']);
  });

  it('only a corrupt replica: no recovery point, MISSING with why, exit 1', async () => {
    putVaultCopy(aws, retentions, GOOD, { verified: 'corrupt' });

    const { code, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(1);
    expect(target.state).toBe('missing');
    expect(target.detail).toBe(
      `no recovery point among the 1 newest copy (newest ${GOOD}: VERIFIED CORRUPT by the vault's verifier: ${GOOD}-0001.rdb verified corrupt)`,
    );
  });

  it('retention ended (or none, or GOVERNANCE): shown, not a recovery point', async () => {
    putVaultCopy(aws, retentions, NEWER, { retention: { mode: 'COMPLIANCE', until: '2026-11-21T09:30:00Z' } });
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0800', { retention: { mode: 'GOVERNANCE', until: '2027-12-26T06:00:00Z' } });
    putVaultCopy(aws, retentions, GOOD, { retention: null });

    const { code, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(1);
    expect(target.copies.map((c) => [c.retention.state, c.why])).toEqual([
      ['ended', 'Object Lock retention ended 2026-11-21T09:30:00.000Z: deletable, no longer a protected copy'],
      ['weak', 'Object Lock mode GOVERNANCE, not COMPLIANCE: a privileged principal can lift it'],
      ['none', 'no Object Lock retention on every shard: not protected'],
    ]);
    expect(target.state).toBe('missing');
    const out = (await text('--vault-profile', VAULT_PROFILE)).stdout;
    expect(out).toMatch(new RegExp(`${NEWER} +59m +1/1 shards +verified ok +ENDED 2026-11-21 09:30Z +not a recovery point: Object Lock retention ended`));
    expect(out).toMatch(new RegExp(`${GOOD} +2h 59m +1/1 shards +verified ok +NONE +not a recovery point`));
  });

  it('late: the newest recovery point is older than the DR-copy limit', async () => {
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0200');

    const { code, target } = await status('--vault-profile', VAULT_PROFILE);

    expect(code).toBe(1);
    expect(target).toMatchObject({ state: 'late', newestRecoveryPoint: { exportName: 'rdr-sessions-prod-20261121-0200', ageSeconds: 28_770 } });
  });

  it('bounded: one listing of the target, and it stops at the newest recovery point', async () => {
    for (const hhmm of ['0300', '0400', '0500', '0600', '0700']) putVaultCopy(aws, retentions, `rdr-sessions-prod-20261121-${hhmm}`);

    await status('--vault-profile', VAULT_PROFILE);

    expect(vaultCalls()).toHaveLength(1);
    expect(aws.s3.commandCalls(GetObjectRetentionCommand).map((c) => c.args[0].input.Key)).toEqual([`${GOOD}-0001.rdb`]);
  });

  it('--vault-profile with a config that has no vault: a usage error naming the option (exit 2), nothing read', async () => {
    const r = await runInProcess(['status', '-c', 'test/fixtures/config/status-one-target.json', '--vault-profile', VAULT_PROFILE], { clock });

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--vault-profile ${VAULT_PROFILE}: the config has no vault section, so there is no vault to read: leave the option out`);
    expect(vaultCalls()).toHaveLength(0);
  });
});

describe('status: the copies of an organization vault (vault.organizationId)', () => {
  it("reads this account's replicas under <account>/<primary region>/ only: another account's newer one is not this target's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'status-vault-org-'));
    const file = join(dir, 'org-vault.json');
    const raw = JSON.parse(readFileSync(VAULT_CONFIG, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...raw, $schema: undefined, vault: { ...raw.vault, organizationId: 'o-a1b2c3d4e5' } }));
    putVaultCopy(aws, retentions, GOOD, { under: '111122223333/eu-west-1/' });
    putVaultCopy(aws, retentions, NEWER, { under: '999988887777/eu-west-1/', verified: 'corrupt' });

    const r = await runInProcess(['status', '-c', file, '--json', '--vault-profile', VAULT_PROFILE], { clock });
    rmSync(dir, { recursive: true, force: true });

    expect(r.code).toBe(0);
    const target = (JSON.parse(r.stdout) as StatusReport).vault!.targets[0]!;
    expect(target.copies.map((c) => [c.exportName, c.location])).toEqual([[GOOD, `s3://${VAULT_BUCKET}/111122223333/eu-west-1/${GOOD}`]]);
    expect(target).toMatchObject({ state: 'ok', newer: null });
    expect(vaultCalls().map((c) => c.args[0].input.Prefix)).toEqual(['111122223333/eu-west-1/rdr-sessions-prod-']);
  });
});
