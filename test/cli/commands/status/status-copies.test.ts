import { GetObjectTaggingCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StatusCopies, StatusReport } from '../../../../cli/commands/status/action.js';
import { FakeClock } from '../../../support/fakes.js';
import { fakeAws } from '../../support/fake-aws.js';
import { DR_BUCKET, PRIMARY_BUCKET, putDrCopy } from '../../support/dr-copies.js';
import { runInProcess } from '../../support/in-process.js';

/** `status`: each target's newest recovery points with their `.rdb` copies in the export and DR buckets, and the fast path. */

const CONFIG = 'test/fixtures/config/status-one-target.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const OURS = {
  'redis-dr:managed': 'true',
  'redis-dr:deployment': 'example',
  'redis-dr:plan': 'sessions',
  'redis-dr:source': 'sessions-prod',
  'redis-dr:tier': 'daily',
};
const NEWEST = 'rdr-sessions-prod-20261121-0900';
const EXPORTED = 'rdr-sessions-prod-20261121-0600';
const OLDER = 'rdr-sessions-prod-20261121-0400';
const aws = fakeAws();
let clock: FakeClock;

function snapshot(name: string, exported: boolean): void {
  const at = `${name.slice(-13, -9)}-${name.slice(-9, -7)}-${name.slice(-7, -5)}T${name.slice(-4, -2)}:${name.slice(-2)}:30Z`;
  aws.state.snapshots.set(name, {
    name,
    target: 'sessions-prod',
    status: 'available',
    createdAt: new Date(at),
    tags: { ...OURS, ...(exported ? { 'redis-dr:exported': at } : {}) },
  });
}

/** The newest snapshot, not exported yet, and `EXPORTED`, exported. */
function snapshots(): void {
  snapshot(NEWEST, false);
  snapshot(EXPORTED, true);
}

/** In the primary bucket as the export Lambda leaves it: tagged, never verified (verify-rdb runs on the DR copy). */
function primaryCopy(name: string, o: { shards?: number; absent?: number[] } = {}): void {
  putDrCopy(aws, name, { ...o, bucket: PRIMARY_BUCKET, verified: null });
}

async function status(): Promise<{ code: number; report: StatusReport; copies: StatusCopies }> {
  const r = await runInProcess(['status', '-c', CONFIG, '--json'], { clock });
  expect(r.stderr).toBe('');
  const report = JSON.parse(r.stdout) as StatusReport;
  return { code: r.code, report, copies: report.copies.find((c) => c.target === 'sessions-prod')! };
}

async function text(): Promise<string> {
  return (await runInProcess(['status', '-c', CONFIG], { clock })).stdout;
}

const listed = (bucket: string) => aws.s3.commandCalls(ListObjectsV2Command).filter((c) => c.args[0].input.Bucket === bucket);
const tagged = (bucket: string) => aws.s3.commandCalls(GetObjectTaggingCommand).filter((c) => c.args[0].input.Bucket === bucket);

beforeEach(() => {
  aws.reset();
  clock = new FakeClock(NOW);
});

