import { describe, expect, it } from 'vitest';
import { alarmEpisodes, type AlarmTransition } from '../../../../lambdas/domain/report/alarms.js';

const SINCE = new Date('2026-11-01T00:00:00Z');
const t = (alarm: string, at: string, oldState: string, newState: string): AlarmTransition => ({ alarm, at: new Date(at), oldState, newState });

describe('alarmEpisodes', () => {
  it.each([
    ['no change, none in ALARM: no episode', [], [], []],
    [
      'into ALARM and out: one closed episode',
      [t('a', '2026-11-02T10:00:00Z', 'OK', 'ALARM'), t('a', '2026-11-02T11:00:00Z', 'ALARM', 'OK')],
      [],
      [{ alarm: 'a', from: new Date('2026-11-02T10:00:00Z'), to: new Date('2026-11-02T11:00:00Z') }],
    ],
    [
      'first change is out of ALARM: it started before the period',
      [t('a', '2026-11-02T10:00:00Z', 'ALARM', 'OK')],
      [],
      [{ alarm: 'a', from: SINCE, to: new Date('2026-11-02T10:00:00Z') }],
    ],
    [
      'into ALARM and never out: open',
      [t('a', '2026-11-03T00:00:00Z', 'INSUFFICIENT_DATA', 'ALARM')],
      ['a'],
      [{ alarm: 'a', from: new Date('2026-11-03T00:00:00Z') }],
    ],
    ['in ALARM now with no change in the period: the whole period', [], ['b'], [{ alarm: 'b', from: SINCE }]],
    [
      'ALARM to INSUFFICIENT_DATA ends the episode; OK to INSUFFICIENT_DATA is none',
      [
        t('a', '2026-11-02T10:00:00Z', 'OK', 'ALARM'),
        t('a', '2026-11-02T12:00:00Z', 'ALARM', 'INSUFFICIENT_DATA'),
        t('a', '2026-11-02T13:00:00Z', 'INSUFFICIENT_DATA', 'OK'),
        t('a', '2026-11-02T14:00:00Z', 'OK', 'INSUFFICIENT_DATA'),
      ],
      [],
      [{ alarm: 'a', from: new Date('2026-11-02T10:00:00Z'), to: new Date('2026-11-02T12:00:00Z') }],
    ],
  ] as const)('%s', (_name, transitions, inAlarmNow, expected) => {
    expect(alarmEpisodes(transitions, SINCE, inAlarmNow)).toEqual(expected);
  });
});
