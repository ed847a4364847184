import { AddTagsToResourceCommand, RemoveTagsFromResourceCommand } from '@aws-sdk/client-elasticache';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { createHash } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { FakeClock } from '../../../support/fakes.js';
import { DR_BUCKET, PRIMARY_BUCKET } from '../../support/dr-copies.js';
import { ACCOUNT, fakeAws } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';
import { backupPutter } from '../../../support/stored-backup.js';

/**
 * `retention release`: the hold of a keyspace collapse ended — copies' tier
 * tags back in both buckets, snapshot holds removed, the mark rewritten —
 * against the in-memory account (aws-sdk-client-mock at the SDK boundary).
 */
const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T12:00:00Z');
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'sessions-prod' };
const P = 'rdr-sessions-prod-20261121-1000';
const A = 'rdr-sessions-prod-20261121-0800';
const B = 'rdr-sessions-prod-20261121-0900';
const Q = 'rdr-sessions-prod-20261120-0500';
const OLD = 'rdr-sessions-prod-20261120-0400';
/** Exported, its snapshot pruned since: only its copies are left. */
const GONE = 'rdr-sessions-prod-20261101-0000';
const MARK = `${P} holds 0 keys 100 pct fewer than 1000 in ${B}`;
const aws = fakeAws();
let clock: FakeClock;
/** The release records put in the DR bucket (their text), by key. */
let records: Map<string, string>;
const RELEASED = `redis-dr-releases/${P}.released.json`;
const ACCEPTED = `redis-dr-releases/${P}.accepted.json`;

const run = (...args: string[]) => runInProcess(['retention', 'release', '-c', CONFIG, ...args], { clock });

function snapshot(name: string, tags: Record<string, string>): void {
  aws.state.snapshots.set(name, {
    name,
    target: 'sessions-prod',
    status: 'available',
    createdAt: new Date(0),
    tags: { ...OURS, 'redis-dr:tier': 'daily', ...tags },
  });
}

function copy(bucket: string, snapshot: string, tier: string): void {
  const objects = aws.state.objects.get(bucket) ?? new Map<string, Record<string, string>>();
  aws.state.objects.set(bucket, objects);
  objects.set(`${snapshot}-0001.rdb`, { 'redis-dr:tier': tier, 'redis-dr:plan': 'sessions', 'redis-dr:shard': '0001/0001', 'redis-dr:verified': 'ok' });
}

const tierOf = (bucket: string, snapshot: string) => aws.state.objects.get(bucket)!.get(`${snapshot}-0001.rdb`)!['redis-dr:tier'];
const arnName = (arn: string) => arn.split(':').pop()!;
const mutations = () =>
  aws.ec.commandCalls(AddTagsToResourceCommand).length +
  aws.ec.commandCalls(RemoveTagsFromResourceCommand).length +
  aws.s3.commandCalls(PutObjectTaggingCommand).length;