describe('status: .rdb copies of the newest recovery points', () => {
  it('a complete, verified copy: both buckets, their locations, shards and verification, in JSON and as text, with the fast path', async () => {
    snapshots();
    primaryCopy(EXPORTED, { shards: 3 });
    putDrCopy(aws, EXPORTED, { shards: 3 });

    const { copies, report } = await status();

    const copy = (where: 'primary' | 'dr') => ({
      where,
      region: where === 'dr' ? 'eu-central-1' : 'eu-west-1',
      bucket: where === 'dr' ? DR_BUCKET : PRIMARY_BUCKET,
      exportName: EXPORTED,
      location: `s3://${where === 'dr' ? DR_BUCKET : PRIMARY_BUCKET}/${EXPORTED}`,
      shardsFound: 3,
      shards: 3,
      missingShards: [],
      complete: true,
      verification: where === 'dr' ? 'ok' : 'not-verified',
      problem: null,
    });
    expect(copies).toEqual({
      plan: 'sessions',
      target: 'sessions-prod',
      exports: true,
      points: [
        { recoveryPoint: NEWEST, takenAt: '2026-11-21T09:00:00.000Z', newest: true, copies: [] },
        { recoveryPoint: EXPORTED, takenAt: '2026-11-21T06:00:00.000Z', newest: false, copies: [copy('primary'), copy('dr')] },
      ],
      fastPath: {
        recoveryPoint: EXPORTED,
        where: 'dr',
        location: `s3://${DR_BUCKET}/${EXPORTED}`,
        command: `redis-dr migrate --from-rdb s3://${DR_BUCKET}/${EXPORTED} --to <url>`,
      },
      problems: [],
    });
    // The rows name what they measured.
    expect(report.rows.filter((r) => r.target === 'sessions-prod').map((r) => [r.what, r.name])).toEqual([
      ['snapshot', NEWEST],
      ['exported copy', EXPORTED],
      ['verified DR copy', EXPORTED],
    ]);

    const out = await text();
    expect(out).not.toMatch(/ \n/);
    expect(out).toMatch(
      new RegExp(`sessions-prod +${NEWEST} \\(newest\\) +- +- +- +no \\.rdb copy: use the temporary-cluster path \\(docs/runbooks/flushall\\.md\\)`),
    );
    expect(out).toMatch(new RegExp(`sessions-prod +${EXPORTED} +primary +3/3 shards +not verified +s3://${PRIMARY_BUCKET}/${EXPORTED}\n`));
    expect(out).toMatch(new RegExp(`sessions-prod +${EXPORTED} +DR +3/3 shards +verified ok +s3://${DR_BUCKET}/${EXPORTED}\n`));
    expect(out).toContain(
      `sessions-prod fast path (keys from ${EXPORTED}, the newest usable copy: check it was taken before the incident, else take an older one from restore --list; no new cluster): redis-dr migrate --from-rdb s3://${DR_BUCKET}/${EXPORTED} --to <url>`,
    );
  });

  it('shard 2 of 3 missing in the DR bucket: incomplete there, and the fast path reads the primary bucket’s complete copy', async () => {
    snapshots();
    primaryCopy(EXPORTED, { shards: 3 });
    putDrCopy(aws, EXPORTED, { shards: 3, absent: [2] });

    const { copies } = await status();

    const dr = copies.points[1]!.copies.find((c) => c.where === 'dr')!;
    expect(dr).toMatchObject({ shardsFound: 2, shards: 3, missingShards: [2], complete: false, problem: 'incomplete: shard(s) 0002 of 3 missing' });
    expect(copies.fastPath).toMatchObject({ where: 'primary', location: `s3://${PRIMARY_BUCKET}/${EXPORTED}` });
    expect(await text()).toMatch(new RegExp(`${EXPORTED} +DR +2/3 shards \\(0002 missing\\) +verified ok +s3://${DR_BUCKET}/${EXPORTED}`));
  });

  it('a copy verified corrupt: said, and the fast path falls back to the older copy a DR restore would take', async () => {
    snapshot(NEWEST, false);
    snapshot(EXPORTED, true);
    primaryCopy(EXPORTED);
    putDrCopy(aws, EXPORTED, { verified: 'corrupt' });
    putDrCopy(aws, OLDER);

    const { copies } = await status();

    expect(copies.points.map((p) => [p.recoveryPoint, p.copies.map((c) => `${c.where} ${c.verification}`)])).toEqual([
      [NEWEST, []],
      [EXPORTED, ['primary not-verified', 'dr corrupt']],
      [OLDER, ['dr ok']],
    ]);
    expect(copies.points[1]!.copies[1]!.problem).toBe(`${EXPORTED}-0001.rdb verified corrupt`);
    expect(copies.fastPath).toMatchObject({ recoveryPoint: OLDER, where: 'dr', location: `s3://${DR_BUCKET}/${OLDER}` });
    const out = await text();
    expect(out).toMatch(new RegExp(`${EXPORTED} +DR +1/1 shards +VERIFIED CORRUPT +s3://${DR_BUCKET}/${EXPORTED}`));
    expect(out).toContain(
      `sessions-prod fast path (keys from ${OLDER}, the newest usable copy: check it was taken before the incident, else take an older one from restore --list; no new cluster): redis-dr migrate --from-rdb s3://${DR_BUCKET}/${OLDER} --to <url>`,
    );
  });

  it('not verified yet anywhere: shown as such, and still the fast path (migrate verifies the whole file before writing)', async () => {
    snapshots();
    primaryCopy(EXPORTED);
    putDrCopy(aws, EXPORTED, { verified: null });

    const { copies } = await status();

    expect(copies.points[1]!.copies.map((c) => [c.where, c.verification, c.complete])).toEqual([
      ['primary', 'not-verified', true],
      ['dr', 'not-verified', true],
    ]);
    expect(copies.fastPath).toMatchObject({ where: 'primary', location: `s3://${PRIMARY_BUCKET}/${EXPORTED}` });
    expect(await text()).toMatch(new RegExp(`${EXPORTED} +DR +1/1 shards +not verified +s3://${DR_BUCKET}/${EXPORTED}`));
  });

  it('issue 53 item 3: a DR copy whose ok verdict tag has no verdict object is not verified, and says what it is', async () => {
    snapshots();
    primaryCopy(EXPORTED);
    putDrCopy(aws, EXPORTED);
    aws.state.forgedVerdicts.add(`${DR_BUCKET}/${EXPORTED}-0001.rdb`);

    const { copies } = await status();

    const dr = copies.points[1]!.copies.find((c) => c.where === 'dr')!;
    expect(dr).toMatchObject({ verification: 'not-verified', unproven: [`${EXPORTED}-0001.rdb`] });
    expect(await text()).toMatch(new RegExp(`${EXPORTED} +DR +1/1 shards +NOT VERIFIED: verdict tag without verdict object +s3://${DR_BUCKET}/${EXPORTED}`));
  });

  it('no copy at all: the newest recovery point says so and points at the temporary-cluster path; no fast path', async () => {
    snapshot(NEWEST, false);

    const { copies } = await status();

    expect(copies).toMatchObject({ points: [{ recoveryPoint: NEWEST, newest: true, copies: [] }], fastPath: null, problems: [] });
    const out = await text();
    expect(out).toMatch(
      new RegExp(`sessions-prod +${NEWEST} \\(newest\\) +- +- +- +no \\.rdb copy: use the temporary-cluster path \\(docs/runbooks/flushall\\.md\\)`),
    );
    expect(out).not.toContain('fast path');
  });

  it('the DR copy missing while the primary bucket has it: said per bucket, and the primary copy is the fast path', async () => {
    snapshots();
    primaryCopy(EXPORTED, { shards: 2 });

    const { copies } = await status();

    expect(copies.points[1]!.copies.map((c) => c.where)).toEqual(['primary']);
    expect(copies.fastPath).toMatchObject({ where: 'primary', command: `redis-dr migrate --from-rdb s3://${PRIMARY_BUCKET}/${EXPORTED} --to <url>` });
    const out = await text();
    expect(out).toMatch(new RegExp(`${EXPORTED} +primary +2/2 shards +not verified +s3://${PRIMARY_BUCKET}/${EXPORTED}`));
    expect(out).toMatch(new RegExp(`${EXPORTED} +DR +- +- +none in this bucket`));
  });

  it('bounded: the DR bucket is listed once (the freshness run’s listing), the primary once, and tags read only of the exports shown', async () => {
    snapshots();
    for (const hhmm of ['0000', '0100', '0200', '0300', '0400', '0500', '0600']) primaryCopy(`rdr-sessions-prod-20261121-${hhmm}`, { shards: 2 });
    for (const hhmm of ['0000', '0100', '0200', '0300', '0400', '0500', '0600']) putDrCopy(aws, `rdr-sessions-prod-20261121-${hhmm}`, { shards: 2 });

    await status();

    // The copies: one listing (the selftest record's, the scrub records' and the DR collapse marks' and releases' prefixes
    // are listings of their own, of those only).
    const own = ['selftest/', 'scrub/redis-dr-scrub-', 'redis-dr-verdicts/collapses/', 'redis-dr-releases/'];
    expect(listed(DR_BUCKET).filter((c) => !own.includes(c.args[0].input.Prefix ?? ''))).toHaveLength(1);
    expect(listed(DR_BUCKET).filter((c) => own.slice(2).includes(c.args[0].input.Prefix ?? ''))).toHaveLength(2);
    expect(listed(DR_BUCKET).filter((c) => c.args[0].input.Prefix === 'scrub/redis-dr-scrub-')).toHaveLength(1);
    expect(listed(PRIMARY_BUCKET)).toHaveLength(1);
    // Primary: the two shards of the one export shown. DR: the freshness run's (newest first, stops at the first usable one), none again.
    expect(tagged(PRIMARY_BUCKET).map((c) => c.args[0].input.Key)).toEqual([`${EXPORTED}-0001.rdb`, `${EXPORTED}-0002.rdb`]);
    expect(tagged(DR_BUCKET)).toHaveLength(2);
  });

  it('a bucket that cannot be read is a problem, not an absence; the other bucket is still shown', async () => {
    snapshots();
    primaryCopy(EXPORTED);
    putDrCopy(aws, EXPORTED);
    aws.s3
      .on(ListObjectsV2Command, { Bucket: PRIMARY_BUCKET })
      .rejects(Object.assign(new Error('User is not authorized to perform: s3:ListBucket'), { name: 'AccessDenied' }));

    const { copies, code } = await status();

    expect(copies.problems).toEqual([`primary bucket s3://${PRIMARY_BUCKET}: AccessDenied: User is not authorized to perform: s3:ListBucket`]);
    expect(copies.points[1]!.copies.map((c) => c.where)).toEqual(['dr']);
    expect(copies.fastPath?.where).toBe('dr');
    // Copies do not change the exit code: the rows the alarms watch do.
    expect(code).toBe(1);
    const out = await text();
    expect(out).toMatch(new RegExp(`${EXPORTED} +primary +- +- +not read \\(see below\\)`));
    expect(out).toContain(`sessions-prod: copies not read: primary bucket s3://${PRIMARY_BUCKET}: AccessDenied`);
  });
});
