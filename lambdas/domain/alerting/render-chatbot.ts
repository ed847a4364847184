/**
 * The page as Amazon Q Developer in chat applications (formerly AWS Chatbot)
 * shows it in Slack or Microsoft Teams: its custom notification JSON, published
 * to a topic a channel configuration subscribes to. Plain text on that topic
 * would show nothing: the service drops messages it cannot parse. An alarm's
 * ALARM and OK share a thread (`metadata.threadId`, the page key). Pure.
 *
 * @see https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
import type { AlertSeverity } from './catalog.js';
import type { Page } from './page.js';
import { clip, firstSteps, headline, isResolved, pageKey, pageRunbook, type RenderContext } from './render-shared.js';

/**
 * The limits we render within: title and description are the service's
 * (250 and 8000 characters); the counts of next steps and keywords are ours,
 * kept small (a page is read on a phone).
 */
export const CHATBOT_LIMITS = { title: 250, description: 8000, nextSteps: 5, nextStep: 500, keywords: 10, keyword: 75 } as const;

/** An emoji per severity, so the channel reads at a glance. */
const EMOJI: Readonly<Record<AlertSeverity, string>> = {
  critical: ':rotating_light:',
  high: ':red_circle:',
  warning: ':warning:',
  info: ':information_source:',
  ok: ':white_check_mark:',
};

/** The custom notification. */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
  };
}

/** The chat rendering of a page. */
export function renderChatbot(page: Page, ctx: RenderContext = {}): ChatbotNotification {
  const a = page.attributes;
  const runbook = pageRunbook(page, ctx);
  const steps = isResolved(page) ? [] : [...opt(firstSteps(a.kind)), `Runbook: ${runbook}`];
  const keywords = [a.severity, a.kind, a.deployment, a.region, ...opt(a.plan)].map((k) => clip(k, CHATBOT_LIMITS.keyword));
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: clip(`${EMOJI[a.severity]} ${headline(page)}`, CHATBOT_LIMITS.title),
      description: clip(page.message, CHATBOT_LIMITS.description),
      ...(steps.length > 0 ? { nextSteps: steps.slice(0, CHATBOT_LIMITS.nextSteps).map((s) => clip(s, CHATBOT_LIMITS.nextStep)) } : {}),
      keywords: [...new Set(keywords)].slice(0, CHATBOT_LIMITS.keywords),
    },
    metadata: { threadId: pageKey(page), summary: clip(headline(page), CHATBOT_LIMITS.title), eventType: a.kind },
  };
}

function opt<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}
