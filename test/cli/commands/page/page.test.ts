/**
 * `redis-dr page --sample`: the body on stdout is exactly what the page
 * router sends (same renderers, key as a placeholder), where it goes on
 * stderr; every kind and format renders; bad input is exit 2 naming it.
 */
import { describe, expect, it } from 'vitest';
import { renderPagerDuty } from '../../../../lambdas/domain/alerting/render-pagerduty.js';
import { samplePage } from '../../../../lambdas/domain/alerting/samples.js';
import { KEY_PLACEHOLDER, PAGE_FORMATS } from '../../../../lambdas/jobs/alerting/sample-page.js';
import { SAMPLE_KINDS } from '../../../../lambdas/domain/alerting/samples.js';
import { runInProcess } from '../../support/in-process.js';

describe('redis-dr page', () => {
  it('prints the PagerDuty event the router sends for an alarm, and where it goes', async () => {
    const r = await runInProcess(['page', '--sample', 'rdb-corrupt', '--format', 'pagerduty', '--region', 'eu-central-1']);
    expect(r.code).toBe(0);
    const sent = renderPagerDuty(samplePage('rdb-corrupt', 'alarm', { deployment: 'example', region: 'eu-central-1' }), KEY_PLACEHOLDER);
    expect(JSON.parse(r.stdout)).toEqual(sent.body);
    expect(r.stderr).toBe('POST https://events.pagerduty.com/v2/enqueue\nContent-Type: application/json\n');
  });

  it('prints the resolve for --state ok, the close for Opsgenie, the custom notification for chat, the email text', async () => {
    const pd = await runInProcess(['page', '--sample', 'drill-age', '--format', 'pagerduty', '--state', 'ok']);
    expect(JSON.parse(pd.stdout)).toEqual({
      routing_key: KEY_PLACEHOLDER,
      event_action: 'resolve',
      dedup_key: 'redis-dr/example/eu-west-1/redis-dr-example-drill-age-orders-orders-cache',
    });
    const og = await runInProcess(['page', '--sample', 'drill-age', '--format', 'opsgenie', '--state', 'ok']);
    expect(og.stderr).toContain(
      'POST https://api.opsgenie.com/v2/alerts/redis-dr%2Fexample%2Feu-west-1%2Fredis-dr-example-drill-age-orders-orders-cache/close?identifierType=alias',
    );
    expect(og.stderr).toContain(`Authorization: GenieKey ${KEY_PLACEHOLDER}`);
    const chat = await runInProcess(['page', '--sample', 'drill-age', '--format', 'chatbot']);
    expect(JSON.parse(chat.stdout)).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    const text = await runInProcess(['page', '--sample', 'drill-age', '--format', 'text', '-c', 'config/example.json']);
    expect(text.stdout).toMatch(/^redis-dr example: no successful restore drill for plan orders/);
    expect(text.stderr).toMatch(/^SNS to the alert topic; email subject: \[HIGH\] redis-dr example: no successful restore drill/);
  });

  it('renders every kind in every format and state', async () => {
    for (const kind of SAMPLE_KINDS) {
      for (const format of PAGE_FORMATS) {
        for (const state of ['alarm', 'ok']) {
          const r = await runInProcess(['page', '--sample', kind, '--format', format, '--state', state]);
          expect(r.code, `${kind} ${format} ${state}: ${r.stderr}`).toBe(0);
          if (format !== 'text') expect(() => JSON.parse(r.stdout)).not.toThrow();
        }
      }
    }
  });

  it.each([
    [['--sample', 'recovery-point', '--format', 'text'], /^redis-dr: --sample must be a catalog kind, got "recovery-point": one of recovery-point-age, /],
    [['--sample', 'drill-age', '--format', 'slack'], /argument 'slack' is invalid\. Allowed choices are text, chatbot, pagerduty, opsgenie/],
    [['--sample', 'drill-age', '--format', 'text', '--state', 'resolved'], /argument 'resolved' is invalid\. Allowed choices are alarm, ok/],
    [['--format', 'text'], /^redis-dr: --sample <kind> is required: redis-dr page --sample recovery-point-age --format pagerduty/],
    [['--sample', 'drill-age'], /^redis-dr: --format is required: one of text, chatbot, pagerduty, opsgenie/],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await runInProcess(['page', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
