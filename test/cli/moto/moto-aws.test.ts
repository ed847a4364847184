import { DescribeSnapshotsCommand, ElastiCacheClient, ListTagsForResourceCommand } from '@aws-sdk/client-elasticache';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAGS } from '../../../lambdas/domain/plans/types.js';
import { startMotoAws, type MotoAws } from '../../support/moto-aws.js';
import { runInProcess } from '../support/in-process.js';
import { DR, MOTO_ACCOUNT, motoClient, PRIMARY, seedDeployment, type SeededDeployment } from './deployment.js';

/**
 * The operator's AWS path against moto (issue 53, "an independent AWS in the
 * tests"): the CLI in this process, its SDK clients unchanged, every request
 * over HTTP to `python3 -m moto.server` (test/support/moto-aws.ts; the calls
 * moto 5.2.1 lacks are answered by its shim, pinned in moto-gaps.test.ts).
 * Nothing here is mocked: what passes is request shapes, response parsing,
 * pagination and waits as an AWS nobody here wrote answers them.
 */
let aws: MotoAws;
let d: SeededDeployment;

// moto loads each service's backend on its first request (CloudFormation's takes seconds): the seeding waits on a loaded machine.
beforeAll(async () => {
  aws = await startMotoAws();
  d = await seedDeployment(aws);
}, 180_000);
afterAll(async () => {
  d?.remove();
  await aws?.stop();
});

