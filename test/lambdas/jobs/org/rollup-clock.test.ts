import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../../../lambdas/adapters/storage/object-store-file.js';
import { rollupExitCode } from '../../../../lambdas/domain/org/figures.js';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import { SCRUB_RECORDS_PREFIX } from '../../../../lambdas/domain/scrub/input.js';
import { type ScrubRecord, scrubRecordName } from '../../../../lambdas/domain/scrub/record.js';
import { selftestRecordKey } from '../../../../lambdas/domain/selftest/steps.js';
import { orgRollup } from '../../../../lambdas/jobs/org/rollup.js';
import { tempDirs } from '../../../support/temp-dirs.js';

const tempDir = tempDirs();

/**
 * The roll-up against the clock, over a tree on disk: a record named after now (a report ending in 2099, a
 * scrub record of 2099) would be every later run's "newest" and never grow stale, hiding a fresh report that
 * fails; it is named (MALFORMED) and the newest record before it judged. A report body whose end is not its
 * key's (an old green report copied to a fresh name) is not the report its key names.
 */
const NOW = new Date('2026-11-23T06:30:00Z');
const A = '111122223333';
const root = accountRegionPrefix(A, 'eu-central-1');
const reportKey = (stamp: string) => `${root}reports/weekly/${stamp}Z/report.json`;
const report = (until: string, verdict: 'pass' | 'fail') => ({
  deployment: 'prod',
  until,
  caches: [{ facts: { cache: 'c0' }, controls: [{ control: 'cross-region-copy', verdict, why: 'x' }] }],
});
const scrub = (at: string, bad: string[]): ScrubRecord => ({
  kind: 'redis-dr-scrub',
  destination: 's3://dr/',
  startedAt: at,
  finishedAt: at,
  days: 30,
  copies: 2,
  results: [{ file: 'rdr-a-0001.rdb', ok: true, problems: [] }, ...bad.map((file) => ({ file, ok: false, problems: ['CRC-64 mismatch'] }))],
});

function tree(files: Record<string, unknown>): FileObjectStore {
  const dir = tempDir('redis-dr-org-clock-');
  for (const [key, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), JSON.stringify(body));
  }
  return new FileObjectStore(dir);
}

