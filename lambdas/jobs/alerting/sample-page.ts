import type { PageKind } from '../../domain/alerting/catalog.js';
import { renderChatbot } from '../../domain/alerting/render-chatbot.js';
import { OPSGENIE_API, renderOpsgenie } from '../../domain/alerting/render-opsgenie.js';
import { PAGERDUTY_API, renderPagerDuty } from '../../domain/alerting/render-pagerduty.js';
import { renderText } from '../../domain/alerting/render-text.js';
import { SAMPLE_KINDS, type SampleState, samplePage } from '../../domain/alerting/samples.js';
import { UsageError } from '../kernel/usage-error.js';
import { PAGE_FORMATS, type PageFormat } from '../../domain/alerting/page-formats.js';

/**
 * `redis-dr page --sample`: what an integration receives for a catalog kind,
 * rendered by the code the page router runs. The body goes to stdout exactly
 * as sent (pipe it to `curl -d @-` or a routing rule's test); where it goes
 * and the headers go to stderr. Keys are shown as placeholders: they live in
 * Secrets Manager.
 */

export { PAGE_FORMATS, type PageFormat } from '../../domain/alerting/page-formats.js';

/** What to render. */
export interface SampleRequest {
  readonly kind: string;
  readonly format: string;
  readonly state: string;
  readonly deployment: string;
  readonly region: string;
  readonly runbookBaseUrl?: string;
}

/** The rendering: the body as sent, and where it goes. */
export interface RenderedSample {
  /** Exactly what the integration receives (for text: the email's body). */
  readonly body: string;
  /** How it is delivered: method and address, headers, or the email subject. */
  readonly envelope: readonly string[];
}

/** The placeholder where a key from Secrets Manager goes. */
export const KEY_PLACEHOLDER = '<key from Secrets Manager>';

/** Renders one sample; bad input is a {@link UsageError} naming the value and the choices. */
export function renderSample(request: SampleRequest): RenderedSample {
  if (!SAMPLE_KINDS.includes(request.kind as PageKind)) {
    throw new UsageError(`--sample must be a catalog kind, got ${JSON.stringify(request.kind)}: one of ${SAMPLE_KINDS.join(', ')} (docs/alerts.md lists them)`);
  }
  if (!(PAGE_FORMATS as readonly string[]).includes(request.format)) {
    throw new UsageError(`--format must be one of ${PAGE_FORMATS.join(', ')}, got ${JSON.stringify(request.format)}`);
  }
  if (request.state !== 'alarm' && request.state !== 'ok') throw new UsageError(`--state must be alarm or ok, got ${JSON.stringify(request.state)}`);
  const ctx = { deployment: request.deployment, region: request.region, runbookBaseUrl: request.runbookBaseUrl };
  const page = samplePage(request.kind as PageKind, request.state as SampleState, ctx);
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  switch (request.format as PageFormat) {
    case 'text': {
      const text = renderText(page);
      return { body: text.message, envelope: [`SNS to the alert topic; email subject: ${text.subject}`] };
    }
    case 'chatbot':
      return { body: json(renderChatbot(page, ctx)), envelope: ['SNS message on the chat integration topic (Amazon Q Developer custom notification)'] };
    case 'pagerduty': {
      const sent = renderPagerDuty(page, KEY_PLACEHOLDER, ctx);
      return { body: json(sent.body), envelope: [`POST ${PAGERDUTY_API}${sent.path}`, 'Content-Type: application/json'] };
    }
    case 'opsgenie': {
      const sent = renderOpsgenie(page, ctx);
      return {
        body: json(sent.body),
        envelope: [`POST ${OPSGENIE_API}${sent.path}`, 'Content-Type: application/json', `Authorization: GenieKey ${KEY_PLACEHOLDER}`],
      };
    }
  }
}
