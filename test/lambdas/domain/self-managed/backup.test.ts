import { describe, expect, it } from 'vitest';
import {
  backupFileName,
  backupPoints,
  backupRetention,
  backupTier,
  backupCollapse,
  backupHoldRelease,
  backupsToHold,
  missingCollapseHolds,
  cutBackupTarget,
  defaultBackupTarget,
  newBackupFileName,
  parseBackupFileName,
  savedAfterRequest,
  type StoredBackup,
  databaseCollapse,
} from '../../../../lambdas/domain/self-managed/backup.js';

const at = (iso: string) => new Date(iso);
const policy = { hourly: 2, daily: 2, weekly: 1, monthly: 1, minKeep: 2, timeZone: 'UTC' };

describe('backup file names', () => {
  it('are ElastiCache recovery-point names with .rdb, and round-trip', () => {
    const name = backupFileName('Sessions-1', at('2026-11-23T04:05:59Z'));
    expect(name).toBe('rdr-sessions-1-20261123-0405.rdb');
    expect(parseBackupFileName(name)).toEqual({ target: 'sessions-1', at: at('2026-11-23T04:05:00Z') });
  });

  it('a second backup within a minute is named by the second, and round-trips too', () => {
    const name = backupFileName('sessions-1', at('2026-11-23T04:05:09.700Z'), true);
    expect(name).toBe('rdr-sessions-1-20261123-040509.rdb');
    expect(parseBackupFileName(name)).toEqual({ target: 'sessions-1', at: at('2026-11-23T04:05:09Z') });
  });

  it("a new backup takes the minute's name unless the target has a backup in that minute, then the second's; none when that is taken too", () => {
    const t = at('2026-11-23T04:05:30Z');
    expect(newBackupFileName([{ file: 'rdr-other-20261123-0405.rdb' }], 'a', t)).toBe('rdr-a-20261123-0405.rdb');
    expect(newBackupFileName([{ file: 'rdr-a-20261123-0405.rdb' }], 'a', t)).toBe('rdr-a-20261123-040530.rdb');
    // A by-second backup in the minute (its minute file pruned since) still makes the next one by-second: names keep time order.
    expect(newBackupFileName([{ file: 'rdr-a-20261123-040510.rdb' }], 'a', t)).toBe('rdr-a-20261123-040530.rdb');
    expect(newBackupFileName([{ file: 'rdr-a-20261123-0405.rdb' }, { file: 'rdr-a-20261123-040530.rdb' }], 'a', t)).toBeUndefined();
    // Tiers and retention order both forms by time.
    const files = [
      { file: 'rdr-a-20261123-0405.rdb', size: 1, tier: 'monthly' as const, proven: true },
      { file: 'rdr-a-20261123-040530.rdb', size: 1, tier: 'hourly' as const, proven: true },
    ];
    expect(backupTier(files, 'a', at('2026-11-23T04:05:45Z'), 'UTC')).toBe('hourly');
    expect(backupPoints(files, 'a').map((p) => p.createdAt.toISOString())).toEqual(['2026-11-23T04:05:00.000Z', '2026-11-23T04:05:30.000Z']);
    const d = backupRetention(files, 'a', { hourly: 0, daily: 0, weekly: 0, monthly: 0, minKeep: 1, timeZone: 'UTC' }, at('2026-11-23T04:06:00Z'));
    expect(d.delete.map((e) => e.point.name)).toEqual(['rdr-a-20261123-0405.rdb']);
  });

  it.each([
    'rdr-sessions-20261123-0405',
    'rdr-sessions-20261123-0405.rdb.sha256',
    'dump.rdb',
    'rdr-sessions-20261131-0405.rdb',
    'rdr-sessions-20261123-040560.rdb',
    'rdr-sessions-20261123-04051.rdb',
  ])('parses no other name: %s', (name) => {
    expect(parseBackupFileName(name)).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 6379, 'redis-127-0-0-1-6379'],
    // The loopback names are one server: one name, as 127.0.0.1 (so backups taken as 127.0.0.1 keep theirs).
    ['localhost', 6379, 'redis-127-0-0-1-6379'],
    ['LOCALHOST.', 6380, 'redis-127-0-0-1-6380'],
    ['::1', 6379, 'redis-127-0-0-1-6379'],
    ['[::1]', 6379, 'redis-127-0-0-1-6379'],
    ['127.0.0.2', 6379, 'redis-127-0-0-2-6379'],
    ['Cache.Example.COM', 6380, 'redis-cache-example-com-6380'],
    ['a-very-long-host-name.internal.example.com', 6379, 'redis-a-very-long-host-name-internal-exa'],
  ])('names a server without --name after its host and port: %s:%i', (host, port, name) => {
    expect(defaultBackupTarget(host, port)).toBe(name);
    expect(name.length).toBeLessThanOrEqual(40);
  });

  it('says when the default name is cut (its port lost: every server of the host would share it)', () => {
    expect(cutBackupTarget('a-very-long-host-name.internal.example.com', 6379)).toBe('redis-a-very-long-host-name-internal-example-com-6379');
    expect(defaultBackupTarget('a-very-long-host-name.internal.example.com', 6380)).toBe(
      defaultBackupTarget('a-very-long-host-name.internal.example.com', 6379),
    );
    expect(cutBackupTarget('Cache.Example.COM', 6380)).toBeUndefined();
    expect(cutBackupTarget('localhost', 6379)).toBeUndefined();
  });
});

