/**
 * Reading an uploaded S3 object back before it counts as stored: its length
 * and S3's SHA-256 (HeadObject with checksum mode) matched against what was
 * streamed. S3 stores the SHA-256 of the whole object for a single PUT
 * (`ChecksumType` FULL_OBJECT) and, for a multipart upload, a composite one:
 * the SHA-256 of the parts' digests concatenated, `-<parts>` appended. So the
 * writer digests each part as lib-storage's Upload cuts it ({@link PartDigests}).
 * A store that reports no checksum (some S3-compatible ones) has the object
 * read again. One piece for every store that uploads (backups, AOF history).
 */
import { createHash, type Hash } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReadBackMismatchError, type ReadBack } from './durable-file.js';

/**
 * SHA-256 of each `partBytes` slice of a stream: the parts lib-storage's
 * Upload makes (every part `partBytes` long but the last).
 */
export class PartDigests {
  private readonly done: Buffer[] = [];
  private current: Hash = createHash('sha256');
  private inPart = 0;
  constructor(private readonly partBytes: number) {}

  update(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const take = Math.min(this.partBytes - this.inPart, chunk.byteLength - offset);
      this.current.update(chunk.subarray(offset, offset + take));
      this.inPart += take;
      offset += take;
      if (this.inPart === this.partBytes) {
        this.done.push(this.current.digest());
        this.current = createHash('sha256');
        this.inPart = 0;
      }
    }
  }

  /** The digests of every part; a stream of exactly N parts has no empty part after them. */
  digests(): Buffer[] {
    return this.inPart > 0 || this.done.length === 0 ? [...this.done, this.current.copy().digest()] : [...this.done];
  }
}

/** How the read-back was done, as a backup's record names it. */
export type S3ReadBackHow = 's3-full-object-checksum' | 's3-composite-checksum' | 's3-get';

/** What the read-back found: how it matched, and the stored object's ETag (HeadObject's; a later `If-Match` names it). */
export interface S3ReadBack {
  readonly how: S3ReadBackHow;
  readonly etag?: string;
}

/**
 * Matches the stored object against `expected` (length and SHA-256 hex of
 * the whole) and `partDigests` (from {@link PartDigests}; one digest, of
 * the whole, for an object sent in one request).
 * @param read the object's bytes, for a store that reports no checksum
 * @param expectedOwner the bucket's account: S3 refuses the HeadObject when another account owns it
 * @throws ReadBackMismatchError naming `location`
 */
export async function verifyS3ReadBack(
  client: S3Client,
  bucket: string,
  key: string,
  location: string,
  expected: ReadBack,
  partDigests: readonly Buffer[],
  read: () => Promise<AsyncIterable<Uint8Array>>,
  expectedOwner?: string,
): Promise<S3ReadBack> {
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ExpectedBucketOwner: expectedOwner }));
  const etag = head?.ETag === undefined ? {} : { etag: head.ETag };
  const length = head?.ContentLength;
  const stored = head?.ChecksumSHA256;
  if (length !== expected.bytes) throw new ReadBackMismatchError(location, expected, { bytes: length ?? -1, sha256: stored ?? '(not returned)' });
  if (stored === undefined) {
    const found = createHash('sha256');
    let bytes = 0;
    for await (const chunk of await read()) {
      found.update(chunk);
      bytes += chunk.byteLength;
    }
    const got = { bytes, sha256: found.digest('hex') };
    if (got.bytes !== expected.bytes || got.sha256 !== expected.sha256) throw new ReadBackMismatchError(location, expected, got);
    return { how: 's3-get', ...etag };
  }
  const suffixed = /-\d+$/.test(stored);
  // A multipart upload (more than one part) has a composite SHA-256, which some stores (moto) report with no type and no `-N`.
  const untypedComposite =
    head.ChecksumType === undefined &&
    !suffixed &&
    partDigests.length > 1 &&
    stored === createHash('sha256').update(Buffer.concat(partDigests)).digest('base64');
  const composite = head.ChecksumType === 'COMPOSITE' || suffixed || untypedComposite;
  const want = composite
    ? `${createHash('sha256').update(Buffer.concat(partDigests)).digest('base64')}-${partDigests.length}`
    : Buffer.from(expected.sha256, 'hex').toString('base64');
  // Some stores report a composite checksum without its `-N`.
  const got = composite && !suffixed ? `${stored}-${partDigests.length}` : stored;
  if (got !== want) {
    const kind = composite ? 'composite' : 'full-object';
    throw new ReadBackMismatchError(
      location,
      { bytes: expected.bytes, sha256: `${want} (${kind}, base64)` },
      { bytes: length, sha256: `${stored} (S3 ${kind} checksum)` },
    );
  }
  return { how: composite ? 's3-composite-checksum' : 's3-full-object-checksum', ...etag };
}
