import { describe, expect, it } from 'vitest';
import { ALARM_KIND_NAMES, ALARM_KINDS, PAGE_KINDS, PAGE_SEVERITIES } from '../../../../lambdas/domain/alerting/catalog.js';
import { formatAlert } from '../../../../lambdas/domain/alerting/format.js';
import { alarmName } from '../../../../lambdas/domain/alerting/names.js';
import { MAX_SUBJECT, pageAttributes, pageSubject } from '../../../../lambdas/domain/alerting/page.js';

const CTX = { deployment: 'prod', region: 'eu-west-1' };

function alarmEvent(name: string, value: 'ALARM' | 'OK', metric: string): unknown {
  return {
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    time: '2026-11-21T10:00:00Z',
    region: 'eu-west-1',
    detail: {
      alarmName: name,
      configuration: {
        metrics: [{ id: 'm1', metricStat: { metric: { namespace: 'RedisDr', name: metric, dimensions: { Plan: 'sessions' } }, period: 300, stat: 'Maximum' } }],
      },
      state: {
        value,
        reason: 'Threshold Crossed: 1 datapoint [9000.0 (21/11/26 09:55:00)] was greater than or equal to the threshold (7200.0).',
        timestamp: '2026-11-21T10:00:00.000+0000',
      },
    },
  };
}

describe('pages', () => {
  it.each(ALARM_KIND_NAMES)('an alarm of kind %s pages with the catalog severity, the deployment and the region', (kind) => {
    const page = formatAlert(alarmEvent(alarmName('prod', kind, 'sessions'), 'ALARM', ALARM_KINDS[kind].metric.names[0]!), CTX);
    expect(page.attributes).toMatchObject({ kind, severity: ALARM_KINDS[kind].severity, deployment: 'prod', region: 'eu-west-1' });
    expect(page.subject).toMatch(new RegExp(`^\\[${ALARM_KINDS[kind].severity.toUpperCase()}\\] redis-dr prod: `));
    expect(page.message).toContain(`Runbook: ${ALARM_KINDS[kind].runbook}`);
  });

  it('a resolved alarm pages as ok', () => {
    const page = formatAlert(alarmEvent(alarmName('prod', 'snapshot-failed', 'sessions'), 'OK', 'SnapshotsFailed'), CTX);
    expect(page.attributes.severity).toBe('ok');
  });

  it('every page the formatter sends, known or not, has a catalog kind and severity and names deployment and region', () => {
    const events = [
      alarmEvent('someone-elses-alarm', 'ALARM', 'CPUUtilization'),
      { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', region: 'eu-west-1', detail: {} },
      {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        region: 'eu-west-1',
        detail: { status: 'FAILED', stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:redis-dr-prod-primary-drill', input: '{"plan":"sessions"}' },
      },
    ];
    for (const event of events) {
      const { attributes } = formatAlert(event, CTX);
      expect([...ALARM_KIND_NAMES, ...Object.keys(PAGE_KINDS)]).toContain(attributes.kind);
      expect(PAGE_SEVERITIES).toContain(attributes.severity);
      expect(attributes).toMatchObject({ deployment: 'prod', region: 'eu-west-1' });
    }
  });

  it('subjects are printable ASCII of fewer than 100 characters (SNS: "less than 100 characters long"); attributes drop empty values', () => {
    const subject = pageSubject('critical', 'prod', `corrupt DR copy ${'é'.repeat(120)}`, 'rg-a', 'eu-west-1');
    expect(subject.length).toBe(99);
    expect(MAX_SUBJECT).toBe(99);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(pageAttributes({ kind: 'unknown', severity: 'warning', deployment: 'prod', region: 'eu-west-1', plan: '' })).toEqual({
      kind: 'unknown',
      severity: 'warning',
      deployment: 'prod',
      region: 'eu-west-1',
    });
  });
});
