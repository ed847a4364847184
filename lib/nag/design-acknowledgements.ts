import { type Stack, Validations } from 'aws-cdk-lib';

/**
 * NIST 800-53 rev 5 (cdk-nag's `NIST80053R5Checks`) findings that follow
 * from choices made for the whole deployment, acknowledged once per stack
 * with the reason. cdk-nag's NIST pack is not run at synth (teams that audit
 * against it add it to their app; test/lib/governed-accounts.test.ts runs
 * it): the acknowledgements keep its report to what an operator can change.
 * Findings an operator can settle in config (`lambda.inVpc`,
 * `lambda.logKmsKeyArns`) are not acknowledged; bucket findings are, on each
 * bucket, with the reason that bucket has.
 */
export const NIST_DESIGN_ACKNOWLEDGEMENTS = [
  {
    id: 'NIST.800.53.R5-IAMNoInlinePolicy',
    reason:
      "Each role's policy is written for that role alone (least privilege per function, state machine or replication); a customer-managed policy per role would carry the same statements with no narrower scope, as one more resource to drift.",
  },
  {
    id: 'NIST.800.53.R5-LambdaConcurrency',
    reason:
      'No function reserves concurrency: a reservation takes from the account pool the workload shares, and a scheduled reconciler that runs rarely needs none (a later run repairs a throttled one; the dead-man alarms page if runs stop).',
  },
  {
    id: 'NIST.800.53.R5-LambdaDLQ',
    reason:
      "Failed asynchronous invocations go to the deployment's dead-letter queue as an on-failure destination (or EventBridge Scheduler's dead-letter queue), which the rule does not read; functions under Step Functions run synchronously and their errors fail the execution; the CDK's custom-resource provider answers CloudFormation, which fails the deploy.",
  },
] as const;

/** Acknowledges {@link NIST_DESIGN_ACKNOWLEDGEMENTS} on `stack`. */
export function acknowledgeNistDesignChoices(stack: Stack): void {
  Validations.of(stack).acknowledge(...NIST_DESIGN_ACKNOWLEDGEMENTS);
}
