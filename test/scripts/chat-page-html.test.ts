/**
 * The picture of a chat page in docs/alerts.md is rendered from exactly what
 * the router publishes: every field of the custom notification is in the
 * HTML (nothing dropped, nothing invented), text is escaped, Slack's
 * markdown is applied as Slack applies it.
 */
import { describe, expect, it } from 'vitest';
import type { ChatbotNotification } from '../../lambdas/domain/alerting/render-chatbot.js';
import { SAMPLE_KINDS } from '../../lambdas/domain/alerting/samples.js';
import { renderSample } from '../../lambdas/jobs/alerting/sample-page.js';
import { chatPageHtml, mrkdwnToHtml } from '../../scripts/chat-page-html.js';

const CHROME = { channel: 'oncall', time: '10:00 AM', note: 'local rendering' };
/** The HTML's text, tags dropped and entities decoded, for "is this field shown". */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('chatPageHtml', () => {
  it.each(SAMPLE_KINDS.map((k) => [k]))('shows every field of the %s chat page', (kind) => {
    const n = JSON.parse(renderSample({ kind, format: 'chatbot', state: 'alarm', deployment: 'example', region: 'eu-west-1' }).body) as ChatbotNotification;
    const shown = text(chatPageHtml(n, CHROME));
    expect(shown).toContain(n.content.title.replace(/^:[a-z_]+: /, ''));
    for (const line of n.content.description.split('\n').filter((l) => l.trim() !== '')) expect(shown).toContain(line.replace(/`/g, ''));
    for (const step of n.content.nextSteps ?? []) expect(shown).toContain(step.replace(/`/g, ''));
    for (const keyword of n.content.keywords) expect(shown).toContain(keyword);
  });

  it("applies Slack's markdown and escapes everything else", () => {
    const html = mrkdwnToHtml('run `redis-dr doctor <x>` *now* <b>:warning:');
    expect(html).toMatch(/^run <code>redis-dr doctor &lt;x&gt;<\/code> <b>now<\/b> &lt;b&gt;<svg class="emoji" [^>]*aria-label="warning">/);
    // Nothing inside a code span is formatted.
    expect(mrkdwnToHtml('`*a* :warning:`')).toBe('<code>*a* :warning:</code>');
    expect(mrkdwnToHtml('see https://example.com/a?b=1&c=2')).toBe('see <a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>');
    expect(mrkdwnToHtml(':not_an_emoji:')).toBe(':not_an_emoji:');
  });
});
