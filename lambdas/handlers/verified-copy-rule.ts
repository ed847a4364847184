/**
 * Lambda entry point of the AWS Config custom rule `redis-dr-verified-copy`
 * (primary region): Config invokes it periodically; with SECURITY_HUB=true
 * it also imports the Security Hub findings.
 */
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { s3ClientConfig } from '../adapters/aws/client-config.js';
import { S3ObjectStore } from '../adapters/storage/object-store-s3.js';
import { REPORTS_PREFIX } from '../domain/report/input.js';
import { configRuleEventSchema, runVerifiedCopyRule } from '../jobs/org/verified-copy-rule.js';
import { requiredEnv } from './env.js';
import { awsClient, lambdaEntry, scheduledDeps, tracer } from './entry.js';

const config = awsClient(ConfigServiceClient);
const securityHub = process.env.SECURITY_HUB === 'true' ? awsClient(SecurityHubClient) : undefined;

export const handler = lambdaEntry(configRuleEventSchema, (event, context) => {
  const bucket = requiredEnv('REPORTS_BUCKET', 'the DR bucket holding the scheduled reports');
  const drRegion = requiredEnv('DR_REGION', "the DR bucket's region");
  const region = requiredEnv('AWS_REGION', 'the region the caches are in');
  const partition = context?.invokedFunctionArn.split(':')[1] ?? 'aws';
  const deps = scheduledDeps();
  const s3 = tracer.captureAWSv3Client(new S3Client({ region: drRegion, ...s3ClientConfig() }));
  return runVerifiedCopyRule(
    { resultToken: event.resultToken, account: event.accountId, partition, region, drRegion, reportsAt: `s3://${bucket}/${REPORTS_PREFIX}` },
    {
      elasticache: deps.elasticache,
      tagging: deps.tagging,
      reports: new S3ObjectStore(s3, bucket, REPORTS_PREFIX, undefined, event.accountId),
      config,
      ...(securityHub ? { securityHub } : {}),
      now: () => new Date(deps.clock.now()),
    },
  );
});
