import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { exampleConfig, synthesize, type Synthesized } from '../../support/synth.js';

describe('AlertTopic', () => {
  let synth: Synthesized;
  let config: RedisDrConfig;
  beforeAll(() => {
    const base = exampleConfig();
    config = { ...base, alerts: { ...base.alerts, httpsEndpoints: ['https://events.pagerduty.example/integration/abc'] } };
    synth = synthesize(config);
  });
  afterAll(() => synth.cleanup());

  it.each(['primary', 'dr'] as const)('%s: one topic, KMS-encrypted with its own key, TLS only', (which) => {
    const template = synth[which];
    const topics = Object.entries(template.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const keyId = topics[0]![1].Properties.KmsMasterKeyId;
    expect(keyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AlertsKey/), 'Arn'] });
    const statements = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0]!.Properties.PolicyDocument.Statement as Record<string, any>[];
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'AlertPublishers',
        Effect: 'Allow',
        Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });

  it.each(['primary', 'dr'] as const)('%s: the key lets CloudWatch and EventBridge publish (the AWS-managed SNS key would not), and rotates', (which) => {
    const keys = alertKeys(synth[which]);
    expect(keys).toHaveLength(1);
    expect(keys[0]!.Properties.EnableKeyRotation).toBe(true);
    const statements = keys[0]!.Properties.KeyPolicy.Statement as Record<string, any>[];
    expect(statements).toContainEqual({
      Sid: 'AlertPublishersCloudWatch',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    expect(statements).toContainEqual({
      Sid: 'AlertPublishersEventBridge',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        ArnLike: {
          // This account's topics in the key's region (the stack's region is known at synth).
          'kms:EncryptionContext:aws:sns:topicArn': { 'Fn::Join': ['', [`arn:aws:sns:${config[which].region}:`, { Ref: 'AWS::AccountId' }, ':*']] },
        },
      },
    });
  });

  it.each(['primary', 'dr'] as const)(
    '%s: no key statement for EventBridge carries a source condition (SNS: not supported for EventBridge-to-encrypted topics; deliveries would be dropped)',
    (which) => {
      const statements = Object.values(synth[which].findResources('AWS::KMS::Key'))[0]!.Properties.KeyPolicy.Statement as Record<string, any>[];
      const forEvents = statements.filter((st) => JSON.stringify(st.Principal ?? {}).includes('events.amazonaws.com'));
      expect(forEvents.length).toBeGreaterThan(0);
      for (const st of forEvents) {
        const keys = Object.values((st.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((c) => Object.keys(c));
        expect(
          keys.filter((k) => /^aws:Source(Account|Arn|OrgID)$/i.test(k)),
          st.Sid,
        ).toEqual([]);
      }
    },
  );

  it.each(['primary', 'dr'] as const)('%s: names the topic in the stack output AlertTopicArn (no export), for checking its subscriptions', (which) => {
    const outputs = synth[which].toJSON().Outputs as Record<string, { Value: unknown; Export?: unknown }>;
    const topicId = Object.keys(synth[which].findResources('AWS::SNS::Topic'))[0]!;
    expect(outputs.AlertTopicArn).toMatchObject({ Value: { Ref: topicId } });
    expect(outputs.AlertTopicArn!.Export).toBeUndefined();
  });

  it.each(['primary', 'dr'] as const)('%s: subscribes every configured email and HTTPS endpoint', (which) => {
    const subs = Object.values(synth[which].findResources('AWS::SNS::Subscription')).map((s) => [s.Properties.Protocol, s.Properties.Endpoint]);
    expect(subs.sort()).toEqual([...config.alerts.emails.map((e) => ['email', e]), ...config.alerts.httpsEndpoints.map((u) => ['https', u])].sort());
  });

  it('reuses an existing topic per region instead of creating one', () => {
    const base = exampleConfig();
    const reuse = synthesize({
      ...base,
      alerts: {
        ...base.alerts,
        existingTopicArns: { primary: 'arn:aws:sns:eu-west-1:111122223333:oncall', dr: 'arn:aws:sns:eu-central-1:111122223333:oncall' },
      },
    });
    try {
      for (const template of [reuse.primary, reuse.dr]) {
        template.resourceCountIs('AWS::SNS::Topic', 0);
        expect(alertKeys(template)).toEqual([]);
      }
      expect((reuse.dr.toJSON().Outputs as Record<string, { Value: unknown }>).AlertTopicArn!.Value).toBe('arn:aws:sns:eu-central-1:111122223333:oncall');
      const env = Object.values(reuse.dr.findResources('AWS::Lambda::Function'))[0]!.Properties.Environment.Variables;
      expect(env.ALERT_TOPIC_ARN).toBe('arn:aws:sns:eu-central-1:111122223333:oncall');
    } finally {
      reuse.cleanup();
    }
  });
});

/** The stack's symmetric keys (the alert topic's); the DR stack's evidence key (ECC_NIST_P256, SIGN_VERIFY) is not one. */
function alertKeys(template: Template): Record<string, any>[] {
  return Object.values(template.findResources('AWS::KMS::Key')).filter((k) => k.Properties.KeySpec === undefined);
}
