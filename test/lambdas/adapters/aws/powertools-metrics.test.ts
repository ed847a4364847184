import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { powertoolsSink } from '../../../../lambdas/adapters/aws/powertools-metrics.js';

describe('powertoolsSink', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one EMF record per data point with exactly its dimensions', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const sink = powertoolsSink(new Metrics({ namespace: 'RedisDrTest', serviceName: 'test' }));
    sink.put('SnapshotsFailed', 1, 'Count', { Plan: 'sessions', Target: 'rg-a' });
    sink.put('SnapshotsFailed', 3, 'Count', { Plan: 'sessions' });

    const records = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('_aws'))
      .map(
        (l) =>
          JSON.parse(l) as Record<string, unknown> & {
            _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
          },
      );
    expect(records).toHaveLength(2);
    const [perTarget, perPlan] = records;
    expect(perTarget!._aws.CloudWatchMetrics[0]!.Namespace).toBe('RedisDrTest');
    // Exactly these dimensions (no implicit `service`): alarms name this set.
    expect(perTarget!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Plan', 'Target']]);
    expect(perPlanDims(records[1]!)).toEqual([['Plan']]);
    expect(perTarget).toMatchObject({ Plan: 'sessions', Target: 'rg-a', SnapshotsFailed: 1 });
    expect(perTarget!._aws.CloudWatchMetrics[0]!.Metrics).toEqual([{ Name: 'SnapshotsFailed', Unit: 'Count' }]);
    expect(perPlan).toMatchObject({ Plan: 'sessions', SnapshotsFailed: 3 });
    expect(perPlan!.Target).toBeUndefined();
  });
});

function perPlanDims(record: { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } }): string[][] {
  return record._aws.CloudWatchMetrics[0]!.Dimensions;
}
