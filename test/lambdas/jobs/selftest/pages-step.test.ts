/**
 * The selftest's integrations step: the TEST page through the page router to
 * every configured integration, with a real local HTTP receiver standing in
 * for each tool's API (PagerDuty, Opsgenie) and the router's own code behind
 * the Lambda invoke (the AWS calls, Invoke, GetSecretValue and the chat
 * topic's Publish, are the only stand-ins). One failing tool fails the step
 * naming it and why; the others are still tried and listed.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishRaw, readSecretString } from '../../../../lambdas/adapters/aws/page-delivery.js';
import type { Integration } from '../../../../lambdas/domain/alerting/integrations.js';
import { testIntegrations } from '../../../../lambdas/jobs/alerting/test-page.js';
import { integrationsStep } from '../../../../lambdas/jobs/selftest/pages-step.js';
import { SelftestRunner } from '../../../../lambdas/jobs/selftest/runner.js';
import { type PageReceiver, startPageReceiver } from '../../../support/page-receiver.js';
import { invokeRunsRouter, type RouterSetup, routerDeps } from '../../../support/page-router.js';

const REGION = 'eu-west-1';
const ROUTER = `arn:aws:lambda:${REGION}:111122223333:function:RedisDr-st-Primary-PageIntegrationsRouter-abc`;
const CHAT_TOPIC = `arn:aws:sns:${REGION}:111122223333:RedisDr-st-Primary-Chat-slack`;
const STARTED = new Date('2026-11-25T09:00:00Z');
const INTEGRATIONS: Integration[] = [
  { type: 'pagerduty', name: 'pd', secretName: 'redis-dr/pagerduty', serviceRegion: 'us' },
  { type: 'opsgenie', name: 'og', secretName: 'redis-dr/opsgenie', serviceRegion: 'us' },
  { type: 'chatbot', name: 'slack', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' },
];
const SECRETS: Record<string, string> = { 'redis-dr/pagerduty': 'PDKEY0000000000000000000000000000', 'redis-dr/opsgenie': 'og-key-1' };

const lambda = mockClient(LambdaClient);
const secrets = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)) as never;

let pagerduty: PageReceiver;
let opsgenie: PageReceiver;
/** Each tool's API address by integration name: its own receiver. */
let apis: Record<string, string>;

beforeAll(async () => {
  [pagerduty, opsgenie] = await Promise.all([startPageReceiver(), startPageReceiver()]);
});
afterAll(async () => {
  await Promise.all([pagerduty.close(), opsgenie.close()]);
  lambda.restore();
  secrets.restore();
  sns.restore();
});

/** The router as deployed: its keys from Secrets Manager and chat through SNS (both stubbed), each tool at its receiver. */
function setup(): RouterSetup {
  const sm = new SecretsManagerClient({ region: REGION });
  const topicClient = new SNSClient({ region: REGION });
  return {
    integrations: INTEGRATIONS,
    chatTopics: { slack: CHAT_TOPIC },
    apis: () => apis,
    secret: (name) => readSecretString(sm, name),
    publishRaw: (arn, message) => publishRaw(topicClient, arn, message),
    region: REGION,
  };
}

