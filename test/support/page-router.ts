/**
 * The page router's own code behind a stubbed Lambda Invoke, for the
 * selftest's tests: the Invoke runs the job the router's handler runs
 * (lambdas/jobs/alerting/test-page.ts) with the handler's dependencies, each
 * tool's API at a local receiver (./page-receiver.ts).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsStub } from 'aws-sdk-client-mock';
import { postJson } from '../../lambdas/adapters/host/https-post.js';
import { type Integration, integrationName } from '../../lambdas/domain/alerting/integrations.js';
import { type DeliveryDeps, routedIntegrations } from '../../lambdas/jobs/alerting/deliver-page.js';
import { testIntegrations } from '../../lambdas/jobs/alerting/test-page.js';

/** What differs between tests: the integrations, their chat topics, where each tool's API is, and the AWS side of keys and chat. */
export interface RouterSetup {
  readonly integrations: readonly Integration[];
  readonly chatTopics: Readonly<Record<string, string>>;
  /** The API address of each HTTPS integration, by name (read at each call: a test may move one). */
  readonly apis: () => Readonly<Record<string, string>>;
  readonly secret: DeliveryDeps['secret'];
  readonly publishRaw: DeliveryDeps['publishRaw'];
  readonly region: string;
}

/** The router's dependencies as its handler builds them, with the tools' APIs at the test's receivers. */
export function routerDeps(s: RouterSetup): DeliveryDeps & { deployment: string; region: string } {
  return {
    integrations: routedIntegrations(JSON.stringify(s.integrations), JSON.stringify(s.chatTopics)),
    secret: s.secret,
    post: postJson,
    publishRaw: s.publishRaw,
    publishPage: async () => {
      throw new Error('a TEST page is never paged through the topic');
    },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    context: {},
    deployment: 'st',
    region: s.region,
    api: (integration) => s.apis()[integrationName(integration, s.integrations.indexOf(integration))]!,
  };
}

/** Makes every Invoke of `lambda` run the router's TEST job with `setup`, answering as Lambda does. */
export function invokeRunsRouter(lambda: AwsStub<any, any, any>, setup: () => RouterSetup): void {
  (lambda as AwsStub<any, any, LambdaClient>).on(InvokeCommand).callsFake(async ({ Payload }: { Payload: Uint8Array }) => {
    const result = await testIntegrations(JSON.parse(new TextDecoder().decode(Payload)), routerDeps(setup()));
    return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) };
  });
}