beforeEach(() => {
  aws.reset();
  clock = new FakeClock(NOW);
  aws.ec.on(RemoveTagsFromResourceCommand).callsFake((i: { ResourceName: string; TagKeys: string[] }) => {
    const s = aws.state.snapshots.get(arnName(i.ResourceName))!;
    for (const k of i.TagKeys) delete s.tags[k];
    return {};
  });
  aws.ec.on(AddTagsToResourceCommand).callsFake((i: { ResourceName: string; Tags: { Key: string; Value: string }[] }) => {
    const s = aws.state.snapshots.get(arnName(i.ResourceName))!;
    for (const t of i.Tags) s.tags[t.Key] = t.Value;
    return {};
  });
  aws.s3.on(PutObjectTaggingCommand).callsFake((i: { Bucket: string; Key: string; Tagging: { TagSet: { Key: string; Value: string }[] } }) => {
    aws.state.objects.get(i.Bucket)!.set(i.Key, Object.fromEntries(i.Tagging.TagSet.map((t) => [t.Key, t.Value])));
    return {};
  });
  // The DR bucket's release records: PutObject stores them, HeadObject answers S3's checksum (the store's read-back).
  records = new Map();
  aws.s3.on(PutObjectCommand).callsFake((i: { Bucket: string; Key: string; Body: Uint8Array }) => {
    records.set(`${i.Bucket}/${i.Key}`, Buffer.from(i.Body).toString('utf8'));
    return {};
  });
  aws.s3.on(HeadObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
    const body = records.get(`${i.Bucket}/${i.Key}`);
    if (body === undefined) throw Object.assign(new Error('Not Found'), { name: 'NotFound' });
    return { ContentLength: Buffer.byteLength(body), ChecksumSHA256: createHash('sha256').update(body).digest('base64'), ChecksumType: 'FULL_OBJECT' };
  });
  snapshot(OLD, { 'redis-dr:hold': `keyspace-collapsed:${Q}` });
  snapshot(Q, { 'redis-dr:collapsed': `${Q} holds 3 keys` });
  snapshot(A, { 'redis-dr:hold': `keyspace-collapsed:${P}` });
  snapshot(B, { 'redis-dr:hold': `keyspace-collapsed:${P}` });
  snapshot(P, { 'redis-dr:collapsed': MARK });
  for (const bucket of [DR_BUCKET, PRIMARY_BUCKET]) {
    copy(bucket, OLD, 'held-weekly');
    copy(bucket, A, 'held-daily');
    copy(bucket, B, 'held-hourly');
    copy(bucket, P, 'daily');
  }
});

