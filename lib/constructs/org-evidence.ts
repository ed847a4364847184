import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { accountRegionPrefix } from '../../lambdas/domain/points/account-prefix.js';
import { nagPseudoParameters } from './elasticache-arns.js';

/**
 * `<account>/<region>/<rest>` of the stack of `scope` (lambdas/domain/points/account-prefix.ts: the prefix an
 * organization's vault takes from this account), and `nag`: the same as cdk-nag prints it in finding ids. What the
 * DR stack's writers of organization evidence (the scheduled report, the scrub) are granted in the DR bucket.
 */
export function orgEvidencePrefixes(scope: Construct, rest: string): { prefix: string; nag: string } {
  const stack = Stack.of(scope);
  const nag = nagPseudoParameters(scope);
  return { prefix: `${accountRegionPrefix(stack.account, stack.region)}${rest}`, nag: `${accountRegionPrefix(nag.account, nag.region)}${rest}` };
}
