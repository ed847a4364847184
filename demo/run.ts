/**
 * `npm run demo`: the whole pipeline on this machine, without an AWS
 * account, with the production code:
 *
 * 1. synthesize — both stacks of config/demo.json, in-process, as
 *    `npx cdk synth` would (cdk-nag included; no Lambda bundling, no CDK
 *    template validation: see lib/local-app.ts); the DR stack's verify and
 *    drill state machines are taken from the templates;
 * 2. source — a throwaway redis-server with a sample dataset (demo/dataset.ts);
 * 3. probe — the snapshot probe's job writes the canary and counts keys;
 * 4. backup — `redis-dr backup`'s job (BGSAVE, verified while written) into
 *    the folder standing in for the export bucket;
 * 5. export — the object an ElastiCache export writes (`<snapshot>-0001.rdb`)
 *    with the tags the export job writes (same code);
 * 6. replicate — object and tags copied to the DR bucket's folder, as S3
 *    replication does;
 * 7. verify copy — the synthesized verify state machine runs the verify-rdb
 *    job on the copy, which tags it `redis-dr:verified=ok` (or corrupt, and pages);
 * 8. drill — the synthesized DR drill state machine, executed by
 *    aws-local-stepfunctions: the real select, verify and report jobs, the
 *    ElastiCache, Secrets Manager and SNS calls answered by the local
 *    provider (demo/local-aws.ts), which starts a redis-server from the
 *    DR copy for the drill cluster.
 *
 * With `--vault` (demoVaultConfig: the demo config with a vault and the
 * plan's `drill.fromVault`), three stages more before the drill, and the
 * drill seeded from the vault:
 *
 * - to vault — object and tags copied into the folder standing in
 *   for the vault bucket (another account's), locked as the bucket's default
 *   Object Lock COMPLIANCE retention locks every replica;
 * - vault verify — the vault stack's verify state machine (synthesized) on
 *   the replica, the verdict written as an object by the vault account's verifier;
 * - vault delete — DeleteObject of the replica, refused with S3's
 *   `AccessDenied` while the retention holds.
 *
 * The vault drill copies the verified replica version into the DR bucket
 * (`redis-dr-drill-seeds/<execution>/`), seeds the drill cluster from that
 * copy (same account: ElastiCache's documented route) and deletes it when
 * the drill ends.
 *
 * Then the drill report (the message the Report step published), the
 * measured RTO, where every artefact is, and the cleanup: every server
 * stopped and every temporary directory removed, on success, failure and
 * abort (`--keep` keeps the bucket folders).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CfnElement } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { addRedisDrStacks, addVaultStack } from '../lib/app.js';
import { lambdaStandInArn, stateMachineDefinition, type StandIns, type TemplateJson } from '../lib/asl.js';
import { loadConfig, readConfigFile, validateConfig, type PlanConfig, type RedisDrConfig } from '../lib/config/index.js';
import { drillRunInput, drillsIn, recoveryBucketName } from '../lib/deployment.js';
import { localApp } from '../lib/local-app.js';
import { summarizeTemplate } from '../lib/synth-summary.js';
import { publishAlert } from '../lambdas/adapters/aws/alerts.js';
import { FileBackupStore } from '../lambdas/adapters/storage/backup-store.js';
import { startLocalRedis, type LocalRedis } from '../lambdas/adapters/redis/local-server.js';
import { LocalRedisError } from '../lambdas/adapters/redis/server-binary.js';
import type { MetricsSink } from '../lambdas/adapters/aws/metrics.js';
import { connectUrl } from '../lambdas/adapters/redis/dump-restore.js';
import { pullRdb } from '../lambdas/adapters/redis/sync.js';
import { systemClock } from '../lambdas/adapters/aws/retry.js';
import { TUNING } from '../lambdas/adapters/aws/client-config.js';
import type { LogSink } from '../lambdas/jobs/kernel/deps.js';
import { addObjectTags } from '../lambdas/adapters/aws/s3/objects.js';
import { backupFileName } from '../lambdas/domain/self-managed/backup.js';
import { drillVerifyInputSchema } from '../lambdas/domain/drills/drill.js';
import { DeleteObjectCommand, GetObjectRetentionCommand } from '@aws-sdk/client-s3';
import { exportObjectKey, exportObjectTags, parseExportObjectKey } from '../lambdas/domain/points/export-objects.js';
import { formatCanary } from '../lambdas/domain/plans/probe.js';
import { TAGS } from '../lambdas/domain/plans/types.js';
import { runBackup } from '../lambdas/jobs/self-managed/backup.js';
import { drillReportEventSchema, reportDrill, type DrillReportResult } from '../lambdas/jobs/drills/drill-report.js';
import { drillSelectEventSchema, selectRecoveryPoint } from '../lambdas/jobs/drills/drill-select.js';
import { runDrillVerify, VERIFY_TUNING } from '../lambdas/jobs/drills/drill-verify.js';
import { runProbe } from '../lambdas/jobs/scheduled/probe.js';
import { settingsDeps, verifyInvocationSchema, verifyStep } from '../lambdas/jobs/dr-copies/verify-rdb.js';
import { readVaultVerdict } from '../lambdas/adapters/records/verdict-objects.js';
import { vaultVerdictKey } from '../lambdas/domain/vault/vault-verdict.js';
import { SelftestRunner, StepFailedError } from '../lambdas/jobs/selftest/runner.js';
import { alertPathStep, recordStep } from '../lambdas/jobs/selftest/shared-steps.js';
import { writeSampleDataset } from './dataset.js';
import { LocalAws } from './local-aws.js';
import { runStateMachine, type ExecutionResult } from './step-functions.js';
import { runSeedCopy } from '../lambdas/jobs/drills/drill-seed-copy.js';
import { seedCopyEventSchema } from '../lambdas/domain/vault/vault-seed.js';
import { buildDrillReport } from '../lambdas/domain/drills/report.js';
import { type DemoRun, writeDemoReport } from './report.js';

/** The demo's config: one plan that exports and drills in the DR region. */
export const DEMO_CONFIG = join(__dirname, '..', 'config', 'demo.json');
/** Prefix of every temporary directory the demo makes (its work directory and each server's). */
export const TMP_PREFIX = 'redis-dr-demo-';
/** Wait states of the drill (30 s on AWS) last this long here. */
const WAIT_MS = 100;
/** Retries wait this long here (seconds to minutes on AWS). */
const RETRY_MS = 50;

