/** Reading the recovery buckets out of a synthesized template (the bucket, its policy, the ACL custom resource). */
import { expect } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';

/** The one recovery bucket of a template (the one with a fixed name). */
export function recoveryBucket(template: Template): { id: string; props: Record<string, any> } {
  const found = Object.entries(template.findResources('AWS::S3::Bucket')).filter(([, r]) => r.Properties.BucketName);
  expect(found).toHaveLength(1);
  return { id: found[0]![0], props: found[0]![1].Properties };
}

/** Bucket policy statements of the bucket with logical id `bucketId`. */
export function bucketPolicyStatements(template: Template, bucketId: string): Record<string, any>[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter(
    (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  expect(policies).toHaveLength(1);
  return policies[0]!.Properties.PolicyDocument.Statement;
}

/** The bucket ACL the `acl` route's PutBucketAcl call sets, `<owner>` for the owner's id read at deploy time; undefined without one. */
export function elastiCacheAclCall(template: Template): { Bucket: string; AccessControlPolicy: { Owner: { ID: string }; Grants: unknown[] } } | undefined {
  const calls = Object.entries(template.findResources('Custom::AWS'))
    .map(([, r]) => renderCall(r.Properties.Create))
    .filter((c) => c.action === 'PutBucketAcl');
  expect(calls.length).toBeLessThanOrEqual(1);
  return calls[0]?.parameters;
}

/** An AwsCustomResource call as JSON, references rendered as `<Ref:Id>` and the owner id as `<owner>`. */
function renderCall(value: unknown): Record<string, any> {
  if (typeof value === 'string') return JSON.parse(value);
  const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const ref = p as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (ref.Ref) return `<Ref:${ref.Ref}>`;
      if (ref['Fn::GetAtt']?.[1] === 'Owner.ID') return '<owner>';
      throw new Error(`unexpected part ${JSON.stringify(p)}`);
    })
    .join(sep);
  return JSON.parse(text);
}
