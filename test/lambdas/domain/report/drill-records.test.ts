import { describe, expect, it } from 'vitest';
import { drillFactOfRecord, parseDrillRecord } from '../../../../lambdas/domain/report/drill-records.js';
import { triggerSummary } from '../../../../lambdas/domain/report/render.js';

const WHERE = 's3://redis-dr-prod-333333333333-eu-central-1/drills/eu-central-1/sessions/redis-dr-drill-00000003.json';
const RECORD = {
  kind: 'redis-dr-drill',
  deployment: 'prod',
  plan: 'sessions',
  region: 'eu-central-1',
  trigger: 'manual',
  startedBy: 'arn:aws:sts::333333333333:assumed-role/ops/alice',
  startedAt: '2026-11-21T10:00:00.000Z',
  finishedAt: '2026-11-21T10:25:00.000Z',
  target: 'sessions-prod',
  point: 'rdr-sessions-prod-20261120-0200',
  pointSelection: 'random',
  drawnFrom: 9,
  passed: false,
  failedStep: 'verify',
  restoreSeconds: 1200,
  verifySeconds: 40,
  rtoTargetSeconds: 2700,
  checks: [{ name: 'key-count', ok: false, expected: '321', found: '12' }],
  summary: 'Restore drill FAILED: plan sessions, target sessions-prod (verify: key-count)',
  attestation: { v: 1, seq: 3, deployment: 's3://redis-dr-prod-333333333333-eu-central-1/', signature: 'x' },
};

describe("the drill account's records as the report's drills", () => {
  it('a signed drill record becomes a drill of the separate account: its region names the account, a failure its summary', () => {
    const parsed = parseDrillRecord(JSON.stringify(RECORD), WHERE, 'prod');
    if (typeof parsed === 'string') throw new Error(parsed);
    const fact = drillFactOfRecord(parsed, '333333333333');
    expect(fact).toEqual({
      cache: 'sessions-prod',
      plan: 'sessions',
      region: 'eu-central-1 (drill account 333333333333)',
      account: '333333333333',
      startedAt: new Date('2026-11-21T10:00:00.000Z'),
      passed: false,
      trigger: 'manual',
      startedBy: RECORD.startedBy,
      point: RECORD.point,
      pointSelection: 'random',
      phases: { restore: 1200, verify: 40 },
      checks: [{ name: 'key-count', ok: false }],
      reason: RECORD.summary,
    });
    expect(triggerSummary([fact, { ...fact, trigger: 'scheduled' }])).toBe('1 scheduled, 1 manual; 2 in the separate drill account 333333333333');
    // Drills of the workload account alone: the summary as before.
    const { account: _a, ...workload } = fact;
    expect(triggerSummary([workload])).toBe('0 scheduled, 1 manual');
  });

  it.each([
    ['text that is not JSON', '{"kind": "redis-dr-drill",', `${WHERE} is not JSON (changed or damaged)`],
    ['an unsigned record', JSON.stringify({ ...RECORD, attestation: undefined }), `${WHERE} is not a signed drill record (attestation:`],
    ['another kind of record', JSON.stringify({ ...RECORD, kind: 'redis-dr-verdict' }), `${WHERE} is not a signed drill record (kind:`],
    [
      'a record of another deployment',
      JSON.stringify({ ...RECORD, deployment: 'staging' }),
      `${WHERE} is a drill record of deployment "staging", not "prod": not counted`,
    ],
  ])('names %s as a problem, never a drill', (_name, text, expected) => {
    const parsed = parseDrillRecord(text, WHERE, 'prod');
    expect(typeof parsed).toBe('string');
    expect(parsed as string).toContain(expected);
  });
});
