import { grantVerdictReads } from '../verdict-guard.js';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PlanConfig } from '../../config/index.js';
import { freshnessRunInput } from '../../deployment.js';
import { nagArnRef, nagPseudoParameters } from '../elasticache-arns.js';
import { JobFunction } from '../job-function.js';
import { monitoringFunctionSettings, type MonitoringFunctionProps } from './function-settings.js';
import { PlanSchedules } from '../plan-schedules.js';
import { drillStateMachineName } from '../restore-drill/index.js';

/** How often the freshness monitor measures. */
export const FRESHNESS_CRON = 'cron(0/5 * * * ? *)';

/** Props for {@link FreshnessMonitor}. */
export interface FreshnessMonitorProps extends MonitoringFunctionProps {
  readonly deployment: string;
  /**
   * `vault`: the vault account's replicas, measured as the DR region's copies
   * are (the newest complete, verified export per target in `bucket`), no
   * drills, no coverage inventory, no ElastiCache reads. `drill`: the drill
   * account's drills only (the age of each plan's last good drill of
   * `drillStateMachine`), nothing else.
   */
  readonly where: 'primary' | 'dr' | 'vault' | 'drill';
  readonly plans: readonly PlanConfig[];
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** DR: the bucket with the verified copies. @default - none */
  readonly bucket?: s3.IBucket;
  /** This region's drill state machine. @default - none */
  readonly drillStateMachine?: sfn.IStateMachine;
  /** DR: the state machine that verifies each copy. @default - none */
  readonly verifyStateMachine?: sfn.IStateMachine;
  /**
   * `vault` of an organization: the member accounts whose newest replica under `<account>/<region>/rdr-` it measures
   * (`VaultAccountReplicaAgeSeconds` per `Account`), in place of plans.
   * @default - none
   */
  readonly accounts?: readonly { readonly account: string; readonly region: string }[];
  /** The scheduled scrub of `bucket`, whose newest record's age it measures (`ScrubRecordAgeSeconds`). @default - none */
  readonly scrub?: ScrubWatch;
}

/** A scheduled scrub to watch: where its records are in the bucket and its schedule (whose creation starts the watch). */
export interface ScrubWatch {
  /** `scrub/` (the DR bucket) or `redis-dr-vault-scrub/` (the vault's). */
  readonly recordsPrefix: string;
  /** The scrub's schedule (`scheduler:GetSchedule` on it, its CreationDate); may be a token resolved at synth. */
  readonly scheduleArn: string;
}

/**
 * The dead man's switch's data: a function that measures every plan's
 * recovery point ages (and the last good drill) every 5 minutes and writes
 * them as metrics, with read-only permissions. It reads when the drill and
 * verify state machines and (primary) the schedule group were created: until
 * a first drill, verified copy or snapshot exists, their ages count from then
 * (snapshots: from the first one the plan's schedule fires after it), so the
 * dead-man alarms page only once the first point is overdue. Each run also
 * lists the region's caches and counts those no plan protects (coverage).
 */
export class FreshnessMonitor extends Construct {
  /** The monitor function. */
  public readonly function: JobFunction;

  constructor(scope: Construct, id: string, props: FreshnessMonitorProps) {
    super(scope, id);
    this.function = new JobFunction(this, 'Freshness', {
      handler: 'freshness',
      description: `redis-dr: measure recovery point ages (${props.where} region) for the dead-man alarms`,
      timeout: Duration.minutes(3),
      serviceName: 'redis-dr-freshness',
      ...monitoringFunctionSettings(props),
    });
    this.grantReads(props);
    const vault = props.where === 'vault';
    const drill = props.where === 'drill';
    const measured = freshnessRunInput(
      props.deployment,
      vault || drill ? 'dr' : props.where,
      props.plans,
      props.bucket?.bucketName,
      props.drillStateMachine?.stateMachineArn,
      props.verifyStateMachine?.stateMachineArn,
      // Primary: snapshot protection starts with the schedule group.
      props.where === 'primary' ? props.scheduleGroup.scheduleGroupArn : undefined,
    );
    const run = props.scrub ? { ...measured, scrub: { prefix: props.scrub.recordsPrefix, scheduleArn: props.scrub.scheduleArn } } : measured;
    const input = vault
      ? // Verdicts from the vault verifier's objects only: tags on replicas come by replication from the workload account.
        {
          ...run,
          vaultVerdicts: true,
          plans: run.plans.map((p) => ({ ...p, drills: false })),
          ...(props.accounts ? { vaultAccounts: props.accounts.map(({ account, region }) => ({ account, region })) } : {}),
        }
      : drill
        ? // The drill account holds no copy and protects no cache: its drills' ages alone.
          { ...run, plans: run.plans.map((p) => ({ ...p, exports: false, drills: true })) }
        : // Every run also lists the region's caches for the coverage inventory (UnprotectedCaches).
          { ...run, coverage: true };
    new PlanSchedules(this, 'Schedule', {
      function: this.function.function,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: 'freshness monitor',
      schedules: [{ plan: 'all', cron: FRESHNESS_CRON, timeZone: 'UTC', input: JSON.parse(JSON.stringify(input)) as Record<string, unknown> }],
    });
  }

