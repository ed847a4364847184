import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../lib/config/index.js';
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
