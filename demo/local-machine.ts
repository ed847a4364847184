/**
 * A state machine of aws-local-stepfunctions for a synthesized definition (lib/asl.ts), validated once per process
 * and definition: what the demo's executions (demo/step-functions.ts) and the tests that run a definition make.
 */
import './polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../lib/asl.js';

/** The definitions (as JSON) this process has validated (see {@link localStateMachine}). */
const validated = new Set<string>();

/**
 * A machine of `definition`, validated as Step Functions validates a definition (asl-validator; ARNs unchecked: the
 * definitions carry stand-in ARNs) the first time this process makes one of it: the verdict is the definition's alone,
 * and each validation compiled the ASL schemas anew (about 0.15-0.5 CPU-s a machine; a test file runs the same
 * definition many times). An invalid definition throws each time, as no machine of it is ever made.
 *
 * The validation runs on a copy: asl-validator writes its defaults into what it validates (each state's
 * `QueryLanguage`), so the definition validated in place no longer matched the JSON it was recorded by, and its second
 * machine validated it again: the test files that run definitions (test/lib/constructs, drill-account-stack, the
 * local-AWS, freshness and drill-history tests) validated 23 times, 17 with the copy (2026-11-27). The executor does
 * not read `QueryLanguage`.
 */
export function localStateMachine(definition: AslDefinition): StateMachine {
  const key = JSON.stringify(definition);
  if (!validated.has(key)) {
    new StateMachine(JSON.parse(key) as never, { validationOptions: { checkArn: false } });
    validated.add(key);
  }
  return new StateMachine(definition as never, { validationOptions: { noValidate: true } });
}
