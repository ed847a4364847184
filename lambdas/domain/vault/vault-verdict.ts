/**
 * The vault verifier's verdict on a replica, kept as an object of the vault
 * bucket rather than as tags. S3 replication copies object tags (and every
 * later tag change) from the workload account's export bucket onto the
 * replicas, so a `redis-dr:verified=ok` tag on a replica may have been
 * written by the very account the vault exists against. The verdict object
 * lives under {@link VAULT_VERDICT_PREFIX}, which the vault bucket's policy
 * lets nobody but the vault verifier's role write (and replication not at
 * all): the readers of the vault (its verifier, the drill from the vault, the
 * vault's freshness monitor, the CLI) take a verdict from there only, and
 * only when it names the replica's current version. The layout and body are
 * the DR verifier's too: domain/points/verdict-objects.ts, the one source;
 * these are the vault's names for them. Pure.
 */
import {
  parseVerdictObject,
  type ReplicaVersion,
  trustedVerdictTags,
  VERDICT_PREFIX,
  type VerdictKeys,
  type VerdictObject,
  verdictKeysSchema,
  verdictNamesReplica,
  verdictObjectBody,
  verdictObjectKey,
  verdictObjectOf,
  verdictObjectSchema,
} from '../points/verdict-objects.js';

export { type ReplicaVersion, verdictNamesReplica };

/** The reserved prefix of verdict objects in the vault bucket (exports are `rdr-…` at the root: never in it). */
export const VAULT_VERDICT_PREFIX = VERDICT_PREFIX.vault;

/** The key of the verdict object of the replica `replicaKey`: `redis-dr-vault-verdicts/<replica key>.json`. */
export function vaultVerdictKey(replicaKey: string): string {
  return verdictObjectKey('vault', replicaKey);
}

/** The verifier's counts of an intact replica (domain/points/verdict-objects.ts). */
export const vaultVerdictKeysSchema = verdictKeysSchema;
export type VaultVerdictKeys = VerdictKeys;
/** The body of a vault verdict object (domain/points/verdict-objects.ts). */
export const vaultVerdictSchema = verdictObjectSchema;
export type VaultVerdict = VerdictObject;
/** The verdict object for a report on a replica (domain/points/verdict-objects.ts). */
export const vaultVerdictOf = verdictObjectOf;
/** The JSON a verdict object holds. */
export const vaultVerdictBody = verdictObjectBody;
/** Parses a verdict object's body; `{ problem }` for anything that is not one. */
export const parseVaultVerdict = parseVerdictObject;
/** A vault replica's tags as readers may use them: every verdict tag dropped, the verdict object's in their place. */
export const trustedVaultTags = trustedVerdictTags;
