import { describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../../../lambdas/domain/doctor/check.js';
import { doctorOutcome, drillCheck, recoveryPointCheck } from '../../../../lambdas/jobs/doctor/collect.js';
import type { DrillStatus, StatusRow } from '../../../../lambdas/jobs/status/collect.js';

const row = (over: Partial<StatusRow>): StatusRow => ({
  plan: 'sessions',
  target: 'sessions-prod',
  what: 'snapshot',
  region: 'eu-west-1',
  ageSeconds: 600,
  limitSeconds: 3600,
  state: 'ok',
  detail: null,
  name: 'rdr-sessions-prod-20261121-1000',
  ...over,
});
const check = (state: DoctorCheck['state']): DoctorCheck => ({ section: 'stacks', region: null, subject: 'x', state, detail: 'd', fix: null });

describe('the doctor job decides', () => {
  it('its outcome: failed when any check failed, ok when all passed or only warned', () => {
    expect(doctorOutcome([check('pass'), check('warn')])).toBe('ok');
    expect(doctorOutcome([])).toBe('ok');
    expect(doctorOutcome([check('pass'), check('fail')])).toBe('failed');
  });

  it.each<[StatusRow['state'], DoctorCheck['state']]>([
    ['ok', 'pass'],
    ['late', 'fail'],
    ['missing', 'warn'],
    ['error', 'fail'],
  ])('a recovery point %s is a check that %ss', (state, expected) => {
    expect(recoveryPointCheck(row({ state })).state).toBe(expected);
  });

  it('a drill that passed but missed its RTO objective fails, naming the objective', () => {
    const d: DrillStatus = {
      plan: 'sessions',
      where: 'primary',
      region: 'eu-west-1',
      status: 'SUCCEEDED',
      startedAt: '2026-11-21T09:00:00Z',
      stoppedAt: '2026-11-21T10:00:00Z',
      target: 'sessions-prod',
      recoveryPoint: 'rdr-sessions-prod-20261121-0800',
      rtoSeconds: 3600,
      rtoObjectiveSeconds: 1800,
      passed: true,
      summary: null,
      executionArn: null,
      runningSince: null,
    };
    expect(drillCheck(d)).toMatchObject({ state: 'fail', detail: expect.stringMatching(/RTO 1h \(objective 30m\): the objective was missed/) });
    expect(drillCheck({ ...d, rtoSeconds: 900 }).state).toBe('pass');
  });
});
