import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSnapshotName } from '../../../../lambdas/domain/plans/naming.js';
import { selectExpired, type HoldReason, type RetentionDecision } from '../../../../lambdas/domain/plans/retention.js';
import { calendarParts, classifyTier } from '../../../../lambdas/domain/plans/tier.js';
import type { RecoveryPoint, RetentionPolicy, Tier } from '../../../../lambdas/domain/plans/types.js';

const SOURCE = 'orders';
const NOW = new Date('2026-05-13T12:30:00Z'); // a Wednesday

/** Nothing kept by tier; one newest point always kept; 2 h RPO; UTC. */
const BASE_POLICY: RetentionPolicy = {
  hourly: 0,
  daily: 0,
  weekly: 0,
  monthly: 0,
  minKeep: 1,
  rpoMinutes: 120,
  timeZone: 'UTC',
};

type PointSpec = Partial<Omit<RecoveryPoint, 'createdAt'>>;

/** A managed, available point of SOURCE taken at `minute` (`YYYY-MM-DDTHH:MM`, UTC). */
function rp(minute: string, spec: PointSpec = {}): RecoveryPoint {
  const createdAt = new Date(`${minute}:00Z`);
  return { name: formatSnapshotName(SOURCE, createdAt), source: SOURCE, status: 'available', createdAt, managed: true, ...spec };
}

/** Label of a point in the tables: its custom name, else its minute. */
function label(point: RecoveryPoint): string {
  return point.name.startsWith('rdr-') ? point.createdAt.toISOString().slice(0, 16) : point.name;
}

function labels(decision: RetentionDecision): { hold?: HoldReason; keep: string[]; delete: string[]; ignored: string[] } {
  return {
    ...(decision.hold === undefined ? {} : { hold: decision.hold.reason }),
    keep: decision.keep.map((e) => label(e.point)),
    delete: decision.delete.map((e) => label(e.point)),
    ignored: decision.ignored.map((e) => label(e.point)),
  };
}

interface Row {
  readonly points: readonly RecoveryPoint[];
  readonly policy?: Partial<RetentionPolicy>;
  readonly now?: Date;
  readonly expected: { hold?: HoldReason; keep: string[]; delete: string[]; ignored: string[] };
}

// Daily history around Sunday 10 / Monday 11 May 2026 (UTC). Computed tiers:
// 10T10 monthly (first), 10T22 hourly, 11T10 weekly, 11T22 hourly,
// 12T10 daily, 12T22 hourly, 13T10 daily, 13T12 hourly.
const WEEK = [
  rp('2026-05-10T10:00'),
  rp('2026-05-10T22:00'),
  rp('2026-05-11T10:00'),
  rp('2026-05-11T22:00'),
  rp('2026-05-12T10:00'),
  rp('2026-05-12T22:00'),
  rp('2026-05-13T10:00'),
  rp('2026-05-13T12:00'),
];