beforeEach(() => {
  pagerduty.reset();
  opsgenie.reset();
  apis = { pd: pagerduty.base, og: opsgenie.base };
  lambda.reset();
  secrets.reset();
  sns.reset();
  secrets.on(GetSecretValueCommand).callsFake(async ({ SecretId }: { SecretId: string }) => {
    if (!SECRETS[SecretId]) throw Object.assign(new Error(`Secrets Manager can't find the specified secret.`), { name: 'ResourceNotFoundException' });
    return { SecretString: SECRETS[SecretId] };
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  // The router's code behind the Invoke, as the Lambda runs it.
  invokeRunsRouter(lambda, setup);
});

async function runStep() {
  const runner = new SelftestRunner({ now: () => STARTED.getTime() });
  const deliveries = await integrationsStep(
    runner,
    { where: 'primary', region: REGION, functionArn: ROUTER },
    { lambda: new LambdaClient({ region: REGION }), startedAt: STARTED, who: 'ops' },
  );
  return { runner, deliveries, row: runner.steps[0]! };
}

describe('integrationsStep', () => {
  it('every integration answered: the step passes listing each, and each tool got the TEST page once, in its format', async () => {
    const { row, runner } = await runStep();
    expect(row).toMatchObject({ step: 'pages primary', region: REGION, verdict: 'passed' });
    expect(row.detail).toBe('TEST page through the page router: pd (pagerduty) answered; og (opsgenie) answered; slack (chatbot) answered');
    expect(runner.verdict).toBe('passed');
    // Synchronous, with the run's time: the router answers which integrations took the page.
    const invoke = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(invoke).toMatchObject({ FunctionName: ROUTER, InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(invoke.Payload as Uint8Array))).toEqual({ selftest: { run: STARTED.toISOString() } });
    // PagerDuty: a change event (severity info wakes nobody), with its key; Opsgenie with its GenieKey; chat on its topic.
    expect(pagerduty.received).toHaveLength(1);
    expect(pagerduty.received[0]).toMatchObject({ path: '/v2/change/enqueue', body: { routing_key: SECRETS['redis-dr/pagerduty'] } });
    expect(pagerduty.received[0]!.body.payload.summary).toContain('TEST');
    expect(opsgenie.received).toHaveLength(1);
    expect(opsgenie.received[0]).toMatchObject({ path: '/v2/alerts', authorization: 'GenieKey og-key-1' });
    const chat = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(chat).toHaveLength(1);
    expect(chat[0]!.TopicArn).toBe(CHAT_TOPIC);
    expect(JSON.parse(chat[0]!.Message!)).toMatchObject({ version: '1.0', source: 'custom', content: { title: expect.stringContaining('TEST') } });
  });

  it('a tool answering 503 fails the step naming it and its answer; the others still got the page and are listed as answered', async () => {
    opsgenie.failing.add('/v2/alerts');
    const { row, runner, deliveries } = await runStep();
    expect(deliveries).toBeUndefined();
    expect(row.verdict).toBe('failed');
    expect(row.cause).toBe(
      `TEST page not delivered to 1 of 3 integration(s): pd (pagerduty) answered; og (opsgenie) FAILED: POST ${opsgenie.base}/v2/alerts answered 503: {"message":"service unavailable"}; slack (chatbot) answered`,
    );
    expect(row.fix).toMatch(/^check each failed integration: its key in Secrets Manager/);
    expect(runner.verdict).toBe('failed');
    expect(pagerduty.received).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('a tool that hangs up without answering and a key that cannot be read: both named, each with its own reason', async () => {
    // A real listener that closes every connection at once: the tool's address is reached, no answer comes.
    const hangUp = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
    apis.pd = `http://127.0.0.1:${(hangUp.address() as AddressInfo).port}`;
    delete SECRETS['redis-dr/opsgenie'];
    try {
      const { row } = await runStep();
      expect(row.verdict).toBe('failed');
      expect(row.cause).toMatch(
        /^TEST page not delivered to 2 of 3 integration\(s\): pd \(pagerduty\) FAILED: POST http:\/\/127\.0\.0\.1:\d+\/v2\/change\/enqueue got no answer: /,
      );
      expect(row.cause).toContain('og (opsgenie) FAILED: secret redis-dr/opsgenie could not be read: ResourceNotFoundException');
      expect(row.cause).toContain('slack (chatbot) answered');
      // Never a key in what the operator reads.
      expect(row.cause).not.toContain(SECRETS['redis-dr/pagerduty']);
    } finally {
      SECRETS['redis-dr/opsgenie'] = 'og-key-1';
      await new Promise<void>((resolve) => hangUp.close(() => resolve()));
    }
  });

  it('the router itself failed (a function error): the step fails naming the function and its error', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'InvalidInput', errorMessage: 'PAGE_INTEGRATIONS is not set' }),
    });
    const { row } = await runStep();
    expect(row.verdict).toBe('failed');
    expect(row.cause).toBe(`page router ${ROUTER} failed: InvalidInput: PAGE_INTEGRATIONS is not set`);
  });

  it('a router deployed before TEST pages (it answers with the SNS shape): the step fails saying to deploy again', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode([[{ name: 'pd', type: 'pagerduty', ok: true }]]) });
    const { row } = await runStep();
    expect(row.verdict).toBe('failed');
    expect(row.cause).toMatch(/did not answer the TEST request with deliveries .*it predates selftest's TEST pages/);
    expect(row.fix).toBe('deploy the stacks again (npx cdk deploy --all), then run the selftest again');
  });

  it('the router refuses a request that is not the selftest shape (the schema both sides share)', async () => {
    await expect(testIntegrations({ selftest: { run: 'yesterday' } }, routerDeps(setup()))).rejects.toThrow(
      /selftest\.run must be an ISO 8601 time, got "yesterday"/,
    );
  });
});
