import { describe, expect, it } from 'vitest';
import { formatExpiryHistogram, histogramOf } from '../../../../lambdas/domain/rdb/expiry-histogram.js';
import { parseRdbSummary } from '../../../../lambdas/domain/points/rdb-summary.js';
import {
  parseVaultVerdict,
  trustedVaultTags,
  vaultVerdictBody,
  vaultVerdictKey,
  vaultVerdictOf,
  verdictNamesReplica,
} from '../../../../lambdas/domain/vault/vault-verdict.js';
import type { RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';

const KEY = 'rdr-sessions-prod-20261121-0200-0001.rdb';
const REPLICA = { key: KEY, versionId: 'v1', etag: '"e1"', size: 4096 };
const AT = new Date('2026-11-21T02:07:00Z');

const report = (overrides: Partial<RdbReport> = {}): RdbReport => ({
  ok: true,
  version: 11,
  checksum: 'ok',
  keys: 1200,
  expires: 30,
  databases: [0, 3],
  byType: { hash: 200, string: 1000 },
  auxFields: {},
  functionLibraries: 0,
  ...overrides,
});

describe('vault verdict objects', () => {
  it('lives under the reserved prefix, named after the replica', () => {
    expect(vaultVerdictKey(KEY)).toBe(`redis-dr-vault-verdicts/${KEY}.json`);
  });

  it("carries the verifier's counts, and gives readers the summary a DR copy's tag would (databases and expiries too)", () => {
    const expiryHistogram = formatExpiryHistogram(histogramOf(0, [60_000, 3_600_000, 86_400_000]));
    const verdict = vaultVerdictOf(report({ expiryHistogram }), REPLICA, AT);
    expect(verdict).toMatchObject({ verdict: 'ok', replica: REPLICA, keys: { keys: 1200, expires: 30, databases: [0, 3] }, checkedAt: AT.toISOString() });
    const back = parseVaultVerdict(vaultVerdictBody(verdict));
    expect(back).toEqual({ verdict });
    const tags = trustedVaultTags({ 'redis-dr:plan': 'sessions' }, verdict);
    expect(tags['redis-dr:verified']).toBe('ok');
    expect(parseRdbSummary(tags['redis-dr:rdb'])).toEqual({
      version: 11,
      keys: 1200,
      expires: 30,
      byType: { string: 1000, hash: 200 },
      databases: [0, 3],
      expiryHistogram: verdict.keys.expiryHistogram,
    });
  });

  it('drops every verdict tag on a replica, whoever wrote it; a corrupt verdict says where', () => {
    const forged = { 'redis-dr:plan': 'sessions', 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v=11 keys=9999999 expires=0 string=9999999' };
    expect(trustedVaultTags(forged, undefined)).toEqual({ 'redis-dr:plan': 'sessions' });
    const corrupt = vaultVerdictOf(report({ ok: false, error: { offset: 81, message: 'bad length' } }), REPLICA, AT);
    expect(corrupt).toMatchObject({ verdict: 'corrupt', reason: 'at byte 81: bad length', keys: { byType: {} } });
    expect(trustedVaultTags(forged, corrupt)).toEqual({ 'redis-dr:plan': 'sessions', 'redis-dr:verified': 'corrupt' });
  });

  it('counts only for the version and ETag it names', () => {
    const verdict = vaultVerdictOf(report(), REPLICA, AT);
    expect(verdictNamesReplica(verdict, REPLICA)).toBe(true);
    expect(verdictNamesReplica(verdict, { ...REPLICA, versionId: 'v2' })).toBe(false);
    expect(verdictNamesReplica(verdict, { ...REPLICA, etag: '"e2"' })).toBe(false);
    expect(verdictNamesReplica(verdict, { ...REPLICA, versionId: undefined })).toBe(false);
    expect(verdictNamesReplica(verdict, { ...REPLICA, key: 'rdr-other-20261121-0200-0001.rdb' })).toBe(false);
  });

  it('refuses to name no version, and says what a body that is not a verdict lacks', () => {
    expect(() => vaultVerdictOf(report(), { ...REPLICA, versionId: undefined }, AT)).toThrow(/a verdict must name both \(is versioning on/);
    expect(parseVaultVerdict('{')).toEqual({ problem: expect.stringMatching(/^not JSON/) });
    expect(parseVaultVerdict(JSON.stringify({ verdict: 'fine' }))).toEqual({ problem: expect.stringContaining('verdict:') });
  });
});
