/**
 * The step an upgrade from the ACL route to the bucket-policy route of
 * `dr.elastiCacheBucketAccess` needs before its deploy: S3 refuses
 * BucketOwnerEnforced (ACLs disabled) on a bucket whose ACL still grants
 * another account (ElastiCache's canonical user), so the stack update fails
 * and rolls back unless each bucket's ACL is reset to private first. Said by
 * doctor's fix and the synth summary, from here.
 */

/** The command that resets `bucket`'s ACL to private (the bucket owner alone). */
export function aclResetCommand(bucket: string, region?: string): string {
  return `aws s3api put-bucket-acl --bucket ${bucket} --acl private${region ? ` --region ${region}` : ''}`;
}

/** Why the reset comes first, in words. */
export const ACL_RESET_WHY = 'S3 refuses to disable ACLs (BucketOwnerEnforced) while a bucket ACL grants ElastiCache, so the update would roll back';
