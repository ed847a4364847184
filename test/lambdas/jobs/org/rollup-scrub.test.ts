import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../../../lambdas/adapters/storage/object-store-file.js';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import { SCRUB_RECORDS_PREFIX } from '../../../../lambdas/domain/scrub/input.js';
import { type ScrubRecord, scrubRecordName } from '../../../../lambdas/domain/scrub/record.js';
import { orgRollup } from '../../../../lambdas/jobs/org/rollup.js';
import { tempDirs } from '../../../support/temp-dirs.js';

const tempDir = tempDirs();

/**
 * The roll-up reads each account's DR scrub records where the DR stack writes the organization's copy,
 * `<account>/<region>/scrub/` (lambdas/domain/points/account-prefix.ts), over a tree on disk: the newest
 * record judges the line (a bad copy or a PARTIAL run is a FAIL naming it), an older one does not, a
 * record that is not one is a MALFORMED line, and one outside an account's prefix is not read.
 */
const NOW = new Date('2026-11-23T06:30:00Z');
const A = '111122223333';
const REGION = 'eu-central-1';
const report = {
  deployment: 'prod',
  until: '2026-11-23T06:00:00.000Z',
  caches: [{ facts: { cache: 'c0' }, controls: [{ control: 'cross-region-copy', verdict: 'pass', why: 'x' }] }],
};
const scrub = (at: string, bad: string[], partial?: string): ScrubRecord => ({
  kind: 'redis-dr-scrub',
  destination: 's3://dr/',
  startedAt: at,
  finishedAt: at,
  days: 30,
  copies: 3,
  results: [{ file: 'rdr-a-0001.rdb', ok: true, problems: [] }, ...bad.map((file) => ({ file, ok: false, problems: ['CRC-64 mismatch'] }))],
  ...(partial ? { partial: { reason: partial, notReRead: ['rdr-c-0001.rdb'] } } : {}),
});

function tree(files: Record<string, unknown>): FileObjectStore {
  const dir = tempDir('redis-dr-org-scrub-');
  for (const [key, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), typeof body === 'string' ? body : JSON.stringify(body));
  }
  return new FileObjectStore(dir);
}

const root = accountRegionPrefix(A, REGION);
const reportKey = `${root}reports/weekly/2026-11-23T0600Z/report.json`;
const scrubKey = (at: string) => `${root}${SCRUB_RECORDS_PREFIX}${scrubRecordName(new Date(at))}`;

describe('report --org reads the scrub records under <account>/<region>/scrub/', () => {
  it('a newest scrub that found a bad copy makes the line FAIL, naming the copy; an older bad one does not', async () => {
    const failing = await orgRollup(tree({ [reportKey]: report, [scrubKey('2026-11-22T03:00:00Z')]: scrub('2026-11-22T03:00:00Z', ['rdr-b-0001.rdb']) }), NOW);
    expect(failing.accounts[0]).toMatchObject({ account: A, state: 'fail' });
    expect(failing.accounts[0]!.why).toBe('scrub of 2026-11-22T03:00:00Z found 1 bad copy(ies): rdr-b-0001.rdb: CRC-64 mismatch');
    const healed = await orgRollup(
      tree({
        [reportKey]: report,
        [scrubKey('2026-11-21T03:00:00Z')]: scrub('2026-11-21T03:00:00Z', ['rdr-b-0001.rdb']),
        [scrubKey('2026-11-22T03:00:00Z')]: scrub('2026-11-22T03:00:00Z', []),
      }),
      NOW,
    );
    expect(healed.accounts[0]).toMatchObject({ state: 'ok', why: null });
  });

  it('a newest scrub that stopped PARTIAL is a FAIL (never a pass)', async () => {
    const r = await orgRollup(tree({ [reportKey]: report, [scrubKey('2026-11-22T03:00:00Z')]: scrub('2026-11-22T03:00:00Z', [], 'time budget') }), NOW);
    expect(r.accounts[0]!.why).toBe('scrub of 2026-11-22T03:00:00Z stopped PARTIAL: time budget');
  });

  it('a newest scrub record over two days old is a FAIL: the daily scrub stopped (nothing else pages a disabled schedule)', async () => {
    const fresh = await orgRollup(tree({ [reportKey]: report, [scrubKey('2026-11-21T06:31:00Z')]: scrub('2026-11-21T06:31:00Z', []) }), NOW);
    expect(fresh.accounts[0]).toMatchObject({ state: 'ok', why: null });
    const stopped = await orgRollup(tree({ [reportKey]: report, [scrubKey('2026-11-20T04:30:00Z')]: scrub('2026-11-20T04:30:00Z', []) }), NOW);
    expect(stopped.accounts[0]).toMatchObject({ state: 'fail' });
    expect(stopped.accounts[0]!.why).toBe(
      'newest scrub record (2026-11-20T04:30:00Z) is 3 days old: the daily scrub stopped (its schedule disabled or deleted? redis-dr doctor names it)',
    );
  });

  it('names a scrub record that is not one (MALFORMED), the rest still rolled up', async () => {
    const key = scrubKey('2026-11-22T03:00:00Z');
    const r = await orgRollup(tree({ [reportKey]: report, [key]: { kind: 'redis-dr-scrub', results: 'many' } }), NOW);
    expect(r.malformed).toEqual([{ key, why: expect.stringMatching(/^not a scrub record: /) }]);
    expect(r.accounts[0]).toMatchObject({ state: 'ok' });
  });

  it('names a record whose bytes are no JSON as such (a cut report, a cut scrub record), not by a field it lacks', async () => {
    const key = scrubKey('2026-11-22T03:00:00Z');
    const r = await orgRollup(tree({ [reportKey]: '{"deployment": "prod", "caches": [', [key]: '{"kind":' }), NOW);
    expect(r.accounts[0]).toMatchObject({ state: 'malformed', why: expect.stringMatching(/^not JSON: /) });
    expect(r.malformed).toEqual([{ key, why: expect.stringMatching(/^not JSON: /) }]);
  });

  it('reads no scrub record outside an account prefix, nor another file under scrub/', async () => {
    const r = await orgRollup(
      tree({
        [reportKey]: report,
        [`${SCRUB_RECORDS_PREFIX}${scrubRecordName(new Date('2026-11-22T03:00:00Z'))}`]: scrub('2026-11-22T03:00:00Z', ['x.rdb']),
        [`${root}${SCRUB_RECORDS_PREFIX}notes.json`]: scrub('2026-11-22T03:00:00Z', ['y.rdb']),
      }),
      NOW,
    );
    expect(r.accounts[0]).toMatchObject({ state: 'ok' });
    expect(r.malformed).toEqual([]);
  });
});
