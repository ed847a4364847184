import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../../../lambdas/adapters/aws/alerts.js';
import { handler } from '../../../../lambdas/handlers/drill-report.js';
import { drillReportEventSchema, reportDrill } from '../../../../lambdas/jobs/drills/drill-report.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { DR_DRILL_CHOICE, drillReportEvent } from '../../../support/drill-fixtures.js';
import { restoreEnvAfterFile } from '../../../support/env.js';

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:redis-dr-alerts';

const CHOICE = DR_DRILL_CHOICE;
const event = drillReportEvent;

// The handlers set Powertools' and the SDK's defaults in the environment: put it back for the next file.
restoreEnvAfterFile();

describe('reportDrill', () => {
  let published: Alert[];
  let metrics: MemoryMetrics;
  let log: MemoryLog;
  const deps = () => ({ publish: async (a: Alert) => void published.push(a), metrics, log });

  beforeEach(() => {
    published = [];
    metrics = new MemoryMetrics();
    log = new MemoryLog();
  });

  it('publishes a passed drill with its attributes and records its metrics', async () => {
    const result = await reportDrill(drillReportEventSchema.parse(event()), deps());

    expect(result.ok).toBe(true);
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toBe('redis-dr drill PASSED: sessions/rg-a eu-central-1 RTO 12m25s');
    expect(published[0]!.message).toBe(result.summary);
    expect(published[0]!.attributes).toEqual({
      kind: 'restore-drill',
      outcome: 'passed',
      severity: 'info',
      deployment: 'prod',
      plan: 'sessions',
      target: 'rg-a',
      region: 'eu-central-1',
      where: 'dr',
      cleanup: 'deleted',
    });
    const dims = { Plan: 'sessions', Target: 'rg-a', Region: 'eu-central-1' };
    expect(metrics.sum('DrillSucceeded', dims)).toBe(1);
    expect(metrics.sum('DrillRtoSeconds', dims)).toBe(745);
    expect(metrics.sum('RestoreSeconds', dims)).toBe(720);
    expect(metrics.sum('VerifySeconds', dims)).toBe(12);
    expect(metrics.points.every((p) => ['Plan,Region,Target', 'Plan,Region'].includes(Object.keys(p.dimensions).sort().join()))).toBe(true);
    expect(metrics.sum('DrillRtoSeconds', { Plan: 'sessions', Region: 'eu-central-1' })).toBe(745);
  });

  it('reports a failed drill without throwing: ok false, DrillSucceeded 0, the cluster left behind named', async () => {
    const failed = event({
      verify: null,
      error: { Error: 'States.Timeout', Cause: null },
      timings: { startedAt: '2026-11-21T10:00:00Z', createdAt: '2026-11-21T10:00:10Z' },
      cleanup: { deleted: false, clusterId: CHOICE.clusterId, error: 'InvalidReplicationGroupStateFault: creating' },
    });

    const result = await reportDrill(drillReportEventSchema.parse(failed), deps());

    expect(result.ok).toBe(false);
    expect(result.summary).toContain('cluster left behind: rdr-drill-rg-a-2611211000');
    expect(result.summary).toContain('  - restore: States.Timeout: (no cause given)');
    expect(result.summary).toContain('Runbook: docs/runbooks/restore-drill.md');
    expect(published[0]!.attributes).toMatchObject({ severity: 'high', outcome: 'failed', cleanup: 'left-behind' });
    expect(metrics.points.map((p) => [p.name, p.value])).toEqual([
      ['DrillSucceeded', 0],
      ['DrillSucceeded', 0],
    ]);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'restore drill failed' }));
  });

  it('reports a drill that ended at select, with every later slot null as the state machine leaves it', async () => {
    const selectFailed = event({
      choice: null,
      verify: null,
      error: {
        Error: 'NoRecoveryPointError',
        Cause: JSON.stringify({ errorType: 'NoRecoveryPointError', errorMessage: 'plan sessions: no usable DR copy' }),
      },
      timings: { startedAt: '2026-11-21T10:00:00Z', createdAt: null, availableAt: null, verifiedAt: null, deletedAt: null },
      cleanup: null,
    });

    const result = await reportDrill(drillReportEventSchema.parse(selectFailed), deps());

    expect(result.ok).toBe(false);
    expect(result.summary).toContain('  - select: NoRecoveryPointError: plan sessions: no usable DR copy');
    expect(result.summary).toContain('Cleanup: no cluster to delete.');
    expect(published[0]!.subject).toBe('redis-dr drill FAILED (select): sessions eu-central-1, no target chosen');
  });

  it('records the metrics even when SNS refuses the message, and then throws for the retry', async () => {
    const refusing = { ...deps(), publish: () => Promise.reject(new Error('AuthorizationError')) };

    await expect(reportDrill(drillReportEventSchema.parse(event()), refusing)).rejects.toThrow('AuthorizationError');

    expect(metrics.points.map((p) => p.name)).toContain('DrillSucceeded');
  });
});

describe('drill report handler', () => {
  const sns = mockClient(SNSClient);

  beforeEach(() => {
    sns.reset();
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'RedisDrTest');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('publishes to ALERT_TOPIC_ARN with an SNS-safe subject and filterable attributes', async () => {
    vi.stubEnv('ALERT_TOPIC_ARN', TOPIC);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const result = await handler(event());

    expect(result.ok).toBe(true);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: 'redis-dr drill PASSED: sessions/rg-a eu-central-1 RTO 12m25s',
      MessageAttributes: expect.objectContaining({ severity: { DataType: 'String', StringValue: 'info' } }),
    });
  });

  it('fails fast naming ALERT_TOPIC_ARN when it is not set', async () => {
    vi.stubEnv('ALERT_TOPIC_ARN', '');

    await expect(handler(event())).rejects.toThrow('environment variable ALERT_TOPIC_ARN (the SNS topic drill reports go to) is required');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('refuses a report input without timings, naming the field', async () => {
    vi.stubEnv('ALERT_TOPIC_ARN', TOPIC);

    await expect(handler({ ...event(), timings: undefined })).rejects.toThrow(/timings/);
  });
});
