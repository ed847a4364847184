import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { nagArnRef } from './elasticache-arns.js';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { TAGS } from '../../lambdas/domain/plans/types.js';
import { VERDICT_CHAIN_PREFIX, VERDICT_PREFIX, type VerdictPlace } from '../../lambdas/domain/points/verdict-objects.js';

/**
 * The DR verdict tags of a copy (`redis-dr:verified`, `redis-dr:rdb`). Only
 * the verifier writes them as far as IAM can tell (issue 53 item 3); what
 * it cannot tell (a different summary over an `ok` verdict) the verdict
 * object decides: readers take a verdict only from it
 * (lambdas/domain/points/verdict-objects.ts).
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

/** The `s3:PutObject*` actions other than PutObject (nobody's under the verdict prefix: the verifier only puts verdicts). */
export const VERDICT_PUT_KIN: readonly string[] = [
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
];
/** The deletes of an object, its versions and their tags. */
export const OBJECT_DELETES: readonly string[] = ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'];
/** Every write of a verdict object, named one by one (policies here name no wildcard action): puts, deletes. */
export const VERDICT_OBJECT_WRITES: readonly string[] = ['s3:PutObject', ...VERDICT_PUT_KIN, ...OBJECT_DELETES];
/** What S3 replication does in a destination bucket: nothing may arrive under the verdict prefix that way. */
export const REPLICATION_WRITES: readonly string[] = ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ReplicateDelete'];

/**
 * The DR bucket's side (its resource policy binds every principal of the
 * account, the operator's included): its `rdr-*` copies arrive by
 * replication only (S3 writes replicas as s3:ReplicateObject, never
 * PutObject), so nobody puts, overwrites or deletes one; nobody but the
 * verifier's role (aws:PrincipalArn) writes a verdict tag ({@link VERDICT_FORGERIES});
 * and under the verdict prefix only the verifier's role puts (PutObject
 * alone), nobody deletes, and nothing is replicated in (a source object
 * named like a verdict in the export bucket stays there).
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
  // The verdict objects and the chain of signed verdicts (docs/attest.md): the verifier's alone.
  const verdicts = [VERDICT_PREFIX.dr, VERDICT_CHAIN_PREFIX.dr].map((p) => bucket.arnForObjects(`${p}*`));
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OnlyTheVerifierWritesVerdicts',
      effect: iam.Effect.DENY,
      principals: everyone,
      actions: ['s3:PutObject'],
      resources: verdicts,
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': verifier.roleArn } },
    }),
  );
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'VerdictsArePutOnly',
      effect: iam.Effect.DENY,
      principals: everyone,
      // Every write but PutObject itself (which the statement above leaves to the verifier), and replication.
      actions: [...VERDICT_PUT_KIN, ...OBJECT_DELETES, ...REPLICATION_WRITES],
      resources: verdicts,
    }),
  );
  denyChainRecordReplacement(bucket, 'dr');
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

/**
 * A record of `place`'s verdict chain is never replaced, by the verifier
 * either: it is put only where none is (the conditional put the chain's
 * append makes, docs/attest.md). The head hint (not a record) stays
 * overwritable.
 */
export function denyChainRecordReplacement(bucket: s3.IBucket, place: VerdictPlace): void {
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'ChainRecordsAreNeverReplaced',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`${VERDICT_CHAIN_PREFIX[place]}*.json`)],
      conditions: { Null: { 's3:if-none-match': 'true' } },
    }),
  );
}

/**
 * Lets `role` read DR verdicts as readers must (issue 53 item 3): the
 * verdict objects, and HeadObject of each copy (the version and ETag a
 * verdict must name; S3 authorizes HeadObject as s3:GetObject, which also
 * reads the bytes: no narrower action exists). `copies`: the copies' key
 * pattern the role reads (default every `.rdb`).
 */
export function grantVerdictReads(role: iam.IRole, bucket: s3.IBucket, what: string, copies = '*.rdb'): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadDrVerdicts',
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects(copies), bucket.arnForObjects(`${VERDICT_PREFIX.dr}*`)],
    }),
  );
  Validations.of(role).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(bucket)}/${VERDICT_PREFIX.dr}*]`,
      reason: `The ${what} reads the DR verifier's verdict object of each copy (named after the copy, whose key an export makes at run time).`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(bucket)}/${copies}]`,
      reason: `The ${what} reads each copy's current version (HeadObject, authorized as s3:GetObject) that its verdict object must name.`,
    },
  );
}
