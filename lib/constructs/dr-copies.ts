import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DrConfig, PlanConfig } from '../config';
import { type AlertTopic, grantAlertPublish } from './alert-topic';
import { nagArnRef } from './elasticache-arns';
import { HouseFunction } from './house-function';
import { AccessLogBucket, RecoveryBucket } from './recovery-bucket';

/** Props for {@link DrCopies}. */
export interface DrCopiesProps {
  readonly deployment: string;
  /** Plans that export (their lifecycle rules apply here too). */
  readonly plans: readonly PlanConfig[];
  readonly dr: DrConfig;
  readonly alerts: AlertTopic;
  readonly deadLetterQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
}

/**
 * One full vCPU (Lambda allocates CPU by memory): verification is CPU-bound
 * (parse + CRC64) while the object streams in.
 */
export const VERIFY_MEMORY_MB = 1769;

/** Event types that (re)start a verification. */
export const VERIFY_EVENT_TYPES = ['Object Created', 'Object Tags Added'] as const;

/**
 * The DR region's copies: the replicated bucket (ElastiCache there may read
 * it to seed clusters) and the verify-rdb function that checks every copy as
 * it lands and tags it `redis-dr:verified=ok|corrupt`.
 */
export class DrCopies extends Construct {
  public readonly bucket: RecoveryBucket;
  public readonly accessLogs: AccessLogBucket;
  public readonly verifier: HouseFunction;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: DrCopiesProps) {
    super(scope, id);
    this.accessLogs = new AccessLogBucket(this, 'AccessLogs');
    this.bucket = new RecoveryBucket(this, 'Copies', {
      deployment: props.deployment,
      plans: props.plans,
      elastiCacheAccess: 'seed',
      accessLogs: this.accessLogs.bucket,
      objectLock: props.dr.objectLock,
      eventBridgeEnabled: true,
    });

    this.verifier = new HouseFunction(this, 'VerifyRdb', {
      handler: 'verify-rdb',
      description: 'redis-dr: verify every DR copy (RDB structure + CRC64) and tag the verdict',
      timeout: Duration.minutes(15),
      memorySizeMb: VERIFY_MEMORY_MB,
      logRetention: props.logRetention,
      serviceName: 'redis-dr-verify-rdb',
      metricsNamespace: props.metricsNamespace,
      environment: { ALERT_TOPIC_ARN: props.alerts.topic.topicArn, REDIS_DR_DEPLOYMENT: props.deployment },
      onFailureQueue: props.deadLetterQueue,
      asyncRetryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    const role = this.verifier.role;
    const objects = this.bucket.bucket.arnForObjects('*');
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndTagCopies',
        actions: [
          's3:GetObject',
          's3:GetObjectVersion',
          's3:GetObjectTagging',
          's3:GetObjectVersionTagging',
          's3:PutObjectTagging',
          's3:PutObjectVersionTagging',
        ],
        resources: [objects],
      }),
    );
    grantAlertPublish(props.alerts, role);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(this.bucket.bucket)}/*]`,
      reason: 'Every object of the DR bucket is a copy to verify; object keys are created by ElastiCache exports at run time.',
    });

    this.rule = new events.Rule(this, 'OnCopy', {
      description: 'redis-dr: verify each .rdb copy as it lands (and again if replication replaced its tags)',
      eventPattern: {
        source: ['aws.s3'],
        detailType: [...VERIFY_EVENT_TYPES],
        detail: {
          bucket: { name: [this.bucket.bucket.bucketName] },
          object: { key: [{ suffix: '.rdb' }] },
        },
      },
    });
    this.rule.addTarget(
      new targets.LambdaFunction(this.verifier.function, {
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
        deadLetterQueue: props.deadLetterQueue,
      }),
    );
  }
}
