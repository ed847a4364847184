import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations as CoreAnnotations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { WARNING_IDS } from '../../lib/annotations.js';
import { RedisDr, RedisDrVault, type RedisDrProps } from '../../lib/redis-dr.js';
import { quietApp } from '../support/synth.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'config');
const ROOT = join(__dirname, '..', '..');
const props = (file: string, change: (p: any) => void = () => {}): RedisDrProps => {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  change(p);
  return p as RedisDrProps;
};
const fixture = (name: string, change?: (p: any) => void) => props(join(FIXTURES, `${name}.json`), change);
const workload = (p: RedisDrProps) => new RedisDr(quietApp(), 'RedisDr', p);
/**
 * Config basic's stacks, built and synthesized once for the cases that only read their annotations (five builds
 * and synths were about 0.4 CPU-s more); a case that changes its stacks (acknowledges a warning) builds its own.
 */
let basicOnce: RedisDr | undefined;
const basic = (): RedisDr => {
  basicOnce ??= workload(fixture('basic'));
  return basicOnce;
};
const text = (pattern: string) => Match.stringLikeRegexp(pattern);
const messages = (found: { entry: { data?: unknown } }[]) => found.map((f) => String(f.entry.data));

describe('RedisDr annotations: what the synth summary says, on the construct it concerns', () => {
  it('warns on the snapshot schedule of a plan that neither probes nor exports (no FLUSHALL tripwire), and only for that plan', () => {
    const { primary } = basic();
    const warnings = messages(Annotations.fromStack(primary).findWarning('*', text('keyspace-collapse tripwire')));
    expect(warnings).toEqual([
      `no keyspace-collapse tripwire for plan queues: nothing counts its keys, so a FLUSHALL's empty snapshots would rotate the good ones out; enable probe (or export) for it [ack: ${WARNING_IDS.noCollapseTripwire}]`,
    ]);
    Annotations.fromStack(primary).hasWarning(`/${primary.stackName}/Snapshots`, text('plan queues'));
  });

  it('no tripwire warning when every plan exports or probes', () => {
    const { primary } = workload(
      fixture('basic', (p) => {
        p.plans[1].export = { enabled: true };
      }),
    );
    Annotations.fromStack(primary).hasNoWarning('*', text('tripwire'));
  });

  it('states the network prerequisites per region: the route as info, the security groups’ self-ingress as a warning', () => {
    const { primary, dr } = workload(fixture('drills'));
    const annotations = Annotations.fromStack(primary);
    annotations.hasWarning(
      `/${primary.stackName}`,
      text(`network: security group\\(s\\) sg-0123456789abcdef0 cannot be inspected at synth.*\\[ack: ${WARNING_IDS.securityGroupSelfIngress}\\]`),
    );
    annotations.hasInfo(`/${primary.stackName}`, text('^network \\(eu-west-1; probe, drill verification\\): the subnets need a NAT route to Secrets Manager'));
    // drills.json drills in both regions: the DR stack states its own network's.
    Annotations.fromStack(dr).hasWarning(`/${dr.stackName}`, text('^dr.network: security group'));
  });

  it('no network annotation for a deployment without functions in a VPC', () => {
    const { primary, dr } = basic();
    for (const stack of [primary, dr]) {
      Annotations.fromStack(stack).hasNoWarning('*', text('cannot be inspected'));
      Annotations.fromStack(stack).hasNoInfo('*', text('Secrets Manager'));
    }
  });

  it('tells to confirm the subscriptions of each alert topic it creates, with the command listing the pending ones', () => {
    const { primary, dr } = basic();
    Annotations.fromStack(primary).hasInfo(
      `/${primary.stackName}/Alerts`,
      text(
        '^after deploying, confirm the 1 email subscription\\(s\\) of the primary alert topic \\(eu-west-1\\).*aws sns list-subscriptions-by-topic --region eu-west-1',
      ),
    );
    Annotations.fromStack(dr).hasInfo(`/${dr.stackName}/Alerts`, text('of the DR alert topic \\(eu-central-1\\)'));
  });

  it('warns that the alarms page nobody without subscriptions, and says nothing of a topic it does not create', () => {
    const unsubscribed = workload(
      fixture('basic', (p) => {
        p.alerts = { emails: [] };
      }),
    );
    Annotations.fromStack(unsubscribed.primary).hasWarning(
      `/${unsubscribed.primary.stackName}/Alerts`,
      `no alert subscriptions (alerts.emails, alerts.httpsEndpoints): the alarms of primary eu-west-1 page nobody [ack: ${WARNING_IDS.noAlertSubscriptions}]`,
    );
    const routed = workload(
      fixture('basic', (p) => {
        p.alerts = { emails: [], integrations: [{ type: 'pagerduty', secretName: 'redis-dr/pagerduty' }] };
      }),
    );
    Annotations.fromStack(routed.primary).hasWarning(
      `/${routed.primary.stackName}/Alerts`,
      `no alert subscriptions (alerts.emails, alerts.httpsEndpoints): the alarms of primary eu-west-1 page only through the 1 alerts.integrations tool(s); a page none of them takes goes to the page router's dead-letter queue and its error alarm, which pages through the same tools [ack: ${WARNING_IDS.noAlertSubscriptions}]`,
    );
    const existing = workload(
      fixture('basic', (p) => {
        // Emails with an existing topic in both regions would be subscribed to nothing: refused (test/lib/config/alerts.test.ts).
        p.alerts.emails = [];
        p.alerts.existingTopicArns = {
          primary: 'arn:aws:sns:eu-west-1:111122223333:oncall',
          dr: 'arn:aws:sns:eu-central-1:111122223333:oncall',
        };
      }),
    );
    for (const stack of [existing.primary, existing.dr]) {
      Annotations.fromStack(stack).hasNoInfo('*', text('confirm'));
      Annotations.fromStack(stack).hasNoWarning('*', text('page nobody'));
    }
  });

  it('says which credentials deploy which stack when there is a vault, on the workload stacks and on the vault stack', () => {
    const p = fixture('vault');
    const { primary, dr } = workload(p);
    for (const stack of [primary, dr]) {
      Annotations.fromStack(stack).hasInfo(
        `/${stack.stackName}`,
        text(
          "^vault: this stack is deployed with account 111111111111's credentials; deploy RedisDr-vaulted-Vault first, from an app of its own \\(RedisDrVault\\), with account 222222222222's own credentials and a CDK bootstrap that trusts no workload account",
        ),
      );
    }
    const { vault } = new RedisDrVault(quietApp(), 'RedisDrVault', p);
    Annotations.fromStack(vault).hasInfo(`/${vault.stackName}`, text("^vault: this stack is deployed first, with account 222222222222's own credentials"));
    Annotations.fromStack(vault).hasInfo(`/${vault.stackName}/Alerts`, text('of the vault alert topic \\(eu-central-1\\)'));
  });

  it('no vault annotation without a vault', () => {
    const { primary } = basic();
    Annotations.fromStack(primary).hasNoInfo('*', text('^vault:'));
  });

  it('warns of an example config and of placeholder values; a real config gets neither', () => {
    const example = workload(props(join(ROOT, 'config', 'example.json')));
    // Once per synth, on the primary stack: the same warning on both stacks printed twice.
    Annotations.fromStack(example.primary).hasWarning(
      `/${example.primary.stackName}`,
      text(`^EXAMPLE config \\("example": true\\).*\\[ack: ${WARNING_IDS.exampleConfig}\\]`),
    );
    Annotations.fromStack(example.dr).hasNoWarning('*', text('EXAMPLE'));
    Annotations.fromStack(example.primary).hasWarning(`/${example.primary.stackName}`, text('^before deploying, replace the placeholder values of: network'));
    const real = basic();
    Annotations.fromStack(real.primary).hasNoWarning('*', text('EXAMPLE|placeholder'));
  });

  it('a warning the team has dealt with is acknowledged by its id (and no longer fails cdk synth --strict)', () => {
    const { primary } = workload(fixture('basic'));
    CoreAnnotations.of(primary).acknowledgeWarning(WARNING_IDS.noCollapseTripwire, 'the probe comes with the VPC');
    Annotations.fromStack(primary).hasNoWarning('*', text('tripwire'));
  });
});
