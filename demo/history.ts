/**
 * The month before a demo run, simulated, so that the demo's DR report shows
 * what a month of a deployment looks like (every chart a trend): the plan's
 * schedule for 30 days with its recovery points, a DR copy
 * per exported point (one found corrupt), weekly drills (one failed, the RTO
 * drifting up), a keyspace collapse held and released, and, with a vault,
 * its replicas under COMPLIANCE. Seeded: the same run start gives the same
 * month. The report marks these facts as simulated; the run's own point,
 * copy and drill are real and are the newest. Pure.
 */
import { mulberry32 } from '../lambdas/domain/keys/prng.js';
import { occurrencesBetween } from '../lambdas/domain/plans/schedule.js';
import type { CopyFact, DrillFact, HoldFact, PointFact } from '../lambdas/domain/report/model.js';

/** Days the simulated history covers, before the run. */
export const SIMULATED_DAYS = 30;
const DAY = 86_400_000;
/** How long before the run the simulated schedule stops: under the slack of the demo plan's RPO (150 min) over its schedule (every 2 h). */
const LAST_RUN_MARGIN_MS = 25 * 60_000;

/** What {@link simulatedMonth} makes. */
export interface SimulatedMonth {
  readonly since: Date;
  readonly points: readonly PointFact[];
  readonly drCopies: readonly CopyFact[];
  readonly vaultCopies: readonly CopyFact[];
  readonly drills: readonly DrillFact[];
  readonly holds: readonly HoldFact[];
  /** What was simulated, for the report's banner. */
  readonly said: string;
}

/** The simulated month before `until` for one cache of one plan (its schedule, RTO target and key count). */
export function simulatedMonth(o: {
  readonly until: Date;
  readonly cache: string;
  readonly plan: string;
  readonly schedule: { readonly cron: string; readonly timeZone: string };
  readonly drillCron: string;
  readonly drillRegion: string;
  readonly keys: number;
  readonly rtoTargetSeconds: number;
  readonly vaultDays?: number;
}): SimulatedMonth {
  const random = mulberry32(Math.floor(o.until.getTime() / DAY));
  const since = new Date(o.until.getTime() - SIMULATED_DAYS * DAY);
  // Stop 25 minutes before the run, so that the run's own point is the newest and the gap up to it stays within the
  // plan's RPO whatever the time of day (the demo runs every 2 hours against an RPO of 150 minutes: an hour's margin
  // left gaps of up to 3 hours, and the frequency control failed in the last half hour of every other hour).
  const runs = occurrencesBetween(o.schedule.cron, o.schedule.timeZone, since, new Date(o.until.getTime() - LAST_RUN_MARGIN_MS), 10_000);
  // A collapse two thirds in (every run taken: a missed one would fail the frequency control of the demo's happy path).
  const collapsed = Math.floor((runs.length * 2) / 3);
  const name = (at: Date) => `rdr-${o.cache}-${at.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-')}`;
  const points: PointFact[] = [];
  runs.forEach((at, i) => {
    const keys = i === collapsed ? Math.round(o.keys * 0.04) : Math.round(o.keys * (0.97 + random() * 0.06));
    points.push({ name: name(at), at, keys, tier: 'hourly' });
  });
  // A DR copy of every point, verified 20-40 minutes later; one found corrupt.
  const corrupt = Math.floor(points.length / 2);
  const drCopies: CopyFact[] = points.map((p, i) => ({
    key: `${p.name}-0001.rdb`,
    // Never after the run: its own copy is the newest.
    at: new Date(Math.min(p.at.getTime() + (20 + random() * 20) * 60_000, o.until.getTime() - 120_000)),
    verdict: i === corrupt ? 'corrupt' : 'ok',
  }));
  const vaultCopies: CopyFact[] =
    o.vaultDays === undefined
      ? []
      : drCopies
          .filter((c) => c.verdict === 'ok')
          .map((c) => ({
            ...c,
            at: new Date(Math.min(c.at.getTime() + 15 * 60_000, o.until.getTime() - 60_000)),
            retainUntil: new Date(c.at.getTime() + o.vaultDays! * DAY),
          }));
  // Weekly drills, the RTO drifting up a little each week; the third one failed.
  const drillRuns = occurrencesBetween(o.drillCron, o.schedule.timeZone, since, o.until, 100);
  const drills: DrillFact[] = drillRuns.map((startedAt, i) => {
    const rto = Math.round(o.rtoTargetSeconds * (0.35 + i * 0.04 + random() * 0.05));
    return i === 2
      ? {
          cache: o.cache,
          plan: o.plan,
          region: o.drillRegion,
          startedAt,
          // The plan's drill schedule ran these (drillCron).
          trigger: 'scheduled',
          passed: false,
          reason: 'key-count: expected 5001, found 4870 (a shard restored short)',
        }
      : {
          cache: o.cache,
          plan: o.plan,
          region: o.drillRegion,
          startedAt,
          trigger: 'scheduled',
          passed: true,
          rtoSeconds: rto,
          phases: { restore: Math.round(rto * 0.8), verify: Math.round(rto * 0.2) },
        };
  });
  const collapse = points.find((p) => p.keys !== undefined && p.keys < o.keys * 0.5);
  const before = points[points.indexOf(collapse!) - 1];
  const holds: HoldFact[] =
    collapse && before
      ? [
          {
            cache: o.cache,
            point: before.name,
            since: collapse.at,
            reason: `keyspace collapsed: ${collapse.name} holds ${collapse.keys} keys, ${before.name} held ${before.keys}; released by \`redis-dr retention release\``,
            released: new Date(collapse.at.getTime() + 5 * 3_600_000),
          },
        ]
      : [];
  return {
    since,
    points,
    drCopies,
    vaultCopies,
    drills,
    holds,
    said:
      `The ${SIMULATED_DAYS} days before this run are simulated, so that every chart shows a month: ${points.length} recovery points, ` +
      `${drCopies.length} DR copies (one corrupt)${vaultCopies.length > 0 ? `, ${vaultCopies.length} vault replicas` : ''}, ${drills.length} drills (one failed) and one keyspace collapse, held and released. ` +
      "The run's own recovery point, copy and drill are real and are the newest.",
  };
}
