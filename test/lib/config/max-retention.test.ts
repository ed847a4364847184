/**
 * A plan's `maxRetentionDays`: off by default, handed to the report job when
 * set, refused with the fix when it is not a positive whole number of days.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { reportRunInput } from '../../../lib/deployment.js';

const NOW = new Date('2026-01-15T00:00:00Z');
const plan = { name: 'sessions', targets: { replicationGroupIds: ['sessions-prod'] }, schedule: { cron: 'cron(0 0/2 * * ? *)' }, rpoMinutes: 150 };
const config = (extra: Record<string, unknown>) => ({
  name: 'test',
  primary: { region: 'eu-west-1', account: '111122223333' },
  dr: { region: 'eu-central-1' },
  plans: [{ ...plan, ...extra }],
});

describe('plans[].maxRetentionDays', () => {
  it('is off by default and then absent from the report input', () => {
    const result = validateConfig(config({}), { now: NOW });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(reportRunInput(result.config, '111122223333').plans[0]).not.toHaveProperty('maxRetentionDays');
  });

  it('is handed to the report job when set', () => {
    const result = validateConfig(config({ maxRetentionDays: 400 }), { now: NOW });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(reportRunInput(result.config, '111122223333').plans[0]!.maxRetentionDays).toBe(400);
  });

  it.each([
    [0, 'must be at least 1 day'],
    [1.5, 'must be a whole number of days'],
    ['400', 'must be a whole number of days'],
    [40000, 'must be at most 36500 days'],
  ])('refuses %j naming the field and the fix', (value, message) => {
    const result = validateConfig(config({ maxRetentionDays: value }), { now: NOW });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain('plans[0].maxRetentionDays');
    expect(result.problems[0]).toContain(message);
  });
});
