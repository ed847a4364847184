import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REPORTS_PREFIX } from '../../../lambdas/domain/report/input.js';
import { nagPseudoParameters } from '../elasticache-arns.js';
import { recoveryBucketName as bucketName, verifiedCopyRuleName } from '../../deployment.js';
import { recoveryBucketName } from '../recovery-bucket.js';
import { JobFunction } from '../job-function.js';

/** Props of {@link VerifiedCopyRule}. */
export interface VerifiedCopyRuleProps {
  /** The deployment's name (the DR bucket's and the rule's). */
  readonly deployment: string;
  /** The DR region: its bucket holds the scheduled reports the rule reads. */
  readonly drRegion: string;
  /** Also import a Security Hub finding per cache × control (Security Hub must be enabled in the account and region). */
  readonly securityHub: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
}

/**
 * The AWS Config custom rule `redis-dr-<deployment>-verified-copy` in the
 * primary region: once a day, each replication group COMPLIANT when the
 * account's newest redis-dr report verified its DR copy within the RPO,
 * NON_COMPLIANT otherwise (with why), NOT_APPLICABLE where no DR copy is
 * possible (lambdas/domain/org/cache-verdicts.ts). Periodic, not on
 * configuration changes: what it judges (a copy's age) changes with time,
 * not with the cache's configuration. Optionally the same verdicts, per
 * control, as Security Hub findings. Its role reads the caches, lists and
 * reads `reports/` of the DR bucket only, and answers Config (and Security
 * Hub's default product of this account, when on).
 */
export class VerifiedCopyRule extends Construct {
  public readonly rule: config.CfnConfigRule;
  public readonly function: JobFunction;

  constructor(scope: Construct, id: string, props: VerifiedCopyRuleProps) {
    super(scope, id);
    const bucket = recoveryBucketName(this, props.deployment, props.drRegion);
    this.function = new JobFunction(this, 'Evaluate', {
      handler: 'verified-copy-rule',
      description: 'redis-dr: AWS Config rule, each cache protected with a verified DR copy within its RPO (from the newest report)',
      timeout: Duration.minutes(5),
      serviceName: 'redis-dr-verified-copy-rule',
      metricsNamespace: props.metricsNamespace,
      logRetention: props.logRetention,
      environment: { REPORTS_BUCKET: bucket, DR_REGION: props.drRegion, SECURITY_HUB: String(props.securityHub) },
      // Config runs the rule again on its next period: a retry of the same run adds nothing.
      asyncRetryAttempts: 0,
      maxEventAge: Duration.hours(1),
    });
    this.grant(bucket, props);
    // The L1, not config.CustomRule: the L2 attaches AWSConfigRulesExecutionRole (config:Put* on *, reads of every
    // bucket's config snapshots) to the function's role; the rule needs PutEvaluations alone.
    const permission = new lambda.CfnPermission(this, 'ConfigInvokes', {
      action: 'lambda:InvokeFunction',
      functionName: this.function.function.functionArn,
      principal: 'config.amazonaws.com',
      sourceAccount: Stack.of(this).account,
    });
    this.rule = new config.CfnConfigRule(this, 'Rule', {
      configRuleName: verifiedCopyRuleName(props.deployment),
      description: 'Each ElastiCache replication group is protected by redis-dr with a verified copy in the DR region within its RPO (redis-dr report).',
      maximumExecutionFrequency: 'TwentyFour_Hours',
      source: {
        owner: 'CUSTOM_LAMBDA',
        sourceIdentifier: this.function.function.functionArn,
        sourceDetails: [{ eventSource: 'aws.config', messageType: 'ScheduledNotification', maximumExecutionFrequency: 'TwentyFour_Hours' }],
      },
    });
    this.rule.node.addDependency(permission);
  }

  private grant(bucket: string, { deployment, drRegion, securityHub }: VerifiedCopyRuleProps): void {
    const role = this.function.role;
    const { partition, region, account } = Stack.of(this);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListCaches',
        actions: ['elasticache:DescribeReplicationGroups', 'elasticache:DescribeServerlessCaches', 'tag:GetResources'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListReports',
        actions: ['s3:ListBucket'],
        resources: [`arn:${partition}:s3:::${bucket}`],
        conditions: { StringLike: { 's3:prefix': [`${REPORTS_PREFIX}*`] } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ReadReports', actions: ['s3:GetObject'], resources: [`arn:${partition}:s3:::${bucket}/${REPORTS_PREFIX}*`] }),
    );
    role.addToPolicy(new iam.PolicyStatement({ sid: 'AnswerConfig', actions: ['config:PutEvaluations'], resources: ['*'] }));
    if (securityHub) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ImportFindings',
          actions: ['securityhub:BatchImportFindings'],
          resources: [`arn:${partition}:securityhub:${region}:${account}:product/${account}/default`],
        }),
      );
    }
    const nag = nagPseudoParameters(this);
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'elasticache:Describe* without an id and tag:GetResources list the region (no resource-level permission); config:PutEvaluations has no resource type; X-Ray as every function.',
      },
      {
        // As cdk-nag prints it: in an account-agnostic stack (a StackSet's member) the bucket's account is <AWS::AccountId>.
        id: `AwsSolutions-IAM5[Resource::arn:${nag.partition}:s3:::${bucketName(deployment, nag.account, drRegion)}/${REPORTS_PREFIX}*]`,
        reason: 'The rule reads the scheduled reports (named by period and date) under reports/ of the DR bucket, nothing else.',
      },
    );
  }
}
