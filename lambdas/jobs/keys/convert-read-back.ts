/**
 * convert-rdb's read-back (jobs/keys/convert-rdb.ts): the written file, or the object stored, read back through the
 * verifier and digested key by key against the input's digest; and what it holds besides its keys (format, AUX fields,
 * function libraries) held against what was written.
 */
import { Crc64 } from '../../domain/rdb/codecs/crc64.js';
import { DUMP_FOOTER_BYTES } from '../../domain/rdb/format/dump-payload.js';
import type { RdbFormat } from '../../domain/rdb/engines.js';
import { type KeyInPlace, RdbKeyReader } from '../../domain/rdb/keys.js';
import type { RdbReport } from '../../domain/rdb/report.js';
import { type KeyBits, KeyListDigest } from '../../domain/rdb/write/key-list.js';
import { digestStreamAt } from '../../domain/rdb/write/source-forms.js';
import { digestPlainObject, digestsPlainForm, plainKindOf } from '../../domain/rdb/write/transcode.js';
import { digestTtlHashParts, isTtlHashByField } from '../../domain/rdb/write/ttl-hash-parts.js';
import { decodedValue, isStream } from './convert-input.js';

/**
 * The written file read back through the verifier (CRC-64 required): its
 * report, and the digest of its keys (re-encoded ones by value, the others by
 * their bytes), each digested where the parser found it. A value the digest
 * proves to be one the input's read checked in full is read by its bounds
 * (RdbKeyReaderOptions.valueCheckedBefore): a key copied as it was (its bytes
 * held against the input's), and a plain list, set, hash or zset (its every
 * length walked by the verifier's read, its bytes as they lie held against
 * the input value's elements framed as a plain form frames them, in order:
 * key-list.ts plainAt; what the verifier checks of a plain form, no duplicate
 * member, no empty collection, its strings well formed, holds of them as it
 * held of the input's), and a stream written in an older layout (its bytes
 * digested as they lie against the input's runs that layout stores:
 * lambdas/domain/rdb/write/source-forms.ts StreamLayout; every check the verifier makes of the
 * older layout it made of the input's). Every other re-encoded value gets every check again;
 * framing, names, expiries and the CRC-64 are checked for every key.
 */
