/**
 * AWS Organizations, read only (`redis-dr org doctor`): the organization's id
 * and the accounts directly under an OU, every page followed by its
 * NextToken. Needs `organizations:DescribeOrganization` and
 * `organizations:ListAccountsForParent` (the management account, or a
 * delegated administrator of Organizations).
 */
import { DescribeOrganizationCommand, ListAccountsForParentCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import type { OuMembers } from '../../domain/org/doctor.js';
import { sdkClientConfig } from './client-config.js';
import { errorName } from './errors.js';

/** An Organizations client (a global service: its endpoint is in us-east-1 whatever the region). */
export function organizationsClient(): OrganizationsClient {
  return new OrganizationsClient({ region: 'us-east-1', ...sdkClientConfig() });
}

/** The id of the organization the credentials belong to (`o-…`). */
export async function organizationId(client: OrganizationsClient): Promise<string> {
  const out = await client.send(new DescribeOrganizationCommand({}));
  return out.Organization?.Id ?? '';
}

/** The most accounts a page of ListAccountsForParent may hold (the API's bound). */
export const ACCOUNTS_PAGE_SIZE = 20;

/** The accounts directly under `ou`, page after page; `notFound` when the organization has no such OU. */
export async function ouMembers(client: OrganizationsClient, ou: string): Promise<OuMembers> {
  const accounts: { id: string; name?: string; status?: string }[] = [];
  let NextToken: string | undefined;
  try {
    do {
      const page = await client.send(new ListAccountsForParentCommand({ ParentId: ou, MaxResults: ACCOUNTS_PAGE_SIZE, NextToken }));
      for (const a of page.Accounts ?? []) {
        // Status "will be retired on September 9, 2026" (the Account type's reference): State says the same and more (CLOSED, PENDING_ACTIVATION).
        const status = a.State ?? a.Status;
        if (a.Id) accounts.push({ id: a.Id, ...(a.Name ? { name: a.Name } : {}), ...(status ? { status } : {}) });
      }
      NextToken = page.NextToken || undefined;
    } while (NextToken);
  } catch (err) {
    if (errorName(err) === 'ParentNotFoundException') return { ou, notFound: true };
    throw err;
  }
  return { ou, accounts };
}