describe('backup tiers and retention', () => {
  const ours = (file: string, tier: StoredBackup['tier']): StoredBackup => ({ file, size: 10, tier, proven: true });

  it('the first backup of a target is monthly; the next of the same day hourly; a new day daily', () => {
    expect(backupTier([], 'a', at('2026-11-23T01:00Z'), 'UTC')).toBe('monthly');
    const files = [ours('rdr-a-20261123-0100.rdb', 'monthly')];
    expect(backupTier(files, 'a', at('2026-11-23T02:00Z'), 'UTC')).toBe('hourly');
    expect(backupTier(files, 'a', at('2026-11-24T00:10Z'), 'UTC')).toBe('daily');
    // Another target's files do not count.
    expect(backupTier(files, 'b', at('2026-11-23T02:00Z'), 'UTC')).toBe('monthly');
  });

  it('only files named for the target, and written by redis-dr (a recorded tier), are managed', () => {
    const points = backupPoints(
      [
        ours('rdr-a-20261123-0100.rdb', 'monthly'),
        { file: 'rdr-a-20261123-0200.rdb', size: 1 },
        ours('rdr-ab-20261123-0100.rdb', 'monthly'),
        { file: 'dump.rdb', size: 1 },
      ],
      'a',
    );
    expect(points.map((p) => [p.name, p.managed])).toEqual([
      ['rdr-a-20261123-0100.rdb', true],
      ['rdr-a-20261123-0200.rdb', false],
    ]);
  });

  it('deletes what GFS does not keep, never the newest minKeep, never a file it did not write', () => {
    const files: StoredBackup[] = [
      ours('rdr-a-20261101-0000.rdb', 'monthly'),
      ours('rdr-a-20261120-0000.rdb', 'daily'),
      ours('rdr-a-20261121-0000.rdb', 'daily'),
      ours('rdr-a-20261122-0000.rdb', 'daily'),
      ours('rdr-a-20261123-0000.rdb', 'daily'),
      ours('rdr-a-20261123-0100.rdb', 'hourly'),
      ours('rdr-a-20261123-0200.rdb', 'hourly'),
      ours('rdr-a-20261123-0300.rdb', 'hourly'),
      { file: 'rdr-a-20261001-0000.rdb', size: 1 }, // someone else's copy under our naming
    ];
    const d = backupRetention(files, 'a', policy, at('2026-11-23T03:01Z'));
    expect(d.hold).toBeUndefined();
    // hourly 2: 03:00, 02:00; daily 2: the 23rd and 22nd; weekly and monthly 1: the 1st; minKeep 2: 03:00, 02:00.
    expect(d.delete.map((e) => e.point.name).sort()).toEqual(['rdr-a-20261120-0000.rdb', 'rdr-a-20261121-0000.rdb', 'rdr-a-20261123-0100.rdb']);
    expect(d.keep.map((k) => k.point.name)).toEqual([
      'rdr-a-20261123-0300.rdb',
      'rdr-a-20261123-0200.rdb',
      'rdr-a-20261123-0000.rdb',
      'rdr-a-20261122-0000.rdb',
      'rdr-a-20261101-0000.rdb',
    ]);
    expect(d.ignored.map((i) => i.point.name)).toEqual(['rdr-a-20261001-0000.rdb']);
  });

  it('keeps everything when minKeep covers all (rails over counts)', () => {
    const files = [ours('rdr-a-20261121-0000.rdb', 'monthly'), ours('rdr-a-20261122-0000.rdb', 'daily'), ours('rdr-a-20261123-0000.rdb', 'daily')];
    const d = backupRetention(files, 'a', { ...policy, hourly: 0, daily: 1, weekly: 0, monthly: 0, minKeep: 3 }, at('2026-11-23T01:00Z'));
    expect(d.delete).toEqual([]);
  });

  it('a backup never read back (no read-back record) does not count towards minKeep: the older proven ones stay', () => {
    const files = [
      ours('rdr-a-20261121-0000.rdb', 'monthly'),
      ours('rdr-a-20261122-0000.rdb', 'daily'),
      { file: 'rdr-a-20261123-0000.rdb', size: 10, tier: 'daily' as const },
      ours('rdr-a-20261123-0100.rdb', 'hourly'),
    ];
    expect(backupPoints(files, 'a').map((p) => p.unproven ?? false)).toEqual([false, false, true, false]);
    const d = backupRetention(files, 'a', { ...policy, hourly: 0, daily: 0, weekly: 0, monthly: 0, minKeep: 2 }, at('2026-11-23T02:00Z'));
    // minKeep 2 proven: 01:00 and the 22nd; the unproven one between them is kept, not counted; only the 21st goes.
    expect(d.delete.map((e) => e.point.name)).toEqual(['rdr-a-20261121-0000.rdb']);
  });

  it('nothing is deleted while the newest backup is unproven or a collapse; a held backup is never deleted', () => {
    const base = [ours('rdr-a-20261121-0000.rdb', 'monthly'), ours('rdr-a-20261122-0000.rdb', 'daily')];
    const tight = { ...policy, hourly: 0, daily: 0, weekly: 0, monthly: 0, minKeep: 1 };
    const now = at('2026-11-23T02:00Z');
    expect(backupRetention([...base, { file: 'rdr-a-20261123-0000.rdb', size: 10, tier: 'daily' }], 'a', tight, now).hold?.reason).toBe('newest-unproven');
    expect(backupRetention([...base, { ...ours('rdr-a-20261123-0000.rdb', 'daily'), collapsed: 'x' }], 'a', tight, now).hold?.reason).toBe('newest-collapsed');
    const held = { ...ours('rdr-a-20261121-0000.rdb', 'monthly'), hold: 'keyspace-collapsed:rdr-a-20261122-0000.rdb' };
    const d = backupRetention([held, ours('rdr-a-20261122-0000.rdb', 'daily'), ours('rdr-a-20261123-0000.rdb', 'daily')], 'a', tight, now);
    expect(d.delete.map((e) => e.point.name)).toEqual(['rdr-a-20261122-0000.rdb']);
  });
});

