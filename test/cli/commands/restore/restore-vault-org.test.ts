import { CreateReplicationGroupCommand } from '@aws-sdk/client-elasticache';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecoveryPointList } from '../../../../cli/commands/restore/list-action.js';
import { FakeClock } from '../../../support/fakes.js';
import { fakeAws } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';
import { installVault, putVaultCopy, type Retentions, VAULT_BUCKET, VAULT_CONFIG, VAULT_PROFILE } from '../../support/vault.js';

/**
 * An organization's vault (vault.organizationId) keeps each account's replicas under `<account>/<primary region>/`:
 * `restore --list` and `restore --from vault` read this account's (primary.account 111122223333, eu-west-1) there only,
 * and never offer another account's.
 */

const NOW = Date.parse('2026-11-21T10:00:00Z');
const point = (hhmm: string) => `rdr-sessions-prod-20261121-${hhmm}`;
const OWN = '111122223333/eu-west-1/';
const OTHER = '999988887777/eu-west-1/';
const aws = fakeAws();
let clock: FakeClock;
let retentions: Retentions;

const dir = mkdtempSync(join(tmpdir(), 'restore-vault-org-'));
const ORG_CONFIG = join(dir, 'org-vault.json');
const raw = JSON.parse(readFileSync(VAULT_CONFIG, 'utf8'));
writeFileSync(ORG_CONFIG, JSON.stringify({ ...raw, $schema: undefined, vault: { ...raw.vault, organizationId: 'o-a1b2c3d4e5' } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (config: string, ...args: string[]) =>
  runInProcess(['restore', '-c', config, '--target', 'sessions-prod', '--vault-profile', VAULT_PROFILE, ...args], { clock });
const restore = (config: string, ...args: string[]) => run(config, '--new-id', 'sessions-vault', '--subnet-group', 'recovery-subnets', ...args);
const vaultPrefixes = () =>
  aws.s3
    .commandCalls(ListObjectsV2Command)
    .filter((c) => c.args[0].input.Bucket === VAULT_BUCKET)
    .map((c) => c.args[0].input.Prefix);

beforeEach(() => {
  aws.reset();
  retentions = new Map();
  installVault(aws, retentions);
  clock = new FakeClock(NOW);
  // This account's recovery point, and a newer one of another account's with the same target name.
  putVaultCopy(aws, retentions, point('0700'), { under: OWN, shards: 2 });
  putVaultCopy(aws, retentions, point('0900'), { under: OTHER });
});

describe('restore in an organization vault', () => {
  it("--list: this account's replicas under its prefix, another account's never listed", async () => {
    const r = await run(ORG_CONFIG, '--list', '--json');

    expect(r.code).toBe(0);
    const l = JSON.parse(r.stdout) as RecoveryPointList;
    expect(l.vault!.targets[0]!.copies.map((c) => [c.exportName, c.recoveryPoint])).toEqual([[point('0700'), true]]);
    expect(vaultPrefixes()).toEqual([`${OWN}rdr-sessions-prod-`]);
  });

  it("--from vault seeds from this account's newest recovery point, by its full keys, not another account's newer one", async () => {
    const r = await restore(ORG_CONFIG, '--from', 'vault', '--node-type', 'cache.r7g.large', '--json');

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      recoveryPoint: point('0700'),
      rdbCopies: { copies: [{ where: 'vault', location: `s3://${VAULT_BUCKET}/${OWN}${point('0700')}`, verification: 'ok' }] },
    });
    const create = aws.ec.commandCalls(CreateReplicationGroupCommand);
    expect(create).toHaveLength(1);
    expect(create[0]!.args[0].input.SnapshotArns).toEqual([1, 2].map((n) => `arn:aws:s3:::${VAULT_BUCKET}/${OWN}${point('0700')}-000${n}.rdb`));
    expect(vaultPrefixes().every((p) => p?.startsWith(OWN))).toBe(true);
  });

  it('a named copy: with or without this account’s prefix it is found; under another account’s it is refused, nothing created', async () => {
    for (const from of [`s3://${VAULT_BUCKET}/${OWN}${point('0700')}`, `s3://${VAULT_BUCKET}/${point('0700')}`]) {
      const r = await restore(ORG_CONFIG, '--from', from, '--node-type', 'cache.r7g.large', '--dry-run', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ recoveryPoint: point('0700') });
    }

    const other = await restore(ORG_CONFIG, '--from', `s3://${VAULT_BUCKET}/${OTHER}${point('0900')}`);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(`${OTHER} is another account's part of the organization's vault`);
    expect(aws.ec.commandCalls(CreateReplicationGroupCommand)).toHaveLength(0);
  });

  it('without organizationId the vault is read at its root: replicas under an account prefix are not this layout', async () => {
    putVaultCopy(aws, retentions, point('0500'));

    const l = JSON.parse((await run(VAULT_CONFIG, '--list', '--json')).stdout) as RecoveryPointList;
    expect(l.vault!.targets[0]!.copies.map((c) => c.exportName)).toEqual([point('0500')]);
    expect(vaultPrefixes()).toEqual(['rdr-sessions-prod-']);

    const r = await restore(VAULT_CONFIG, '--from', 'vault', '--node-type', 'cache.r7g.large', '--dry-run', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ recoveryPoint: point('0500') });
  });
});
