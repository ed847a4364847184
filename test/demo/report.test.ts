import { createHash } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { backupFileName } from '../../lambdas/domain/self-managed/backup.js';
import { loadConfig } from '../../lib/config/index.js';
import { DEMO_ALARMS_NOT_COLLECTED, type DemoRun, writeDemoReport } from '../../demo/report.js';
import { demoVaultConfig } from '../../demo/run.js';

/**
 * The demo's DR report is built from what the run has: its caches against
 * the plan, the holds its backup store carries; what it has no source for
 * (CloudWatch alarms) is "not collected", never an empty "none".
 */

const s3 = mockClient(S3Client);
const stored = new Map<string, Buffer>();
const config = loadConfig('config/demo.json');
const plan = config.plans[0]!;
const startedAt = new Date('2026-11-24T05:00:00Z');
const endedAt = new Date('2026-11-24T05:02:00Z');
const pointAt = new Date('2026-11-24T05:01:00Z');
const point = backupFileName('app-cache', pointAt);

const run = (over: Partial<DemoRun> = {}): DemoRun => ({
  config,
  plan,
  target: 'app-cache',
  caches: ['app-cache'],
  drRegion: config.dr.region,
  startedAt,
  endedAt,
  point: { name: point, at: pointAt, keys: 1000 },
  backups: async () => [{ file: point, size: 2048, proven: true, keys: 1000, hold: `keyspace-collapsed:${point}` }],
  ...over,
});

beforeEach(() => {
  s3.reset();
  stored.clear();
  s3.on(PutObjectCommand).callsFake((i: { Key: string; Body: Uint8Array }) => {
    stored.set(i.Key, Buffer.from(i.Body));
    return {};
  });
  s3.on(HeadObjectCommand).callsFake((i: { Key: string }) => {
    const body = stored.get(i.Key) ?? Buffer.alloc(0);
    return { ContentLength: body.length, ChecksumSHA256: createHash('sha256').update(body).digest('base64'), ChecksumType: 'FULL_OBJECT' };
  });
});

describe("the demo's DR report", () => {
  it('judges coverage on the caches the run started: its source, in the plan, is protected and none is unprotected', async () => {
    const { report } = await writeDemoReport(run(), new S3Client({ region: 'eu-central-1' }), 'dr-bucket');
    expect(report.caches.map((c) => c.facts.cache)).toEqual(['app-cache']);
    expect(report.unprotected).toEqual([]);
    expect(report.notCollected.coverage).toBeUndefined();
  });

  it('a cache the run started that no plan names is unprotected, and its resources-protected control fails', async () => {
    const { report } = await writeDemoReport(run({ caches: ['app-cache', 'other-cache'] }), new S3Client({ region: 'eu-central-1' }), 'dr-bucket');
    expect(report.unprotected).toEqual(['other-cache']);
    expect(report.controls).toContainEqual(expect.objectContaining({ cache: 'other-cache', control: 'resources-protected', verdict: 'fail' }));
  });

  it("lists the holds the run's backup store carries", async () => {
    const { report } = await writeDemoReport(run(), new S3Client({ region: 'eu-central-1' }), 'dr-bucket');
    // The run's own hold (the simulated month's collapse hold is before it).
    expect(report.holds.filter((h) => h.since >= startedAt)).toEqual([{ cache: 'app-cache', point, since: pointAt, reason: `keyspace-collapsed:${point}` }]);
    expect(report.notCollected.holds).toBeUndefined();
  });

  it('alarms, which the demo has no source for, are "not collected" in the page and in alarms.csv, never "none"', async () => {
    const { prefix } = await writeDemoReport(run(), new S3Client({ region: 'eu-central-1' }), 'dr-bucket');
    const html = stored.get(`${prefix}report.html`)!.toString();
    expect(html).toContain(`Alarms that fired in the period: not collected</strong> (${DEMO_ALARMS_NOT_COLLECTED.replaceAll("'", '&#39;')})`);
    expect(html).not.toContain('Alarms that fired in the period: none.');
    expect(stored.get(`${prefix}csv/alarms.csv`)!.toString()).toBe('report_status,alarm,from,to,minutes_in_alarm\r\nNOT_COLLECTED,,,,\r\n');
  });

  it('a run that ended before its backup store existed: holds are "not collected"', async () => {
    const { report } = await writeDemoReport(run({ backups: undefined }), new S3Client({ region: 'eu-central-1' }), 'dr-bucket');
    expect(report.notCollected.holds).toBe('the run ended before its backup store existed');
  });

  it('covers a month: the 30 days before the run simulated (a trend in every chart), marked so on the page; the run itself the newest', async () => {
    const { report, prefix } = await writeDemoReport(run(), new S3Client({ region: 'eu-central-1' }), 'dr-bucket');
    expect(report.since.toISOString()).toBe('2026-10-25T05:00:00.000Z');
    const cache = report.caches[0]!;
    expect(cache.facts.points.length).toBeGreaterThan(300);
    expect(cache.facts.points.at(-1)!.name).toBe(point);
    expect(cache.drills.length).toBeGreaterThanOrEqual(4);
    expect(cache.drills.filter((d) => !d.passed)).toHaveLength(1);
    expect(cache.dr!.corrupt).toBe(1);
    expect(report.holds.some((h) => /keyspace collapsed/.test(h.reason) && h.released !== undefined)).toBe(true);
    // The happy path stays a pass: the simulated month fails no control.
    expect(report.summary.fail).toBe(0);
    expect(report.simulated).toMatch(/^The 30 days before this run are simulated/);
    expect(stored.get(`${prefix}report.html`)!.toString()).toMatch(/<p class="simulated"><strong>Simulated history\.<\/strong> The 30 days/);
    // Without the month: the run alone, nothing marked simulated.
    const alone = await writeDemoReport(run({ history: false }), new S3Client({ region: 'eu-central-1' }), 'dr-bucket');
    expect(alone.report.simulated).toBeUndefined();
    expect(alone.report.caches[0]!.facts.points).toHaveLength(1);
  });

  it('with --vault: the vault controls are judged from the local vault (pass on a verified, locked replica; fail on a corrupt one), never "reads no vault"', async () => {
    const vaulted = demoVaultConfig('config/demo.json');
    const replica = { key: `${point}-0001.rdb`, at: pointAt, retainUntil: new Date(pointAt.getTime() + 400 * 86_400_000) };
    const judged = async (verdict: 'ok' | 'corrupt') => {
      const { report } = await writeDemoReport(
        run({ config: vaulted, plan: vaulted.plans[0]!, history: false, vaultCopy: { ...replica, verdict } }),
        new S3Client({ region: 'eu-central-1' }),
        'dr-bucket',
      );
      return Object.fromEntries(report.controls.filter((c) => c.control === 'cross-account-copy' || c.control === 'vault-lock').map((c) => [c.control, c]));
    };
    const ok = await judged('ok');
    expect(ok['cross-account-copy']).toMatchObject({ verdict: 'pass', why: '1 replica(s) verified in the vault in the period' });
    expect(ok['vault-lock']).toMatchObject({ verdict: 'pass' });
    const bad = await judged('corrupt');
    expect(bad['cross-account-copy']!.verdict).toBe('fail');
    for (const c of [...Object.values(ok), ...Object.values(bad)]) expect(c.why).not.toMatch(/reads no vault/);
  });
});
