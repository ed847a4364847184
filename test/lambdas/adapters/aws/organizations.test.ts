import { ListAccountsForParentCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ouMembers } from '../../../../lambdas/adapters/aws/organizations.js';

/**
 * The accounts of an OU as `org doctor` reads them (ListAccountsForParent, mocked at the SDK boundary). The
 * account's `Status` "will be retired on September 9, 2026" (Account, Organizations API reference): its `State`
 * (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION) is what an answer after that carries.
 */
const orgs = mockClient(OrganizationsClient);
const client = new OrganizationsClient({ region: 'us-east-1' });
beforeEach(() => orgs.reset());

describe('ouMembers', () => {
  it("reads an account's State, the field that outlives Status, on every page", async () => {
    orgs
      .on(ListAccountsForParentCommand)
      .resolvesOnce({ Accounts: [{ Id: '111111111111', Name: 'a', State: 'ACTIVE' }], NextToken: 'p2' })
      .resolvesOnce({
        Accounts: [
          { Id: '222222222222', State: 'SUSPENDED' },
          { Id: '333333333333', State: 'CLOSED', Status: 'SUSPENDED' },
        ],
      });
    expect(await ouMembers(client, 'ou-ab12-cdef3456')).toEqual({
      ou: 'ou-ab12-cdef3456',
      accounts: [
        { id: '111111111111', name: 'a', status: 'ACTIVE' },
        { id: '222222222222', status: 'SUSPENDED' },
        { id: '333333333333', status: 'CLOSED' },
      ],
    });
  });

  it('still reads Status from an answer that has no State', async () => {
    orgs.on(ListAccountsForParentCommand).resolves({ Accounts: [{ Id: '111111111111', Status: 'PENDING_CLOSURE' }] });
    expect(await ouMembers(client, 'ou-ab12-cdef3456')).toEqual({ ou: 'ou-ab12-cdef3456', accounts: [{ id: '111111111111', status: 'PENDING_CLOSURE' }] });
  });
});
