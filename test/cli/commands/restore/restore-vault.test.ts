import { CreateReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RecoveryPointList } from '../../../../cli/commands/restore/list-action.js';
import { FakeClock } from '../../../support/fakes.js';
import { fakeAws } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';
import { installVault, putVaultCopy, type Retentions, VAULT_BUCKET, VAULT_CONFIG, VAULT_PROFILE } from '../../support/vault.js';

/** `restore --list` shows the vault's copies; `restore --from vault` seeds a new cluster from the vault's newest recovery point. */

const NOW = Date.parse('2026-11-21T10:00:00Z');
const point = (hhmm: string) => `rdr-sessions-prod-20261121-${hhmm}`;
const aws = fakeAws();
let clock: FakeClock;
let retentions: Retentions;

const run = (...args: string[]) => runInProcess(['restore', '-c', VAULT_CONFIG, '--target', 'sessions-prod', ...args], { clock });
const vaultListings = () => aws.s3.commandCalls(ListObjectsV2Command).filter((c) => c.args[0].input.Bucket === VAULT_BUCKET);

beforeEach(() => {
  aws.reset();
  retentions = new Map();
  installVault(aws, retentions);
  clock = new FakeClock(NOW);
});

describe('restore --list with a vault', () => {
  it('the --limit newest vault copies, each with its verdict and retention, and how --from takes them; exit 0', async () => {
    putVaultCopy(aws, retentions, point('0900'), { verified: null });
    putVaultCopy(aws, retentions, point('0700'), { shards: 2 });
    putVaultCopy(aws, retentions, point('0500'));

    const r = await run('--list', '--limit', '2', '--vault-profile', VAULT_PROFILE, '--json');

    expect(r.code).toBe(0);
    const l = JSON.parse(r.stdout) as RecoveryPointList;
    expect(l.vault!.targets[0]!.copies.map((c) => [c.exportName, c.recoveryPoint, c.retention.state])).toEqual([
      [point('0900'), false, 'locked'],
      [point('0700'), true, 'locked'],
    ]);
    const text = await run('--list', '--limit', '2', '--vault-profile', VAULT_PROFILE);
    expect(text.stdout).toMatch(
      new RegExp(`sessions-prod +${point('0700')} +2h 59m +2/2 shards +verified ok +2027-12-26 06:00Z \\(COMPLIANCE\\) +ok: newest recovery point`),
    );
    expect(text.stdout).toContain(
      `restore the newest vault recovery point with --from vault, or one of them with --from s3://${VAULT_BUCKET}/<copy> (the cluster is created in eu-north-1)`,
    );
  });

  it('a forged verified tag without a verdict object: listed as not verified, naming the missing verdict object', async () => {
    putVaultCopy(aws, retentions, point('0900'), { verified: null, forgedTag: true });
    putVaultCopy(aws, retentions, point('0700'));

    const r = await run('--list', '--vault-profile', VAULT_PROFILE, '--json');

    expect(r.code).toBe(0);
    const l = JSON.parse(r.stdout) as RecoveryPointList;
    expect(l.vault!.targets[0]!.copies.map((c) => [c.exportName, c.verification, c.recoveryPoint])).toEqual([
      [point('0900'), 'not-verified', false],
      [point('0700'), 'ok', true],
    ]);
    const text = await run('--list', '--vault-profile', VAULT_PROFILE);
    expect(text.stdout).toMatch(new RegExp(`${point('0900')} +59m +1/1 shards +not verified +.* +not a recovery point: .*no verdict object`));
  });

  it('access denied: the vault is said to be unread, with the fix; exit 1', async () => {
    putVaultCopy(aws, retentions, point('0700'));

    const r = await run('--list');

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/sessions-prod +- +- +- +- +- +ERROR: not read \(see below\)/);
    expect(r.stdout).toContain(`vault not read: access denied reading s3://${VAULT_BUCKET}`);
    expect(r.stdout).toContain('pass --vault-profile <a profile of account 444455556666> (or set REDIS_DR_VAULT_PROFILE)');
  });
});