  private grantReads(props: FreshnessMonitorProps): void {
    const role = this.function.role;
    if (props.where !== 'vault' && props.where !== 'drill') this.grantCacheReads(role);
    if (props.bucket && props.accounts) {
      // An organization's vault: the listing of each account's prefix (keys and arrival times), no object read.
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ListCopies', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    } else if (props.bucket) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ListCopies', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadCopyTags', actions: ['s3:GetObjectTagging'], resources: [props.bucket.arnForObjects('*')] }));
      if (props.where === 'vault') {
        // The verdict objects, and HeadObject of each replica (its current version id and ETag, which a verdict must name).
        role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadVaultVerdicts', actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects('*')] }));
      }
      // The DR verifier's verdict objects, and each copy's version they name (issue 53 item 3).
      if (props.where === 'dr') grantVerdictReads(role, props.bucket, 'freshness monitor');
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/*]`,
        reason:
          props.where === 'vault'
            ? "The freshness monitor reads the tags (shard, created) and current version (HeadObject) of every replica in the vault bucket, and the vault verifier's verdict objects."
            : 'The freshness monitor reads the tags (verdict, shard, created) of every copy in the DR bucket.',
      });
    }
    // When protection started: the creation dates of the state machines whose work makes the points.
    const started = [props.drillStateMachine, props.verifyStateMachine].filter((sm): sm is sfn.IStateMachine => sm !== undefined);
    if (started.length > 0) {
      role.addToPolicy(
        new iam.PolicyStatement({ sid: 'ProtectionStart', actions: ['states:DescribeStateMachine'], resources: started.map((sm) => sm.stateMachineArn) }),
      );
    }
    // The scrub's start: its own schedule only (the bucket's listing is granted above, ListCopies).
    if (props.scrub) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ScrubProtectionStart', actions: ['scheduler:GetSchedule'], resources: [props.scrub.scheduleArn] }));
    }
    if (props.where === 'primary') {
      role.addToPolicy(
        new iam.PolicyStatement({ sid: 'SnapshotProtectionStart', actions: ['scheduler:GetScheduleGroup'], resources: [props.scheduleGroup.scheduleGroupArn] }),
      );
    }
    if (props.drillStateMachine && props.where !== 'vault') {
      role.addToPolicy(
        new iam.PolicyStatement({ sid: 'DrillHistory', actions: ['states:ListExecutions'], resources: [props.drillStateMachine.stateMachineArn] }),
      );
      // Executions of this state machine only: arn:…:execution:<state machine name>:*
      const name = drillStateMachineName(props.deployment, props.where === 'drill' ? 'dr' : props.where);
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'DrillExecutions',
          actions: ['states:DescribeExecution'],
          resources: [
            Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          ],
        }),
      );
      const { partition, region, account } = nagPseudoParameters(this);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:states:${region}:${account}:execution:${name}:*]`,
        reason: "Execution names are made per drill; DescribeExecution is limited to the executions of this deployment's drill state machine.",
      });
    }
  }

  /** Snapshot listings and the coverage inventory (every cache of the region): ElastiCache reads, no resource-level scoping. */
  private grantCacheReads(role: JobFunction['role']): void {
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRecoveryPoints',
        actions: ['elasticache:DescribeSnapshots', 'elasticache:DescribeServerlessCacheSnapshots', 'tag:GetResources'],
        resources: ['*'],
      }),
    );
    // The coverage inventory: every cache of the region (listing without ids needs `*`; read only).
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListCaches',
        actions: ['elasticache:DescribeReplicationGroups', 'elasticache:DescribeServerlessCaches'],
        resources: ['*'],
      }),
    );
  }
}