describe('keyspace-collapse tripwire of self-managed backups', () => {
  const b = (file: string, keys: number, extra: Partial<StoredBackup> = {}): StoredBackup => ({
    file,
    size: keys * 100,
    tier: 'daily',
    proven: true,
    keys,
    ...extra,
  });
  const next = (keys: number, file = 'rdr-a-20261123-0500.rdb') => ({ file, at: at('2026-11-23T05:00Z'), keys, bytes: keys * 100 });

  it('judges against the newest earlier backup with a recorded count that is no collapse, read back or not', () => {
    const files = [
      b('rdr-a-20261123-0100.rdb', 1000),
      b('rdr-a-20261123-0200.rdb', 1000),
      b('rdr-a-20261123-0300.rdb', 5, { collapsed: 'earlier collapse' }),
      b('rdr-other-20261123-0430.rdb', 5),
    ];
    const c = backupCollapse(files, 'a', next(400), 50);
    expect(c).toMatchObject({ point: 'rdr-a-20261123-0500.rdb', previous: 'rdr-a-20261123-0200.rdb', measure: 'keys', dropPct: 60 });
    // A backup an older redis-dr wrote (never read back) still records how many keys there were.
    const unproven = [...files, { ...b('rdr-a-20261123-0400.rdb', 1000), proven: undefined }];
    expect(backupCollapse(unproven, 'a', next(0), 50)).toMatchObject({ previous: 'rdr-a-20261123-0400.rdb', dropPct: 100 });
    expect(backupCollapse(files, 'a', next(600), 50)).toBeUndefined();
    // 0 keys after a non-empty backup always trips, whatever the threshold.
    expect(backupCollapse(files, 'a', next(0), 100)).toMatchObject({ dropPct: 100 });
    // No earlier backup with a key count: nothing to judge against.
    expect(backupCollapse([{ file: 'rdr-a-20261123-0100.rdb', size: 9, tier: 'daily' }], 'a', next(0), 50)).toBeUndefined();
    expect(() => backupCollapse(files, 'a', next(0), 101)).toThrow(/collapseThresholdPct must be <= 100, got 101: set a percentage within 0..100/);
  });

  it('missingCollapseHolds: an unheld backup of ours before an active collapse, with the hold that collapse gave the others', () => {
    const hold0300 = 'keyspace-collapsed:rdr-a-20261123-0300.rdb until=2026-12-01T00:00:00Z';
    const files = [
      b('rdr-a-20261123-0100.rdb', 1000), // lost its hold: put back, with 03:00's value
      b('rdr-a-20261123-0200.rdb', 1000, { hold: hold0300 }),
      b('rdr-a-20261123-0230.rdb', 1000, { hold: 'held until=2027-01-01T00:00:00Z by=ops reason=legal' }), // held: left
      { file: 'rdr-a-20261123-0240.rdb', size: 1 }, // not ours (no tier): never
      b('rdr-a-20261123-0300.rdb', 5, { collapsed: 'x' }),
      b('rdr-a-20261123-0400.rdb', 1000), // after every active collapse: free
      b('rdr-a-20261123-0500.rdb', 0, { collapsed: 'accepted 2026-11-23T06:00:00Z y' }), // accepted: holds nothing
      b('rdr-b-20261123-0100.rdb', 1000), // another target
    ];
    expect(missingCollapseHolds(files, 'a')).toEqual([{ file: 'rdr-a-20261123-0100.rdb', to: 'rdr-a-20261123-0300.rdb', hold: hold0300 }]);
    // No active collapse: nothing; the accepted one at 05:00 holds nothing either.
    expect(
      missingCollapseHolds(
        files.filter((f) => f.file !== 'rdr-a-20261123-0300.rdb'),
        'a',
      ),
    ).toEqual([]);
  });

  it('holds every earlier backup redis-dr wrote of the target that is no collapse and not held; a release names them and the collapse', () => {
    const files = [
      b('rdr-a-20261123-0100.rdb', 1000, { hold: 'keyspace-collapsed:rdr-a-20261123-0030.rdb' }),
      b('rdr-a-20261123-0200.rdb', 1000),
      b('rdr-a-20261123-0300.rdb', 5, { collapsed: 'x' }),
      { file: 'rdr-a-20261123-0350.rdb', size: 1 }, // not ours
      b('rdr-a-20261123-0400.rdb', 1000, { proven: undefined }),
      b('rdr-a-20261123-0500.rdb', 0, { collapsed: 'y' }),
    ];
    expect(backupsToHold(files, 'a', { point: 'rdr-a-20261123-0500.rdb' })).toEqual(['rdr-a-20261123-0200.rdb', 'rdr-a-20261123-0400.rdb']);
    const afterHold = files.map((f) =>
      ['rdr-a-20261123-0200.rdb', 'rdr-a-20261123-0400.rdb'].includes(f.file) ? { ...f, hold: 'keyspace-collapsed:rdr-a-20261123-0500.rdb' } : f,
    );
    // 02:00 is before 03:00's collapse, never released: it stays held, by that collapse (the first active one after it).
    expect(backupHoldRelease(afterHold, 'a', 'rdr-a-20261123-0500.rdb')).toEqual({
      held: ['rdr-a-20261123-0400.rdb'],
      collapsed: 'rdr-a-20261123-0500.rdb',
      moves: [
        {
          file: 'rdr-a-20261123-0200.rdb',
          to: 'rdr-a-20261123-0300.rdb',
          hold: 'keyspace-collapsed:rdr-a-20261123-0300.rdb until=2026-12-23T03:00:00Z',
          from: 'keyspace-collapsed:rdr-a-20261123-0500.rdb',
        },
      ],
    });
    // 01:00 is before 03:00's collapse, still active: its hold moves there (from the collapse's time, the default days).
    expect(backupHoldRelease(afterHold, 'a', 'rdr-a-20261123-0030.rdb')).toEqual({
      held: [],
      moves: [
        {
          file: 'rdr-a-20261123-0100.rdb',
          to: 'rdr-a-20261123-0300.rdb',
          hold: 'keyspace-collapsed:rdr-a-20261123-0300.rdb until=2026-12-23T03:00:00Z',
          from: 'keyspace-collapsed:rdr-a-20261123-0030.rdb',
        },
      ],
    });
    // Once 03:00 and 05:00 are accepted, nothing later is active: freed.
    const accepted = afterHold.map((f) => (f.collapsed ? { ...f, collapsed: `accepted 2026-11-23T06:00:00Z ${f.collapsed}` } : f));
    expect(backupHoldRelease(accepted, 'a', 'rdr-a-20261123-0030.rdb')).toEqual({ held: ['rdr-a-20261123-0100.rdb'] });
  });
});

