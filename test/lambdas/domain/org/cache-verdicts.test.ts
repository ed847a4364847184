import { describe, expect, it } from 'vitest';
import { ANNOTATION_MAX, cacheVerdicts, readServerlessAnnotation, ruleEvaluations } from '../../../../lambdas/domain/org/cache-verdicts.js';
import { asffFindings } from '../../../../lambdas/domain/org/findings.js';
import { parseReportKey } from '../../../../lambdas/domain/org/rollup.js';
import type { CacheInfo } from '../../../../lambdas/domain/plans/coverage.js';

/**
 * Each cache judged against the account's newest report: the Config rule's
 * COMPLIANT / NON_COMPLIANT / NOT_APPLICABLE with its annotation.
 */
const NOW = new Date('2026-11-25T12:00:00Z');
const SCOPE = { partition: 'aws', account: '111111111111', region: 'eu-west-1' };
const KEY = parseReportKey('111111111111/eu-west-1/reports/weekly/2026-11-23T0000Z/report.json')!;
const rg = (id: string, extra: Partial<CacheInfo> = {}): CacheInfo => ({
  kind: 'replication-group',
  id,
  dataTiering: false,
  clusterMode: false,
  tags: {},
  ...extra,
});
const control = (name: string, verdict: 'pass' | 'fail' | 'n/a', why: string) => ({ control: name, verdict, why });
const REPORT = {
  deployment: 'acme-a',
  until: '2026-11-23T00:00:00Z',
  caches: [
    {
      facts: { cache: 'orders' },
      controls: [control('cross-region-copy', 'pass', 'newest verified copy 40 min old, RPO 240'), control('restore-time', 'pass', 'drilled')],
    },
    {
      facts: { cache: 'ledger' },
      controls: [control('cross-region-copy', 'fail', 'newest verified copy 9 h old, RPO 240'), control('restore-time', 'n/a', 'no drill')],
    },
  ],
};
const evaluate = (caches: CacheInfo[], body: unknown = REPORT, key = KEY) => ruleEvaluations(cacheVerdicts(caches, { key, body }, 's3://dr/reports/', NOW));

