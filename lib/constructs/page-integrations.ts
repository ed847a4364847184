import { ArnFormat, CfnOutput, Duration, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type Integration, integrationName } from '../../lambdas/domain/alerting/integrations.js';
import { TAGS } from '../../lambdas/domain/plans/types.js';
import { type AlertTopic, grantAlertPublish } from './alert-topic.js';
import { nagPseudoParameters } from './elasticache-arns.js';
import type { RedisDrConfig } from '../config/index.js';
import { JobFunction } from './job-function.js';
import { logRetentionOf } from './log-retention.js';

/** Props for {@link PageIntegrations}. */
export interface PageIntegrationsProps {
  readonly deployment: string;
  /** The region's alert topic: the router subscribes to it and pages delivery failures to it. */
  readonly alerts: AlertTopic;
  /** `alerts.integrations` (at least one). */
  readonly integrations: readonly Integration[];
  readonly deadLetterQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  /** @default 512 */
  readonly memorySizeMb?: number;
}

/** The stack output naming the page router, which `redis-dr selftest` invokes with its TEST page. */
export const PAGE_ROUTER_OUTPUT = 'PageRouterArn';

/** The AWS managed policy that denies everything: the chat channels' guardrail (they only show notifications). */
const DENY_ALL = 'arn:aws:iam::aws:policy/AWSDenyAll';

/**
 * Every page of the region's alert topic, once to each of
 * `alerts.integrations` in its own format. SNS sends one message per
 * protocol, not per subscriber, so the formats cannot share the topic: the
 * page router (a Lambda subscribed to it) renders each page per tool, posts
 * PagerDuty and Opsgenie over HTTPS with the key read from Secrets Manager at
 * run time (no key is in a template), and publishes the chat custom
 * notification to a topic of its own per chat integration, which an Amazon Q
 * Developer channel configuration (Slack or Microsoft Teams) subscribes to.
 */
export class PageIntegrations extends Construct {
  /** The router. */
  public readonly function: JobFunction;
  /** The chat topics, by integration name. */
  public readonly chatTopics: Readonly<Record<string, sns.Topic>>;