describe('restore --from vault', () => {
  const restore = (...args: string[]) => run('--new-id', 'sessions-vault', '--subnet-group', 'recovery-subnets', ...args);

  it("seeds from the vault's newest recovery point in the vault's region, skipping a corrupt and an unverified copy", async () => {
    putVaultCopy(aws, retentions, point('0900'), { verified: null });
    putVaultCopy(aws, retentions, point('0800'), { verified: 'corrupt' });
    putVaultCopy(aws, retentions, point('0700'), { shards: 2 });

    const r = await restore('--from', 'vault', '--vault-profile', VAULT_PROFILE, '--node-type', 'cache.r7g.large', '--json');

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      region: 'eu-north-1',
      recoveryPoint: point('0700'),
      status: 'creating',
      rdbCopies: { copies: [{ where: 'vault', location: `s3://${VAULT_BUCKET}/${point('0700')}`, verification: 'ok' }] },
    });
    const create = aws.ec.commandCalls(CreateReplicationGroupCommand);
    expect(create).toHaveLength(1);
    expect(await create[0]!.thisValue.config.region()).toBe('eu-north-1');
    expect(create[0]!.args[0].input).toMatchObject({
      CacheSubnetGroupName: 'recovery-subnets',
      NumNodeGroups: 2,
      SnapshotArns: [1, 2].map((n) => `arn:aws:s3:::${VAULT_BUCKET}/${point('0700')}-000${n}.rdb`),
    });
  });

  it('a named s3:// copy in the vault bucket is read with the vault profile; a corrupt one is refused (nothing created)', async () => {
    putVaultCopy(aws, retentions, point('0800'), { verified: 'corrupt' });

    const r = await restore('--from', `s3://${VAULT_BUCKET}/${point('0800')}`, '--vault-profile', VAULT_PROFILE);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no usable copy of sessions-prod in s3://${VAULT_BUCKET}; ${point('0800')}: corrupt`);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
  });

  it('a forged verified tag is no verdict: --from vault skips that replica for an older one with a verdict object', async () => {
    putVaultCopy(aws, retentions, point('0900'), { verified: null, forgedTag: true });
    putVaultCopy(aws, retentions, point('0700'));

    const r = await restore('--from', 'vault', '--vault-profile', VAULT_PROFILE, '--node-type', 'cache.r7g.large', '--json');

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ recoveryPoint: point('0700') });
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)[0]!.args[0].input.SnapshotArns).toEqual([
      `arn:aws:s3:::${VAULT_BUCKET}/${point('0700')}-0001.rdb`,
    ]);
  });

  it('a forged verified tag, or a verdict object about an older version: the named copy is refused, saying why (nothing created)', async () => {
    putVaultCopy(aws, retentions, point('0900'), { verified: null, forgedTag: true });
    putVaultCopy(aws, retentions, point('0800'), { verdictOf: 'older', forgedTag: true });

    const forged = await restore('--from', `s3://${VAULT_BUCKET}/${point('0900')}`, '--vault-profile', VAULT_PROFILE);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain(`no usable copy of sessions-prod in s3://${VAULT_BUCKET}; ${point('0900')}: `);
    expect(forged.stderr).toContain(`no verdict object s3://${VAULT_BUCKET}/redis-dr-vault-verdicts/${point('0900')}-0001.rdb.json`);

    const older = await restore('--from', `s3://${VAULT_BUCKET}/${point('0800')}`, '--vault-profile', VAULT_PROFILE);
    expect(older.code).toBe(1);
    const key = `${point('0800')}-0001.rdb`;
    expect(older.stderr).toContain(`is about version v1.${key} (ETag "etag-v1-${key}"), not the current v2.${key}`);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);

    // The only replica forged: --from vault finds no usable copy.
    aws.reset();
    retentions = new Map();
    installVault(aws, retentions);
    putVaultCopy(aws, retentions, point('0900'), { verified: null, forgedTag: true });
    const none = await restore('--from', 'vault', '--vault-profile', VAULT_PROFILE, '--node-type', 'cache.r7g.large');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no usable copy of sessions-prod in s3://${VAULT_BUCKET}; ${point('0900')}: `);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
  });

  it('a verdict object is not a copy: --from naming one is a usage error', async () => {
    putVaultCopy(aws, retentions, point('0700'));

    const r = await restore('--from', `s3://${VAULT_BUCKET}/redis-dr-vault-verdicts/${point('0700')}-0001.rdb.json`, '--vault-profile', VAULT_PROFILE);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain("redis-dr-vault-verdicts/ holds the verifiers' verdicts, not copies");
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
  });

  it('access denied on the vault: exit 1 naming --vault-profile, nothing created', async () => {
    putVaultCopy(aws, retentions, point('0700'));

    const r = await restore('--from', 'vault');

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`access denied reading s3://${VAULT_BUCKET} (vault account 444455556666, eu-north-1) with the credentials in use`);
    expect(r.stderr).toContain('pass --vault-profile <a profile of account 444455556666>');
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
  });

  it('usage errors: another region, no subnet group in a third region, and --from vault without a vault', async () => {
    const other = await restore('--from', 'vault', '--region', 'eu-central-1');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("a vault copy restores in the vault's region eu-north-1 (ElastiCache seeds only from a bucket in the cluster's region)");

    const noSubnets = await run('--new-id', 'x1', '--from', 'vault', '--vault-profile', VAULT_PROFILE);
    expect(noSubnets.code).toBe(2);
    expect(noSubnets.stderr).toContain('no subnet group for eu-north-1 (the vault');

    const noVault = await runInProcess(
      ['restore', '-c', 'test/fixtures/config/drills.json', '--target', 'sessions-prod', '--new-id', 'x1', '--from', 'vault'],
      {
        clock,
      },
    );
    expect(noVault.code).toBe(2);
    expect(noVault.stderr).toContain('--from vault: the config has no vault section');
    expect(vaultListings()).toHaveLength(0);
  });

  it('a serverless target: a new serverless cache from the vault replica (dry run), in the vault region = the DR region with dr.network', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'restore-vault-'));
    const file = join(dir, 'vault-in-dr.json');
    const raw = JSON.parse(readFileSync('test/fixtures/config/drills.json', 'utf8'));
    writeFileSync(
      file,
      JSON.stringify({
        ...raw,
        $schema: undefined,
        primary: { ...raw.primary, account: '111122223333' },
        vault: { account: '444455556666', region: 'eu-central-1', retentionDays: 400 },
      }),
    );
    const bucket = 'redis-dr-example-444455556666-eu-central-1';
    installVault(aws, retentions, { bucket });
    putVaultCopy(aws, retentions, 'rdr-sessions-edge-20261121-0700', { shards: 2, bucket });

    const r = await runInProcess(
      [
        'restore',
        '-c',
        file,
        '--target',
        'sessions-edge',
        '--from',
        'vault',
        '--new-id',
        'edge-vault',
        '--vault-profile',
        VAULT_PROFILE,
        '--dry-run',
        '--json',
      ],
      { clock },
    );
    rmSync(dir, { recursive: true, force: true });

    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      status: 'dry-run',
      region: 'eu-central-1',
      serverlessCacheName: 'edge-vault',
      recoveryPoint: 'rdr-sessions-edge-20261121-0700',
    });
    expect(out.request.SnapshotArnsToRestore).toEqual([1, 2].map((n) => `arn:aws:s3:::${bucket}/rdr-sessions-edge-20261121-0700-000${n}.rdb`));
  });
});
