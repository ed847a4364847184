import type { Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';

/**
 * The CDK feature flags redis-dr's stacks are built and tested with (also in
 * cdk.json for the CDK CLI; test/lib/redis-dr.test.ts holds the two equal).
 */
export const REDIS_DR_FEATURE_FLAGS: Readonly<Record<string, boolean>> = {
  '@aws-cdk/core:enablePartitionLiterals': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:validateSnapshotRemovalPolicy': true,
  '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
  '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': false,
  '@aws-cdk/core:checkSecretUsage': true,
  '@aws-cdk/aws-iam:standardizedServicePrincipals': true,
  '@aws-cdk/aws-s3:createDefaultLoggingPolicy': true,
  '@aws-cdk/aws-s3:serverSideEncryptionBucketKeyEnabled': true,
  '@aws-cdk/aws-sqs:enableSSL': true,
  '@aws-cdk/aws-scheduler:enableSchedulerTargetsCloudWatchLogs': true,
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-s3:setUniqueReplicationRoleName': true,
};

/**
 * Sets every feature flag of this CDK version on `stack`: redis-dr's own
 * value, else the value an app that sets nothing gets. Called first thing in
 * each stack's constructor (context can only be set on a node without
 * children). Why: in a team's own app (the `RedisDr` construct), their
 * cdk.json's flags would otherwise reach these stacks, changing logical IDs,
 * policies and cdk-nag's verdict from what this repository tests.
 */
export function pinFeatureFlags(stack: Stack): void {
  const pinned = new Map<string, unknown>(Object.entries(REDIS_DR_FEATURE_FLAGS));
  for (const [flag, info] of Object.entries(cxapi.FLAGS)) {
    // Expired flags have one behaviour in v2 whatever the context says (and refuse being set).
    if (pinned.has(flag) || !flag.startsWith('@aws-cdk/') || info.introducedIn.v2 === undefined) continue;
    const unset: unknown = cxapi.CURRENT_VERSION_FLAG_DEFAULTS[flag] ?? (typeof info.recommendedValue === 'boolean' ? false : undefined);
    // A non-boolean flag without a documented unset behaviour is left to the app: today only
    // core:target-partitions, read for stacks without a concrete region (both of ours have one).
    if (unset !== undefined) pinned.set(flag, unset);
  }
  for (const [flag, value] of pinned) stack.node.setContext(flag, value);
}
