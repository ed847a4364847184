/**
 * The alert formatter, pure: from an event that reached the on-call rule
 * (a CloudWatch alarm state change, a Step Functions execution status change,
 * an S3 replication failure) to a sentence a person can act on at 3 a.m.,
 * plus string attributes SNS subscription filter policies route on.
 *
 * Never throws: an event of a shape it does not know becomes a generic but
 * readable message, and what surprised it is returned in `surprises` for the
 * handler to log.
 *
 * ## Conventions the alarms follow (the alerting capability builds them)
 *
 * - **Alarm names**: `redis-dr-<deployment>-<kind>[-<plan>[-<target>]]`, with
 *   `<kind>` one of {@link ALARM_KINDS}. For kinds about a resource rather than
 *   a plan (`lambda-errors`, `lambda-throttles`, `dlq-messages`,
 *   `scheduler-errors`) the suffix names that resource (e.g. the capability).
 *   Plan names and target ids may contain hyphens, so the name alone cannot
 *   split `<plan>-<target>`: plan and target come from the metric's `Plan`
 *   and `Target` dimensions first; without dimensions the whole suffix is
 *   taken as the plan.
 * - **Alarm description**: one sentence of meaning, then
 *   `Runbook: docs/runbooks/<file>.md` (repository-relative; rendered under
 *   `runbookBaseUrl` when given).
 * - **Metric dimensions**: `Plan`, `Target`, `Bucket`, `Region` (ours);
 *   `FunctionName` (AWS/Lambda), `QueueName` (AWS/SQS), `ScheduleGroup`
 *   (AWS/Scheduler), `SourceBucket`/`DestinationBucket`/`RuleId` (AWS/S3 replication).
 * - **Freshness metrics are seconds**: `RecoveryPointAgeSeconds`,
 *   `ExportedCopyAgeSeconds`, `VerifiedCopyAgeSeconds`,
 *   `LastSuccessfulDrillAgeSeconds`. Their alarms page with the age of the last
 *   good recovery point (or drill) in human units, read from the alarm's
 *   datapoints (`reasonData.recentDatapoints`, else the reason text
 *   `… [9000.0 (21/11/26 10:00:00)] was greater than the threshold (7200.0)`).
 *   They treat missing data as breaching: "no datapoints" means nothing
 *   reported, i.e. the monitor or its schedule may be dead.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html
 */
import { parseExportObjectKey } from '../points/export-objects.js';
import { parseSnapshotName } from '../plans/naming.js';
import { ALARM_KINDS, ALARM_KIND_NAMES, RUNBOOKS, type AlarmKind, type AlarmKindName, type AlertSeverity, type PageKind } from './catalog.js';
import { parseAlarmName } from './names.js';
import { pageAttributes, pageSubject, type AlertAttributes } from './page.js';
import { runbookLink } from './render-shared.js';

/** What the formatter needs besides the event. */
export interface AlertContext {
  /** Deployment name (`config.name`), as in alarm names. */
  readonly deployment: string;
  /** The region the formatter runs in; used when the event names none. */
  readonly region: string;
  /**
   * Where runbook paths are rendered, e.g. `https://github.com/acme/redis-dr/blob/main`.
   * @default - runbooks are named by repository path
   */
  readonly runbookBaseUrl?: string;
}

/** A formatted alert. */
export interface FormattedAlert {
  /** Printable ASCII, at most 99 characters (SNS email subjects: fewer than 100). */
  readonly subject: string;
  /** Multi-line text for a person. */
  readonly message: string;
  readonly attributes: AlertAttributes;
  /** What in the event was not as expected (for the log); empty when nothing. */
  readonly surprises: readonly string[];
}

const MAX_TEXT = 600;
const MAX_RAW = 2000;

