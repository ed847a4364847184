import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type RedisDrConfig } from '../../lib/config';
import { synthesize, type Synthesized } from './synth';
import type { Template } from 'aws-cdk-lib/assertions';

/** One ASL state, as far as the tests read it. */
export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Parameters?: Record<string, any>;
  readonly Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number }[];
  readonly Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  readonly Seconds?: number;
  readonly [key: string]: unknown;
}

/** An ASL definition. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
}

/**
 * A state machine definition of a synthesized template (the drill's, or the
 * DR stack's verify state machine), with CloudFormation
 * references replaced by stand-ins: `Fn::GetAtt [X, Arn]` and `Ref X` become
 * `arn:aws:lambda:local:000000000000:function:X` style strings, pseudo
 * parameters become fixed values. The result is what Step Functions would run.
 */
export function stateMachineDefinition(template: Template, which: 'drill' | 'verify' = 'drill'): AslDefinition {
  // The DR stack holds the verify state machine (DrCopies) beside the drill's.
  const machines = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'))
    .filter(([id]) => /VerifyStateMachine/.test(id) === (which === 'verify'))
    .map(([, m]) => m);
  if (machines.length !== 1) throw new Error(`expected one ${which} state machine, found ${machines.length}`);
  const body = machines[0]!.Properties.DefinitionString as unknown;
  return JSON.parse(render(body)) as AslDefinition;
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  if (v['Fn::GetAtt']) return `arn:aws:lambda:eu-west-1:000000000000:function:${(v['Fn::GetAtt'] as string[])[0]}`;
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref === 'AWS::Region') return 'eu-west-1';
  if (v.Ref === 'AWS::AccountId') return '000000000000';
  if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  if (v.Ref) return String(v.Ref);
  throw new Error(`cannot render ${JSON.stringify(value).slice(0, 200)}`);
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
