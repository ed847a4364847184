/**
 * Lambda entry point of the page router (both regions): subscribed to the alert topic, it delivers each page to every
 * alerts.integrations entry; invoked by `redis-dr selftest` with a test request, it delivers the TEST page and answers
 * which integrations took it.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { publishRaw, readSecretString } from '../adapters/aws/page-delivery.js';
import { postJson } from '../adapters/host/https-post.js';
import { type DeliveryDeps, routedIntegrations, routePages } from '../jobs/alerting/deliver-page.js';
import { isRouterTest, testIntegrations } from '../jobs/alerting/test-page.js';
import { anyInput, awsClient, lambdaEntry, log } from './entry.js';
import { requiredEnv } from './env.js';

const sns = awsClient(SNSClient);
const secrets = awsClient(SecretsManagerClient);

/** Keys are kept a few minutes: a burst of pages reads each once, a rotated key is used soon after. */
const SECRET_TTL_MS = 5 * 60_000;
const cache = new Map<string, { value: string; at: number }>();

async function secret(name: string): Promise<string> {
  const hit = cache.get(name);
  if (hit && Date.now() - hit.at < SECRET_TTL_MS) return hit.value;
  const value = await readSecretString(secrets, name);
  cache.set(name, { value, at: Date.now() });
  return value;
}

export const handler = lambdaEntry(anyInput, (event): Promise<unknown> => {
  const topicArn = requiredEnv('ONCALL_TOPIC_ARN', 'the alert topic, for pages about a failed delivery');
  const deps: DeliveryDeps & { readonly deployment: string; readonly region: string } = {
    integrations: routedIntegrations(requiredEnv('PAGE_INTEGRATIONS', 'alerts.integrations as JSON'), process.env.CHAT_TOPICS || '{}'),
    secret,
    post: postJson,
    publishRaw: (arn, message) => publishRaw(sns, arn, message),
    publishPage: (page) => publishAlert(sns, topicArn, page),
    log,
    context: { runbookBaseUrl: process.env.RUNBOOK_BASE_URL || undefined },
    deployment: requiredEnv('REDIS_DR_DEPLOYMENT', 'the deployment name'),
    region: requiredEnv('AWS_REGION', 'set by Lambda'),
  };
  return isRouterTest(event) ? testIntegrations(event, deps) : routePages(event, deps);
});
