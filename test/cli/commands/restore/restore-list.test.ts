import { DescribeSnapshotsCommand } from '@aws-sdk/client-elasticache';
import { GetObjectTaggingCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RecoveryPointList } from '../../../../cli/commands/restore/list-action.js';
import { FakeClock } from '../../../support/fakes.js';
import { fakeAws } from '../../support/fake-aws.js';
import { DR_BUCKET, PRIMARY_BUCKET, putDrCopy } from '../../support/dr-copies.js';
import { runInProcess } from '../../support/in-process.js';

/** `restore --list`: a target's recent recovery points with their `.rdb` copies; creates nothing. */

const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const point = (hhmm: string) => `rdr-sessions-prod-20261121-${hhmm}`;
const aws = fakeAws();
let clock: FakeClock;

const list = (...args: string[]) => runInProcess(['restore', '-c', CONFIG, '--target', 'sessions-prod', '--list', ...args], { clock });

async function listJson(...args: string[]): Promise<RecoveryPointList> {
  const r = await list(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as RecoveryPointList;
}

function snapshot(hhmm: string, status = 'available'): void {
  aws.state.snapshots.set(point(hhmm), {
    name: point(hhmm),
    target: 'sessions-prod',
    status,
    createdAt: new Date(`2026-11-21T${hhmm.slice(0, 2)}:${hhmm.slice(2)}:30Z`),
    tags: {},
  });
}

beforeEach(() => {
  aws.reset();
  clock = new FakeClock(NOW);
});

describe('restore --list (primary region)', () => {
  it('the newest available snapshots, newest first, each with its copies in both buckets, and the fast path; nothing created', async () => {
    for (const hhmm of ['0300', '0600', '0900']) snapshot(hhmm);
    snapshot('0930', 'creating');
    putDrCopy(aws, point('0600'), { shards: 2, bucket: PRIMARY_BUCKET, verified: null });
    putDrCopy(aws, point('0600'), { shards: 2 });
    putDrCopy(aws, point('0300'), { verified: 'corrupt' });

    const l = await listJson();

    expect(l.points.map((p) => [p.recoveryPoint, p.newest, p.copies.map((c) => `${c.where} ${c.shardsFound}/${c.shards} ${c.verification}`)])).toEqual([
      [point('0900'), true, []],
      [point('0600'), false, ['primary 2/2 not-verified', 'dr 2/2 ok']],
      [point('0300'), false, ['dr 1/1 corrupt']],
    ]);
    expect(l).toMatchObject({ target: 'sessions-prod', region: 'eu-west-1', where: 'primary', problems: [] });
    expect(l.fastPath).toEqual({
      recoveryPoint: point('0600'),
      where: 'dr',
      location: `s3://${DR_BUCKET}/${point('0600')}`,
      command: `redis-dr migrate --from-rdb s3://${DR_BUCKET}/${point('0600')} --to <url>`,
    });
    expect(aws.state.groups.size).toBe(0);

    const text = (await list()).stdout;
    expect(text).toContain('recovery points of sessions-prod in eu-west-1, newest first: restore one with --from <recovery point>\n');
    expect(text).toMatch(new RegExp(`${point('0900')} \\(newest\\) +- +- +- +no \\.rdb copy: use the temporary-cluster path`));
    expect(text).toMatch(new RegExp(`${point('0600')} +primary +2/2 shards +not verified +s3://${PRIMARY_BUCKET}/${point('0600')}\n`));
    expect(text).toMatch(new RegExp(`${point('0300')} +primary +- +- +none in this bucket\n`));
    expect(text).toMatch(new RegExp(`${point('0300')} +DR +1/1 shards +VERIFIED CORRUPT +s3://${DR_BUCKET}/${point('0300')}\n`));
    expect(text).toContain(
      `sessions-prod fast path (keys from ${point('0600')}, the newest usable copy: check it was taken before the incident, else take an older one from restore --list; no new cluster): redis-dr migrate --from-rdb s3://${DR_BUCKET}/${point('0600')} --to <url>`,
    );
  });

  it('bounded by --limit: one snapshot listing, one listing per bucket, tags only of the points listed', async () => {
    const hours = ['0000', '0100', '0200', '0300', '0400', '0500', '0600', '0700', '0800', '0900'];
    for (const hhmm of hours) {
      snapshot(hhmm);
      putDrCopy(aws, point(hhmm), { shards: 2, bucket: PRIMARY_BUCKET, verified: null });
      putDrCopy(aws, point(hhmm), { shards: 2 });
    }

    const l = await listJson('--limit', '3');

    expect(l.points.map((p) => p.recoveryPoint)).toEqual([point('0900'), point('0800'), point('0700')]);
    expect(aws.ec.commandCalls(DescribeSnapshotsCommand)).toHaveLength(1);
    expect(aws.s3.commandCalls(ListObjectsV2Command).map((c) => [c.args[0].input.Bucket, c.args[0].input.Prefix])).toEqual([
      [PRIMARY_BUCKET, 'rdr-sessions-prod-'],
      [DR_BUCKET, 'rdr-sessions-prod-'],
    ]);
    // 3 points × 2 buckets × 2 shards.
    expect(aws.s3.commandCalls(GetObjectTaggingCommand)).toHaveLength(12);
  });

  it('a target without snapshots: says none found', async () => {
    const r = await list();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'recovery points of sessions-prod in eu-west-1, newest first: restore one with --from <recovery point>\nnone found (no available manual snapshot)\n',
    );
  });
});

