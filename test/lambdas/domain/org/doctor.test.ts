import { describe, expect, it } from 'vitest';
import { type OrgDoctorInput, orgDoctorFindings } from '../../../../lambdas/domain/org/doctor.js';

/** The judgement of `org doctor` on cases moto cannot give (a SUSPENDED account, an INOPERABLE instance). */
const agreeing: OrgDoctorInput = {
  configOus: [{ id: 'ou-ab12-prod0001', name: 'prod', accounts: ['111111111111', '222222222222'] }],
  configOrganizationId: 'o-exampleorg1',
  organizationId: 'o-exampleorg1',
  ous: [
    {
      ou: 'ou-ab12-prod0001',
      accounts: [
        { id: '111111111111', status: 'ACTIVE' },
        { id: '222222222222', name: 'ledger', status: 'ACTIVE' },
      ],
    },
  ],
  stackSets: [
    {
      name: 'redis-dr-acme-gabc123-dr',
      region: 'eu-central-1',
      accounts: ['111111111111', '222222222222'],
      instances: [
        { account: '111111111111', region: 'eu-central-1', status: 'CURRENT' },
        { account: '222222222222', region: 'eu-central-1', status: 'CURRENT' },
      ],
    },
  ],
};

describe('orgDoctorFindings', () => {
  it('finds nothing when the config and the organization agree', () => {
    expect(orgDoctorFindings(agreeing)).toEqual([]);
  });

  it('names a listed account that is SUSPENDED in its OU', () => {
    const f = orgDoctorFindings({
      ...agreeing,
      ous: [
        {
          ou: 'ou-ab12-prod0001',
          accounts: [
            { id: '111111111111', status: 'ACTIVE' },
            { id: '222222222222', name: 'ledger', status: 'SUSPENDED' },
          ],
        },
      ],
    });
    expect(f).toEqual([
      {
        kind: 'account-not-in-ou',
        account: '222222222222',
        ou: 'ou-ab12-prod0001',
        message: 'account 222222222222 (ledger) of OU ou-ab12-prod0001 (prod) is SUSPENDED: StackSets skip it; remove it from the config, or reinstate it',
      },
    ]);
  });

  it('names an INOPERABLE instance with its detailed status, and an instance in another region as missing', () => {
    const f = orgDoctorFindings({
      ...agreeing,
      stackSets: [
        {
          ...agreeing.stackSets[0]!,
          instances: [
            { account: '111111111111', region: 'eu-central-1', status: 'INOPERABLE', detailedStatus: 'INOPERABLE', statusReason: '' },
            { account: '222222222222', region: 'eu-west-1', status: 'CURRENT' },
          ],
        },
      ],
    });
    expect(f.map((x) => [x.kind, x.account])).toEqual([
      ['instance-not-current', '111111111111'],
      ['instance-missing', '222222222222'],
    ]);
    expect(f[0]!.message).toBe('StackSet redis-dr-acme-gabc123-dr instance in account 111111111111 eu-central-1 is INOPERABLE (INOPERABLE): no reason given');
  });

  it('says where an account moved between OUs is listed', () => {
    const f = orgDoctorFindings({
      ...agreeing,
      configOus: [...agreeing.configOus, { id: 'ou-ab12-sand0001', name: 'sandbox', accounts: ['333333333333'] }],
      ous: [
        { ou: 'ou-ab12-prod0001', accounts: [{ id: '111111111111' }, { id: '222222222222' }, { id: '333333333333' }] },
        { ou: 'ou-ab12-sand0001', accounts: [] },
      ],
    });
    expect(f.map((x) => x.kind)).toEqual(['account-not-in-config', 'account-not-in-ou']);
    expect(f[0]!.message).toContain('(listed under ou-ab12-sand0001)');
  });
});
