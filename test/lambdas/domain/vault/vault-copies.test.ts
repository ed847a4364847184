import { describe, expect, it } from 'vitest';
import type { RdbCopy } from '../../../../lambdas/domain/dr-copies/rdb-copies.js';
import { judgeVaultTarget, vaultCopy, vaultRetention, type VaultCopy } from '../../../../lambdas/domain/vault/vault-copies.js';

const NOW = new Date('2026-11-21T10:00:00Z');
const LATER = new Date('2027-12-26T06:00:00Z');
const compliance = (until = LATER) => ({ mode: 'COMPLIANCE', retainUntil: until });

function rdbCopy(name: string, o: Partial<RdbCopy> = {}): RdbCopy {
  return {
    where: 'vault',
    region: 'eu-north-1',
    bucket: 'vault',
    exportName: name,
    location: `s3://vault/${name}`,
    shardsFound: 1,
    shards: 1,
    missingShards: [],
    complete: true,
    verification: 'ok',
    problem: null,
    ...o,
  };
}

function copyAt(hhmm: string, o: Partial<RdbCopy> = {}, retention = vaultRetention([compliance()], NOW)): VaultCopy {
  const name = `rdr-a-20261121-${hhmm}`;
  return vaultCopy(rdbCopy(name, o), retention, new Date(`2026-11-21T${hhmm.slice(0, 2)}:${hhmm.slice(2)}:00Z`), NOW);
}

describe('vaultRetention: a copy is as protected as its weakest shard', () => {
  it('locked when every shard is COMPLIANCE until later; the earliest retain-until', () => {
    expect(vaultRetention([compliance(), compliance(new Date('2027-06-01T00:00:00Z'))], NOW)).toEqual({
      state: 'locked',
      retainUntil: '2027-06-01T00:00:00.000Z',
      modes: ['COMPLIANCE'],
    });
  });
  it('ended when a shard’s retain-until has passed (at the instant too)', () => {
    expect(vaultRetention([compliance(), compliance(NOW)], NOW).state).toBe('ended');
  });
  it('weak under GOVERNANCE; none when a shard has no retention or there are no shards', () => {
    expect(vaultRetention([compliance(), { mode: 'GOVERNANCE', retainUntil: LATER }], NOW)).toMatchObject({
      state: 'weak',
      modes: ['COMPLIANCE', 'GOVERNANCE'],
    });
    expect(vaultRetention([compliance(), undefined], NOW)).toEqual({ state: 'none', retainUntil: null, modes: ['COMPLIANCE'] });
    expect(vaultRetention([], NOW).state).toBe('none');
  });
});

describe('vaultCopy: a recovery point only when complete, verified ok and locked', () => {
  it('each reason, in order of what matters first', () => {
    expect(copyAt('0700')).toMatchObject({ recoveryPoint: true, why: null, ageSeconds: 10_800, takenAt: '2026-11-21T07:00:00.000Z' });
    expect(copyAt('0700', { complete: false, problem: 'incomplete: shard(s) 0002 of 2 missing', verification: 'corrupt' }).why).toBe(
      'incomplete: shard(s) 0002 of 2 missing',
    );
    expect(copyAt('0700', { verification: 'corrupt', problem: 'x-0001.rdb verified corrupt' }).why).toBe(
      "VERIFIED CORRUPT by the vault's verifier: x-0001.rdb verified corrupt",
    );
    expect(copyAt('0700', { verification: 'not-verified' }).why).toBe("not verified (yet) by the vault's verifier");
    const name = 'rdr-a-20261121-0700';
    const noVerdict = `no verdict object s3://vault/redis-dr-vault-verdicts/${name}-0001.rdb.json`;
    expect(vaultCopy(rdbCopy(name, { verification: 'not-verified' }), vaultRetention([compliance()], NOW), new Date(NOW), NOW, noVerdict).why).toBe(
      `not verified (yet) by the vault's verifier: ${noVerdict}`,
    );
    // Why there is no verdict is said only when the copy is not verified.
    expect(vaultCopy(rdbCopy(name), vaultRetention([compliance()], NOW), new Date(NOW), NOW, noVerdict).why).toBeNull();
    expect(copyAt('0700', {}, vaultRetention([compliance(new Date('2026-11-01T00:00:00Z'))], NOW))).toMatchObject({
      recoveryPoint: false,
      why: 'Object Lock retention ended 2026-11-01T00:00:00.000Z: deletable, no longer a protected copy',
    });
  });
});

describe('judgeVaultTarget', () => {
  const LIMIT = 5 * 3600;
  it('ok: the newest recovery point within the limit, naming the newer copies that are not', () => {
    const v = judgeVaultTarget([copyAt('0900', { verification: 'not-verified' }), copyAt('0700')], LIMIT);
    expect(v).toMatchObject({ state: 'ok', newestRecoveryPoint: { exportName: 'rdr-a-20261121-0700' } });
    expect(v.newer).toBe("1 newer copy is not (newest rdr-a-20261121-0900: not verified (yet) by the vault's verifier)");
  });
  it('a copy whose time is after now (its redis-dr:created tag, replicated from the workload account) is no recovery point: never ok for ever', () => {
    const name = 'rdr-a-20261121-0200';
    const future = vaultCopy(rdbCopy(name), vaultRetention([compliance()], NOW), new Date('2027-01-01T00:00:00Z'), NOW);
    expect(future).toMatchObject({
      recoveryPoint: false,
      why: 'its time 2027-01-01T00:00:00.000Z (the redis-dr:created tag, else its name) is after now (2026-11-21T10:00:00.000Z): a copy from the future proves no age',
    });
    expect(judgeVaultTarget([future], LIMIT).state).toBe('missing');
    expect(judgeVaultTarget([future, copyAt('0400')], LIMIT)).toMatchObject({ state: 'late', newestRecoveryPoint: { exportName: 'rdr-a-20261121-0400' } });
    // Within the clock skew S3 accepts (15 minutes), a copy just taken by a clock a little ahead is one.
    expect(vaultCopy(rdbCopy(name), vaultRetention([compliance()], NOW), new Date('2026-11-21T10:10:00Z'), NOW)).toMatchObject({
      recoveryPoint: true,
      ageSeconds: 0,
    });
  });
  it('late past the limit; missing without copies, or without a recovery point among them', () => {
    expect(judgeVaultTarget([copyAt('0400')], LIMIT).state).toBe('late');
    expect(judgeVaultTarget([], LIMIT)).toEqual({ state: 'missing', newestRecoveryPoint: null, newer: null, detail: 'no copy in the vault' });
    expect(judgeVaultTarget([copyAt('0900', { verification: 'corrupt', problem: 'p' })], LIMIT, true).detail).toBe(
      "no recovery point among the 1 newest copy read (newest rdr-a-20261121-0900: VERIFIED CORRUPT by the vault's verifier: p)",
    );
  });
});
