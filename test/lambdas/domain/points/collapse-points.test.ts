import { describe, expect, it } from 'vitest';
import {
  baselinePoint,
  collapseMarkState,
  collapseMarkValue,
  copySets,
  heldBy,
  judgeCopySets,
  judgePoint,
  missingHolds,
  previousGoodPoint,
  probeKeyspace,
  releasedMarkValue,
  type CopyObject,
} from '../../../../lambdas/domain/points/collapse-points.js';

const at = (hhmm: string) => new Date(`2026-11-21T${hhmm}:00Z`);

describe('probeKeyspace', () => {
  it("takes the probe's canary key out of its count (a flushed cache shows 1 key: the canary)", () => {
    expect(probeKeyspace({ 'redis-dr:keys': '1', 'redis-dr:canary': 'c' })).toBe(0);
    expect(probeKeyspace({ 'redis-dr:keys': '1001', 'redis-dr:canary': 'c' })).toBe(1000);
    expect(probeKeyspace({ 'redis-dr:keys': '7' })).toBe(7);
  });
  it('is undefined for a point never counted or a malformed count', () => {
    expect(probeKeyspace({})).toBeUndefined();
    expect(probeKeyspace({ 'redis-dr:keys': '-3' })).toBeUndefined();
    expect(probeKeyspace(undefined)).toBeUndefined();
  });
});

describe('previousGoodPoint', () => {
  const points = [
    { name: 'a', createdAt: at('08:00'), keys: 1000 },
    { name: 'b', createdAt: at('09:00'), keys: 0, mark: 'active' as const },
    { name: 'c', createdAt: at('09:30'), keys: 3, mark: 'released' as const },
    { name: 'd', createdAt: at('09:45') },
  ];
  it('skips collapses (active or released) and points never counted', () => {
    expect(previousGoodPoint(points, at('10:00'))?.name).toBe('a');
  });
  it('an accepted collapse is a good baseline again', () => {
    expect(previousGoodPoint([...points, { name: 'e', createdAt: at('09:50'), keys: 10, mark: 'accepted' as const }], at('10:00'))?.name).toBe('e');
  });
  it('only looks before the point judged', () => {
    expect(previousGoodPoint(points, at('08:00'))).toBeUndefined();
  });
});

describe('baselinePoint and judgePoint: a slow drain is judged against the fullest point of the window', () => {
  const day = (d: number, hh = 10) => new Date(Date.UTC(2026, 10, d, hh));
  // 100,000 keys, then 40 % fewer each run.
  const drain = Array.from({ length: 10 }, (_v, i) => ({ name: `p${i + 1}`, createdAt: day(20, i + 1), keys: Math.round(100_000 * 0.6 ** i) }));

  it('keys falling 40 % a run trip at the third run (64 % below the first), not only past 50 % against the run before', () => {
    const verdicts = drain.map((p, i) => judgePoint(drain.slice(0, i), { point: p.name, keys: p.keys, createdAt: p.createdAt }, 50));
    expect(verdicts.map((v) => v?.previous)).toEqual([undefined, undefined, 'p1', 'p1', 'p1', 'p1', 'p1', 'p1', 'p1', 'p1']);
    expect(verdicts[2]).toMatchObject({ point: 'p3', measure: 'keys', dropPct: 64 });
  });

  it('looks back 7 days: a fuller point older than that is no measure; with none in the window, the newest earlier good point is', () => {
    const points = [
      { name: 'old', createdAt: day(10), keys: 100_000 },
      { name: 'week', createdAt: day(14), keys: 50_000 },
      { name: 'prev', createdAt: day(20), keys: 40_000 },
    ];
    expect(baselinePoint(points, day(21))?.name).toBe('week');
    expect(baselinePoint(points, day(22))?.name).toBe('prev');
    expect(baselinePoint([points[0]!], day(30))?.name).toBe('old');
  });

  it('skips collapses, released ones and points never counted; an accepted collapse starts the window afresh', () => {
    const points = [
      { name: 'full', createdAt: day(20, 1), keys: 100_000 },
      { name: 'flushed', createdAt: day(20, 2), keys: 0, mark: 'active' as const },
      { name: 'gutted', createdAt: day(20, 3), keys: 10, mark: 'released' as const },
      { name: 'uncounted', createdAt: day(20, 4) },
    ];
    expect(baselinePoint(points, day(20, 5))?.name).toBe('full');
    const accepted = [...points, { name: 'smaller', createdAt: day(20, 5), keys: 40_000, mark: 'accepted' as const }];
    expect(baselinePoint(accepted, day(20, 6))?.name).toBe('smaller');
    expect(judgePoint(accepted, { point: 'next', keys: 38_000, createdAt: day(20, 6) }, 50)).toBeUndefined();
  });
});

describe('collapse marks', () => {
  it('are tag-safe and at most 256 characters', () => {
    const v = collapseMarkValue({ detail: `x holds 0 keys, 100 % fewer than 5 in y (threshold 50 %): a FLUSHALL? ${'z'.repeat(400)}` });
    expect(v.length).toBe(256);
    expect(v).toMatch(/^x holds 0 keys 100 pct fewer than 5 in y threshold 50 pct : a FLUSHALL z+$/);
  });
  it('release and accept rewrite the mark (idempotent), never delete it', () => {
    const released = releasedMarkValue('p holds 0 keys', at('10:00'), false);
    expect(released).toBe('released 2026-11-21T10:00:00.000Z p holds 0 keys');
    expect(collapseMarkState(released)).toBe('released');
    const accepted = releasedMarkValue(released, at('11:00'), true);
    expect(accepted).toBe('accepted 2026-11-21T11:00:00.000Z p holds 0 keys');
    expect(collapseMarkState(accepted)).toBe('accepted');
    expect(collapseMarkState('p holds 0 keys')).toBe('active');
    expect(collapseMarkState(undefined)).toBeUndefined();
  });
});

