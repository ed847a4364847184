/**
 * Drills from an organization's vault (config `vault.organizationId`, plan
 * `drill.fromVault`, one account): the export replicas land in the vault
 * under `<account>/<primary region>/` (docs/org.md), so the DR drill lists,
 * parses and reads them there. The synthesized templates pass cdk-nag (synth)
 * and cfn-lint; the schedule's input carries the prefix; the synthesized DR
 * drill state machine, executed locally (demo/local-aws.ts, the real select,
 * seed-copy, verify and report jobs, a real redis-server), seeds from the
 * account's replica, and never from another account's (negative case) nor
 * from a replica at the bucket's root.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderIntrinsic, stateMachineDefinition, type AslDefinition, type TemplateJson } from '../../../../lib/asl.js';
import { loadConfig, type RedisDrConfig } from '../../../../lib/config/index.js';
import { drillRunInput, recoveryBucketName, vaultDrillPrefix } from '../../../../lib/deployment.js';
import { publishAlert } from '../../../../lambdas/adapters/aws/alerts.js';
import { startLocalRedis } from '../../../../lambdas/adapters/redis/local-server.js';
import { exportObjectKey, exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import { reportDrill, type DrillReportResult } from '../../../../lambdas/jobs/drills/drill-report.js';
import { SEED_COPY_PREFIX } from '../../../../lambdas/domain/vault/vault-seed.js';
import { LocalAws } from '../../../../demo/local-aws.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { runVaultDrill, vaultVerdict } from '../../../support/vault-drill-run.js';
import { synthesize, type Synthesized } from '../../../support/synth.js';
import { cfnLint } from '../../../support/cfn-lint.js';

const FIXTURE = join(__dirname, '..', '..', '..', 'fixtures', 'config', 'vault-drill.json');
const WORKLOAD = '111111111111';
const OTHER = '333333333333';
const VAULT = '222222222222';
const REGION = 'eu-central-1';
const PRIMARY = 'eu-west-1';
const OWN = `${WORKLOAD}/${PRIMARY}/`;

type Resource = { Type: string; Properties: Record<string, any> };

describe("drills from an organization's vault (vault.organizationId + plans[].drill.fromVault)", () => {
  let synth: Synthesized;
  let config: RedisDrConfig;
  let work: string;
  const vaultBucket = () => recoveryBucketName(config.name, VAULT, REGION);
  const drBucket = () => recoveryBucketName(config.name, WORKLOAD, REGION);
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'org-vault-drill-'));
    const raw = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, any>;
    const file = join(work, 'config.json');
    writeFileSync(file, JSON.stringify({ ...raw, $schema: undefined, vault: { ...raw.vault, organizationId: 'o-abcdefghij' } }));
    config = loadConfig(file);
    // cdk-nag runs as a validation plugin: synth throws on an unacknowledged finding.
    synth = synthesize(config);
  }, 300_000);
  afterAll(() => {
    synth?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("schedules the DR drill on the vault bucket under this account's <account>/<primary region>/", () => {
    const resources = Object.values((synth.dr.toJSON() as { Resources: Record<string, Resource> }).Resources);
    const inputs = resources
      .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
      .map((r) => renderIntrinsic(r.Properties.Target?.Input ?? ''))
      .filter((s) => s.includes('"where":"dr"') && s.includes('rtoMinutes'))
      .map((s) => JSON.parse(s) as Record<string, any>);
    expect(inputs).toEqual([
      expect.objectContaining({ plan: 'sessions', bucket: vaultBucket(), vault: expect.objectContaining({ account: VAULT, prefix: OWN }) }),
    ]);
    expect(vaultDrillPrefix(config, WORKLOAD)).toBe(OWN);
    // Without an organization the replicas are at the root: no prefix (and a missing one with an organization is refused).
    expect(vaultDrillPrefix({ ...config, vault: { ...config.vault!, organizationId: undefined } }, WORKLOAD)).toBeUndefined();
    const plan = config.plans.find((p) => p.name === 'sessions')!;
    expect(() => drillRunInput(config.name, plan, 'dr', drBucket(), config.vault)).toThrow(/vault\.organizationId.*key prefix/);
  });

  it('is clean under cfn-lint (DR and vault templates)', async () => {
    expect(await cfnLint([synth.templateFiles[1]!, synth.templateFiles[2]!])).toEqual({ status: 0, output: '' });
  }, 300_000);

  describe('the DR drill state machine, executed locally', () => {
    const snapshot = 'rdr-sessions-prod-20261122-0200';
    const name = exportObjectKey(snapshot, 1);
    let source: RedisServer;
    let rdb: string;
    let engine: string;
    let drill: AslDefinition;
    let verify: AslDefinition;
    const retainUntil = new Date(Date.now() + 401 * 86_400_000);

    beforeAll(async () => {
      drill = stateMachineDefinition(synth.dr.toJSON() as TemplateJson, 'drill');
      verify = stateMachineDefinition(synth.vault!.toJSON() as TemplateJson, 'verify');
      source = await startRedisServer();
      const c = source.client();
      const pipe = c.pipeline();
      for (let i = 0; i < 300; i++) pipe.set(`session:${i}`, `user-${i}`);
      for (let i = 0; i < 20; i++) pipe.hset(`profile:${i}`, { name: `n${i}` });
      pipe.set('config:schema-version', '42');
      await pipe.exec();
      engine = `redis ${/redis_version:(\S+)/.exec(String(await c.info('server')))?.[1] ?? '7.0.0'}`;
      rdb = join(work, 'source.rdb');
      copyFileSync(await bgsave(source, c), rdb);
    });
    afterAll(async () => {
      await source?.stop();
    });

    /** A vault folder with the replica under each of `prefixes`, each judged by the vault's synthesized verifier; then one drill. */
    async function run(prefixes: readonly string[]) {
      const dir = mkdtempSync(join(work, 'vault-bucket-'));
      const drDir = mkdtempSync(join(work, 'dr-bucket-'));
      const bucket = vaultBucket();
      const aws = new LocalAws({
        account: WORKLOAD,
        buckets: { [bucket]: dir, [drBucket()]: drDir },
        owners: { [bucket]: VAULT },
        startServer: (file, password) => startLocalRedis({ rdb: file, password, tmpPrefix: 'org-vault-drill-cluster-' }),
      });
      const createdAt = new Date(Date.now() - 3_600_000);
      let n = 0;
      for (const prefix of prefixes) {
        const key = `${prefix}${name}`;
        mkdirSync(dirname(join(dir, key)), { recursive: true });
        copyFileSync(rdb, join(dir, key));
        aws.replaceObjectTags(bucket, key, exportObjectTags({ tier: 'daily', plan: 'sessions', snapshot, createdAt, shard: 1, shards: 1, engine, keys: 321 }));
        aws.lockObject(bucket, key, { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil.toISOString() });
        const verdict = await vaultVerdict(verify, { aws, region: REGION, deployment: config.name, vaultAccount: VAULT }, bucket, key, `vault-verify-${++n}`);
        expect(verdict.status).toBe('SUCCEEDED');
      }
      let report: DrillReportResult | undefined;
      const plan = config.plans.find((p) => p.name === 'sessions')!;
      const input = JSON.parse(JSON.stringify(drillRunInput(config.name, plan, 'dr', drBucket(), config.vault, vaultDrillPrefix(config, WORKLOAD)))) as unknown;
      const sns = aws.sns(REGION);
      const execution = await runVaultDrill(drill, { aws, region: REGION }, input, 'org-vault-drill-1', async (event) => {
        report = await reportDrill(event, {
          publish: (a) => publishAlert(sns, `arn:aws:sns:${REGION}:${WORKLOAD}:alerts`, a),
          metrics: new MemoryMetrics(),
          log: new MemoryLog(),
        });
        return report;
      });
      const left = await aws.shutdown();
      const files = (readdirSync(drDir, { recursive: true }) as string[]).filter((f) => statSync(join(drDir, f)).isFile() && !f.startsWith('.'));
      return { execution, report, aws, drDir, left, seedCopiesLeft: files };
    }

    it("finds the replica under this account's prefix, seeds the drill from a copy of it, and reports its full key", async () => {
      // The account's replica and another account's (same export name): only the own one is listed and restored.
      const r = await run([OWN, `${OTHER}/${PRIMARY}/`]);
      expect(r.execution.status).toBe('SUCCEEDED');
      expect(r.report?.ok).toBe(true);
      const copy = join(r.drDir, ...`${SEED_COPY_PREFIX}org-vault-drill-1/${OWN}${name}`.split('/'));
      expect(r.aws.groups.map((g) => g.rdb)).toEqual([copy]);
      expect(r.report!.summary).toContain(`s3://${vaultBucket()}/${OWN}${name}`);
      expect(r.report!.summary).not.toContain(OTHER);
      expect(r.seedCopiesLeft).toEqual([]);
      expect(r.left).toEqual([]);
    }, 90_000);

    it("never chooses another account's replica nor one at the bucket's root: no recovery point, nothing created (negative case)", async () => {
      const r = await run([`${OTHER}/${PRIMARY}/`, '']);
      expect(r.execution.status).toBe('FAILED');
      expect(r.report?.ok).toBe(false);
      expect(r.report?.summary).toContain(`s3://${vaultBucket()}/${OWN}`);
      expect(r.aws.groups).toEqual([]);
      expect(r.seedCopiesLeft).toEqual([]);
    }, 90_000);
  });
});