  constructor(scope: Construct, id: string, props: PageIntegrationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const named = props.integrations.map((integration, index) => ({ integration, name: integrationName(integration, index) }));
    const chats = named.filter((n) => n.integration.type === 'chatbot');
    // The alert topic's key when this stack made it; a key of our own when the topic is the team's.
    const key =
      chats.length === 0
        ? undefined
        : (props.alerts.key ?? new kms.Key(this, 'ChatKey', { description: `redis-dr chat notifications (${stack.region})`, enableKeyRotation: true }));
    const chatTopics: Record<string, sns.Topic> = {};
    for (const { integration, name } of chats) {
      const topic = new sns.Topic(this, `Chat-${name}`, { displayName: `redis-dr chat ${name}`, enforceSSL: true, masterKey: key });
      chatTopics[name] = topic;
      this.channel(integration as Extract<Integration, { type: 'chatbot' }>, name, topic, props.deployment);
    }
    this.chatTopics = chatTopics;

    this.function = new JobFunction(this, 'Router', {
      handler: 'page-router',
      description: 'redis-dr: deliver each page of the alert topic to PagerDuty, Opsgenie and chat channels, each in its own format',
      timeout: Duration.seconds(60),
      serviceName: 'redis-dr-page-router',
      environment: {
        ONCALL_TOPIC_ARN: props.alerts.topic.topicArn,
        REDIS_DR_DEPLOYMENT: props.deployment,
        PAGE_INTEGRATIONS: JSON.stringify(props.integrations),
        CHAT_TOPICS: stack.toJsonString(Object.fromEntries(Object.entries(chatTopics).map(([n, t]) => [n, t.topicArn]))),
      },
      onFailureQueue: props.deadLetterQueue,
      logRetention: props.logRetention,
      metricsNamespace: props.metricsNamespace,
      memorySizeMb: props.memorySizeMb,
      // SNS retries the invocation; the router pages its own failures, so a retry would repeat pages.
      asyncRetryAttempts: 0,
      maxEventAge: Duration.minutes(30),
    });
    const role = this.function.role;
    grantAlertPublish(props.alerts, role);
    for (const topic of Object.values(chatTopics))
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
    if (key && key !== props.alerts.key)
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }));
    this.grantSecrets(role, [...new Set(named.flatMap((n) => ('secretName' in n.integration ? [n.integration.secretName] : [])))]);

    // No filter policy: SNS would drop every message without the attribute it names, and an alarm's SNS action (the
    // formatter's own error alarm) publishes none. The router leaves out its own failure pages and the selftest's TEST
    // page itself (NOT_ROUTED_KINDS, lambdas/domain/alerting/sns-page.ts).
    props.alerts.topic.addSubscription(new subscriptions.LambdaSubscription(this.function.function, { deadLetterQueue: props.deadLetterQueue }));
    // The operator's policy lets it invoke only a function with this tag (docs/iam/operator-policy.json): the selftest's TEST page.
    Tags.of(this.function.function).add(TAGS.pageRouter, 'true');
    new CfnOutput(this, 'RouterArn', {
      description: 'The page router of this region: redis-dr selftest invokes it with a TEST page for every integration',
      value: this.function.function.functionArn,
    }).overrideLogicalId(PAGE_ROUTER_OUTPUT);
  }

  /** The Amazon Q Developer channel configuration of one chat integration: notifications only, every action denied. */
  private channel(c: Extract<Integration, { type: 'chatbot' }>, name: string, topic: sns.Topic, deployment: string): void {
    const role = new iam.Role(this, `ChannelRole-${name}`, {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: `redis-dr ${deployment}: the ${name} chat channel (notifications only; no permissions)`,
    });
    // Channel configuration names are account-wide: deployment and region keep both stacks' apart.
    const configurationName = `redis-dr-${deployment}-${Stack.of(this).region}-${name}`;
    const common = {
      configurationName,
      iamRoleArn: role.roleArn,
      snsTopicArns: [topic.topicArn],
      guardrailPolicies: [DENY_ALL],
      loggingLevel: 'ERROR',
      userRoleRequired: false,
    };
    if (c.slackChannelId && c.slackWorkspaceId) {
      new chatbot.CfnSlackChannelConfiguration(this, `Slack-${name}`, { ...common, slackWorkspaceId: c.slackWorkspaceId, slackChannelId: c.slackChannelId });
    } else if (c.teamsTenantId && c.teamId && c.teamsChannelId) {
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams-${name}`, {
        ...common,
        teamsTenantId: c.teamsTenantId,
        teamId: c.teamId,
        teamsChannelId: c.teamsChannelId,
      });
    }
  }

  /**
   * `secretsmanager:GetSecretValue` on each named secret of this account and
   * region (`<name>-??????`: Secrets Manager's 6-character suffix, exactly
   * that secret), and `kms:Decrypt` for a secret under a customer managed key,
   * only through Secrets Manager for those secrets.
   */
  private grantSecrets(role: iam.IRole, names: readonly string[]): void {
    if (names.length === 0) return;
    const stack = Stack.of(this);
    const { partition, region, account } = nagPseudoParameters(this);
    const arns = names.map((n) =>
      stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${n}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'IntegrationKeys', actions: ['secretsmanager:GetSecretValue'], resources: arns }));
    const keys = stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'IntegrationKeysDecrypt',
        actions: ['kms:Decrypt'],
        resources: [keys],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:SecretARN': arns },
        },
      }),
    );
    Validations.of(role).acknowledge(
      ...names.map((n) => ({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:secretsmanager:${region}:${account}:secret:${n}-??????]`,
        reason: "An integration's key is named in the config; ?????? matches exactly the 6-character suffix Secrets Manager appends to that one secret's ARN.",
      })),
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:kms:${region}:${account}:key/*]`,
        reason:
          "An integration secret's customer managed KMS key is not in the config; kms:Decrypt is limited to calls Secrets Manager makes for exactly these secrets (kms:ViaService and the SecretARN encryption context).",
      },
    );
  }
}

/** The stack's page integrations, when the config names any (`alerts.integrations`). */
export function addPageIntegrations(scope: Construct, alerts: AlertTopic, config: RedisDrConfig, deadLetterQueue: sqs.IQueue): PageIntegrations | undefined {
  const integrations = config.alerts.integrations ?? [];
  if (integrations.length === 0) return undefined;
  return new PageIntegrations(scope, 'PageIntegrations', {
    deployment: config.name,
    alerts,
    integrations,
    deadLetterQueue,
    logRetention: logRetentionOf(config.lambda.logRetentionDays),
    metricsNamespace: config.metricsNamespace,
    memorySizeMb: config.lambda.memorySizeMb,
  });
}
