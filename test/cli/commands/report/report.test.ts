import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, fakeAws } from '../../support/fake-aws.js';
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
    // No target at all: nothing was judged, which is no pass (PARTIAL, exit 1), never OK.
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^PARTIAL file:\/\/.*: 0 target\(s\), .*: 0 pass, 0 fail, 0 n\/a$/m);
    expect(r.stdout).toContain('NOT READ no cache or backup target was found to report on: nothing was judged');
    expect(readFileSync(join(out, 'r.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(JSON.parse(readFileSync(join(out, 'r.json'), 'utf8'))).toMatchObject({ summary: { pass: 0, fail: 0 } });
    expect(existsSync(join(out, 'csv', 'controls.csv'))).toBe(true);
  });

  it.each([
    [['--since', 'yesterday'], /--since yesterday is no time report reads: write an age like 30d, 12h or 2w, a date/],
    // A time without its zone would be read in the zone of the machine the CLI runs on: refused, as restore-aof --until is.
    [
      ['--until', '2026-11-20T00:00'],
      /--until 2026-11-20T00:00 is no time report reads \(give its zone\): write a date \(2026-11-20: midnight UTC\) or unix seconds/,
    ],
    [['--since', '2026-11-13T00:00:00', '--until', '2026-11-20T00:00:00Z'], /--since 2026-11-13T00:00:00 is no time report reads \(give its zone\)/],
    [['--until', '2026-02-30'], /--until 2026-02-30 is no time report reads: write a date/],
    [['--time-zone', 'Mars/Olympus'], /--time-zone Mars\/Olympus is not an IANA time zone/],
    [['--rpo-minutes', '0'], /--rpo-minutes must be a positive whole number, got "0"/],
    [[], /nothing to write: give --html <file>, --json <file> and\/or --csv <dir>/],
  ])('refuses %j with exit 2, naming the option and the fix', async (args, message) => {
    const r = await runInProcess(['report', '--destination', `file://${DIR}`, ...(args.length ? [...args, '--json', join(DIR, 'x.json')] : [])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('reads a date as midnight UTC and a time with its zone, whatever zone the machine is in', async () => {
    const json = join(DIR, 'dated.json');
    const r = await runInProcess(['report', '--destination', `file://${DIR}`, '--since', '2026-11-13', '--until', '2026-11-20T01:00:00+01:00', '--json', json]);
    expect(r.code).toBe(1);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ since: '2026-11-13T00:00:00.000Z', until: '2026-11-20T00:00:00.000Z' });
  });

  it('a destination that is none: exit 2 with what to write', async () => {
    const r = await runInProcess(['report', '--destination', 'ftp://x', '--json', join(DIR, 'y.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--destination ftp:\/\/x is not a destination: write file:\/\/\/absolute\/dir or s3:\/\/bucket\/prefix/);
  });

  it('a folder that is not there (a typo): exit 2, nothing written (it was a report of nothing, exit 1)', async () => {
    const r = await runInProcess(['report', '--destination', `file://${join(DIR, 'no-such-folder')}`, '--json', join(DIR, 'typo.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--destination file:\/\/.*no-such-folder: no such folder \(a typo\?\): nothing was read or written/);
    expect(existsSync(join(DIR, 'typo.json'))).toBe(false);
  });
});

describe('redis-dr report -c (ElastiCache)', () => {
  const aws = fakeAws();
  const cw = mockClient(CloudWatchClient);
  const CONFIG = 'test/fixtures/config/drills.json';
  beforeEach(() => {
    aws.reset();
    aws.state.credentials = true;
    cw.reset();
    cw.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  });

  it('without credentials: exit 2 with one line, and nothing asked of AWS but who the caller is', async () => {
    aws.state.credentials = false;
    const r = await runInProcess(['report', '-c', CONFIG, '--html', join(DIR, 'none.html')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^redis-dr: no AWS credentials found: set AWS_PROFILE/);
    expect(aws.ec.calls()).toHaveLength(0);
    expect(aws.s3.calls()).toHaveLength(0);
    expect(cw.calls()).toHaveLength(0);
    expect(existsSync(join(DIR, 'none.html'))).toBe(false);
  });

  it('an account with no history yet: writes HTML, JSON and CSV (read back), prints the failed controls, exit 1', async () => {
    aws.state.snapshots.set('rdr-sessions-prod-20261120-2200', {
      name: 'rdr-sessions-prod-20261120-2200',
      target: 'sessions-prod',
      status: 'available',
      createdAt: new Date('2026-11-20T22:00:00Z'),
      tags: { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'sessions-prod' },
    });
    const out = join(DIR, 'ec');
    const r = await runInProcess([
      'report',
      '-c',
      CONFIG,
      '--since',
      '2026-11-14T00:00:00Z',
      '--until',
      '2026-11-21T00:00:00Z',
      '--html',
      join(out, 'r.html'),
      '--json',
      join(out, 'r.json'),
      '--csv',
      join(out, 'csv'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^CONTROLS FAILED example: 2 cache\(s\), 2026-11-14T00:00:00.000Z to 2026-11-21T00:00:00.000Z: \d+ pass, \d+ fail, \d+ n\/a$/m);
    expect(r.stdout).toContain('  FAIL sessions-edge last-recovery-point: no recovery point at all');
    expect(r.stdout).toContain(`  wrote ${join(out, 'r.html')}`);
    const json = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as { caches: { facts: { cache: string; points: unknown[] } }[]; problems: string[] };
    expect(json.caches.map((c) => [c.facts.cache, c.facts.points.length])).toEqual([
      ['sessions-prod', 1],
      ['sessions-edge', 0],
    ]);
    expect(json.problems).toEqual([]);
    expect(readFileSync(join(out, 'csv', 'recovery-points.csv'), 'utf8')).toContain(
      'sessions-prod,sessions,rdr-sessions-prod-20261120-2200,2026-11-20T22:00:00Z',
    );
    // The DR copies were looked for in the deployment's DR bucket.
    expect(aws.s3.calls().map((c) => (c.args[0].input as { Bucket?: string }).Bucket)).toContain(`redis-dr-example-${ACCOUNT}-eu-central-1`);
  });

  it('a fact it may not read: the report says PARTIAL, names it, and exits 1', async () => {
    cw.on(DescribeAlarmHistoryCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudwatch:DescribeAlarmHistory'), { name: 'AccessDenied' }),
    );
    const r = await runInProcess(['report', '-c', CONFIG, '--json', join(DIR, 'partial.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^PARTIAL example: /);
    expect(r.stdout).toMatch(/^ {2}NOT READ alarm history of eu-west-1 \(redis-dr-example-\*\): .*cloudwatch:DescribeAlarmHistory/m);
  });

  it('-c and --destination together: exit 2, naming both', async () => {
    const r = await runInProcess(['report', '-c', CONFIG, '--destination', `file://${DIR}`, '--json', join(DIR, 'z.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give either -c <config> \(ElastiCache\) or --destination <url> \(self-managed backups\), not both/);
  });
});
