import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { networkIds, validateConfig } from '../../../lib/config/index.js';
import { validateOrgConfig } from '../../../lib/config/org.js';
import { DRILLS_CONFIG, ORG_EXAMPLE_CONFIG } from '../../support/state-machine.js';

/** `network.fromSsm` (lib/config/schema.ts): a network as SSM parameter names, for one template in every account. */
const FROM_SSM = {
  vpcId: '/acme/network/vpc-id',
  subnetIds: '/acme/network/private-subnet-ids',
  securityGroupIds: '/acme/network/sg-ids',
  subnetGroupName: 'cache-subnet-group',
};

/** The drills config with `edit` applied to its raw JSON, validated. */
function drills(edit: (raw: Record<string, any>) => void) {
  const raw = JSON.parse(readFileSync(DRILLS_CONFIG, 'utf8')) as Record<string, any>;
  edit(raw);
  return validateConfig(raw);
}

describe('network.fromSsm', () => {
  it('stands for a network, a drilling region included (its subnet group is a parameter too), and has no ids at synth', () => {
    const result = drills((raw) => {
      raw.dr.network = { fromSsm: FROM_SSM };
    });
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config.dr.network).toEqual({ fromSsm: FROM_SSM });
    expect(networkIds(result.config.dr.network)).toBeUndefined();
    expect(networkIds(result.config.network)).toEqual(result.config.network);
  });

  it('refuses a name that is no SSM parameter name, naming field, value and fix', () => {
    const result = drills((raw) => {
      raw.dr.network = { fromSsm: { ...FROM_SSM, subnetIds: 'subnets a,b', vpcId: '/aws/reserved' } };
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'dr.network.fromSsm.vpcId must be an SSM parameter name like "/org/network/vpc-id", got "/aws/reserved": letters, digits, _ . - and /, at most 15 levels, not starting with aws or ssm: the name the account baseline (Control Tower, AFT) writes the value under',
      'dr.network.fromSsm.subnetIds must be an SSM parameter name like "/org/network/private-subnet-ids", got "subnets a,b": letters, digits, _ . - and /, at most 15 levels, not starting with aws or ssm: the name the account baseline (Control Tower, AFT) writes the value under',
    ]);
  });

  it('a name left out, or ids beside the names: the problems of the form meant, not of both', () => {
    const missing = drills((raw) => {
      const { subnetGroupName: _, ...rest } = FROM_SSM;
      raw.dr.network = { fromSsm: rest };
    });
    expect(!missing.ok && missing.problems).toEqual(['dr.network.fromSsm.subnetGroupName is required']);
    const literal = drills((raw) => {
      delete raw.dr.network.subnetIds;
    });
    expect(!literal.ok && literal.problems).toEqual(['dr.network.subnetIds is required']);
    const both = drills((raw) => {
      raw.dr.network.fromSsm = FROM_SSM;
    });
    expect(!both.ok && both.problems).toEqual([expect.stringMatching(/^dr\.network\.fromSsm is not a known setting/)]);
  });
});

describe("the org config's drill.network", () => {
  const org = (edit: (raw: Record<string, any>) => void) => {
    const raw = JSON.parse(readFileSync(ORG_EXAMPLE_CONFIG, 'utf8')) as Record<string, any>;
    edit(raw);
    return validateOrgConfig(raw);
  };

  it('takes SSM parameter names only (one template for every account), each checked', () => {
    expect(org(() => {}).ok).toBe(true);
    const ids = org((raw) => {
      raw.drill.network = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] };
    });
    expect(!ids.ok && ids.problems).toEqual([
      'drill.network.fromSsm is required',
      'drill.network.vpcId is not a known setting: known settings here are fromSsm',
      'drill.network.subnetIds is not a known setting: known settings here are fromSsm',
      'drill.network.securityGroupIds is not a known setting: known settings here are fromSsm',
    ]);
    const bad = org((raw) => {
      raw.drill.network.fromSsm.securityGroupIds = 'sg ids';
    });
    expect(!bad.ok && bad.problems).toEqual([
      expect.stringMatching(/^drill\.network\.fromSsm\.securityGroupIds must be an SSM parameter name like .*, got "sg ids": /),
    ]);
  });
});
