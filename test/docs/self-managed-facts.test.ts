import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS_WITH_SPECIFIC_EXIT_CODES, exitCodesHelp } from '../../cli/exit-codes.js';
import { judgePoint, type CountedPoint } from '../../lambdas/domain/points/collapse-points.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * Facts the self-managed docs state that no code generates (issue 54 item 18
 * and its "Done when"): held here against their source, each checker with a
 * case it must refuse.
 */
const DOCS = join(__dirname, '..', '..', 'docs');
const cliMd = readFileSync(join(DOCS, 'cli.md'), 'utf8');
const selfManagedMd = readFileSync(join(DOCS, 'self-managed.md'), 'utf8');

/** docs/cli.md's "Exit codes" section, up to its next heading. */
function exitCodesSection(md: string): string {
  const from = md.indexOf('## Exit codes');
  expect(from, 'docs/cli.md has an "## Exit codes" section').toBeGreaterThanOrEqual(0);
  const next = md.indexOf('\n#', from + 3);
  return md.slice(from, next < 0 ? undefined : next);
}

/** The codes beyond the shared 0, 1 and 2 a command's `--help` gives under `for <command>:`. */
function specialCodes(path: string): number[] {
  const help = exitCodesHelp(path);
  const own = help.slice(help.indexOf(`for ${path}:`));
  return [...own.matchAll(/^\s+(\d+)\s{2}/gm)].map((m) => Number(m[1])).filter((c) => c > 2);
}

/** Each (command, code) the section does not document: the code within the words after the command's name. */
function undocumented(section: string): string[] {
  const missing: string[] = [];
  for (const path of COMMANDS_WITH_SPECIFIC_EXIT_CODES) {
    for (const code of specialCodes(path)) {
      const near = [...section.matchAll(new RegExp(`\`${path}\``, 'g'))].map((m) => section.slice(m.index!, m.index! + path.length + 120));
      if (!near.some((text) => new RegExp(`\\b${code}\\b`).test(text.slice(path.length + 2)))) missing.push(`${path} ${code}`);
    }
  }
  return missing;
}

describe("docs/cli.md's exit codes (issue 54 item 18)", () => {
  it('name every code beyond 0-2 that a command gives, beside the command: backup 75, verify-rdb 3, drill local 3 and 130', () => {
    const section = exitCodesSection(cliMd);
    expect(specialCodes('backup')).toEqual([75]);
    expect(specialCodes('drill local')).toEqual([3, 130]);
    expect(undocumented(section)).toEqual([]);
  });

  it('the check refuses a section that leaves one out (backup 75 dropped)', () => {
    const section = exitCodesSection(cliMd).replace('`backup` 75 (EX_TEMPFAIL', '`backup` (EX_TEMPFAIL');
    expect(undocumented(section)).toEqual(['backup 75']);
  });
});

/** The remote-mode paragraph's claim: the transfer starts after the server's repl-diskless-sync-delay, `N s by default`. */
function documentedDelay(md: string): { seconds: number; withDiskless: boolean } | undefined {
  const m = /transfer starts after the\s+server's own `repl-diskless-sync-delay` \((\d+) s by default( with diskless\s+sync)?/.exec(md);
  return m ? { seconds: Number(m[1]), withDiskless: m[2] !== undefined } : undefined;
}

describe("docs/self-managed.md: remote mode waits for the server's repl-diskless-sync-delay (issue 54 item 18)", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => server?.stop());

  it("says so in the remote mode's paragraph, with the default a real redis-server has (diskless sync on by default)", async () => {
    const from = selfManagedMd.indexOf('- **remote** (`--remote`)');
    expect(from, 'docs/self-managed.md has the remote-mode paragraph').toBeGreaterThanOrEqual(0);
    const said = documentedDelay(selfManagedMd.slice(from, selfManagedMd.indexOf('\n\n', from)));
    expect(said, 'the remote-mode paragraph names repl-diskless-sync-delay and its default').toBeDefined();
    const c = server.client();
    const [, delay] = (await c.config('GET', 'repl-diskless-sync-delay')) as [string, string];
    const [, diskless] = (await c.config('GET', 'repl-diskless-sync')) as [string, string];
    expect(said).toEqual({ seconds: Number(delay), withDiskless: diskless === 'yes' });
  });

  it('the check refuses a paragraph without it, or with another default', () => {
    expect(documentedDelay(selfManagedMd.replace(/repl-diskless-sync-delay/g, 'repl-timeout'))).toBeUndefined();
    const other = documentedDelay(selfManagedMd.replace(/`repl-diskless-sync-delay` \(5 s/, '`repl-diskless-sync-delay` (3 s'));
    expect(other?.seconds).toBe(3);
  });
});

/**
 * The backups of a keyspace that loses `pctPerDay` % of its keys and bytes every day, one a day for `days`, each judged
 * against the ones before it as the backup's keyspace step does (judgePoint); the day of the first trip, or undefined.
 */
function firstTrip(pctPerDay: number, days: number, thresholdPct: number): number | undefined {
  const history: CountedPoint[] = [];
  const t0 = Date.parse('2026-11-01T03:00:00Z');
  for (let day = 0; day < days; day++) {
    const keys = Math.round(100_000 * (1 - pctPerDay / 100) ** day);
    const point = { point: `day-${day}`, keys, bytes: keys * 100, createdAt: new Date(t0 + day * 86_400_000) };
    if (judgePoint(history, point, thresholdPct)) return day;
    history.push({ name: point.point, createdAt: point.createdAt, keys, bytes: point.bytes });
  }
  return undefined;
}

describe('docs/self-managed.md: a drain slower than the threshold per 7 days (issue 54, "Done when")', () => {
  const said =
    /\*\*A drain slower than the threshold per 7 days\*\*\s+\(for example (\d+) % a day: about (\d+) % a week against a (\d+) % threshold\) does\s+not trip: the window moves with it\. What still protects the data then:[\s\S]*?a lower\s+`--collapse-threshold-pct` \(say (\d+)\) catches a slower drain/.exec(
      selfManagedMd,
    );

  it('is documented with what still protects the data', () => {
    expect(said, 'docs/self-managed.md states the slow drain, its example and what still protects the data').not.toBeNull();
    for (const protection of ['the tiers keep older backups than a week', 'its keys per\n  database and its size']) expect(said![0]).toContain(protection);
  });

  it('holds as the docs say it: the example drain never trips at the default threshold over 8 weeks; the lower threshold named catches it', () => {
    const [perDay, perWeek, threshold, lower] = said!.slice(1).map(Number) as [number, number, number, number];
    expect(Math.round((1 - (1 - perDay / 100) ** 7) * 100)).toBeCloseTo(perWeek, -1);
    expect(firstTrip(perDay, 56, threshold)).toBeUndefined();
    const caught = firstTrip(perDay, 56, lower);
    expect(caught).toBeDefined();
    expect(caught!).toBeLessThanOrEqual(7);
    // The checker's own negative case: a drain faster than the threshold per week trips within the week.
    expect(firstTrip(15, 56, threshold)).toBeLessThanOrEqual(7);
  });
});
