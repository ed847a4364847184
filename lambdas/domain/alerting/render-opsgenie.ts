/**
 * The page as Opsgenie's Alert API receives it: an ALARM page creates an
 * alert whose `alias` is the page key (Opsgenie keeps one open alert per
 * alias, so a repeating alarm counts up instead of paging again), the OK
 * page closes the alert of that alias. Pure.
 *
 * @see https://docs.opsgenie.com/docs/alert-api
 */
import type { AlertSeverity } from './catalog.js';
import type { Page } from './page.js';
import { clip, headline, isResolved, pageKey, pageRunbook, type RenderContext } from './render-shared.js';

/** Opsgenie's US API (EU accounts: `https://api.eu.opsgenie.com`). */
export const OPSGENIE_API = 'https://api.opsgenie.com';

/** Opsgenie's limits on alert fields. */
export const OPSGENIE_LIMITS = { message: 130, alias: 512, description: 15000, source: 100, entity: 512, tag: 50, tags: 20, note: 25000, user: 100 } as const;

/** The catalog's severities as Opsgenie priorities (`ok` closes). */
export const OPSGENIE_PRIORITY: Readonly<Record<Exclude<AlertSeverity, 'ok'>, 'P1' | 'P2' | 'P3' | 'P4' | 'P5'>> = {
  critical: 'P1',
  high: 'P2',
  warning: 'P3',
  info: 'P5',
};

/** Create alert (`POST /v2/alerts`). */
export interface OpsgenieCreateAlert {
  readonly message: string;
  readonly alias: string;
  readonly description: string;
  readonly priority: 'P1' | 'P2' | 'P3' | 'P4' | 'P5';
  readonly source: string;
  readonly entity?: string;
  readonly tags: readonly string[];
  readonly details: Readonly<Record<string, string>>;
}

/** Close alert (`POST /v2/alerts/<alias>/close?identifierType=alias`). */
export interface OpsgenieCloseAlert {
  readonly source: string;
  readonly user: string;
  readonly note: string;
}

/** Where to post (under the API's address) and what. */
export interface OpsgenieRequest {
  readonly path: string;
  readonly body: OpsgenieCreateAlert | OpsgenieCloseAlert;
}

/** The Opsgenie rendering of a page. The API key goes in the `Authorization: GenieKey` header, not here. */
export function renderOpsgenie(page: Page, ctx: RenderContext = {}): OpsgenieRequest {
  const a = page.attributes;
  const alias = clip(pageKey(page), OPSGENIE_LIMITS.alias);
  const source = clip(`redis-dr ${a.deployment} ${a.region}`, OPSGENIE_LIMITS.source);
  if (isResolved(page)) {
    return {
      path: `/v2/alerts/${encodeURIComponent(alias)}/close?identifierType=alias`,
      body: { source, user: 'redis-dr', note: clip(page.message, OPSGENIE_LIMITS.note) },
    };
  }
  const tags = ['redis-dr', a.deployment, a.region, a.kind, a.severity].map((t) => clip(t, OPSGENIE_LIMITS.tag));
  const details: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) if (typeof v === 'string' && v !== '') details[k] = v;
  details.runbook = pageRunbook(page, ctx);
  return {
    path: '/v2/alerts',
    body: {
      message: clip(headline(page), OPSGENIE_LIMITS.message),
      alias,
      description: clip(page.message, OPSGENIE_LIMITS.description),
      priority: OPSGENIE_PRIORITY[a.severity as Exclude<AlertSeverity, 'ok'>],
      source,
      ...(a.plan ? { entity: clip(a.target ? `${a.plan}/${a.target}` : a.plan, OPSGENIE_LIMITS.entity) } : {}),
      tags: [...new Set(tags)].slice(0, OPSGENIE_LIMITS.tags),
      details,
    },
  };
}
