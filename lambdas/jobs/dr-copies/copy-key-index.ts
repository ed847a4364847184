/**
 * verify-rdb's key index beside a DR copy (`<copy>.keys`,
 * domain/serve/index-file.ts): built from the very bytes the verifier reads
 * (no read of its own), written once the copy's verdict is `ok`, under the
 * copy's Object Lock retention (the vault's per tier; the DR bucket's
 * default), so `serve -c … --point` and
 * `history -c … --plan` open the copy with a few ranged GETs. The index is
 * tied to the copy by its length and CRC-64 trailer (and its own SHA-256):
 * `serve` refuses one that does not match and reads the copy whole.
 *
 * Built only when one invocation reads the whole copy on one thread from
 * byte 0 (a copy verified across invocations, or in two parts at once on two
 * threads, gets none: the builder is not carried in a checkpoint). Said in
 * the verdict's log line, never a failure of the verification.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { objectLockOf, putObjectBeside } from '../../adapters/aws/s3/put-beside.js';
import { encodeKeyIndex, INDEX_SUFFIX, indexableTrailer } from '../../domain/serve/index-file.js';
import { KeyIndexBuilder } from '../../domain/serve/key-index.js';
import { RdbIndexPass } from '../keys/rdb-index-pass.js';

/** A DR copy's key index in the making: fed every byte the verifier reads, from byte 0. */
export class CopyKeyIndex {
  private readonly builder = new KeyIndexBuilder();
  private readonly pass: RdbIndexPass;
  private fed = 0;

  constructor(readonly location: string) {
    this.pass = new RdbIndexPass(location, this.builder, 0);
  }

  /** The next bytes, in file order (readCopy's tap). */
  readonly push = (chunk: Uint8Array): void => {
    this.fed += chunk.byteLength;
    this.pass.push(chunk);
  };

  /**
   * The index file for a copy of `size` bytes, or why there is none.
   * @throws UsageError when the verifier does not pass the bytes fed (never for a copy judged `ok` from the same bytes)
   */
  encode(size: number): Buffer | string {
    if (this.pass.envelope) return "in Valkey's compressed envelope (no offsets to read values at)";
    if (this.fed !== size) return `read ${this.fed} of its ${size} bytes here (verified across invocations or on two threads): served by a whole read`;
    const pass = this.pass.finish();
    if (!indexableTrailer(pass.trailer)) return 'no CRC-64 to tie an index to';
    return encodeKeyIndex(this.builder.finish(pass.version), { bytes: pass.bytes, trailer: pass.trailer }, pass.valkey);
  }
}

/**
 * Writes `<key>.keys` beside a verified copy (its version `versionId`); what
 * was done, for the log. `lockAsCopy` (the vault, whose replicas carry each
 * tier's retention): put under the copy's own mode and retain-until date.
 * Otherwise (the DR bucket) the bucket's default retention, when it has
 * one, locks the index as it locked the copy (the DR verifier sets no
 * retention itself).
 */
export async function writeCopyKeyIndex(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
  index: CopyKeyIndex,
  size: number,
  lockAsCopy: boolean,
): Promise<string> {
  const file = index.encode(size);
  if (typeof file === 'string') return `no key index: ${file}`;
  const retention = lockAsCopy ? await objectLockOf(s3, bucket, key, versionId) : undefined;
  await putObjectBeside(s3, bucket, `${key}${INDEX_SUFFIX}`, file, retention);
  const locked = retention?.mode && retention.retainUntil ? `, ${retention.mode} until ${retention.retainUntil.toISOString()} as the copy` : '';
  return `key index s3://${bucket}/${key}${INDEX_SUFFIX}: ${file.length} bytes${locked}, read back`;
}
