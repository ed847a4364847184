import { describe, expect, it } from 'vitest';
import {
  ALL_TARGETS,
  drillRunOf,
  exportPrefixes,
  newestDrills,
  newestExported,
  reportedAge,
  type DrillRun,
} from '../../../../lambdas/domain/points/freshness.js';
import type { RecoveryPoint } from '../../../../lambdas/domain/plans/types.js';

const at = (iso: string) => new Date(iso);

function point(name: string, createdAt: string, overrides: Partial<RecoveryPoint> = {}): RecoveryPoint {
  return { name, source: 'rg-a', status: 'available', createdAt: at(createdAt), managed: true, ...overrides };
}

describe('newestExported', () => {
  const exported = { 'redis-dr:exported': '2026-11-21T04:00:00.000Z' };

  it('picks the newest available managed snapshot marked exported, not the newest snapshot', () => {
    const points = [
      point('rdr-rg-a-20261121-0900', '2026-11-21T09:00:42Z'),
      point('rdr-rg-a-20261121-0300', '2026-11-21T03:00:42Z'),
      point('rdr-rg-a-20261120-0300', '2026-11-20T03:00:42Z'),
    ];
    const tags = new Map([
      ['rdr-rg-a-20261121-0300', exported],
      ['rdr-rg-a-20261120-0300', exported],
    ]);
    expect(newestExported(points, tags)?.name).toBe('rdr-rg-a-20261121-0300');
  });

  it.each([
    ['another plan (not managed)', { managed: false }],
    ['not available', { status: 'deleting' }],
  ])('ignores an exported snapshot of %s', (_, overrides) => {
    const points = [point('rdr-rg-a-20261121-0300', '2026-11-21T03:00:42Z', overrides)];
    expect(newestExported(points, new Map([['rdr-rg-a-20261121-0300', exported]]))).toBeUndefined();
  });

  it('returns undefined when no snapshot carries the mark (or it is empty)', () => {
    const points = [point('rdr-rg-a-20261121-0300', '2026-11-21T03:00:42Z')];
    expect(newestExported(points, new Map())).toBeUndefined();
    expect(newestExported(points, new Map([['rdr-rg-a-20261121-0300', { 'redis-dr:exported': '' }]]))).toBeUndefined();
  });
});

describe('drillRunOf', () => {
  const stopDate = at('2026-11-21T08:00:00Z');
  const base = { executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:drill:x', stopDate };

  it.each([
    [
      'plan and deployment from the input, target from the output',
      { input: '{"plan":"sessions","deployment":"prod"}', output: '{"drill":{"choice":{"target":"rg-a"}}}' },
      { plan: 'sessions', deployment: 'prod', target: 'rg-a', stoppedAt: stopDate },
    ],
    [
      'the output alone (input unreadable)',
      { input: 'not json', output: '{"input":{"plan":"sessions","deployment":"prod"},"drill":{"choice":{"target":"rg-b"}}}' },
      { plan: 'sessions', deployment: 'prod', target: 'rg-b', stoppedAt: stopDate },
    ],
    [
      'no target when the output has no choice',
      { input: '{"plan":"sessions","deployment":"prod"}', output: '{"drill":{"choice":null}}' },
      { plan: 'sessions', deployment: 'prod', stoppedAt: stopDate },
    ],
  ])('%s', (_, io, expected) => {
    expect(drillRunOf({ ...base, ...io })).toEqual(expected);
  });

  it.each([
    ['no input or output', {}],
    ['an input without a plan', { input: '{"deployment":"prod"}' }],
    ['a plan that is not a string', { input: '{"plan":7}' }],
    ['an array input', { input: '["sessions"]' }],
  ])('returns undefined for %s', (_, io) => {
    expect(drillRunOf({ ...base, ...io })).toBeUndefined();
  });
});

describe('newestDrills', () => {
  const owner = { deployment: 'prod', plan: 'sessions' };
  const run = (stoppedAt: string, overrides: Partial<DrillRun> = {}): DrillRun => ({
    plan: 'sessions',
    deployment: 'prod',
    stoppedAt: at(stoppedAt),
    ...overrides,
  });

  it('keeps the newest run per target and over all targets', () => {
    const newest = newestDrills(
      [
        run('2026-11-20T08:00:00Z', { target: 'rg-a' }),
        run('2026-11-21T06:00:00Z', { target: 'rg-b' }),
        run('2026-11-21T08:00:00Z', { target: 'rg-a' }),
        run('2026-11-21T07:00:00Z'),
      ],
      owner,
    );
    expect(Object.fromEntries([...newest].map(([k, v]) => [k, v.toISOString()]))).toEqual({
      [ALL_TARGETS]: '2026-11-21T08:00:00.000Z',
      'rg-a': '2026-11-21T08:00:00.000Z',
      'rg-b': '2026-11-21T06:00:00.000Z',
    });
  });

  it('ignores runs of other plans and other deployments', () => {
    const newest = newestDrills(
      [run('2026-11-21T09:00:00Z', { plan: 'queues' }), run('2026-11-21T09:30:00Z', { deployment: 'staging', target: 'rg-a' })],
      owner,
    );
    expect(newest.size).toBe(0);
  });
});

describe('exportPrefixes', () => {
  it.each([
    [
      ['rg-b', 'RG-A', 'rg-a'],
      ['rdr-rg-a-', 'rdr-rg-b-'],
    ],
    [undefined, ['rdr-']],
    [[], []],
  ])('%j → %j', (ids, expected) => {
    expect(exportPrefixes(ids)).toEqual(expected);
  });
});

describe('reportedAge: grace until the first point is due, then the page', () => {
  // A weekly drill with maxHours 4: the drill-age alarm's limit (the alarm fires at >= limit).
  const limit = (7 * 24 + 4) * 3600;
  const created = at('2026-11-21T10:00:00Z');
  const later = (seconds: number) => new Date(created.getTime() + seconds * 1000);
  const alarms = (age: ReturnType<typeof reportedAge>) => age === undefined || age.seconds >= limit;

  it('before the first point is due: the time since protection started, under the limit (no page)', () => {
    const age = reportedAge(undefined, created, later(3 * 24 * 3600));
    expect(age).toEqual({ seconds: 3 * 24 * 3600, basis: 'protection-start' });
    expect(alarms(age)).toBe(false);
    expect(alarms(reportedAge(undefined, created, later(limit - 1)))).toBe(false);
  });

  it('once the first point is due and none exists: at the limit exactly, and past it (the page)', () => {
    expect(reportedAge(undefined, created, later(limit))).toEqual({ seconds: limit, basis: 'protection-start' });
    expect(alarms(reportedAge(undefined, created, later(limit)))).toBe(true);
    expect(alarms(reportedAge(undefined, created, later(30 * 24 * 3600)))).toBe(true);
  });

  it('with a point: its real age, whatever the protection start (a stale point is never hidden)', () => {
    const point = later(-30 * 24 * 3600);
    expect(reportedAge(point, created, later(3600))).toEqual({ seconds: 30 * 24 * 3600 + 3600, basis: 'point' });
    expect(alarms(reportedAge(point, created, later(3600)))).toBe(true);
    expect(reportedAge(later(60), created, later(3600))).toEqual({ seconds: 3540, basis: 'point' });
  });

  it('neither a point nor a start: no age (no data point; missing data pages)', () => {
    expect(reportedAge(undefined, undefined, later(60))).toBeUndefined();
  });

  it('a start later than the run (clock skew) counts as age 0, never negative', () => {
    expect(reportedAge(undefined, later(120), later(60))).toEqual({ seconds: 0, basis: 'protection-start' });
  });
});