/** What to run. */
export interface DemoOptions {
  readonly keys: number;
  /** Keep the bucket folders (servers are stopped either way). */
  readonly keep: boolean;
  /** Flip one byte of the DR copy before it is verified (shows what a corrupt copy does). */
  readonly corruptDrCopy: boolean;
  /** Also replicate into a vault (another account, Object Lock COMPLIANCE), show a delete refused, and drill from the vault. */
  readonly vault?: boolean;
  readonly config: string;
  /** Output, one line at a time. */
  readonly say: (line: string) => void;
  /** Aborts the run (Ctrl-C): cleanup still runs. */
  readonly signal?: AbortSignal;
}

/** One stage's outcome. */
export interface StageResult {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly detail: string;
}

/** What a run did. */
export interface DemoResult {
  /** The drill passed (and every stage before it ran). */
  readonly ok: boolean;
  readonly aborted: boolean;
  readonly stages: readonly StageResult[];
  /** The drill report step's result (the message on-call would get). */
  readonly report?: DrillReportResult;
  readonly drill?: ExecutionResult;
  /** Every server started: the source and each drill cluster, with its pid, and whether it is gone. */
  readonly processes: readonly { readonly what: string; readonly pid: number; readonly stopped: boolean }[];
  /** Every temporary directory made, and whether it is gone. */
  readonly directories: readonly { readonly path: string; readonly removed: boolean }[];
  readonly workDir: string;
  readonly error?: string;
}

/** The run was aborted (Ctrl-C, SIGTERM). */
export class DemoAborted extends Error {
  override readonly name = 'DemoAborted';
}

/** Log lines of the jobs, kept: printed only when something failed. */
class KeptLog implements LogSink {
  readonly lines: string[] = [];
  info(): void {}
  warn(message: string, extra?: Record<string, unknown>): void {
    this.lines.push(`warn: ${message}${extra ? ` ${JSON.stringify(extra).slice(0, 300)}` : ''}`);
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.lines.push(`error: ${message}${extra ? ` ${JSON.stringify(extra).slice(0, 300)}` : ''}`);
  }
}

/** Metric points, kept (the report step's RTO metrics, verify-rdb's counts). */
class KeptMetrics implements MetricsSink {
  readonly points: { name: string; value: number; unit: string }[] = [];
  put(name: string, value: number, unit: string): void {
    this.points.push({ name, value, unit });
  }
}