describe('restore --list (DR region)', () => {
  it('the DR bucket’s copies, also of snapshots pruned since; nothing of the primary region is asked', async () => {
    putDrCopy(aws, point('0600'), { shards: 3, absent: [2] });
    putDrCopy(aws, 'rdr-sessions-prod-20261101-0000');

    const l = await listJson('--region', 'eu-central-1');

    expect(l.points.map((p) => [p.recoveryPoint, p.copies.map((c) => `${c.where} ${c.complete}`)])).toEqual([
      [point('0600'), ['dr false']],
      ['rdr-sessions-prod-20261101-0000', ['dr true']],
    ]);
    expect(l.fastPath?.recoveryPoint).toBe('rdr-sessions-prod-20261101-0000');
    expect(aws.ec.commandCalls(DescribeSnapshotsCommand)).toHaveLength(0);
    expect(aws.s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Bucket)).toEqual([DR_BUCKET]);

    const text = (await list('--region', 'eu-central-1')).stdout;
    expect(text).toContain('DR copies of sessions-prod in eu-central-1, newest first: restore one with --region eu-central-1 --from <location>\n');
    expect(text).toMatch(new RegExp(`${point('0600')} +DR +2/3 shards \\(0002 missing\\) +verified ok +s3://${DR_BUCKET}/${point('0600')}\n`));
    expect(text).not.toContain('primary');
  });

  it('a bucket that cannot be read: exit 1, named', async () => {
    aws.s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const r = await list('--region', 'eu-central-1');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`sessions-prod: copies not read: DR bucket s3://${DR_BUCKET}: AccessDenied: Access Denied`);
  });
});

describe('restore --list usage (exit 2, nothing listed)', () => {
  it.each([
    [['--list', '--new-id', 'x1'], '--list creates nothing: leave out --new-id to list, or --list to restore'],
    [[], "required option '--new-id <id>' not specified (or --list to see the recovery points)"],
    [['--list', '--limit', '0'], '--limit must be a whole number >= 1'],
    [['--list', '--region', 'us-east-1'], 'list in the primary (eu-west-1) or DR (eu-central-1) region of this config'],
  ])('%j', async (args, message) => {
    const r = await runInProcess(['restore', '-c', CONFIG, '--target', 'sessions-prod', ...args], { clock });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(aws.s3.calls()).toHaveLength(0);
  });
});
