/**
 * Drills from the vault (plan `drill.fromVault`): the vault bucket's read
 * grant (template), the DR drill's roles and schedule, cfn-lint, and the
 * synthesized DR drill state machine executed locally, seeded from a replica
 * in a folder standing in for the vault bucket. AWS is answered at the SDK
 * boundary by the demo's local provider (demo/local-aws.ts); the select,
 * verify, report and vault verify-rdb jobs are the real ones, the drill
 * cluster a real redis-server loaded from the replica.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderIntrinsic, stateMachineDefinition, type AslDefinition, type TemplateJson } from '../../../../lib/asl.js';
import { loadConfig, type RedisDrConfig } from '../../../../lib/config/index.js';
import { drillRunInput, recoveryBucketName, replicationRoleName, vaultDrillRoleNames } from '../../../../lib/deployment.js';
import { VAULT_DRILL_BUCKET_ACTIONS, VAULT_DRILL_OBJECT_ACTIONS } from '../../../../lib/constructs/vault/vault-bucket.js';
import { publishAlert } from '../../../../lambdas/adapters/aws/alerts.js';
import { readVaultVerdict } from '../../../../lambdas/adapters/records/verdict-objects.js';
import { startLocalRedis } from '../../../../lambdas/adapters/redis/local-server.js';
import { exportObjectKey, exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import { TAGS } from '../../../../lambdas/domain/plans/types.js';
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
const VAULT = '222222222222';
const REGION = 'eu-central-1';

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: any;
  Condition?: Record<string, Record<string, unknown>>;
};
type Resource = { Type: string; Properties: Record<string, any> };
const resourcesOf = (template: { toJSON(): unknown }) => (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** The vault bucket's policy statements. */
function vaultPolicy(synth: Synthesized): Statement[] {
  const policies = Object.values(resourcesOf(synth.vault!)).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
  const vault = policies.find((p) => (p.Properties.PolicyDocument.Statement as Statement[]).some((s) => s.Sid === 'ReplicasFromWorkloadAccounts'));
  return vault!.Properties.PolicyDocument.Statement as Statement[];
}

const READS = new Set<string>([...VAULT_DRILL_OBJECT_ACTIONS, ...VAULT_DRILL_BUCKET_ACTIONS, 's3:GetBucketAcl']);
/** The replication roles' grants (writes, held to their roles and prefixes by test/lib/stacks/vault-stack.test.ts's IAM simulation): not the drills'. */
const REPLICATION_SIDS = new Set(['ReplicasFromWorkloadAccounts', 'ReportsFromWorkloadAccounts', 'WorkloadAccountsReadBucketSettings']);

/**
 * Problems of the vault policy's drill grants: every Allow but the
 * replication role's must be read only, and to a drill account's root
 * narrowed by aws:PrincipalArn to the drill roles. No service principal:
 * the drill seeds from a copy in its own account, so ElastiCache is granted
 * nothing in the vault (and nothing relies on aws:SourceAccount).
 */
function drillGrantProblems(statements: readonly Statement[], accounts: readonly string[], roleArns: readonly string[]): string[] {
  const problems: string[] = [];
  for (const s of statements.filter((x) => x.Effect === 'Allow' && !REPLICATION_SIDS.has(x.Sid ?? ''))) {
    const sid = s.Sid ?? '?';
    const bad = list(s.Action).filter((a) => !READS.has(a));
    if (bad.length > 0) problems.push(`${sid} allows ${bad.join(', ')}`);
    const aws = list<string>(s.Principal?.AWS);
    const services = list<string>(s.Principal?.Service);
    if (aws.length > 0) {
      const outside = aws.filter((p) => !accounts.some((a) => p === `arn:aws:iam::${a}:root`));
      if (outside.length > 0) problems.push(`${sid} names ${outside.join(', ')}`);
      const arns = list<string>(s.Condition?.ArnEquals?.['aws:PrincipalArn'] as string[] | undefined);
      if (arns.length === 0 || arns.some((a) => !roleArns.includes(a))) problems.push(`${sid} is not limited to the drill roles (${JSON.stringify(arns)})`);
    }
    if (services.length > 0) problems.push(`${sid} grants the service ${services.join(', ')}`);
    if (aws.length === 0 && services.length === 0) problems.push(`${sid} names no account or service (${JSON.stringify(s.Principal)})`);
  }
  return problems;
}