describe('the verified-copy rule', () => {
  it("is COMPLIANT for a cache whose copy the report verified within the RPO, NON_COMPLIANT with the report's why otherwise", () => {
    expect(evaluate([rg('orders'), rg('ledger')])).toEqual([
      {
        resourceType: 'AWS::ElastiCache::ReplicationGroup',
        resourceId: 'orders',
        compliance: 'COMPLIANT',
        annotation: 'newest verified copy 40 min old, RPO 240',
      },
      {
        resourceType: 'AWS::ElastiCache::ReplicationGroup',
        resourceId: 'ledger',
        compliance: 'NON_COMPLIANT',
        annotation: 'newest verified copy 9 h old, RPO 240',
      },
    ]);
  });

  it('is NON_COMPLIANT for a cache no plan protects, and for every cache when there is no report', () => {
    expect(evaluate([rg('stray')])[0]).toMatchObject({
      compliance: 'NON_COMPLIANT',
      annotation: expect.stringMatching(/^not protected by redis-dr: no plan of acme-a/),
    });
    const none = ruleEvaluations(cacheVerdicts([rg('orders')], undefined, 's3://dr/reports/', NOW));
    expect(none[0]).toMatchObject({ compliance: 'NON_COMPLIANT', annotation: expect.stringMatching(/^no redis-dr report under s3:\/\/dr\/reports\//) });
  });

  it('is NON_COMPLIANT when the newest report is older than its period, or is no report', () => {
    const old = parseReportKey('111111111111/eu-west-1/reports/weekly/2026-11-01T0000Z/report.json')!;
    expect(evaluate([rg('orders')], { ...REPORT, until: '2026-11-01T00:00:00Z' }, old)[0]).toMatchObject({
      compliance: 'NON_COMPLIANT',
      annotation: expect.stringMatching(/24 days old, over its period/),
    });
    expect(evaluate([rg('orders')], { notJson: 'x' })[0]).toMatchObject({ compliance: 'NON_COMPLIANT', annotation: expect.stringMatching(/not a report/) });
  });

  it('dates the verdicts of a report gone stale after its last import, so Security Hub takes the FAILED over the PASSED', () => {
    // Security Hub ignores an update whose UpdatedAt "matches or occurs before" the finding's
    // (awsdocs/aws-security-hub-user-guide doc_source/finding-update-batchimportfindings.md): the stale run must be dated later.
    const findings = (now: Date) => asffFindings(cacheVerdicts([rg('orders')], { key: KEY, body: REPORT }, 's3://dr/reports/', now), SCOPE);
    const fresh = findings(NOW).find((f) => f.GeneratorId === 'redis-dr/cross-region-copy')!;
    expect(fresh).toMatchObject({ Compliance: { Status: 'PASSED' }, UpdatedAt: '2026-11-23T00:00:00.000Z' });
    const later = new Date('2026-12-02T12:00:00Z');
    const stale = findings(later).find((f) => f.GeneratorId === 'redis-dr/cross-region-copy')!;
    expect(stale.Compliance.Status).toBe('FAILED');
    expect(Date.parse(stale.UpdatedAt)).toBeGreaterThan(Date.parse(fresh.UpdatedAt));
    expect(stale.UpdatedAt).toBe(later.toISOString());
  });

  it('judges serverless caches in one evaluation of the account (AWS::::Account: Config records no serverless cache), naming them', () => {
    const sl = (id: string): CacheInfo => ({ kind: 'serverless-cache', id, dataTiering: false, clusterMode: false, tags: {} });
    const body = {
      ...REPORT,
      caches: [
        ...REPORT.caches,
        { facts: { cache: 'sessions' }, controls: [control('cross-region-copy', 'pass', 'ok'), control('restore-time', 'pass', 'drilled')] },
        { facts: { cache: 'carts' }, controls: [control('cross-region-copy', 'fail', 'copy 2 d old'), control('restore-time', 'n/a', 'no drill')] },
      ],
    };
    const judge = (caches: CacheInfo[]) => ruleEvaluations(cacheVerdicts(caches, { key: KEY, body }, 's3://dr/reports/', NOW), '111111111111');
    const mixed = judge([rg('orders'), sl('sessions'), sl('carts'), sl('stray')]);
    expect(mixed.map((e) => [e.resourceType, e.resourceId, e.compliance])).toEqual([
      ['AWS::ElastiCache::ReplicationGroup', 'orders', 'COMPLIANT'],
      ['AWS::::Account', '111111111111', 'NON_COMPLIANT'],
    ]);
    expect(mixed[1]!.annotation).toBe('2 of 3 serverless cache(s) without a verified copy within the RPO: carts, stray');
    expect(judge([sl('sessions')])).toEqual([
      {
        resourceType: 'AWS::::Account',
        resourceId: '111111111111',
        compliance: 'COMPLIANT',
        annotation: '1 of 1 serverless cache(s) with a verified copy within the RPO: sessions',
      },
    ]);
    // No serverless cache: still one evaluation of the account, saying so (a NON_COMPLIANT one does not outlive the last
    // serverless cache, and org inventory tells none from not evaluated). No account given: none.
    expect(judge([rg('orders')]).map((e) => [e.resourceType, e.compliance, e.annotation])).toEqual([
      ['AWS::ElastiCache::ReplicationGroup', 'COMPLIANT', expect.any(String)],
      ['AWS::::Account', 'COMPLIANT', '0 serverless cache(s) in this region'],
    ]);
    expect(evaluate([sl('sessions')], body)).toEqual([]);
    const many = judge(Array.from({ length: 40 }, (_, i) => sl(`serverless-cache-number-${i}`)));
    expect(many[0]!.annotation.length).toBe(ANNOTATION_MAX);
  });

  it("is NOT_APPLICABLE for a data-tiering cache (no DR copy possible) and a drill's restore", () => {
    const out = evaluate([rg('tiered', { dataTiering: true }), rg('drill-x', { tags: { 'redis-dr:drill': 'd1' } })]);
    expect(out.map((e) => [e.resourceId, e.compliance])).toEqual([
      ['tiered', 'NOT_APPLICABLE'],
      ['drill-x', 'NOT_APPLICABLE'],
    ]);
    expect(out[0]!.annotation).toMatch(/^data tiering/);
  });

  it('evaluates no serverless cache (not a type Config records) and clips an annotation to 256 characters', () => {
    const long = { ...REPORT, caches: [{ facts: { cache: 'orders' }, controls: [control('cross-region-copy', 'fail', 'x'.repeat(400))] }] };
    const out = evaluate([rg('orders'), { ...rg('sls'), kind: 'serverless-cache' }], long);
    expect(out.map((e) => e.resourceId)).toEqual(['orders']);
    expect(out[0]!.annotation).toHaveLength(ANNOTATION_MAX);
  });
});

describe("the account evaluation's annotation, read back (org inventory)", () => {
  const sl = (id: string, engine = 'redis'): CacheInfo => ({ kind: 'serverless-cache', id, engine, dataTiering: false, clusterMode: false, tags: {} });
  const body = {
    ...REPORT,
    caches: [
      { facts: { cache: 'sessions' }, controls: [control('cross-region-copy', 'pass', 'ok'), control('restore-time', 'pass', 'drilled')] },
      { facts: { cache: 'carts' }, controls: [control('cross-region-copy', 'fail', 'copy 2 d old'), control('restore-time', 'n/a', 'no drill')] },
    ],
  };
  const account = (caches: CacheInfo[]) => ruleEvaluations(cacheVerdicts(caches, { key: KEY, body }, 's3://dr/reports/', NOW), '111111111111').at(-1)!;

  it('reads what the rule wrote: counts, which caches it names, and nothing clipped', () => {
    const read = (caches: CacheInfo[]) => readServerlessAnnotation(account(caches).annotation);
    expect(read([sl('sessions'), sl('carts'), sl('stray')])).toEqual({ caches: 3, without: 2, named: 'without', names: ['carts', 'stray'], clipped: false });
    expect(read([sl('sessions'), sl('memo', 'memcached')])).toEqual({ caches: 2, without: 0, named: 'verified', names: ['sessions'], clipped: false });
    expect(account([sl('memo', 'memcached')]).compliance).toBe('NOT_APPLICABLE');
    expect(read([sl('memo', 'memcached')])).toEqual({ caches: 1, without: 0, named: 'cannot-copy', names: ['memo'], clipped: false });
    expect(read([])).toEqual({ caches: 0, without: 0, named: 'verified', names: [], clipped: false });
  });

  it('leaves out the name a clipped annotation cut, and says it was clipped', () => {
    const many = Array.from({ length: 40 }, (_, i) => sl(`serverless-cache-number-${i}`));
    const e = account(many);
    expect(e.annotation).toHaveLength(ANNOTATION_MAX);
    const read = readServerlessAnnotation(e.annotation)!;
    expect(read).toMatchObject({ caches: 40, without: 40, named: 'without', clipped: true });
    expect(read.names.length).toBeGreaterThan(3);
    // Every name read is a whole name of a cache: the cut one is not among them.
    for (const n of read.names) expect(many.map((c) => c.id)).toContain(n);
  });

  it('reads no summary from any other text (another rule, another version)', () => {
    expect(readServerlessAnnotation('1 serverless cache(s) with a verified copy within the RPO: sessions')).toBeUndefined();
    expect(readServerlessAnnotation('a verified copy in the DR region within the RPO')).toBeUndefined();
    expect(readServerlessAnnotation('')).toBeUndefined();
  });
});
