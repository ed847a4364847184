import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { publishAlert, snsSubject } from '../../../../lambdas/adapters/aws/alerts.js';
import { awsError } from '../../../support/fakes.js';

describe('alerts', () => {
  it.each([
    ['short', 'redis-dr: corrupt DR copy of a', 'redis-dr: corrupt DR copy of a'],
    ['non-ASCII and line breaks replaced', 'café\nline', 'caf??line'],
    // SNS: "less than 100 characters long" (API reference, Publish): 99 at most; 100 was refused.
    ["cut to fewer than SNS's 100 characters", 'x'.repeat(150), `${'x'.repeat(96)}...`],
    ['99 characters kept as they are', 'y'.repeat(99), 'y'.repeat(99)],
    ['100 characters cut', 'z'.repeat(100), `${'z'.repeat(96)}...`],
  ])('makes subjects SNS accepts: %s', (_what, input, expected) => {
    expect(snsSubject(input)).toBe(expected);
  });

  it('publishes subject, message and string attributes, and surfaces a refusal', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolvesOnce({ MessageId: '1' }).rejects(awsError('AuthorizationError', 'no'));
    const client = new SNSClient({ region: 'eu-central-1' });
    await publishAlert(client, 'arn:aws:sns:eu-central-1:123456789012:t', {
      subject: 's',
      message: 'm',
      attributes: { kind: 'rdb-corrupt', severity: 'critical', deployment: 'prod', region: 'eu-central-1', plan: '' },
    });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: 'arn:aws:sns:eu-central-1:123456789012:t',
      Subject: 's',
      Message: 'm',
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'rdb-corrupt' },
        severity: { DataType: 'String', StringValue: 'critical' },
        deployment: { DataType: 'String', StringValue: 'prod' },
        region: { DataType: 'String', StringValue: 'eu-central-1' },
      },
    });
    await expect(
      publishAlert(client, 'arn:t', {
        subject: 's',
        message: 'm',
        attributes: { kind: 'unknown', severity: 'warning', deployment: 'prod', region: 'eu-central-1' },
      }),
    ).rejects.toThrow('no');
    sns.restore();
  });
});
