import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { exportRunInput } from '../../../lib/deployment.js';
import { exampleConfig } from '../../support/synth.js';
import { restoreEnvAfterFile } from '../../support/env.js';

// The handler sets Powertools' and the SDK's defaults in the environment: put it back for the next file.
restoreEnvAfterFile();

describe('export handler: plan settings in its input', () => {
  const elasticache = mockClient(ElastiCacheClient);
  let handler: (event: unknown) => Promise<unknown>;

  beforeAll(async () => {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'redis-dr-export');
    // The refusals are logged as errors by design; the assertions read the thrown error.
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.resetModules();
    ({ handler } = await import('../../../lambdas/handlers/export.js'));
  });

  it.each([
    ['minTier', 'yearly', 'minTier must be one of hourly, daily, weekly, monthly, got "yearly"'],
    ['maxStartsPerRun', 0, 'maxStartsPerRun must be >= 1, got 0: set 1 or more; to export nothing, set export.enabled to false'],
  ])('refuses %s %j before any AWS call, naming the field, the value and the fix', async (field, value, problem) => {
    elasticache.reset();
    const plan = exampleConfig().plans.find((p) => p.export.enabled)!;
    const input = { ...JSON.parse(JSON.stringify(exportRunInput('example', plan, 'redis-dr-example-123456789012-eu-west-1'))), [field]: value };
    await expect(handler(input)).rejects.toThrow(`invalid input: ${problem}`);
    expect(elasticache.calls()).toHaveLength(0);
  });
});
