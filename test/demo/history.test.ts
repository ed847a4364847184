/**
 * The demo's simulated month (demo/history.ts) at every time of day: the
 * demo's DR report must pass its frequency control whenever the demo runs,
 * so the gap from the last simulated point to the run's own stays within the
 * plan's RPO, and every simulated copy is older than the run's own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulatedMonth } from '../../demo/history.js';

const demo = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'demo.json'), 'utf8')) as {
  plans: { schedule: { cron: string; timeZone: string }; rpoMinutes: number }[];
};
const plan = demo.plans[0]!;

function month(until: Date) {
  return simulatedMonth({
    until,
    cache: 'app-cache',
    plan: 'app',
    schedule: plan.schedule,
    drillCron: 'cron(0 3 ? * SUN *)', // weekly: the drills do not move the points
    drillRegion: 'eu-central-1 (dr)',
    keys: 300,
    rtoTargetSeconds: 1800,
    vaultDays: 400,
  });
}

describe('the simulated month before a demo run', () => {
  // Every 5 minutes over two schedule periods (the demo plan snapshots every 2 hours): 08:41 failed with an hour's margin.
  const times = Array.from({ length: 48 }, (_, i) => new Date(Date.UTC(2026, 10, 25, 6, i * 5, 17)));

  it.each(times.map((t) => [t.toISOString().slice(11, 16), t] as const))(
    'run at %s: the last simulated point is within the RPO of the run, every copy before it',
    (_, until) => {
      const m = month(until);
      const last = m.points.at(-1)!;
      expect(until.getTime() - last.at.getTime()).toBeLessThanOrEqual(plan.rpoMinutes * 60_000);
      expect(last.at.getTime()).toBeLessThan(until.getTime());
      // The copies not before the run, held empty once (an expect() a copy was about 720 a run, 34,000 for the 48).
      const notBefore = [...m.drCopies, ...m.vaultCopies].filter((c) => !(c.at.getTime() < until.getTime()));
      expect(notBefore.map((c) => ({ ...c, at: c.at.toISOString() }))).toEqual([]);
    },
  );

  it('the gap would pass the RPO with the margin it had (an hour): the check above can fail (negative case)', () => {
    const until = new Date('2026-11-25T08:41:23Z');
    const last = month(until).points.at(-1)!;
    // With the old margin the last point was 06:00; now it is 08:00.
    expect(last.at.toISOString()).toBe('2026-11-25T08:00:00.000Z');
    expect(until.getTime() - Date.parse('2026-11-25T06:00:00Z')).toBeGreaterThan(plan.rpoMinutes * 60_000);
  });
});
