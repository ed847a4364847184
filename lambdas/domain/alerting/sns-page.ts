/**
 * A page back from the alert topic: the page router is subscribed to it and
 * gets each page as an SNS record (subject, message, string attributes).
 * Every publisher's page (the formatter, verify-rdb, the drill report, the
 * DR report) is read the same way, so each reaches the integrations. Pure.
 */
import { z } from 'zod';
import { ALARM_KINDS, PAGE_KINDS, PAGE_SEVERITIES, type PageKind } from './catalog.js';
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
 * The page an SNS record carries. A message without our attributes (someone
 * published to the topic by hand) is still a page: kind `unknown`, severity
 * `warning`, so it reaches on-call rather than vanishing.
 */
export function pageFromSnsRecord(record: z.infer<typeof snsRecordSchema>, fallback: { deployment: string; region: string }): Page {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.Sns.MessageAttributes ?? {})) if (v.Type === 'String' && v.Value !== '') attrs[k] = v.Value;
  const kind = (attrs.kind && KINDS.has(attrs.kind) ? attrs.kind : 'unknown') as PageKind;
  const severity = attrs.severity && SEVERITIES.has(attrs.severity) ? attrs.severity : 'warning';
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