/** Files under `dir` (relative paths, sorted). */
function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** Every file under `dir` with its size and mtime: a folder written to or deleted from compares different. */
function folderState(dir: string): string[] {
  return listFiles(dir).map((f) => {
    const st = statSync(join(dir, f));
    return `${f}:${st.size}:${st.mtimeMs}`;
  });
}

describe('drills from the vault (plans[].drill.fromVault)', () => {
  let synth: Synthesized;
  let config: RedisDrConfig;
  const roleArns = () => {
    const names = vaultDrillRoleNames(config.name, config.dr.region);
    return [names.seedCopy, names.select].map((n) => `arn:aws:iam::${WORKLOAD}:role/${n}`);
  };
  const vaultBucket = () => recoveryBucketName(config.name, VAULT, REGION);
  const drBucket = () => recoveryBucketName(config.name, WORKLOAD, REGION);
  beforeAll(() => {
    config = loadConfig(FIXTURE);
    // cdk-nag runs as a validation plugin: synth throws on an unacknowledged finding. Three stacks: past the 60 s
    // default on a machine whose cores are busy with the rest of the suite or another one (seen under load).
    synth = synthesize(config);
  }, 300_000);
  afterAll(() => synth?.cleanup());

  describe('template', () => {
    it('lets the drill roles list and read replicas (tags, versions, retention) and grants ElastiCache nothing in the vault', () => {
      const statements = vaultPolicy(synth);
      expect(drillGrantProblems(statements, [WORKLOAD], roleArns())).toEqual([]);
      const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
      expect(bySid.DrillsReadReplicas).toMatchObject({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${WORKLOAD}:root` },
        Action: ['s3:GetObject', 's3:GetObjectRetention', 's3:GetObjectTagging', 's3:GetObjectVersion'],
        Condition: { ArnEquals: { 'aws:PrincipalArn': roleArns() } },
      });
      expect(bySid.DrillsListReplicas).toMatchObject({ Action: 's3:ListBucket', Condition: { ArnEquals: { 'aws:PrincipalArn': roleArns() } } });
      // Seeding reads a copy in the drill's own account: no service principal and no aws:SourceAccount in the vault's policy.
      expect(JSON.stringify(statements)).not.toContain('elasticache-snapshot');
      expect(JSON.stringify(statements)).not.toContain('aws:SourceAccount');
      // The replication role still writes only, and nobody deletes: the drill grant adds reads alone.
      expect(bySid.NobodyDeletesReplicas).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
      expect(bySid.ReplicasFromWorkloadAccounts?.Condition).toEqual({
        ArnEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${WORKLOAD}:role/${replicationRoleName(config.name, config.primary.region)}`] },
      });
    });

    it('the grant check finds a planted write or delete, a missing condition, another account and another principal (negative cases)', () => {
      const statements = vaultPolicy(synth);
      const edit = (sid: string, change: (s: Statement) => Statement) => statements.map((s) => (s.Sid === sid ? change(structuredClone(s)) : s));
      const withWrite = edit('DrillsReadReplicas', (s) => ({ ...s, Action: [...list(s.Action), 's3:PutObject', 's3:DeleteObjectVersion'] }));
      expect(drillGrantProblems(withWrite, [WORKLOAD], roleArns())).toEqual(['DrillsReadReplicas allows s3:PutObject, s3:DeleteObjectVersion']);
      const unnarrowed = edit('DrillsListReplicas', ({ Condition: _, ...s }) => s);
      expect(drillGrantProblems(unnarrowed, [WORKLOAD], roleArns())).toEqual(['DrillsListReplicas is not limited to the drill roles ([])']);
      const elastiCache = [
        ...statements,
        {
          Sid: 'ElastiCacheSeedsDrillsObjects',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Principal: { Service: `${REGION}.elasticache-snapshot.amazonaws.com` },
          Condition: { StringEquals: { 'aws:SourceAccount': [WORKLOAD] } },
        },
      ];
      expect(drillGrantProblems(elastiCache, [WORKLOAD], roleArns())).toEqual([
        `ElastiCacheSeedsDrillsObjects grants the service ${REGION}.elasticache-snapshot.amazonaws.com`,
      ]);
      const otherRole = edit('DrillsReadReplicas', (s) => ({
        ...s,
        Condition: { ArnEquals: { 'aws:PrincipalArn': [...roleArns(), `arn:aws:iam::${WORKLOAD}:role/x`] } },
      }));
      expect(drillGrantProblems(otherRole, [WORKLOAD], roleArns())[0]).toMatch(/^DrillsReadReplicas is not limited to the drill roles/);
      const everyone = edit('DrillsReadReplicas', (s) => ({ ...s, Principal: { AWS: '*' } }));
      expect(drillGrantProblems(everyone, [WORKLOAD], roleArns())).toEqual(['DrillsReadReplicas names *']);
    });

    it('gives the DR drill roles the fixed names the vault names, with reads of the vault bucket only; the state machine never touches the vault', () => {
      const resources = resourcesOf(synth.dr);
      const names = vaultDrillRoleNames(config.name, config.dr.region);
      const roleId = (name: string) => Object.entries(resources).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === name)?.[0];
      const seedRole = roleId(names.seedCopy);
      const selectRole = roleId(names.select);
      expect(seedRole).toBeDefined();
      expect(selectRole).toBeDefined();
      // Every statement of the DR stack that touches the vault bucket: which role, which actions.
      const bucketArn = `arn:aws:s3:::${vaultBucket()}`;
      const touching: { role: string; actions: string[]; resources: unknown }[] = [];
      for (const r of Object.values(resources).filter((x) => x.Type === 'AWS::IAM::Policy')) {
        for (const s of r.Properties.PolicyDocument.Statement as Statement[]) {
          if (!JSON.stringify(s.Resource).includes(vaultBucket())) continue;
          for (const role of r.Properties.Roles as { Ref: string }[]) touching.push({ role: role.Ref, actions: list(s.Action), resources: s.Resource });
        }
      }
      const actionsOf = (role: string | undefined) =>
        touching
          .filter((t) => t.role === role)
          .flatMap((t) => t.actions)
          .sort();
      // GetObject: the verdict objects and HeadObject of each replica (the version a verdict must name).
      expect(actionsOf(selectRole)).toEqual(['s3:GetObject', 's3:GetObjectRetention', 's3:GetObjectTagging', 's3:ListBucket']);
      // The seed copy reads the version the verdict names; it writes only in the DR bucket (below).
      expect(actionsOf(seedRole)).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      // Besides the drills', only the replication of reports/ touches the vault: it writes replicas there, nothing else.
      const reportsRole = roleId(replicationRoleName(config.name, config.dr.region));
      expect(actionsOf(reportsRole)).toEqual(['s3:ObjectOwnerOverrideToBucketOwner', 's3:ReplicateObject']);
      expect(JSON.stringify(touching.filter((t) => t.role === reportsRole).map((t) => t.resources))).toContain(`${bucketArn}/reports/*`);
      expect(touching.every((t) => t.role === seedRole || t.role === selectRole || t.role === reportsRole)).toBe(true);
      expect(JSON.stringify(touching.filter((t) => t.role === seedRole).map((t) => t.resources))).toContain(`${bucketArn}/*`);
    });

    it("schedules the plan's DR drill on the vault bucket, expecting the vault account as its owner, with the DR bucket for the seed copy", () => {
      const resources = resourcesOf(synth.dr);
      const schedules = Object.values(resources).filter(
        (r) => r.Type === 'AWS::Scheduler::Schedule' && renderIntrinsic(r.Properties.Target?.Input ?? '').includes('"where":"dr"'),
      );
      // Drill inputs only (the freshness monitor's names the region too).
      const inputs = schedules.map((s) => JSON.parse(renderIntrinsic(s.Properties.Target.Input)) as Record<string, unknown>).filter((i) => 'rtoMinutes' in i);
      // The DR bucket (a reference to this stack's bucket): the drill copies the chosen replica there and seeds from the copy.
      const drBucketId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::S3::Bucket' && r.Properties.BucketName === drBucket())?.[0];
      expect(drBucketId).toBeDefined();
      expect(inputs).toEqual([expect.objectContaining({ plan: 'sessions', bucket: vaultBucket(), vault: { account: VAULT, seedBucket: drBucketId } })]);
    });

    it('is clean under cfn-lint (DR and vault templates)', async () => {
      expect(await cfnLint([synth.templateFiles[1]!, synth.templateFiles[2]!])).toEqual({ status: 0, output: '' });
    }, 300_000);
  });

  describe('the DR drill state machine, executed locally, seeded from a vault replica', () => {
    const snapshot = 'rdr-sessions-prod-20261122-0200';
    const key = exportObjectKey(snapshot, 1);
    let source: RedisServer;
    let rdb: string;
    let scratch: string;
    let engine: string;
    let drill: AslDefinition;
    let verify: AslDefinition;
    // Past the vault's 400 days from landing (what its verifier, sent the tier days by its task, extends a replica to):
    // the replica's lock is already long enough, so the verifier leaves it as it is (a retention only grows).
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
      const info = String(await c.info('server'));
      engine = `redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '7.0.0'}`;
      scratch = mkdtempSync(join(tmpdir(), 'vault-drill-'));
      rdb = join(scratch, 'source.rdb');
      copyFileSync(await bgsave(source, c), rdb);
    });
    afterAll(async () => {
      await source?.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    /**
     * A vault folder with the replica (object and the export's tags, as S3
     * replication writes them, locked by the bucket's COMPLIANCE default),
     * judged by the vault's synthesized verify state machine unless `verified`
     * is given; then one drill execution.
     */
    async function run(
      options: {
        owner?: string;
        verified?: string;
        forged?: Record<string, string>;
        afterVerify?: (replica: string) => void;
        restoreFails?: boolean;
        /** Objects put in the vault bucket beside the replica (key → text). */
        planted?: Record<string, string>;
      } = {},
    ) {
      const dir = mkdtempSync(join(scratch, 'vault-bucket-'));
      const drDir = mkdtempSync(join(scratch, 'dr-bucket-'));
      const bucket = vaultBucket();
      // What the seed file looked like when the drill cluster was created from it.
      const seeded: { file: string; existed: boolean }[] = [];
      const aws = new LocalAws({
        account: WORKLOAD,
        buckets: { [bucket]: dir, [drBucket()]: drDir },
        owners: { [bucket]: options.owner ?? VAULT },
        startServer: (file, password) => {
          seeded.push({ file, existed: existsSync(file) });
          if (options.restoreFails) return Promise.reject(new Error('the RDB file could not be loaded'));
          return startLocalRedis({ rdb: file, password, tmpPrefix: 'vault-drill-cluster-' });
        },
      });
      const log = new MemoryLog();
      const metrics = new MemoryMetrics();
      const s3 = aws.s3(REGION);
      const sns = aws.sns(REGION);
      const createdAt = new Date(Date.now() - 3_600_000);
      copyFileSync(rdb, join(dir, key));
      for (const [k, text] of Object.entries(options.planted ?? {})) {
        mkdirSync(dirname(join(dir, k)), { recursive: true });
        writeFileSync(join(dir, k), text);
      }
      aws.replaceObjectTags(bucket, key, {
        ...exportObjectTags({ tier: 'daily', plan: 'sessions', snapshot, createdAt, shard: 1, shards: 1, engine, keys: 321 }),
        ...(options.verified ? { [TAGS.verified]: options.verified } : {}),
        ...options.forged,
      });
      aws.lockObject(bucket, key, { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil.toISOString() });
      if (!options.verified && !options.forged) {
        // The vault account's verifier: the same verify-rdb job, through the vault stack's verify state machine.
        const verdict = await vaultVerdict(verify, { aws, region: REGION, deployment: config.name, vaultAccount: VAULT }, bucket, key, 'vault-verify-1');
        expect(verdict.status).toBe('SUCCEEDED');
        options.afterVerify?.(join(dir, key));
      }
      const callsBeforeDrill = aws.calls.length;
      const vaultBefore = folderState(dir);
      let report: DrillReportResult | undefined;
      const plan = config.plans.find((p) => p.name === 'sessions')!;
      const input = JSON.parse(JSON.stringify(drillRunInput(config.name, plan, 'dr', drBucket(), config.vault))) as unknown;
      const execution = await runVaultDrill(drill, { aws, region: REGION }, input, 'vault-drill-1', async (event) => {
        report = await reportDrill(event, { publish: (a) => publishAlert(sns, 'arn:aws:sns:eu-central-1:111111111111:alerts', a), metrics, log });
        return report;
      });
      const left = await aws.shutdown();
      return {
        execution,
        report,
        aws,
        dir,
        drDir,
        seeded,
        vaultUnchanged: JSON.stringify(folderState(dir)) === JSON.stringify(vaultBefore),
        // Objects only (the local bucket keeps its tags in a dotfile).
        seedCopiesLeft: listFiles(drDir).filter((f) => !f.startsWith('.')),
        left,
        drillCalls: aws.calls.slice(callsBeforeDrill),
        tags: aws.objectTags(bucket, key),
        verdict: (await readVaultVerdict(s3, bucket, key)).verdict,
      };
    }

    it('selects the replica the vault verified, seeds the drill cluster from it, verifies, deletes, and reports the vault, the key and the retention', async () => {
      const r = await run();
      expect(r.verdict).toMatchObject({ verdict: 'ok', replica: { key }, keys: { keys: 321 } });
      expect(r.execution.status).toBe('SUCCEEDED');
      expect(r.report?.ok).toBe(true);
      // The cluster was built from the drill's copy in the DR bucket (there while it was created), not from the vault's object.
      const copy = join(r.drDir, ...`${SEED_COPY_PREFIX}vault-drill-1/${key}`.split('/'));
      expect(r.aws.groups.map((g) => g.rdb)).toEqual([copy]);
      expect(r.seeded).toEqual([{ file: copy, existed: true }]);
      // ...and the copy is gone after the drill, as is the cluster.
      expect(r.seedCopiesLeft).toEqual([]);
      expect(r.left).toEqual([]);
      expect(r.aws.groups[0]!.status).toBe('deleted');
      const summary = r.report!.summary;
      expect(summary).toContain(`(vault copy, account ${VAULT})`);
      expect(summary).toContain(`Seeded from the vault: account ${VAULT}, bucket ${vaultBucket()}, Object Lock COMPLIANCE until ${retainUntil.toISOString()}.`);
      expect(summary).toContain(`s3://${vaultBucket()}/${key} (version ${r.verdict!.replica.versionId})`);
      expect(summary).toContain(`Seeded from a copy in this account's DR bucket ${drBucket()}; the copy was deleted (1 version(s)).`);
      // The vault was only read (list, tags, versions, verdict object, retention, the copy's source): nothing written or deleted there.
      expect(r.vaultUnchanged).toBe(true);
      const s3Calls = [...new Set(r.drillCalls.filter((c) => c.startsWith('S3 ')))].sort();
      expect(s3Calls).toEqual([
        'S3 CopyObject',
        'S3 DeleteObject',
        'S3 GetObject',
        'S3 GetObjectRetention',
        'S3 GetObjectTagging',
        'S3 HeadObject',
        'S3 ListObjectVersions',
        'S3 ListObjectsV2',
      ]);
      expect(r.aws.objectRetention(vaultBucket(), key)).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: retainUntil.toISOString() });
    }, 60_000);

    it('reads no DR collapse mark in the vault (none could be released there, and its DR verdict prefix is not reserved): a mark planted there passes nothing over', async () => {
      const mark = {
        kind: 'dr-collapse-mark',
        export: snapshot,
        point: snapshot,
        target: 'x',
        baseline: snapshot,
        measure: 'keys',
        dropPct: 100,
        detail: 'planted',
      };
      const r = await run({ planted: { [`redis-dr-verdicts/collapses/${snapshot}.json`]: JSON.stringify({ ...mark, judgedAt: new Date().toISOString() }) } });
      expect(r.execution.status).toBe('SUCCEEDED');
      expect(r.report?.summary).not.toContain('Not drilled');
      expect(r.aws.groups).toHaveLength(1);
    }, 60_000);

    it('a replica the vault judged corrupt is never restored: the drill fails at select and creates nothing', async () => {
      const r = await run({ verified: 'corrupt' });
      expect(r.execution.status).toBe('FAILED');
      expect(r.report?.ok).toBe(false);
      expect(r.report?.summary).toContain('select');
      expect(r.aws.groups).toEqual([]);
      expect(r.seedCopiesLeft).toEqual([]);
      expect(r.drillCalls).not.toContain('S3 CopyObject');
    }, 30_000);

    it('a replica carrying a forged redis-dr:verified=ok (replicated from the workload account) and no verdict object is never restored', async () => {
      // The verdict and summary tags as the vault's verifier would write them (the true counts): only their writer differs.
      const r = await run({ forged: { [TAGS.verified]: 'ok', [TAGS.rdb]: 'v=9 keys=321 expires=0 string=301 hash=20' } });
      expect(r.tags[TAGS.verified]).toBe('ok');
      expect(r.verdict).toBeUndefined();
      expect(r.execution.status).toBe('FAILED');
      expect(r.report?.summary).toContain('not verified yet');
      expect(r.aws.groups).toEqual([]);
      // Refused at select: nothing was copied into the DR bucket either.
      expect(r.drillCalls).not.toContain('S3 CopyObject');
      expect(r.seedCopiesLeft).toEqual([]);
    }, 30_000);

    it('a verdict object about an older version of the replica is no verdict: the drill refuses the new version', async () => {
      // The same key written again (a new version replicated over it): the verdict names the version before.
      const r = await run({ afterVerify: (replica) => utimesSync(replica, new Date(), new Date(Date.now() + 5_000)) });
      expect(r.verdict?.verdict).toBe('ok');
      expect(r.execution.status).toBe('FAILED');
      expect(r.report?.summary).toContain('not verified yet');
      expect(r.aws.groups).toEqual([]);
    }, 30_000);

    it('a bucket of the vault name owned by another account is refused (ExpectedBucketOwner): the drill fails at select and creates nothing', async () => {
      const r = await run({ owner: '333333333333' });
      expect(r.execution.status).toBe('FAILED');
      expect(r.report?.summary).toMatch(/AccessDenied/);
      expect(r.aws.groups).toEqual([]);
      expect(r.drillCalls).not.toContain('S3 CopyObject');
    }, 30_000);

    it('a restore that fails after the copy still deletes the copy (the cleanup path), and the drill fails', async () => {
      const r = await run({ restoreFails: true });
      expect(r.execution.status).toBe('FAILED');
      expect(r.report?.ok).toBe(false);
      // The copy existed for the create, and the cleanup removed it with the cluster.
      expect(r.seeded.map((x) => x.existed)).toEqual([true]);
      expect(r.seedCopiesLeft).toEqual([]);
      expect(r.report?.summary).toContain('the copy was deleted (1 version(s))');
      expect(r.vaultUnchanged).toBe(true);
    }, 30_000);
  });
});