describe('report --org and the clock', () => {
  it('a report ending after now hides no fresh report: it is named, and the newest report before it judged', async () => {
    const future = reportKey('2099-01-04T0600');
    const r = await orgRollup(
      tree({ [reportKey('2026-11-23T0600')]: report('2026-11-23T06:00:00.000Z', 'fail'), [future]: report('2099-01-04T06:00:00.000Z', 'pass') }),
      NOW,
    );
    expect(r.accounts).toHaveLength(1);
    expect(r.accounts[0]).toMatchObject({ state: 'fail', key: reportKey('2026-11-23T0600'), why: '1 control(s) failed: c0 cross-region-copy' });
    expect(r.malformed).toEqual([{ key: future, why: expect.stringMatching(/^its end 2099-01-04T06:00:00.000Z is after now \(2026-11-23T06:30:00.000Z\)/) }]);
    expect(rollupExitCode(r)).toBe(2);
    // Within the clock skew AWS accepts (15 minutes), a report just written by a clock a little ahead is judged.
    const ahead = await orgRollup(tree({ [reportKey('2026-11-23T0640')]: report('2026-11-23T06:40:00.000Z', 'pass') }), NOW);
    expect(ahead.accounts[0]).toMatchObject({ state: 'ok' });
    expect(ahead.malformed).toEqual([]);
  });

  it('a scrub record named after now hides no later scrub that found a bad copy', async () => {
    const scrubKey = (at: string) => `${root}${SCRUB_RECORDS_PREFIX}${scrubRecordName(new Date(at))}`;
    const r = await orgRollup(
      tree({
        [reportKey('2026-11-23T0600')]: report('2026-11-23T06:00:00.000Z', 'pass'),
        [scrubKey('2026-11-22T03:00:00Z')]: scrub('2026-11-22T03:00:00Z', ['rdr-b-0001.rdb']),
        [scrubKey('2099-01-01T03:00:00Z')]: scrub('2099-01-01T03:00:00Z', []),
      }),
      NOW,
    );
    expect(r.accounts[0]).toMatchObject({ state: 'fail', why: 'scrub of 2026-11-22T03:00:00Z found 1 bad copy(ies): rdr-b-0001.rdb: CRC-64 mismatch' });
    expect(r.malformed).toEqual([{ key: scrubKey('2099-01-01T03:00:00Z'), why: expect.stringMatching(/^its name sorts after that of a record written now/) }]);
  });

  it('a selftest record named after now hides no later selftest that failed', async () => {
    const failed = {
      kind: 'redis-dr-selftest',
      version: 1,
      deployment: 'prod',
      regions: 'both',
      verdict: 'failed',
      startedAt: '2026-11-22T03:00:00Z',
      finishedAt: '2026-11-22T03:05:00Z',
      steps: [{ step: 'drill dr', region: 'eu-central-1', verdict: 'failed', seconds: 3, detail: 'd', cause: 'access denied' }],
    };
    const r = await orgRollup(
      tree({
        [reportKey('2026-11-23T0600')]: report('2026-11-23T06:00:00.000Z', 'pass'),
        [`${root}${selftestRecordKey(new Date('2026-11-22T03:00:00Z'))}`]: failed,
        [`${root}${selftestRecordKey(new Date('2099-01-01T00:00:00Z'))}`]: { ...failed, verdict: 'passed', steps: [{ ...failed.steps[0], verdict: 'passed' }] },
      }),
      NOW,
    );
    expect(r.accounts[0]).toMatchObject({ state: 'fail', stack: 'selftest-failed' });
    expect(r.malformed.map((m) => m.key)).toEqual([`${root}${selftestRecordKey(new Date('2099-01-01T00:00:00Z'))}`]);
  });

  it('a report whose body ends elsewhere than its key says (an old green report under a fresh name) is MALFORMED, not ok', async () => {
    const r = await orgRollup(tree({ [reportKey('2026-11-23T0600')]: report('2026-10-05T06:00:00.000Z', 'pass') }), NOW);
    expect(r.accounts[0]).toMatchObject({
      state: 'malformed',
      why: "not the report its key names: its until is 2026-10-05T06:00:00.000Z, its key's end 2026-11-23T06:00:00.000Z (a report copied under another name?)",
    });
    expect(rollupExitCode(r)).toBe(2);
    // Seconds under the key's minute are the same end (the key holds minutes).
    const same = await orgRollup(tree({ [reportKey('2026-11-23T0600')]: report('2026-11-23T06:00:41.123Z', 'pass') }), NOW);
    expect(same.accounts[0]).toMatchObject({ state: 'ok' });
  });

  it("a report signed as another account's (its attestation's DR bucket) under this account's prefix is MALFORMED, not ok", async () => {
    const signedBy = (account: string, region: string) => ({
      ...report('2026-11-23T06:00:00.000Z', 'pass'),
      attestation: { v: 1, deployment: `s3://redis-dr-prod-1-${account}-${region}/`, seq: 4 },
    });
    const r = await orgRollup(tree({ [reportKey('2026-11-23T0600')]: signedBy('444455556666', 'eu-central-1') }), NOW);
    expect(r.accounts[0]).toMatchObject({
      state: 'malformed',
      why: `signed as the report of 444455556666/eu-central-1 (its attestation's deployment s3://redis-dr-prod-1-444455556666-eu-central-1/), not of ${A}/eu-central-1: another account's report under this one's prefix`,
    });
    expect((await orgRollup(tree({ [reportKey('2026-11-23T0600')]: signedBy(A, 'us-east-1') }), NOW)).accounts[0]!.state).toBe('malformed');
    // Its own, signed or not, is judged.
    expect((await orgRollup(tree({ [reportKey('2026-11-23T0600')]: signedBy(A, 'eu-central-1') }), NOW)).accounts[0]!.state).toBe('ok');
  });
});