describe('selectExpired rules and safety rails', () => {
  const rows: [string, Row][] = [
    [
      'keeps the newest minKeep snapshots even when all are expired',
      {
        points: [rp('2025-01-01T00:00'), rp('2025-01-01T01:00'), rp('2025-01-01T02:00'), rp('2025-01-01T03:00')],
        policy: { minKeep: 3, rpoMinutes: 10_000_000 },
        expected: { keep: ['2025-01-01T03:00', '2025-01-01T02:00', '2025-01-01T01:00'], delete: ['2025-01-01T00:00'], ignored: [] },
      },
    ],
    [
      'keeps only the newest snapshot when every tier count is 0 and minKeep is 1',
      {
        points: [rp('2026-05-13T10:00'), rp('2026-05-13T11:00'), rp('2026-05-13T12:00')],
        expected: { keep: ['2026-05-13T12:00'], delete: ['2026-05-13T11:00', '2026-05-13T10:00'], ignored: [] },
      },
    ],
    [
      'deletes nothing when the newest snapshot failed',
      {
        points: [rp('2026-05-13T10:00'), rp('2026-05-13T11:00'), rp('2026-05-13T12:00', { status: 'failed' })],
        expected: { hold: 'newest-failed', keep: ['2026-05-13T12:00', '2026-05-13T11:00', '2026-05-13T10:00'], delete: [], ignored: [] },
      },
    ],
    [
      'deletes nothing when the newest snapshot failed, even if that snapshot is unmanaged',
      {
        points: [rp('2026-05-13T11:00'), rp('2026-05-13T12:00'), rp('2026-05-13T12:10', { status: 'failed', managed: false })],
        expected: { hold: 'newest-failed', keep: ['2026-05-13T12:00', '2026-05-13T11:00'], delete: [], ignored: ['2026-05-13T12:10'] },
      },
    ],
    [
      'deletes nothing when the newest recovery point is older than the RPO',
      {
        points: [rp('2026-05-13T09:00'), rp('2026-05-13T10:00')],
        expected: { hold: 'newest-stale', keep: ['2026-05-13T10:00', '2026-05-13T09:00'], delete: [], ignored: [] },
      },
    ],
    [
      'deletes nothing when the newest recovery point is one minute past the RPO',
      {
        points: [rp('2026-05-13T08:00'), rp('2026-05-13T10:29')],
        expected: { hold: 'newest-stale', keep: ['2026-05-13T10:29', '2026-05-13T08:00'], delete: [], ignored: [] },
      },
    ],
    [
      'prunes when the newest recovery point is exactly as old as the RPO',
      {
        points: [rp('2026-05-13T08:00'), rp('2026-05-13T10:30')],
        expected: { keep: ['2026-05-13T10:30'], delete: ['2026-05-13T08:00'], ignored: [] },
      },
    ],
    [
      'deletes nothing when the target has no available snapshot',
      {
        points: [rp('2026-05-13T11:00', { status: 'failed' }), rp('2026-05-13T12:00', { status: 'failed' })],
        expected: { hold: 'no-available-point', keep: ['2026-05-13T12:00', '2026-05-13T11:00'], delete: [], ignored: [] },
      },
    ],
    [
      'holds a target whose only snapshot is still being created',
      {
        points: [rp('2026-05-13T12:00', { status: 'creating' })],
        expected: { hold: 'no-available-point', keep: [], delete: [], ignored: ['2026-05-13T12:00'] },
      },
    ],
    ['holds a target with no snapshots at all', { points: [], expected: { hold: 'no-available-point', keep: [], delete: [], ignored: [] } }],
    [
      'never deletes a snapshot without the managed tag',
      {
        points: [
          rp('2026-05-01T00:00', { managed: false }),
          rp('2026-05-02T00:00', { managed: false, status: 'failed' }),
          rp('2026-05-13T10:00'),
          rp('2026-05-13T11:00'),
          rp('2026-05-13T12:00'),
        ],
        expected: {
          keep: ['2026-05-13T12:00'],
          delete: ['2026-05-13T11:00', '2026-05-13T10:00'],
          ignored: ['2026-05-02T00:00', '2026-05-01T00:00'],
        },
      },
    ],
    [
      'counts a fresh unmanaged snapshot as a recovery point for the RPO rail',
      {
        points: [rp('2026-05-13T08:00'), rp('2026-05-13T09:00'), rp('2026-05-13T12:00', { managed: false })],
        expected: { keep: ['2026-05-13T09:00'], delete: ['2026-05-13T08:00'], ignored: ['2026-05-13T12:00'] },
      },
    ],
    [
      'never deletes a snapshot that is being created, deleted or exported',
      {
        points: [
          rp('2026-05-01T00:00', { status: 'deleting' }),
          rp('2026-05-01T01:00', { status: 'exporting' }),
          rp('2026-05-13T11:00'),
          rp('2026-05-13T12:00'),
          rp('2026-05-13T12:20', { status: 'creating' }),
        ],
        expected: {
          keep: ['2026-05-13T12:00'],
          delete: ['2026-05-13T11:00'],
          ignored: ['2026-05-13T12:20', '2026-05-01T01:00', '2026-05-01T00:00'],
        },
      },
    ],
    [
      'keeps the newest N snapshots for the hourly count',
      {
        points: ['08', '09', '10', '11', '12'].map((h) => rp(`2026-05-13T${h}:00`)),
        policy: { hourly: 3 },
        expected: { keep: ['2026-05-13T12:00', '2026-05-13T11:00', '2026-05-13T10:00'], delete: ['2026-05-13T09:00', '2026-05-13T08:00'], ignored: [] },
      },
    ],
    [
      'keeps the newest N daily-or-higher snapshots for the daily count (a weekly point counts as daily)',
      {
        points: WEEK,
        policy: { daily: 3 },
        expected: {
          keep: ['2026-05-13T12:00', '2026-05-13T10:00', '2026-05-12T10:00', '2026-05-11T10:00'],
          delete: ['2026-05-12T22:00', '2026-05-11T22:00', '2026-05-10T22:00', '2026-05-10T10:00'],
          ignored: [],
        },
      },
    ],
    [
      'keeps the newest N weekly-or-higher snapshots for the weekly count',
      {
        points: WEEK,
        policy: { weekly: 2 },
        expected: {
          keep: ['2026-05-13T12:00', '2026-05-11T10:00', '2026-05-10T10:00'],
          delete: ['2026-05-13T10:00', '2026-05-12T22:00', '2026-05-12T10:00', '2026-05-11T22:00', '2026-05-10T22:00'],
          ignored: [],
        },
      },
    ],
    [
      'keeps the newest N first-of-month snapshots for the monthly count',
      {
        points: [rp('2026-03-15T10:00'), rp('2026-04-02T10:00'), rp('2026-04-20T10:00'), rp('2026-05-05T10:00'), rp('2026-05-13T12:00')],
        policy: { monthly: 2 },
        expected: {
          keep: ['2026-05-13T12:00', '2026-05-05T10:00', '2026-04-02T10:00'],
          delete: ['2026-04-20T10:00', '2026-03-15T10:00'],
          ignored: [],
        },
      },
    ],
    [
      'computes tiers in the plan time zone (Kolkata: 18:45Z on 31 March is already April)',
      {
        points: [rp('2026-03-31T18:00'), rp('2026-03-31T18:45'), rp('2026-03-31T19:00')],
        policy: { monthly: 1, timeZone: 'Asia/Kolkata' },
        now: new Date('2026-03-31T19:30:00Z'),
        expected: { keep: ['2026-03-31T19:00', '2026-03-31T18:45'], delete: ['2026-03-31T18:00'], ignored: [] },
      },
    ],
    [
      'uses the tier tag instead of the computed tier (a tagged monthly point is kept as monthly)',
      {
        points: [rp('2026-05-13T10:00'), rp('2026-05-13T11:00', { tier: 'monthly' }), rp('2026-05-13T12:00')],
        policy: { monthly: 1 },
        expected: { keep: ['2026-05-13T12:00', '2026-05-13T11:00'], delete: ['2026-05-13T10:00'], ignored: [] },
      },
    ],
    [
      'uses the tier tag instead of the computed tier (a first point tagged hourly is not monthly)',
      {
        points: [rp('2026-05-13T10:00', { tier: 'hourly' }), rp('2026-05-13T12:00')],
        policy: { monthly: 1 },
        expected: { keep: ['2026-05-13T12:00'], delete: ['2026-05-13T10:00'], ignored: [] },
      },
    ],
    [
      'does not let an unmanaged snapshot take the monthly slot of a managed one',
      {
        points: [rp('2026-05-01T00:10', { managed: false }), rp('2026-05-01T01:00'), rp('2026-05-01T02:00'), rp('2026-05-13T12:00')],
        policy: { monthly: 1, minKeep: 1 },
        expected: { keep: ['2026-05-13T12:00', '2026-05-01T01:00'], delete: ['2026-05-01T02:00'], ignored: ['2026-05-01T00:10'] },
      },
    ],
    [
      'deletes failed snapshots once a newer snapshot is available',
      {
        points: [rp('2026-05-13T10:00', { status: 'failed' }), rp('2026-05-13T11:00'), rp('2026-05-13T12:00')],
        policy: { minKeep: 2 },
        expected: { keep: ['2026-05-13T12:00', '2026-05-13T11:00'], delete: ['2026-05-13T10:00'], ignored: [] },
      },
    ],
    [
      'breaks ties on creation time by name',
      {
        points: [rp('2026-05-13T12:00', { name: 'manual-a' }), rp('2026-05-13T12:00', { name: 'manual-b' })],
        expected: { keep: ['manual-b'], delete: ['manual-a'], ignored: [] },
      },
    ],
    [
      'holds everything while the newest point is a keyspace collapse',
      {
        points: [rp('2026-05-13T10:00'), rp('2026-05-13T11:00'), rp('2026-05-13T12:00', { collapsed: true })],
        expected: { hold: 'newest-collapsed', keep: ['2026-05-13T12:00', '2026-05-13T11:00', '2026-05-13T10:00'], delete: [], ignored: [] },
      },
    ],
    [
      'prunes again once a good point follows the collapse, but never a held point (without keepCollapsed: no caller leaves it off since rev35)',
      {
        points: [
          rp('2026-05-13T09:00', { held: 'keyspace-collapsed:x' }),
          rp('2026-05-13T10:00', { held: 'keyspace-collapsed:x' }),
          rp('2026-05-13T11:00', { collapsed: true }),
          rp('2026-05-13T12:00'),
        ],
        expected: { keep: ['2026-05-13T12:00', '2026-05-13T10:00', '2026-05-13T09:00'], delete: ['2026-05-13T11:00'], ignored: [] },
      },
    ],
    [
      'keeps an active collapsed point past its tiers until it is released (its mark is what pages and holds), not a released one',
      {
        points: [
          rp('2026-05-13T08:00', { collapsed: true }),
          rp('2026-05-13T09:00'),
          rp('2026-05-13T10:00', { held: 'keyspace-collapsed:x' }),
          rp('2026-05-13T11:00', { keys: 0, accepted: true }),
          rp('2026-05-13T12:00'),
        ],
        policy: { keepCollapsed: true },
        expected: { keep: ['2026-05-13T12:00', '2026-05-13T10:00', '2026-05-13T08:00'], delete: ['2026-05-13T11:00', '2026-05-13T09:00'], ignored: [] },
      },
    ],
    [
      'keeps a point whose hold has expired (an expiry is a date to decide by, never a deletion) until it is released',
      {
        points: [
          rp('2026-05-13T09:00', { held: 'held until=2026-05-01T00:00:00Z by=ops@host reason=legal hold' }),
          rp('2026-05-13T10:00', { held: 'keyspace-collapsed:x until=2026-05-01T00:00:00Z' }),
          rp('2026-05-13T11:00'),
          rp('2026-05-13T12:00'),
        ],
        expected: { keep: ['2026-05-13T12:00', '2026-05-13T10:00', '2026-05-13T09:00'], delete: ['2026-05-13T11:00'], ignored: [] },
      },
    ],
    [
      'holds everything while the newest point is unproven (never read back)',
      {
        points: [rp('2026-05-13T10:00'), rp('2026-05-13T11:00'), rp('2026-05-13T12:00', { unproven: true })],
        expected: { hold: 'newest-unproven', keep: ['2026-05-13T12:00', '2026-05-13T11:00', '2026-05-13T10:00'], delete: [], ignored: [] },
      },
    ],
    [
      'an unproven point does not count towards minKeep',
      {
        points: [rp('2026-05-13T09:00'), rp('2026-05-13T10:00'), rp('2026-05-13T11:00', { unproven: true }), rp('2026-05-13T12:00')],
        policy: { minKeep: 2 },
        expected: { keep: ['2026-05-13T12:00', '2026-05-13T11:00', '2026-05-13T10:00'], delete: ['2026-05-13T09:00'], ignored: [] },
      },
    ],
  ];

  it.each(rows)('%s', (_name, row) => {
    const decision = selectExpired(row.points, { ...BASE_POLICY, ...row.policy }, row.now ?? NOW);
    expect(labels(decision)).toEqual(row.expected);
  });

  it('gives the same answer whatever the input order', () => {
    const forward = selectExpired(WEEK, { ...BASE_POLICY, daily: 2, weekly: 1 }, NOW);
    const backward = selectExpired([...WEEK].reverse(), { ...BASE_POLICY, daily: 2, weekly: 1 }, NOW);
    expect(labels(backward)).toEqual(labels(forward));
  });
});

