import { describe, expect, it } from 'vitest';
import {
  backupFileName,
  backupPoints,
  backupRetention,
  backupTier,
  defaultBackupTarget,
  parseBackupFileName,
  type StoredBackup,
} from '../../../lambdas/domain/backup';

const at = (iso: string) => new Date(iso);
const policy = { hourly: 2, daily: 2, weekly: 1, monthly: 1, minKeep: 2, timeZone: 'UTC' };

describe('backup file names', () => {
  it('are ElastiCache recovery-point names with .rdb, and round-trip', () => {
    const name = backupFileName('Sessions-1', at('2026-11-23T04:05:59Z'));
    expect(name).toBe('rdr-sessions-1-20261123-0405.rdb');
    expect(parseBackupFileName(name)).toEqual({ target: 'sessions-1', at: at('2026-11-23T04:05:00Z') });
  });

  it.each(['rdr-sessions-20261123-0405', 'rdr-sessions-20261123-0405.rdb.sha256', 'dump.rdb', 'rdr-sessions-20261131-0405.rdb'])('parses no other name: %s', (name) => {
    expect(parseBackupFileName(name)).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 6379, 'redis-127-0-0-1-6379'],
    ['Cache.Example.COM', 6380, 'redis-cache-example-com-6380'],
    ['a-very-long-host-name.internal.example.com', 6379, 'redis-a-very-long-host-name-internal-exa'],
  ])('names a server without --name after its host and port: %s:%i', (host, port, name) => {
    expect(defaultBackupTarget(host, port)).toBe(name);
    expect(name.length).toBeLessThanOrEqual(40);
  });
});

describe('backup tiers and retention', () => {
  const ours = (file: string, tier: StoredBackup['tier']): StoredBackup => ({ file, size: 10, tier });

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
      [ours('rdr-a-20261123-0100.rdb', 'monthly'), { file: 'rdr-a-20261123-0200.rdb', size: 1 }, ours('rdr-ab-20261123-0100.rdb', 'monthly'), { file: 'dump.rdb', size: 1 }],
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
});
