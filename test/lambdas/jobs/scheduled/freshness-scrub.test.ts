import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { schedulerCreatedAt } from '../../../../lambdas/adapters/aws/scheduler.js';
import type { FreshnessInput } from '../../../../lambdas/domain/plans/plan-input.js';
import { scrubRecordName } from '../../../../lambdas/domain/scrub/record.js';
import { type FreshnessDeps, FreshnessRunFailedError, runFreshness, SCRUB_RECORDS } from '../../../../lambdas/jobs/scheduled/freshness.js';
import { scrubAgeLimitMinutes } from '../../../../lib/deployment.js';
import { fakeDeps } from '../../../support/fakes.js';

/**
 * The daily scrub's dead man's switch (`scrub-age`): the DR freshness monitor lists the scrub's records under
 * `scrub/redis-dr-scrub-` and emits the age of the newest by the time in its key; none yet, since the scrub's schedule
 * was created (GetSchedule). The limit each age is held to is the alarm's (lib/deployment.ts scrubAgeLimitMinutes).
 */
const s3 = mockClient(S3Client);
const scheduler = mockClient(SchedulerClient);
const BUCKET = 'prod-redis-dr-dr';
const SCHEDULE_ARN = 'arn:aws:scheduler:eu-central-1:111122223333:schedule/redis-dr-prod-dr/DrScrubSchedulePlanscrub0A1B2C3D';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const LIMIT_SECONDS = scrubAgeLimitMinutes(new Date(NOW)) * 60;
const hoursAgo = (h: number) => new Date(NOW - h * 3_600_000);
const recordKey = (at: Date) => `scrub/${scrubRecordName(at)}`;

/** The bucket's keys. */
let keys: string[];
/** The scrub schedule's creation; undefined: it does not exist. */
let scheduleCreated: Date | undefined;
let deps: ReturnType<typeof fakeDeps> & FreshnessDeps;

const input = (): FreshnessInput => ({
  deployment: 'prod',
  where: 'dr',
  bucket: BUCKET,
  plans: [],
  scrub: { prefix: 'scrub/', scheduleArn: SCHEDULE_ARN },
  budgetSeconds: 60,
});

beforeEach(() => {
  s3.reset();
  scheduler.reset();
  keys = [];
  scheduleCreated = hoursAgo(24 * 90);
  const client = new SchedulerClient({ region: 'eu-central-1' });
  deps = { ...fakeDeps(NOW), drillHistory: async () => [], protectionStart: (arn, wrap) => schedulerCreatedAt(client, arn, wrap) };
  s3.on(ListObjectsV2Command).callsFake(async (i: { Prefix?: string }) => ({
    Contents: keys.filter((k) => k.startsWith(i.Prefix ?? '')).map((Key) => ({ Key, Size: 1, LastModified: new Date(NOW) })),
  }));
  scheduler.on(GetScheduleCommand).callsFake(async () => {
    if (!scheduleCreated) throw new ResourceNotFoundException({ message: 'Schedule not found', Message: 'Schedule not found', $metadata: {} });
    return { Arn: SCHEDULE_ARN, State: 'ENABLED', CreationDate: scheduleCreated };
  });
});

const ages = () => deps.metrics.points.map((p) => [p.name, p.dimensions, p.value]);
const listedPrefixes = () => s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix);