describe('selectExpired reasons', () => {
  it('lists every rule that keeps a point', () => {
    const decision = selectExpired([rp('2026-05-13T12:00')], { ...BASE_POLICY, hourly: 1, daily: 1, weekly: 1, monthly: 1 }, NOW);
    expect(decision.keep[0]?.reasons).toEqual([
      'hourly: 1st newest of 1 kept',
      'daily: 1st newest of 1 kept',
      'weekly: 1st newest of 1 kept',
      'monthly: 1st newest of 1 kept',
      'minKeep: 1st newest of 1 always kept',
    ]);
  });

  it.each([
    [0, 'daily: 1st newest of 7 kept'],
    [1, 'daily: 2nd newest of 7 kept'],
    [2, 'daily: 3rd newest of 7 kept'],
    [3, 'daily: 4th newest of 7 kept'],
  ])('states the rank of a kept point in its tier (position %i → %s)', (index, reason) => {
    const days = Array.from({ length: 10 }, (_, i) => rp(`2026-05-${String(4 + i).padStart(2, '0')}T00:00`));
    const decision = selectExpired(days, { ...BASE_POLICY, daily: 7 }, new Date('2026-05-13T00:30:00Z'));
    expect(decision.keep[index]?.reasons).toContain(reason);
  });

  it('names the newest available snapshot when deleting a failed one', () => {
    const decision = selectExpired([rp('2026-05-13T10:00', { status: 'failed' }), rp('2026-05-13T12:00')], BASE_POLICY, NOW);
    expect(decision.delete).toEqual([
      { point: expect.objectContaining({ name: 'rdr-orders-20260513-1000' }), reason: 'failed snapshot, superseded by rdr-orders-20260513-1200' },
    ]);
  });

  it.each([
    [undefined, 'computed'],
    ['weekly' as const, 'tag'],
  ])('names the effective tier (%s → from %s) and the policy counts when deleting an expired point', (tier, from) => {
    const decision = selectExpired([rp('2026-05-13T10:00', { tier }), rp('2026-05-13T12:00')], { ...BASE_POLICY, hourly: 1 }, NOW);
    const expectedTier = tier ?? 'monthly';
    expect(decision.delete[0]?.reason).toBe(
      `expired: effective tier ${expectedTier} (${from}) is beyond retention; policy keeps hourly=1 daily=0 weekly=0 monthly=0 minKeep=1`,
    );
  });

  it.each<[string, RecoveryPoint[], string]>([
    [
      'newest-failed',
      [rp('2026-05-13T11:00'), rp('2026-05-13T12:00', { status: 'failed' })],
      'newest snapshot rdr-orders-20260513-1200 failed 30m ago; newest available is rdr-orders-20260513-1100, taken 1h 30m ago',
    ],
    ['newest-stale', [rp('2026-05-11T10:00')], 'newest available snapshot rdr-orders-20260511-1000 was taken 2d 2h 30m ago, beyond the RPO of 120 minutes'],
    [
      'no-available-point',
      [rp('2026-05-13T11:00', { status: 'failed' }), rp('2026-05-13T12:00', { status: 'failed' })],
      'no available snapshot: all 2 finished snapshot(s) failed; the newest, rdr-orders-20260513-1200, failed 30m ago',
    ],
  ])('explains a %s hold with the snapshot name and its age', (reason, points, detail) => {
    const decision = selectExpired(points, BASE_POLICY, NOW);
    expect(decision.hold).toEqual({ reason, detail });
    for (const entry of decision.keep) {
      expect(entry.reasons).toEqual([`hold (${reason}): nothing is pruned while backups of this target are not healthy`]);
    }
  });

  it.each([
    [{ managed: false }, 'not managed by redis-dr (no redis-dr:managed=true tag)'],
    [{ status: 'creating' }, 'in progress (status "creating"); only available or failed snapshots are pruned'],
    [{ status: 'exporting', managed: false }, 'not managed by redis-dr (no redis-dr:managed=true tag)'],
  ])('explains why a point %j is ignored', (spec, reason) => {
    const decision = selectExpired([rp('2026-05-13T11:00', spec), rp('2026-05-13T12:00')], BASE_POLICY, NOW);
    expect(decision.ignored.map((e) => e.reason)).toEqual([reason]);
  });
});

