/**
 * A drill's recovery point choice kept within what Step Functions carries.
 * The choice rides in the drill's state from the select step to the report
 * (`$.drill.choice`), beside the drill's input and what each step adds
 * (timings, the verify report, cleanup), and the create step's parameters
 * repeat its object ARNs and slot layout in a payload of their own. Each is
 * bounded by Step Functions' 256 KiB, a hard quota whose error
 * (`States.DataLimitExceeded`) no Catch takes: a drill that outgrew it would
 * stop where it stood, without its report and, past the create step,
 * without its cleanup. A copy of hundreds of shards (ElastiCache allows 500)
 * has an object ARN, a slot range and an expiry histogram (up to 256
 * characters) per shard, and a vault seed a key and a version per shard too.
 * Pure.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (States.DataLimitExceeded: a terminal error States.ALL does not catch)
 */
import { RUNBOOKS } from '../alerting/catalog.js';
import { STEP_FUNCTIONS_MAX_STATE_BYTES } from '../dr-copies/verify-state.js';
import type { RecoveryPointChoice } from './drill.js';
import { RestorePreflightError } from './restore-preflight.js';

/**
 * What the drill's steps add to its state besides the choice and the input, at most: the timings, the
 * verify report's counts and checks (whose texts name at most the keys the input names, counted apart),
 * the access and cleanup results and an error's cause (cut to 600 characters, report.ts), with room to spare.
 */
export const STEPS_STATE_BYTES = 32 * 1024;

/**
 * The most a choice may take for a drill whose input is `inputBytes` of JSON: the quota less what the steps add
 * and twice the input (the input rides in the state, and the verify report's expect-keys and expect-values
 * checks may quote what it names).
 */
export function maxChoiceBytes(inputBytes: number): number {
  return STEP_FUNCTIONS_MAX_STATE_BYTES - STEPS_STATE_BYTES - 2 * inputBytes;
}

/** Bytes of the choice as Step Functions counts them (UTF-8 of its JSON). */
export function choiceBytes(choice: RecoveryPointChoice): number {
  return Buffer.byteLength(JSON.stringify(choice), 'utf8');
}

/**
 * The choice as the drill carries it: unchanged when it fits
 * {@link maxChoiceBytes} for the drill's input; else without the shards' expiry histograms
 * (`expected.expiries`, marked `expiriesLeftOut`: the key check then allows
 * every key with an expiry to be gone, and says why), and
 * `droppedExpiries` set. Still over: {@link RestorePreflightError}, before
 * anything is created, naming the size and the shards.
 */
export function fitChoice(
  choice: RecoveryPointChoice,
  input: unknown,
): { readonly choice: RecoveryPointChoice; readonly droppedExpiries: boolean; readonly maxBytes: number } {
  const max = maxChoiceBytes(Buffer.byteLength(JSON.stringify(input), 'utf8'));
  if (choiceBytes(choice) <= max) return { choice, droppedExpiries: false, maxBytes: max };
  const { expiries, ...rest } = choice.expected;
  const lighter = { ...choice, expected: expiries === undefined ? rest : { ...rest, expiriesLeftOut: true as const } };
  const bytes = choiceBytes(lighter);
  if (bytes <= max) return { choice: lighter, droppedExpiries: expiries !== undefined, maxBytes: max };
  throw new RestorePreflightError(choice.recoveryPoint, [
    {
      rule: 'drill-state-size',
      reason:
        `its ${choice.shards} shard(s) make a drill state of ${bytes} bytes without their expiry histograms, over the ${max} ` +
        `a drill's choice may take of Step Functions' ${STEP_FUNCTIONS_MAX_STATE_BYTES}-byte state beside its input`,
      fix:
        'the drill state machine cannot carry this copy: restore it by hand with ' +
        `\`redis-dr restore -c config/<env>.json --target ${choice.target} --new-id <id> --from ${restoreFrom(choice)}\` and check it (${RUNBOOKS.restoreDrill})`,
    },
  ]);
}

/** `redis-dr restore --from` for the choice's point: the snapshot, the vault, or the DR copy's `s3://<bucket>/<export>`. */
function restoreFrom(choice: RecoveryPointChoice): string {
  if (choice.snapshotName) return choice.snapshotName;
  if (choice.vault) return 'vault';
  const bucket = /^arn:aws[\w-]*:s3:::([^/]+)\//.exec(choice.snapshotArns?.[0] ?? '')?.[1];
  return bucket ? `s3://${bucket}/${choice.recoveryPoint}` : choice.recoveryPoint;
}
