import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { restoreEnvAfterFile } from '../../support/env.js';

// The handlers set Powertools' and the SDK's defaults in the environment: put it back for the next file.
restoreEnvAfterFile();

const ROOT = join(__dirname, '..', '..', '..');

type Entry = typeof import('../../../lambdas/handlers/entry');
let entry: Entry;

function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'redis-dr-prod-prune',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:redis-dr-prod-prune',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/redis-dr-prod-prune',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

describe('lambdaEntry (the one shape of every Lambda entry point)', () => {
  let lines: string[];

  beforeAll(async () => {
    // Powertools reads its settings when the module-scope objects are created.
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'redis-dr-test');
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'RedisDrTest');
    // Evaluated anew: in the shared worker another file may have imported it with other settings.
    vi.resetModules();
    entry = await import('../../../lambdas/handlers/entry.js');
  });

  beforeEach(() => {
    lines = [];
    const capture = (chunk: string | Uint8Array): boolean => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => vi.restoreAllMocks());

  const records = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('logs carry the request id, function and cold start of the invocation', async () => {
    const handler = entry.lambdaEntry(z.object({ plan: z.string() }), async (input) => {
      entry.log.info('working on the plan', { plan: input.plan });
      return 'done';
    });
    await expect(handler({ plan: 'sessions' }, lambdaContext('req-1'))).resolves.toBe('done');
    await handler({ plan: 'sessions' }, lambdaContext('req-2'));

    const logs = records().filter((r) => r.message === 'working on the plan');
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatchObject({ function_request_id: 'req-1', function_name: 'redis-dr-prod-prune', service: 'redis-dr-test', plan: 'sessions' });
    expect(logs[1]).toMatchObject({ function_request_id: 'req-2' });
    expect(typeof logs[0]!.cold_start).toBe('boolean');
  });

  it.each([
    ['succeeds', async () => 'ok'],
    [
      'fails',
      async () => {
        throw new Error('ElastiCache said no');
      },
    ],
  ])('flushes buffered metrics when the job %s', async (outcome, finish) => {
    const publish = vi.spyOn(entry.metrics, 'publishStoredMetrics');
    const handler = entry.lambdaEntry(z.unknown(), async () => {
      entry.metrics.addMetric('SnapshotsFailed', 'Count', 1);
      return finish();
    });
    const run = handler({}, lambdaContext('req-3'));
    if (outcome === 'fails') await expect(run).rejects.toThrow('ElastiCache said no');
    else await expect(run).resolves.toBe('ok');

    expect(publish).toHaveBeenCalledTimes(1);
    expect(entry.metrics.hasStoredMetrics()).toBe(false);
    const emf = records().find((r) => r._aws !== undefined && r.SnapshotsFailed === 1);
    expect(emf, lines.join('\n')).toBeDefined();
  });

  it('rethrows a failure after logging it with the request id', async () => {
    const handler = entry.lambdaEntry(z.unknown(), async () => {
      throw new Error('tag lookup failed');
    });
    await expect(handler({}, lambdaContext('req-4'))).rejects.toThrow('tag lookup failed');
    const failure = records().find((r) => r.message === 'invocation failed');
    expect(failure).toMatchObject({ level: 'ERROR', function_request_id: 'req-4' });
    expect(JSON.stringify(failure)).toContain('tag lookup failed');
  });

  it('refuses an input that does not validate, naming the field, before the job runs', async () => {
    const job = vi.fn(async () => 'ran');
    const handler = entry.lambdaEntry(z.object({ plan: z.string() }), job);
    await expect(handler({ plan: 7 }, lambdaContext('req-5'))).rejects.toThrow(/plan/);
    expect(job).not.toHaveBeenCalled();
  });

  it('creates the scheduled jobs\u2019 clients once per container', () => {
    expect(entry.scheduledDeps()).toBe(entry.scheduledDeps());
  });
});

describe('importing jobs (as the CLI does)', () => {
  /**
   * Imports each group of files in turn in one fresh process; per group, the SDK clients constructed and the Powertools
   * packages first loaded by its imports. One process for both cases below (a probe process per case cost about 1.5
   * CPU-s more: node, tsx and the SDK loaded again); the jobs are imported first, as in a process of their own.
   */
  function probe(...groups: string[][]): { sdkClients: number; powertools: string[] }[] {
    const out = execFileSync(process.execPath, [join(ROOT, 'test', 'support', 'import-probe.cjs'), ...groups.flatMap((g, i) => (i === 0 ? g : ['--', ...g]))], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    return JSON.parse(out) as { sdkClients: number; powertools: string[] }[];
  }

  // Every job module, those in capability folders (lambdas/jobs/keys/) too.
  const jobs = (readdirSync(join(ROOT, 'lambdas', 'jobs'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('lambdas', 'jobs', f));
  let probed: { sdkClients: number; powertools: string[] }[];
  beforeAll(() => {
    probed = probe(jobs, [join('lambdas', 'handlers', 'verify-rdb.ts')]);
  });

  it('creates no SDK client and no Powertools object', () => {
    expect(jobs.length).toBeGreaterThanOrEqual(11);
    expect(probed[0]).toEqual({ sdkClients: 0, powertools: [] });
  });

  it('the probe does see what an entry point creates at import (so the check above can fail)', () => {
    // Its SNS client (pages) and KMS client (the evidence key that signs its verdicts), imported after the jobs.
    expect(probed[1]!.sdkClients).toBe(2);
    expect(probed[1]!.powertools).toEqual(expect.arrayContaining(['logger', 'metrics', 'tracer']));
  });
});
