/**
 * `redis-dr attest`: evidence checked offline, from the files alone and the
 * public key (domain/attest/chain.ts). A folder is checked as one chain
 * (from its first record, no gap, no fork); one file alone (its signature
 * and its content's digest). Then the files each record vouches for beside
 * it (a scheduled report's HTML and CSV: domain/attest/companions.ts), read
 * from its folder: one not there or not as signed is named.
 */
import { dirname, join } from 'node:path/posix';
import { MissingFileError, readFileIfThere, readKeyFile, readRecordFiles } from '../../adapters/host/record-files.js';
import { type ChainVerdict, evidencePublicKey, type NamedRecord, verifyChain } from '../../domain/attest/chain.js';
import { companionProblem, companionsOf } from '../../domain/attest/companions.js';
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

/** The verdict, whether a whole chain (a folder) was checked, and how many files beside the records matched what they signed. */
export type AttestResult = ChainVerdict & { readonly whole: boolean; readonly files?: number };

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
  const verdict = verifyChain(records, key, { whole: read.folder, ...(req.deployment !== undefined ? { deployment: req.deployment } : {}) });
  if (!verdict.ok) return { ...verdict, whole: read.folder };
  // The records' own signatures hold, so what they say of the files beside them is what was signed.
  const folder = read.folder ? req.path : dirname(req.path);
  let files = 0;
  for (const r of records) {
    const named = companionsOf(r.record);
    if (named === undefined) continue;
    if ('problem' in named) return { ok: false, name: r.name, why: named.problem, whole: read.folder };
    const dir = read.folder ? dirname(r.name) : '.';
    for (const [path, expected] of Object.entries(named.companions)) {
      const name = dir === '.' ? path : join(dir, path);
      const why = companionProblem(expected, await readFileIfThere(join(folder, name)), r.name);
      if (why) return { ok: false, name, why, whole: read.folder };
      files++;
    }
  }
  return { ...verdict, whole: read.folder, ...(files > 0 ? { files } : {}) };
}
