/**
 * The page router against a local HTTP receiver, through the code path the
 * Lambda runs (the renderers, the HTTPS adapter, the GenieKey header): one
 * page reaches every integration once in its own format, ALARM → OK is
 * trigger → resolve and create → close, and a failed delivery neither stops
 * the others nor goes unheard.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postJson } from '../../../../lambdas/adapters/host/https-post.js';
import type { Integration } from '../../../../lambdas/domain/alerting/integrations.js';
import type { Page } from '../../../../lambdas/domain/alerting/page.js';
import { pageKey } from '../../../../lambdas/domain/alerting/render-shared.js';
import { samplePage } from '../../../../lambdas/domain/alerting/samples.js';
import { type DeliveryDeps, deliverPage, routedIntegrations, routePages } from '../../../../lambdas/jobs/alerting/deliver-page.js';
import { type PageReceiver, type Received, startPageReceiver } from '../../../support/page-receiver.js';

let receiver: PageReceiver;
let base: string;
let received: Received[];
/** Paths the receiver answers with 503 (a tool that is down). */
let failing: Set<string>;

beforeAll(async () => {
  receiver = await startPageReceiver();
  ({ base, received, failing } = receiver);
});
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

const CTX = { deployment: 'prod', region: 'eu-west-1', runbookBaseUrl: 'https://github.com/acme/redis-dr/blob/main' };
const SECRETS: Record<string, string> = { 'redis-dr/pagerduty': 'PDKEY0000000000000000000000000000', 'redis-dr/opsgenie': 'og-key-1' };
const INTEGRATIONS: Integration[] = [
  { type: 'pagerduty', secretName: 'redis-dr/pagerduty', serviceRegion: 'us' },
  { type: 'opsgenie', secretName: 'redis-dr/opsgenie', serviceRegion: 'us' },
  { type: 'chatbot', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' },
];
const CHAT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:redis-dr-prod-chat-chatbot-3';

function harness(overrides: Partial<DeliveryDeps> = {}) {
  const chat: { topicArn: string; message: Record<string, any> }[] = [];
  const topic: Page[] = [];
  const logs: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  const deps: DeliveryDeps = {
    integrations: routedIntegrations(JSON.stringify(INTEGRATIONS), JSON.stringify({ 'chatbot-3': CHAT_TOPIC })),
    secret: async (name) => {
      const value = SECRETS[name];
      if (!value) throw new Error(`secret ${name} could not be read: ResourceNotFoundException`);
      return value;
    },
    post: postJson,
    publishRaw: async (topicArn, message) => {
      chat.push({ topicArn, message: JSON.parse(message) });
    },
    publishPage: async (page) => {
      topic.push(page);
    },
    log: {
      info: (message, extra) => logs.push({ level: 'info', message, extra }),
      warn: (message, extra) => logs.push({ level: 'warn', message, extra }),
      error: (message, extra) => logs.push({ level: 'error', message, extra }),
    },
    context: CTX,
    api: () => base,
    ...overrides,
  };
  return { deps, chat, topic, logs };
}

describe('deliverPage', () => {
  it('gives one ALARM page to each integration once, in its format, with its key', async () => {
    const { deps, chat, topic } = harness();
    const page = samplePage('recovery-point-age', 'alarm', CTX);
    const deliveries = await deliverPage(page, deps);
    expect(deliveries).toEqual([
      { name: 'pagerduty-1', type: 'pagerduty', ok: true },
      { name: 'opsgenie-2', type: 'opsgenie', ok: true },
      { name: 'chatbot-3', type: 'chatbot', ok: true },
    ]);
    expect(received).toHaveLength(2);
    const pd = received.find((r) => r.path === '/v2/enqueue')!;
    expect(pd.body).toMatchObject({
      routing_key: SECRETS['redis-dr/pagerduty'],
      event_action: 'trigger',
      dedup_key: pageKey(page),
      payload: { severity: 'critical' },
    });
    expect(pd.authorization).toBeUndefined();
    const og = received.find((r) => r.path === '/v2/alerts')!;
    expect(og.authorization).toBe('GenieKey og-key-1');
    expect(og.body).toMatchObject({ alias: pageKey(page), priority: 'P1' });
    expect(JSON.stringify(og.body)).not.toContain('og-key-1');
    expect(chat).toEqual([{ topicArn: CHAT_TOPIC, message: expect.objectContaining({ version: '1.0', source: 'custom' }) }]);
    expect(topic).toEqual([]);
  });

  it('ALARM then OK: trigger then resolve with the same dedup_key, create then close by alias', async () => {
    const { deps, chat } = harness();
    const firing = samplePage('snapshot-failed', 'alarm', CTX);
    await deliverPage(firing, deps);
    await deliverPage(samplePage('snapshot-failed', 'ok', CTX), deps);
    const pd = received.filter((r) => r.path === '/v2/enqueue').map((r) => [r.body.event_action, r.body.dedup_key]);
    expect(pd).toEqual([
      ['trigger', pageKey(firing)],
      ['resolve', pageKey(firing)],
    ]);
    expect(received.map((r) => r.path)).toContain(`/v2/alerts/${encodeURIComponent(pageKey(firing))}/close?identifierType=alias`);
    expect(chat.map((c) => c.message.metadata.threadId)).toEqual([pageKey(firing), pageKey(firing)]);
  });

  it('a tool that is down does not stop the others, and its failure pages through the topic and the tools that answered', async () => {
    failing.add('/v2/alerts');
    const { deps, chat, topic } = harness();
    const page = samplePage('rdb-corrupt', 'alarm', CTX);
    const deliveries = await deliverPage(page, deps);
    expect(deliveries.map((d) => [d.name, d.ok])).toEqual([
      ['pagerduty-1', true],
      ['opsgenie-2', false],
      ['chatbot-3', true],
    ]);
    expect(deliveries[1]!.error).toBe(`POST ${base}/v2/alerts answered 503: {"message":"service unavailable"}`);
    expect(topic).toHaveLength(1);
    expect(topic[0]!.attributes).toMatchObject({ kind: 'delivery-failed', severity: 'high' });
    expect(topic[0]!.message).toContain('opsgenie-2 (opsgenie): POST');
    expect(topic[0]!.message).toContain(page.subject);
    // The failure went to PagerDuty and chat; not again to the tool that failed.
    const pdSummaries = received.filter((r) => r.path === '/v2/enqueue').map((r) => r.body.payload.class);
    expect(pdSummaries).toEqual(['rdb-corrupt', 'delivery-failed']);
    expect(received.filter((r) => r.path === '/v2/alerts')).toHaveLength(1);
    expect(chat.map((c) => c.message.metadata.eventType)).toEqual(['rdb-corrupt', 'delivery-failed']);
  });

  it('a key that cannot be read fails that integration only, naming the secret, never a key', async () => {
    const { deps, topic } = harness({
      secret: async (name) =>
        name === 'redis-dr/opsgenie' ? 'og-key-1' : Promise.reject(new Error(`secret ${name} could not be read: AccessDeniedException`)),
    });
    const deliveries = await deliverPage(samplePage('drill-failed', 'alarm', CTX), deps);
    expect(deliveries.map((d) => d.ok)).toEqual([false, true, true]);
    expect(deliveries[0]!.error).toBe('secret redis-dr/pagerduty could not be read: AccessDeniedException');
    expect(topic[0]!.message).not.toContain('og-key-1');
  });

  it('throws (so the retry and the DLQ keep the page) when no integration answered and the failure could not be paged', async () => {
    failing.add('/v2');
    const { deps } = harness({
      publishRaw: async () => {
        throw new Error('AuthorizationError');
      },
      publishPage: async () => {
        throw new Error('KMS.AccessDeniedException');
      },
    });
    await expect(deliverPage(samplePage('lambda-errors', 'alarm', CTX), deps)).rejects.toThrow(
      /reached no integration \(pagerduty-1: POST .* answered 503.*chatbot-3: AuthorizationError\); its failure could not be paged either \(alert topic: KMS.AccessDeniedException\)/,
    );
  });

  // The topic taking the failure page proves no one read it: with integrations only, its one subscriber is this router,
  // which leaves delivery-failed out. The invocation fails, so the DLQ keeps the page for a redrive.
  it('throws when every integration failed, even though the topic took the failure page (which it still gets)', async () => {
    failing.add('/v2');
    const { deps, topic } = harness({ publishRaw: async () => Promise.reject(new Error('AuthorizationError')) });
    await expect(deliverPage(samplePage('lambda-errors', 'alarm', CTX), deps)).rejects.toThrow(
      /reached no integration \(pagerduty-1: POST .* answered 503.*chatbot-3: AuthorizationError\); its failure was published to the alert topic/,
    );
    expect(topic.map((p) => p.attributes.kind)).toEqual(['delivery-failed']);
  });

  it('throws when one tool took the page but nobody took the news that another did not', async () => {
    failing.add('/v2/alerts');
    let chats = 0;
    const { deps } = harness({
      // Chat takes the page, then refuses the delivery-failed page; PagerDuty's key is gone by then; the topic refuses.
      publishRaw: async () => {
        chats += 1;
        if (chats > 1) throw new Error('AuthorizationError');
      },
      secret: async (name) =>
        name === 'redis-dr/opsgenie' ? 'og-key-1' : Promise.reject(new Error(`secret ${name} could not be read: AccessDeniedException`)),
      publishPage: async () => Promise.reject(new Error('KMS.AccessDeniedException')),
    });
    await expect(deliverPage(samplePage('rdb-corrupt', 'alarm', CTX), deps)).rejects.toThrow(
      /did not reach pagerduty-1, opsgenie-2 .*and no integration nor the alert topic took that news/,
    );
  });
});

describe('routePages', () => {
  it('reads each page back from the SNS record the alert topic delivers', async () => {
    const { deps } = harness();
    const page = samplePage('verified-copy-age', 'alarm', CTX);
    const record = {
      Sns: {
        Subject: page.subject,
        Message: page.message,
        MessageAttributes: Object.fromEntries(Object.entries(page.attributes).map(([k, v]) => [k, { Type: 'String', Value: v }])),
      },
    };
    const [deliveries] = await routePages({ Records: [record] }, { ...deps, deployment: 'prod', region: 'eu-west-1' });
    expect(deliveries!.every((d) => d.ok)).toBe(true);
    expect(received.find((r) => r.path === '/v2/enqueue')!.body.dedup_key).toBe(pageKey(page));
  });

  it('a page of a kind or severity not ours still reaches on-call, as kind unknown, severity warning', async () => {
    const { deps, chat } = harness();
    const MessageAttributes = { kind: { Type: 'String', Value: 'made-up' }, severity: { Type: 'String', Value: 'urgent' } };
    await routePages({ Records: [{ Sns: { Subject: null, Message: 'hello', MessageAttributes } }] }, { ...deps, deployment: 'prod', region: 'eu-west-1' });
    expect(chat[0]!.message.metadata.eventType).toBe('unknown');
    expect(received.find((r) => r.path === '/v2/enqueue')!.body.payload.severity).toBe('warning');
  });

  it('a severity in capitals is that severity (CRITICAL pages as critical, not as an unknown one)', async () => {
    const { deps } = harness();
    const MessageAttributes = { kind: { Type: 'String', Value: 'made-up' }, severity: { Type: 'String', Value: 'CRITICAL' } };
    await routePages({ Records: [{ Sns: { Subject: null, Message: 'hello', MessageAttributes } }] }, { ...deps, deployment: 'prod', region: 'eu-west-1' });
    expect(received.find((r) => r.path === '/v2/enqueue')!.body.payload.severity).toBe('critical');
  });

  // With alerts.existingTopicArns the topic may be a shared one: its other traffic is its own subscribers' business.
  it("leaves a message that is not redis-dr's (no kind attribute, not an alarm of this deployment) to the topic's own subscribers", async () => {
    const { deps, chat, logs } = harness();
    const foreign = JSON.parse(alarmNotification('ALARM').Records[0]!.Sns.Message) as Record<string, unknown>;
    const records = [
      { Sns: { Subject: null, Message: 'hello' } },
      { Sns: { Subject: 'ALARM: "billing-high"', Message: JSON.stringify({ ...foreign, AlarmName: 'billing-high' }) } },
      { Sns: { Subject: 'ALARM', Message: JSON.stringify({ ...foreign, AlarmName: 'redis-dr-staging-lambda-errors-alertformatter' }) } },
    ];
    expect(await routePages({ Records: records }, { ...deps, deployment: 'prod', region: 'eu-west-1' })).toEqual([[], [], []]);
    expect(received).toEqual([]);
    expect(chat).toEqual([]);
    expect(logs.filter((l) => l.message === 'message not routed').map((l) => l.extra?.why)).toEqual(
      Array(3).fill("not a redis-dr page (no kind attribute, not an alarm named redis-dr-prod-*): left to the topic's own subscribers"),
    );
  });
});

/** An alarm's SNS action publishes CloudWatch's notification JSON with no message attributes (the formatter's own error alarm). */
function alarmNotification(state: 'ALARM' | 'OK') {
  const name = 'redis-dr-prod-lambda-errors-alertformatter';
  const message = {
    AlarmName: name,
    AlarmDescription: 'The PrimaryStack/Monitoring/AlertFormatter function failed (an invocation threw). Runbook: docs/runbooks/pipeline-errors.md',
    AWSAccountId: '123456789012',
    NewStateValue: state,
    NewStateReason:
      state === 'ALARM'
        ? 'Threshold Crossed: 1 out of the last 1 datapoints [2.0 (27/11/26 09:40:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).'
        : 'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    StateChangeTime: '2026-11-27T09:45:12.345+0000',
    Region: 'EU (Ireland)',
    AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`,
    OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
    Trigger: {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      StatisticType: 'Statistic',
      Statistic: 'SUM',
      Unit: null,
      Dimensions: [{ value: 'redis-dr-prod-AlertFormatter', name: 'FunctionName' }],
      Period: 300,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1.0,
      TreatMissingData: 'notBreaching',
    },
  };
  return { Records: [{ Sns: { Subject: `${state}: "${name}" in EU (Ireland)`, Message: JSON.stringify(message) } }] };
}

describe('routePages: what the alert topic carries besides our pages', () => {
  const where = { deployment: 'prod', region: 'eu-west-1' };

  it("an alarm's own SNS notification (the formatter's error alarm) pages as that alarm, and its OK resolves it", async () => {
    const { deps, chat } = harness();
    await routePages(alarmNotification('ALARM'), { ...deps, ...where });
    const key = 'redis-dr/prod/eu-west-1/redis-dr-prod-lambda-errors-alertformatter';
    const trigger = received.find((r) => r.path === '/v2/enqueue')!.body;
    expect(trigger).toMatchObject({ event_action: 'trigger', dedup_key: key, payload: { severity: 'error', class: 'lambda-errors' } });
    expect(trigger.payload.summary).toContain('Lambda errors');
    expect(chat[0]!.message.metadata).toMatchObject({ eventType: 'lambda-errors', threadId: key });
    received.length = 0;
    await routePages(alarmNotification('OK'), { ...deps, ...where });
    expect(received.find((r) => r.path === '/v2/enqueue')!.body).toEqual({
      routing_key: SECRETS['redis-dr/pagerduty'],
      event_action: 'resolve',
      dedup_key: key,
    });
    expect(received.find((r) => r.path.includes('/close'))!.path).toBe(`/v2/alerts/${encodeURIComponent(key)}/close?identifierType=alias`);
  });

  it('two different pages of kind unknown (events the formatter does not know) are two incidents (PagerDuty and Opsgenie fold a second trigger of one key into the open one); the same page again is one', async () => {
    const { deps } = harness();
    const MessageAttributes = { kind: { Type: 'String', Value: 'unknown' }, severity: { Type: 'String', Value: 'warning' } };
    for (const text of ['an event the formatter does not know', 'a second, different one', 'an event the formatter does not know'])
      await routePages(
        { Records: [{ Sns: { Subject: '[WARNING] redis-dr prod: unrecognised event eu-west-1', Message: text, MessageAttributes } }] },
        { ...deps, ...where },
      );
    const keys = received.filter((r) => r.path === '/v2/enqueue').map((r) => r.body.dedup_key as string);
    const aliases = received.filter((r) => r.path === '/v2/alerts').map((r) => r.body.alias as string);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^redis-dr\/prod\/eu-west-1\/unknown\/[0-9a-f]{16}$/);
    expect(keys[1]).not.toBe(keys[0]);
    expect(keys[2]).toBe(keys[0]);
    expect(aliases).toEqual(keys);
  });

  it('leaves out its own delivery-failed pages and the selftest TEST page (no subscription filter does it)', async () => {
    const { deps, chat, topic, logs } = harness();
    for (const kind of ['delivery-failed', 'selftest']) {
      const page = samplePage('verified-copy-age', 'alarm', CTX);
      const attributes = { ...page.attributes, kind };
      const record = {
        Sns: {
          Subject: page.subject,
          Message: page.message,
          MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { Type: 'String', Value: v }])),
        },
      };
      expect(await routePages({ Records: [record] }, { ...deps, ...where })).toEqual([[]]);
    }
    expect(received).toEqual([]);
    expect(chat).toEqual([]);
    expect(topic).toEqual([]);
    expect(logs.filter((l) => l.message === 'message not routed').map((l) => l.extra?.why)).toEqual([
      'its kind (delivery-failed) is delivered another way',
      'its kind (selftest) is delivered another way',
    ]);
  });
});

/** The SNS record of a page published with its attributes (lambdas/adapters/aws/alerts.ts publishAlert). */
function recordOf(page: ReturnType<typeof samplePage>) {
  const MessageAttributes = Object.fromEntries(Object.entries(page.attributes).map(([k, v]) => [k, { Type: 'String', Value: v }]));
  return { Sns: { Subject: page.subject, Message: page.message, MessageAttributes } };
}

describe('routePages: a topic shared by deployments (alerts.existingTopicArns)', () => {
  const where = { deployment: 'acme', region: 'eu-west-1' };

  it("leaves out the alarms of a deployment whose name starts with its own (acme-g1's are named redis-dr-acme-g1-…) and the pages of another deployment: each router delivers its own, once", async () => {
    const { deps, chat, logs } = harness();
    const theirs = JSON.parse(alarmNotification('ALARM').Records[0]!.Sns.Message) as Record<string, unknown>;
    const page = samplePage('verified-copy-age', 'alarm', { ...CTX, deployment: 'acme-g1' });
    const records = [
      { Sns: { Subject: 'ALARM', Message: JSON.stringify({ ...theirs, AlarmName: 'redis-dr-acme-g1-lambda-errors-alertformatter' }) } },
      recordOf(page),
    ];
    expect(await routePages({ Records: records }, { ...deps, ...where })).toEqual([[], []]);
    expect(received).toEqual([]);
    expect(chat).toEqual([]);
    expect(logs.filter((l) => l.message === 'message not routed').map((l) => l.extra?.why)).toEqual([
      "not a redis-dr page (no kind attribute, not an alarm named redis-dr-acme-*): left to the topic's own subscribers",
      "a page of deployment acme-g1, not acme: its own router and the topic's subscribers have it",
    ]);
  });

  it('still delivers its own alarm notification and its own pages', async () => {
    const { deps } = harness();
    const ours = JSON.parse(alarmNotification('ALARM').Records[0]!.Sns.Message) as Record<string, unknown>;
    const page = samplePage('verified-copy-age', 'alarm', { ...CTX, deployment: 'acme' });
    const records = [
      { Sns: { Subject: 'ALARM', Message: JSON.stringify({ ...ours, AlarmName: 'redis-dr-acme-lambda-errors-alertformatter' }) } },
      recordOf(page),
    ];
    const out = await routePages({ Records: records }, { ...deps, ...where });
    expect(out.map((d) => d.length > 0 && d.every((x) => x.ok))).toEqual([true, true]);
    expect(received.filter((r) => r.path === '/v2/enqueue').map((r) => r.body.dedup_key)).toEqual([
      'redis-dr/acme/eu-west-1/redis-dr-acme-lambda-errors-alertformatter',
      pageKey(page),
    ]);
  });
});

describe('routedIntegrations', () => {
  it('refuses a chat integration without its topic', () => {
    expect(() => routedIntegrations(JSON.stringify(INTEGRATIONS), '{}')).toThrow('chat integration chatbot-3 has no topic in CHAT_TOPICS: redeploy the stack');
  });
});

describe('postJson', () => {
  it('gives up on a tool that does not answer in time, naming the address', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v2/enqueue`;
    try {
      await expect(postJson(url, {}, {}, 200)).rejects.toThrow(`POST ${url} got no answer`);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
