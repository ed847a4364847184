import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { denyGrantsButForAwsResources } from './kms-grants.js';

/** Props for {@link AlertTopic}. */
export interface AlertTopicProps {
  /**
   * Addresses subscribed to the topic (each must confirm).
   * @default - none
   */
  readonly emails?: readonly string[];
  /**
   * HTTPS endpoints (paging webhooks) subscribed to the topic.
   * @default - none
   */
  readonly httpsEndpoints?: readonly string[];
  /**
   * Reuse this topic (same region) instead of creating one; subscriptions are
   * then the owner's business.
   * @default - a new topic
   */
  readonly existingTopicArn?: string;
}

/** Services that publish to the topic: alarm actions and EventBridge rules. */
export const ALERT_PUBLISHERS = ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] as const;

/** The stack output naming the region's alert topic (to check its subscriptions after a deploy). */
export const ALERT_TOPIC_OUTPUT = 'AlertTopicArn';

/** The encryption-context condition key SNS's KMS calls carry: the topic's ARN. */
const SNS_TOPIC_CONTEXT = 'kms:EncryptionContext:aws:sns:topicArn';

/**
 * The region's on-call topic. Alarms cannot publish across regions, so each
 * region has one; both reach on-call through the same subscriptions.
 * Encrypted with a customer-managed key whose policy lets CloudWatch (from
 * this account) and EventBridge (for this account's topics in the region:
 * SNS supports no source condition there) publish (the AWS-managed SNS key
 * does not), TLS only.
 */
export class AlertTopic extends Construct {
  /** The topic alarms, rules and functions publish to. */
  public readonly topic: sns.ITopic;
  /** The topic's key, when this construct created the topic. */
  public readonly key?: kms.Key;

  constructor(scope: Construct, id: string, props: AlertTopicProps = {}) {
    super(scope, id);
    if (props.existingTopicArn) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', props.existingTopicArn);
      this.output();
      return;
    }
    this.key = new kms.Key(this, 'Key', {
      description: `redis-dr alerts (${Stack.of(this).region})`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Publishers encrypt with the topic key; SNS calls KMS on their behalf.
    const { partition, region, account } = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlertPublishersCloudWatch',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    // The SNS guide (key management): aws:SourceAccount, aws:SourceArn and aws:SourceOrgID in a key
    // policy are not supported for EventBridge-to-encrypted topics, so a source condition drops every
    // rule delivery. SNS binds its data keys to the topic (encryption context aws:sns:topicArn): this
    // account's topics in this region. Not the topic's own ARN: the key would then depend on the topic
    // that depends on it. The topic policy keeps aws:SourceAccount for sns:Publish.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlertPublishersEventBridge',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { ArnLike: { [SNS_TOPIC_CONTEXT]: `arn:${partition}:sns:${region}:${account}:*` } },
      }),
    );
    // Nothing here needs a grant (CT.KMS.PR.3).
    denyGrantsButForAwsResources(this.key);
    const topic = new sns.Topic(this, 'Topic', {
      displayName: 'redis-dr alerts',
      enforceSSL: true,
      masterKey: this.key,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlertPublishers',
        principals: ALERT_PUBLISHERS.map((p) => new iam.ServicePrincipal(p)),
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    for (const email of props.emails ?? []) topic.addSubscription(new subscriptions.EmailSubscription(email));
    for (const url of props.httpsEndpoints ?? []) topic.addSubscription(new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
    this.topic = topic;
    this.output();
  }

  /** The topic's ARN as the stack output {@link ALERT_TOPIC_OUTPUT} (no export: exports are account-wide names). */
  private output(): void {
    new CfnOutput(this, 'TopicArn', {
      description: 'The alert topic of this region: confirm its subscriptions after the first deploy',
      value: this.topic.topicArn,
    }).overrideLogicalId(ALERT_TOPIC_OUTPUT);
  }
}

/**
 * Lets a function's role publish to the alert topic and use its key, with
 * exactly the two KMS actions SNS needs (not the CDK grant's `GenerateDataKey*`).
 */
export function grantAlertPublish(alerts: AlertTopic, role: iam.IRole): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [alerts.topic.topicArn] }));
  if (alerts.key) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [alerts.key.keyArn] }));
  }
}
