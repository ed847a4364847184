import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMotoS3, type MotoS3, useMotoCredentials } from '../../../support/moto.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr policy --destination`: the policy of self-managed backups from
 * what a real destination holds (backups of a real redis-server into a
 * folder and into S3 through moto, a real drill record) and the settings
 * given; a destination that is not there, or holds no backup, is one line
 * naming the option, the value and the fix (exit 2), never a document.
 */
describe('redis-dr policy --destination', () => {
  let server: RedisServer;
  let moto: MotoS3;
  const dir = mkdtempSync(join(tmpdir(), 'policy-dest-'));
  let restoreCredentials = (): void => undefined;
  beforeAll(async () => {
    restoreCredentials = useMotoCredentials();
    [server, moto] = await Promise.all([startRedisServer(), startMotoS3()]);
    await Promise.all([moto.bucket('policy'), moto.bucket('empty')]);
    const p = server.client().pipeline();
    for (let i = 0; i < 200; i++) p.set(`k:${i}`, `v${i}`);
    await p.exec();
  }, 120_000);
  afterAll(async () => {
    restoreCredentials();
    await Promise.all([server?.stop(), moto?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function backups(to: string, extra: string[] = []): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const r = await runInProcess(['backup', '--redis', server.url, '--to', to, '--create', '--name', 'cache', ...extra]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
  }

  it('file://: names the server with its frequency, RPO, retention, maximum retention and recorded drills (Markdown and HTML, read back); report --policy links to it', async () => {
    const dest = `file://${join(dir, 'backups')}`;
    await backups(dest);
    const drill = await runInProcess(['drill', 'local', '--from', dest]);
    expect(drill.code, drill.stdout + drill.stderr).toBe(0);
    const md = join(dir, 'p.md');
    const html = join(dir, 'p.html');
    const r = await runInProcess([
      'policy',
      '--destination',
      dest,
      '--keep-daily',
      '14',
      '--rpo-minutes',
      '60',
      '--rto-minutes',
      '30',
      '--max-retention-days',
      '400',
      '--paged',
      'oncall@example.com',
      '--markdown',
      md,
      '--html',
      html,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`wrote ${md}\nwrote ${html}\n`);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain(`# Backup policy: ${dest}\n`);
    expect(text).toMatch(/^\| cache \| every (under 1 min|\d+ min) \(median of 2 backups held\) \| UTC \| 1 h \|$/m);
    expect(text).toContain('| cache | 24 | 14 | 4 | 12 | 3 | no DR copies | 400 days, unless a hold with a reason and an expiry keeps a copy |');
    expect(text).toContain(`| cache | read-back .rdb backups at ${dest} |`);
    expect(text).toMatch(
      /^\| cache \| 1 recorded, newest \d{4}-\d\d-\d\dT[\d:.]+Z \(UTC\) \| a local redis-server \(drill local\) \| newest verified point \| 30 min \|$/m,
    );
    expect(text).toContain("page through the heartbeat's monitor");
    expect(text).toContain('| oncall@example.com |');
    expect(readFileSync(html, 'utf8')).toContain('<td>400 days, unless a hold with a reason and an expiry keeps a copy</td>');

    // The report links to the policy it is held against: in the HTML (escaped), the JSON and the summary.
    const report = await runInProcess(['report', '--destination', dest, '--policy', md, '--json', join(dir, 'r.json'), '--html', join(dir, 'r.html')]);
    expect(report.stdout).toContain(`  POLICY ${md}\n`);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'))).toMatchObject({ policyDocument: md });
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain(`Held against the backup policy: <a href="${md}">${md}</a>`);
    const none = await runInProcess(['report', '--destination', dest, '--json', join(dir, 'r2.json')]);
    expect(none.stdout).not.toContain('POLICY');
    expect(JSON.parse(readFileSync(join(dir, 'r2.json'), 'utf8'))).not.toHaveProperty('policyDocument');
  }, 120_000);

  it('s3:// (moto): the same document from the bucket, no maximum when none is given, no drill said as none', async () => {
    const dest = 's3://policy/redis';
    await backups(dest, ['--s3-endpoint', moto.endpoint]);
    const r = await runInProcess(['policy', '--destination', dest, '--s3-endpoint', moto.endpoint]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\| cache \| every .* \(median of 2 backups held\) \| UTC \| 24 h \|$/m);
    expect(r.stdout).toContain('| cache | 24 | 7 | 4 | 12 | 3 | no DR copies | no maximum set |');
    expect(r.stdout).toContain('| cache | none recorded: run redis-dr drill local --from the destination (UTC) |');
    expect(r.stdout).toContain('nobody: the config subscribes no one');
  }, 120_000);

  it('a folder that is not there, a bucket that is not there, a folder and a bucket holding no backup: one line naming the value and the fix, exit 2, no document', async () => {
    mkdirSync(join(dir, 'empty'));
    const cases: [string[], RegExp][] = [
      [['--destination', `file://${join(dir, 'nope')}`], /^--destination file:\/\/.*nope: no such folder \(a typo\?\): nothing was read or written$/],
      [['--destination', 's3://no-such-bucket/x', '--s3-endpoint', moto.endpoint], /^--destination s3:\/\/no-such-bucket\/x: no such bucket no-such-bucket/],
      [
        ['--destination', `file://${join(dir, 'empty')}`],
        /^--destination file:\/\/.*empty holds no read-back backup written by redis-dr backup: .* Point it at a backup --to destination/,
      ],
      [['--destination', 's3://empty/x', '--s3-endpoint', moto.endpoint], /^--destination s3:\/\/empty\/x holds no read-back backup/],
      [['--destination', 'ftp://host/x'], /^--destination ftp:\/\/host\/x is not a destination: write file:\/\/\/absolute\/dir or s3:\/\/bucket\/prefix/],
      [
        ['-c', 'config/example.json', '--destination', `file://${dir}`],
        /^policy takes one of --config <file> \(a deployment\) or --destination <url> \(self-managed backups\), not both: drop one$/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runInProcess(['policy', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.split('\n')[0]?.replace(/^redis-dr: /, ''), args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
  }, 60_000);
});
