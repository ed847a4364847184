import type { ReportFacts } from '../../lambdas/domain/report/model.js';

/**
 * A month of a two-cache deployment, as the report tests (arithmetic,
 * rendering, the browser) read it: points every two hours with one outage,
 * daily DR copies (one corrupt), vault replicas, weekly drills in two
 * regions (one failed, RTO growing), an alarm episode and a collapse hold.
 */
export function monthOfFacts(): ReportFacts {
  const H = 3_600_000;
  const since = new Date('2026-10-01T00:00:00Z');
  const until = new Date('2026-11-01T00:00:00Z');
  const points = [];
  for (let t = since.getTime(); t < until.getTime(); t += 2 * H) {
    // The outage: 14 October 08:00–20:00 UTC.
    if (t > Date.parse('2026-10-14T07:00:00Z') && t < Date.parse('2026-10-14T21:00:00Z')) continue;
    points.push({
      name: `rdr-sessions-prod-${new Date(t).toISOString().slice(0, 16).replace(/[-:T]/g, '')}`,
      at: new Date(t),
      keys: 120_000 + ((t / H) % 97),
      tier: 'hourly',
    });
  }
  const days = Array.from({ length: 31 }, (_, d) => new Date(since.getTime() + d * 24 * H + 3 * H));
  const drCopies = days.map((at, d) => ({
    key: `sessions/${at.toISOString().slice(0, 10)}-0001.rdb`,
    at,
    verdict: d === 9 ? ('corrupt' as const) : ('ok' as const),
  }));
  const vaultCopies = days.map((at) => ({
    key: `vault/${at.toISOString().slice(0, 10)}.rdb`,
    at: new Date(at.getTime() + H),
    verdict: 'ok' as const,
    retainUntil: new Date(at.getTime() + 400 * 24 * H),
  }));
  const sundays = ['2026-10-04', '2026-10-11', '2026-10-18', '2026-10-25'];
  const drills = sundays.flatMap((day, i) => [
    {
      cache: 'sessions-prod',
      plan: 'sessions',
      region: 'eu-west-1',
      startedAt: new Date(`${day}T04:00:00Z`),
      passed: true,
      rtoSeconds: 840 + i * 60,
      phases: { create: 600 + i * 50, available: 120, verify: 120 + i * 10 },
      checks: [{ name: 'key-count', ok: true }],
    },
    {
      cache: 'sessions-prod',
      plan: 'sessions',
      region: 'eu-central-1',
      startedAt: new Date(`${day}T05:00:00Z`),
      passed: i !== 2,
      ...(i !== 2 ? { rtoSeconds: 900 + i * 70 } : {}),
      ...(i === 2 ? { reason: 'no verified recovery point' } : {}),
    },
  ]);
  return {
    deployment: 'prod',
    generatedAt: until,
    since,
    until,
    caches: [
      {
        cache: 'sessions-prod',
        plan: 'sessions',
        rpoMinutes: 210,
        timeZone: 'Europe/Berlin',
        retentionDays: 372,
        points,
        drCopies,
        drCopyLimitMinutes: 210 + 24 * 60,
        vaultCopies,
        rtoTargetSeconds: 2700,
      },
      {
        cache: 'queues-prod',
        plan: 'queues',
        rpoMinutes: 300,
        timeZone: 'UTC',
        retentionDays: 186,
        points: points.filter((_, i) => i % 2 === 0).map((p) => ({ ...p, name: p.name.replace('sessions', 'queues') })),
      },
    ],
    unprotected: ['scratch-dev'],
    unprotectable: [{ cache: 'tiered-prod', why: 'data tiering (r6gd): export to S3 is not supported' }],
    drills,
    alarms: [{ alarm: 'redis-dr-prod-recovery-point-age-sessions', from: new Date('2026-10-14T11:30:00Z'), to: new Date('2026-10-14T21:05:00Z') }],
    holds: [
      {
        cache: 'sessions-prod',
        point: 'rdr-sessions-prod-202610200200',
        since: new Date('2026-10-20T02:10:00Z'),
        reason: 'keys 120000 -> 12 (100 % fewer)',
        released: new Date('2026-10-20T09:00:00Z'),
      },
    ],
    minRetentionDays: 30,
  };
}
