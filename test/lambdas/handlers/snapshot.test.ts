import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { snapshotRunInput } from '../../../lib/deployment.js';
import { exampleConfig } from '../../support/synth.js';
import { restoreEnvAfterFile } from '../../support/env.js';

// The handler sets Powertools' and the SDK's defaults in the environment: put it back for the next file.
restoreEnvAfterFile();

describe('snapshot handler: plan settings in its input', () => {
  const elasticache = mockClient(ElastiCacheClient);
  let handler: (event: unknown) => Promise<unknown>;

  beforeAll(async () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'redis-dr-snapshot');
    // The refusals are logged as errors by design; the assertions read the thrown error.
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.resetModules();
    ({ handler } = await import('../../../lambdas/handlers/snapshot.js'));
  });

  it.each([
    [150, 'collapseThresholdPct must be <= 100, got 150: set a percentage within 0..100; 100 pages only on an empty keyspace'],
    [-1, 'collapseThresholdPct must be >= 0, got -1: set a percentage within 0..100; 100 pages only on an empty keyspace'],
    ['50', 'collapseThresholdPct must be a number, got "50": write a percentage like 50'],
  ])('refuses collapseThresholdPct %j before any AWS call, naming the field, the value and the fix, in the config’s words', async (value, problem) => {
    elasticache.reset();
    const input = { ...JSON.parse(JSON.stringify(snapshotRunInput('example', exampleConfig().plans[0]!))), collapseThresholdPct: value };
    await expect(handler(input)).rejects.toThrow(`invalid input: ${problem}`);
    expect(elasticache.calls()).toHaveLength(0);
    const raw = JSON.parse(JSON.stringify(exampleConfig())) as Record<string, any>;
    raw.plans[0].collapseThresholdPct = value;
    const config = validateConfig(raw);
    expect(config.ok ? [] : config.problems).toContain(`plans[0].${problem}`);
  });
});
