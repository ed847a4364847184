import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadOrgConfig, validateOrgConfig } from '../../../lib/config/org.js';
import { stackSetGroups } from '../../../lib/constructs/org/stack-set-groups.js';
import { GroupStackSets } from '../../../lib/constructs/org/stack-sets.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

/**
 * Who the StackSets are called as (CloudFormation's CallAs): the management
 * account as itself (SELF, the default), a delegated administrator as
 * DELEGATED_ADMIN when the org config says `stackSets.delegatedAdmin`.
 */
const dir = tempDir('redis-dr-callas-');
const template = join(dir, 'member.template.json');
writeFileSync(template, JSON.stringify({ Resources: {} }));

function callAs(delegatedAdmin: unknown): string[] {
  const raw = JSON.parse(JSON.stringify(loadOrgConfig('config/org-example.json'))) as Record<string, any>;
  if (delegatedAdmin !== undefined) raw.stackSets.delegatedAdmin = delegatedAdmin;
  const parsed = validateOrgConfig(raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const stack = new Stack(new App(), 'Org', { env: { region: 'eu-west-1' } });
  const group = stackSetGroups(parsed.config)[0]!;
  new GroupStackSets(stack, group.name, { org: parsed.config, group, templates: { dr: template, primary: template } });
  const sets = Template.fromStack(stack).findResources('AWS::CloudFormation::StackSet');
  return Object.values(sets).map((r) => (r as { Properties: { CallAs: string } }).Properties.CallAs);
}

describe('StackSets CallAs', () => {
  it('calls as SELF (the management account) by default', () => {
    expect(callAs(undefined)).toEqual(['SELF', 'SELF']);
  });

  it('calls as DELEGATED_ADMIN when the config says the administering account is a delegated administrator', () => {
    expect(callAs(true)).toEqual(['DELEGATED_ADMIN', 'DELEGATED_ADMIN']);
  });

  it('refuses a delegatedAdmin that is no boolean, naming the field', () => {
    const raw = JSON.parse(JSON.stringify(loadOrgConfig('config/org-example.json'))) as Record<string, any>;
    raw.stackSets.delegatedAdmin = 'yes';
    const parsed = validateOrgConfig(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join('\n')).toMatch(/stackSets\.delegatedAdmin must be true or false/);
  });
});
