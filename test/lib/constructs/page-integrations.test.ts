/**
 * alerts.integrations in the templates: a config with PagerDuty, Opsgenie and
 * a Slack and a Teams channel gives each region a page router subscribed to
 * its alert topic (its own failure pages filtered out), one encrypted topic
 * and channel configuration per chat integration (notifications only), key
 * reads scoped to the named secrets, and no key in any template; it passes
 * cdk-nag (synth throws otherwise), cfn-lint and the Control Tower rules the
 * governed fixture holds to. A config without integrations gets none of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../../lib/config/index.js';
import { controlTowerFindings } from '../../support/governance.js';
import { CONTROL_TOWER_EXCEPTIONS } from '../../support/governance-expectations.js';
import { basicConfig, synthesize } from '../../support/synth.js';
import { cfnLint } from '../../support/cfn-lint.js';

const INTEGRATIONS = [
  { type: 'pagerduty', secretName: 'redis-dr/pagerduty', serviceRegion: 'us' },
  { type: 'opsgenie', secretName: 'redis-dr/opsgenie', serviceRegion: 'eu' },
  { type: 'chatbot', name: 'slack', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' },
  {
    type: 'chatbot',
    name: 'teams',
    teamsTenantId: '11111111-2222-4333-8444-555555555555',
    teamId: '21111111-2222-4333-8444-555555555555',
    teamsChannelId: '19%3aabc%40thread.tacv2',
  },
] as const;

/** The governed fixture (every governed-account setting on) with integrations. */
function governedWithIntegrations(): RedisDrConfig {
  const config = loadConfig(join(__dirname, '..', '..', 'fixtures', 'config', 'governed.json'));
  return { ...config, alerts: { ...config.alerts, integrations: [...INTEGRATIONS] } } as RedisDrConfig;
}

const synth = synthesize(governedWithIntegrations());
const templates: [string, Template][] = [
  ['primary', synth.primary],
  ['dr', synth.dr],
];

describe.each(templates)('alerts.integrations, %s stack', (_where, template) => {
  // SNS drops a message without the attribute a filter policy names (even `exists: false` needs some attribute), and
  // the formatter's own error alarm publishes to the topic with none: the router leaves its own kinds out itself.
  it('subscribes one page router to the alert topic with no filter policy (an alarm notification has no attributes), failures to the DLQ', () => {
    expect(Object.keys(template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'lambda' } }))).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: Match.stringLikeRegexp('^AlertsTopic') },
      FilterPolicy: Match.absent(),
      RedrivePolicy: Match.objectLike({ deadLetterTargetArn: Match.anyValue() }),
    });
  });

  it('names the router in an output and tags it: the selftest invokes it, and the operator may invoke no other function', () => {
    const [logicalId] = Object.keys(
      template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { PAGE_INTEGRATIONS: Match.anyValue() } } } }),
    );
    template.hasOutput('PageRouterArn', { Value: { 'Fn::GetAtt': [logicalId, 'Arn'] } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { PAGE_INTEGRATIONS: Match.anyValue() } },
      Tags: Match.arrayWith([{ Key: 'redis-dr:page-router', Value: 'true' }]),
    });
    expect(
      Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Tags: Match.arrayWith([{ Key: 'redis-dr:page-router', Value: 'true' }]) } })),
    ).toEqual([logicalId]);
  });

  it('hands the router the integrations by secret name and each chat topic by name', () => {
    const fn = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { PAGE_INTEGRATIONS: Match.anyValue() } } } }),
    );
    expect(fn).toHaveLength(1);
    const env = (fn[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    expect(JSON.parse(env.PAGE_INTEGRATIONS as string)).toEqual(INTEGRATIONS);
    expect(JSON.stringify(env.CHAT_TOPICS)).toMatch(/slack.*teams/);
  });

  it('creates an encrypted, TLS-only topic and a notifications-only channel configuration per chat integration', () => {
    const chatTopics = template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: Match.stringLikeRegexp('^redis-dr chat ') } });
    expect(Object.keys(chatTopics)).toHaveLength(2);
    for (const t of Object.values(chatTopics)) expect((t as { Properties: { KmsMasterKeyId?: unknown } }).Properties.KmsMasterKeyId).toBeDefined();
    const channel = {
      GuardrailPolicies: ['arn:aws:iam::aws:policy/AWSDenyAll'],
      LoggingLevel: 'ERROR',
      UserRoleRequired: false,
      SnsTopicArns: [{ Ref: Match.anyValue() }],
    };
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ...channel,
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCD',
      ConfigurationName: Match.stringLikeRegexp('^redis-dr-governed-[a-z0-9-]+-slack$'),
    });
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ...channel,
      TeamId: INTEGRATIONS[3].teamId,
      TeamsChannelId: '19%3aabc%40thread.tacv2',
    });
    // The channel roles hold no permission: the channel only shows notifications.
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' } })] } },
    });
    expect(Object.keys(roles)).toHaveLength(2);
    for (const r of Object.values(roles)) expect((r as { Properties: Record<string, unknown> }).Properties.Policies).toBeUndefined();
  });

  it('lets the router read exactly the named secrets, publish to its chat topics and the alert topic', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':secret:redis-dr/pagerduty-??????');
    expect(policies).toContain(':secret:redis-dr/opsgenie-??????');
    expect(policies).not.toMatch(/secretsmanager:GetSecretValue[^}]*"Resource":"\*"/);
  });
});

describe('alerts.integrations, whole deployment', () => {
  it('puts no key in any template (only secret names) and no API key header', () => {
    for (const file of synth.templateFiles) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/GenieKey|routing_key/);
    }
  });

  it("is clean under cfn-lint (W3005, CDK's DependsOn noise, ignored)", async () => {
    expect(await cfnLint(synth.templateFiles)).toEqual({ status: 0, output: '' });
  }, 300_000);

  it('fails no Control Tower control but the documented exceptions of the governed fixture', () => {
    const findings = controlTowerFindings(synth.templateFiles);
    expect(findings.filter((f) => !CONTROL_TOWER_EXCEPTIONS.some((e) => e.control === f.control && e.resources.test(f.logicalId)))).toEqual([]);
  }, 300_000);

  it('without integrations, there is no router, chat topic or channel', () => {
    const basic = synthesize(basicConfig());
    for (const template of [basic.primary, basic.dr]) {
      template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
      expect(Object.keys(template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'lambda' } }))).toEqual([]);
      expect(
        Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { PAGE_INTEGRATIONS: Match.anyValue() } } } })),
      ).toEqual([]);
    }
  });
});
