/**
 * docs/alerts.md's integration sections stay true: the PagerDuty example is
 * what `redis-dr page` prints, the Incident Manager snippet names exactly the
 * catalog's critical kinds, and every integration type has its section.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALARM_KINDS, ALARM_KIND_NAMES } from '../../lambdas/domain/alerting/catalog.js';
import { INTEGRATION_TYPES } from '../../lambdas/domain/alerting/integrations.js';
import { renderSample } from '../../lambdas/jobs/alerting/sample-page.js';

const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'alerts.md'), 'utf8');

describe('docs/alerts.md integrations', () => {
  it('shows the PagerDuty resolve exactly as redis-dr page prints it', () => {
    const printed = renderSample({ kind: 'recovery-point-age', format: 'pagerduty', state: 'ok', deployment: 'example', region: 'eu-west-1' }).body;
    expect(DOC).toContain(`\`\`\`json\n${printed}\n\`\`\``);
  });

  it('starts incidents from exactly the critical kinds of the catalog', () => {
    const critical = ALARM_KIND_NAMES.filter((k) => ALARM_KINDS[k].severity === 'critical');
    const snippet = DOC.slice(DOC.indexOf('### AWS Systems Manager Incident Manager'));
    const prefixes = [...snippet.matchAll(/- prefix: redis-dr-prod-([a-z-]+)/g)].map((m) => m[1]);
    expect(prefixes.sort()).toEqual([...critical].sort());
  });

  it('has a section with steps for every integration type', () => {
    const headings: Record<(typeof INTEGRATION_TYPES)[number], string> = {
      pagerduty: '### PagerDuty',
      opsgenie: '### Opsgenie',
      chatbot: '### Slack or Microsoft Teams (Amazon Q Developer in chat applications)',
    };
    for (const type of INTEGRATION_TYPES) {
      expect(DOC).toContain(headings[type]);
      expect(DOC).toContain(`"type": "${type}"`);
    }
  });
});
