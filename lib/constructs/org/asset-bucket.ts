import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNoReplication, acknowledgeSseS3 } from '../../nag/recovery-storage-checks.js';
import { AccessLogBucket } from '../recovery-bucket.js';

/** Props of {@link OrgAssetBucket}. */
export interface OrgAssetBucketProps {
  /** `<prefix>-<region>`: the name the member templates' Lambda code names with `${AWS::Region}`. */
  readonly bucketName: string;
  /** The organization whose accounts read it. */
  readonly organizationId: string;
}

/**
 * The bucket of one region holding the Lambda code of the StackSets' member
 * stacks: read by every account of the organization (`aws:PrincipalOrgID`;
 * CloudFormation and Lambda in a member account fetch the code with that
 * account's principals), written by this account only. Not the CDK
 * bootstrap bucket: that one is per account and readable by its account
 * alone, which is why no StackSet can deploy a template that names it.
 */
export class OrgAssetBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: OrgAssetBucketProps) {
    super(scope, id);
    const logs = new AccessLogBucket(this, 'AccessLogs');
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs.bucket,
      serverAccessLogsPrefix: 'org-assets/',
      // A stack instance created later (an account joining an OU) still needs the code of its template.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OrganizationReadsAssets',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
      }),
    );
    acknowledgeSseS3(this.bucket, 'Lambda code zips, no secret: SSE-S3 lets every account of the organization read them without a key grant per account.');
    acknowledgeNoReplication(this.bucket, "One bucket per region by design: each region's member stacks read the code of their own region.");
  }
}
