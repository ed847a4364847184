import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describeError } from './errors.js';

/**
 * What the page router needs of AWS: an integration's key from Secrets
 * Manager (read when a page is sent, so a rotated key works at once and no
 * key is in a template) and a raw message on a chat channel's topic.
 */

/** The secret's current string value; errors name the secret, never a value. */
export async function readSecretString(client: SecretsManagerClient, name: string): Promise<string> {
  let value: string | undefined;
  try {
    value = (await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
  } catch (err) {
    throw new Error(`secret ${name} could not be read: ${describeError(err)}`);
  }
  const key = value?.trim();
  if (!key) throw new Error(`secret ${name} has no string value: store the key itself as the secret's plain text`);
  return key;
}

/** Publishes `message` as is (a chat custom notification is JSON, no subject). */
export async function publishRaw(client: SNSClient, topicArn: string, message: string): Promise<void> {
  await client.send(new PublishCommand({ TopicArn: topicArn, Message: message }));
}
