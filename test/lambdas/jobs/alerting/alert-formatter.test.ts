import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../../../lambdas/adapters/aws/alerts.js';
import { handler } from '../../../../lambdas/handlers/alert-formatter.js';
import { forwardAlert } from '../../../../lambdas/jobs/alerting/alert-formatter.js';
import { MemoryLog } from '../../../support/fakes.js';
import { restoreEnvAfterFile } from '../../../support/env.js';

// The handlers set the SDK's defaults in the environment when they load: put it back for the next file.
restoreEnvAfterFile();

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:redis-dr-oncall';
const CONTEXT = { deployment: 'prod', region: 'eu-west-1' };

const FAILED_EXECUTION = {
  version: '0',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  region: 'eu-west-1',
  time: '2026-11-21T10:12:30Z',
  detail: {
    executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:RedisDr-prod-Drills:x',
    stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:RedisDr-prod-Drills',
    name: 'x',
    status: 'FAILED',
    startDate: 1795255200000,
    stopDate: 1795255950000,
    input: '{"plan":"sessions"}',
    error: 'States.Timeout',
    cause: null,
  },
};

describe('forwardAlert', () => {
  it('publishes the formatted alert with its attributes and returns it', async () => {
    // Prepare
    const sent: Alert[] = [];
    const log = new MemoryLog();
    // Act
    const alert = await forwardAlert(FAILED_EXECUTION, { publish: async (a) => void sent.push(a), log, context: CONTEXT });
    // Assess
    expect(sent).toEqual([
      {
        subject: alert.subject,
        message: alert.message,
        attributes: { kind: 'state-machine', severity: 'high', region: 'eu-west-1', deployment: 'prod', plan: 'sessions' },
      },
    ]);
    expect(alert.subject).toBe('[HIGH] redis-dr prod: state machine FAILED - RedisDr-prod-Drills sessions eu-west-1');
    expect(log.lines.map((l) => l.level)).toEqual(['info']);
  });

  it('publishes a generic alert for an unknown event and logs the surprise', async () => {
    const sent: Alert[] = [];
    const log = new MemoryLog();
    const alert = await forwardAlert({ source: 'custom', 'detail-type': 'Thing' }, { publish: async (a) => void sent.push(a), log, context: CONTEXT });
    expect(sent).toHaveLength(1);
    expect(alert.attributes).toEqual({ kind: 'unknown', severity: 'warning', region: 'eu-west-1', deployment: 'prod' });
    expect(log.lines[0]).toMatchObject({ level: 'warn', message: 'event shape surprised the formatter' });
  });

  it('lets an SNS failure propagate for the async retry and the DLQ', async () => {
    const publish = async () => {
      throw Object.assign(new Error('rate exceeded'), { name: 'ThrottledException' });
    };
    await expect(forwardAlert(FAILED_EXECUTION, { publish, log: new MemoryLog(), context: CONTEXT })).rejects.toThrow('rate exceeded');
  });
});

describe('handler', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => {
    sns.reset();
    vi.stubEnv('ONCALL_TOPIC_ARN', TOPIC);
    vi.stubEnv('REDIS_DR_DEPLOYMENT', 'prod');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('publishes to ONCALL_TOPIC_ARN with string message attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const alert = await handler(FAILED_EXECUTION);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      TopicArn: TOPIC,
      Subject: alert.subject,
      Message: alert.message,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'state-machine' },
        severity: { DataType: 'String', StringValue: 'high' },
        region: { DataType: 'String', StringValue: 'eu-west-1' },
        deployment: { DataType: 'String', StringValue: 'prod' },
        plan: { DataType: 'String', StringValue: 'sessions' },
      },
    });
  });

  it.each(['ONCALL_TOPIC_ARN', 'REDIS_DR_DEPLOYMENT'])('fails fast naming %s when it is missing', async (name) => {
    vi.stubEnv(name, '');
    await expect(handler(FAILED_EXECUTION)).rejects.toThrow(`environment variable ${name}`);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});
