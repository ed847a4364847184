import { describe, expect, it } from 'vitest';
import { formatMigrate, formatMigrateRuns } from '../../../../cli/commands/migrate/format.js';
import { type MigrateResult, sumMigrateResults } from '../../../../lambdas/jobs/keys/migrate.js';
import { unansweredNote } from '../../../../lambdas/adapters/redis/dump-restore.js';

const result = (over: Partial<MigrateResult>): MigrateResult => ({
  scanned: 0,
  copied: 0,
  replaced: 0,
  replaceUnchecked: 0,
  skipped: 0,
  expired: 0,
  failed: 0,
  seconds: 1,
  interrupted: false,
  source: 'redis 127.0.0.1:1',
  target: 'redis 127.0.0.1:2',
  skippedKeys: new Set(),
  ...over,
});
const RERUN = 'Every batch before this point is complete; rerun the same command to finish (existing keys are skipped).';

describe('formatMigrate: the advice after a run that stopped', () => {
  it('a run that wrote something and stopped: rerun the same command (skip or replace)', () => {
    expect(formatMigrate({ result: result({ scanned: 10, copied: 4, failed: 1, error: 'the target refused RESTORE of k: OOM' }) })).toContain(RERUN);
    expect(formatMigrate({ result: result({ copied: 4, interrupted: true }) }, { onConflict: 'replace' })).toContain(
      'Every batch before this point is complete; rerun the same command to finish (the keys this run wrote are replaced again).',
    );
  });

  it('with --on-conflict replace the count says how many of the keys written overwrote a key the target held', () => {
    expect(formatMigrate({ result: result({ scanned: 3, copied: 3, replaced: 2 }) }, { onConflict: 'replace' })).toMatch(
      /^copied 3 \(2 of them overwrote a key the target held, --on-conflict replace\), skipped 0 \(already on the target\)/m,
    );
    expect(formatMigrate({ result: result({ scanned: 3, copied: 3, replaced: 0, replaceUnchecked: 1 }) }, { onConflict: 'replace' })).toMatch(
      /^copied 3 \(0 of them overwrote a key the target held, --on-conflict replace; 1 not told \(the target refused EXISTS\)\)/m,
    );
    expect(formatMigrate({ result: result({ scanned: 3, copied: 3, replaced: 1 }) }, { onConflict: 'replace', dryRun: true })).toMatch(
      /^DRY RUN: would copy 3 \(1 of them would overwrite a key the target held, --on-conflict replace\)/m,
    );
    // Negative: skip (the default) says nothing of it, nor a run that wrote nothing.
    expect(formatMigrate({ result: result({ scanned: 3, copied: 3 }) })).not.toContain('--on-conflict replace');
    expect(formatMigrate({ result: result({ scanned: 3, expired: 3 }) }, { onConflict: 'replace' })).not.toContain('overwrote');
  });

  it('with --on-conflict fail: rerun with skip, since a rerun with fail stops at the first key this run wrote', () => {
    const text = formatMigrate({ result: result({ copied: 4, error: 'k already exists on the target (--on-conflict fail)' }) }, { onConflict: 'fail' });
    expect(text).not.toContain(RERUN);
    expect(text).toContain('to finish, rerun with --on-conflict skip (a rerun with fail would stop at the first key this run wrote)');
  });

  it('a run refused before it wrote anything, a complete run and a dry run: no rerun advice', () => {
    for (const text of [
      formatMigrate({ result: result({ error: 'the file is refused, nothing was written: not an RDB file' }) }),
      formatMigrate({ result: result({ scanned: 3, copied: 3 }) }),
      formatMigrate({ result: result({ scanned: 3, copied: 3, error: 'x' }) }, { dryRun: true }),
    ]) {
      expect(text).not.toContain('rerun');
    }
  });

  it('a run refused before it read a key prints its reason, not a count of nothing (review 19); one that read keys, its counts', () => {
    const refused =
      'the file is refused, nothing was written: module AUX data of ReJSON-RL: redis-dr does not carry module data (--lossy module leaves it out)';
    expect(formatMigrate({ result: result({ error: refused }) })).toBe(`error: ${refused}`);
    expect(formatMigrate({ result: result({ scanned: 2, copied: 1, failed: 1, error: 'the target refused RESTORE of k: OOM' }) }).split('\n')[0]).toMatch(
      /^STOPPED: copied 1, skipped 0 \(already on the target\), expired 0, failed 1 of 2 keys in /,
    );
  });

  it('the note on keys sent but not answered follows the mode', () => {
    expect(unansweredNote(3, 'skip')).toBe(
      '; 3 of the failed keys were sent but not answered before the connection broke: they may or may not be on the target. Rerun the same command to finish',
    );
    expect(unansweredNote(3, 'replace')).toMatch(/Rerun the same command to finish$/);
    expect(unansweredNote(3, 'fail')).toMatch(/Rerun with --on-conflict skip to finish$/);
  });
});

describe('formatMigrateRuns: the total over several databases says what the run did', () => {
  const db = (from: number, over: Partial<MigrateResult>) => ({ from, to: from, result: result(over) });
  const runs = (...dbs: ReturnType<typeof db>[]) => ({
    databases: dbs,
    result: sumMigrateResults(dbs.map((d) => d.result)),
    leftOut: [],
    notReached: [],
  });

  it('a dry run over every database says it would copy, never that it copied (the FLUSHALL runbook runs --dry-run first)', () => {
    const text = formatMigrateRuns(runs(db(0, { scanned: 317, copied: 317 }), db(3, { scanned: 3, copied: 3 })), { dryRun: true });
    expect(text).toMatch(/^all 2 databases: DRY RUN: would copy 320, skipped 0, expired 0, failed 0 of 320 keys$/m);
    expect(text).not.toMatch(/^all 2 databases: copied/m);
  });

  it('a run that stopped or was interrupted in one database says so in the total', () => {
    expect(formatMigrateRuns(runs(db(0, { scanned: 5, copied: 5 }), db(1, { scanned: 2, copied: 1, failed: 1, error: 'OOM' })))).toMatch(
      /^all 2 databases: STOPPED: copied 6, skipped 0, expired 0, failed 1 of 7 keys$/m,
    );
    expect(formatMigrateRuns(runs(db(0, { scanned: 5, copied: 5 }), db(1, { copied: 1, interrupted: true })))).toMatch(
      /^all 2 databases: INTERRUPTED: copied 6,/m,
    );
    expect(formatMigrateRuns(runs(db(0, { scanned: 5, copied: 5 }), db(1, { scanned: 1, copied: 1 })))).toMatch(/^all 2 databases: copied 6,/m);
  });
});
