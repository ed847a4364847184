import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { parseDrillRecord } from '../../../../lambdas/domain/self-managed/drill-record.js';
import { drillPointOf, recordLocalDrill } from '../../../../lambdas/jobs/drills/local-drill-from.js';
import { DrillScratch, type LocalDrillResult, runLocalDrill, withCleanup } from '../../../../lambdas/jobs/drills/local-drill.js';
import { findServerBinary } from '../../../../lambdas/adapters/redis/server-binary.js';

/** A run whose every check passed (what runLocalDrill returns before the cleanup). */
const PASSED: Omit<LocalDrillResult, 'cleanup'> = {
  file: '/backups/cache-a/cache-a-20261125T031500Z.rdb',
  bytes: 1234,
  verdict: 'passed',
  ok: true,
  checks: [
    { name: 'key-count', ok: true, expected: 'exactly 10', found: '10 keys' },
    { name: 'sample', ok: true, expected: '10 random keys', found: '10 sampled' },
  ],
  keys: 10,
  server: { bin: '/usr/bin/redis-server', engine: 'redis', version: '7.0.15', loadSeconds: 0.01 },
  verifySeconds: 0.02,
};
const CLEAN = { serverStarted: true, removed: ['/tmp/redis-dr-drill-a'], problems: [] };
const LEFT = { serverStarted: true, removed: [], problems: ['could not remove /tmp/redis-dr-drill-a: EBUSY'] };

describe('withCleanup: a local drill is passed only once everything it made is gone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-drill-cleanup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks passed and the cleanup complete: passed', () => {
    expect(withCleanup(PASSED, CLEAN)).toMatchObject({ verdict: 'passed', ok: true, cleanup: CLEAN });
  });

  it('checks passed but a directory left behind: failed, the cleanup named as the problem, never "passed"', () => {
    const full = withCleanup(PASSED, LEFT);
    expect(full).toMatchObject({ ok: false, verdict: 'failed', cleanup: LEFT });
    expect(full.problem).toBe('the checks passed, but the cleanup is incomplete: could not remove /tmp/redis-dr-drill-a: EBUSY');
  });

  it('the record left beside the backups says why, not "passed" (report --destination shows the reason)', async () => {
    const store = new FileBackupStore(dir);
    const at = { store, target: 'cache-a', point: 'cache-a-20261125T031500Z.rdb', input: { kind: 'file', path: PASSED.file, bytes: 1234 } as const };
    const name = await recordLocalDrill(at, withCleanup(PASSED, LEFT), new Date('2026-11-25T04:00:00Z'), 'ops@host');
    const record = parseDrillRecord(readFileSync(join(dir, name), 'utf8'))!;
    expect(record).toMatchObject({ passed: false, verdict: 'failed' });
    expect(record.reason).toMatch(/cleanup is incomplete: could not remove/);
    expect(record.rtoSeconds).toBeUndefined();
  });

  it('the record of a passed drill counts its RTO from start to verified: the file read (downloaded) and verified, loaded, checked', async () => {
    const store = new FileBackupStore(dir);
    const at = { store, target: 'cache-a', point: 'cache-a-20261125T031500Z.rdb', input: { kind: 's3', url: 's3://b/cache-a.rdb' } as const };
    const name = await recordLocalDrill(at, withCleanup({ ...PASSED, readSeconds: 41.5 }, CLEAN), new Date('2026-11-25T05:00:00Z'), 'ops@host');
    const record = parseDrillRecord(readFileSync(join(dir, name), 'utf8'))!;
    expect(record).toMatchObject({ passed: true, readSeconds: 41.5, loadSeconds: 0.01, verifySeconds: 0.02 });
    expect(record.rtoSeconds).toBeCloseTo(41.53, 10);
  });

  it('a failed check keeps its verdict and reason with a cleanup problem too', () => {
    const failed = {
      ...PASSED,
      verdict: 'failed' as const,
      ok: false,
      checks: [{ name: 'key-count' as const, ok: false, expected: 'exactly 10', found: '3 keys' }],
    };
    expect(withCleanup(failed, LEFT)).toMatchObject({ ok: false, verdict: 'failed' });
    expect(withCleanup(failed, LEFT).problem).toBeUndefined();
  });
});

describe('runLocalDrill: a backup drilled from its destination is the one its record names', () => {
  const FIXTURE = join(__dirname, '../../../fixtures/rdb/encodings.rdb');
  const checks = { tolerancePct: 1, expectKeys: [], sampleSize: 0 };
  const file = (sha256: string) => ({ kind: 'file' as const, path: FIXTURE, bytes: statSync(FIXTURE).size, sha256 });

  it('a file whose SHA-256 is not the recorded one (replaced or changed since it was stored) fails, named, and is not loaded', async () => {
    const scratch = new DrillScratch();
    const recorded = createHash('sha256').update('another backup').digest('hex');
    try {
      const r = await runLocalDrill(file(recorded), await findServerBinary(), checks, scratch);
      expect(r).toMatchObject({ verdict: 'failed', ok: false });
      expect(r.problem).toBe(
        `${FIXTURE} is not the backup its record names: its SHA-256 is ${createHash('sha256').update(readFileSync(FIXTURE)).digest('hex')}, ` +
          `the record (read back when it was stored) says ${recorded}: it was replaced or changed since; not loaded`,
      );
      expect(r.server).toBeUndefined();
      expect(scratch.server).toBeUndefined();
    } finally {
      await scratch.cleanup();
    }
  });

  it('drill local --from hands the drill the SHA-256 the backup was read back with when it was stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-drill-sha-'));
    try {
      const store = new FileBackupStore(dir);
      async function* bytes() {
        yield readFileSync(FIXTURE);
      }
      const w = await store.write('rdr-cache-20261125-0300.rdb', bytes(), { tier: 'daily', target: 'cache', createdAt: '2026-11-25T03:00:00.000Z' }, () => ({
        keys: 3,
        rdbVersion: 9,
      }));
      const at = await drillPointOf({ from: `file://${dir}` });
      expect(at.input).toEqual({ kind: 'file', path: join(dir, 'rdr-cache-20261125-0300.rdb'), bytes: statSync(FIXTURE).size, sha256: w.sha256 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the recorded SHA-256 goes on to load and check it', async () => {
    const scratch = new DrillScratch();
    try {
      const r = await runLocalDrill(file(createHash('sha256').update(readFileSync(FIXTURE)).digest('hex')), await findServerBinary(), checks, scratch);
      expect(r.problem).toBeUndefined();
      expect(r.server?.loadSeconds).toBeGreaterThanOrEqual(0);
    } finally {
      expect((await scratch.cleanup()).problems).toEqual([]);
    }
  });
});
