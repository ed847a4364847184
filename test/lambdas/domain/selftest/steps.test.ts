import { describe, expect, it } from 'vitest';
import {
  type SelftestRecord,
  explainFailure,
  judgeSelftest,
  principalName,
  selftestRecordKey,
  selftestTable,
  selftestVerdict,
  summarizeSelftest,
} from '../../../../lambdas/domain/selftest/steps.js';

describe('explainFailure', () => {
  it('names the denied action, the role that lacks it and the resource, from AWS’s own words', () => {
    const f = explainFailure(
      {
        name: 'AccessDenied',
        message:
          'User: arn:aws:sts::111122223333:assumed-role/ops-admin/alice is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::redis-dr-prod-111122223333-eu-central-1/selftest/x.json because no identity-based policy allows it',
      },
      "the operator's credentials",
      'other',
    );
    expect(f.cause).toBe(
      "access denied: ops-admin (the operator's credentials) lacks s3:PutObject on arn:aws:s3:::redis-dr-prod-111122223333-eu-central-1/selftest/x.json",
    );
    expect(f.fix).toMatch(/^grant s3:PutObject to ops-admin: for the operator, docs\/iam\/operator-policy\.json/);
  });

  it('a denial without the principal in its message still says it is one, and whose', () => {
    expect(explainFailure({ name: 'AuthorizationError', message: 'not allowed' }, 'the demo', 'x').cause).toBe(
      'access denied (AuthorizationError) for the demo: not allowed',
    );
  });

  it('anything else keeps its message and gets the step’s fix', () => {
    expect(explainFailure({ name: 'Error', message: 'boom' }, 'w', 'see the runbook')).toEqual({ cause: 'boom', fix: 'see the runbook' });
  });
});

describe('principalName', () => {
  it.each([
    ['arn:aws:sts::111122223333:assumed-role/redis-dr-operator/alice', 'redis-dr-operator'],
    ['arn:aws:iam::111122223333:role/path/to/deployer', 'deployer'],
    ['arn:aws:iam::111122223333:user/bob', 'bob'],
    ['something else', 'something else'],
  ])('%s -> %s', (arn, name) => expect(principalName(arn)).toBe(name));
});

describe('the run', () => {
  const row = (verdict: 'passed' | 'warned' | 'failed' | 'skipped') => ({ step: `s-${verdict}`, region: 'eu-west-1', verdict, seconds: 1, detail: 'd' });

  it.each([
    [['passed', 'warned'], 'passed'],
    [['passed', 'failed'], 'failed'],
    [['passed', 'skipped'], 'failed'],
    [[], 'failed'],
  ] as const)('%j -> %s (a skipped step never ran; no steps proves nothing)', (verdicts, verdict) => {
    expect(selftestVerdict(verdicts.map(row))).toBe(verdict);
  });

  it('records are keyed by their start, sortable and without colons', () => {
    expect(selftestRecordKey(new Date('2026-11-23T10:00:05.123Z'))).toBe('selftest/2026-11-23T10-00-05Z.json');
  });

  it('the table aligns the columns and explains each failure under it', () => {
    const lines = selftestTable([row('passed'), { ...row('failed'), detail: 'failed\nsecond line', cause: 'c', fix: 'f' }]);
    expect(lines[0]).toBe('STEP      REGION     VERDICT  TIME   DETAIL');
    expect(lines[2]).toBe('s-failed  eu-west-1  FAILED   1.0 s  failed');
    expect(lines.slice(3)).toEqual(['', 's-failed (eu-west-1) failed:', '  cause: c', '  fix:   f']);
  });

  it('summarizes the newest record for status: none, passed (with warnings named), failed (with causes)', () => {
    expect(summarizeSelftest(undefined, undefined).verdict).toBe('none');
    const record: SelftestRecord = {
      kind: 'redis-dr-selftest',
      version: 1,
      deployment: 'p',
      startedAt: 't0',
      finishedAt: 't1',
      regions: 'both',
      verdict: 'passed',
      steps: [row('passed'), row('warned')],
    };
    expect(summarizeSelftest(record, 'selftest/k.json').line).toBe('selftest passed at t1: 2 steps, 1 warned (s-warned) (selftest/k.json)');
    const failed: SelftestRecord = { ...record, verdict: 'failed', steps: [{ ...row('failed'), cause: 'why' }] };
    expect(summarizeSelftest(failed, undefined).line).toBe('selftest FAILED at t1: s-failed: why');
  });
});

describe('judgeSelftest', () => {
  const now = new Date('2030-06-01T12:00:00Z');
  const record = (finishedAt: string, verdict: 'passed' | 'failed' = 'passed'): { key: string; record: SelftestRecord } => ({
    key: 'selftest/x.json',
    record: { kind: 'redis-dr-selftest', version: 1, deployment: 'd', startedAt: finishedAt, finishedAt, regions: 'both', verdict, steps: [] },
  });

  it('passes a passed run of the last days, warns of an old one, fails a failed one', () => {
    expect(judgeSelftest(record('2030-05-30T12:00:00Z'), now).state).toBe('pass');
    expect(judgeSelftest(record('2030-04-01T12:00:00Z'), now).state).toBe('warn');
    expect(judgeSelftest(record('2030-05-30T12:00:00Z', 'failed'), now).state).toBe('fail');
    // Within S3's clock skew of now: a run that just ended on a clock slightly ahead.
    expect(judgeSelftest(record('2030-06-01T12:10:00Z'), now).state).toBe('pass');
  });

  it('fails a record whose finishedAt is no time or one from the future (never fresh for ever)', () => {
    const future = judgeSelftest(record('2031-01-01T00:00:00Z'), now);
    expect(future.state).toBe('fail');
    expect(future.detail).toBe(
      'selftest/x.json says it finished at "2031-01-01T00:00:00Z", after now (2030-06-01T12:00:00.000Z): it proves nothing, and as the newest record it hides the later runs',
    );
    expect(future.fix).toMatch(
      /^move selftest\/x\.json out of selftest\/ \(a clock set wrong, or a record selftest did not write\), then run redis-dr selftest/,
    );
    const none = judgeSelftest(record('yesterday'), now);
    expect(none.state).toBe('fail');
    expect(none.detail).toMatch(/"yesterday", which is not a time: it proves nothing/);
  });
});