describe('selectExpired: the drain watch', () => {
  const policy = { ...BASE_POLICY, rpoMinutes: 600 };
  it('keeps the fullest counted point of the last 7 days while the newest holds fewer keys, and says why', () => {
    const points = [rp('2026-05-13T09:00', { keys: 100_000 }), rp('2026-05-13T10:00', { keys: 60_000 }), rp('2026-05-13T11:00', { keys: 36_000 })];
    const decision = selectExpired(points, policy, NOW);
    expect(labels(decision)).toEqual({ keep: ['2026-05-13T11:00', '2026-05-13T09:00'], delete: ['2026-05-13T10:00'], ignored: [] });
    expect(decision.keep[1]!.reasons).toEqual([
      expect.stringMatching(/^drain watch: the fullest point of the last 7 days \(100000 keys\), kept while the newest, .* holds fewer \(36000\)/),
    ]);
  });
  it.each<[string, RecoveryPoint[], string[]]>([
    ['the newest is the fullest', [rp('2026-05-13T09:00', { keys: 100 }), rp('2026-05-13T10:00', { keys: 100 })], ['2026-05-13T10:00']],
    ['the fuller point is older than 7 days', [rp('2026-05-05T09:00', { keys: 100 }), rp('2026-05-13T10:00', { keys: 10 })], ['2026-05-13T10:00']],
    [
      'an accepted collapse came after it',
      [rp('2026-05-13T08:00', { keys: 100 }), rp('2026-05-13T09:00', { keys: 10, accepted: true }), rp('2026-05-13T10:00', { keys: 9 })],
      ['2026-05-13T10:00', '2026-05-13T09:00'],
    ],
    ['points never counted', [rp('2026-05-13T09:00'), rp('2026-05-13T10:00')], ['2026-05-13T10:00']],
  ])('keeps nothing extra when %s', (_what, points, keep) => {
    expect(labels(selectExpired(points, policy, NOW)).keep).toEqual(keep);
  });
});