describe('retention release', () => {
  it("puts the copies' tier tags back in both buckets, removes the holds naming the point, rewrites its mark; logs each change; exit 0", async () => {
    for (const bucket of [DR_BUCKET, PRIMARY_BUCKET]) copy(bucket, GONE, 'held-monthly');
    const r = await run('--target', 'sessions-prod', '--point', P);
    // Before Q, still active: Q holds it (its snapshot is gone, so no hold tag says so).
    for (const bucket of [DR_BUCKET, PRIMARY_BUCKET]) expect(tierOf(bucket, GONE)).toBe('held-monthly');

    expect(r.stderr).toContain(`copy-tier s3://${DR_BUCKET}/${A}-0001.rdb: held-daily -> daily`);
    expect(r.code).toBe(0);
    for (const bucket of [DR_BUCKET, PRIMARY_BUCKET]) {
      expect([tierOf(bucket, A), tierOf(bucket, B), tierOf(bucket, P)]).toEqual(['daily', 'hourly', 'daily']);
      // Another collapse still holds this one: untouched.
      expect(tierOf(bucket, OLD)).toBe('held-weekly');
    }
    expect(aws.state.snapshots.get(A)!.tags['redis-dr:hold']).toBeUndefined();
    expect(aws.state.snapshots.get(B)!.tags['redis-dr:hold']).toBeUndefined();
    expect(aws.state.snapshots.get(OLD)!.tags['redis-dr:hold']).toBe(`keyspace-collapsed:${Q}`);
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toBe(`released 2026-11-21T12:00:00.000Z ${MARK}`);
    // The verifier's other tags stay (PutObjectTagging replaces the set: merged).
    expect(aws.state.objects.get(DR_BUCKET)!.get(`${A}-0001.rdb`)!['redis-dr:verified']).toBe('ok');
    expect(r.stderr).toContain(`snapshot-hold ${A}: redis-dr:hold=keyspace-collapsed:${P} -> (none)`);
    expect(r.stderr).toContain(`collapse-mark ${P}: ${MARK} -> released`);
    // The DR copies' release record, read back: the DR verifier and the DR drills read it (domain/points/collapse-records.ts).
    expect(JSON.parse(records.get(`${DR_BUCKET}/${RELEASED}`)!)).toEqual({
      kind: 'dr-collapse-release',
      point: P,
      target: 'sessions-prod',
      state: 'released',
      at: '2026-11-21T12:00:00.000Z',
    });
    expect([...records.keys()]).toEqual([`${DR_BUCKET}/${RELEASED}`]);
    expect(r.stderr).toContain(`dr-release s3://${DR_BUCKET}/${RELEASED}: (none) -> released`);
    expect(r.stdout).toBe(`made 8 change(s): the hold of ${P} on sessions-prod is released\n`);
  });

  it('a collapse only the DR verifier judged (no snapshot mark or hold: a plan without the probe) is released in the DR bucket, and recorded', async () => {
    const point = 'rdr-sessions-prod-20261121-1100';
    aws.state.objects.get(DR_BUCKET)!.set(`redis-dr-verdicts/collapses/${point}-r2.json`, {});
    const key = `redis-dr-releases/${point}.accepted.json`;
    aws.s3.on(HeadObjectCommand, { Bucket: DR_BUCKET, Key: key }).callsFake(() => {
      const body = records.get(`${DR_BUCKET}/${key}`)!;
      return { ContentLength: Buffer.byteLength(body), ChecksumSHA256: createHash('sha256').update(body).digest('base64'), ChecksumType: 'FULL_OBJECT' };
    });
    const r = await run('--target', 'sessions-prod', '--point', point, '--accept');
    expect(r.stderr).toContain(`dr-release s3://${DR_BUCKET}/${key}: (none) -> accepted`);
    expect(r.code).toBe(0);
    expect(JSON.parse(records.get(`${DR_BUCKET}/${key}`)!)).toMatchObject({ point, state: 'accepted' });
  });

  it('a release record that is not read back as written: exit 1 naming it', async () => {
    aws.s3.on(HeadObjectCommand, { Bucket: DR_BUCKET, Key: RELEASED }).resolves({ ContentLength: 3, ChecksumSHA256: 'AAAA', ChecksumType: 'FULL_OBJECT' });
    const r = await run('--target', 'sessions-prod', '--point', P);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`FAILED dr-release s3://${DR_BUCKET}/${RELEASED}: (none) -> released`);
  });

  it('a copy the export job held again meanwhile (its snapshot was still held) is released once more after the holds are gone', async () => {
    aws.ec.on(RemoveTagsFromResourceCommand).callsFake((i: { ResourceName: string; TagKeys: string[] }) => {
      // The export job ran between the copies and the holds: it held A's export-bucket copy again.
      aws.state.objects.get(PRIMARY_BUCKET)!.get(`${A}-0001.rdb`)!['redis-dr:tier'] = 'held-daily';
      const s = aws.state.snapshots.get(arnName(i.ResourceName))!;
      for (const k of i.TagKeys) delete s.tags[k];
      return {};
    });
    const r = await run('--target', 'sessions-prod', '--point', P);
    expect(r.code).toBe(0);
    expect(tierOf(PRIMARY_BUCKET, A)).toBe('daily');
  });

  it('a hold the snapshot Lambda put back meanwhile (it read the mark while still active) is removed again once the mark is rewritten: no point left held by a released mark', async () => {
    let lambdaRan = false;
    aws.ec.on(RemoveTagsFromResourceCommand).callsFake((i: { ResourceName: string; TagKeys: string[] }) => {
      const s = aws.state.snapshots.get(arnName(i.ResourceName))!;
      for (const k of i.TagKeys) delete s.tags[k];
      // A snapshot Lambda run that read P's mark while it was active puts the holds it asks for back, after step 2 removed them.
      if (arnName(i.ResourceName) === B && !lambdaRan) {
        lambdaRan = true;
        aws.state.snapshots.get(A)!.tags['redis-dr:hold'] = `keyspace-collapsed:${P}`;
      }
      return {};
    });
    const r = await run('--target', 'sessions-prod', '--point', P);
    expect(lambdaRan).toBe(true);
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toBe(`released 2026-11-21T12:00:00.000Z ${MARK}`);
    expect(aws.state.snapshots.get(A)!.tags['redis-dr:hold']).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith(`snapshot-hold ${A}:`))).toHaveLength(2);
  });

  it('the listing after the mark is rewritten failing: the mark is reported done once, the hold look-up failed (exit 1), never the mark failed', async () => {
    aws.tagging.on(GetResourcesCommand).callsFake(async () => {
      if (aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']?.startsWith('released '))
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      return {
        ResourceTagMappingList: [...aws.state.snapshots.values()]
          .filter((s) => s.target === 'sessions-prod')
          .map((s) => ({
            ResourceARN: `arn:aws:elasticache:eu-west-1:${ACCOUNT}:snapshot:${s.name}`,
            Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
          })),
      };
    });
    const r = await run('--target', 'sessions-prod', '--point', P);
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toBe(`released 2026-11-21T12:00:00.000Z ${MARK}`);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain(`FAILED collapse-mark ${P}`);
    expect(r.stderr.split('\n').filter((l) => l.startsWith(`collapse-mark ${P}:`))).toHaveLength(1);
    expect(r.stderr).toContain(`FAILED snapshot-hold (the snapshots held by ${P})`);
  });

  it('a mark another release rewrote meanwhile (an --accept) is not overwritten from the one read at the start: exit 1 naming it; a rerun finds it done', async () => {
    aws.ec.on(RemoveTagsFromResourceCommand).callsFake((i: { ResourceName: string; TagKeys: string[] }) => {
      // Another operator's `retention release --accept` of the same point finished while this one removed the holds.
      aws.state.snapshots.get(P)!.tags['redis-dr:collapsed'] = `accepted 2026-11-21T11:59:00.000Z ${MARK}`;
      const s = aws.state.snapshots.get(arnName(i.ResourceName))!;
      for (const k of i.TagKeys) delete s.tags[k];
      return {};
    });
    const r = await run('--target', 'sessions-prod', '--point', P);
    // The acceptance stays: the point is the baseline, as that operator said.
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toBe(`accepted 2026-11-21T11:59:00.000Z ${MARK}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `FAILED collapse-mark ${P}: ${MARK} -> released 2026-11-21T12:00:00.000Z ${MARK} (kept: the mark changed since this release read it (another release ran meanwhile?); it is now: accepted 2026-11-21T11:59:00.000Z ${MARK})`,
    );
    const again = await run('--target', 'sessions-prod', '--point', P);
    expect(again.code).toBe(0);
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toBe(`accepted 2026-11-21T11:59:00.000Z ${MARK}`);
  });

  it('releasing the older collapse Q while the later P is active: P holds what Q held (the hold moves to P, the copies stay held); exit 0', async () => {
    // A copy whose snapshot was pruned long ago: both collapses held it (the DR verifier holds every earlier copy).
    for (const bucket of [DR_BUCKET, PRIMARY_BUCKET]) copy(bucket, GONE, 'held-monthly');
    const r = await run('--target', 'sessions-prod', '--point', Q);

    expect(r.code).toBe(0);
    for (const bucket of [DR_BUCKET, PRIMARY_BUCKET]) expect(tierOf(bucket, GONE)).toBe('held-monthly');
    // OLD was taken before P too: P's collapse holds it (what the snapshot Lambda would put back only at its next run).
    expect(aws.state.snapshots.get(OLD)!.tags['redis-dr:hold']).toBe(`keyspace-collapsed:${P} until=2026-12-21T10:00:00Z`);
    for (const bucket of [DR_BUCKET, PRIMARY_BUCKET]) {
      expect(tierOf(bucket, OLD)).toBe('held-weekly');
      expect([tierOf(bucket, A), tierOf(bucket, B)]).toEqual(['held-daily', 'held-hourly']);
    }
    expect(aws.state.snapshots.get(Q)!.tags['redis-dr:collapsed']).toBe(`released 2026-11-21T12:00:00.000Z ${Q} holds 3 keys`);
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toBe(MARK);
    expect(r.stderr).toContain(
      `snapshot-hold ${OLD}: redis-dr:hold=keyspace-collapsed:${Q} -> redis-dr:hold=keyspace-collapsed:${P} until=2026-12-21T10:00:00Z`,
    );
  });

  it('a later collapse only the DR verifier marked, not released, keeps the DR copies before it held; released, they go (rev34)', async () => {
    // 11:00, judged on its DR copy only (no snapshot mark): the DR verifier held every earlier DR copy.
    const later = 'rdr-sessions-prod-20261121-1100';
    aws.state.objects.get(DR_BUCKET)!.set(`redis-dr-verdicts/collapses/${later}.json`, {});
    const r = await run('--target', 'sessions-prod', '--point', P);
    expect(r.code).toBe(0);
    expect([tierOf(DR_BUCKET, A), tierOf(DR_BUCKET, B)]).toEqual(['held-daily', 'held-hourly']);
    // The export bucket's copies were held for P's snapshot holds only: released with them.
    expect([tierOf(PRIMARY_BUCKET, A), tierOf(PRIMARY_BUCKET, B)]).toEqual(['daily', 'hourly']);
    expect(aws.state.snapshots.get(A)!.tags['redis-dr:hold']).toBeUndefined();
    // Once that collapse has its release record, a release of P frees them.
    aws.state.objects.get(DR_BUCKET)!.set(`redis-dr-releases/${later}.released.json`, {});
    aws.state.snapshots.get(P)!.tags['redis-dr:collapsed'] = MARK;
    const again = await run('--target', 'sessions-prod', '--point', P);
    expect(again.code).toBe(0);
    expect([tierOf(DR_BUCKET, A), tierOf(DR_BUCKET, B)]).toEqual(['daily', 'hourly']);
  });

  it('--accept rewrites the mark to accepted (the point becomes the baseline)', async () => {
    const r = await run('--target', 'sessions-prod', '--point', P, '--accept', '--json');
    expect(r.code).toBe(0);
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toBe(`accepted 2026-11-21T12:00:00.000Z ${MARK}`);
    expect(JSON.parse(r.stdout)).toMatchObject({ point: P, dryRun: false, failed: 0 });
    expect(JSON.parse(records.get(`${DR_BUCKET}/${ACCEPTED}`)!)).toMatchObject({ point: P, state: 'accepted' });
  });

  it('--dry-run lists every change and makes none', async () => {
    const r = await run('--target', 'sessions-prod', '--point', P, '--dry-run', '--json');
    expect(r.code).toBe(0);
    expect(mutations()).toBe(0);
    const out = JSON.parse(r.stdout) as { changes: { what: string; outcome: string }[] };
    expect(out.changes.map((c) => c.what).sort()).toEqual([
      'collapse-mark',
      'copy-tier',
      'copy-tier',
      'copy-tier',
      'copy-tier',
      'dr-release',
      'snapshot-hold',
      'snapshot-hold',
    ]);
    expect(records.size).toBe(0);
    expect(out.changes.every((c) => c.outcome === 'planned')).toBe(true);
    expect(tierOf(DR_BUCKET, A)).toBe('held-daily');
  });

  it('a copy that cannot be retagged: exit 1 naming it, its snapshot keeps the hold, the mark stays active; a rerun finishes', async () => {
    aws.s3
      .on(PutObjectTaggingCommand, { Bucket: DR_BUCKET, Key: `${B}-0001.rdb` })
      .rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const r = await run('--target', 'sessions-prod', '--point', P);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`FAILED copy-tier s3://${DR_BUCKET}/${B}-0001.rdb`);
    expect(r.stdout).toMatch(/^PARTIAL: \d+ change\(s\) made, 4 failed/);
    // Not while a hold is in place: the DR drills would drill the collapse.
    expect(r.stderr).toContain(`FAILED dr-release s3://${DR_BUCKET}/${RELEASED}: (none) -> released (kept: not every hold was released)`);
    expect(records.size).toBe(0);
    expect(aws.state.snapshots.get(A)!.tags['redis-dr:hold']).toBeUndefined();
    expect(aws.state.snapshots.get(B)!.tags['redis-dr:hold']).toBe(`keyspace-collapsed:${P}`);
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toBe(MARK);

    aws.s3
      .on(PutObjectTaggingCommand, { Bucket: DR_BUCKET, Key: `${B}-0001.rdb` })
      .callsFake((i: { Bucket: string; Key: string; Tagging: { TagSet: { Key: string; Value: string }[] } }) => {
        aws.state.objects.get(i.Bucket)!.set(i.Key, Object.fromEntries(i.Tagging.TagSet.map((t) => [t.Key, t.Value])));
        return {};
      });
    const again = await run('--target', 'sessions-prod', '--point', P);
    expect(again.code).toBe(0);
    expect(tierOf(DR_BUCKET, B)).toBe('hourly');
    expect(aws.state.snapshots.get(B)!.tags['redis-dr:hold']).toBeUndefined();
    expect(aws.state.snapshots.get(P)!.tags['redis-dr:collapsed']).toMatch(/^released /);
  });

  it.each([
    [
      'a point nothing is held by and without a mark',
      ['--target', 'sessions-prod', '--point', 'rdr-sessions-prod-20261121-1100'],
      'no snapshot of sessions-prod is held by rdr-sessions-prod-20261121-1100',
    ],
    [
      'a point of another target',
      ['--target', 'sessions-prod', '--point', 'rdr-queues-prod-20261121-1000'],
      '--point must be a snapshot of --target sessions-prod',
    ],
    [
      'a self-managed destination holding nothing held by the point',
      ['--target', 'sessions-prod', '--point', P, '--destination', 'file:///nonexistent/backups'],
      'nothing in file:///nonexistent/backups is held by keyspace-collapsed:rdr-sessions-prod-20261121-1000.rdb',
    ],
    [
      'a destination that is not a URL',
      ['--target', 'sessions-prod', '--point', P, '--destination', '/var/backups'],
      '--destination /var/backups is not a destination: write file:///absolute/dir or s3://bucket/prefix',
    ],
    ['no --point', ['--target', 'sessions-prod'], "required option '--point <snapshot>' not specified"],
  ])('exit 2 for %s, nothing changed', async (_what, args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(mutations()).toBe(0);
  });
});

