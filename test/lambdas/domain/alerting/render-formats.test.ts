/**
 * Every catalog kind, ALARM and OK, rendered in every format and validated
 * against the JSON schema written from that vendor's documentation
 * (test/fixtures/pages); ALARM → OK gives trigger → resolve (create → close)
 * with the same key; a page that breaks a vendor rule is refused by its schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { ALARM_KINDS, ALARM_KIND_NAMES, PAGE_KINDS } from '../../../../lambdas/domain/alerting/catalog.js';
import type { AlertContext } from '../../../../lambdas/domain/alerting/format.js';
import type { Page } from '../../../../lambdas/domain/alerting/page.js';
import { renderChatbot } from '../../../../lambdas/domain/alerting/render-chatbot.js';
import { OPSGENIE_PRIORITY, renderOpsgenie } from '../../../../lambdas/domain/alerting/render-opsgenie.js';
import { PAGERDUTY_CHANGE_PATH, PAGERDUTY_EVENTS_PATH, renderPagerDuty } from '../../../../lambdas/domain/alerting/render-pagerduty.js';
import { pageKey } from '../../../../lambdas/domain/alerting/render-shared.js';
import { renderText } from '../../../../lambdas/domain/alerting/render-text.js';
import { SAMPLE_KINDS, samplePage } from '../../../../lambdas/domain/alerting/samples.js';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'pages');
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const schema = (file: string): ValidateFunction => ajv.compile(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
const pdAlert = schema('pagerduty-alert-event.schema.json');
const pdChange = schema('pagerduty-change-event.schema.json');
const ogCreate = schema('opsgenie-create-alert.schema.json');
const ogClose = schema('opsgenie-close-alert.schema.json');
const chat = schema('chatbot-custom-notification.schema.json');

const CTX: AlertContext = { deployment: 'prod', region: 'eu-west-1', runbookBaseUrl: 'https://github.com/acme/redis-dr/blob/main' };
const KEY = 'R0UT1NGKEY0000000000000000000000';

function valid(validate: ValidateFunction, body: unknown): string[] {
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

describe('every catalog kind in every format', () => {
  it('has a sample for every alarm kind and every page kind', () => {
    expect([...SAMPLE_KINDS].sort()).toEqual([...ALARM_KIND_NAMES, ...Object.keys(PAGE_KINDS)].sort());
  });

  for (const kind of SAMPLE_KINDS) {
    for (const state of ['alarm', 'ok'] as const) {
      describe(`${kind} ${state}`, () => {
        const page = samplePage(kind, state, CTX);

        it('is a page of its kind', () => {
          expect(page.attributes.kind).toBe(kind);
          expect(page.attributes.deployment).toBe('prod');
        });

        it('text: the formatter page, naming the runbook', () => {
          const text = renderText(page);
          expect(text).toEqual({ subject: page.subject, message: page.message });
          // The selftest TEST page and an unknown event name no runbook (nothing to follow); every other page does.
          if (kind !== 'selftest' && kind !== 'unknown') expect(text.message).toMatch(/Runbook: /);
        });

        it('pagerduty: valid against the Events API v2 schema', () => {
          const { path, body } = renderPagerDuty(page, KEY, CTX);
          if (path === PAGERDUTY_CHANGE_PATH) expect(valid(pdChange, body)).toEqual([]);
          else expect(valid(pdAlert, body)).toEqual([]);
        });

        it('opsgenie: valid against the Alert API schema', () => {
          const { path, body } = renderOpsgenie(page, CTX);
          if (path === '/v2/alerts') {
            expect(valid(ogCreate, body)).toEqual([]);
            // Opsgenie: the details map is at most 8000 characters in all.
            expect(JSON.stringify((body as { details: unknown }).details).length).toBeLessThanOrEqual(8000);
          } else expect(valid(ogClose, body)).toEqual([]);
        });

        it('chatbot: valid against the custom notification schema', () => {
          expect(valid(chat, renderChatbot(page, CTX))).toEqual([]);
        });
      });
    }
  }
});

describe('ALARM then OK', () => {
  for (const kind of ALARM_KIND_NAMES) {
    it(`${kind}: trigger then resolve with the same dedup_key, create then close by the same alias`, () => {
      const firing = samplePage(kind, 'alarm', CTX);
      const ok = samplePage(kind, 'ok', CTX);
      const trigger = renderPagerDuty(firing, KEY, CTX);
      const resolve = renderPagerDuty(ok, KEY, CTX);
      expect(trigger.path).toBe(PAGERDUTY_EVENTS_PATH);
      expect(trigger.body).toMatchObject({ event_action: 'trigger', dedup_key: pageKey(firing) });
      expect(resolve.body).toEqual({ routing_key: KEY, event_action: 'resolve', dedup_key: pageKey(firing) });
      expect(pageKey(firing)).toBe(`redis-dr/prod/eu-west-1/${firing.attributes.alarm}`);

      const create = renderOpsgenie(firing, CTX);
      const close = renderOpsgenie(ok, CTX);
      expect(create.body).toMatchObject({ alias: pageKey(firing), priority: OPSGENIE_PRIORITY[ALARM_KINDS[kind].severity] });
      expect(close.path).toBe(`/v2/alerts/${encodeURIComponent(pageKey(firing))}/close?identifierType=alias`);

      expect(renderChatbot(firing, CTX).metadata.threadId).toBe(renderChatbot(ok, CTX).metadata.threadId);
    });
  }

  it('severity comes from the catalog', () => {
    const sev = (kind: (typeof ALARM_KIND_NAMES)[number]) =>
      (renderPagerDuty(samplePage(kind, 'alarm', CTX), KEY, CTX).body as { payload: { severity: string } }).payload.severity;
    expect(sev('recovery-point-age')).toBe('critical');
    expect(sev('snapshot-failed')).toBe('error');
    expect(sev('prune-held')).toBe('warning');
  });

  it('the same alarm in the other region has its own key (its OK does not resolve this one)', () => {
    const primary = samplePage('lambda-errors', 'alarm', CTX);
    const dr = samplePage('lambda-errors', 'alarm', { ...CTX, region: 'eu-central-1' });
    expect(pageKey(primary)).not.toBe(pageKey(dr));
  });

  it('an informational page is a PagerDuty change event (notifies nobody)', () => {
    const info = samplePage('selftest', 'alarm', CTX);
    expect(renderPagerDuty(info, KEY, CTX).path).toBe(PAGERDUTY_CHANGE_PATH);
  });
});

describe('limits hold for pages longer than any vendor allows', () => {
  const long: Page = {
    subject: `[CRITICAL] redis-dr prod: ${'x'.repeat(2000)}`,
    message: 'm'.repeat(30000),
    attributes: { kind: 'rdb-corrupt', severity: 'critical', deployment: 'prod', region: 'eu-west-1', plan: 'p'.repeat(600), alarm: 'a'.repeat(600) },
  };

  it('pagerduty summary ≤ 1024, dedup_key ≤ 255', () => {
    const body = renderPagerDuty(long, KEY, CTX).body as { payload: { summary: string }; dedup_key: string };
    expect(body.payload.summary.length).toBe(1024);
    expect(body.dedup_key.length).toBe(255);
    expect(valid(pdAlert, body)).toEqual([]);
  });

  it('opsgenie and chatbot stay valid', () => {
    expect(valid(ogCreate, renderOpsgenie(long, CTX).body)).toEqual([]);
    expect(valid(chat, renderChatbot(long, CTX))).toEqual([]);
  });

  it('without a runbook base URL there is no link (a repository path is not a URL)', () => {
    const body = renderPagerDuty(samplePage('rdb-corrupt', 'alarm', { deployment: 'prod', region: 'eu-west-1' }), KEY, {}).body as { links?: unknown };
    expect(body.links).toBeUndefined();
    expect(valid(pdAlert, body)).toEqual([]);
  });
});

describe('the schemas refuse what the vendors refuse', () => {
  const page = samplePage('recovery-point-age', 'alarm', CTX);

  it('pagerduty: a summary over 1024, an unknown severity, a trigger without payload, a resolve without dedup_key', () => {
    const body = renderPagerDuty(page, KEY, CTX).body as unknown as Record<string, any>;
    expect(valid(pdAlert, { ...body, payload: { ...body.payload, summary: 's'.repeat(1025) } })).not.toEqual([]);
    expect(valid(pdAlert, { ...body, payload: { ...body.payload, severity: 'high' } })).not.toEqual([]);
    expect(valid(pdAlert, { routing_key: KEY, event_action: 'trigger', dedup_key: 'k' })).not.toEqual([]);
    expect(valid(pdAlert, { routing_key: KEY, event_action: 'resolve' })).not.toEqual([]);
  });

  it('opsgenie: a message over 130, a priority P0, a tag over 50', () => {
    const body = renderOpsgenie(page, CTX).body as unknown as Record<string, any>;
    expect(valid(ogCreate, { ...body, message: 'm'.repeat(131) })).not.toEqual([]);
    expect(valid(ogCreate, { ...body, priority: 'P0' })).not.toEqual([]);
    expect(valid(ogCreate, { ...body, tags: ['t'.repeat(51)] })).not.toEqual([]);
  });

  it('chatbot: version 2.0, source other than custom, a description over 8000, plain text', () => {
    const body = renderChatbot(page, CTX) as unknown as Record<string, any>;
    expect(valid(chat, { ...body, version: '2.0' })).not.toEqual([]);
    expect(valid(chat, { ...body, source: 'redis-dr' })).not.toEqual([]);
    expect(valid(chat, { ...body, content: { ...body.content, description: 'd'.repeat(8001) } })).not.toEqual([]);
    expect(valid(chat, page.message)).not.toEqual([]);
  });
});
