import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { VAULT_SCRUB_RECORDS_PREFIX } from '../../../lambdas/domain/scrub/input.js';
import { VAULT_VERDICT_PREFIX } from '../../../lambdas/domain/vault/vault-verdict.js';
import { scrubSettings } from '../../deployment.js';
import { grantAlertPublish } from '../alert-topic.js';
import { scheduledScrub, type ScheduledScrubProps } from '../dr-scrub.js';
import { nagArnRef } from '../elasticache-arns.js';
import type { JobFunction } from '../job-function.js';

/** Props for {@link VaultScrub}. */
export interface VaultScrubProps extends ScheduledScrubProps {
  /** The vault bucket: the replicas it re-reads, their verdict objects, and where its records go. */
  readonly bucket: s3.IBucket;
}

/**
 * The daily scrub of the vault (docs/scrub.md): the DR scrub's function and
 * schedule (one engine), over the vault bucket's replicas, each judged
 * against the vault verifier's verdict object (`redis-dr-vault-verdicts/`).
 * Its role reads the replicas and the verdicts and writes (a conditional
 * put, never over an object) and reads back only under
 * `redis-dr-vault-scrub/`, a prefix the vault bucket reserves for it
 * ({@link VaultBucket.reserveScrubRecords}). No delete, no tagging, no retention.
 */
export class VaultScrub extends Construct {
  /** The scrub function. */
  public readonly function: JobFunction;
  /** Its daily schedule. */
  public readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: VaultScrubProps) {
    super(scope, id);
    const scrub = scheduledScrub(this, props, {
      description:
        "redis-dr: re-read a daily sample of the vault's replicas (every one within scrub.days), judged by their verdicts, and page rdb-corrupt on a bad one",
      purpose: 'vault scrub',
      input: { bucket: props.bucket.bucketName, days: scrubSettings(props.config).days, place: 'vault' },
    });
    this.function = scrub.function;
    this.schedule = scrub.schedule;
    const role = this.function.role;
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ListReplicas', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadReplicasAndVerdicts',
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects('*.rdb'), props.bucket.arnForObjects(`${VAULT_VERDICT_PREFIX}*`)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteScrubRecords',
        // PutObject with If-None-Match (a record never replaces one), GetObject to read it back and the ledger.
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [props.bucket.arnForObjects(`${VAULT_SCRUB_RECORDS_PREFIX}*`)],
      }),
    );
    const bucket = nagArnRef(props.bucket);
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${bucket}/*.rdb]`,
        reason: 'The vault scrub re-reads a sample of every replica in the vault (their names are per snapshot); it neither writes nor deletes them.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${bucket}/${VAULT_VERDICT_PREFIX}*]`,
        reason: "The vault scrub reads each replica's verdict object (named by the replica); it cannot write there (the bucket policy reserves the prefix).",
      },
      {
        id: `AwsSolutions-IAM5[Resource::${bucket}/${VAULT_SCRUB_RECORDS_PREFIX}*]`,
        reason: 'The vault scrub writes (never over an object) and reads back its own records, named by run time, under its reserved prefix only.',
      },
    );
    grantAlertPublish(props.alerts, role);
  }
}
