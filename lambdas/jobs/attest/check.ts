/**
 * `redis-dr attest`: evidence checked offline, from the files alone and the
 * public key (domain/attest/chain.ts). A folder is checked as one chain
 * (from its first record, no gap, no fork); one file alone (its signature
 * and its content's digest).
 */
import { MissingFileError, readKeyFile, readRecordFiles } from '../../adapters/host/record-files.js';
import { type ChainVerdict, evidencePublicKey, type NamedRecord, verifyChain } from '../../domain/attest/chain.js';
import { UsageError } from '../kernel/usage-error.js';

/** What to check. */
export interface AttestRequest {
  /** A record file, or a folder of them. */
  readonly path: string;
  /** The Ed25519 public key (PEM, SPKI) the records must be signed with. */
  readonly publicKey: string;
  /** The deployment every record must belong to (self-managed: the destination URL). */
  readonly deployment?: string;
}

/** The verdict, and whether a whole chain (a folder) was checked. */
export type AttestResult = ChainVerdict & { readonly whole: boolean };

/** Checks the records at `req.path`. @throws UsageError for a key or path that is not there or not a key (exit 2) */
export async function checkAttestation(req: AttestRequest): Promise<AttestResult> {
  let pem: string;
  let read: Awaited<ReturnType<typeof readRecordFiles>>;
  try {
    pem = await readKeyFile('--public-key', req.publicKey);
    read = await readRecordFiles(req.path);
  } catch (err) {
    if (err instanceof MissingFileError) throw new UsageError(err.message);
    throw err;
  }
  let key;
  try {
    key = evidencePublicKey(pem);
  } catch (err) {
    throw new UsageError(
      `--public-key ${req.publicKey} ${(err as Error).message.replace(/^error:[^:]*:/, '')}: give the Ed25519 public key in PEM (openssl pkey -in key.pem -pubout), or a KMS key's (aws kms get-public-key, then openssl pkey -pubin -inform DER)`,
    );
  }
  if (read.files.length === 0)
    throw new UsageError(`${req.path} holds no .json record: nothing to check (give a record file or the folder the records are in)`);
  const records: NamedRecord[] = [];
  for (const f of read.files) {
    try {
      records.push({ name: f.name, record: JSON.parse(f.text) as unknown });
    } catch {
      return { ok: false, name: f.name, why: 'is not JSON (damaged, or not a record)', whole: read.folder };
    }
  }
  return { ...verifyChain(records, key, { whole: read.folder, ...(req.deployment !== undefined ? { deployment: req.deployment } : {}) }), whole: read.folder };
}
