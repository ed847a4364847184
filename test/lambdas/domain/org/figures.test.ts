import { describe, expect, it } from 'vitest';
import { quantile, rollUp, rollupExitCode } from '../../../../lambdas/domain/org/figures.js';
import { accountLine, missingLine, parseReportKey, passedDrills, reportsPerAccount, type SelftestSeen } from '../../../../lambdas/domain/org/rollup.js';
import { rollupText } from '../../../../lambdas/domain/org/text.js';

/**
 * The roll-up's figures beyond the shares (issue 52 item 4): RTO per tier,
 * drilled in 30 and 90 days, the oldest unverified copy, unprotected and
 * unprotectable caches, stacks missing or failing their selftest.
 */
const NOW = new Date('2026-11-23T06:30:00Z');
const KEY = (account: string, stamp: string, region = 'eu-central-1') => `${account}/${region}/reports/weekly/${stamp}Z/report.json`;
const control = (control: string, verdict: 'pass' | 'fail') => ({ control, verdict, why: 'x' });

interface CacheSpec {
  readonly cache: string;
  readonly tier: string;
  readonly rtos?: readonly number[];
  readonly failedDrill?: boolean;
  readonly target?: number;
  readonly copies?: readonly { key: string; at: string; verdict: string }[];
  readonly verified?: boolean;
}
const report = (caches: readonly CacheSpec[], extra: object = {}) => ({
  deployment: 'prod',
  until: '2026-11-23T06:00:00.000Z',
  caches: caches.map((c) => ({
    facts: { cache: c.cache, plan: c.tier, ...(c.target ? { rtoTargetSeconds: c.target } : {}), drCopies: c.copies ?? [] },
    drills: [
      ...(c.rtos ?? []).map((s, i) => ({ startedAt: `2026-11-2${i}T01:00:00.000Z`, passed: true, rtoSeconds: s })),
      ...(c.failedDrill ? [{ startedAt: '2026-11-22T02:00:00.000Z', passed: false }] : []),
    ],
    controls: [control('cross-region-copy', c.verified === false ? 'fail' : 'pass'), control('restore-time', c.rtos?.length ? 'pass' : 'fail')],
  })),
  ...extra,
});
const line = (account: string, body: unknown, earlier = {}, selftest: SelftestSeen | null = null) =>
  accountLine(parseReportKey(KEY(account, '2026-11-23T0600'))!, body, NOW, earlier, selftest);