/** Formats any event; never throws. */
export function formatAlert(event: unknown, context: AlertContext): FormattedAlert {
  const surprises: string[] = [];
  try {
    const source = str(event, 'source');
    const detailType = str(event, 'detail-type');
    if (source === 'aws.cloudwatch' && detailType === 'CloudWatch Alarm State Change') {
      return formatAlarm(event, context, surprises);
    }
    // A Lambda alarm action: the same alarm data under `alarmData` instead of `detail`.
    const alarmData = get(event, 'alarmData');
    if (source === 'aws.cloudwatch' && alarmData && typeof alarmData === 'object') {
      return formatAlarm(
        { source, 'detail-type': 'CloudWatch Alarm State Change', region: str(event, 'region'), time: str(event, 'time'), detail: alarmData },
        context,
        surprises,
      );
    }
    // An SNS alarm action (an alarm that pages straight to the topic, e.g. the formatter's own errors): CloudWatch's
    // notification JSON, read back from the topic by the page router.
    if (source === undefined && str(event, 'AlarmName') && str(event, 'NewStateValue')) {
      return formatAlarm(alarmEventOfNotification(event), context, surprises);
    }
    if (source === 'aws.states' && detailType === 'Step Functions Execution Status Change') {
      return formatExecution(event, context, surprises);
    }
    if ((source === 'aws.s3' || source === 'aws.s3-outposts') && detailType !== undefined && /replication/i.test(detailType)) {
      return formatReplicationEvent(event, context, surprises);
    }
    const records = get(event, 'Records');
    if (Array.isArray(records) && records.some((r) => str(r, 'eventName')?.startsWith('Replication:'))) {
      return formatReplicationRecords(records, context, surprises);
    }
    if (source === SELFTEST_SOURCE) return formatSelftest(event, context);
    surprises.push(`unrecognised event: source ${show(source)}, detail-type ${show(detailType)}`);
  } catch (err) {
    surprises.push(`formatting failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return formatUnknown(event, context, surprises);
}

// ---------------------------------------------------------------- alarms

/** The breaching datapoint and threshold of an alarm state. */
export interface Breach {
  /** The largest recent datapoint (ages only grow, so for ages it is the newest). */
  readonly value?: number;
  readonly threshold?: number;
  /** No datapoints were received (missing data treated as breaching, or INSUFFICIENT_DATA). */
  readonly missing: boolean;
}

/**
 * Reads the datapoint from `reasonData` (JSON with `recentDatapoints` and
 * `threshold`), else from the reason text:
 * `Threshold Crossed: 1 datapoint [9000.0 (21/11/26 10:00:00)] was greater than the threshold (7200.0).`
 */
export function parseBreach(reason: string | undefined, reasonData: string | undefined): Breach {
  let value: number | undefined;
  let threshold: number | undefined;
  if (reasonData) {
    try {
      const data: unknown = JSON.parse(reasonData);
      const points = get(data, 'recentDatapoints');
      if (Array.isArray(points)) {
        const numbers = points.filter((p): p is number => typeof p === 'number' && Number.isFinite(p));
        if (numbers.length > 0) value = Math.max(...numbers);
      }
      threshold = num(data, 'threshold');
    } catch {
      // Not JSON: the reason text may still say it.
    }
  }
  const text = reason ?? '';
  if (value === undefined) {
    const list = /\[([^\]]*)\]/.exec(text)?.[1];
    const numbers = [...(list ?? '').matchAll(/(-?\d+(?:\.\d+)?(?:E[+-]?\d+)?)\s*\(/gi)].map((m) => Number(m[1]));
    if (numbers.length > 0) value = Math.max(...numbers);
  }
  if (threshold === undefined) {
    const t = /threshold \((-?\d+(?:\.\d+)?(?:E[+-]?\d+)?)\)/i.exec(text)?.[1];
    if (t !== undefined) threshold = Number(t);
  }
  const missing = value === undefined && /no datapoints were received|missing datapoint|insufficient data/i.test(text);
  return { value, threshold, missing };
}

function formatAlarm(event: unknown, ctx: AlertContext, surprises: string[]): FormattedAlert {
  const region = str(event, 'region') ?? ctx.region;
  const alarmName = str(event, 'detail', 'alarmName') ?? '(unnamed alarm)';
  const stateValue = str(event, 'detail', 'state', 'value');
  const previous = str(event, 'detail', 'previousState', 'value');
  const reason = str(event, 'detail', 'state', 'reason');
  const since = instant(str(event, 'detail', 'state', 'timestamp') ?? str(event, 'time'));
  if (!stateValue) surprises.push('alarm event without detail.state.value');
  const { meaning, runbook: describedRunbook } = splitDescription(str(event, 'detail', 'configuration', 'description'));
  const metric = firstMetric(get(event, 'detail', 'configuration', 'metrics'));
  const dims = metric?.dimensions ?? {};

  const parsed = parseAlarmName(alarmName, ctx.deployment);
  const kindName = parsed?.kind ?? kindOfMetric(metric?.name);
  if (!parsed) surprises.push(`alarm name ${show(alarmName)} does not follow redis-dr-${ctx.deployment}-<kind>[-<plan>[-<target>]]`);
  const kind: AlarmKind | undefined = kindName ? ALARM_KINDS[kindName] : undefined;

  const scope = alarmScope(kind, parsed?.rest, dims);
  const breach = parseBreach(reason, str(event, 'detail', 'state', 'reasonData'));
  const missing = stateValue === 'INSUFFICIENT_DATA' || breach.missing;
  const ok = stateValue === 'OK';
  const severity: AlertSeverity = ok
    ? 'ok'
    : missing && !kind?.freshness && stateValue !== 'ALARM'
      ? 'warning'
      : (kind?.severity ?? (stateValue === 'ALARM' ? 'high' : 'warning'));

  const title = kind?.title ?? `alarm ${alarmName}`;
  const where = scopeWords(scope);
  const sinceText = since ? ` since ${since}` : '';
  const runbook = renderRunbook(describedRunbook ?? kind?.runbook, ctx);
  const head = `redis-dr ${ctx.deployment}`;
  const metricLine = metric
    ? `Metric: ${metric.namespace ?? '?'} ${metric.name ?? '?'}${dimText(dims)}${breach.value !== undefined ? `: ${fmtNumber(breach.value)}` : ''}${breach.threshold !== undefined ? ` (threshold ${fmtNumber(breach.threshold)})` : ''}.`
    : undefined;
  const alarmLine = `Alarm: ${alarmName}: ${stateValue ?? '?'}${sinceText}${previous ? ` (was ${previous})` : ''}.`;
  const reasonLine = reason ? `CloudWatch says: ${clip(reason, MAX_TEXT)}` : undefined;

  let lines: string[];
  let subjectTitle = title;
  if (ok) {
    subjectTitle = `resolved: ${title}`;
    lines = [`${head}: resolved: ${title}${where} in ${region} (OK${sinceText}).`, '', alarmLine, ...opt(reasonLine)];
  } else {
    if (missing) subjectTitle = `${title} (no data)`;
    const headline = `${head}: ${title}${where} in ${region}${sinceText}.`;
    const detail: string[] = [];
    if (missing) {
      detail.push(`Nothing reported: the monitor or the schedule may be dead (no datapoints for ${metric?.name ?? 'the metric'}).`);
    } else if (kind?.freshness && breach.value !== undefined) {
      const limit = breach.threshold !== undefined ? ` (limit ${humanDuration(breach.threshold)})` : '';
      const takenAt = since ? takenAround(str(event, 'detail', 'state', 'timestamp'), breach.value) : undefined;
      detail.push(`Last good ${kind.freshness}: ${humanDuration(breach.value)} old${limit}${takenAt ? `, from about ${takenAt}` : ''}.`);
    } else if (kind?.freshness) {
      surprises.push(`freshness alarm ${alarmName} without a datapoint in its reason`);
      detail.push(`Last good ${kind.freshness}: age unknown (the alarm gave no datapoint).`);
    }
    lines = [headline, ...detail, '', ...opt(meaning ? `What it means: ${meaning}` : undefined), alarmLine, ...opt(metricLine), ...opt(reasonLine)];
  }
  lines.push(`Region: ${region}. Deployment: ${ctx.deployment}.`);
  lines.push(runbook ? `Runbook: ${runbook}` : 'Runbook: none named in the alarm description (see docs/runbooks/).');

  return {
    subject: subject(severity, ctx.deployment, subjectTitle, scopeShort(scope), region),
    message: lines.join('\n'),
    attributes: attributes(kindName ?? 'alarm', severity, region, ctx.deployment, scope, alarmName),
    surprises,
  };
}

/**
 * An alarm's SNS notification (`AlarmName`, `NewStateValue`, `NewStateReason`, `StateChangeTime`, `AlarmArn`,
 * `Trigger` with `MetricName`, `Namespace`, `Dimensions` [{name, value}], or `Metrics` for a math alarm) in the
 * EventBridge event's shape {@link formatAlarm} reads. Its `Region` is a display name ("EU (Ireland)"): the region
 * code is taken from `AlarmArn`.
 */
function alarmEventOfNotification(n: unknown): Record<string, unknown> {
  const trigger = get(n, 'Trigger');
  const math = get(trigger, 'Metrics');
  const stat = Array.isArray(math) ? math.map((m) => get(m, 'MetricStat', 'Metric')).find((m) => m && typeof m === 'object') : trigger;
  const dimensions: Record<string, string> = {};
  const dims = get(stat, 'Dimensions');
  if (Array.isArray(dims)) {
    for (const d of dims) {
      const name = str(d, 'name') ?? str(d, 'Name');
      const value = str(d, 'value') ?? str(d, 'Value');
      if (name && value) dimensions[name] = value;
    }
  }
  const metricName = str(stat, 'MetricName');
  const at = str(n, 'StateChangeTime');
  return {
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    region: str(n, 'AlarmArn')?.split(':')[3] || undefined,
    time: at,
    detail: {
      alarmName: str(n, 'AlarmName'),
      state: { value: str(n, 'NewStateValue'), reason: str(n, 'NewStateReason'), timestamp: at },
      previousState: { value: str(n, 'OldStateValue') },
      configuration: {
        description: str(n, 'AlarmDescription'),
        metrics: metricName ? [{ metricStat: { metric: { namespace: str(stat, 'Namespace'), name: metricName, dimensions } } }] : [],
      },
    },
  };
}

interface Scope {
  readonly plan?: string;
  readonly target?: string;
  /** For resource kinds: the function, queue or schedule group. */
  readonly resource?: string;
  readonly resourceType?: string;
}

function alarmScope(kind: AlarmKind | undefined, rest: string | undefined, dims: Readonly<Record<string, string>>): Scope {
  if (kind?.scope === 'resource') {
    if (dims.FunctionName) return { resource: dims.FunctionName, resourceType: 'function' };
    if (dims.QueueName) return { resource: dims.QueueName, resourceType: 'queue' };
    if (dims.ScheduleGroup) return { resource: dims.ScheduleGroup, resourceType: 'schedule group' };
    return rest ? { resource: rest, resourceType: 'resource' } : {};
  }
  let plan = dims.Plan;
  let target = dims.Target;
  if (plan && !target && rest?.startsWith(`${plan}-`)) target = rest.slice(plan.length + 1);
  if (!plan && rest) plan = target && rest.endsWith(`-${target}`) ? rest.slice(0, -(target.length + 1)) : rest;
  return { plan, target: target === 'none' ? undefined : target };
}

function scopeWords(s: Scope): string {
  if (s.resource) return ` (${s.resourceType} ${s.resource})`;
  const parts = [...opt(s.plan ? `plan ${s.plan}` : undefined), ...opt(s.target ? `target ${s.target}` : undefined)];
  return parts.length > 0 ? ` for ${parts.join(', ')}` : '';
}

function scopeShort(s: Scope): string | undefined {
  if (s.resource) return s.resource;
  if (s.plan && s.target) return `${s.plan}/${s.target}`;
  return s.plan ?? s.target;
}

function kindOfMetric(metric: string | undefined): AlarmKindName | undefined {
  if (!metric) return undefined;
  return ALARM_KIND_NAMES.find((k) => (ALARM_KINDS[k].metric.names as readonly string[]).includes(metric));
}

interface MetricRef {
  readonly namespace?: string;
  readonly name?: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** The first metric of the alarm (math alarms: the first with a `metricStat`). */
function firstMetric(metrics: unknown): MetricRef | undefined {
  if (!Array.isArray(metrics)) return undefined;
  for (const m of metrics) {
    const metric = get(m, 'metricStat', 'metric');
    if (!metric) continue;
    const raw = get(metric, 'dimensions');
    const dimensions: Record<string, string> = {};
    if (raw && typeof raw === 'object') {
      for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') dimensions[k] = v;
    }
    return { namespace: str(metric, 'namespace'), name: str(metric, 'name'), dimensions };
  }
  return undefined;
}

/** `One sentence. Runbook: docs/runbooks/<name>.md` → meaning and runbook path. */
export function splitDescription(description: string | undefined): { meaning?: string; runbook?: string } {
  if (!description) return {};
  const m = /\s*Runbook:\s*(\S+)\s*$/i.exec(description);
  const meaning = (m ? description.slice(0, m.index) : description).trim();
  return { meaning: meaning || undefined, runbook: m?.[1]?.replace(/\.$/, '') };
}

function renderRunbook(path: string | undefined, ctx: AlertContext): string | undefined {
  return path ? runbookLink(path, ctx.runbookBaseUrl) : undefined;
}

function dimText(dims: Readonly<Record<string, string>>): string {
  const entries = Object.entries(dims);
  return entries.length === 0 ? '' : ` {${entries.map(([k, v]) => `${k}=${v}`).join(', ')}}`;
}

/** When something `ageSeconds` old at `at` was made. */
function takenAround(at: string | undefined, ageSeconds: number): string | undefined {
  const ms = parseInstant(at);
  return ms === undefined ? undefined : formatInstant(ms - ageSeconds * 1000);
}

// ------------------------------------------------------- Step Functions

const EXECUTION_SEVERITY: Readonly<Record<string, AlertSeverity>> = {
  FAILED: 'high',
  TIMED_OUT: 'high',
  ABORTED: 'warning',
  SUCCEEDED: 'ok',
};

function formatExecution(event: unknown, ctx: AlertContext, surprises: string[]): FormattedAlert {
  const region = str(event, 'region') ?? ctx.region;
  const status = str(event, 'detail', 'status') ?? 'UNKNOWN';
  const executionArn = str(event, 'detail', 'executionArn');
  const stateMachineArn = str(event, 'detail', 'stateMachineArn');
  const stateMachine = stateMachineArn?.split(':').at(-1) ?? executionArn?.split(':').at(-2) ?? '(unknown state machine)';
  const execution = str(event, 'detail', 'name') ?? executionArn?.split(':').at(-1) ?? '(unknown execution)';
  if (!executionArn) surprises.push('execution event without detail.executionArn');
  const severity = EXECUTION_SEVERITY[status] ?? 'warning';
  const start = num(event, 'detail', 'startDate');
  const stop = num(event, 'detail', 'stopDate');
  const error = str(event, 'detail', 'error');
  const cause = str(event, 'detail', 'cause');
  const plan = planOfInput(str(event, 'detail', 'input'));
  const scope: Scope = { plan };
  const verb = status === 'TIMED_OUT' ? 'timed out' : status === 'ABORTED' ? 'was aborted' : status.toLowerCase();
  const stopped = stop !== undefined ? ` at ${formatInstant(stop)}` : '';
  const ran = start !== undefined && stop !== undefined ? `Ran ${humanDuration((stop - start) / 1000)} (started ${formatInstant(start)}).` : undefined;
  const isDrill = /drill/i.test(stateMachine);
  const runbook = renderRunbook(isDrill ? RUNBOOKS.restoreDrill : undefined, ctx);
  const lines = [
    `redis-dr ${ctx.deployment}: state machine ${stateMachine} ${verb}${plan ? ` for plan ${plan}` : ''} in ${region}${stopped}.`,
    ...opt(error || cause ? `Error: ${error ?? '(none)'}: ${clip(causeText(cause), MAX_TEXT)}` : undefined),
    ...opt(status === 'ABORTED' ? 'Someone (or something) stopped it: check who before re-running.' : undefined),
    '',
    `Execution: ${execution}.`,
    ...opt(ran),
    ...opt(executionArn ? `Console: https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}` : undefined),
    `Region: ${region}. Deployment: ${ctx.deployment}.`,
    runbook ? `Runbook: ${runbook}` : 'Runbook: read the failed state in the execution history.',
  ];
  return {
    subject: subject(severity, ctx.deployment, `state machine ${status}`, plan ? `${stateMachine} ${plan}` : stateMachine, region),
    message: lines.join('\n'),
    attributes: attributes('state-machine', severity, region, ctx.deployment, scope),
    surprises,
  };
}

/** The `plan` of an execution input (the drill's input has one), when it is JSON. */
function planOfInput(input: string | undefined): string | undefined {
  if (!input) return undefined;
  try {
    return str(JSON.parse(input), 'plan');
  } catch {
    return undefined;
  }
}

/** Lambda task errors carry JSON with `errorMessage`; other causes are text. */
function causeText(cause: string | undefined): string {
  if (!cause) return '(no cause given)';
  try {
    const message = str(JSON.parse(cause), 'errorMessage');
    if (message) return message;
  } catch {
    // Text already.
  }
  return cause;
}

// --------------------------------------------------------- S3 replication

interface ReplicationFailure {
  readonly bucket?: string;
  readonly key?: string;
  readonly destination?: string;
  readonly reason?: string;
  readonly rule?: string;
  readonly at?: string;
  readonly region?: string;
  readonly what: string;
}

/** S3 (on Outposts) "Object Replication Failed" via EventBridge; detail fields read defensively. */
function formatReplicationEvent(event: unknown, ctx: AlertContext, surprises: string[]): FormattedAlert {
  const key = str(event, 'detail', 'object', 'key');
  if (!key) surprises.push(`replication event without detail.object.key (detail-type ${show(str(event, 'detail-type'))})`);
  return replicationAlert(
    [
      {
        bucket: str(event, 'detail', 'bucket', 'name'),
        key,
        reason: str(event, 'detail', 'failure-reason') ?? str(event, 'detail', 'failureReason') ?? str(event, 'detail', 'reason'),
        rule: str(event, 'detail', 'replication-rule-id') ?? str(event, 'detail', 'replicationRuleId'),
        destination: str(event, 'detail', 'destination-bucket') ?? str(event, 'detail', 'destinationBucket'),
        at: str(event, 'time'),
        region: str(event, 'region'),
        what: str(event, 'detail-type') ?? 'Object Replication Failed',
      },
    ],
    ctx,
    surprises,
  );
}

/** S3 Event Notification records (`Replication:OperationFailedReplication`, …). */
function formatReplicationRecords(records: readonly unknown[], ctx: AlertContext, surprises: string[]): FormattedAlert {
  const failures = records
    .filter((r) => str(r, 'eventName')?.startsWith('Replication:'))
    .map(
      (r): ReplicationFailure => ({
        bucket: str(r, 's3', 'bucket', 'name'),
        key: decodeKey(str(r, 's3', 'object', 'key')),
        destination: str(r, 'replicationEventData', 'destinationBucket'),
        reason: str(r, 'replicationEventData', 'failureReason'),
        rule: str(r, 'replicationEventData', 'replicationRuleId'),
        at: str(r, 'eventTime'),
        region: str(r, 'awsRegion'),
        what: str(r, 'eventName')!.replace(/^Replication:/, ''),
      }),
    );
  return replicationAlert(failures, ctx, surprises);
}

function replicationAlert(failures: readonly ReplicationFailure[], ctx: AlertContext, surprises: string[]): FormattedAlert {
  const first = failures[0]!;
  const region = first.region ?? ctx.region;
  const target = first.key ? targetOfKey(first.key) : undefined;
  const missedThreshold = failures.every((f) => /MissedThreshold|AfterThreshold/i.test(f.what));
  const severity: AlertSeverity = missedThreshold ? 'warning' : 'high';
  const title = missedThreshold ? 'S3 replication late' : 'S3 replication failed';
  const since = first.at ? formatInstant(parseInstant(first.at) ?? NaN) : undefined;
  const lines = [
    `redis-dr ${ctx.deployment}: ${title}${target ? ` for target ${target}` : ''} in ${region}${since ? ` at ${since}` : ''}: the DR region is missing ${failures.length === 1 ? 'a copy' : `${failures.length} copies`}.`,
    '',
    ...failures.map(
      (f) =>
        `- ${f.bucket ?? '?'}/${f.key ?? '?'}${f.destination ? ` -> ${f.destination}` : ''}: ${f.what}${f.reason ? `, reason ${f.reason}` : ''}${f.rule ? ` (rule ${f.rule})` : ''}`,
    ),
    '',
    'Until a copy replicates, DR restores use older copies: check the replication role and the DR bucket (versioning, policy), then re-replicate (S3 Batch Replication).',
    `Region: ${region}. Deployment: ${ctx.deployment}.`,
    'Runbook: none yet (see docs/dr-copies.md).',
  ];
  if (!target && first.key) surprises.push(`replicated key ${show(first.key)} is not an exported shard of ours`);
  return {
    subject: subject(severity, ctx.deployment, title, target, region),
    message: lines.join('\n'),
    attributes: attributes('replication-failed', severity, region, ctx.deployment, { target }),
    surprises,
  };
}

/** S3 notification keys are URL-encoded (spaces as `+`). */
function decodeKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

function targetOfKey(key: string): string | undefined {
  const parsed = parseExportObjectKey(key.split('/').at(-1) ?? key);
  return parsed ? parseSnapshotName(parsed.snapshot)?.target : undefined;
}

// ---------------------------------------------------------------- unknown

function formatUnknown(event: unknown, ctx: AlertContext, surprises: string[]): FormattedAlert {
  const region = str(event, 'region') ?? ctx.region;
  const source = str(event, 'source') ?? 'unknown source';
  const detailType = str(event, 'detail-type') ?? 'unknown event';
  let raw: string;
  try {
    raw = JSON.stringify(event, null, 2) ?? String(event);
  } catch {
    raw = String(event);
  }
  const lines = [
    `redis-dr ${ctx.deployment}: an event reached on-call that the formatter does not know: ${detailType} from ${source} in ${region}.`,
    'Read it below; if it matters, teach lambdas/domain/alerting/format.ts its shape.',
    '',
    clip(raw, MAX_RAW),
    '',
    `Region: ${region}. Deployment: ${ctx.deployment}.`,
  ];
  return {
    subject: subject('warning', ctx.deployment, `unrecognised event: ${detailType}`, undefined, region),
    message: lines.join('\n'),
    attributes: attributes('unknown', 'warning', region, ctx.deployment, {}),
    surprises,
  };
}

// ---------------------------------------------------------------- selftest

/** The `source` of the TEST event `redis-dr selftest` sends through the formatter. */
export const SELFTEST_SOURCE = 'redis-dr.selftest';

/** The selftest's TEST message: clearly marked, nothing to do. */
function formatSelftest(event: unknown, ctx: AlertContext): FormattedAlert {
  const region = str(event, 'region') ?? ctx.region;
  const run = str(get(event, 'detail'), 'run') ?? '?';
  const lines = [
    `TEST - no action needed. redis-dr ${ctx.deployment}: \`redis-dr selftest\` (run started ${run}) checks that pages reach on-call through this topic in ${region}.`,
    'If you read this, the alert path of this region works: the formatter ran and SNS delivered to your subscription.',
    '',
    `Region: ${region}. Deployment: ${ctx.deployment}.`,
  ];
  return {
    subject: subject('info', ctx.deployment, 'TEST selftest alert path', undefined, region),
    message: lines.join('\n'),
    attributes: attributes('selftest', 'info', region, ctx.deployment, {}),
    surprises: [],
  };
}

// ---------------------------------------------------------------- shared

function subject(severity: AlertSeverity, deployment: string, title: string, scope: string | undefined, region: string): string {
  return pageSubject(severity, deployment, title, scope, region);
}

function attributes(kind: PageKind, severity: AlertSeverity, region: string, deployment: string, scope: Scope, alarm?: string): AlertAttributes {
  return pageAttributes({ kind, severity, region, deployment, plan: scope.plan, target: scope.target, alarm });
}

/** `45s`, `12m`, `2h 30m`, `3d 4h`: precise enough to act on, short enough to read. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

/** CloudWatch writes `2026-11-21T10:00:00.000+0000`; normalise the offset before parsing. */
function parseInstant(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? undefined : ms;
}

function instant(text: string | undefined): string | undefined {
  const ms = parseInstant(text);
  return ms === undefined ? undefined : formatInstant(ms);
}

/** `2026-11-21 10:00 UTC`. */
function formatInstant(ms: number): string {
  if (!Number.isFinite(ms)) return 'an unknown time';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function fmtNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}

function opt<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function str(value: unknown, ...path: string[]): string | undefined {
  const v = get(value, ...path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(value: unknown, ...path: string[]): number | undefined {
  const v = get(value, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
