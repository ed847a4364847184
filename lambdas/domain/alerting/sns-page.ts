/**
 * A page back from the alert topic: the page router is subscribed to it and
 * gets each page as an SNS record (subject, message, string attributes).
 * Every publisher's page (the formatter, verify-rdb, the drill report, the
 * DR report) is read the same way, so each reaches the integrations. Pure.
 */
import { z } from 'zod';
import { ALARM_KINDS, PAGE_KINDS, PAGE_SEVERITIES, type PageKind } from './catalog.js';
import { type AlertContext, formatAlert } from './format.js';
import { alarmNamePrefix, parseAlarmName } from './names.js';
import type { AlertAttributes, Page } from './page.js';

const attribute = z.object({ Type: z.string(), Value: z.string() });

/** The part of an SNS record (Lambda subscription) the router reads. */
export const snsRecordSchema = z.object({
  Sns: z.object({
    Subject: z.string().nullish(),
    Message: z.string(),
    MessageAttributes: z.record(z.string(), attribute).optional(),
  }),
});

/** The event SNS invokes a subscribed Lambda with. */
export const snsEventSchema = z.object({ Records: z.array(snsRecordSchema).min(1) });

const KINDS = new Set<string>([...Object.keys(ALARM_KINDS), ...Object.keys(PAGE_KINDS)]);
const SEVERITIES = new Set<string>(PAGE_SEVERITIES);

/**
 * The page kinds the router does not deliver: its own failure pages (it
 * already sent them to the tools that answered), and the selftest's TEST
 * page, which `redis-dr selftest` hands the router itself to hear each
 * tool's answer. Left out by the router, not by a subscription filter
 * policy: a filter drops every message without the attribute it names, and
 * an alarm's SNS action publishes without any (the formatter's own error
 * alarm pages straight to the topic), so a filter would drop that page.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html
 */
export const NOT_ROUTED_KINDS: readonly PageKind[] = ['delivery-failed', 'selftest'];

/** The string attributes of a record (SNS rejects empty values; a non-String one is not ours). */
function stringAttributes(record: z.infer<typeof snsRecordSchema>): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.Sns.MessageAttributes ?? {})) if (v.Type === 'String' && v.Value !== '') attrs[k] = v.Value;
  return attrs;
}

/** The message as JSON, when it is an object. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A CloudWatch alarm's own notification (an alarm whose SNS action publishes straight to the topic): its JSON. */
function alarmNotification(record: z.infer<typeof snsRecordSchema>): (Record<string, unknown> & { AlarmName: string }) | undefined {
  const n = jsonObject(record.Sns.Message);
  return typeof n?.AlarmName === 'string' && typeof n.NewStateValue === 'string' ? (n as Record<string, unknown> & { AlarmName: string }) : undefined;
}

/**
 * Why the router leaves a record out, or `undefined` when it delivers it:
 * a page of a kind delivered another way ({@link NOT_ROUTED_KINDS}), a page
 * of another deployment sharing the topic, or a message that is not
 * redis-dr's at all (no `kind` attribute and not an alarm of this
 * deployment: an existing topic's other traffic, which that topic's own
 * subscribers have).
 */
export function notRouted(record: z.infer<typeof snsRecordSchema>, deployment: string): string | undefined {
  const { kind, deployment: of } = stringAttributes(record);
  if (kind !== undefined) {
    if ((NOT_ROUTED_KINDS as readonly string[]).includes(kind)) return `its kind (${kind}) is delivered another way`;
    // A topic shared by deployments (alerts.existingTopicArns): each one's router delivers its own pages, once.
    return of !== undefined && of !== deployment
      ? `a page of deployment ${of}, not ${deployment}: its own router and the topic's subscribers have it`
      : undefined;
  }
  // Parsed, not matched by prefix: deployment acme's prefix redis-dr-acme- also starts acme-g1's alarm names.
  const alarm = alarmNotification(record)?.AlarmName;
  if (alarm !== undefined && parseAlarmName(alarm, deployment) !== undefined) return undefined;
  return `not a redis-dr page (no kind attribute, not an alarm named ${alarmNamePrefix(deployment)}*): left to the topic's own subscribers`;
}

/**
 * The page an SNS record carries. A CloudWatch alarm's own notification (an
 * alarm whose SNS action pages straight to the topic: no attributes, its
 * JSON in the message) is formatted as the formatter formats the alarm, so
 * its kind, severity and page key are the alarm's and its OK resolves. A
 * page whose kind or severity is not one of ours is still a page: kind
 * `unknown`, severity `warning`, so it reaches on-call rather than vanishing.
 */
export function pageFromSnsRecord(record: z.infer<typeof snsRecordSchema>, fallback: AlertContext): Page {
  const attrs = stringAttributes(record);
  const alarm = attrs.kind === undefined ? alarmNotification(record) : undefined;
  if (alarm) {
    const { subject, message, attributes } = formatAlert(alarm, fallback);
    return { subject, message, attributes };
  }
  const kind = (attrs.kind && KINDS.has(attrs.kind) ? attrs.kind : 'unknown') as PageKind;
  // `CRITICAL` is critical: a page published by hand or by another tool in capitals keeps its urgency.
  const given = attrs.severity?.toLowerCase();
  const severity = given && SEVERITIES.has(given) ? given : 'warning';
  const attributes = {
    ...attrs,
    kind,
    severity,
    deployment: attrs.deployment ?? fallback.deployment,
    region: attrs.region ?? fallback.region,
  } as AlertAttributes;
  const subject = record.Sns.Subject ?? `[${severity.toUpperCase()}] redis-dr ${attributes.deployment}: page ${attributes.region}`;
  return { subject, message: record.Sns.Message, attributes };
}
