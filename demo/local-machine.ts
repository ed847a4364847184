/**
 * A state machine of aws-local-stepfunctions for a synthesized definition (lib/asl.ts), validated once per process
 * and definition: what the demo's executions (demo/step-functions.ts) and the tests that run a definition make.
 */
import './polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../lib/asl.js';

/** The definitions (as JSON) a machine of this process was made of, so validated (see {@link localStateMachine}). */
const validated = new Set<string>();

/**
 * A machine of `definition`, validated as Step Functions validates a definition (asl-validator; ARNs unchecked: the
 * definitions carry stand-in ARNs) the first time this process makes one of it: the verdict is the definition's alone,
 * and each validation compiled the ASL schemas anew (about 0.27 CPU-s a machine; a test file runs the same definition
 * many times). An invalid definition throws each time, as no machine of it is ever made.
 */
export function localStateMachine(definition: AslDefinition): StateMachine {
  const key = JSON.stringify(definition);
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false, noValidate: validated.has(key) } });
  validated.add(key);
  return machine;
}
