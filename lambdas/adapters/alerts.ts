import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/**
 * Alerts to on-call through the region's SNS topic. The alerting capability
 * owns the topic and its subscriptions; capabilities publish through here.
 */

/** One alert: a subject line, a body a person reads, attributes for routing. */
export interface Alert {
  /** At most 100 characters (SNS limit for email subjects); longer ones are cut. */
  readonly subject: string;
  readonly message: string;
  /** String attributes (e.g. `severity`, `kind`, `target`) for subscription filter policies. */
  readonly attributes?: Readonly<Record<string, string>>;
}

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
        Object.entries(alert.attributes ?? {}).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
      ),
    }),
  );
}
