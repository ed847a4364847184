import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/in-process.js';

const DIR = mkdtempSync(join(tmpdir(), 'redis-dr-report-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('redis-dr report --destination', () => {
  it('writes the HTML, JSON and CSV of an empty destination (read back), and exits 1: nothing is protected there', async () => {
    const out = join(DIR, 'out');
    const r = await runInProcess([
      'report',
      '--destination',
      `file://${DIR}`,
      '--html',
      join(out, 'r.html'),
      '--json',
      join(out, 'r.json'),
      '--csv',
      join(out, 'csv'),
    ]);
    expect(r.code).toBe(0 /* no target at all: no control to fail */);
    expect(r.stdout).toMatch(/^OK file:\/\/.*: 0 target\(s\), .*: 0 pass, 0 fail, 0 n\/a$/m);
    expect(readFileSync(join(out, 'r.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(JSON.parse(readFileSync(join(out, 'r.json'), 'utf8'))).toMatchObject({ summary: { pass: 0, fail: 0 } });
    expect(existsSync(join(out, 'csv', 'controls.csv'))).toBe(true);
  });

  it.each([
    [['--since', 'yesterday'], /--since must be an age like 30d/],
    [['--time-zone', 'Mars/Olympus'], /--time-zone Mars\/Olympus is not an IANA time zone/],
    [['--rpo-minutes', '0'], /--rpo-minutes must be a positive whole number, got "0"/],
    [[], /nothing to write: give --html <file>, --json <file> and\/or --csv <dir>/],
  ])('refuses %j with exit 2, naming the option and the fix', async (args, message) => {
    const r = await runInProcess(['report', '--destination', `file://${DIR}`, ...(args.length ? [...args, '--json', join(DIR, 'x.json')] : [])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a destination that is none: exit 2 with what to write', async () => {
    const r = await runInProcess(['report', '--destination', 'ftp://x', '--json', join(DIR, 'y.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--destination ftp:\/\/x is not a destination: write file:\/\/\/absolute\/dir or s3:\/\/bucket\/prefix/);
  });
});
