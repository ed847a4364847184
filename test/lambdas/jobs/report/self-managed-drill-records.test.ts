/**
 * `report --destination` over a real folder: a drill record `drill local --from` left there that cannot be
 * read (cut short, changed) is named and makes the report PARTIAL, never left out in silence. Left out, a
 * damaged newest drill that failed would leave an older passing one to pass the restore-time control.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportOfDestination } from '../../../../lambdas/jobs/report/self-managed.js';
import { tempDirs } from '../../../support/temp-dirs.js';

const tempDir = tempDirs();
const at = new Date('2026-11-20T00:00:00Z');
const options = { since: new Date('2026-11-13T00:00:00Z'), until: at, generatedAt: at, rpoMinutes: 1440, rtoMinutes: 60, timeZone: 'UTC', minRetentionDays: 7 };

describe('report --destination and the drill records beside the backups', () => {
  it('names a drill record that is none (PARTIAL), not the ones that are', async () => {
    const dir = tempDir('redis-dr-report-drills-');
    const good = {
      target: 'cache1',
      point: 'rdr-cache1-20261115-0000.rdb',
      passed: true,
      verdict: 'PASSED',
      startedAt: '2026-11-15T01:00:00.000Z',
      checks: [],
      rtoSeconds: 30,
    };
    writeFileSync(join(dir, 'redis-dr-drill-cache1-20261115T010000000Z.json'), JSON.stringify(good));
    writeFileSync(join(dir, 'redis-dr-drill-cache1-20261119T010000000Z.json'), '{"target": "cache1", "point": "rdr-cache1-2026');
    const { report } = await reportOfDestination({ url: `file://${dir}` }, options, {});
    expect(report.problems).toContain(
      `drill record file://${dir}/redis-dr-drill-cache1-20261119T010000000Z.json is not one drill local wrote (damaged, cut short or changed): not counted`,
    );
    // The good record is read, and not named.
    expect(report.problems.filter((p) => p.startsWith('drill record'))).toHaveLength(1);
  });

  it('names a scrub record that is none: a cut newest scrub must not leave an older one saying the copies read well', async () => {
    const dir = tempDir('redis-dr-report-scrubs-');
    writeFileSync(join(dir, 'redis-dr-scrub-20261119T030000000Z.json'), '{"kind": "redis-dr-scrub", "results": [{"file": "rdr-c');
    const { report } = await reportOfDestination({ url: `file://${dir}` }, options, {});
    expect(report.problems).toContain(
      `scrub record file://${dir}/redis-dr-scrub-20261119T030000000Z.json is not one scrub wrote (damaged, cut short or changed): not counted`,
    );
  });
});
