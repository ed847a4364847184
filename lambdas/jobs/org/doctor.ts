/**
 * `redis-dr org doctor`: where the org config and the real organization
 * disagree (lambdas/domain/org/doctor.ts judges). Reads, all read-only:
 * Organizations' `DescribeOrganization` (the id against
 * `vault.organizationId`) and `ListAccountsForParent` for each OU of the
 * config (paged); CloudFormation's `ListStackInstances` (paged) for each
 * StackSet the org app synthesizes, named by the same code
 * (lib/constructs/org/stack-set-groups.ts), called as DELEGATED_ADMIN when
 * `stackSets.delegatedAdmin` says so. Requests grow with OUs and StackSet
 * groups, not with accounts (beyond pages of 20 accounts / 100 instances).
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { type OrgFinding, orgDoctorFindings, type StackSetState } from '../../domain/org/doctor.js';
import { listStackInstances } from '../../adapters/aws/cloudformation.js';
import { organizationId, organizationsClient, ouMembers } from '../../adapters/aws/organizations.js';
import { mapConcurrent } from '../../adapters/aws/retry.js';
import { ServiceClients } from '../../adapters/aws/service-clients.js';
import { stackSetGroups, stackSetName } from '../../../lib/constructs/org/stack-set-groups.js';
import { readOrg } from './inventory.js';

/** What `org doctor` asks. */
export interface OrgDoctorRequest {
  /** The org config file. */
  readonly file: string;
  /** The region of the StackSets (the org app's stack); default the config's `regions.primary`. */
  readonly region?: string;
}

/** The SDK clients the job uses (a test may hand in others). */
export interface OrgDoctorClients {
  organizations(): OrganizationsClient;
  cloudformation(region: string): CloudFormationClient;
}

/** The answer: what was compared, and every disagreement. */
export interface OrgDoctorAnswer {
  readonly name: string;
  readonly organizationId: string;
  /** Where the StackSets were read. */
  readonly region: string;
  readonly callAs: 'SELF' | 'DELEGATED_ADMIN';
  readonly checked: { readonly ous: number; readonly accounts: number; readonly stackSets: number; readonly instances: number };
  readonly findings: readonly OrgFinding[];
}

/** Reads at once: Organizations allows a few calls a second per account (the SDK's retries take the rest). */
const READS_AT_ONCE = 4;

function defaultClients(): OrgDoctorClients {
  const services = new ServiceClients();
  let org: OrganizationsClient | undefined;
  return { organizations: () => (org ??= organizationsClient()), cloudformation: (region) => services.cloudformation(region) };
}

/** Reads the organization and the StackSets and judges them. @throws UsageError (exit 2) on a bad org config */
export async function orgDoctor(request: OrgDoctorRequest, clients: OrgDoctorClients = defaultClients()): Promise<OrgDoctorAnswer> {
  const org = readOrg(request.file);
  const region = request.region ?? org.regions.primary;
  const callAs = org.stackSets.delegatedAdmin ? 'DELEGATED_ADMIN' : 'SELF';
  const orgs = clients.organizations();
  const id = await organizationId(orgs);
  const ous = await mapConcurrent(org.organizationalUnits, READS_AT_ONCE, (ou) => ouMembers(orgs, ou.id));
  const expected = stackSetGroups(org).flatMap((g) =>
    (['dr', 'primary'] as const).map((where) => ({
      name: stackSetName(org.name, g.name, where),
      region: where === 'dr' ? org.regions.dr : org.regions.primary,
      accounts: g.accounts,
    })),
  );
  const cfn = clients.cloudformation(region);
  const stackSets: StackSetState[] = await mapConcurrent(expected, READS_AT_ONCE, async (s) => ({
    ...s,
    instances: await listStackInstances(cfn, s.name, callAs),
  }));
  const findings = orgDoctorFindings({
    configOus: org.organizationalUnits.map((o) => ({ id: o.id, name: o.name, accounts: o.accounts })),
    configOrganizationId: org.vault.organizationId,
    organizationId: id,
    ous,
    stackSets,
  });
  return {
    name: org.name,
    organizationId: id,
    region,
    callAs,
    checked: {
      ous: ous.length,
      accounts: ous.reduce((n, o) => n + ('accounts' in o ? o.accounts.length : 0), 0),
      stackSets: stackSets.length,
      instances: stackSets.reduce((n, s) => n + (s.instances?.length ?? 0), 0),
    },
    findings,
  };
}
