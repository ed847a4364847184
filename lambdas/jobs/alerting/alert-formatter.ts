import type { Alert } from '../../adapters/aws/alerts.js';
import type { LogSink } from '../kernel/deps.js';
import { formatAlert, type AlertContext, type FormattedAlert } from '../../domain/alerting/format.js';

/**
 * Alert formatter (both regions): the on-call EventBridge rule's target.
 * Receives CloudWatch alarm state changes (our alarms, including AWS/Lambda,
 * AWS/SQS, AWS/Scheduler and AWS/S3 replication metrics), Step Functions
 * execution status changes and S3 replication failures, turns each into a
 * sentence (lambdas/domain/alerting/format.ts) and publishes it to the on-call
 * topic with routing attributes.
 *
 * An event of unknown shape is still published (generic message) and its
 * surprises logged; it throws only when SNS refuses the message, so the async
 * retries and the DLQ keep the page.
 */

/** Everything one invocation needs from the outside world. */
export interface AlertFormatterDeps {
  readonly publish: (alert: Alert) => Promise<void>;
  readonly log: LogSink;
  readonly context: AlertContext;
}

/** Formats and publishes one event; returns what was sent. */
export async function forwardAlert(event: unknown, deps: AlertFormatterDeps): Promise<FormattedAlert> {
  const alert = formatAlert(event, deps.context);
  const log = { ...alert.attributes, subject: alert.subject };
  if (alert.surprises.length > 0) deps.log.warn('event shape surprised the formatter', { ...log, surprises: alert.surprises, event });
  await deps.publish({ subject: alert.subject, message: alert.message, attributes: alert.attributes });
  deps.log.info('alert published', log);
  return alert;
}
