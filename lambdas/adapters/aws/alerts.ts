import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Page } from '../../domain/alerting/page.js';

/**
 * Alerts to on-call through the region's SNS topic. The alerting capability
 * owns the topic and its subscriptions; capabilities publish through here.
 */

/** One alert: a page (lambdas/domain/alerting/page.ts) — subject, body, attributes for routing. */
export type Alert = Page;

/** SNS limits subjects to 100 ASCII characters without line breaks. */
export function snsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 100 ? `${ascii.slice(0, 97)}...` : ascii;
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