/** The program in this process with the moto environment (put back after). */
async function run(...args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, d.env);
  try {
    return await runInProcess(args);
  } finally {
    for (const k of Object.keys(d.env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

/** The rows of a text table whose first cell is `first`. */
const rowsOf = (out: string, first: string) => out.split('\n').filter((l) => l.trim().startsWith(`${first} `));

// Moto's own faults (an HTML page parsed as XML, an unknown action) never pass as redis-dr's output.
const UNANSWERED = /XML parse error|Deserialization error|InvalidAction|not yet implemented/;

// One after the other (runInProcess captures this process's stdout): each test reads what the ones before left in moto.
describe('the operator commands against moto', { timeout: 180_000 }, () => {
  it('status --coverage lists the caches of both cluster modes, the tag-selected one protected by its plan', async () => {
    const r = await run('status', '--coverage');
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(UNANSWERED);
    expect(rowsOf(r.stdout, PRIMARY).map((l) => l.split(/\s+/).slice(2, 5))).toEqual([
      ['queues-prod', 'protected', 'queues'],
      ['sessions-prod', 'protected', 'sessions'],
    ]);
    expect(r.code).toBe(0);
    // Moto has no serverless caches: the shim answered for it (none, as an account without any).
    expect(aws.shimmed).toContain('DescribeServerlessCaches');
  });

  it('snapshot --wait takes a tagged recovery point of each plan (an id-listed cluster-mode group, a tag-selected one)', async () => {
    for (const [plan, target] of [
      ['sessions', 'sessions-prod'],
      ['queues', 'queues-prod'],
    ]) {
      const r = await run('snapshot', '--plan', plan!, '--wait');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${target}: rdr-${target}-\\d{8}-\\d{4} available`, 'm'));
    }
    const ec = motoClient(ElastiCacheClient, aws, PRIMARY);
    const snaps = (await ec.send(new DescribeSnapshotsCommand({}))).Snapshots ?? [];
    const taken = snaps.find((s) => s.ReplicationGroupId === 'sessions-prod');
    expect(taken?.SnapshotStatus).toBe('available');
    const tags = Object.fromEntries(
      ((await ec.send(new ListTagsForResourceCommand({ ResourceName: taken!.ARN! }))).TagList ?? []).map((t) => [t.Key, t.Value]),
    );
    // Tag-on-create reached moto: ownership, plan and source, as prune and export select by them.
    expect(tags).toMatchObject({ [TAGS.managed]: 'true', [TAGS.deployment]: 'moto', [TAGS.plan]: 'sessions', [TAGS.source]: 'sessions-prod' });
  });

  it('status measures the snapshots just taken (ok) and says what is missing (no export yet): exit 1', async () => {
    const r = await run('status');
    expect(r.stdout).not.toMatch(UNANSWERED);
    const rows = rowsOf(r.stdout, 'sessions-prod').filter((l) => / limit /.test(l));
    expect(rows.find((l) => / snapshot /.test(l))).toMatch(/ ok\s*$/);
    expect(rows.find((l) => /exported copy/.test(l))).toMatch(/MISSING\s+no snapshot of plan sessions marked redis-dr:exported/);
    expect(rows.find((l) => /verified DR copy/.test(l))).toContain(`MISSING  no exports in s3://${d.drBucket}`);
    expect(rowsOf(r.stdout, 'queues-prod').find((l) => / snapshot /.test(l))).toMatch(/ ok\s*$/);
    expect(r.code).toBe(1);
  });

  it('prune --dry-run plans against what moto lists and deletes nothing', async () => {
    const ec = motoClient(ElastiCacheClient, aws, PRIMARY);
    const before = (await ec.send(new DescribeSnapshotsCommand({}))).Snapshots?.length;
    const r = await run('prune', '--plan', 'sessions', '--dry-run');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^DRY RUN: nothing deleted\./);
    expect(r.stdout).toMatch(/sessions-prod: keep 1, delete 0/);
    expect((await ec.send(new DescribeSnapshotsCommand({}))).Snapshots?.length).toBe(before);
  });

  it('doctor passes what is seeded as a deploy leaves it, and fails only what is not (schedules, subscriptions, alarms)', async () => {
    const r = await run('doctor');
    expect(r.stdout).not.toMatch(UNANSWERED);
    const line = (section: RegExp) => r.stdout.split('\n').filter((l) => section.test(l));
    expect(line(/RedisDr-moto-(Primary|Dr)/).every((l) => l.trim().startsWith('pass'))).toBe(true);
    expect(line(/ bucket redis-dr-moto-/).every((l) => l.trim().startsWith('pass'))).toBe(true);
    expect(line(/sessions\/sessions-prod: valkey/)).toHaveLength(1);
    expect(line(/^\s+FAIL/).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual([
      `FAIL ${PRIMARY} group`,
      `FAIL ${DR} group`,
      `FAIL ${PRIMARY} topic`,
      `FAIL ${DR} topic`,
      `FAIL ${PRIMARY} redis-dr-moto-*:`,
      `FAIL ${DR} redis-dr-moto-*:`,
    ]);
    expect(r.stdout).toContain(`pass  account ${MOTO_ACCOUNT}`);
    expect(r.code).toBe(1);
  });

  it('selftest passes its preflight and snapshots, and stops at the export: moto has no CopySnapshot', async () => {
    const r = await run('selftest');
    const verdict = (step: RegExp) =>
      r.stdout
        .split('\n')
        .find((l) => step.test(l))
        ?.split(/\s{2,}/)[2];
    expect(verdict(/^preflight RedisDr-moto-Primary/)).toBe('PASSED');
    expect(verdict(/^preflight RedisDr-moto-Dr/)).toBe('PASSED');
    expect(verdict(/^snapshot sessions\/sessions-prod/)).toBe('PASSED');
    expect(verdict(/^snapshot queues\//)).toBe('PASSED');
    // The gap, named in moto-gaps.test.ts: moto answers CopySnapshot with an HTML page (HTTP 500).
    expect(verdict(/^export sessions\/sessions-prod/)).toBe('FAILED');
    expect(r.stdout).toMatch(/export of rdr-sessions-prod-\d{8}-\d{4} failed/);
    expect(r.code).toBe(1);
    // Its record is in the DR bucket, read back through moto.
    const s3 = motoClient(S3Client, aws, DR);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: d.drBucket, Prefix: 'selftest/' }));
    expect(listed.KeyCount).toBeGreaterThanOrEqual(1);
    const record = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: d.drBucket, Key: listed.Contents!.at(-1)!.Key! }))).Body!.transformToString(),
    ) as Record<string, unknown>;
    expect(JSON.stringify(record)).toContain('rdr-sessions-prod-');
  });

  it('report --json is PARTIAL where moto lacks an API (alarm history), and counts the recovery points it listed', async () => {
    const out = join(d.dir, 'report.json');
    const r = await run('report', '--since', '7d', '--json', out);
    expect(r.stdout).toMatch(/^PARTIAL moto: 2 cache\(s\)/);
    // moto-gaps.test.ts pins it: moto has no DescribeAlarmHistory.
    expect(r.stdout).toContain(`NOT READ alarm history of ${PRIMARY} (redis-dr-moto-*)`);
    expect(r.stdout).toContain(`NOT READ alarm history of ${DR} (redis-dr-moto-*)`);
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { caches: { facts: { cache: string; points: unknown[] } }[]; notCollected: Record<string, string> };
    // The Alarms section says it was not collected: an empty table would read as "no alarm in the period".
    expect(report.notCollected.alarms).toBe(`alarm history of ${PRIMARY} not read (see the problems); alarm history of ${DR} not read (see the problems)`);
    // The snapshots the tests before took (snapshot --wait, selftest) are its recovery points.
    for (const c of report.caches) expect(c.facts.points.length, c.facts.cache).toBeGreaterThanOrEqual(1);
    expect(report.caches.map((c) => c.facts.cache).sort()).toEqual(['queues-prod', 'sessions-prod']);
  });
});