describe('missingHolds', () => {
  const base = { status: 'available', managed: true };
  it('holds every available managed point before an active collapse that has no hold, naming the first collapse after it', () => {
    const holds = missingHolds([
      { ...base, name: 'a', createdAt: at('07:00') },
      { ...base, name: 'b', createdAt: at('08:00'), held: 'keyspace-collapsed:x' },
      { ...base, name: 'c', createdAt: at('08:30'), status: 'failed' },
      { ...base, name: 'd', createdAt: at('08:40'), managed: false },
      { ...base, name: 'p', createdAt: at('09:00'), mark: 'active' },
      { ...base, name: 'e', createdAt: at('09:30') },
      { ...base, name: 'q', createdAt: at('10:00'), mark: 'active' },
      { ...base, name: 'f', createdAt: at('10:30') },
    ]);
    expect(holds).toEqual([
      // Each hold expires DEFAULT_COLLAPSE_HOLD_DAYS (30) after its collapsed point (holds.ts).
      { snapshot: 'a', hold: 'keyspace-collapsed:p until=2026-12-21T09:00:00Z' },
      { snapshot: 'e', hold: 'keyspace-collapsed:q until=2026-12-21T10:00:00Z' },
    ]);
  });
  it('a released collapse holds nothing', () => {
    expect(
      missingHolds([
        { ...base, name: 'a', createdAt: at('07:00') },
        { ...base, name: 'p', createdAt: at('09:00'), mark: 'released' },
      ]),
    ).toEqual([]);
  });
  it('heldBy finds the points a release frees, and no other hold', () => {
    const points = [{ held: 'keyspace-collapsed:p' }, { held: 'keyspace-collapsed:q' }, { held: 'legal' }, {}];
    expect(heldBy(points, 'p')).toEqual([{ held: 'keyspace-collapsed:p' }]);
  });
});

describe('copySets and judgeCopySets (DR copies, one object per shard)', () => {
  const obj = (snapshot: string, shard: number, shards: number, keys: number | undefined, size = 100): CopyObject => ({
    key: `${snapshot}-${String(shard).padStart(4, '0')}.rdb`,
    size,
    tags: {
      'redis-dr:shard': `${String(shard).padStart(4, '0')}/${String(shards).padStart(4, '0')}`,
      ...(keys === undefined ? {} : { 'redis-dr:verified': 'ok', 'redis-dr:rdb': `v=11 keys=${keys} expires=0 string=${keys}` }),
    },
  });
  const created = (s: string) => new Date(`${s.slice(-13, -9)}-${s.slice(-9, -7)}-${s.slice(-7, -5)}T${s.slice(-4, -2)}:${s.slice(-2)}:00Z`);

  it('sums the shards of one export and counts it only when every shard is verified intact', () => {
    const sets = copySets(
      [
        obj('rdr-c-20261121-0800', 1, 3, 300),
        obj('rdr-c-20261121-0800', 2, 3, 300),
        obj('rdr-c-20261121-0800', 3, 3, 400),
        obj('rdr-c-20261121-0900', 1, 2, 5),
        obj('rdr-c-20261121-0900', 2, 2, undefined),
      ],
      created,
    );
    expect(sets.map((s) => [s.snapshot, s.keys, s.bytes])).toEqual([
      ['rdr-c-20261121-0800', 1000, 300],
      ['rdr-c-20261121-0900', undefined, 200],
    ]);
  });

  it("leaves out the probe's canary key (objects tagged redis-dr:canary): a flushed cache's copy holds 0 keys", () => {
    const flushed = obj('rdr-c-20261121-0800', 1, 1, 1);
    const sets = copySets(
      [{ ...flushed, tags: { ...flushed.tags, 'redis-dr:canary': 'rdr-c-20261121-0800/x/t' } }, obj('rdr-c-20261121-0900', 1, 1, 1)],
      created,
    );
    expect(sets.map((s) => s.keys)).toEqual([0, 1]);
  });

  it('a shard missing is an incomplete set (not a collapse)', () => {
    const sets = copySets([obj('rdr-c-20261121-0800', 1, 3, 300), obj('rdr-c-20261121-0800', 3, 3, 400)], created);
    expect(sets[0]!.keys).toBeUndefined();
  });

  it('judges each counted set against the newest earlier good one: a second gutted set trips too', () => {
    const sets = copySets(
      [
        obj('rdr-c-20261121-0800', 1, 1, 1000),
        obj('rdr-c-20261121-0900', 1, 1, 400),
        obj('rdr-c-20261121-1000', 1, 1, 450),
        obj('rdr-c-20261121-1100', 1, 1, 900),
      ],
      created,
    );
    const verdicts = judgeCopySets(sets, 50);
    expect([...verdicts.keys()]).toEqual(['rdr-c-20261121-0900', 'rdr-c-20261121-1000']);
    expect(verdicts.get('rdr-c-20261121-1000')!.previous).toBe('rdr-c-20261121-0800');
  });
});
