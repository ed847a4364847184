import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * The region's alert topic, minimal for now: encrypted, TLS only. Functions
 * publish pages to it (e.g. a corrupt DR copy). The alerting capability adds
 * its key policy for CloudWatch/EventBridge, subscriptions and alarms.
 */
export class AlertTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'redis-dr alerts',
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
  }
}
