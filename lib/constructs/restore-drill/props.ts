import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { NetworkConfig, PlanConfig } from '../../config/index.js';
import type { DrillWhere } from '../../../lambdas/domain/drills/drill.js';
import type { AlertTopic } from '../alert-topic.js';

/** Props for {@link RestoreDrill}. */
export interface RestoreDrillProps {
  /** Deployment name (config `name`); drill clusters are tagged with it. */
  readonly deployment: string;
  /** Plans that drill in this region (`drill.enabled` and `drill.where` covering it). */
  readonly plans: readonly PlanConfig[];
  /** `primary`: restore native snapshots; `dr`: restore the verified `.rdb` copies. */
  readonly where: DrillWhere;
  /** VPC placement of the verify function and of drill clusters in this region. */
  readonly network: NetworkConfig & { readonly cacheSubnetGroupName: string };
  /**
   * DR drills: the bucket with the verified copies.
   * @default - none (primary drills)
   */
  readonly bucket?: s3.IBucket;
  /**
   * Whether the select function reads the DR copies in `bucket` (list, tags, verdicts): false where every plan drills
   * from the vault and `bucket` only takes the seed copies (the drill account's stack).
   * @default true
   */
  readonly selectsFromBucket?: boolean;
  /**
   * DR drills of plans with `drill.fromVault`: the vault bucket (another
   * account's, named by the config) and its account. The select function and
   * the state machine then get fixed role names the vault's policy names.
   * @default - none
   */
  readonly vault?: {
    readonly bucket: s3.IBucket;
    readonly account: string;
    readonly region: string;
    /** The vault's deployment name when not this one's (config `vault.deployment`): the schedule's input names its bucket by it. */
    readonly deployment?: string;
    /** An organization's vault (config `vault.organizationId`): this account's replicas' key prefix, `<account>/<primary region>/`. */
    readonly prefix?: string;
  };
  /**
   * The report function's role of a fixed name: the primary region's, which the evidence key's policy in the DR
   * region's stack names (lib/constructs/evidence-key.ts, `grantSignByAlias`).
   * @default - a generated name
   */
  readonly reportRoleName?: string;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly deadLetterQueue: sqs.IQueue;
  /** Drill reports (every drill, passed or failed) go here. */
  readonly alerts: AlertTopic;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  /**
   * Function memory.
   * @default 512
   */
  readonly memorySizeMb?: number;
}

/** The region's network with a subnet group; config validation guarantees it when a plan drills there. */
export function requireDrillNetwork(network: NetworkConfig | undefined, field: string): RestoreDrillProps['network'] {
  if (!network?.cacheSubnetGroupName) {
    throw new Error(`${field}.cacheSubnetGroupName is required for restore drills in this region (config validation should have said so)`);
  }
  return { ...network, cacheSubnetGroupName: network.cacheSubnetGroupName };
}
