/**
 * Where one account's evidence and replicas lie in an organization's vault
 * (or central evidence bucket): under `<account id>/<region>/`. The vault's
 * policy lets each account write only under `${aws:PrincipalAccount}/*`
 * (lib/constructs/vault/org-grants.ts), and S3 replication keeps an object's
 * key, so a workload account writes the objects it replicates under this
 * prefix in its own bucket, and the organization's readers (`redis-dr report
 * --org`, the vault verifier's metrics) split keys with the same layout. The
 * one source of truth of that layout: the writer, the replication rule, the
 * roll-up and the verifier import it. Pure.
 */
import { z } from 'zod';

const ACCOUNT = /^\d{12}$/;
/** An AWS region name (`eu-west-1`, `us-gov-west-1`, `ap-southeast-5`). */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/**
 * `<account>/<region>/`. Not checked here: the values come from validated
 * inputs (the report input's 12-digit account), or are what CDK leaves to
 * CloudFormation (a stack's account token, cdk-nag's `<AWS::AccountId>`).
 */
export function accountRegionPrefix(account: string, region: string): string {
  return `${account}/${region}/`;
}

/**
 * What a function's input carries when its account writes evidence for an organization's vault
 * (config `vault.organizationId`): the account whose `<account>/<region>/` the evidence goes under.
 */
export const orgEvidenceSchema = z.strictObject({ account: z.string().regex(ACCOUNT, { message: 'must be a 12-digit account id' }) });

/** A key under an account's prefix: the account, the region and the rest of the key (what the account's own bucket calls it). */
export interface AccountKey {
  readonly account: string;
  readonly region: string;
  readonly rest: string;
}

/** The account, region and rest of `key`; undefined for a key not under `<12 digits>/<region>/`. */
export function splitAccountKey(key: string): AccountKey | undefined {
  const [account, region, ...rest] = key.split('/');
  if (!account || !region || rest.length === 0 || !ACCOUNT.test(account) || !REGION.test(region)) return undefined;
  return { account, region, rest: rest.join('/') };
}
