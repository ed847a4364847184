/**
 * `redis-dr org doctor`'s judgement (pure): where the org config and the real
 * organization disagree. The accounts Organizations lists directly under each
 * OU the config names against the accounts the config lists there; the
 * organization's id against `vault.organizationId` (the vault's grants name
 * it); each StackSet the org app synthesizes against its stack instances:
 * missing, or not CURRENT (OUTDATED, INOPERABLE) with CloudFormation's reason.
 */

/** One account as Organizations lists it under an OU. */
export interface OuAccount {
  readonly id: string;
  readonly name?: string;
  /** The account's State (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION), else its retired Status. */
  readonly status?: string;
}

/** What Organizations says of one OU of the config: its direct accounts, or that it has no such OU. */
export type OuMembers = { readonly ou: string; readonly accounts: readonly OuAccount[] } | { readonly ou: string; readonly notFound: true };

/** One stack instance as ListStackInstances gives it (the fields judged). */
export interface InstanceSummary {
  readonly account: string;
  readonly region: string;
  /** CURRENT, OUTDATED or INOPERABLE. */
  readonly status: string;
  readonly statusReason?: string;
  /** StackInstanceStatus.DetailedStatus: PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, INOPERABLE, SKIPPED_SUSPENDED_ACCOUNT… */
  readonly detailedStatus?: string;
}

/** One StackSet the org app synthesizes, where its instances should be, and what CloudFormation lists (undefined: no such StackSet). */
export interface StackSetState {
  readonly name: string;
  readonly region: string;
  /** The accounts the config deploys this StackSet to. */
  readonly accounts: readonly string[];
  readonly instances: readonly InstanceSummary[] | undefined;
}

/** What org doctor compares. */
export interface OrgDoctorInput {
  /** The config's OUs, each with the accounts it lists. */
  readonly configOus: readonly { readonly id: string; readonly name: string; readonly accounts: readonly string[] }[];
  readonly configOrganizationId: string;
  readonly organizationId: string;
  readonly ous: readonly OuMembers[];
  readonly stackSets: readonly StackSetState[];
}

/** The kinds of disagreement, each one line. */
export type OrgFindingKind =
  | 'organization-id'
  | 'ou-not-found'
  | 'account-not-in-config'
  | 'account-not-in-ou'
  | 'stackset-missing'
  | 'instance-missing'
  | 'instance-not-current';

export interface OrgFinding {
  readonly kind: OrgFindingKind;
  readonly account?: string;
  readonly ou?: string;
  readonly stackSet?: string;
  readonly region?: string;
  /** The line printed. */
  readonly message: string;
}

/** Every disagreement, in the order: organization, OUs and accounts (config order), StackSets. */
export function orgDoctorFindings(input: OrgDoctorInput): OrgFinding[] {
  const out: OrgFinding[] = [];
  if (input.organizationId !== input.configOrganizationId) {
    out.push({
      kind: 'organization-id',
      message: `vault.organizationId is ${input.configOrganizationId}, the organization of these credentials is ${input.organizationId}: the vault's grants (aws:PrincipalOrgID) would refuse every account; set vault.organizationId to ${input.organizationId}, or run with the management (or delegated administrator) account of ${input.configOrganizationId}`,
    });
  }
  const listedAnywhere = new Map<string, string>();
  for (const ou of input.configOus) for (const a of ou.accounts) listedAnywhere.set(a, ou.id);
  for (const ou of input.configOus) {
    const real = input.ous.find((o) => o.ou === ou.id);
    if (!real) continue;
    if ('notFound' in real) {
      out.push({
        kind: 'ou-not-found',
        ou: ou.id,
        message: `OU ${ou.id} (${ou.name}) of the config is no OU of organization ${input.organizationId}: fix organizationalUnits[].id`,
      });
      continue;
    }
    const there = new Map(real.accounts.map((a) => [a.id, a]));
    for (const a of real.accounts) {
      if (ou.accounts.includes(a.id)) continue;
      const elsewhere = listedAnywhere.get(a.id);
      out.push({
        kind: 'account-not-in-config',
        account: a.id,
        ou: ou.id,
        message: `account ${a.id}${a.name ? ` (${a.name})` : ''} is in OU ${ou.id} (${ou.name}) but not listed there in the config${elsewhere ? ` (listed under ${elsewhere})` : ''}: its caches get the OU's StackSets but no plan the config shows; add it to the OU's accounts`,
      });
    }
    for (const id of ou.accounts) {
      const a = there.get(id);
      if (!a) {
        out.push({
          kind: 'account-not-in-ou',
          account: id,
          ou: ou.id,
          message: `account ${id} is listed under OU ${ou.id} (${ou.name}) in the config but is not in that OU: the StackSets that target the OU do not reach it (not protected); move the account into the OU, or list it where it is`,
        });
      } else if (a.status && a.status !== 'ACTIVE') {
        out.push({
          kind: 'account-not-in-ou',
          account: id,
          ou: ou.id,
          message: `account ${id}${a.name ? ` (${a.name})` : ''} of OU ${ou.id} (${ou.name}) is ${a.status}: StackSets skip it; remove it from the config, or reinstate it`,
        });
      }
    }
  }
  for (const set of input.stackSets) {
    if (set.instances === undefined) {
      out.push({
        kind: 'stackset-missing',
        stackSet: set.name,
        region: set.region,
        message: `StackSet ${set.name} (${set.region}, ${set.accounts.length} account(s)) does not exist: deploy the org app (npx cdk deploy -c config=<org config>)`,
      });
      continue;
    }
    for (const account of set.accounts) {
      const i = set.instances.find((x) => x.account === account && x.region === set.region);
      if (!i) {
        out.push({
          kind: 'instance-missing',
          account,
          stackSet: set.name,
          region: set.region,
          message: `StackSet ${set.name} has no stack instance in account ${account} ${set.region}: the account is not protected there; check that it is in a targeted OU and the StackSet's operations (aws cloudformation list-stack-set-operations --stack-set-name ${set.name})`,
        });
      } else if (i.status !== 'CURRENT') {
        out.push({
          kind: 'instance-not-current',
          account,
          stackSet: set.name,
          region: set.region,
          message: `StackSet ${set.name} instance in account ${account} ${set.region} is ${i.status}${i.detailedStatus ? ` (${i.detailedStatus})` : ''}: ${i.statusReason || 'no reason given'}`,
        });
      }
    }
  }
  return out;
}
