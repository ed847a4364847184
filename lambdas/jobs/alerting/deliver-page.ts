import { z } from 'zod';
import type { LogSink } from '../kernel/deps.js';
import { type Integration, integrationApi, integrationName, integrationsSchema } from '../../domain/alerting/integrations.js';
import type { Page } from '../../domain/alerting/page.js';
import { renderChatbot } from '../../domain/alerting/render-chatbot.js';
import { renderOpsgenie } from '../../domain/alerting/render-opsgenie.js';
import { renderPagerDuty } from '../../domain/alerting/render-pagerduty.js';
import type { RenderContext } from '../../domain/alerting/render-shared.js';
import { notRouted, pageFromSnsRecord, snsEventSchema } from '../../domain/alerting/sns-page.js';
import { type Delivery, deliveryFailedPage } from './delivery-failed.js';

/**
 * The page router (both regions): subscribed to the alert topic, it gives
 * every page to each of `alerts.integrations` in that tool's own format —
 * PagerDuty and Opsgenie over HTTPS with the key read from Secrets Manager
 * now, the chat channel through a topic of its own. SNS sends one message
 * per protocol, not per subscriber, so each tool's format needs a delivery
 * of its own; this is it.
 *
 * A delivery that fails does not stop the others; the failure is paged
 * through the alert topic (email and webhooks) and every integration that
 * did answer, so someone hears that one tool is deaf.
 */

/** An integration as the router runs it: its config, name, and for chat the topic the channel subscribes to. */
export type RoutedIntegration = Integration & { readonly chatTopicArn?: string };

/** Everything the router needs from the outside world. */
export interface DeliveryDeps {
  readonly integrations: readonly RoutedIntegration[];
  /** The secret's current value (a plain string). */
  readonly secret: (name: string) => Promise<string>;
  /** POSTs JSON; throws when the answer is not 2xx (never quoting the key). */
  readonly post: (url: string, body: unknown, headers: Readonly<Record<string, string>>) => Promise<void>;
  /** Publishes a raw message to a topic (the chat channel's). */
  readonly publishRaw: (topicArn: string, message: string) => Promise<void>;
  /** Publishes a page to the alert topic (its email and webhook subscribers). */
  readonly publishPage: (page: Page) => Promise<void>;
  readonly log: LogSink;
  readonly context: RenderContext;
  /** The API address of a PagerDuty or Opsgenie integration. @default integrationApi (the vendor's, by service region) */
  readonly api?: typeof integrationApi;
}

/** Sends `page` to one integration in its format. */
export async function deliverTo(integration: RoutedIntegration, page: Page, deps: DeliveryDeps): Promise<void> {
  switch (integration.type) {
    case 'pagerduty': {
      const request = renderPagerDuty(page, await deps.secret(integration.secretName), deps.context);
      await deps.post(`${(deps.api ?? integrationApi)(integration)}${request.path}`, request.body, {});
      return;
    }
    case 'opsgenie': {
      const key = await deps.secret(integration.secretName);
      const request = renderOpsgenie(page, deps.context);
      await deps.post(`${(deps.api ?? integrationApi)(integration)}${request.path}`, request.body, { Authorization: `GenieKey ${key}` });
      return;
    }
    case 'chatbot': {
      if (!integration.chatTopicArn) throw new Error('no chat topic: the stack passes one per chatbot integration (redeploy)');
      await deps.publishRaw(integration.chatTopicArn, JSON.stringify(renderChatbot(page, deps.context)));
      return;
    }
  }
}

/** Delivers to every integration at once; never throws for one integration's failure. */
export async function deliverAll(
  integrations: readonly { integration: RoutedIntegration; name: string }[],
  page: Page,
  deps: DeliveryDeps,
): Promise<Delivery[]> {
  const settled = await Promise.allSettled(integrations.map(({ integration }) => deliverTo(integration, page, deps)));
  return settled.map((s, i) => {
    const { integration, name } = integrations[i]!;
    return s.status === 'fulfilled'
      ? { name, type: integration.type, ok: true }
      : { name, type: integration.type, ok: false, error: s.reason instanceof Error ? s.reason.message : String(s.reason) };
  });
}

