import { describe, expect, it } from 'vitest';
import type { CacheVerdict } from '../../../../lambdas/domain/org/cache-verdicts.js';
import { asffFindings, findingBatches, IMPORT_LIMITS } from '../../../../lambdas/domain/org/findings.js';

/** Security Hub findings: one per cache × control, a fixed id, within BatchImportFindings' limits. */
const SCOPE = { partition: 'aws', account: '111111111111', region: 'eu-west-1' };
const AT = new Date('2026-11-23T00:00:00Z');
const verdict = (id: string, control: CacheVerdict['control'], v: CacheVerdict['verdict'], why = 'because'): CacheVerdict => ({
  cache: { kind: 'replication-group', id, dataTiering: false, clusterMode: false, tags: {} },
  control,
  verdict: v,
  why,
  evidenceAt: AT,
});

describe('asffFindings', () => {
  it('makes one finding per cache × control with an id that names both, and the compliance status of the verdict', () => {
    const f = asffFindings([verdict('orders', 'cross-region-copy', 'fail'), verdict('orders', 'restore-time', 'pass')], SCOPE);
    expect(f.map((x) => [x.Id, x.Compliance.Status, x.Severity.Label])).toEqual([
      ['redis-dr/111111111111/eu-west-1/replicationgroup/orders/cross-region-copy', 'FAILED', 'HIGH'],
      ['redis-dr/111111111111/eu-west-1/replicationgroup/orders/restore-time', 'PASSED', 'INFORMATIONAL'],
    ]);
    expect(f[0]).toMatchObject({
      SchemaVersion: '2018-10-08',
      ProductArn: 'arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default',
      AwsAccountId: '111111111111',
      UpdatedAt: '2026-11-23T00:00:00.000Z',
      Resources: [{ Type: 'Other', Id: 'arn:aws:elasticache:eu-west-1:111111111111:replicationgroup:orders' }],
    });
  });

  it('gives the same finding for the same evidence (a re-run changes nothing), and clips the description to ASFF’s 1024', () => {
    const a = asffFindings([verdict('orders', 'cross-region-copy', 'fail', 'y'.repeat(2000))], SCOPE);
    expect(asffFindings([verdict('orders', 'cross-region-copy', 'fail', 'y'.repeat(2000))], SCOPE)).toEqual(a);
    expect(a[0]!.Description).toHaveLength(1024);
  });
});

describe('findingBatches', () => {
  it('sends at most 100 findings a call', () => {
    const many = asffFindings(
      Array.from({ length: 250 }, (_, i) => verdict(`c${i}`, 'cross-region-copy', 'pass')),
      SCOPE,
    );
    const { batches, tooLarge } = findingBatches(many);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(tooLarge).toEqual([]);
  });

  it('names a finding over 240 KB and does not send it; keeps a call under 6 MB', () => {
    const [one] = asffFindings([verdict('big', 'cross-region-copy', 'pass')], SCOPE);
    const big = { ...one!, ProductFields: { pad: 'z'.repeat(IMPORT_LIMITS.findingBytes) } };
    const near = { ...one!, ProductFields: { pad: 'z'.repeat(200 * 1024) } };
    const { batches, tooLarge } = findingBatches([big, ...Array.from({ length: 40 }, () => near)]);
    expect(tooLarge).toEqual([expect.stringMatching(/^redis-dr\/111111111111\/eu-west-1\/replicationgroup\/big\/cross-region-copy: \d+ bytes, over 245760$/)]);
    expect(batches.map((b) => b.length)).toEqual([30, 10]);
  });
});
