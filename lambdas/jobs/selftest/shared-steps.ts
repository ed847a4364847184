/**
 * The steps every selftest ends with, the AWS one and the demo's alike: the
 * alert path (a TEST message through the alert formatter to each region's
 * topic, its subscriptions counted) and the summary record (written to the
 * DR bucket, read back).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../../adapters/aws/alerts.js';
import { writeSelftestRecord } from '../../adapters/records/selftest-records.js';
import { topicSubscriptions } from '../../adapters/aws/sns.js';
import { type SelftestRecord, selftestRecordKey, selftestVerdict } from '../../domain/selftest/steps.js';
import { ROUTER_ONLY } from '../../domain/doctor/judge.js';
import type { StackDrift } from '../../domain/org/stack-drift.js';
import { forwardAlert } from '../alerting/alert-formatter.js';
import { selftestEvent } from '../alerting/test-page.js';
import type { LogSink } from '../kernel/deps.js';
import { type SelftestRunner, StepFailedError } from './runner.js';

/** One region's alert topic. */
export interface AlertTopic {
  readonly region: string;
  readonly topicArn: string;
  /** Which of the deployment's topics (`primary`, `dr`): the step's name, as people know it (not a generated name). */
  readonly where?: string;
  /** The region's page router, when the config has alerts.integrations (the integrations step invokes it). */
  readonly pageRouterArn?: string;
}

/**
 * The alert path of one region: publishes the TEST message through the
 * formatter, then counts the topic's subscriptions. None confirmed fails
 * (nobody would be paged); some pending confirmation warns, naming them.
 */
export async function alertPathStep(
  runner: SelftestRunner,
  topic: AlertTopic,
  o: { readonly deployment: string; readonly sns: SNSClient; readonly log: LogSink; readonly startedAt: Date; readonly who: string },
): Promise<void> {
  await runner.step(
    `alerts ${topic.where ?? topic.topicArn.split(':').pop()}`,
    topic.region,
    { who: o.who, fix: 'see docs/alerts.md (the topic and its subscriptions)' },
    async () => {
      const sent = await forwardAlert(selftestEvent(topic.region, o.startedAt), {
        publish: (alert) => publishAlert(o.sns, topic.topicArn, alert),
        log: o.log,
        context: { deployment: o.deployment, region: topic.region },
      });
      const all = (await topicSubscriptions(o.sns, topic.topicArn)) ?? [];
      // The page router leaves the TEST page out (the pages step hands it over itself): it delivers nothing here.
      const isRouter = (s: (typeof all)[number]) => s.protocol === 'lambda' && topic.pageRouterArn !== undefined && s.endpoint === topic.pageRouterArn;
      const router = all.some((s) => s.confirmed && isRouter(s));
      const subs = all.filter((s) => !isRouter(s));
      const confirmed = subs.filter((s) => s.confirmed);
      const pending = subs.filter((s) => !s.confirmed);
      const named = (list: typeof subs) => list.map((s) => `${s.protocol}:${s.endpoint}`).join(', ');
      if (confirmed.length === 0 && router)
        return {
          value: undefined,
          detail: `"${sent.subject}" published through the formatter; the page router is the topic's only confirmed subscriber (the pages step tests it)`,
          verdict: 'warned',
          cause: `no email or webhook subscription of ${topic.topicArn} is confirmed${pending.length > 0 ? ` (pending: ${named(pending)})` : ''}: ${ROUTER_ONLY.why}`,
          fix: ROUTER_ONLY.fix,
        };
      if (confirmed.length === 0)
        throw new StepFailedError(
          `"${sent.subject}" published, but no subscription of ${topic.topicArn} is confirmed${pending.length > 0 ? ` (pending: ${named(pending)})` : ' (it has none)'}: nobody is paged`,
          pending.length > 0
            ? 'confirm the subscription (the link in the email AWS sent), or add one to alerts in the config and deploy'
            : 'add alerts.emails (or a topic subscription) to the config and deploy',
        );
      const detail = `"${sent.subject}" published through the formatter; ${confirmed.length} confirmed subscription(s) deliver it (${named(confirmed)})`;
      if (pending.length === 0) return { value: undefined, detail };
      return {
        value: undefined,
        detail,
        verdict: 'warned',
        cause: `pending confirmation: ${named(pending)} get no page`,
        fix: 'confirm it (the link in the email AWS sent) or remove it from the config',
      };
    },
  );
}

/**
 * The summary record: the rows so far, written to the DR bucket and read
 * back. Its own row comes last; the record holds every row before it (a
 * failed write cannot be in the record it failed to write).
 */
export async function recordStep(
  runner: SelftestRunner,
  o: {
    readonly s3: S3Client;
    readonly bucket: string;
    readonly region: string;
    readonly deployment: string;
    readonly regions: SelftestRecord['regions'];
    readonly startedAt: Date;
    readonly now: () => Date;
    readonly who: string;
    /** An organization's vault: `<account>/<region>/`, under which the record is written too (the prefix that replicates there). */
    readonly orgRoot?: string;
    /** The stacks the preflight read, with their drift status (the org roll-up reads it). */
    readonly stacks?: readonly StackDrift[];
  },
): Promise<string | undefined> {
  const key = selftestRecordKey(o.startedAt);
  return runner.step('record', o.region, { who: o.who, fix: `check that the DR bucket ${o.bucket} exists (redis-dr doctor)` }, async () => {
    const steps = [...runner.steps];
    const record: SelftestRecord = {
      kind: 'redis-dr-selftest',
      version: 1,
      deployment: o.deployment,
      startedAt: o.startedAt.toISOString(),
      finishedAt: o.now().toISOString(),
      regions: o.regions,
      verdict: selftestVerdict(steps),
      steps,
      ...(o.stacks && o.stacks.length > 0 ? { stacks: [...o.stacks] } : {}),
    };
    const bytes = await writeSelftestRecord(o.s3, o.bucket, key, record);
    // The same bytes again, read back, where the DR bucket's rule into an organization's vault takes them.
    if (o.orgRoot) await writeSelftestRecord(o.s3, o.bucket, `${o.orgRoot}${key}`, record);
    const copy = o.orgRoot ? ` and s3://${o.bucket}/${o.orgRoot}${key} (for the organization's vault)` : '';
    return { value: key, detail: `s3://${o.bucket}/${key}${copy} (${bytes} bytes, read back): ${record.verdict}; status and doctor read it` };
  });
}
