/**
 * The page as PagerDuty Events API v2 receives it. An alarm's ALARM page is
 * a `trigger`, its OK page a `resolve` with the same `dedup_key`, so a
 * repeating alarm stays one incident and closes itself when the alarm
 * recovers. A page that needs no action (severity info) is a change event:
 * PagerDuty shows it on the service's timeline and notifies nobody. Pure.
 *
 * @see https://developer.pagerduty.com/docs/events-api-v2-overview
 */
import type { AlertSeverity } from './catalog.js';
import type { Page } from './page.js';
import { clip, headline, isInformational, isResolved, pageKey, pageRunbook, runbookUrl, type RenderContext } from './render-shared.js';

/** PagerDuty's limit on `payload.summary`. */
export const PAGERDUTY_MAX_SUMMARY = 1024;

/** The Events API of PagerDuty's US service region (EU accounts: `https://events.eu.pagerduty.com`). */
export const PAGERDUTY_API = 'https://events.pagerduty.com';
/** The path of alert events (trigger, acknowledge, resolve). */
export const PAGERDUTY_EVENTS_PATH = '/v2/enqueue';
/** The path of change events (no incident, no notification). */
export const PAGERDUTY_CHANGE_PATH = '/v2/change/enqueue';

/** PagerDuty's four severities. */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** The catalog's severities in PagerDuty's words (`ok` never triggers). */
export const PAGERDUTY_SEVERITY: Readonly<Record<Exclude<AlertSeverity, 'ok'>, PagerDutySeverity>> = {
  critical: 'critical',
  high: 'error',
  warning: 'warning',
  info: 'info',
};

/** A link PagerDuty shows on the incident. */
export interface PagerDutyLink {
  readonly href: string;
  readonly text: string;
}

/** An alert event: trigger or resolve. */
export interface PagerDutyAlertEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger' | 'resolve';
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Readonly<Record<string, string>>;
  };
  readonly client?: string;
  readonly links?: readonly PagerDutyLink[];
}

/** A change event (informational pages). */
export interface PagerDutyChangeEvent {
  readonly routing_key: string;
  readonly payload: { readonly summary: string; readonly source?: string; readonly custom_details?: Readonly<Record<string, string>> };
  readonly links?: readonly PagerDutyLink[];
}

/** Where to post (under the Events API's address) and what. */
export interface PagerDutyRequest {
  readonly path: string;
  readonly body: PagerDutyAlertEvent | PagerDutyChangeEvent;
}

/** The PagerDuty rendering of a page; `routingKey` is the integration key (from Secrets Manager at run time). */
export function renderPagerDuty(page: Page, routingKey: string, ctx: RenderContext = {}): PagerDutyRequest {
  const a = page.attributes;
  const url = runbookUrl(page, ctx);
  const links = url ? [{ href: url, text: 'Runbook' }] : undefined;
  const summary = clip(headline(page), PAGERDUTY_MAX_SUMMARY);
  const source = `redis-dr ${a.deployment} ${a.region}`;
  const details = customDetails(page, ctx);
  if (isInformational(page)) {
    return {
      path: PAGERDUTY_CHANGE_PATH,
      body: { routing_key: routingKey, payload: { summary, source, custom_details: details }, ...(links ? { links } : {}) },
    };
  }
  const dedupKey = pageKey(page);
  if (isResolved(page)) {
    return { path: PAGERDUTY_EVENTS_PATH, body: { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey } };
  }
  const severity = PAGERDUTY_SEVERITY[a.severity as Exclude<AlertSeverity, 'ok'>];
  return {
    path: PAGERDUTY_EVENTS_PATH,
    body: {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: dedupKey,
      payload: {
        summary,
        source,
        severity,
        ...(a.plan ? { component: a.plan } : {}),
        group: a.deployment,
        class: a.kind,
        custom_details: details,
      },
      client: 'redis-dr',
      ...(links ? { links } : {}),
    },
  };
}

/** The page's attributes, its text and its runbook, for the incident's details. */
function customDetails(page: Page, ctx: RenderContext): Record<string, string> {
  const details: Record<string, string> = {};
  for (const [k, v] of Object.entries(page.attributes)) if (typeof v === 'string' && v !== '') details[k] = v;
  details.message = page.message;
  details.runbook = pageRunbook(page, ctx);
  return details;
}
