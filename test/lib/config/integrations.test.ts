/**
 * `alerts.integrations`: PagerDuty, Opsgenie and Amazon Q Developer (Slack or
 * Teams) accepted with their defaults; an unknown type, a missing secret
 * name, a chat integration without a whole channel refused with the fix.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';

const NOW = new Date('2026-01-15T00:00:00Z');

function config(integrations: unknown): Record<string, unknown> {
  return {
    name: 'test',
    primary: { region: 'eu-west-1' },
    dr: { region: 'eu-central-1' },
    alerts: { integrations },
    plans: [{ name: 'sessions', targets: { replicationGroupIds: ['sessions-prod'] }, schedule: { cron: 'cron(0 0/2 * * ? *)' }, rpoMinutes: 150 }],
  };
}

function problems(integrations: unknown): string[] {
  const result = validateConfig(config(integrations), { now: NOW });
  return result.ok ? [] : result.problems;
}

describe('alerts.integrations', () => {
  it('accepts one of each type, filling the service region', () => {
    const teams = {
      teamsTenantId: '11111111-2222-4333-8444-555555555555',
      teamId: '21111111-2222-4333-8444-555555555555',
      teamsChannelId: '19%3aabc%40thread.tacv2',
    };
    const given = [
      { type: 'pagerduty', secretName: 'redis-dr/pagerduty' },
      { type: 'opsgenie', secretName: 'redis-dr/opsgenie', serviceRegion: 'eu' },
      { type: 'chatbot', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' },
      { type: 'chatbot', name: 'teams', ...teams },
    ];
    const result = validateConfig(config(given), { now: NOW });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.alerts.integrations).toEqual([{ ...given[0], serviceRegion: 'us' }, ...given.slice(1)]);
  });

  it('leaves the config without integrations as it was (no default added)', () => {
    const result = validateConfig({ ...config([]), alerts: {} }, { now: NOW });
    expect(result.ok && result.config.alerts.integrations).toBeUndefined();
  });

  it.each([
    [
      'an unknown type',
      [{ type: 'slack', channel: '#oncall' }],
      'alerts.integrations[0].type must be one of "pagerduty", "opsgenie", "chatbot", got "slack": Slack and Microsoft Teams are "chatbot" (Amazon Q Developer in chat applications); other tools take the alert topic\'s httpsEndpoints',
    ],
    ['no type', [{ secretName: 'x' }], 'alerts.integrations[0].type needs a "type": one of "pagerduty", "opsgenie", "chatbot"'],
    [
      'a PagerDuty integration without a secret name',
      [{ type: 'pagerduty' }],
      'alerts.integrations[0].secretName is required: name the Secrets Manager secret (this account; in the DR region too, e.g. as a replica) whose value is the integration key (routing key) of an Events API v2 integration of the PagerDuty service, e.g. "redis-dr/pagerduty": the key is read when a page is sent, never put in a template',
    ],
    [
      'an Opsgenie integration with the key itself instead of a secret name',
      [{ type: 'opsgenie', secretName: 'abc def' }],
      /^alerts\.integrations\[0\]\.secretName must be a Secrets Manager secret name \(letters, digits, \/_\+=\.@-\), got "abc def": name the Secrets Manager secret/,
    ],
    [
      'a Slack channel without its workspace',
      [{ type: 'chatbot', slackChannelId: 'C0123ABCD' }],
      'alerts.integrations[0].slackWorkspaceId is required for Slack: give slackWorkspaceId and slackChannelId for Slack, or teamsTenantId, teamId and teamsChannelId for Microsoft Teams (one channel per integration)',
    ],
    [
      'a Teams channel id decoded',
      [
        {
          type: 'chatbot',
          teamsTenantId: '11111111-2222-4333-8444-555555555555',
          teamId: '21111111-2222-4333-8444-555555555555',
          teamsChannelId: '19:abc@thread.tacv2',
        },
      ],
      /^alerts\.integrations\[0\]\.teamsChannelId must be a Teams channel id as the channel link has it, URL-encoded \(19%3a…%40thread\.tacv2\), got "19:abc@thread\.tacv2"/,
    ],
    ['a chat integration naming no channel', [{ type: 'chatbot' }], /^alerts\.integrations\[0\] names no channel: give slackWorkspaceId/],
    [
      'a channel name instead of its id',
      [{ type: 'chatbot', slackWorkspaceId: 'T0123ABCD', slackChannelId: '#oncall' }],
      /^alerts\.integrations\[0\]\.slackChannelId must be a Slack channel id/,
    ],
    [
      'two integrations of one name',
      [
        { type: 'pagerduty', secretName: 'a' },
        { type: 'pagerduty', secretName: 'b', name: 'pagerduty-1' },
      ],
      'alerts.integrations[1].name repeats the name "pagerduty-1": give each integration a name of its own',
    ],
    [
      'a PagerDuty service region that does not exist',
      [{ type: 'pagerduty', secretName: 'a', serviceRegion: 'ap' }],
      /^alerts\.integrations\[0\]\.serviceRegion must be "us" or "eu", got "ap"/,
    ],
    ['an unknown setting', [{ type: 'pagerduty', secretName: 'a', routingKey: 'k' }], /^alerts\.integrations\[0\]\.routingKey is not a known setting/],
  ])('refuses %s, naming the fix', (_what, integrations, expected) => {
    const found = problems(integrations);
    expect(found).toHaveLength(1);
    if (typeof expected === 'string') expect(found[0]).toBe(expected);
    else expect(found[0]).toMatch(expected);
  });
});
