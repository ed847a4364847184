/**
 * `alerts`: settings that would leave pages going nowhere are refused at
 * validation, naming the field, the value and the fix: an existing topic of
 * another region, and subscriptions no stack would make.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';

const NOW = new Date('2026-01-15T00:00:00Z');
const PRIMARY_TOPIC = 'arn:aws:sns:eu-west-1:111122223333:oncall';
const DR_TOPIC = 'arn:aws:sns:eu-central-1:111122223333:oncall';

function problems(alerts: Record<string, unknown>): string[] {
  const result = validateConfig(
    {
      name: 'test',
      primary: { region: 'eu-west-1' },
      dr: { region: 'eu-central-1' },
      alerts,
      plans: [{ name: 'sessions', targets: { replicationGroupIds: ['sessions-prod'] }, schedule: { cron: 'cron(0 0/2 * * ? *)' }, rpoMinutes: 150 }],
    },
    { now: NOW },
  );
  return result.ok ? [] : result.problems;
}

describe('alerts.existingTopicArns', () => {
  it('accepts a topic of each region, with or without emails for the other', () => {
    expect(problems({ existingTopicArns: { primary: PRIMARY_TOPIC, dr: DR_TOPIC } })).toEqual([]);
    expect(problems({ existingTopicArns: { primary: PRIMARY_TOPIC }, emails: ['oncall@example.com'] })).toEqual([]);
  });

  it('refuses a topic of another region (alarms publish only to their own region), naming both regions and the fix', () => {
    expect(problems({ existingTopicArns: { primary: PRIMARY_TOPIC, dr: PRIMARY_TOPIC } })).toEqual([
      `alerts.existingTopicArns.dr must be a topic in dr.region (eu-central-1), got "${PRIMARY_TOPIC}" (eu-west-1): alarms and EventBridge rules publish only to a topic of their own region; give a topic of eu-central-1, or remove it and the stack creates one`,
    ]);
  });

  it('refuses emails and endpoints that would be subscribed to no topic (both topics existing ones)', () => {
    const out = problems({
      existingTopicArns: { primary: PRIMARY_TOPIC, dr: DR_TOPIC },
      emails: ['oncall@example.com'],
      httpsEndpoints: ['https://events.example.com/hook'],
    });
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(
      'alerts.emails would be subscribed to no topic, got ["oncall@example.com"]: both alert topics are existing ones (alerts.existingTopicArns), and the stacks subscribe nobody to a topic they did not create; subscribe these to those topics yourself and remove them here, or remove an existing topic so its stack creates one with them',
    );
    expect(out[1]).toMatch(/^alerts\.httpsEndpoints would be subscribed to no topic, got \["https:\/\/events\.example\.com\/hook"\]: /);
  });

  it("refuses them with a vault of another deployment (vault.deployment): its stack is synthesized from that deployment's config, with no topic of ours", () => {
    const vaulted = (vault: Record<string, unknown>) => {
      const raw = JSON.parse(readFileSync('test/fixtures/config/vault.json', 'utf8')) as Record<string, any>;
      raw.name = 'vaulted-east';
      raw.alerts = { existingTopicArns: { primary: PRIMARY_TOPIC, dr: DR_TOPIC }, emails: ['oncall@example.com'] };
      Object.assign(raw.vault, vault);
      const r = validateConfig(raw);
      return r.ok ? [] : r.problems;
    };
    // Its own vault stack (no vault.deployment, or its own name) creates a topic the emails are subscribed to.
    expect(vaulted({})).toEqual([]);
    expect(vaulted({ organizationId: 'o-abcdefghij', deployment: 'vaulted-east' })).toEqual([]);
    expect(vaulted({ organizationId: 'o-abcdefghij', deployment: 'vaulted' })).toEqual([
      expect.stringMatching(/^alerts\.emails would be subscribed to no topic, got \["oncall@example\.com"\]: /),
    ]);
  });
});