/** Indentation of a stage's continuation lines. */
const CONT = ' '.repeat(25);
const n = (x: number) => x.toLocaleString('en-US');
const s = (seconds: number) => `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;

/** The plan the demo runs: the config's first that exports and drills in the DR region, and its first replication group. */
export function demoPlan(config: RedisDrConfig): { plan: PlanConfig; target: string } {
  const plan = config.plans.find((p) => p.export.enabled && drillsIn(p, 'dr') && (p.targets.replicationGroupIds ?? []).length > 0);
  if (!plan) throw new Error('the demo config needs a plan with export enabled, drills in the DR region and an explicit replicationGroupIds entry');
  return { plan, target: plan.targets.replicationGroupIds![0]!.toLowerCase() };
}

/** The vault account of `--vault` (the demo's workload account is the config's primary.account). */
export const DEMO_VAULT_ACCOUNT = '999999999999';
/** Retention of `--vault`'s replicas, days: at least the longest time the demo plan keeps an exported copy (monthly: 31 x 12 + 1). */
export const DEMO_VAULT_RETENTION_DAYS = 400;

/**
 * The demo config with a vault (`--vault`): a vault account of its own in the
 * DR region (a vault drill seeds in the region it runs in), and the demo
 * plan's DR drills seeded from it (`drill.fromVault`); validated like any config.
 */
export function demoVaultConfig(file: string): RedisDrConfig {
  const raw = readConfigFile(file) as { dr: { region: string }; plans: { drill?: Record<string, unknown> }[] } & Record<string, unknown>;
  const withVault = {
    ...raw,
    vault: { account: DEMO_VAULT_ACCOUNT, region: raw.dr.region, retentionDays: DEMO_VAULT_RETENTION_DAYS },
    plans: raw.plans.map((p, i) => (i === 0 ? { ...p, drill: { ...p.drill, fromVault: true } } : p)),
  };
  const result = validateConfig(withVault);
  if (!result.ok) throw new Error(`the demo config with a vault is not valid: ${result.problems.join('; ')}`);
  return result.config;
}

/** Runs the demo (see the module comment). Never throws for a failed stage: `ok` is false and `error` says why. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const say = o.say;
  const log = new KeptLog();
  const metrics = new KeptMetrics();
  const stages: StageResult[] = [];
  const processes: { what: string; pid: number; stopped: boolean; server: LocalRedis }[] = [];
  const work = mkdtempSync(join(tmpdir(), TMP_PREFIX));
  const directories: { path: string; removed: boolean }[] = [{ path: work, removed: false }];
  // A process that exits without the cleanup below (a second Ctrl-C) still removes the work directory (servers: local-redis' own hook).
  const onExit = () => {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  let aws: LocalAws | undefined;
  /** The bucket folders, for the artefact listing. */
  const buckets: { role: string; name: string; dir: string }[] = [];
  let report: DrillReportResult | undefined;
  let timings: DrillTimings | undefined;
  let rtoMinutes: number | undefined;
  let drill: ExecutionResult | undefined;
  /** What the run made, for its DR report (demo/report.ts). */
  let reportRun: Omit<DemoRun, 'endedAt'> | undefined;
  let drReport:
    | { readonly prefix: string; readonly keys: readonly string[]; readonly pass: number; readonly fail: number; readonly notApplicable: number }
    | undefined;
  let error: string | undefined;
  let aborted = false;
  const checkAbort = () => {
    if (o.signal?.aborted) throw new DemoAborted('interrupted');
  };
  // The stages run through the selftest's orchestrator (lambdas/jobs/selftest/runner.ts), as `redis-dr selftest` runs its steps.
  const total = o.vault ? 13 : 10;
  const runner = new SelftestRunner({
    now: () => performance.now(),
    onStep: (row) => {
      const stageRow = {
        name: row.step,
        ok: row.verdict === 'passed' || row.verdict === 'warned',
        seconds: row.seconds,
        detail: row.verdict === 'failed' ? (row.cause ?? row.detail) : row.detail,
      };
      stages.push(stageRow);
      const head = `[${String(stages.length).padStart(String(total).length)}/${total}] ${row.step.padEnd(13)} ${s(row.seconds).padStart(7)}`;
      say(
        row.verdict === 'passed'
          ? `${head}  ${row.detail}`
          : row.verdict === 'warned'
            ? `${head}  WARNED: ${row.cause ?? ''}\n${CONT}${row.detail}`
            : `${head}  FAILED: ${stageRow.detail}`,
      );
    },
  });
  let region = 'local';
  const stage = async <T>(
    name: string,
    run: () => Promise<{ value: T; detail: string; verdict?: 'passed' | 'warned'; cause?: string; fix?: string }>,
  ): Promise<T> => {
    checkAbort();
    let value: T | undefined;
    const ok = await runner
      .step(name, region, { who: 'the demo', fix: 'see the demo output above', rethrow: () => o.signal?.aborted === true }, async () => {
        const r = await run();
        value = r.value;
        return { ...r, value: true };
      })
      .catch((err: unknown) => {
        // Whatever an abort broke (a read, a start) was broken by the abort.
        throw new DemoAborted('interrupted', { cause: err });
      });
    if (!ok) throw new Error(runner.steps.at(-1)?.cause ?? `${name} failed`);
    return value as T;
  };
  /** The selftest's last steps (the alert path and the record), run once the stand-in exists: on success and on failure. */
  let finishSelftest: (() => Promise<void>) | undefined;

  say(
    o.vault
      ? 'redis-dr demo: a verified backup, its DR copy, its vault replica (another account, Object Lock) and a restore drill from the vault, on this machine (no AWS account)'
      : 'redis-dr demo: a verified backup, its DR copy and a restore drill, on this machine (no AWS account)',
  );
  say(`work directory: ${work}${o.keep ? ' (kept: --keep)' : ' (removed at the end)'}`);
  say('');
  try {
    // 1. The stacks, as `npx cdk synth` builds them.
    const synth = await stage('synthesize', async () => {
      const config = o.vault ? demoVaultConfig(o.config) : loadConfig(o.config);
      const { plan, target } = demoPlan(config);
      const account = config.primary.account ?? '000000000000';
      const standIns: StandIns = { region: config.dr.region, account };
      const app = localApp(join(work, 'cdk.out'), { cloudFormationValidation: false });
      // The workload stacks as `cdk synth -c config=…` builds them; with --vault also the vault account's stack, by its
      // own call (as `-c stacks=vault` does): this process stands in for both accounts.
      const stacks = addRedisDrStacks(app, config);
      const vaultStack = config.vault ? addVaultStack(app, config) : undefined;
      const assembly = app.synth();
      const drTemplate = assembly.getStackByName(stacks.dr.stackName).template as TemplateJson;
      const copies = stacks.dr.copies;
      const drills = stacks.dr.drills;
      if (!copies || !drills) throw new Error(`${stacks.dr.stackName} has no DR copies or no drills: the demo plan must export and drill in the DR region`);
      const arnOf = (fn: Construct) => lambdaStandInArn(Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement), standIns);
      const topicArn = `arn:aws:sns:${config.dr.region}:${account}:${Stack.of(stacks.dr).getLogicalId(stacks.dr.alerts.topic.node.defaultChild as CfnElement)}`;
      const drillDefinition = stateMachineDefinition(drTemplate, 'drill', standIns);
      const verifyDefinition = stateMachineDefinition(drTemplate, 'verify', standIns);
      const dr = summarizeTemplate(stacks.dr.stackName, config.dr.region, drTemplate as Parameters<typeof summarizeTemplate>[2]);
      // --vault: the vault stack's verify state machine and its function, with the vault account's stand-ins.
      const vault =
        vaultStack && config.vault
          ? {
              account: config.vault.account,
              region: config.vault.region,
              bucket: recoveryBucketName(config.name, config.vault.account, config.vault.region),
              verifyDefinition: stateMachineDefinition(assembly.getStackByName(vaultStack.stackName).template as TemplateJson, 'verify', {
                region: config.vault.region,
                account: config.vault.account,
              }),
              verifyRdb: lambdaStandInArn(Stack.of(vaultStack).getLogicalId(vaultStack.verification.verifier.function.node.defaultChild as CfnElement), {
                region: config.vault.region,
                account: config.vault.account,
              }),
              topicArn: `arn:aws:sns:${config.vault.region}:${config.vault.account}:${vaultStack.getLogicalId(vaultStack.alerts.topic.node.defaultChild as CfnElement)}`,
              stackName: vaultStack.stackName,
            }
          : undefined;
      return {
        value: {
          config,
          plan,
          target,
          account,
          topicArn,
          drillDefinition,
          verifyDefinition,
          functions: {
            select: arnOf(drills.selectFunction.function),
            verify: arnOf(drills.verifyFunction.function),
            report: arnOf(drills.reportFunction.function),
            // --vault: the seed copy (the drill seeds from a copy of the vault replica in the DR bucket).
            ...(drills.seedCopyFunction ? { seedCopy: arnOf(drills.seedCopyFunction.function) } : {}),
            verifyRdb: arnOf(copies.verifier.function),
          },
          exportBucket: recoveryBucketName(config.name, account, config.primary.region),
          drBucket: recoveryBucketName(config.name, account, config.dr.region),
          vault,
        },
        detail:
          `${stacks.primary.stackName}, ${stacks.dr.stackName}${vault ? `, ${vault.stackName} (vault account ${vault.account})` : ''} from ${relative(process.cwd(), o.config) || o.config}${vault ? ' with a vault' : ''} (cdk-nag clean); ` +
          `DR stack: ${dr.stateMachines} state machines, ${dr.functions} functions, ${dr.buckets} buckets; drill state machine of ${Object.keys(drillDefinition.States).length} states`,
      };
    });
    const { config, plan, target } = synth;
    const primary = config.primary.region;
    const drRegion = config.dr.region;
    region = primary;
    const exportDir = join(work, `export-bucket-${primary}`);
    const drDir = join(work, `dr-bucket-${drRegion}`);
    mkdirSync(exportDir);
    mkdirSync(drDir);
    buckets.push({ role: 'export bucket', name: synth.exportBucket, dir: exportDir }, { role: 'DR bucket', name: synth.drBucket, dir: drDir });
    const vault = synth.vault;
    const vaultDir = vault ? join(work, `vault-bucket-${vault.account}-${vault.region}`) : undefined;
    if (vault && vaultDir) {
      mkdirSync(vaultDir);
      buckets.push({ role: 'vault bucket', name: vault.bucket, dir: vaultDir });
    }
    aws = new LocalAws({
      account: synth.account,
      buckets: { [synth.exportBucket]: exportDir, [synth.drBucket]: drDir, ...(vault && vaultDir ? { [vault.bucket]: vaultDir } : {}) },
      ...(vault ? { owners: { [vault.bucket]: vault.account } } : {}),
      // The stacks subscribe alerts.emails; here they are taken as confirmed.
      subscriptions: (config.alerts.emails ?? []).map((endpoint) => ({ protocol: 'email', endpoint, confirmed: true })),
      startServer: async (rdb, password) => {
        const server = await startLocalRedis({ rdb, password, tmpPrefix: `${TMP_PREFIX}cluster-` });
        processes.push({ what: 'drill cluster', pid: server.pid, stopped: false, server });
        directories.push({ path: server.dir, removed: false });
        return server;
      },
    });
    const localAws = aws;
    const startedAt = new Date();
    // The demo's one cache is its source server, named as the plan's target; its backups (and their holds) are in exportDir.
    reportRun = { config, plan, target, caches: [target], backups: () => new FileBackupStore(exportDir).list(), drRegion, startedAt };
    finishSelftest = async () => {
      await alertPathStep(
        runner,
        { region: drRegion, topicArn: synth.topicArn, where: 'dr' },
        { deployment: config.name, sns: localAws.sns(drRegion), log, startedAt, who: 'the demo' },
      );
      await recordStep(runner, {
        s3: localAws.s3(drRegion),
        bucket: synth.drBucket,
        region: drRegion,
        deployment: config.name,
        regions: 'dr',
        startedAt,
        now: () => new Date(),
        who: 'the demo',
      });
    };

    // 2. The source: what production holds.
    const source = await stage('source', async () => {
      const server = await startLocalRedis({ tmpPrefix: `${TMP_PREFIX}source-`, ...(o.signal ? { signal: o.signal } : {}) }).catch((err: unknown) => {
        // The first thing a fresh machine meets: name the project's own setup, which installs it.
        if (err instanceof LocalRedisError && err.kind === 'no-binary')
          throw new Error(`${err.message}. In this clone, npm run setup installs it (then npm run demo)`);
        throw err;
      });
      processes.push({ what: 'source', pid: server.pid, stopped: false, server });
      directories.push({ path: server.dir, removed: false });
      say(
        `${CONT}${server.engine}-server ${server.version} pid ${server.pid} on ${server.host}:${server.port} (AUTH), directory ${server.dir}: writing ${n(o.keys)} keys`,
      );
      const client = server.client();
      const data = await writeSampleDataset(client, o.keys, o.signal);
      client.disconnect();
      return {
        value: { server, data },
        detail:
          `${n(data.keys)} keys: ${n(data.users)} user profiles (hashes), ${n(data.sessions)} sessions (hashes, TTL 30-90 min), ${n(data.rateLimits)} rate-limit counters (TTL 15-120 s), ` +
          `${data.queues} job queues (${n(data.queuedJobs)} jobs) + a stream (${data.streamEntries} events, consumer group with pending entries), ` +
          `${data.leaderboards} leaderboards (${n(data.leaderboardMembers)} members), 2 config keys`,
      };
    });

    // 3. The snapshot probe: a canary just before the snapshot, and the key count.
    const at = new Date();
    const snapshot = backupFileName(target, at).replace(/\.rdb$/, '');
    const probe = await stage('probe', async () => {
      const secretArn = localAws.putSecret(primary, 'redis-dr/demo/source-auth', JSON.stringify({ password: source.server.password }));
      const result = await runProbe(
        {
          host: source.server.host,
          port: source.server.port,
          tls: false,
          clusterMode: 'disabled',
          authSecretArn: secretArn,
          canary: formatCanary(snapshot, randomBytes(4).toString('hex'), at),
        },
        { secrets: localAws.secretsManager(primary), log, connectTimeoutMs: 5_000 },
      );
      return { value: result, detail: `canary redis-dr:canary = ${result.canary}; ${n(result.keys)} keys (the snapshot probe's job)` };
    });

    // 4. The backup: `redis-dr backup` into the folder standing in for the export bucket.
    const backup = await stage('backup', async () => {
      const url = `redis://${source.server.host}:${source.server.port}`;
      const r = await runBackup(
        {
          server: url,
          source: { host: source.server.host, port: source.server.port, tls: false, password: source.server.password },
          target,
          mode: 'local',
          store: new FileBackupStore(exportDir),
          retention: { ...plan.retention, timeZone: plan.schedule.timeZone },
        },
        {
          connect: () => connectUrl(url, 'redis-dr-demo-backup', { password: source.server.password, source: 'the demo' }),
          pull: pullRdb,
          openFile: async (path) => (await open(path, 'r')).createReadStream({ highWaterMark: 1 << 20 }),
          // The probe's time names the backup, as a schedule's time names a snapshot: the canary names this file.
          now: () => at.getTime(),
          timing: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), pollMs: 20, timeoutMs: 60_000 },
        },
      );
      if (!r.ok || !r.backup) throw new Error(`backup failed at step ${r.failedStep}: ${r.error}`);
      const b = r.backup;
      reportRun = { ...reportRun!, point: { name: b.file, at, keys: b.keys, ...(b.tier ? { tier: b.tier } : {}) } };
      return {
        value: b,
        detail: `BGSAVE, verified while written: ${b.file}, ${n(b.bytes)} bytes, RDB v${b.rdbVersion}, ${n(b.keys)} keys, checksum ${b.checksum}, tier ${b.tier} (redis-dr backup's job)`,
      };
    });

    // 5. The export: the object an ElastiCache export writes, tagged by the export job's code.
    const key = exportObjectKey(snapshot, 1);
    const engine = `${source.server.engine} ${source.server.version}`;
    const exportTags = await stage('export', async () => {
      linkSync(join(exportDir, backup.file), join(exportDir, key));
      const tags = exportObjectTags({
        tier: backup.tier,
        plan: plan.name,
        snapshot,
        createdAt: at,
        shard: 1,
        shards: 1,
        engine,
        keys: probe.keys,
        canary: probe.canary,
      });
      const written = await addObjectTags(localAws.s3(primary), synth.exportBucket, key, tags);
      return {
        value: written,
        detail: `s3://${synth.exportBucket}/${key} (the backup's bytes), tagged as the export job tags it: ${Object.keys(written).length} tags`,
      };
    });

    // 6. S3 replication: object and tags, to the DR region.
    region = drRegion;
    await stage('replicate', async () => {
      copyFileSync(join(exportDir, key), join(drDir, key));
      localAws.replaceObjectTags(synth.drBucket, key, exportTags);
      let note = '';
      if (o.corruptDrCopy) {
        const offset = flipByte(join(drDir, key));
        note = `; --corrupt-dr-copy: byte ${n(offset)} of the copy flipped`;
      }
      return { value: undefined, detail: `s3://${synth.drBucket}/${key}, object and tags copied as S3 replication does${note}` };
    });

    // 7. The DR region's verify state machine on the copy's "Object Created" event.
    await stage('verify copy', async () => {
      const s3 = localAws.s3(drRegion);
      const sns = localAws.sns(drRegion);
      const event = {
        version: '0',
        'detail-type': 'Object Created',
        source: 'aws.s3',
        region: drRegion,
        detail: { bucket: { name: synth.drBucket }, object: { key, size: statSync(join(drDir, key)).size } },
      };
      const execution = await runStateMachine(synth.verifyDefinition, event, {
        executionName: randomUUID(),
        waitMs: WAIT_MS,
        retryMs: RETRY_MS,
        sdk: {},
        lambdas: {
          [synth.functions.verifyRdb]: (payload) => {
            // The step and the plans' settings, as the synthesized task sends them.
            const { step, settings } = verifyInvocationSchema.parse(payload);
            return verifyStep(step, {
              s3,
              alert: (page) => publishAlert(sns, synth.topicArn, page),
              where: { deployment: config.name, region: drRegion },
              metrics,
              log,
              clock: systemClock,
              deadline: Date.now() + 13 * 60_000,
              ...settingsDeps(settings),
            });
          },
        },
        ...(o.signal ? { signal: o.signal } : {}),
      });
      checkAbort();
      if (execution.status !== 'SUCCEEDED')
        throw new Error(`the verify state machine ${execution.status.toLowerCase()}: ${execution.error}: ${execution.cause}`);
      const tags = localAws.objectTags(synth.drBucket, key);
      const verdict = tags[TAGS.verified] ?? '(none)';
      const page = localAws.published.find((m) => m.attributes.kind === 'rdb-corrupt');
      const detail =
        `verify state machine (synthesized) → verify-rdb job: ${TAGS.verified}=${verdict}, ${TAGS.rdb}=${tags[TAGS.rdb] ?? '(none)'}` +
        (page ? `\n${CONT}page published to the alert topic: ${page.subject}` : '');
      // The verifier did its work; the copy it judged is what is wrong: a warning of this step, never a PASSED beside a corrupt copy.
      return verdict === 'ok'
        ? { value: verdict, detail }
        : {
            value: verdict,
            detail,
            verdict: 'warned',
            cause: `the DR copy is ${verdict.toUpperCase()}${o.corruptDrCopy ? ' (its byte was flipped on purpose: --corrupt-dr-copy)' : ''}: tagged and paged, so no drill may restore it`,
          };
    });

    // --vault: S3 replication into the vault account, its own verification, a delete it refuses.
    if (vault && vaultDir) {
      const vaultS3 = localAws.s3(vault.region);
      let retainUntil = new Date();
      await stage('to vault', async () => {
        copyFileSync(join(exportDir, key), join(vaultDir, key));
        localAws.replaceObjectTags(vault.bucket, key, exportTags);
        // The vault bucket's default retention locks every replica as it lands (for the days its verifier extends
        // each tier to from landing: the demo's vault gives every tier vault.retentionDays, so it stays as it is).
        retainUntil = new Date(statSync(join(vaultDir, key)).mtime.getTime() + DEMO_VAULT_RETENTION_DAYS * 86_400_000);
        localAws.lockObject(vault.bucket, key, { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil.toISOString() });
        const held = await vaultS3.send(new GetObjectRetentionCommand({ Bucket: vault.bucket, Key: key, ExpectedBucketOwner: vault.account }));
        return {
          value: undefined,
          detail:
            `s3://${vault.bucket}/${key} (vault account ${vault.account}), object and tags copied as S3 replication does (owner override)\n` +
            `${CONT}GetObjectRetention: ${held.Retention?.Mode} until ${held.Retention?.RetainUntilDate?.toISOString()} (vault.retentionDays ${DEMO_VAULT_RETENTION_DAYS})`,
        };
      });
      await stage('vault verify', async () => {
        const sns = localAws.sns(vault.region);
        const event = {
          version: '0',
          'detail-type': 'Object Created',
          source: 'aws.s3',
          region: vault.region,
          detail: { bucket: { name: vault.bucket }, object: { key, size: statSync(join(vaultDir, key)).size } },
        };
        const execution = await runStateMachine(vault.verifyDefinition, event, {
          executionName: randomUUID(),
          waitMs: WAIT_MS,
          retryMs: RETRY_MS,
          sdk: {},
          lambdas: {
            [vault.verifyRdb]: (payload) => {
              // As the vault's handler: its task sends the tier days, so the verdict is an object only the vault
              // verifier writes, not a (replicable) tag, and the replica is locked for its tier.
              const { step, settings } = verifyInvocationSchema.parse(payload);
              return verifyStep(step, {
                s3: vaultS3,
                alert: (page) => publishAlert(sns, vault.topicArn, page),
                where: { deployment: config.name, region: vault.region },
                metrics,
                log,
                clock: systemClock,
                deadline: Date.now() + 13 * 60_000,
                ...settingsDeps(settings),
              });
            },
          },
          ...(o.signal ? { signal: o.signal } : {}),
        });
        checkAbort();
        if (execution.status !== 'SUCCEEDED')
          throw new Error(`the vault's verify state machine ${execution.status.toLowerCase()}: ${execution.error}: ${execution.cause}`);
        const stored = await readVaultVerdict(vaultS3, vault.bucket, key);
        // The report judges the vault controls from this replica: its verdict (the vault verifier's object) and its lock.
        const judged = stored.verdict?.verdict;
        reportRun = {
          ...reportRun!,
          vaultCopy: {
            key,
            at: statSync(join(vaultDir, key)).mtime,
            verdict: judged === 'ok' || judged === 'corrupt' || judged === 'unsupported' ? judged : 'pending',
            retainUntil,
          },
        };
        return {
          value: undefined,
          detail: `the vault stack's verify state machine (synthesized, vault account) → verify-rdb job: verdict ${stored.verdict?.verdict ?? '(none)'} in ${vaultVerdictKey(key)}`,
        };
      });
      await stage('vault delete', async () => {
        try {
          await vaultS3.send(new DeleteObjectCommand({ Bucket: vault.bucket, Key: key }));
        } catch (err) {
          const name = err instanceof Error ? err.name : String(err);
          if (name !== 'AccessDenied') throw err;
          return {
            value: undefined,
            detail: `DeleteObject s3://${vault.bucket}/${key}: refused, ${name}: ${(err as Error).message} (COMPLIANCE until ${retainUntil.toISOString()}: nobody, not even the vault account's root, deletes it before then)`,
          };
        }
        throw new Error(`DeleteObject s3://${vault.bucket}/${key} succeeded: a replica under COMPLIANCE retention must not be deletable`);
      });
    }

    // 8. The drill.
    const s3 = localAws.s3(drRegion);
    const sns = localAws.sns(drRegion);
    const secrets = localAws.secretsManager(drRegion);
    const elastiCache = localAws.elastiCache(drRegion);
    // With --vault the plan drills from the vault (drill.fromVault): the input names the vault bucket and account.
    const input = JSON.parse(JSON.stringify(drillRunInput(config.name, plan, 'dr', synth.drBucket, config.vault))) as unknown;
    const executionName = randomUUID();
    drill = await stage('drill', async () => {
      const execution = await runStateMachine(synth.drillDefinition, input, {
        executionName,
        waitMs: WAIT_MS,
        retryMs: RETRY_MS,
        sdk: { elasticache: elastiCache, secretsmanager: secrets },
        lambdas: {
          [synth.functions.select]: (payload) =>
            selectRecoveryPoint(drillSelectEventSchema.parse(payload), {
              elasticache: elastiCache,
              tagging: localAws.tagging(drRegion),
              s3,
              metrics,
              log,
              clock: systemClock,
              concurrency: TUNING.concurrency,
              throttleDelayMs: TUNING.throttleDelayMs,
              busyDelayMs: TUNING.busyDelayMs,
            }),
          // --vault: the copy of the vault replica into the DR bucket, and its delete when the drill ends.
          ...(synth.functions.seedCopy
            ? {
                [synth.functions.seedCopy]: (payload: unknown) =>
                  runSeedCopy(seedCopyEventSchema.parse(payload), { s3, log, clock: systemClock, throttleDelayMs: TUNING.throttleDelayMs }),
              }
            : {}),
          // On AWS the drill cluster has in-transit encryption and verify connects over TLS; the local server speaks plain TCP.
          [synth.functions.verify]: (payload) =>
            runDrillVerify(drillVerifyInputSchema.parse({ ...(payload as object), tls: false }), { secrets, log, clock: systemClock, ...VERIFY_TUNING }),
          [synth.functions.report]: async (payload) => {
            const event = drillReportEventSchema.parse(payload);
            timings = event.timings;
            rtoMinutes = event.input.rtoMinutes;
            report = await reportDrill(event, { publish: (a) => publishAlert(sns, synth.topicArn, a), metrics, log });
            // The same figures the report step measured, for the DR report.
            const figures = buildDrillReport(event);
            reportRun = {
              ...reportRun!,
              drCopy: { key, tags: localAws.objectTags(synth.drBucket, key) },
              drill: {
                startedAt: new Date(event.timings.startedAt),
                ok: figures.ok,
                subject: figures.subject,
                ...(figures.rtoSeconds !== undefined ? { rtoSeconds: figures.rtoSeconds } : {}),
                ...(figures.restoreSeconds !== undefined ? { restoreSeconds: figures.restoreSeconds } : {}),
                ...(figures.verifySeconds !== undefined ? { verifySeconds: figures.verifySeconds } : {}),
              },
            };
            return report;
          },
        },
        ...(o.signal ? { signal: o.signal } : {}),
      });
      checkAbort();
      const group = localAws.groups.at(-1);
      const cluster = group
        ? `drill cluster ${group.id}: ${group.server ? `${group.server.engine}-server pid ${group.server.pid} on ${group.server.host}:${group.server.port}, directory ${group.server.dir}, ` : ''}` +
          `from ${relative(work, group.rdb)}, ${group.status}`
        : 'no drill cluster was created';
      const ran = `DR drill state machine (synthesized${vault ? ', seeded from the vault' : ''}), execution ${executionName}: ${execution.status}, ${execution.path.length} states in ${s(execution.seconds)}\n${CONT}${cluster}`;
      // The drill's verdict is its report's: a drill that ran to its report but failed a check is a failed drill, one line, never a PASSED beside it.
      if (report?.ok !== true)
        throw new StepFailedError(
          `the drill ${report ? 'failed' : 'ended without a report'}: ${report?.summary.split('\n')[0] ?? execution.error ?? ''}\n${CONT}${ran}`,
          'the drill report follows the steps',
        );
      return { value: execution, detail: ran };
    });
  } catch (err) {
    if (err instanceof DemoAborted) aborted = true;
    else error = err instanceof Error ? err.message : String(err);
  }
  try {
    // The alert path and the record, as the selftest ends: after a failure too (the record says which step failed).
    if (!aborted && finishSelftest) await finishSelftest();
    // The DR report of the run (docs/reports.md), written into the DR bucket as the scheduled report function writes it.
    const drBucket = buckets.find((b) => b.role === 'DR bucket')?.name;
    if (!aborted && aws && reportRun && drBucket) {
      try {
        const written = await writeDemoReport({ ...reportRun, endedAt: new Date() }, aws.s3(reportRun.drRegion), drBucket);
        drReport = { prefix: written.prefix, keys: written.keys, ...written.report.summary };
      } catch (err) {
        // Never a quiet gap: a report not written fails the run.
        error ??= `the DR report was not written: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  } catch (err) {
    if (err instanceof DemoAborted) aborted = true;
  } finally {
    // Cleanup, whatever happened: servers first, then directories.
    const left = (await aws?.shutdown().catch(() => [])) ?? [];
    for (const p of processes) {
      await p.server.stop().catch(() => undefined);
      p.stopped = !isAlive(p.pid);
    }
    say('');
    if (report) {
      say("Drill report (the message the drill's Report step published to the alert topic):");
      for (const line of report.summary.split('\n')) say(`  ${line}`);
      say('');
    } else if (drill) {
      say(`The drill ended ${drill.status} without a report: ${drill.error ?? ''} ${drill.cause ?? ''}`);
    }
    if (aws) sayMeasured(say, aws, timings, rtoMinutes);
    if (!aborted && runner.steps.length > 0) {
      // The steps were printed as they ran; the closing line adds only the verdict of the whole (`redis-dr selftest`'s).
      const count = (v: string) => runner.steps.filter((r) => r.verdict === v).length;
      say(
        `Selftest verdict: ${runner.verdict.toUpperCase()} (${[`${count('passed')} passed`, `${count('warned')} warned`, `${count('failed')} failed`, `${count('skipped')} skipped`].filter((t) => !t.startsWith('0 ')).join(', ')} of ${runner.steps.length} steps: the orchestrator redis-dr selftest runs in an account, here against the local stand-in)`,
      );
    }
    if (aws && !aborted) {
      if (o.keep) sayArtefacts(say, aws, buckets, work, drReport);
      else
        say(
          `Artefacts: removed with the work directory (--keep keeps the templates, both buckets with their tags${drReport ? `, the DR report (${drReport.pass} controls pass, ${drReport.fail} fail, ${drReport.notApplicable} n/a)` : ''} and the selftest record)`,
        );
    }
    if (error && log.lines.length > 0) {
      say('What the jobs logged (warnings and errors):');
      for (const line of log.lines) say(`  ${line}`);
    }
    if (left.length > 0) say(`Stopped ${left.length} drill cluster(s) the drill did not delete: ${left.map((g) => g.id).join(', ')}.`);
    process.off('exit', onExit);
    if (!o.keep) rmSync(work, { recursive: true, force: true });
    for (const d of directories) d.removed = !exists(d.path);
    // One line when all went; each left behind named.
    const running = processes.filter((p) => !p.stopped);
    const there = directories.filter((d) => !d.removed && !(o.keep && d.path === work));
    say(
      `Cleanup: ${processes.map((p) => `${p.what} ${p.server.engine}-server pid ${p.pid}${p.stopped ? '' : ' STILL RUNNING'}`).join(' and ')}${running.length === 0 ? ' stopped' : ''}; ` +
        `${directories.length - there.length} director${directories.length - there.length === 1 ? 'y' : 'ies'} removed${o.keep ? ' (the work directory kept: --keep)' : ''}` +
        `${there.length > 0 ? `, ${there.map((d) => `${d.path} STILL THERE`).join(', ')}` : ''}`,
    );
  }
  const ok = !aborted && error === undefined && report?.ok === true && runner.verdict === 'passed';
  say('');
  if (aborted) say('Interrupted: everything the demo started was stopped and removed.');
  else if (error && !report) say(`Demo FAILED: ${error}`);
  else if (!ok && report?.ok === true)
    say(
      `Demo FAILED: ${[
        ...runner.steps.filter((r) => r.verdict === 'failed').map((r) => `${r.step}: ${r.cause}`),
        // A failure after every step passed (the DR report's write): named too, never an empty line.
        ...(error === undefined ? [] : [String(error)]),
      ].join('; ')}`,
    );
  else say(ok ? `Drill PASSED.` : `Drill FAILED: the report above says which step or check.`);
  return {
    ok,
    aborted,
    stages,
    ...(report ? { report } : {}),
    ...(drill ? { drill } : {}),
    processes: processes.map(({ what, pid, stopped }) => ({ what, pid, stopped })),
    directories: directories.map((d) => ({ ...d })),
    workDir: work,
    ...(error ? { error } : {}),
  };
}

/** The timings the drill recorded (`$$.State.EnteredTime` of its Time states), as the Report step got them. */
type DrillTimings = ReturnType<typeof drillReportEventSchema.parse>['timings'];

/** The RTO as measured here, to the millisecond, and what the local provider answered. */
function sayMeasured(say: (line: string) => void, aws: LocalAws, timings: DrillTimings | undefined, rtoMinutes: number | undefined): void {
  const group = aws.groups.at(-1);
  if (timings) {
    const span = (from?: string, to?: string) => (from && to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(3)} s` : 'not reached');
    const load = group?.server ? `${Math.round(group.server.loadSeconds * 1000)} ms` : 'not loaded';
    say('RTO, measured here (the report rounds to whole seconds):');
    say(
      `  start -> created        ${span(timings.startedAt, timings.createdAt).padStart(11)}  select, AUTH token generated and stored, CreateReplicationGroup`,
    );
    say(
      `  created -> available    ${span(timings.createdAt, timings.availableAt).padStart(11)}  ElastiCache takes minutes; here a redis-server loads the DR copy (${load}), polled every ${WAIT_MS} ms`,
    );
    say(
      `  available -> verified   ${span(timings.availableAt, timings.verifiedAt).padStart(11)}  the verify job: canary, key count, full scan, expected keys and values, samples`,
    );
    say(
      `  RTO (start -> verified) ${span(timings.startedAt, timings.verifiedAt).padStart(11)}${rtoMinutes !== undefined ? `  objective ${rtoMinutes} min` : ''}`,
    );
    say(`  verified -> deleted     ${span(timings.verifiedAt, timings.deletedAt).padStart(11)}`);
    say(
      `  Only waits are compressed (Wait states ${WAIT_MS} ms here, 30 s on AWS; retries ${RETRY_MS} ms); TLS is off here (on AWS the drill cluster and its verify use TLS).`,
    );
  }
  if (aws.calls.length === 0) return;
  const counts = new Map<string, number>();
  for (const c of aws.calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  say(`Local provider: ${aws.calls.length} AWS calls answered on this machine, none sent: ${[...counts].map(([c, k]) => `${c} x${k}`).join(', ')}.`);
  say('');
}

/** Where each artefact is (the bucket folders and their files with their tags). */
function sayArtefacts(
  say: (line: string) => void,
  aws: LocalAws,
  buckets: readonly { role: string; name: string; dir: string }[],
  work: string,
  drReport?: { readonly prefix: string; readonly keys: readonly string[]; readonly pass: number; readonly fail: number; readonly notApplicable: number },
): void {
  say('Artefacts (kept: --keep):');
  const templates = join(work, 'cdk.out');
  say(
    `  templates ${templates}/ (the state machines ran from ${readdirSync(templates)
      .filter((f) => f.endsWith('.template.json'))
      .join(' and ')})`,
  );
  for (const b of buckets) {
    say(`  ${b.role} s3://${b.name} = ${b.dir}/`);
    for (const file of readdirSync(b.dir).sort()) {
      if (file === 'selftest' && statSync(join(b.dir, file)).isDirectory()) {
        for (const inner of readdirSync(join(b.dir, file)).sort()) {
          const body = JSON.parse(readFileSync(join(b.dir, file, inner), 'utf8')) as { verdict?: string; steps?: unknown[] };
          say(`    ${file}/${inner}: the selftest's record (${body.verdict ?? '?'}, ${body.steps?.length ?? '?'} steps; redis-dr status and doctor read it)`);
        }
        continue;
      }
      if (file === 'reports' && statSync(join(b.dir, file)).isDirectory()) {
        // The run's DR report (docs/reports.md), written as the scheduled report function writes its own.
        if (drReport)
          say(
            `    ${drReport.prefix}: the DR report of this run (${drReport.pass} controls pass, ${drReport.fail} fail, ${drReport.notApplicable} n/a; open report.html in a browser): ${drReport.keys.map((k) => k.slice(drReport.prefix.length)).join(', ')}`,
          );
        continue;
      }
      if (statSync(join(b.dir, file)).isDirectory()) {
        // The vault's verdict objects (redis-dr-vault-verdicts/<replica key>.json): only the vault verifier writes them.
        for (const inner of readdirSync(join(b.dir, file), { recursive: true, encoding: 'utf8' }).sort()) {
          const path = join(b.dir, file, inner);
          if (statSync(path).isDirectory()) continue;
          const body = JSON.parse(readFileSync(path, 'utf8')) as { verdict?: string; keys?: { keys?: number } };
          say(
            `    ${file}/${inner}: the vault verifier's verdict (${body.verdict ?? '?'}, ${body.keys?.keys ?? '?'} keys; only its role writes here), ${n(statSync(path).size)} bytes`,
          );
        }
        continue;
      }
      const size = statSync(join(b.dir, file)).size;
      const tags = file.endsWith('.rdb') ? aws.objectTags(b.name, file) : {};
      if (file === '.s3-tags.json') {
        say(`    ${file} (the objects' tags, as this local provider keeps them)`);
        continue;
      }
      if (file === '.s3-retention.json') {
        say(`    ${file} (the objects' Object Lock retention, as this local provider keeps it)`);
        continue;
      }
      const tagText =
        Object.keys(tags).length > 0
          ? `\n        tags: ${Object.entries(tags)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}`
          : '';
      const lock = aws.objectRetention(b.name, file);
      const what = parseExportObjectKey(file)
        ? b.role === 'vault bucket'
          ? `the vault replica, Object Lock ${lock?.Mode ?? 'none'}${lock ? ` until ${lock.RetainUntilDate}` : ''}`
          : b.role === 'DR bucket'
            ? 'the DR copy'
            : "the export object (the backup's bytes, a hard link)"
        : file.endsWith('.rdb')
          ? 'the backup, as redis-dr backup writes it'
          : file.endsWith('.sha256')
            ? "the backup's SHA-256 (sha256sum -c)"
            : "the backup's record (tier, keys)";
      say(`    ${file}: ${what}, ${n(size)} bytes${tagText}`);
    }
  }
  say('');
}

/** Flips the byte in the middle of `file`; returns its offset. */
function flipByte(file: string): number {
  const offset = Math.floor(statSync(file).size / 2);
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
  return offset;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