describe('the saved-file clock check', () => {
  it.each([
    ['stamped the second of the request', 1_795_476_487, 1_795_476_487, true],
    ['stamped later', 1_795_476_488, 1_795_476_487, true],
    ["stamped the second before (Redis's coarse clock, a few ms behind TIME, just after a boundary)", 1_795_476_486, 1_795_476_487, true],
    ['stamped two seconds before: another save', 1_795_476_485, 1_795_476_487, false],
    ['years old: another host', 1_628_640_000, 1_795_476_487, false],
  ])('a file %s is the new one: %s', (_what, ctime, requestedAt, ours) => {
    expect(savedAfterRequest(ctime, requestedAt)).toBe(ours);
  });
});

describe('databaseCollapse: one database judged against its own count', () => {
  const before = { point: 'rdr-c-20261123-0100.rdb', keysByDb: { 0: 7300, 3: 2700 } };
  it.each<[string, Record<string, number>, number | undefined]>([
    ['database 3 emptied (FLUSHDB)', { 0: 7300 }, 3],
    ['database 3 down 60 % (past 50)', { 0: 7300, 3: 1080 }, 3],
    ['database 3 down 40 % (within 50)', { 0: 7300, 3: 1620 }, undefined],
    ['database 0 emptied, 3 grew', { 3: 9000 }, 0],
    ['a new database appeared', { 0: 7300, 3: 2700, 5: 10 }, undefined],
  ])('%s: trips on database %s', (_what, now, db) => {
    expect(databaseCollapse(before, { point: 'rdr-c-20261123-0200.rdb', keysByDb: now }, 50)?.database).toBe(db);
  });
});