describe('selectExpired input validation', () => {
  it.each<[string, Partial<RetentionPolicy>, RegExp]>([
    ['a negative count', { daily: -1 }, /policy\.daily must be an integer >= 0, got -1/],
    ['a fractional count', { hourly: 1.5 }, /policy\.hourly must be an integer >= 0, got 1\.5/],
    ['minKeep 0', { minKeep: 0 }, /policy\.minKeep must be >= 1 .*got 0/],
    ['a zero RPO', { rpoMinutes: 0 }, /policy\.rpoMinutes must be a positive number of minutes, got 0/],
    ['an unknown time zone', { timeZone: 'Europe/Atlantis' }, /IANA time zone.*"Europe\/Atlantis"/],
  ])('throws before deciding anything on %s', (_name, policy, message) => {
    expect(() => selectExpired([rp('2026-05-13T12:00')], { ...BASE_POLICY, ...policy }, NOW)).toThrow(message);
  });

  it('throws when points of several targets are mixed', () => {
    const other = { ...rp('2026-05-13T11:00'), source: 'payments', name: 'rdr-payments-20260513-1100' };
    expect(() => selectExpired([rp('2026-05-13T12:00'), other], BASE_POLICY, NOW)).toThrow(
      /one source, got "orders" and "payments" \(rdr-payments-20260513-1100\)/,
    );
  });

  it('throws on an invalid now', () => {
    expect(() => selectExpired([], BASE_POLICY, new Date(Number.NaN))).toThrow(/now must be a valid Date/);
  });
});

