import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pendingSubscriptionsCommand, subscriptionLines, synthSummary } from '../../lib/synth-summary.js';
import { exampleConfig } from '../support/synth.js';

const config = exampleConfig();
const withAlerts = (alerts: Partial<typeof config.alerts>) => ({ ...config, alerts: { ...config.alerts, ...alerts } });

describe('synth summary: the alert subscriptions to confirm after the deploy', () => {
  it('says to confirm the email subscriptions of both topics (deleted when still pending after 48 h), with the command that lists the pending ones per region', () => {
    const lines = synthSummary(config, [], 0).trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('  after deploying, confirm'));
    expect(lines[at]).toBe(
      `  after deploying, confirm the 1 email subscription(s) of both alert topics (primary ${config.primary.region}, DR ${config.dr.region}): ` +
        'each address gets one link per topic and is paged only once confirmed; SNS deletes a subscription still pending after 48 hours. Still pending:',
    );
    expect(lines.slice(at + 1)).toEqual([
      `    ${pendingSubscriptionsCommand(config.primary.region, `RedisDr-${config.name}-Primary`)}`,
      `    ${pendingSubscriptionsCommand(config.dr.region, `RedisDr-${config.name}-Dr`)}`,
    ]);
  });

  it('the command reads the topic from the stack output AlertTopicArn and filters PendingConfirmation', () => {
    expect(pendingSubscriptionsCommand('eu-west-1', 'RedisDr-prod-Primary')).toBe(
      'aws sns list-subscriptions-by-topic --region eu-west-1 --topic-arn ' +
        `"$(aws cloudformation describe-stacks --region eu-west-1 --stack-name RedisDr-prod-Primary --query "Stacks[0].Outputs[?OutputKey=='AlertTopicArn'].OutputValue" --output text)" ` +
        `--query "Subscriptions[?SubscriptionArn=='PendingConfirmation'].Endpoint"`,
    );
  });

  it('the command is one shell command line (bash parses it: quotes and the substitution balance)', () => {
    execFileSync('bash', ['-n', '-c', pendingSubscriptionsCommand('eu-west-1', 'RedisDr-prod-Primary')]);
  });

  it("leaves out a region whose topic is an existing one (its subscriptions are its owner's), and says nothing when both are", () => {
    const dr = 'arn:aws:sns:eu-central-1:111122223333:oncall';
    const lines = subscriptionLines(withAlerts({ existingTopicArns: { dr } }));
    expect(lines[0]).toContain(`the alert topic (primary ${config.primary.region})`);
    expect(lines).toHaveLength(2);
    expect(subscriptionLines(withAlerts({ existingTopicArns: { primary: 'arn:aws:sns:eu-west-1:111122223333:oncall', dr } }))).toEqual([]);
  });

  it('warns when nobody is subscribed at all', () => {
    expect(subscriptionLines(withAlerts({ emails: [], httpsEndpoints: [] }))).toEqual([
      `  no alert subscriptions (alerts.emails, alerts.httpsEndpoints): the alarms of primary ${config.primary.region} and DR ${config.dr.region} page nobody`,
    ]);
  });

  it('with integrations and no subscription, says the alarms page only through those tools, not that they page nobody', () => {
    const integrations = [{ type: 'pagerduty' as const, secretName: 'redis-dr/pagerduty', serviceRegion: 'us' as const }];
    expect(subscriptionLines(withAlerts({ emails: [], httpsEndpoints: [], integrations }))).toEqual([
      `  no alert subscriptions (alerts.emails, alerts.httpsEndpoints): the alarms of primary ${config.primary.region} and DR ${config.dr.region} page only through the 1 alerts.integrations tool(s); a page none of them takes goes to the page router's dead-letter queue and its error alarm, which pages through the same tools`,
    ]);
  });
});

describe('synth summary: a vault in another account', () => {
  const vaulted = {
    ...config,
    primary: { ...config.primary, account: '111111111111' },
    vault: { account: '222222222222', region: 'eu-central-1' as const, retentionDays: 400, replicationTimeControl: false },
  };

  const steps = [
    "    1. vault first, with account 222222222222's own credentials (its CDK bootstrap trusts no workload account: no --trust 111111111111): " +
      'npx cdk deploy --all -c config=config/prod.json -c stacks=vault --profile <vault profile>',
    "    2. then the workload stacks, with account 111111111111's credentials: npx cdk deploy --all -c config=config/prod.json --profile <workload profile>",
  ];

  it('of the workload synth: says it holds Primary and DR only, and which command deploys what with which credentials, the vault first', () => {
    const lines = synthSummary(vaulted, [], 0, { configFile: 'config/prod.json' }).trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('  vault: '));
    expect(lines.slice(at, at + 3)).toEqual([
      `  vault: this synth holds RedisDr-${config.name}-Dr and RedisDr-${config.name}-Primary (account 111111111111); RedisDr-${config.name}-Vault (account 222222222222) is synthesized apart with -c stacks=vault:`,
      ...steps,
    ]);
    expect(synthSummary(config, [], 0)).not.toContain('vault');
  });

  it('of the vault synth (-c stacks=vault): says it holds the vault stack alone, with the same two commands', () => {
    const lines = synthSummary(vaulted, [], 0, { stacks: 'vault', configFile: 'config/prod.json' }).trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('  vault: '));
    expect(lines.slice(at, at + 3)).toEqual([
      `  vault: this synth holds RedisDr-${config.name}-Vault alone (account 222222222222); RedisDr-${config.name}-Dr and RedisDr-${config.name}-Primary (account 111111111111) come from a synth without -c stacks=vault:`,
      ...steps,
    ]);
  });

  it("lists the vault's alert topic in the vault synth, the workload's two in the workload synth", () => {
    const vaultLines = subscriptionLines(vaulted, 'vault');
    expect(vaultLines[0]).toContain('of the alert topic (vault eu-central-1)');
    expect(vaultLines.at(-1)).toBe(`    ${pendingSubscriptionsCommand('eu-central-1', `RedisDr-${config.name}-Vault`)}`);
    expect(subscriptionLines(vaulted)[0]).toContain('of both alert topics (primary eu-west-1, DR eu-central-1)');
  });
});

describe("the verifier's concurrency cap (issue 53 item 5)", () => {
  it('names the reservation, the quota it needs and the way out; nothing when unreserved', () => {
    expect(synthSummary(config, [], 0)).toContain(
      "  verify-rdb (eu-central-1): reserves 10 concurrent executions (lambda.verifyConcurrency), its cap: the account's Lambda concurrency quota there must be at least 110",
    );
    const unreserved = { ...config, lambda: { ...config.lambda, verifyConcurrency: 'unreserved' as const } };
    expect(synthSummary(unreserved, [], 0)).not.toContain('verify-rdb');
  });
});
