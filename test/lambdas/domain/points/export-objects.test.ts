import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  exportName,
  exportObjectKey,
  exportObjectTags,
  mergeTags,
  parseExportObjectKey,
  parseShardTag,
  snapshotOfExport,
} from '../../../../lambdas/domain/points/export-objects.js';
import { formatSnapshotName } from '../../../../lambdas/domain/plans/naming.js';
import { MAX_OBJECT_TAGS } from '../../../../lambdas/domain/plans/types.js';

describe('exportName', () => {
  it.each([
    ['rdr-rg-a-20261121-0300', 1, 'rdr-rg-a-20261121-0300'],
    ['rdr-rg-a-20261121-0300', 2, 'rdr-rg-a-20261121-0300-r2'],
    ['rdr-rg-a-20261121-0300', 12, 'rdr-rg-a-20261121-0300-r12'],
  ])('export %i of %s is %s', (snapshot, attempt, name) => {
    expect(exportName(snapshot, attempt)).toBe(name);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects attempt %s', (attempt) => {
    expect(() => exportName('rdr-a-20261121-0300', attempt)).toThrow(/attempt must be a positive integer/);
  });
});

describe('exportObjectKey / parseExportObjectKey', () => {
  it.each([
    // snapshot, attempt, shard, key
    ['rdr-rg-a-20261121-0300', 1, 1, 'rdr-rg-a-20261121-0300-0001.rdb'],
    ['rdr-rg-a-20261121-0300', 2, 3, 'rdr-rg-a-20261121-0300-r2-0003.rdb'],
    ['rdr-rg-a-20261121-0300', 10, 500, 'rdr-rg-a-20261121-0300-r10-0500.rdb'],
    // Targets with hyphens and digits, even ones that look like a date or an attempt.
    ['rdr-cache-2-eu-20261121-0300', 1, 2, 'rdr-cache-2-eu-20261121-0300-0002.rdb'],
    ['rdr-a-20261121-0300-20261122-0400', 1, 1, 'rdr-a-20261121-0300-20261122-0400-0001.rdb'],
    ['rdr-a-20261121-0300-r2-20261122-0400', 1, 1, 'rdr-a-20261121-0300-r2-20261122-0400-0001.rdb'],
    ['rdr-a-20261121-0300-r2-20261122-0400', 3, 7, 'rdr-a-20261121-0300-r2-20261122-0400-r3-0007.rdb'],
    ['rdr-x1-0001-20261121-0300', 1, 1, 'rdr-x1-0001-20261121-0300-0001.rdb'],
  ])('%s attempt %i shard %i ⇄ %s', (snapshot, attempt, shard, key) => {
    const name = exportName(snapshot, attempt);
    expect(exportObjectKey(name, shard)).toBe(key);
    expect(parseExportObjectKey(key)).toEqual({ snapshot, attempt, exportName: name, shard });
  });

  it('round-trips every snapshot name, attempt and shard (property)', () => {
    const target = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,8}){0,3}$/);
    const at = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(target, at, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 500 }), (t, when, attempt, shard) => {
        const snapshot = formatSnapshotName(t, when);
        const key = exportObjectKey(exportName(snapshot, attempt), shard);
        expect(parseExportObjectKey(key)).toEqual({ snapshot, attempt, exportName: exportName(snapshot, attempt), shard });
        expect(snapshotOfExport(exportName(snapshot, attempt))).toBe(snapshot);
      }),
    );
  });

  it.each([
    ['no shard', 'rdr-rg-a-20261121-0300.rdb'],
    ['shard 0', 'rdr-rg-a-20261121-0300-0000.rdb'],
    ['shard above 500', 'rdr-rg-a-20261121-0300-0501.rdb'],
    ['three-digit shard', 'rdr-rg-a-20261121-0300-001.rdb'],
    ['attempt 1 spelled out', 'rdr-rg-a-20261121-0300-r1-0001.rdb'],
    ['attempt 0', 'rdr-rg-a-20261121-0300-r0-0001.rdb'],
    ['attempt with a leading zero', 'rdr-rg-a-20261121-0300-r02-0001.rdb'],
    ['another extension', 'rdr-rg-a-20261121-0300-0001.rdb.gz'],
    ['not ours', 'backup-20261121-0001.rdb'],
    ['a folder', 'exports/rdr-rg-a-20261121-0300-0001.rdb'],
    ['uppercase', 'RDR-RG-A-20261121-0300-0001.rdb'],
    ['empty', ''],
  ])('rejects %s: %j', (_, key) => {
    expect(parseExportObjectKey(key)).toBeUndefined();
  });

  it.each([0, 501, 1.5])('exportObjectKey rejects shard %s', (shard) => {
    expect(() => exportObjectKey('rdr-a-20261121-0300', shard)).toThrow(/shard must be 1-500/);
  });
});