/**
 * Delivers a page to every integration, then pages each failure through the
 * alert topic and the integrations that answered. Throws (after that, so the
 * invocation fails: its dead-letter queue keeps the page for a redrive, and
 * the router's error alarm fires) when no integration got the page, or when
 * nobody was told that one did not: the alert topic's own subscribers may be
 * none but this router, which leaves delivery-failed pages out, so a failure
 * page the topic took is no proof that anyone read it.
 */
export async function deliverPage(page: Page, deps: DeliveryDeps): Promise<Delivery[]> {
  const named = deps.integrations.map((integration, index) => ({ integration, name: integrationName(integration, index) }));
  const deliveries = await deliverAll(named, page, deps);
  const failed = deliveries.filter((d) => !d.ok);
  const log = { kind: page.attributes.kind, severity: page.attributes.severity, subject: page.subject };
  if (failed.length === 0) {
    deps.log.info('page delivered to every integration', { ...log, integrations: deliveries.map((d) => d.name) });
    return deliveries;
  }
  deps.log.error('page not delivered to some integrations', { ...log, failed });
  const failure = deliveryFailedPage(page, failed);
  const answered = named.filter((_, i) => deliveries[i]!.ok);
  // The alert topic's own subscribers (email, webhooks), and the tools that work; never the deaf ones again.
  const [topic, others] = await Promise.all([
    deps.publishPage(failure).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    ),
    deliverAll(answered, failure, deps),
  ]);
  if (topic !== undefined) deps.log.error('the delivery failure could not be paged to the alert topic', { error: topic });
  const why = failed.map((d) => `${d.name}: ${d.error}`).join('; ');
  const told =
    topic === undefined
      ? 'its failure was published to the alert topic (read only by its email and webhook subscribers, if it has any)'
      : `its failure could not be paged either (alert topic: ${topic})`;
  if (answered.length === 0) throw new Error(`page "${page.subject}" reached no integration (${why}); ${told}`);
  if (topic !== undefined && !others.some((d) => d.ok)) {
    throw new Error(
      `page "${page.subject}" did not reach ${failed.map((d) => d.name).join(', ')} (${why}), and no integration nor the alert topic took that news`,
    );
  }
  return deliveries;
}

/**
 * The integrations as the stack hands them over: `alerts.integrations` (JSON,
 * parsed with the config's own schema) and each chat integration's topic by
 * name. A chat integration without its topic is refused here, at cold start.
 */
export function routedIntegrations(integrationsJson: string, chatTopicsJson: string): RoutedIntegration[] {
  const integrations = integrationsSchema.parse(JSON.parse(integrationsJson));
  const topics = z.record(z.string(), z.string()).parse(JSON.parse(chatTopicsJson));
  return integrations.map((integration, index) => {
    if (integration.type !== 'chatbot') return integration;
    const chatTopicArn = topics[integrationName(integration, index)];
    if (!chatTopicArn) throw new Error(`chat integration ${integrationName(integration, index)} has no topic in CHAT_TOPICS: redeploy the stack`);
    return { ...integration, chatTopicArn };
  });
}

/** Every page of an SNS event (the router's subscription) delivered in turn; the deliveries of each. */
export async function routePages(event: unknown, deps: DeliveryDeps & { readonly deployment: string; readonly region: string }): Promise<Delivery[][]> {
  const { Records } = snsEventSchema.parse(event);
  const out: Delivery[][] = [];
  for (const record of Records) {
    const why = notRouted(record, deps.deployment);
    if (why !== undefined) {
      deps.log.info('message not routed', { why, subject: record.Sns.Subject ?? undefined });
      out.push([]);
      continue;
    }
    out.push(await deliverPage(pageFromSnsRecord(record, { ...deps.context, deployment: deps.deployment, region: deps.region }), deps));
  }
  return out;
}
