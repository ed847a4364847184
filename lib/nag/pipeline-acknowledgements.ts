import { type CfnResource, Validations } from 'aws-cdk-lib';
import type * as pipelines from 'aws-cdk-lib/pipelines';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * cdk-nag findings (AwsSolutions) on what CDK Pipelines generates for the
 * organization's pipeline (lib/org-pipeline.ts), acknowledged on the
 * pipeline construct with the reason; nothing of redis-dr's own stacks is
 * acknowledged here (each stage's stacks are checked as any deployment's).
 */
export const PIPELINE_ACKNOWLEDGEMENTS = [
  {
    id: 'AwsSolutions-IAM5',
    reason:
      "CDK Pipelines' own roles (source action, synth and self-mutation CodeBuild projects, asset publishing, the pipeline role): the library scopes each to the pipeline's artifact bucket and its KMS key (object keys are per run: <bucket>/*, with s3:GetObject*/List*/Abort*/DeleteObject* and kms:GenerateDataKey*/ReEncrypt* as the grant helpers write them), to its CodeBuild projects' log groups and report groups (their suffixes are made at build time), and to the CDK bootstrap roles of the target accounts (role/* conditioned on the aws-cdk:bootstrap-role tag). Three are on every resource, as the library writes them: the pipeline role's kms:Encrypt/Decrypt/GenerateDataKey*/ReEncrypt* (the key of the cross-region support stack's replication bucket, named only by alias at synth), self-mutation's cloudformation:DescribeStacks and s3:ListBucket (read-only: what cdk deploy reads of its own stacks and bucket), and asset publishing's codebuild:StartBuild/BatchGetBuilds/StopBuild. All are CDK Pipelines' defaults, not redis-dr code; test/lib/org/org-pipeline.test.ts lists each acknowledged id, so a new wildcard fails it.",
  },
] as const;

/** The artifact bucket's own finding, with its reason. */
export const PIPELINE_ARTIFACTS_ACKNOWLEDGEMENT = {
  id: 'AwsSolutions-S1',
  reason:
    "The pipeline's artifact bucket (made by CDK Pipelines, KMS-encrypted with a rotated key, TLS only, public access blocked) holds each run's synthesized templates and assets, rebuilt from the repository every run; it is read and written only by the pipeline's roles, whose calls CloudTrail records. Server access logs would log those roles' reads of their own artifacts.",
} as const;

/**
 * Acknowledges, on the built pipeline (call after `buildPipeline()`), each
 * wildcard finding (AwsSolutions-IAM5[...]) of the roles CDK Pipelines
 * generated, with {@link PIPELINE_ACKNOWLEDGEMENTS}' reason, and the
 * artifact bucket's S1. cdk-nag matches acknowledgements by their exact
 * finding id, which names generated logical ids: they are read from the
 * pack's own findings on the pipeline, IAM5 only (any other finding there
 * still fails the synth); the ids are returned for a test to hold.
 */
export function acknowledgePipelineFindings(pipeline: pipelines.CodePipeline): string[] {
  const ids = [
    ...new Set(
      new AwsSolutionsChecks()
        .validateScope(pipeline)
        .violations.map((v) => v.ruleName)
        .filter((id) => id.startsWith('AwsSolutions-IAM5[')),
    ),
  ].sort();
  const [iam5] = PIPELINE_ACKNOWLEDGEMENTS;
  Validations.of(pipeline).acknowledge(...ids.map((id) => ({ id, reason: iam5.reason })));
  Validations.of(pipeline.pipeline.artifactBucket).acknowledge(PIPELINE_ARTIFACTS_ACKNOWLEDGEMENT);
  // cfn-lint's E3703 (style: "prefer Fn::Sub over Fn::Join with an empty delimiter") on the deploy actions' RoleArn,
  // which CDK Pipelines writes from the cloud assembly as Fn::Join of arn:, the partition and the rest: the same value.
  (pipeline.pipeline.node.defaultChild as CfnResource).addMetadata('cfn-lint', { config: { ignore_checks: ['E3703'] } });
  return ids;
}