export async function readBack(
  bytes: AsyncIterable<Uint8Array>,
  reencodedKeys: KeyBits,
  /** A type 15 stream's entries added, largest deleted id, first id and groups' entries read digested (not with `--lossy stream-ids`; a type 19's always): source-forms.ts digestStreamAt. */
  streamIds: boolean,
  transientChunks = false,
  /**
   * `bytes` end before the file's trailer, which is the CRC-64 computed here of every byte read: `trailer` appends it
   * to the file and returns the file's last 8 bytes read back from it, judged as the verifier judges a trailer.
   */
  trailer?: (crc: bigint) => Promise<Uint8Array>,
  /** Told the bytes read so far after each chunk (the trailer's too, once read). */
  progress?: (bytes: number) => void,
  /**
   * The file this process just wrote (not a stored object read back from elsewhere): a value whose length the writer
   * recorded (KeyBits.valueBytes) is passed over by it, not walked (RdbKeyReaderOptions.valueCheckedBefore). A stored object
   * that is not the file written then fails by its keys' digest, in those words, rather than at a key misread.
   */
  byWrittenLengths = false,
): Promise<{ report: RdbReport; digest: string; functions: readonly Uint8Array[] }> {
  const digest = new KeyListDigest();
  let i = 0;
  const visit = (k: KeyInPlace): void => {
    const parts = k.parts;
    if (!reencodedKeys.get(i++)) {
      if (parts !== undefined) digest.addRawParts(k, k.type, parts);
      else digest.addRawAt(k, k.type, k.bytes, k.from, k.to);
    } else if (digestsPlainForm(k.type)) {
      // Re-encoded into a plain form: its bytes digested where they lie (the plain form's framing, which the writer's walk fed).
      digest.valueHeadAt(k);
      if (parts !== undefined) digest.plainPartsAt(plainKindOf(k.type)!, parts);
      else digestPlainObject(k.type, k.bytes, k.from, k.to, digest);
    } else if (isStream(k.type)) {
      digest.valueHeadAt(k);
      digestStreamAt(k.type, k.bytes, k.from, k.to, digest, streamIds);
    } else if (parts !== undefined && isTtlHashByField(k.type)) {
      // A big hash with field TTLs re-encoded: digested from its parts, field by field, as its decoded value would be.
      digest.valueHeadAt(k);
      digestTtlHashParts(k.type, check.fileVersion.valkey, parts, digest);
    } else digest.addValue(k.db, k.name(), decodedValue(k.payload(), k.type), k.expireAtMs);
  };
  const check = new RdbKeyReader({
    requireChecksum: true,
    externalChecksum: trailer !== undefined,
    keepChunks: !transientChunks,
    sealPayloads: false,
    // With the value's length as written where it is known (convert-input.ts): a key copied as it was (its bytes digested
    // as they lie) and a listpack value written plain (its elements' bytes digested as they lie: plainAt); not a stream
    // re-encoded, whose digest reads its bytes by their own framing.
    valueCheckedBefore: (n, type) => {
      if (reencodedKeys.get(n) && !digestsPlainForm(type) && !isStream(type)) return false;
      const length = byWrittenLengths ? reencodedKeys.valueBytes(n) : -1;
      return length >= 0 ? length : true;
    },
    visit,
    // A big value copied as it is or written plain, digested from the parts the reader kept (held once, not gathered into a copy).
    valueParts: (n, type) => !reencodedKeys.get(n) || digestsPlainForm(type) || isTtlHashByField(type),
  });
  let read = 0;
  if (trailer === undefined) {
    for await (const chunk of bytes) {
      check.push(chunk);
      progress?.((read += chunk.length));
    }
  } else {
    const crc = new Crc64();
    for await (const chunk of bytes) {
      crc.update(chunk);
      read += chunk.length;
      check.push(chunk);
      progress?.(read);
    }
    if (!check.error) {
      const tail = await trailer(crc.value);
      check.push(tail);
      progress?.(read + tail.length);
      // The checksum covers exactly the bytes before the trailer; else it is left unsettled, and the report says so.
      if (check.checksumPending && check.checksumEnd() === read) check.settleChecksum(crc.value);
    }
  }
  return { report: check.end(), digest: digest.hex(), functions: check.functions };
}

/**
 * What the written file holds besides its keys, read back, against what was
 * written: its format, AUX fields and function libraries (the keys are the
 * digest's). The file's CRC-64 is that of its bytes as read back, so a byte
 * of these changed on its way to the disk would pass it: held here instead.
 * Undefined when they match, else the first difference in words.
 */
export function framingDifference(
  report: RdbReport,
  functions: readonly Uint8Array[],
  format: RdbFormat,
  aux: readonly (readonly [string, string])[],
  written: readonly Uint8Array[],
): string | undefined {
  if ((report.magic === 'VALKEY' ? 'VALKEY' : 'REDIS') !== format.magic || report.version !== format.version)
    return `its header says ${report.magic ?? 'REDIS'} RDB ${report.version}, ${format.magic} RDB ${format.version} was written`;
  const read = report.auxFields;
  for (const [k, v] of aux) if (read[k] !== v) return `AUX field ${k}: ${JSON.stringify(v)} written, ${JSON.stringify(read[k] ?? null)} read back`;
  const extra = Object.keys(read).find((k) => !aux.some(([a]) => a === k));
  if (extra !== undefined) return `AUX field ${extra} read back, never written`;
  if (functions.length !== written.length) return `${written.length} function libraries written, ${functions.length} read back`;
  for (let i = 0; i < written.length; i++) {
    const a = written[i]!.subarray(0, written[i]!.length - DUMP_FOOTER_BYTES);
    const b = functions[i]!.subarray(0, functions[i]!.length - DUMP_FOOTER_BYTES);
    if (!Buffer.from(a.buffer, a.byteOffset, a.length).equals(b)) return `function library ${i + 1} differs from the one written`;
  }
  return undefined;
}
