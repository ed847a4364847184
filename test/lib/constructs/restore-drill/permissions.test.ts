import { App, Stack } from 'aws-cdk-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { API_ACTIONS, type ApiActions, dependentActions } from '../../../../lib/iam-actions.js';
import { serverlessEndpointStatements } from '../../../../lib/constructs/restore-drill/permissions.js';

/**
 * The drill's serverless network statements are built from lib/iam-actions.ts
 * (issue 53 item 2: one table for the Lambda roles, the state machines and
 * the operator policy): each action of CreateServerlessCache's `network`
 * group gets its scoping, and an action the table gains without one fails
 * the synth instead of going ungranted or granted on `*`.
 */
const NETWORK = { vpcId: 'vpc-1', subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'], cacheSubnetGroupName: 'g', secretsManagerEndpoint: false };
const CALL = 'elasticache:CreateServerlessCache';
const table = API_ACTIONS as Record<string, ApiActions>;
const original = table[CALL]!;

afterEach(() => {
  table[CALL] = original;
});

function actionsOf(statements: ReturnType<typeof serverlessEndpointStatements>): string[] {
  return [...new Set(statements.flatMap((s) => s.toStatementJson().Action as string | string[]).flat())].sort();
}

describe('serverlessEndpointStatements', () => {
  it("grants exactly the table's network actions of CreateServerlessCache", () => {
    const statements = serverlessEndpointStatements(new Stack(new App(), 'S'), NETWORK);
    expect(actionsOf(statements)).toEqual([...dependentActions(CALL, 'network')].sort());
    // Only the Describe calls on `*`.
    const anywhere = statements.filter((s) => JSON.stringify(s.toStatementJson().Resource) === '"*"');
    expect(actionsOf(anywhere).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
  });

  it('a network action the table gains without a scoping fails (negative)', () => {
    table[CALL] = { ...original, dependent: { ...original.dependent, network: [...dependentActions(CALL, 'network'), 'ec2:DeleteVpcEndpoints'] } };
    expect(() => serverlessEndpointStatements(new Stack(new App(), 'S'), NETWORK)).toThrow(/new: ec2:DeleteVpcEndpoints/);
  });

  it('a scoped action the table drops fails (negative)', () => {
    table[CALL] = { ...original, dependent: { ...original.dependent, network: dependentActions(CALL, 'network').filter((a) => a !== 'ec2:CreateTags') } };
    expect(() => serverlessEndpointStatements(new Stack(new App(), 'S'), NETWORK)).toThrow(/gone: ec2:CreateTags/);
  });
});
