/**
 * Alarm episodes from alarm state changes: when each alarm went into ALARM
 * and when it left, within the report's period. Pure.
 */
import type { AlarmEpisode } from './model.js';

/** One state change of an alarm (CloudWatch alarm history). */
export interface AlarmTransition {
  readonly alarm: string;
  readonly at: Date;
  readonly oldState: string;
  readonly newState: string;
}

/**
 * The episodes in ALARM of each alarm over [since, until]: from a change
 * into ALARM to the next change out of it. A first change out of ALARM
 * started before the period (the episode starts at `since`); an alarm still
 * in ALARM has no end. `inAlarmNow`: alarms in ALARM at `until` (their
 * current state) that changed state nowhere in the period, so were in ALARM
 * all of it.
 */
export function alarmEpisodes(transitions: readonly AlarmTransition[], since: Date, inAlarmNow: readonly string[] = []): AlarmEpisode[] {
  const episodes: AlarmEpisode[] = [];
  const open = new Map<string, Date>();
  const seen = new Set<string>();
  for (const t of [...transitions].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const first = !seen.has(t.alarm);
    seen.add(t.alarm);
    if (t.newState === 'ALARM' && t.oldState !== 'ALARM') {
      if (!open.has(t.alarm)) open.set(t.alarm, t.at);
    } else if (t.oldState === 'ALARM' && t.newState !== 'ALARM') {
      const from = open.get(t.alarm) ?? (first ? since : undefined);
      if (from) episodes.push({ alarm: t.alarm, from, to: t.at });
      open.delete(t.alarm);
    }
  }
  for (const [alarm, from] of open) episodes.push({ alarm, from });
  for (const alarm of inAlarmNow) if (!seen.has(alarm)) episodes.push({ alarm, from: since });
  return episodes.sort((a, b) => a.from.getTime() - b.from.getTime() || a.alarm.localeCompare(b.alarm));
}
