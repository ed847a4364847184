/**
 * Signing the records redis-dr keeps beside self-managed backups (a scrub
 * run's, a drill's) into the destination's chain: the next after the
 * newest attested record there, for the deployment the destination is
 * (its URL), with the local Ed25519 key file the operator gives.
 */
import { MissingFileError, readKeyFile } from '../../adapters/host/record-files.js';
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import { type Attestation, attest, chainHead, ed25519Signer, type Signer } from '../../domain/attest/chain.js';
import { UsageError } from '../kernel/usage-error.js';

/** Names of every record redis-dr keeps beside the backups start so (drills', scrubs'). */
const RECORD_PREFIX = 'redis-dr-';

/** The signer of a key file. @throws UsageError naming the option when it is not there or not an Ed25519 private key (exit 2) */
export async function loadSigner(option: string, path: string): Promise<Signer> {
  try {
    return ed25519Signer(await readKeyFile(option, path));
  } catch (err) {
    if (err instanceof MissingFileError) throw new UsageError(err.message);
    throw new UsageError(
      `${option} ${path} ${(err as Error).message.replace(/^error:[^:]*:/, '')}: give an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519 -out key.pem)`,
    );
  }
}

/** The newest attestation among the records at a destination (the chain's head). */
export async function destinationHead(store: BackupStore): Promise<Attestation | undefined> {
  const parsed = (await store.records(RECORD_PREFIX)).flatMap((r) => {
    try {
      return [JSON.parse(r.body.toString('utf8')) as unknown];
    } catch {
      return [];
    }
  });
  return chainHead(parsed);
}

/** `record` signed as the next of the destination's chain. */
export async function signForDestination<T extends object>(store: BackupStore, record: T, signer: Signer, at: Date): Promise<T> {
  return attest(record, { deployment: store.url, head: await destinationHead(store), at, signer });
}
