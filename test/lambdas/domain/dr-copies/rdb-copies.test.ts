import { describe, expect, it } from 'vitest';
import { drExportsByTarget, exportShards, exportVerification, type DrExport } from '../../../../lambdas/domain/points/choice.js';
import { exportObjectKey, exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import {
  describeCopy,
  exportLocation,
  exportOf,
  fastPathCommand,
  fastPathOf,
  newestFirst,
  pointCopies,
  pointsToShow,
  type RdbCopy,
} from '../../../../lambdas/domain/dr-copies/rdb-copies.js';
import { TAGS } from '../../../../lambdas/domain/plans/types.js';

const SNAP = 'rdr-rg-a-20261121-0600';
const PRIMARY = { where: 'primary', region: 'eu-west-1', bucket: 'exports' } as const;
const DR = { where: 'dr', region: 'eu-central-1', bucket: 'dr-copies' } as const;

/** The export `name` with the objects of `shards` (of `of`). */
function exp(shards: readonly number[], name = SNAP): DrExport {
  return drExportsByTarget(
    shards.map((s) => exportObjectKey(name, s)),
    () => true,
  ).get('rg-a')![0]!;
}

type Verdict = 'ok' | 'corrupt' | 'unsupported' | null;

/** Tags of `e`'s objects as the export Lambda (and, with a verdict, the verifier) leave them; `verdicts` per shard (default ok). */
function tagsOf(e: DrExport, of: number, verdicts: Record<number, Verdict> = {}): Map<string, Record<string, string>> {
  return new Map(
    e.objects.map((o) => {
      const tags = exportObjectTags({
        tier: 'daily',
        plan: 'sessions',
        snapshot: e.snapshot,
        createdAt: new Date('2026-11-21T06:00:42Z'),
        shard: o.shard,
        shards: of,
        engine: 'redis 7.1',
      });
      const verdict = o.shard in verdicts ? verdicts[o.shard] : 'ok';
      if (verdict === 'ok') Object.assign(tags, { [TAGS.verified]: 'ok', [TAGS.rdb]: 'v=11 keys=10 expires=0 string=10' });
      if (verdict === 'corrupt') Object.assign(tags, { [TAGS.verified]: 'corrupt', [TAGS.rdb]: 'v=11 keys=0 expires=0 error@9=bad crc' });
      if (verdict === 'unsupported')
        Object.assign(tags, { [TAGS.verified]: 'unsupported', [TAGS.rdb]: 'v=99 keys=0 expires=0 unsupported@9=unsupported format version 99' });
      return [o.key, tags];
    }),
  );
}

describe('describeCopy', () => {
  it('a complete, verified export: its s3://bucket/<export name> location (no shard suffix), every shard, ok', () => {
    const e = exp([1, 2, 3]);
    expect(describeCopy(e, tagsOf(e, 3), DR)).toEqual({
      where: 'dr',
      region: 'eu-central-1',
      bucket: 'dr-copies',
      exportName: SNAP,
      location: `s3://dr-copies/${SNAP}`,
      shardsFound: 3,
      shards: 3,
      missingShards: [],
      complete: true,
      verification: 'ok',
      problem: null,
    } satisfies RdbCopy);
  });

  it('shard 2 of 3 missing: incomplete, named, and not for the fast path', () => {
    const e = exp([1, 3]);
    const c = describeCopy(e, tagsOf(e, 3), DR);
    expect(c).toMatchObject({ shardsFound: 2, shards: 3, missingShards: [2], complete: false, verification: 'ok' });
    expect(c.problem).toBe('incomplete: shard(s) 0002 of 3 missing');
  });

  it('a shard verified corrupt', () => {
    const e = exp([1, 2]);
    const c = describeCopy(e, tagsOf(e, 2, { 2: 'corrupt' }), DR);
    expect(c).toMatchObject({ complete: true, verification: 'corrupt', problem: `${SNAP}-0002.rdb verified corrupt` });
  });

  it('not verified yet (one shard without a verdict): complete and usable, said as not verified', () => {
    const e = exp([1, 2]);
    expect(describeCopy(e, tagsOf(e, 2, { 1: null }), PRIMARY)).toMatchObject({ complete: true, verification: 'not-verified', problem: null });
  });

  it('objects not tagged yet (the export is not finished): shard count unknown, incomplete', () => {
    const e = exp([1]);
    const c = describeCopy(e, new Map(), PRIMARY);
    expect(c).toMatchObject({ shardsFound: 1, shards: null, missingShards: [], complete: false, verification: 'not-verified' });
    expect(c.problem).toContain('no shard count tagged');
  });

  it('shares its shard and verdict rules with the drill (exportShards, exportVerification)', () => {
    const e = exp([1, 3]);
    expect(exportShards(e, tagsOf(e, 3))).toMatchObject({ of: 3, found: [1, 3], missing: [2], complete: false });
    expect(exportVerification(e, tagsOf(e, 3, { 3: null }))).toMatchObject({ state: 'not-verified', unverified: [`${SNAP}-0003.rdb`], corrupt: [] });
  });

  it('a copy in a format the verifier cannot judge is not verified, and not corrupt', () => {
    const e = exp([1, 2]);
    expect(exportVerification(e, tagsOf(e, 2, { 2: 'unsupported' }))).toMatchObject({ state: 'not-verified', unverified: [`${SNAP}-0002.rdb`], corrupt: [] });
  });
});

describe('recovery points and the fast path', () => {
  const copy = (where: 'primary' | 'dr', over: Partial<RdbCopy> = {}): RdbCopy => {
    const e = exp([1]);
    return { ...describeCopy(e, tagsOf(e, 1, { 1: where === 'dr' ? 'ok' : null }), where === 'dr' ? DR : PRIMARY), ...over };
  };

  it('shows the newest snapshot, the newest export of each bucket and the newest usable DR copy, newest first, once each', () => {
    const primary = [exp([1], 'rdr-rg-a-20261121-0800'), exp([1], SNAP)];
    const dr = [exp([1], 'rdr-rg-a-20261121-0700'), exp([1], SNAP), exp([1], 'rdr-rg-a-20261121-0400')];
    expect(pointsToShow({ newestSnapshot: 'rdr-rg-a-20261121-0900', usableDr: SNAP, primary, dr })).toEqual([
      'rdr-rg-a-20261121-0900',
      'rdr-rg-a-20261121-0800',
      'rdr-rg-a-20261121-0700',
      SNAP,
    ]);
    expect(pointsToShow({ newestSnapshot: SNAP, usableDr: SNAP, primary: [exp([1])], dr: [exp([1])] })).toEqual([SNAP]);
    expect(pointsToShow({})).toEqual([]);
  });

  it('newestFirst orders by the time given, else the name’s minute (names without one last), once each, up to a limit', () => {
    const points = [
      { name: 'manual-backup', at: new Date('2026-11-21T08:30:00Z') },
      { name: 'rdr-rg-a-20261121-0900' },
      { name: 'hand-made' },
      { name: SNAP, at: new Date('2026-11-21T06:00:42Z') },
      { name: SNAP },
    ];
    expect(newestFirst(points)).toEqual(['rdr-rg-a-20261121-0900', 'manual-backup', SNAP, 'hand-made']);
    expect(newestFirst(points, 2)).toEqual(['rdr-rg-a-20261121-0900', 'manual-backup']);
  });

  it('exportOf takes the latest attempt of the snapshot', () => {
    const list = drExportsByTarget([exportObjectKey(SNAP, 1), exportObjectKey(`${SNAP}-r2`, 1)], () => true).get('rg-a')!;
    expect(exportOf(list, SNAP)?.exportName).toBe(`${SNAP}-r2`);
    expect(exportOf(list, 'rdr-rg-a-20261121-0700')).toBeUndefined();
  });

  it('the fast path reads the newest point with a complete copy: verified first, else the primary bucket’s', () => {
    const newest = pointCopies('rdr-rg-a-20261121-0900', [], true);
    const both = pointCopies(SNAP, [copy('dr'), copy('primary')], false);
    expect(both.copies.map((c) => c.where)).toEqual(['primary', 'dr']);
    expect(both.takenAt).toBe('2026-11-21T06:00:00.000Z');
    expect(fastPathOf([newest, both])).toEqual({
      recoveryPoint: SNAP,
      where: 'dr',
      location: `s3://dr-copies/${SNAP}`,
      command: `redis-dr migrate --from-rdb s3://dr-copies/${SNAP} --to <url>`,
    });
    // The DR copy missing (not replicated yet): the primary one, not verified, serves (migrate verifies it whole first).
    expect(fastPathOf([pointCopies(SNAP, [copy('primary')], false)], 'redis://prod:6379')).toMatchObject({
      where: 'primary',
      command: `redis-dr migrate --from-rdb s3://exports/${SNAP} --to redis://prod:6379`,
    });
    // An incomplete DR copy does not count; the primary's complete one does.
    expect(fastPathOf([pointCopies(SNAP, [copy('dr', { complete: false, problem: 'incomplete' }), copy('primary')], false)])?.where).toBe('primary');
  });

  it('no fast path from a point whose copy is verified corrupt (the replica holds the same bytes), nor without copies', () => {
    const corrupt = pointCopies('rdr-rg-a-20261121-0800', [copy('primary'), copy('dr', { verification: 'corrupt', problem: 'corrupt' })], false);
    const older = pointCopies(SNAP, [copy('dr')], false);
    expect(fastPathOf([corrupt])).toBeNull();
    expect(fastPathOf([corrupt, older])?.recoveryPoint).toBe(SNAP);
    expect(fastPathOf([pointCopies(SNAP, [], true)])).toBeNull();
  });

  it('the command is the location as given and no secret', () => {
    expect(exportLocation('b', 'rdr-x-20261121-0600')).toBe('s3://b/rdr-x-20261121-0600');
    expect(fastPathCommand('s3://b/e')).toBe('redis-dr migrate --from-rdb s3://b/e --to <url>');
  });
});
