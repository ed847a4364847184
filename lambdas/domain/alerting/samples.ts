/**
 * Sample pages, one per catalog kind, for `redis-dr page --sample` and the
 * tests that render every kind in every format. Alarm kinds and the kinds
 * the formatter builds (failed executions, the selftest TEST page, an alarm
 * not named our way, an unknown event) go through the formatter itself from
 * a sample event, so a sample is exactly what the Lambda would page. The
 * kinds other jobs page directly (drill report, DR report, a copy the
 * verifier cannot judge, a failed delivery) are samples of their attributes
 * with a message that says it is a sample. Pure.
 */
import { ALARM_KINDS, ALARM_KIND_NAMES, type AlarmKindName, PAGE_KINDS, type PageKind, runbookOf } from './catalog.js';
import { type AlertContext, formatAlert, SELFTEST_SOURCE } from './format.js';
import { alarmName } from './names.js';
import { type Page, pageAttributes, pageSubject } from './page.js';

/** Every kind a sample exists for: the alarm kinds, then the page kinds. */
export const SAMPLE_KINDS: readonly PageKind[] = [...ALARM_KIND_NAMES, ...(Object.keys(PAGE_KINDS) as PageKind[])];

/** The state a sample is in: an alarm firing, or back to OK. */
export type SampleState = 'alarm' | 'ok';

const PLAN = 'orders';
const TARGET = 'orders-cache';
const TIME = '2026-11-21T10:00:00.000+0000';

/** A sample page of `kind` in `state`, as `ctx`'s deployment and region would page it. */
export function samplePage(kind: PageKind, state: SampleState, ctx: AlertContext): Page {
  if (kind in ALARM_KINDS) return strip(formatAlert(sampleAlarmEvent(kind as AlarmKindName, state, ctx), ctx));
  switch (kind) {
    case 'state-machine':
      return strip(formatAlert(executionEvent(state, ctx), ctx));
    case 'selftest':
      return strip(formatAlert({ source: SELFTEST_SOURCE, 'detail-type': 'redis-dr selftest', region: ctx.region, detail: { run: TIME } }, ctx));
    case 'unknown':
      return strip(formatAlert({ source: 'aws.health', 'detail-type': 'AWS Health Event', region: ctx.region, detail: { sample: true } }, ctx));
    case 'alarm':
      return strip(formatAlert(alarmEvent('some-other-alarm', state, ctx, 'A sample alarm not named redis-dr-<deployment>-<kind>.', []), ctx));
    default:
      return directPage(kind, state, ctx);
  }
}

/** A CloudWatch alarm state change of an alarm of `kind`, as EventBridge delivers it. */
export function sampleAlarmEvent(kind: AlarmKindName, state: SampleState, ctx: AlertContext): unknown {
  const k = ALARM_KINDS[kind];
  const resource = k.scope === 'resource';
  const suffix = resource ? 'snapshot' : `${PLAN}-${TARGET}`;
  const dimensions = resource ? { FunctionName: `redis-dr-${ctx.deployment}-snapshot` } : { Plan: PLAN, Target: TARGET };
  const metric = {
    metricStat: { metric: { namespace: k.metric.namespace === 'project' ? 'RedisDr' : k.metric.namespace, name: k.metric.names[0], dimensions } },
  };
  return alarmEvent(alarmName(ctx.deployment, kind, suffix), state, ctx, `${k.doc.fires}. Runbook: ${k.runbook}`, [metric], 'freshness' in k);
}

function alarmEvent(name: string, state: SampleState, ctx: AlertContext, description: string, metrics: unknown[], ages = false): unknown {
  const firing = state === 'alarm';
  const value = ages ? 12600 : 1;
  const threshold = ages ? 9000 : 0;
  return {
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    region: ctx.region,
    time: TIME,
    detail: {
      alarmName: name,
      state: {
        value: firing ? 'ALARM' : 'OK',
        reason: `Threshold Crossed: 1 datapoint [${firing ? value : 0}.0 (21/11/26 10:00:00)] was ${firing ? 'greater' : 'not greater'} than the threshold (${threshold}.0).`,
        timestamp: TIME,
      },
      previousState: { value: firing ? 'OK' : 'ALARM' },
      configuration: { description, metrics },
    },
  };
}

function executionEvent(state: SampleState, ctx: AlertContext): unknown {
  const arn = `arn:aws:states:${ctx.region}:123456789012:execution:redis-dr-${ctx.deployment}-drill:sample`;
  return {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    region: ctx.region,
    detail: {
      executionArn: arn,
      stateMachineArn: `arn:aws:states:${ctx.region}:123456789012:stateMachine:redis-dr-${ctx.deployment}-drill`,
      name: 'sample',
      status: state === 'alarm' ? 'FAILED' : 'SUCCEEDED',
      startDate: Date.parse('2026-11-21T09:00:00Z'),
      stopDate: Date.parse('2026-11-21T10:00:00Z'),
      input: JSON.stringify({ plan: PLAN }),
      ...(state === 'alarm' ? { error: 'States.TaskFailed', cause: JSON.stringify({ errorMessage: 'sample failure' }) } : {}),
    },
  };
}

/**
 * What the kinds other jobs page directly look like. They never resolve (no
 * alarm goes back to OK): their `ok` sample is the page that needs no action.
 */
const DIRECT: Partial<Record<PageKind, { title: string; severity: 'high' | 'warning' | 'info'; okTitle: string }>> = {
  'restore-drill': { title: 'restore drill failed', severity: 'high', okTitle: 'restore drill passed' },
  'rdb-unsupported': { title: 'DR copy in a format the verifier cannot judge', severity: 'warning', okTitle: 'DR copies verified' },
  'dr-report': { title: 'DR report written', severity: 'info', okTitle: 'DR report written' },
  'delivery-failed': { title: 'a page did not reach an on-call integration', severity: 'high', okTitle: 'pages reach every integration' },
};

function directPage(kind: PageKind, state: SampleState, ctx: AlertContext): Page {
  const d = DIRECT[kind] ?? { title: kind, severity: 'warning' as const, okTitle: kind };
  const severity = state === 'ok' ? 'info' : d.severity;
  const title = state === 'ok' ? d.okTitle : d.title;
  return {
    subject: pageSubject(severity, ctx.deployment, title, PLAN, ctx.region),
    message: [
      `redis-dr ${ctx.deployment}: ${title} for plan ${PLAN} in ${ctx.region} (a sample: this kind is paged by its own job, not the formatter).`,
      '',
      `Region: ${ctx.region}. Deployment: ${ctx.deployment}.`,
      `Runbook: ${runbookOf(kind)}`,
    ].join('\n'),
    attributes: pageAttributes({ kind, severity, region: ctx.region, deployment: ctx.deployment, plan: PLAN, target: TARGET }),
  };
}

/** A page without the formatter's diagnostics. */
function strip(alert: Page): Page {
  return { subject: alert.subject, message: alert.message, attributes: alert.attributes };
}
