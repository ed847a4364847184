import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { TAGS } from '../../lambdas/domain/plans/types.js';

/**
 * The DR verdict of a copy: the verifier's tags (`redis-dr:verified`,
 * `redis-dr:rdb`). Only the verifier writes them (issue 53 item 3).
 */
export const VERDICT_TAG_KEYS: readonly string[] = [TAGS.verified, TAGS.rdb];

/** The tag writes S3 authorizes for an existing object (PutObjectTagging, with or without a version). */
export const TAG_WRITE_ACTIONS: readonly string[] = ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'];

/** One way a tag write forges a verdict, as the IAM condition that matches it (its keys are ANDed). */
export interface VerdictForgery {
  readonly sid: string;
  readonly condition: Record<string, Record<string, string | readonly string[]>>;
}

/**
 * The tag writes that forge a verdict, as IAM can tell them: a verdict key
 * on an object that has no verdict, and `ok` over a verdict that is not.
 * Writes that carry the object's own verdict back (PutObjectTagging replaces
 * the whole set: `retention release` re-puts what it read, changing only
 * the tier) stay possible. `s3:ExistingObjectTag` is a condition key of the
 * tag writes only (not of PutObject or DeleteObject, and IAM has no policy
 * variable to compare a request's value with the object's), so a different
 * `redis-dr:rdb` summary over an `ok` verdict is not told apart here.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-and-policies.html
 */
export const VERDICT_FORGERIES: readonly VerdictForgery[] = [
  {
    sid: 'NoVerdictOnAnUnverifiedObject',
    condition: {
      'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': VERDICT_TAG_KEYS },
      Null: { [`s3:ExistingObjectTag/${TAGS.verified}`]: 'true' },
    },
  },
  {
    sid: 'NoVerdictTurnedOk',
    condition: {
      StringEquals: { [`s3:RequestObjectTag/${TAGS.verified}`]: 'ok' },
      StringNotEquals: { [`s3:ExistingObjectTag/${TAGS.verified}`]: 'ok' },
    },
  },
];

/**
 * The DR bucket's side (its resource policy binds every principal of the
 * account, the operator's included): its `rdr-*` copies arrive by
 * replication only (S3 writes replicas as s3:ReplicateObject, never
 * PutObject), so nobody puts, overwrites or deletes one; and nobody but the
 * verifier's role (aws:PrincipalArn) writes a verdict ({@link VERDICT_FORGERIES}).
 * The operator policy's export dependent actions (s3:PutObject,
 * s3:DeleteObject on `redis-dr-*` / `rdr-*`, checked by ElastiCache on the
 * export bucket) then reach no DR copy.
 */
export function guardDrCopies(bucket: s3.IBucket, verifier: iam.IRole): void {
  const everyone = [new iam.AnyPrincipal()];
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CopiesArriveByReplicationOnly',
      effect: iam.Effect.DENY,
      principals: everyone,
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: [bucket.arnForObjects('rdr-*')],
    }),
  );
  for (const forgery of VERDICT_FORGERIES)
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: forgery.sid,
        effect: iam.Effect.DENY,
        principals: everyone,
        actions: [...TAG_WRITE_ACTIONS],
        resources: [bucket.arnForObjects('*')],
        conditions: { ...forgery.condition, ArnNotEquals: { 'aws:PrincipalArn': verifier.roleArn } },
      }),
    );
}
