import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type RedisDrConfig, validateConfig } from '../../lib/config/index.js';
import { loadOrgConfig } from '../../lib/config/org.js';
import { memberConfig } from '../../lib/constructs/org/member-config.js';
import { stackSetGroups } from '../../lib/constructs/org/stack-set-groups.js';
import { synthesize, type Synthesized } from './synth.js';
import type { Template } from 'aws-cdk-lib/assertions';
import { stateMachineDefinition as aslDefinition, type AslDefinition, type TemplateJson } from '../../lib/asl.js';

export type { AslDefinition, AslState } from '../../lib/asl.js';

/**
 * A state machine definition of a synthesized template (the drill's, or the
 * DR stack's verify state machine), with CloudFormation references replaced
 * by stand-ins (lib/asl.ts): what Step Functions would run.
 */
export function stateMachineDefinition(template: Template, which: 'drill' | 'verify' = 'drill'): AslDefinition {
  return aslDefinition(template.toJSON() as TemplateJson, which);
}

/** A config with drills in both regions (networks and exports set). */
export const DRILLS_CONFIG = join(__dirname, '..', 'fixtures', 'config', 'drills.json');

/**
 * Synthesizes the drills config once for the enclosing `describe` (and
 * cleans up after it); read `current()` inside tests.
 */
export function useDrillsSynth(): () => { synth: Synthesized; config: RedisDrConfig } {
  let state: { synth: Synthesized; config: RedisDrConfig } | undefined;
  beforeAll(() => {
    const config = loadConfig(DRILLS_CONFIG);
    state = { synth: synthesize(config), config };
  });
  afterAll(() => state?.synth.cleanup());
  return () => {
    if (!state) throw new Error('useDrillsSynth: read it inside a test');
    return state;
  };
}

/** The example org config: its tiers drill, their network named as SSM parameters (drill.network.fromSsm). */
export const ORG_EXAMPLE_CONFIG = join(__dirname, '..', '..', 'config', 'org-example.json');

/**
 * The deployment config a StackSet group of the example org deploys (lib/constructs/org/member-config.ts), the
 * first group's: drills in the primary region with `network.fromSsm`, and (gold's drill.where both) in the DR region
 * with `dr.network.fromSsm`. Synthesize it with `synthesize` (shared).
 */
export function memberDrillConfig(): RedisDrConfig {
  const org = loadOrgConfig(ORG_EXAMPLE_CONFIG);
  const group = stackSetGroups(org)[0]!;
  const member = memberConfig(org, group.name, group.plans);
  if (!member.ok) throw new Error(member.problems.join('\n'));
  const checked = validateConfig(member.props);
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  return checked.config;
}

/** What CloudFormation resolves a member DR stack's network parameters to (the org config's drill.drNetwork), in the same stand-in account. */
export const MEMBER_DR_NETWORK_VALUES = {
  NetworkSubnetIds: ['subnet-0d1d2d3d4d5d6d7d1', 'subnet-0d1d2d3d4d5d6d7d2'],
  NetworkSecurityGroupIds: ['sg-0d1d2d3d4d5d6d7d3'],
  NetworkCacheSubnetGroupName: 'acme-dr-cache-subnets',
} as const;

/** What CloudFormation resolves a member stack's network parameters to, in one stand-in account. */
export const MEMBER_NETWORK_VALUES = {
  NetworkVpcId: 'vpc-0a1b2c3d4e5f60718',
  NetworkSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
  NetworkSecurityGroupIds: ['sg-0a1b2c3d4e5f60713'],
  NetworkCacheSubnetGroupName: 'acme-cache-subnets',
} as const;
