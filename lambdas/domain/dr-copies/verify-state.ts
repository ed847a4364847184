/**
 * How large the state a paused DR verification hands to its state machine
 * may grow, and the verdict of one that would outgrow it. The state is the
 * step's whole result (the S3 event and the progress with its checkpoint),
 * carried by Step Functions from one invocation to the next; a Redis 8.10
 * file's checkpoint holds the file's hash template registry (one entry per
 * template, and a server may hold about 100,000 of them), which no other
 * part of the state bounds. Pure.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (input or output of a task, state or execution: 256 KiB as UTF-8, a hard quota)
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html (input: at most 262144 bytes in UTF-8)
 */
import type { RdbCheckpoint, RdbReport } from '../rdb/verifier.js';

/** Step Functions' largest state input or output: 256 KiB of UTF-8, a hard quota. */
export const STEP_FUNCTIONS_MAX_STATE_BYTES = 262_144;

/**
 * The largest state a paused verification returns: 192 KiB, a quarter under
 * the quota, so that what Step Functions adds or re-encodes (its own JSON
 * of the same values) never meets it.
 */
export const VERIFY_STATE_MAX_BYTES = 196_608;

/** The start of the reason a verification that could not be checkpointed gives: distinct from any format problem. */
export const NOT_CHECKPOINTABLE = 'not verified: template registry too large to checkpoint';

/** The bytes `state` takes in a Step Functions state: its JSON, as UTF-8. */
export function stateBytes(state: unknown): number {
  return new TextEncoder().encode(JSON.stringify(state)).length;
}

/**
 * The report of a verification that paused at `checkpoint` but whose state
 * (`bytes` long) cannot be carried to the next invocation: not verified and
 * not corrupt (it is the `unsupported` verdict, a file this verifier could
 * not judge where it runs), with the counts read so far and a reason that
 * says why and what to do. `paused` is the report the verifier gives at the
 * pause (its counts; its error, an end of input, is not the file's).
 */
export function notCheckpointableReport(paused: RdbReport, checkpoint: RdbCheckpoint, bytes: number): RdbReport {
  const templates = checkpoint.hashTemplates?.length ?? 0;
  const message =
    `${NOT_CHECKPOINTABLE}: at byte ${checkpoint.offset} the paused verification's state is ${bytes} bytes ` +
    `(${templates} hash template${templates === 1 ? '' : 's'} defined so far), over the ${VERIFY_STATE_MAX_BYTES} bytes kept under ` +
    `Step Functions' ${STEP_FUNCTIONS_MAX_STATE_BYTES}-byte state limit; verify it in one process (redis-dr verify-rdb), which keeps no checkpoint`;
  return {
    ...paused,
    ok: false,
    error: { offset: checkpoint.offset, message },
    unsupported: {
      version: checkpoint.version,
      writtenBy: templates > 0 ? 'Redis 8.10 or later (RDB 15 hash templates)' : `RDB version ${checkpoint.version}`,
    },
  };
}
