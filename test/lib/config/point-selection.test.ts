/**
 * `drill.pointSelection`: newest by default (and then absent from the
 * schedule's input, so every other deployment's templates stay as they are),
 * random accepted and handed to the drill; anything else refused naming the
 * field, the value and the fix.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { drillRunInput } from '../../../lib/deployment.js';

const NOW = new Date('2026-01-15T00:00:00Z');

function config(drill: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'test',
    primary: { region: 'eu-west-1' },
    dr: { region: 'eu-central-1' },
    network: {
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      cacheSubnetGroupName: 'drills',
    },
    plans: [
      {
        name: 'sessions',
        targets: { replicationGroupIds: ['sessions-prod'] },
        schedule: { cron: 'cron(0 0/2 * * ? *)' },
        rpoMinutes: 150,
        drill: { enabled: true, where: 'primary', ...drill },
      },
    ],
  };
}

describe('drill.pointSelection', () => {
  it('defaults to newest, which the drill input leaves out', () => {
    const result = validateConfig(config({}), { now: NOW });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const plan = result.config.plans[0]!;
    expect(plan.drill.pointSelection).toBe('newest');
    expect(drillRunInput('test', plan, 'primary', undefined)).not.toHaveProperty('pointSelection');
  });

  it('random is handed to the drill input', () => {
    const result = validateConfig(config({ pointSelection: 'random' }), { now: NOW });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(drillRunInput('test', result.config.plans[0]!, 'primary', undefined).pointSelection).toBe('random');
  });

  it.each(['oldest', 'RANDOM', 3])('refuses %j naming the field, the value and the choices', (value) => {
    const result = validateConfig(config({ pointSelection: value }), { now: NOW });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain('plans[0].drill.pointSelection');
    expect(result.problems[0]).toContain(`must be "newest" or "random", got ${JSON.stringify(value)}`);
  });
});