describe("freshness: the daily scrub's newest record (scrub-age)", () => {
  it("a record of yesterday's run: its age, under the limit, by the key's time (never LastModified)", async () => {
    keys = [recordKey(hoursAgo(24 * 2 + 5.5)), recordKey(hoursAgo(5.5 + 24)), `111122223333/eu-west-1/scrub/${scrubRecordName(hoursAgo(1))}`];

    const r = await runFreshness(input(), deps);

    expect(ages()).toEqual([['ScrubRecordAgeSeconds', { Bucket: BUCKET }, 29.5 * 3600]]);
    expect(r.points).toEqual([
      { plan: SCRUB_RECORDS, target: BUCKET, metric: 'ScrubRecordAgeSeconds', seconds: 29.5 * 3600, recoveryPoint: recordKey(hoursAgo(29.5)) },
    ]);
    expect(r.points[0]!.seconds).toBeLessThan(LIMIT_SECONDS);
    expect(r.planPoints).toEqual([]);
    // Only the records' prefix is listed (not the organization's copy under <account>/<region>/scrub/), no start read.
    expect(listedPrefixes()).toEqual(['scrub/redis-dr-scrub-']);
    expect(scheduler.commandCalls(GetScheduleCommand)).toHaveLength(0);
  });

  it("an organization's vault with no member account listed yet: the run measures the vault scrub's records alone, and passes", async () => {
    keys = [`redis-dr-vault-scrub/${scrubRecordName(hoursAgo(5))}`];

    const r = await runFreshness(
      { ...input(), vaultVerdicts: true, vaultAccounts: [], scrub: { prefix: 'redis-dr-vault-scrub/', scheduleArn: SCHEDULE_ARN } },
      deps,
    );

    expect(ages()).toEqual([['ScrubRecordAgeSeconds', { Bucket: BUCKET }, 5 * 3600]]);
    expect(r.failed).toEqual([]);
    expect(listedPrefixes()).toEqual(['redis-dr-vault-scrub/redis-dr-scrub-']);
  });

  it('a newest record of 3 days ago (the schedule stopped): its age, past the limit (the page)', async () => {
    keys = [recordKey(hoursAgo(24 * 4 + 5.5)), recordKey(hoursAgo(24 * 3 + 5.5))];

    const r = await runFreshness(input(), deps);

    expect(ages()).toEqual([['ScrubRecordAgeSeconds', { Bucket: BUCKET }, (72 + 5.5) * 3600]]);
    expect(r.points[0]!.seconds).toBeGreaterThanOrEqual(LIMIT_SECONDS);
    expect(LIMIT_SECONDS).toBe(49 * 3600);
  });

  it('no record yet and the schedule created an hour ago: the age since then (grace), not missing data', async () => {
    scheduleCreated = hoursAgo(1);

    const r = await runFreshness(input(), deps);

    expect(ages()).toEqual([['ScrubRecordAgeSeconds', { Bucket: BUCKET }, 3600]]);
    expect(r.points).toEqual([{ plan: SCRUB_RECORDS, target: BUCKET, metric: 'ScrubRecordAgeSeconds', seconds: 3600, sinceProtectionStart: true }]);
    expect(r.points[0]!.seconds).toBeLessThan(LIMIT_SECONDS);
    expect(r.gaps).toEqual([]);
    expect(scheduler).toHaveReceivedCommandWith(GetScheduleCommand, { GroupName: 'redis-dr-prod-dr', Name: 'DrScrubSchedulePlanscrub0A1B2C3D' });
  });

  it('no record and a schedule created 3 days ago: the grace is over, past the limit', async () => {
    scheduleCreated = hoursAgo(72);

    const r = await runFreshness(input(), deps);

    expect(r.points[0]!.seconds).toBe(72 * 3600);
    expect(r.points[0]!.seconds).toBeGreaterThanOrEqual(LIMIT_SECONDS);
  });

  it('no record and no schedule (deleted): no data point (the alarm breaches on missing data), named as a gap', async () => {
    scheduleCreated = undefined;

    const r = await runFreshness(input(), deps);

    expect(ages()).toEqual([]);
    expect(r.gaps).toEqual([
      {
        plan: SCRUB_RECORDS,
        target: BUCKET,
        metric: 'ScrubRecordAgeSeconds',
        why: `no scrub record under s3://${BUCKET}/scrub/; ${SCHEDULE_ARN} does not exist, so the scrub has no start`,
      },
    ]);
  });

  it('no record and a scheduleArn that names no schedule (its name missing): a failure named, never a gap read as no schedule', async () => {
    const scheduleArn = 'arn:aws:scheduler:eu-central-1:111122223333:schedule/redis-dr-prod-dr';
    const err = await runFreshness({ ...input(), scrub: { prefix: 'scrub/', scheduleArn } }, deps).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(FreshnessRunFailedError);
    expect((err as FreshnessRunFailedError).report.failed[0]!.error).toContain('not a schedule ARN');
    expect(scheduler.commandCalls(GetScheduleCommand)).toHaveLength(0);
  });

  it('a listing that fails: a failure named, no data point, and the run throws (lambda-errors)', async () => {
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    const err = await runFreshness(input(), deps).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(FreshnessRunFailedError);
    const { report } = err as FreshnessRunFailedError;
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]).toMatchObject({ plan: SCRUB_RECORDS, target: BUCKET, metric: 'ScrubRecordAgeSeconds' });
    expect(report.failed[0]!.error).toContain('Access Denied');
    expect((err as Error).message).toContain('Access Denied');
    expect(ages()).toEqual([]);
  });

  it('a record dated after now past the clock skew is not taken: the newest before it is measured, and the run fails naming it', async () => {
    const future = recordKey(new Date(NOW + 24 * 3_600_000));
    keys = [recordKey(hoursAgo(24 * 3 + 5.5)), future];

    const err = await runFreshness(input(), deps).catch((e: unknown) => e);

    expect(ages()).toEqual([['ScrubRecordAgeSeconds', { Bucket: BUCKET }, (72 + 5.5) * 3600]]);
    expect(err).toBeInstanceOf(FreshnessRunFailedError);
    expect((err as Error).message).toContain(`s3://${BUCKET}/${future}`);
  });

  it('a record within the clock skew (10 min ahead) counts as age 0, and the run passes', async () => {
    keys = [recordKey(hoursAgo(24 * 3)), recordKey(new Date(NOW + 10 * 60_000))];

    const r = await runFreshness(input(), deps);

    expect(r.points[0]!.seconds).toBe(0);
    expect(r.failed).toEqual([]);
  });

  it('names that are no record (not a time, a time that does not exist, another suffix) are left out', async () => {
    keys = [
      recordKey(hoursAgo(24 * 3)),
      'scrub/redis-dr-scrub-latest.json',
      'scrub/redis-dr-scrub-20261131T043000000Z.json',
      `${recordKey(hoursAgo(1))}.bak`,
      `scrub/redis-dr-scrub-x/${scrubRecordName(hoursAgo(1))}`,
    ];

    const r = await runFreshness(input(), deps);

    expect(r.points[0]!.seconds).toBe(72 * 3600);
    expect(r.points[0]!.recoveryPoint).toBe(recordKey(hoursAgo(72)));
  });

  it("the vault's monitor: the vault scrub's records under redis-dr-vault-scrub/, not the DR prefix", async () => {
    keys = [recordKey(hoursAgo(1)), `redis-dr-vault-scrub/${scrubRecordName(hoursAgo(30))}`];

    const r = await runFreshness({ ...input(), vaultVerdicts: true, scrub: { prefix: 'redis-dr-vault-scrub/', scheduleArn: SCHEDULE_ARN } }, deps);

    expect(ages()).toEqual([['ScrubRecordAgeSeconds', { Bucket: BUCKET }, 30 * 3600]]);
    expect(r.points[0]!.recoveryPoint).toBe(`redis-dr-vault-scrub/${scrubRecordName(hoursAgo(30))}`);
    expect(listedPrefixes()).toEqual(['redis-dr-vault-scrub/redis-dr-scrub-']);
  });

  it('without scrub in the input: nothing listed, no scrub metric', async () => {
    keys = [recordKey(hoursAgo(1))];
    const { scrub: _, ...without } = input();

    await runFreshness(without, deps);

    expect(ages()).toEqual([]);
    expect(listedPrefixes()).toEqual([]);
  });
});