describe('selectExpired on a realistic 90-day hourly history', () => {
  const zone = 'Europe/Berlin'; // crosses the 2026-03-29 DST change
  const policy: RetentionPolicy = { hourly: 24, daily: 7, weekly: 4, monthly: 3, minKeep: 3, rpoMinutes: 90, timeZone: zone };
  const start = Date.UTC(2026, 0, 1, 0, 0);
  const times = Array.from({ length: 90 * 24 }, (_, i) => new Date(start + i * 3_600_000)); // up to 2026-03-31T23:00Z
  const now = new Date('2026-04-01T00:10:00Z');

  // Tiers as the snapshot Lambda would tag them at creation time.
  const tiers: Tier[] = times.map((at, i) => classifyTier(i === 0 ? undefined : times[i - 1], at, zone));
  const tagged = times.map(
    (at, i): RecoveryPoint => ({
      name: formatSnapshotName(SOURCE, at),
      source: SOURCE,
      status: 'available',
      createdAt: at,
      managed: true,
      tier: tiers[i],
    }),
  );
  const untagged = tagged.map(({ tier: _tier, ...rest }): RecoveryPoint => rest);

  /** Independent oracle: the first point of each calendar key, by key. */
  function firstsBy(key: (at: Date) => string): Set<number> {
    const seen = new Set<string>();
    const firsts = new Set<number>();
    times.forEach((at, i) => {
      const k = key(at);
      if (!seen.has(k)) firsts.add(i);
      seen.add(k);
    });
    return firsts;
  }
  const parts = (at: Date) => calendarParts(at, zone);
  const monthFirsts = firstsBy((at) => `${parts(at).year}-${parts(at).month}`);
  const weekFirsts = firstsBy((at) => `${parts(at).isoYear}-W${parts(at).isoWeek}`);
  const dayFirsts = firstsBy((at) => `${parts(at).year}-${parts(at).month}-${parts(at).day}`);
  const newest = (indices: Iterable<number>, n: number): number[] => [...indices].sort((a, b) => b - a).slice(0, n);
  const expectedKept = new Set([
    ...newest(times.keys(), policy.hourly),
    ...newest(new Set([...dayFirsts, ...weekFirsts, ...monthFirsts]), policy.daily),
    ...newest(new Set([...weekFirsts, ...monthFirsts]), policy.weekly),
    ...newest(monthFirsts, policy.monthly),
    ...newest(times.keys(), policy.minKeep),
  ]);

  it.each([
    ['tagged at creation', tagged],
    ['untagged (tiers computed by selectExpired)', untagged],
  ])('keeps exactly the union of the tier selections when points are %s', (_name, points) => {
    const decision = selectExpired(points, policy, now);
    expect(decision.hold).toBeUndefined();
    // 24 hourly + 6 more daily + 2 more weekly (Mon 23 and 16 Mar) + 2 more monthly (1 Mar, 1 Feb).
    expect(expectedKept.size).toBe(34);
    expect(decision.keep).toHaveLength(34);
    expect(new Set(decision.keep.map((e) => e.point.name))).toEqual(new Set([...expectedKept].map((i) => tagged[i]!.name)));
    expect(decision.delete).toHaveLength(times.length - 34);
    expect(decision.ignored).toHaveLength(0);
  });

  it('keeps the first point of April (01:00 CEST) as the newest monthly', () => {
    const decision = selectExpired(untagged, policy, now);
    const april = decision.keep.find((e) => e.point.name === 'rdr-orders-20260331-2200');
    expect(april?.reasons).toEqual([
      'hourly: 2nd newest of 24 kept',
      'daily: 1st newest of 7 kept',
      'weekly: 1st newest of 4 kept',
      'monthly: 1st newest of 3 kept',
      'minKeep: 2nd newest of 3 always kept',
    ]);
  });

  it('deletes nothing more when run again on what it kept', () => {
    const first = selectExpired(untagged, policy, now);
    const second = selectExpired(
      first.keep.map((e) => e.point),
      policy,
      now,
    );
    expect(second.delete).toEqual([]);
    expect(second.keep).toHaveLength(34);
  });
});

