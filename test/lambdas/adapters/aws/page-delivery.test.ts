import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { publishRaw, readSecretString } from '../../../../lambdas/adapters/aws/page-delivery.js';
import { awsError } from '../../../support/fakes.js';

describe('page delivery (AWS side)', () => {
  it('reads an integration key as plain text, trimmed', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand, { SecretId: 'redis-dr/pagerduty' }).resolves({ SecretString: ' key-1\n' });
    expect(await readSecretString(new SecretsManagerClient({ region: 'eu-west-1' }), 'redis-dr/pagerduty')).toBe('key-1');
  });

  it('refuses an empty or binary secret, and names the secret (never a value) when it cannot be read', async () => {
    const sm = mockClient(SecretsManagerClient);
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '  ' })
      .resolvesOnce({ SecretBinary: new Uint8Array([1]) })
      .rejects(awsError('AccessDeniedException', 'not authorized'));
    await expect(readSecretString(client, 'a')).rejects.toThrow("secret a has no string value: store the key itself as the secret's plain text");
    await expect(readSecretString(client, 'b')).rejects.toThrow('secret b has no string value');
    await expect(readSecretString(client, 'c')).rejects.toThrow('secret c could not be read: AccessDeniedException: not authorized');
  });

  it('publishes a chat notification as is, without a subject', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: '1' });
    await publishRaw(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:123456789012:chat', '{"version":"1.0"}');
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:chat', Message: '{"version":"1.0"}' });
  });
});