describe('retention release --destination (self-managed backups)', () => {
  const dirs: string[] = [];
  afterEach(() =>
    dirs.splice(0).forEach((d) => {
      rmSync(d, { recursive: true, force: true });
    }),
  );

  /** Backups of `cache` written through the real store: two good ones held by the collapsed third. */
  async function collapsedDestination(o: { readonly laterCollapse?: boolean } = {}): Promise<{ dir: string; store: FileBackupStore }> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-release-'));
    dirs.push(dir);
    const store = new FileBackupStore(dir);
    const put = backupPutter(store);
    await put('rdr-cache-20261121-0800.rdb', 1000);
    await put('rdr-cache-20261121-0900.rdb', 1000);
    await put('rdr-cache-20261121-1000.rdb', 0, 'rdr-cache-20261121-1000.rdb holds 0 keys');
    for (const f of ['rdr-cache-20261121-0800.rdb', 'rdr-cache-20261121-0900.rdb']) await store.hold(f, 'keyspace-collapsed:rdr-cache-20261121-1000.rdb');
    if (o.laterCollapse) {
      // Full again at 11:00, collapsed again at 12:00 (holding 11:00; the two before keep 10:00's hold), not released.
      await put('rdr-cache-20261121-1100.rdb', 1000);
      await put('rdr-cache-20261121-1200.rdb', 0, 'rdr-cache-20261121-1200.rdb holds 0 keys');
      await store.hold('rdr-cache-20261121-1100.rdb', 'keyspace-collapsed:rdr-cache-20261121-1200.rdb');
    }
    return { dir, store };
  }

  it('releases the holds naming the collapsed backup, logs each, and makes it the baseline (exit 0)', async () => {
    const { dir, store } = await collapsedDestination();
    const r = await runInProcess(['retention', 'release', '--destination', `file://${dir}`, '--target', 'cache', '--point', 'rdr-cache-20261121-1000'], {
      clock,
    });
    expect(r.stderr).toContain(`released file://${dir}/rdr-cache-20261121-0800.rdb (keyspace-collapsed:rdr-cache-20261121-1000.rdb)`);
    expect(r.stdout).toBe(`released 2 backup(s) held by rdr-cache-20261121-1000.rdb in file://${dir}; rdr-cache-20261121-1000.rdb is the new baseline\n`);
    expect(r.code).toBe(0);
    const listed = await store.list();
    expect(listed.filter((b) => b.hold !== undefined)).toEqual([]);
    // Marked accepted (no longer a collapse): the fuller backups before it are no measure for a drain any more.
    expect(listed.filter((b) => b.collapsed !== undefined)).toEqual([
      expect.objectContaining({ file: 'rdr-cache-20261121-1000.rdb', collapsed: expect.stringMatching(/^accepted \S+ /) }),
    ]);
  });

  it('says which backups stay held by a later collapse still active, and frees none of them (exit 0)', async () => {
    const { dir, store } = await collapsedDestination({ laterCollapse: true });
    const r = await runInProcess(['retention', 'release', '--destination', `file://${dir}`, '--target', 'cache', '--point', 'rdr-cache-20261121-1000'], {
      clock,
    });
    expect(r.stdout).toBe(
      `released 0 backup(s) held by rdr-cache-20261121-1000.rdb in file://${dir}; 2 stay held, by the later collapse rdr-cache-20261121-1200.rdb; rdr-cache-20261121-1000.rdb is the new baseline\n`,
    );
    expect(r.code).toBe(0);
    expect((await store.list()).filter((b) => b.hold !== undefined).map((b) => b.file)).toEqual(
      ['0800', '0900', '1100'].map((t) => `rdr-cache-20261121-${t}.rdb`),
    );
  });

  it('--dry-run names every release it would make and makes none (the same job, writes off; exit 0)', async () => {
    const { dir, store } = await collapsedDestination();
    const before = await store.list();
    const r = await runInProcess(
      ['retention', 'release', '--destination', `file://${dir}`, '--target', 'cache', '--point', 'rdr-cache-20261121-1000', '--dry-run'],
      { clock },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`would release file://${dir}/rdr-cache-20261121-0800.rdb (keyspace-collapsed:rdr-cache-20261121-1000.rdb)`);
    expect(r.stderr).toContain(`would accept file://${dir}/rdr-cache-20261121-1000.rdb`);
    expect(r.stdout).toBe(
      `dry run: would release 2 backup(s) held by rdr-cache-20261121-1000.rdb in file://${dir}; rdr-cache-20261121-1000.rdb would be the new baseline; nothing changed\n`,
    );
    expect(await store.list()).toEqual(before);
  });

  it('--json names what was released', async () => {
    const { dir } = await collapsedDestination();
    const r = await runInProcess(
      ['retention', 'release', '--destination', `file://${dir}`, '--target', 'cache', '--point', 'rdr-cache-20261121-1000.rdb', '--json'],
      { clock },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ target: 'cache', released: ['rdr-cache-20261121-0900.rdb', 'rdr-cache-20261121-0800.rdb'].sort(), failed: 0 });
  });
});
