/**
 * `redis-dr attest`: evidence checked offline, from the files alone and the
 * public key (domain/attest/chain.ts). A folder is checked as one chain
 * (from its first record, no gap, no fork); one file alone (its signature
 * and its content's digest). Then the files each record vouches for beside
 * it (a scheduled report's HTML and CSV: domain/attest/companions.ts), read
 * from its folder: one not there or not as signed is named. The records may
 * also be read where they are kept, an `s3://bucket/prefix/` (a chain's
 * prefix) or `s3://bucket/…/report.json`, with the caller's credentials.
 */
import { basename, dirname, join } from 'node:path/posix';
import { storageS3Client } from '../../adapters/aws/s3/client.js';
import { errorName } from '../../adapters/aws/errors.js';
import { MissingFileError, readFileIfThere, readKeyFile, readRecordFiles } from '../../adapters/host/record-files.js';
import { parseDestination } from '../../adapters/storage/backup-store.js';
import { S3ObjectStore } from '../../adapters/storage/object-store-s3.js';
import { duplicateKey } from '../../domain/attest/canonical.js';
import { type ChainVerdict, evidencePublicKey, type NamedRecord, verifyChain } from '../../domain/attest/chain.js';
import { companionProblem, companionsOf } from '../../domain/attest/companions.js';
import { UsageError } from '../kernel/usage-error.js';

/** What to check. */
export interface AttestRequest {
  /** A record file, or a folder of them; or an S3 prefix of records (`s3://bucket/prefix/`), or one record there (`….json`). */
  readonly path: string;
  /** With an s3:// path on an S3-compatible store: its endpoint. */
  readonly s3Endpoint?: string;
  /** The Ed25519 public key (PEM, SPKI) the records must be signed with. */
  readonly publicKey: string;
  /** The deployment every record must belong to (self-managed: the destination URL). */
  readonly deployment?: string;
}

/** The verdict, whether a whole chain (a folder) was checked, and how many files beside the records matched what they signed. */
export type AttestResult = ChainVerdict & { readonly whole: boolean; readonly files?: number };

/** The records to check (a folder's, or one), and how to read a file beside one of them (undefined: not there). */
interface Evidence {
  readonly folder: boolean;
  readonly files: readonly { readonly name: string; readonly text: string }[];
  companion(name: string): Promise<Buffer | undefined>;
}

/** The records of a local file or folder. */
async function localEvidence(path: string): Promise<Evidence> {
  const read = await readRecordFiles(path);
  const base = read.folder ? path : dirname(path);
  return { ...read, companion: (name) => readFileIfThere(join(base, name)) };
}

/**
 * The records under an S3 prefix (every `.json` object but a backup's own `.rdb.json`: as a folder's), or the one
 * `.json` object the URL names.
 * @throws UsageError for a URL that names no bucket, or a record that is not there
 */
async function s3Evidence(url: string, s3Endpoint: string | undefined): Promise<Evidence> {
  const one = url.endsWith('.json');
  const where = parseDestination(one ? url.slice(0, url.lastIndexOf('/') + 1) : url);
  if (where?.kind !== 's3') throw new UsageError(`${url}: not an s3://bucket/prefix/ of records, nor an s3://bucket/…/<record>.json`);
  const store = new S3ObjectStore(storageS3Client(s3Endpoint ? { endpoint: s3Endpoint } : {}), where.bucket, where.prefix);
  const companion = async (name: string) => {
    try {
      return await store.get(name);
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') return undefined;
      throw err;
    }
  };
  if (one) {
    const text = await companion(basename(url));
    if (!text) throw new UsageError(`${url}: no such object`);
    return { folder: false, files: [{ name: basename(url), text: text.toString('utf8') }], companion };
  }
  const names = (await store.list()).map((o) => o.key).filter((k) => k.endsWith('.json') && !k.endsWith('.rdb.json'));
  const files = [];
  for (const name of names) files.push({ name, text: (await store.get(name)).toString('utf8') });
  return { folder: true, files, companion };
}

/** Checks the records at `req.path`. @throws UsageError for a key or path that is not there or not a key (exit 2) */
export async function checkAttestation(req: AttestRequest): Promise<AttestResult> {
  let pem: string;
  let read: Evidence;
  try {
    pem = await readKeyFile('--public-key', req.publicKey);
    read = req.path.startsWith('s3://') ? await s3Evidence(req.path, req.s3Endpoint) : await localEvidence(req.path);
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
    const twice = duplicateKey(f.text);
    if (twice !== undefined)
      return {
        ok: false,
        name: f.name,
        why: `holds the key ${JSON.stringify(twice)} twice in one object (a reader keeps one of them, whichever it likes): changed after signing`,
        whole: read.folder,
      };
  }
  const verdict = verifyChain(records, key, { whole: read.folder, ...(req.deployment !== undefined ? { deployment: req.deployment } : {}) });
  if (!verdict.ok) return { ...verdict, whole: read.folder };
  // The records' own signatures hold, so what they say of the files beside them is what was signed.
  let files = 0;
  for (const r of records) {
    const named = companionsOf(r.record);
    if (named === undefined) continue;
    if ('problem' in named) return { ok: false, name: r.name, why: named.problem, whole: read.folder };
    const dir = read.folder ? dirname(r.name) : '.';
    for (const [path, expected] of Object.entries(named.companions)) {
      const name = dir === '.' ? path : join(dir, path);
      const why = companionProblem(expected, await read.companion(name), r.name);
      if (why) return { ok: false, name, why, whole: read.folder };
      files++;
    }
  }
  return { ...verdict, whole: read.folder, ...(files > 0 ? { files } : {}) };
}
