/**
 * A drill from the vault, run locally (aws-local-stepfunctions) against the
 * demo's local provider (demo/local-aws.ts): the vault's verdict on a
 * replica through the vault stack's synthesized verify state machine, and
 * one execution of a synthesized drill state machine seeded from the vault
 * (the workload's DR drill or the drill account's), its select, verify,
 * seed-copy and report tasks the real jobs. Shared by
 * test/lib/constructs/restore-drill/vault-drill.test.ts and
 * test/lib/stacks/drill-account-stack.test.ts.
 */
import type { AslDefinition } from '../../lib/asl.js';
import { publishAlert } from '../../lambdas/adapters/aws/alerts.js';
import { TUNING } from '../../lambdas/adapters/aws/client-config.js';
import { systemClock } from '../../lambdas/adapters/aws/retry.js';
import { drillVerifyInputSchema } from '../../lambdas/domain/drills/drill.js';
import { seedCopyEventSchema } from '../../lambdas/domain/vault/vault-seed.js';
import { settingsDeps, verifyInvocationSchema, verifyStep } from '../../lambdas/jobs/dr-copies/verify-rdb.js';
import { drillReportEventSchema, type DrillReportResult } from '../../lambdas/jobs/drills/drill-report.js';
import { drillSelectEventSchema, selectRecoveryPoint } from '../../lambdas/jobs/drills/drill-select.js';
import { runDrillVerify, VERIFY_TUNING } from '../../lambdas/jobs/drills/drill-verify.js';
import { runSeedCopy } from '../../lambdas/jobs/drills/drill-seed-copy.js';
import type { LocalAws } from '../../demo/local-aws.js';
import { type ExecutionResult, runStateMachine } from '../../demo/step-functions.js';
import { MemoryLog, MemoryMetrics } from './fakes.js';

/** Where the vault is and who reads it. */
export interface VaultDrillPlace {
  readonly aws: LocalAws;
  readonly region: string;
  readonly deployment: string;
  /** The vault account, for the vault's alert topic. */
  readonly vaultAccount: string;
}

/** The vault's verifier judges `key` in `bucket` (its synthesized verify state machine, the real verify-rdb job). */
export async function vaultVerdict(
  verify: AslDefinition,
  place: VaultDrillPlace,
  bucket: string,
  key: string,
  executionName: string,
): Promise<ExecutionResult> {
  const { aws, region } = place;
  const event = { version: '0', 'detail-type': 'Object Created', source: 'aws.s3', region, detail: { bucket: { name: bucket }, object: { key } } };
  return runStateMachine(verify, event, {
    executionName,
    waitMs: 0,
    retryMs: 0,
    sdk: {},
    lambdas: {
      [verify.States.Verify!.Resource!]: (payload) => {
        // The step and the vault's settings (collapse thresholds, tier days) as the synthesized task sends them.
        const { step, settings } = verifyInvocationSchema.parse(payload);
        return verifyStep(step, {
          s3: aws.s3(region),
          alert: (page) => publishAlert(aws.sns(region), `arn:aws:sns:${region}:${place.vaultAccount}:vault-alerts`, page),
          where: { deployment: place.deployment, region },
          metrics: new MemoryMetrics(),
          log: new MemoryLog(),
          clock: systemClock,
          deadline: Date.now() + 60_000,
          ...settingsDeps(settings),
        });
      },
    },
  });
}

/** One execution of a drill from the vault; `report` answers its Report task (the real job, with the caller's deps). */
export function runVaultDrill(
  drill: AslDefinition,
  place: Omit<VaultDrillPlace, 'vaultAccount' | 'deployment'>,
  input: unknown,
  executionName: string,
  report: (event: ReturnType<typeof drillReportEventSchema.parse>) => Promise<DrillReportResult>,
): Promise<ExecutionResult> {
  const { aws, region } = place;
  const log = new MemoryLog();
  const metrics = new MemoryMetrics();
  const s3 = aws.s3(region);
  const secrets = aws.secretsManager(region);
  const elasticache = aws.elastiCache(region);
  const lambda = (state: string) => drill.States[state]!.Resource!;
  return runStateMachine(drill, input, {
    executionName,
    waitMs: 20,
    retryMs: 0,
    sdk: { elasticache, secretsmanager: secrets },
    lambdas: {
      [lambda('Select recovery point')]: (payload) =>
        selectRecoveryPoint(drillSelectEventSchema.parse(payload), {
          elasticache,
          tagging: aws.tagging(region),
          s3,
          metrics,
          log,
          clock: systemClock,
          concurrency: TUNING.concurrency,
          throttleDelayMs: TUNING.throttleDelayMs,
          busyDelayMs: TUNING.busyDelayMs,
        }),
      // TLS is on for drill clusters on AWS; the local server speaks plain TCP.
      [lambda('Verify data')]: (payload) =>
        runDrillVerify(drillVerifyInputSchema.parse({ ...(payload as object), tls: false }), { secrets, log, clock: systemClock, ...VERIFY_TUNING }),
      // Both the copy and its delete: one function.
      [lambda('Copy vault replica')]: (payload) =>
        runSeedCopy(seedCopyEventSchema.parse(payload), { s3, log, clock: systemClock, throttleDelayMs: TUNING.throttleDelayMs }),
      [lambda('Report')]: (payload) => report(drillReportEventSchema.parse(payload)),
    },
  });
}
