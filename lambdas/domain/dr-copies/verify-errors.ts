/**
 * The Lambda error type of a DR verification that cannot succeed by trying
 * again: the verify state machine (lib/constructs/dr-copies.ts) does not
 * retry it. One name for the job that throws it and the construct that
 * matches it.
 */
export const VERIFY_GAVE_UP = 'RdbVerifyGaveUp';

/**
 * The Lambda error type of a vault replica that carries none of the export's
 * tags yet: the vault's verify state machine retries it every
 * VAULT_TIER_RETRY_MINUTES until the tags arrive or the grace ends (then the
 * replica is kept for the longest tier).
 */
export const VAULT_TIER_PENDING = 'VaultTierPending';
