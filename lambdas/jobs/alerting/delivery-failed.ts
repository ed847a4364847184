import { runbookOf } from '../../domain/alerting/catalog.js';
import type { IntegrationType } from '../../domain/alerting/integrations.js';
import { type Page, pageAttributes, pageSubject } from '../../domain/alerting/page.js';

/** What happened to one integration. */
export interface Delivery {
  readonly name: string;
  readonly type: IntegrationType;
  readonly ok: boolean;
  /** Why it failed. */
  readonly error?: string;
}

/**
 * The page that says a page did not reach an on-call integration: which,
 * why, and the page it was, so nobody misses it because one tool is deaf.
 * Kind `delivery-failed`: the router leaves it out (NOT_ROUTED_KINDS), so it
 * never loops back through the tool that failed.
 */
export function deliveryFailedPage(page: Page, failed: readonly Delivery[]): Page {
  const { deployment, region } = page.attributes;
  const names = failed.map((d) => d.name).join(', ');
  return {
    subject: pageSubject('high', deployment, `page not delivered to ${names}`, undefined, region),
    message: [
      `redis-dr ${deployment}: a page did not reach ${failed.length === 1 ? 'an on-call integration' : `${failed.length} on-call integrations`} in ${region}.`,
      ...failed.map((d) => `- ${d.name} (${d.type}): ${d.error ?? 'failed'}`),
      '',
      `The page was: ${page.subject}`,
      page.message,
      '',
      'Check the integration (its key in Secrets Manager, the service in the tool, the chat channel configuration; docs/alerts.md, Integrations) and the page router function logs.',
      `Region: ${region}. Deployment: ${deployment}.`,
      `Runbook: ${runbookOf('delivery-failed')}`,
    ].join('\n'),
    attributes: pageAttributes({
      kind: 'delivery-failed',
      severity: 'high',
      deployment,
      region,
      ...(page.attributes.plan ? { plan: page.attributes.plan } : {}),
    }),
  };
}
