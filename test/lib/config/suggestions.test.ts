import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../lambdas/domain/keys/prng.js';
import { validateConfig } from '../../../lib/config/load.js';

/**
 * Every "did you mean" the config checks print is itself accepted: each
 * mistake below is planted in a valid config, its suggestion read from the
 * problem and put in its place, and the config checked again: no problem may
 * remain at that path. (Before, a Unix cron was answered with the hourly
 * example, which the next check refused: 24 snapshots a day, 20 allowed.)
 */
const ROOT = join(__dirname, '..', '..', '..');
const BASE = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/config/basic.json'), 'utf8')) as Record<string, unknown>;
const NOW = new Date('2026-11-01T00:00:00Z');

type Path = readonly (string | number)[];
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const show = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

function at(config: Record<string, unknown>, path: Path): Record<string | number, unknown> {
  let node: Record<string | number, unknown> = config;
  for (const key of path) {
    node[key] ??= {};
    node = node[key] as Record<string | number, unknown>;
  }
  return node;
}
function set(config: Record<string, unknown>, path: Path, value: unknown): void {
  at(config, path.slice(0, -1))[path.at(-1)!] = value;
}
function problemsAt(config: Record<string, unknown>, path: Path): string[] {
  const r = validateConfig(config, { now: NOW });
  return r.ok ? [] : r.problems.filter((p) => p.startsWith(`${show(path)} `));
}
const suggestion = (problem: string) => /did you mean "([^"]+)"\?/.exec(problem)?.[1];

/** Plant `value` at `path`, take the suggestion, put it in, and return what the checks say then. */
function feedBack(path: Path, value: unknown) {
  const planted = clone(BASE);
  set(planted, path, value);
  const before = problemsAt(planted, path);
  const suggested = before.map(suggestion).find((s) => s !== undefined);
  const fixed = clone(planted);
  if (suggested !== undefined) set(fixed, path, suggested);
  return { before, suggested, after: suggested === undefined ? before : problemsAt(fixed, path) };
}

/** Rename the setting `from` to its misspelling, and feed the suggested name back. */
function feedBackKey(parent: Path, key: string, typo: string) {
  const planted = clone(BASE);
  const node = at(planted, parent);
  node[typo] = node[key];
  delete node[key];
  const before = problemsAt(planted, [...parent, typo]);
  const suggested = before.map(suggestion).find((s) => s !== undefined);
  const fixed = clone(planted);
  const fixedNode = at(fixed, parent);
  if (suggested !== undefined) {
    fixedNode[suggested] = fixedNode[typo];
    delete fixedNode[typo];
  }
  return { before, suggested, after: problemsAt(fixed, [...parent, typo]).concat(suggested ? problemsAt(fixed, [...parent, suggested]) : []) };
}

const SCHEDULES: Path[] = [
  ['plans', 0, 'schedule', 'cron'],
  ['plans', 1, 'schedule', 'cron'],
  ['plans', 0, 'retention', 'schedule', 'cron'],
  ['plans', 1, 'drill', 'schedule', 'cron'],
];

describe('config suggestions, fed back', () => {
  it('the Unix cron of the report, 0 */2 * * *, is answered with its AWS form, which passes', () => {
    const r = feedBack(['plans', 0, 'schedule', 'cron'], '0 */2 * * *');
    expect(r.suggested).toBe('cron(0 0/2 * * ? *)');
    expect(r.after).toEqual([]);
  });

  it('an hourly Unix cron for node-based caches is answered with every 2 hours, naming why (24 > 20 a day)', () => {
    const r = feedBack(['plans', 0, 'schedule', 'cron'], '0 * * * *');
    expect(r.before[0]).toMatch(/cron\(0 \* \* \* \? \*\), runs 24 times in 24 h, more than the 20 manual snapshots per node/);
    expect(r.suggested).toBe('cron(0 0/2 * * ? *)');
    expect(r.after).toEqual([]);
  });

  it('a drill schedule keeps its hourly AWS form (no snapshot quota there)', () => {
    expect(feedBack(['plans', 1, 'drill', 'schedule', 'cron'], '0 * * * *').suggested).toBe('cron(0 * * * ? *)');
  });

  it('every suggestion for 80 seeded Unix crons and rates, in every kind of schedule, is accepted where it was made', () => {
    const random = mulberry32(5);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let suggested = 0;
    for (let i = 0; i < 80; i++) {
      const value =
        random() < 0.2
          ? pick(['rate(1 hour)', 'rate(2 hours)', 'rate(30 minutes)', 'rate(1 day)', 'rate(6 hours)'])
          : [pick(['0', '15', '*/15', '*/30', '45']), pick(['*', '*/2', '*/3', '*/4', '3', '*/12']), '*', '*', pick(['*', '1-5', '0', 'sun'])].join(' ');
      const path = pick(SCHEDULES);
      const r = feedBack(path, value);
      expect(r.before.length, `${show(path)} = ${value}`).toBeGreaterThan(0);
      if (r.suggested === undefined) continue;
      suggested++;
      expect(r.after, `${show(path)} = ${value} -> ${r.suggested}`).toEqual([]);
    }
    expect(suggested).toBeGreaterThan(55);
  });

  it.each<[Path, string]>([
    [['primary', 'region'], 'eu-west1'],
    [['dr', 'region'], 'eu-centrl-1'],
    [['dr', 'region'], 'us-est-1'],
    [['plans', 0, 'schedule', 'timeZone'], 'Europe/Berln'],
    [['plans', 1, 'schedule', 'timeZone'], 'America/New_Yrok'],
  ])('%j = %s: the suggested value passes', (path, value) => {
    const r = feedBack(path, value);
    expect(r.suggested).toBeDefined();
    expect(r.after).toEqual([]);
  });

  it.each<[Path, string, string]>([
    [['plans', 0], 'retention', 'retentoin'],
    [['plans', 0], 'rpoMinutes', 'rpoMinute'],
    [[], 'alerts', 'alert'],
    [['plans', 0, 'schedule'], 'timeZone', 'timezone'],
  ])('%j.%s misspelt %s: the suggested setting is known', (parent, key, typo) => {
    const r = feedBackKey(parent, key, typo);
    expect(r.suggested).toBe(key);
    expect(r.after).toEqual([]);
  });

  it('fails when a suggestion is refused (the checker is not blind): a wrong suggestion left in place is seen', () => {
    const planted = clone(BASE);
    set(planted, ['plans', 0, 'schedule', 'cron'], 'cron(0 * * * ? *)');
    expect(problemsAt(planted, ['plans', 0, 'schedule', 'cron'])[0]).toMatch(/runs 24 times in some rolling 24 h/);
  });
});
