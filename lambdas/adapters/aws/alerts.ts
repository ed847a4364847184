import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ascii, type Page } from '../../domain/alerting/page.js';

/**
 * Alerts to on-call through the region's SNS topic. The alerting capability
 * owns the topic and its subscriptions; capabilities publish through here.
 */

/** One alert: a page (lambdas/domain/alerting/page.ts) — subject, body, attributes for routing. */
export type Alert = Page;

/** A subject SNS accepts: printable ASCII, no line breaks, fewer than 100 characters (the page's own rule, lambdas/domain/alerting/page.ts). */
export function snsSubject(subject: string): string {
  return ascii(subject);
}

/** Publishes an alert; throws when SNS refuses it (the caller's retry and DLQ take over). */
export async function publishAlert(client: SNSClient, topicArn: string, alert: Alert): Promise<void> {
  await client.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: snsSubject(alert.subject),
      Message: alert.message,
      MessageAttributes: Object.fromEntries(
        Object.entries(alert.attributes)
          .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
          .map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
      ),
    }),
  );
}
