/**
 * The verified-copy AWS Config rule in the member stacks (org config
 * `configRule`): a rule of each member account's own, in its primary stack,
 * rather than one `AWS::Config::OrganizationConfigRule` from the delegated
 * administrator. An organization custom Lambda rule invokes one function in
 * the administering account for every member; this rule's function reads the
 * member's own caches and its own DR bucket's `reports/`, which from there
 * would take a cross-account role in every account and a bucket policy
 * opening each DR bucket to it. In the member stack the function reads only
 * its own account (docs/org.md).
 */
import type { OrgConfig } from '../../config/org.js';
import type { RedisDr } from '../../redis-dr.js';
import { logRetentionOf } from '../log-retention.js';
import { VerifiedCopyRule } from './verified-copy-rule.js';

/** Adds the rule to `members`' primary stack when the org config turns it on; the rule, or undefined. */
export function addMemberConfigRule(members: RedisDr, org: OrgConfig): VerifiedCopyRule | undefined {
  if (!org.configRule.enabled) return undefined;
  const config = members.config;
  return new VerifiedCopyRule(members.primary, 'VerifiedCopyRule', {
    deployment: config.name,
    drRegion: config.dr.region,
    securityHub: org.configRule.securityHub,
    logRetention: logRetentionOf(config.lambda.logRetentionDays),
    metricsNamespace: config.metricsNamespace,
  });
}