describe('exportObjectTags', () => {
  const meta = {
    tier: 'weekly' as const,
    plan: 'sessions',
    snapshot: 'rdr-rg-a-20261121-0300',
    createdAt: new Date('2026-11-21T03:00:42Z'),
    shard: 2,
    shards: 3,
  };

  it('writes tier, plan, snapshot, created and shard, plus engine, keys and canary when known (the source is in the snapshot name)', () => {
    expect(exportObjectTags({ ...meta, engine: 'redis 7.1.0', keys: 1234, canary: 'rdr-rg-a-20261121-0300/n1/2026-11-21T03:00:00.000Z' })).toEqual({
      'redis-dr:tier': 'weekly',
      'redis-dr:plan': 'sessions',
      'redis-dr:snapshot': 'rdr-rg-a-20261121-0300',
      'redis-dr:created': '2026-11-21T03:00:42.000Z',
      'redis-dr:shard': '0002/0003',
      'redis-dr:engine': 'redis 7.1.0',
      'redis-dr:keys': '1234',
      'redis-dr:canary': 'rdr-rg-a-20261121-0300/n1/2026-11-21T03:00:00.000Z',
    });
  });

  it('leaves engine, keys and canary out when unknown, and keeps a key count of 0', () => {
    expect(Object.keys(exportObjectTags(meta))).toHaveLength(5);
    expect(exportObjectTags({ ...meta, keys: 0 })['redis-dr:keys']).toBe('0');
    expect(exportObjectTags({ ...meta, keys: Number.NaN })['redis-dr:keys']).toBeUndefined();
  });

  it("never writes more than 8 tags, so the verifier's two always fit", () => {
    expect(Object.keys(exportObjectTags({ ...meta, engine: 'valkey 8', keys: 1, canary: 'c' })).length).toBe(MAX_OBJECT_TAGS - 2);
  });

  it('replaces characters S3 refuses in tag values', () => {
    expect(exportObjectTags({ ...meta, plan: 'sessions#1 (eu)', engine: 'redis 7.1.0' })['redis-dr:plan']).toBe('sessions_1 _eu_');
  });
});

describe('exportObjectTags: the slot layout on the shard tag', () => {
  const meta = { tier: 'daily' as const, plan: 'p', snapshot: 's', createdAt: new Date('2026-11-21T03:00:00Z'), shard: 2, shards: 3 };
  it("writes the shard's slots (commas as +, which S3 tag values allow), keeps the tag count, and leaves out what does not fit", () => {
    expect(exportObjectTags({ ...meta, slots: '5461-10922' })['redis-dr:shard']).toBe('0002/0003 5461-10922');
    expect(exportObjectTags({ ...meta, slots: '0-99,200-300' })['redis-dr:shard']).toBe('0002/0003 0-99+200-300');
    expect(Object.keys(exportObjectTags({ ...meta, slots: '1-2' }))).toHaveLength(5);
    const fragmented = Array.from({ length: 40 }, (_, i) => `${i * 400}-${i * 400 + 99}`).join(',');
    expect(exportObjectTags({ ...meta, slots: fragmented })['redis-dr:shard']).toBe('0002/0003');
    expect(exportObjectTags({ ...meta, slots: 'all of them' })['redis-dr:shard']).toBe('0002/0003');
  });
});

describe('parseShardTag', () => {
  it.each([
    ['0002/0003', { shard: 2, shards: 3 }],
    ['0001/0001', { shard: 1, shards: 1 }],
    ['12/500', { shard: 12, shards: 500 }],
    ['0002/0003 5461-10922', { shard: 2, shards: 3, slots: '5461-10922' }],
    ['0001/0002 0-99+200-300+400', { shard: 1, shards: 2, slots: '0-99,200-300,400' }],
    ['0001/0002 0-99+', undefined],
    ['0001/0002 ', undefined],
    ['0004/0003', undefined],
    ['0000/0003', undefined],
    ['2-3', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseShardTag(value)).toEqual(expected);
  });

  it('reads back what exportObjectTags writes', () => {
    const tags = exportObjectTags({
      tier: 'daily',
      plan: 'p',
      snapshot: 'rdr-s-20261121-0300',
      createdAt: new Date(0),
      shard: 7,
      shards: 12,
    });
    expect(parseShardTag(tags['redis-dr:shard'])).toEqual({ shard: 7, shards: 12 });
  });
});

describe('mergeTags', () => {
  it('keeps existing tags and lets the added ones win', () => {
    expect(mergeTags({ team: 'payments', 'redis-dr:tier': 'hourly' }, { 'redis-dr:tier': 'daily' })).toEqual({
      team: 'payments',
      'redis-dr:tier': 'daily',
    });
  });

  it('allows exactly 10 tags', () => {
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys(mergeTags(ten, { k0: 'w' }))).toHaveLength(10);
  });

  it('throws naming the count and the keys when the result would exceed 10', () => {
    const current = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`team${i}`, 'x']));
    const add = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`redis-dr:t${i}`, 'y']));
    expect(() => mergeTags(current, add)).toThrow('object would carry 11 tags, S3 allows 10: team0, team1');
  });
});
