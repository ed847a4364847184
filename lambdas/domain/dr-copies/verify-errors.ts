/**
 * The Lambda error type of a DR verification that cannot succeed by trying
 * again: the verify state machine (lib/constructs/dr-copies.ts) does not
 * retry it. One name for the job that throws it and the construct that
 * matches it.
 */
export const VERIFY_GAVE_UP = 'RdbVerifyGaveUp';
