import { grantVerdictReads } from './verdict-guard.js';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { type DrScrubInput, SCRUB_RECORDS_PREFIX } from '../../lambdas/domain/scrub/input.js';
import type { RedisDrConfig } from '../config/index.js';
import { recoveryBucketName, SCRUB_SCHEDULE, scrubSettings, VERIFY_MEMORY_MB } from '../deployment.js';
import { type AlertTopic, grantAlertPublish } from './alert-topic.js';
import { nagArnRef, nagPseudoParameters } from './elasticache-arns.js';
import { JobFunction } from './job-function.js';
import { orgEvidencePrefixes } from './org-evidence.js';
import { monitoringFunctionSettings, type MonitoringFunctionProps } from './monitoring/function-settings.js';
import { PlanSchedules } from './plan-schedules.js';

/** What a scheduled scrub's function needs: the DR stack's or the vault's (lib/constructs/vault/vault-scrub.ts). */
export interface ScheduledScrubProps extends MonitoringFunctionProps {
  readonly config: RedisDrConfig;
  readonly alerts: AlertTopic;
  readonly scheduleGroup: scheduler.IScheduleGroup;
}

/** A scheduled scrub: its function and its daily schedule (whose creation starts the `scrub-age` dead man's switch). */
export interface ScheduledScrub {
  readonly function: JobFunction;
  readonly schedule: scheduler.Schedule;
}

/**
 * The scrub function (handler `scrub`, one engine: lambdas/jobs/scrub/bucket-scrub.ts) and its daily schedule
 * (SCRUB_SCHEDULE, no retry: a failed run is a finding already paged, tomorrow's run takes the copies still due).
 * Its role is granted nothing here: each place grants what its own scrub reads and writes.
 */
export function scheduledScrub(
  scope: Construct,
  props: ScheduledScrubProps,
  what: { readonly description: string; readonly purpose: string; readonly input: DrScrubInput },
): ScheduledScrub {
  const fn = new JobFunction(scope, 'Scrub', {
    handler: 'scrub',
    description: what.description,
    // The run stops at its time budget (60 s kept back) and writes a PARTIAL record: a run killed at the timeout writes none.
    timeout: Duration.minutes(15),
    serviceName: 'redis-dr-scrub',
    environment: { ALERT_TOPIC_ARN: props.alerts.topic.topicArn, REDIS_DR_DEPLOYMENT: props.config.name },
    // The verifier reads fastest with two vCPUs; copies are read one at a time.
    ...monitoringFunctionSettings({ ...props, memorySizeMb: props.config.lambda.verifyMemorySizeMb ?? VERIFY_MEMORY_MB }),
  });
  const schedules = new PlanSchedules(scope, 'Schedule', {
    function: fn.function,
    deadLetterQueue: props.deadLetterQueue,
    group: props.scheduleGroup,
    purpose: what.purpose,
    retryAttempts: 0,
    schedules: [{ plan: 'scrub', cron: SCRUB_SCHEDULE, timeZone: 'UTC', input: JSON.parse(JSON.stringify(what.input)) as Record<string, unknown> }],
  });
  return { function: fn, schedule: schedules.schedules.get('scrub')! };
}

/** Props for {@link DrScrub}. */
export interface DrScrubProps extends ScheduledScrubProps {
  /** The DR bucket: the copies it re-reads, and where its records go (`scrub/`). */
  readonly bucket: s3.IBucket;
}

/**
 * The daily scrub of the DR bucket (docs/scrub.md): a function that
 * re-reads a sample of the `.rdb` copies so every copy is re-read within
 * `scrub.days`, compares each with its twin in the primary region's export
 * bucket, pages `rdb-corrupt` for a bad one and writes its record under
 * `scrub/`. Its role reads and writes nothing else: it lists and reads the
 * DR bucket's copies and their tags, reads (HeadObject) the primary
 * bucket's objects, and writes (a conditional put, never over an object)
 * and reads back only under `scrub/`. No delete, no tagging, no retention.
 */
export class DrScrub extends Construct {
  /** The scrub function. */
  public readonly function: JobFunction;
  /** Its daily schedule. */
  public readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: DrScrubProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config } = props;
    const primaryBucket = recoveryBucketName(config.name, config.primary.account ?? stack.account, config.primary.region);
    const scrub = scheduledScrub(this, props, {
      description: 'redis-dr: re-read a daily sample of the DR copies (every copy within scrub.days) and page rdb-corrupt on a bad one',
      purpose: 'DR scrub',
      input: {
        bucket: props.bucket.bucketName,
        days: scrubSettings(config).days,
        primary: { bucket: primaryBucket, region: config.primary.region },
        // An organization's vault: each record under <account>/<region>/scrub/ too, the prefix that replicates there.
        ...(config.vault?.organizationId !== undefined ? { orgEvidence: { account: stack.account } } : {}),
      },
    });
    this.function = scrub.function;
    this.schedule = scrub.schedule;
    const nag = nagPseudoParameters(this);
    const nagBucket = recoveryBucketName(config.name, config.primary.account ?? nag.account, config.primary.region);
    this.grant(props, `arn:${stack.partition}:s3:::${primaryBucket}`, `arn:${nag.partition}:s3:::${nagBucket}`);
  }

  private grant(props: DrScrubProps, primaryBucketArn: string, nagPrimaryBucketArn: string): void {
    const role = this.function.role;
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ListCopies', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ReadCopies', actions: ['s3:GetObject', 's3:GetObjectTagging'], resources: [props.bucket.arnForObjects('*.rdb')] }),
    );
    // The verdict recorded on arrival is the DR verifier's object naming the copy's version (issue 53 item 3).
    grantVerdictReads(role, props.bucket, 'scrub');
    const org = props.config.vault?.organizationId !== undefined ? orgEvidencePrefixes(this, SCRUB_RECORDS_PREFIX) : undefined;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteScrubRecords',
        // PutObject with If-None-Match (a record never replaces one), GetObject to read it back and the ledger.
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [props.bucket.arnForObjects(`${SCRUB_RECORDS_PREFIX}*`), ...(org ? [props.bucket.arnForObjects(`${org.prefix}*`)] : [])],
      }),
    );
    if (org)
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/${org.nag}*]`,
        reason: "The scrub writes (never over an object) and reads back the organization's copy of its records under its own account and region's scrub/ only.",
      });
    // HeadObject of the twin: s3:GetObject; a missing twin answers 404 only with s3:ListBucket on its bucket.
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadTwins', actions: ['s3:GetObject'], resources: [`${primaryBucketArn}/*.rdb`] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ListTwins', actions: ['s3:ListBucket'], resources: [primaryBucketArn] }));
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/*.rdb]`,
        reason: 'The scrub re-reads a sample of every copy in the DR bucket (their names are per snapshot); it neither writes nor deletes them.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/${SCRUB_RECORDS_PREFIX}*]`,
        reason: 'The scrub writes (never over an object) and reads back its own records, named by run time, under scrub/ only.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagPrimaryBucketArn}/*.rdb]`,
        reason: "The scrub compares each copy's length and ETag with its twin (HeadObject) in the primary region's export bucket.",
      },
    );
    grantAlertPublish(props.alerts, role);
  }
}