describe('selectExpired properties', () => {
  const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'Australia/Lord_Howe'];
  const STATUSES = ['available', 'available', 'available', 'available', 'failed', 'creating', 'deleting', 'exporting'];

  const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record({
    hourly: fc.integer({ min: 0, max: 30 }),
    daily: fc.integer({ min: 0, max: 10 }),
    weekly: fc.integer({ min: 0, max: 6 }),
    monthly: fc.integer({ min: 0, max: 4 }),
    minKeep: fc.integer({ min: 1, max: 5 }),
    rpoMinutes: fc.constantFrom(60, 240, 1440, 1_000_000),
    timeZone: fc.constantFrom(...ZONES),
  });

  const specArb = fc.record({
    // Dense recent points (same hour/day) mixed with sparse ones over 4 months.
    minutesAgo: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 120 * 24 * 60 })),
    status: fc.constantFrom(...STATUSES),
    managed: fc.constantFrom(true, true, true, false),
    tagged: fc.boolean(),
    randomTag: fc.constantFrom<Tier>('hourly', 'daily', 'weekly', 'monthly'),
  });

  /**
   * How available managed points carry `redis-dr:tier`:
   * - `history`: some tagged, each tag being the tier computed over the
   *   managed available history (what the snapshot Lambda writes);
   * - `all-arbitrary`: every one tagged, with any tier;
   * - `some-arbitrary`: some tagged, with any tier (tags contradict the history).
   */
  type TagMode = 'history' | 'all-arbitrary' | 'some-arbitrary';

  /**
   * Points of one source plus a policy and a clock. Most scenarios end with a
   * healthy snapshot taken just now, so pruning is not always on hold.
   */
  const scenarioArb = (...modes: TagMode[]) =>
    fc
      .tuple(
        fc.uniqueArray(specArb, { selector: (s) => s.minutesAgo, maxLength: 60 }),
        fc.constantFrom(true, true, false), // a fresh managed available point at `now`
        fc.constantFrom(...modes),
        policyArb,
        fc.date({ min: new Date('2026-01-01'), max: new Date('2027-12-31'), noInvalidDate: true }),
      )
      .map(([specs, fresh, mode, policy, now]) => {
        const anchor = fresh ? [{ minutesAgo: 0, status: 'available', managed: true, tagged: false, randomTag: 'daily' as Tier }] : [];
        const chronological = [...specs, ...anchor].sort((a, b) => b.minutesAgo - a.minutesAgo);
        let previous: Date | undefined;
        const points = chronological.map((s): RecoveryPoint => {
          const createdAt = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - s.minutesAgo * 60_000);
          const point: RecoveryPoint = { name: formatSnapshotName(SOURCE, createdAt), source: SOURCE, status: s.status, createdAt, managed: s.managed };
          if (s.status !== 'available' || !s.managed) return point;
          const computed = classifyTier(previous, createdAt, policy.timeZone);
          previous = createdAt;
          if (mode === 'all-arbitrary') return { ...point, tier: s.randomTag };
          if (!s.tagged) return point;
          return { ...point, tier: mode === 'history' ? computed : s.randomTag };
        });
        return { points, policy, now };
      });
  const anyScenario = scenarioArb('history', 'all-arbitrary', 'some-arbitrary');

  const isSettled = (p: RecoveryPoint): boolean => p.status === 'available' || p.status === 'failed';
  const byNewest = (a: RecoveryPoint, b: RecoveryPoint): number => b.createdAt.getTime() - a.createdAt.getTime() || (a.name < b.name ? 1 : -1);

  it('puts every point in exactly one of keep, delete and ignored, each sorted newest first', () => {
    fc.assert(
      fc.property(anyScenario, ({ points, policy, now }) => {
        const decision = selectExpired(points, policy, now);
        const lists = [decision.keep, decision.delete, decision.ignored];
        const all = lists.flatMap((list) => list.map((e) => e.point));
        expect(all).toHaveLength(points.length);
        expect(new Set(all)).toEqual(new Set(points));
        for (const list of lists) {
          expect(list.map((e) => e.point)).toEqual([...list.map((e) => e.point)].sort(byNewest));
        }
        for (const entry of decision.keep) expect(entry.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('never deletes unmanaged or in-progress points', () => {
    fc.assert(
      fc.property(anyScenario, ({ points, policy, now }) => {
        const decision = selectExpired(points, policy, now);
        for (const { point } of decision.delete) {
          expect(point.managed).toBe(true);
          expect(isSettled(point)).toBe(true);
        }
        const ignored = new Set(decision.ignored.map((e) => e.point));
        for (const point of points) {
          if (!point.managed || !isSettled(point)) expect(ignored.has(point)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never deletes any of the newest minKeep available managed points', () => {
    fc.assert(
      fc.property(anyScenario, ({ points, policy, now }) => {
        const decision = selectExpired(points, policy, now);
        const protectedPoints = points
          .filter((p) => p.managed && p.status === 'available')
          .sort(byNewest)
          .slice(0, policy.minKeep);
        const deleted = new Set(decision.delete.map((e) => e.point));
        for (const point of protectedPoints) expect(deleted.has(point)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('deletes nothing on hold, and holds exactly when the newest settled point is failed, stale or missing', () => {
    fc.assert(
      fc.property(anyScenario, ({ points, policy, now }) => {
        const decision = selectExpired(points, policy, now);
        const settled = points.filter(isSettled).sort(byNewest);
        const newest = settled[0];
        const shouldHold = newest === undefined || newest.status === 'failed' || now.getTime() - newest.createdAt.getTime() > policy.rpoMinutes * 60_000;
        expect(decision.hold !== undefined).toBe(shouldHold);
        if (decision.hold !== undefined) expect(decision.delete).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  // Idempotence needs tags that agree with the history (or on every point):
  // deleting an untagged point's predecessor can raise its computed tier, and
  // a contradicting tag on a deleted point would have hidden that boundary.
  it('deletes nothing more when run again on keep + ignored (idempotence)', () => {
    fc.assert(
      fc.property(scenarioArb('history', 'all-arbitrary'), ({ points, policy, now }) => {
        const first = selectExpired(points, policy, now);
        const survivors = [...first.keep, ...first.ignored].map((e) => e.point);
        const second = selectExpired(survivors, policy, now);
        expect(second.delete).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('selectExpired: the DR export rail', () => {
  // Newest first: an hourly point, then two daily ones; only the older daily one has its DR copy.
  const points = [
    rp('2026-05-13T12:00', { tier: 'hourly' }),
    rp('2026-05-13T00:00', { tier: 'daily' }),
    rp('2026-05-12T00:00', { tier: 'daily', exported: true }),
  ];

  it('never prunes the newest snapshot due for a DR copy whose export has not finished', () => {
    const decision = selectExpired(points, { ...BASE_POLICY, exportMinTier: 'daily' }, NOW);
    expect(labels(decision)).toEqual({ keep: ['2026-05-13T12:00', '2026-05-13T00:00'], delete: ['2026-05-12T00:00'], ignored: [] });
    expect(decision.keep[1]!.reasons).toEqual(['export pending: the newest snapshot due for a DR copy (tier daily or higher) whose export has not finished']);
  });

  it('a plan that does not export, or whose pending snapshot is below the export tier, prunes as before', () => {
    expect(labels(selectExpired(points, BASE_POLICY, NOW)).delete).toEqual(['2026-05-13T00:00', '2026-05-12T00:00']);
    expect(labels(selectExpired(points, { ...BASE_POLICY, exportMinTier: 'weekly' }, NOW)).delete).toEqual(['2026-05-13T00:00', '2026-05-12T00:00']);
  });

  it('once the export finished, the snapshot is pruned like any other', () => {
    const done = points.map((p) => ({ ...p, exported: true }));
    expect(labels(selectExpired(done, { ...BASE_POLICY, exportMinTier: 'daily' }, NOW)).delete).toEqual(['2026-05-13T00:00', '2026-05-12T00:00']);
  });
});