describe('the organization figures', () => {
  it('the RTO distribution per tier: min, p50, p90, max over the drills that passed, the target and the drills over it', () => {
    const a = line(
      '111111111111',
      report([
        { cache: 'g1', tier: 'gold', rtos: [600, 900], target: 1200 },
        { cache: 'g2', tier: 'gold', rtos: [1500], target: 1200 },
        { cache: 's1', tier: 'silver', rtos: [], failedDrill: true, target: 3600 },
      ]),
    );
    const r = rollUp([a], NOW);
    expect(r.rtoByTier).toEqual([
      { tier: 'gold', drills: 3, targetSeconds: 1200, minSeconds: 600, p50Seconds: 900, p90Seconds: 1500, maxSeconds: 1500, overTarget: 1 },
      { tier: 'silver', drills: 0, targetSeconds: 3600, minSeconds: 0, p50Seconds: 0, p90Seconds: 0, maxSeconds: 0, overTarget: 0 },
    ]);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
  });

  it('drilled in 30 and 90 days counts the newest drill that passed, from the older reports too; a failed drill is no drill', () => {
    const older = report([{ cache: 'c2', tier: 'gold', rtos: [60] }]);
    // The older report's drill of c2 was on the 20th of November; say it was 40 days ago instead.
    (older.caches[0]!.drills[0] as { startedAt: string }).startedAt = '2026-10-14T01:00:00.000Z';
    const a = line(
      '111111111111',
      report([
        { cache: 'c1', tier: 'gold', rtos: [60] },
        { cache: 'c2', tier: 'gold', failedDrill: true },
        { cache: 'c3', tier: 'gold', failedDrill: true },
        { cache: 'c4', tier: 'gold' },
      ]),
      passedDrills(older),
    );
    expect(a.cacheLines.map((c) => c.lastDrillAt)).toEqual(['2026-11-20T01:00:00.000Z', '2026-10-14T01:00:00.000Z', null, null]);
    const r = rollUp([a], NOW);
    expect(r.drilled30Share).toBe(0.25);
    expect(r.drilled90Share).toBe(0.5);
    expect(passedDrills({ not: 'a report' })).toEqual({});
  });

  it('the oldest unverified copy over every account (pending, corrupt), never a verified one', () => {
    const a = line(
      '111111111111',
      report([
        {
          cache: 'a',
          tier: 'gold',
          copies: [
            { key: 'old-ok', at: '2026-11-01T00:00:00.000Z', verdict: 'ok' },
            { key: 'a-pending', at: '2026-11-20T00:00:00.000Z', verdict: 'pending' },
          ],
        },
      ]),
    );
    const b = line('222222222222', report([{ cache: 'b', tier: 'gold', copies: [{ key: 'b-corrupt', at: '2026-11-18T00:00:00.000Z', verdict: 'corrupt' }] }]));
    expect(rollUp([a, b], NOW).oldestUnverified).toEqual({
      account: '222222222222',
      region: 'eu-central-1',
      cache: 'b',
      key: 'b-corrupt',
      at: '2026-11-18T00:00:00.000Z',
      verdict: 'corrupt',
    });
    expect(rollUp([line('333333333333', report([{ cache: 'c', tier: 'gold' }]))], NOW).oldestUnverified).toBeNull();
  });

  it('unprotected and unprotectable caches per account, with their names and why', () => {
    const a = line(
      '111111111111',
      report([{ cache: 'a', tier: 'gold' }], { unprotected: ['u1', 'u2'], unprotectable: [{ cache: 'dt', why: 'data tiering' }] }),
    );
    expect(a).toMatchObject({ unprotected: 2, unprotectable: 1, unprotectedCaches: ['u1', 'u2'], unprotectableCaches: [{ cache: 'dt', why: 'data tiering' }] });
    expect(rollUp([a], NOW)).toMatchObject({ unprotected: 2, unprotectable: 1 });
  });

  it("stacks: drifted when the newest selftest read a stack CloudFormation's detection found DRIFTED (a FAIL line); IN_SYNC or NOT_CHECKED is ok", () => {
    const at = '2026-11-20T00:00:00Z';
    const seen = (drift: 'DRIFTED' | 'IN_SYNC' | 'NOT_CHECKED') => ({
      verdict: 'passed' as const,
      at,
      failed: [],
      stacks: [
        { stack: 'RedisDr-a-Primary', region: 'eu-west-1', drift: 'IN_SYNC' as const, checkedAt: at },
        { stack: 'RedisDr-a-Dr', region: 'eu-central-1', drift, ...(drift === 'NOT_CHECKED' ? {} : { checkedAt: at }) },
      ],
    });
    const drifted = line('111111111111', report([{ cache: 'a', tier: 'gold', rtos: [1] }]), {}, seen('DRIFTED'));
    const inSync = line('222222222222', report([{ cache: 'a', tier: 'gold', rtos: [1] }]), {}, seen('IN_SYNC'));
    const unchecked = line('333333333333', report([{ cache: 'a', tier: 'gold', rtos: [1] }]), {}, seen('NOT_CHECKED'));
    expect([drifted, inSync, unchecked].map((l) => [l.state, l.stack])).toEqual([
      ['fail', 'drifted'],
      ['ok', 'ok'],
      ['ok', 'ok'],
    ]);
    expect(drifted.why).toBe(
      `stack RedisDr-a-Dr (eu-central-1) DRIFTED: CloudFormation's drift detection of ${at} found resources changed outside the stack (selftest of ${at})`,
    );
    const r = rollUp([drifted, inSync, unchecked], NOW);
    expect(r.stacks).toMatchObject({ drifted: 1, ok: 2 });
    expect(rollupExitCode(r)).toBe(1);
  });

  it('stacks: missing (listed, no report), stopped (stale), failing its selftest (a FAIL line), without one, ok', () => {
    const passed = { verdict: 'passed' as const, at: '2026-11-20T00:00:00Z', failed: [] };
    const failed = { verdict: 'failed' as const, at: '2026-11-21T00:00:00Z', failed: ['drill dr: access denied'] };
    const ok = line('111111111111', report([{ cache: 'a', tier: 'gold', rtos: [1] }]), {}, passed);
    const broken = line('222222222222', report([{ cache: 'a', tier: 'gold', rtos: [1] }]), {}, failed);
    const none = line('333333333333', report([{ cache: 'a', tier: 'gold', rtos: [1] }]));
    const stale = accountLine(
      parseReportKey(KEY('444444444444', '2026-11-01T0600'))!,
      report([{ cache: 'a', tier: 'gold' }], { until: '2026-11-01T06:00:00.000Z' }),
      NOW,
    );
    const missing = missingLine('555555555555', 'eu-central-1');
    expect([ok, broken, none, stale, missing].map((l) => [l.state, l.stack])).toEqual([
      ['ok', 'ok'],
      ['fail', 'selftest-failed'],
      ['ok', 'no-selftest'],
      ['stale', 'stopped'],
      ['missing', 'missing'],
    ]);
    expect(broken.why).toBe('selftest of 2026-11-21T00:00:00Z failed: drill dr: access denied');
    const r = rollUp([ok, broken, none, stale, missing], NOW);
    expect(r.stacks).toEqual({ ok: 1, 'no-selftest': 1, 'selftest-failed': 1, drifted: 0, stopped: 1, missing: 1 });
    // The missing account has no caches to count: the shares are over the caches of the reports there are.
    expect(r.caches).toBe(4);
    expect(rollupExitCode(r)).toBe(1);
    const text = rollupText(r);
    expect(text[5]).toBe('  stacks: 1 missing, 0 drifted (CloudFormation), 1 stopped reporting, 1 failing their selftest, 1 without a selftest, 1 ok');
    // What to act on first: MISSING before the stale FAIL before a failed control.
    expect(text.slice(6).map((t) => t.split(' ').slice(2, 4).join(' '))).toEqual(['MISSING 555555555555', 'FAIL 444444444444', 'FAIL 222222222222']);
  });

  it('a malformed record besides the newest reports is named and makes the exit 2; the lines are still judged', () => {
    const a = line('111111111111', report([{ cache: 'a', tier: 'gold', rtos: [1] }]));
    const r = rollUp([a], NOW, [{ key: '111111111111/eu-central-1/selftest/x.json', why: 'not a selftest record: kind: bad' }]);
    expect(rollupExitCode(r)).toBe(2);
    expect(rollupText(r)).toContain('  MALFORMED 111111111111/eu-central-1/selftest/x.json: not a selftest record: kind: bad');
    expect(r.caches).toBe(1);
    // A newest report whose drills are no list is malformed, named by the field.
    expect(line('222222222222', { ...report([]), caches: [{ facts: { cache: 'x' }, drills: 'x', controls: [] }] })).toMatchObject({
      state: 'malformed',
      why: expect.stringMatching(/^not a report: caches\.0\.drills: /),
    });
  });

  it('groups the reports per account and region: the newest judged, the older of 90 days read for drills, older ones left', () => {
    const keys = [KEY('111111111111', '2026-11-23T0600'), KEY('111111111111', '2026-11-16T0600'), KEY('111111111111', '2026-08-01T0600'), 'x/y.json'];
    expect(reportsPerAccount(keys, NOW).map((g) => [g.newest.key, g.older.map((k) => k.key)])).toEqual([[keys[0], [keys[1]]]]);
  });
});
