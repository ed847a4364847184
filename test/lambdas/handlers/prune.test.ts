import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { pruneRunInput } from '../../../lib/deployment.js';
import { exampleConfig } from '../../support/synth.js';
import { restoreEnvAfterFile } from '../../support/env.js';

// The handler sets Powertools' and the SDK's defaults in the environment: put it back for the next file.
restoreEnvAfterFile();

/** A prune input as the schedule sends it (lib/deployment.ts), with one setting changed. */
const input = (change: (i: Record<string, any>) => void) => {
  const i = JSON.parse(JSON.stringify(pruneRunInput('example', exampleConfig().plans[0]!))) as Record<string, any>;
  change(i);
  return i;
};

/** The problem the config reports for the same value in plans[0] (the config's words, without its path). */
const configSays = (change: (plan: Record<string, any>) => void): string => {
  const raw = JSON.parse(JSON.stringify(exampleConfig())) as Record<string, any>;
  change(raw.plans[0]);
  const result = validateConfig(raw);
  if (result.ok) throw new Error('the config accepted it');
  return result.problems[0]!.replace(/^plans\[0\]\./, '');
};

describe('prune handler: plan settings in its input', () => {
  const elasticache = mockClient(ElastiCacheClient);
  let handler: (event: unknown) => Promise<unknown>;

  beforeAll(async () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'redis-dr-prune');
    // The refusals are logged as errors by design; the assertions read the thrown error.
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.resetModules();
    ({ handler } = await import('../../../lambdas/handlers/prune.js'));
  });

  it.each([
    [
      'a daily count of 0',
      (r: Record<string, any>) => (r.retention.daily = 0),
      'retention.daily must be >= 1, got 0: keep at least the newest daily recovery point',
    ],
    ['a negative hourly count', (r: Record<string, any>) => (r.retention.hourly = -1), 'retention.hourly must be >= 0, got -1: set 0 to keep no hourly'],
    ['a count in quotes', (r: Record<string, any>) => (r.retention.weekly = '4'), 'retention.weekly must be a number, got "4": write 4 without quotes'],
    [
      'minKeep 0',
      (r: Record<string, any>) => (r.retention.minKeep = 0),
      'retention.minKeep must be >= 1, got 0: the newest snapshot of a target is never deleted',
    ],
    ['an RPO under 5 minutes', (r: Record<string, any>) => (r.rpoMinutes = 2), 'rpoMinutes must be >= 5, got 2'],
  ])('refuses %s before any AWS call, naming the field, the value and the fix, in the config’s words', async (_name, change, problem) => {
    elasticache.reset();
    await expect(handler(input(change))).rejects.toThrow(`invalid input: ${problem}`);
    expect(elasticache.calls()).toHaveLength(0);
    // The config refuses the same value with the same words: one schema for the setting.
    expect(configSays(change)).toContain(problem);
  });
});
