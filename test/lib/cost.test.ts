import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCostEstimate } from '../../lambdas/domain/cost/format.js';
import { deploymentCost } from '../../lib/cost.js';
import { costLine } from '../../lib/synth-summary.js';
import { exampleConfig, synthesize } from '../support/synth.js';

/** The example config's estimate, from its real synth: the figures docs/cost.md shows, at the date it shows them for. */
const NOW = new Date('2026-11-01T00:00:00Z');
const ROOT = join(__dirname, '..', '..');

function exampleResources() {
  const s = synthesize(exampleConfig());
  return [
    { stack: s.stacks.primary.stackName, region: s.stacks.primary.region, resources: s.primary.toJSON().Resources },
    { stack: s.stacks.dr.stackName, region: s.stacks.dr.region, resources: s.dr.toJSON().Resources },
  ];
}

describe('the cost estimate of the example config', () => {
  it('is the one docs/cost.md shows (redis-dr cost -c config/example.json --now 2026-11-01T00:00:00Z)', () => {
    const shown = /<!-- cost:example -->\n```text\n([\s\S]*?)\n```/.exec(readFileSync(join(ROOT, 'docs', 'cost.md'), 'utf8'))?.[1];
    const estimate = deploymentCost(exampleConfig(), exampleResources(), { now: NOW });
    expect(shown).toBe(formatCostEstimate(estimate).join('\n'));
  });

  it('counts every alarm, dashboard, key and schedule the templates hold', () => {
    const resources = exampleResources();
    const count = (type: string) => resources.reduce((n, s) => n + Object.values(s.resources).filter((r) => (r as { Type: string }).Type === type).length, 0);
    const estimate = deploymentCost(exampleConfig(), resources, { now: NOW });
    expect(estimate.lines.find((l) => l.item === 'CloudWatch alarms')?.quantity).toBe(count('AWS::CloudWatch::Alarm'));
    expect(count('AWS::CloudWatch::Alarm')).toBeGreaterThan(10);
    expect(estimate.lines.find((l) => l.item.startsWith('EventBridge Scheduler'))?.item).toBe(
      `EventBridge Scheduler (${count('AWS::Scheduler::Schedule')} schedules)`,
    );
  });

  it('is one line of the synth summary, naming the command with the items and assumptions', () => {
    const line = costLine(exampleConfig(), exampleResources(), 'config/example.json', NOW);
    const total = deploymentCost(exampleConfig(), exampleResources(), { now: NOW }).totalUsd.toFixed(2);
    expect(line).toMatch(
      new RegExp(
        `^ {2}monthly cost estimate: about \\$${total.replace('.', '\\.')} \\(fixed floor .*: redis-dr cost -c config/example\\.json for the items and assumptions\\n$`,
      ),
    );
  });

  it('has vault storage, replication and scrub lines, in the vault region, when there is a vault: its replicas kept a day past the longest tier lock', () => {
    const config = exampleConfig();
    const vault = {
      account: '222222222222',
      region: 'eu-central-1' as const,
      retentionDays: 400,
      tierRetentionDays: { monthly: 800 },
      replicationTimeControl: false,
    };
    const estimate = deploymentCost({ ...config, vault } as typeof config, exampleResources(), { now: NOW });
    const line = estimate.lines.find((l) => l.item.startsWith('vault scrub: every replica re-read within 30 days'));
    expect(line?.unit).toBe('GB-seconds');
    expect(line!.quantity).toBeGreaterThan(0);
    expect(estimate.assumptions.join('\n')).toContain(
      'the vault (eu-central-1) stores and its scrub re-reads at 100 MB/s one replica of every export kept 801 days',
    );
    // Its storage, and the export bucket's replication from eu-west-1 into eu-central-1.
    expect(estimate.lines.find((l) => l.item === 'vault storage: one replica of every export kept 801 days')?.unit).toBe('GB-months');
    expect(estimate.lines.find((l) => l.item === 'S3 replication to the vault (eu-central-1)')!.usd).toBeGreaterThan(0);
    expect(deploymentCost(config, exampleResources(), { now: NOW }).lines.some((l) => l.item.startsWith('vault scrub'))).toBe(false);
  });

  it("adds the export bucket's organization copies when the vault is an organization's (vault.organizationId), and only then", () => {
    const config = exampleConfig();
    const vault = { account: '222222222222', region: 'eu-central-1' as const, retentionDays: 30, replicationTimeControl: false };
    const own = deploymentCost({ ...config, vault } as typeof config, exampleResources(), { now: NOW });
    const org = deploymentCost({ ...config, vault: { ...vault, organizationId: 'o-abcdefghij' } } as typeof config, exampleResources(), { now: NOW });
    const copies = (e: typeof own) => e.lines.filter((l) => l.item.endsWith(': organization vault copies in the export bucket'));
    expect(copies(own)).toEqual([]);
    expect(copies(org).length).toBe(config.plans.filter((p) => p.export.enabled).length);
    expect(org.variableUsd).toBeGreaterThan(own.variableUsd);
  });
});
