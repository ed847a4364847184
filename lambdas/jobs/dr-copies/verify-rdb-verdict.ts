/**
 * The verify-rdb step's verdict objects (domain/points/verdict-objects.ts):
 * the verdict already given to a version, the verdict written (signed into
 * its bucket's verdict chain where the deployment signs: the DR bucket's, the
 * vault's) and read back,
 * and a copy's tags as the collapse tripwire may trust them.
 */
import type { AsyncSigner } from '../../domain/attest/chain.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';
import { TAGS } from '../../domain/plans/types.js';
import { type VerdictPlace, verdictNamesReplica, verdictObjectOf } from '../../domain/points/verdict-objects.js';
import { readVerdictObject, replicaVersion, trustedCopyTags, writeVerdictObject } from '../../adapters/records/verdict-objects.js';
import { appendToVerdictChain } from '../../adapters/records/verdict-chain.js';
import type { CopyReadDeps } from './verify-rdb-read.js';

/** What the verdict steps take of the verification's deps (VerifyDeps). */
export interface VerdictDeps extends Pick<CopyReadDeps, 's3' | 'log' | 'clock'> {
  /** The vault's verdict objects, else the DR bucket's (VerifyDeps.vaultVerdicts). */
  readonly vaultVerdicts?: boolean;
  /** The evidence key's signer (VerifyDeps.signer): verdicts chained and signed. */
  readonly signer?: AsyncSigner;
}

/** Whose verdict objects: the vault's or the DR bucket's. */
function placeOf(deps: VerdictDeps): VerdictPlace {
  return deps.vaultVerdicts ? 'vault' : 'dr';
}

/**
 * The verdict already given to this version, if any: the verdict object,
 * only when it names this version (id and ETag). A verdict tag without one
 * is never taken (logged, and verified over): in the vault it may have come
 * by replication from the workload account, in the DR bucket from whoever
 * tagged the copy (or from a verifier before verdicts were objects).
 */
export async function verdictFound(
  bucket: string,
  key: string,
  versionId: string | undefined,
  tags: Readonly<Record<string, string>>,
  deps: VerdictDeps,
): Promise<string | undefined> {
  const [version, stored] = await Promise.all([replicaVersion(deps.s3, bucket, key, { versionId }), readVerdictObject(deps.s3, bucket, placeOf(deps), key)]);
  if (stored.verdict && verdictNamesReplica(stored.verdict, version)) return stored.verdict.verdict;
  if (stored.verdict) {
    deps.log.info('the verdict object is about another version of the copy: verifying this one', {
      bucket,
      key,
      verdictOf: stored.verdict.replica,
      version,
    });
  }
  if (tags[TAGS.verified]) {
    deps.log.warn(
      deps.vaultVerdicts
        ? 'replica carries a verdict tag the vault did not write (replicated from the workload account?): not trusted, verifying'
        : 'copy carries a verdict tag without a verdict object naming its version: not trusted, verifying',
      { bucket, key, tag: tags[TAGS.verified] },
    );
  }
  return undefined;
}

/**
 * Writes the verdict object of the version verified and reads it back;
 * nothing when that version is no longer the current one (a verdict names
 * the copy readers see: the newer version's own event verifies it).
 */
export async function storeVerdict(
  bucket: string,
  key: string,
  verified: { readonly size: number; readonly etag?: string; readonly versionId?: string },
  report: RdbReport,
  deps: VerdictDeps,
): Promise<string | undefined> {
  const now = await replicaVersion(deps.s3, bucket, key);
  if (now.versionId !== verified.versionId || now.etag !== verified.etag) {
    deps.log.warn('a newer version of the copy landed during its verification: no verdict object for the older one', {
      bucket,
      key,
      verified,
      current: now,
    });
    return undefined;
  }
  const verdict = verdictObjectOf(report, { key, ...verified }, new Date(deps.clock.now()));
  // Signed into the chain first (where records are signed): the verdict object is the chain's record, byte for byte.
  const chained = deps.signer ? await appendToVerdictChain(deps.s3, bucket, placeOf(deps), verdict, deps.signer, new Date(deps.clock.now())) : undefined;
  const written = await writeVerdictObject(deps.s3, bucket, placeOf(deps), verdict, chained ? { body: chained.body } : {});
  deps.log.info('verdict object written and read back', {
    bucket,
    key,
    verdictObject: written,
    versionId: verified.versionId,
    ...(chained ? { chainRecord: chained.key, seq: chained.record.attestation.seq } : {}),
  });
  return written;
}

/** A copy's tags for the keyspace-collapse tripwire: the verdict object's in place of any verdict tag. */
export function copyTags(bucket: string, key: string, deps: VerdictDeps): Promise<Record<string, string>> {
  return trustedCopyTags(deps.s3, bucket, key, placeOf(deps));
}
