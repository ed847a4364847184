/**
 * Which object version an index beside an S3 copy was built from: the S3
 * object metadata it is put with, and the check `serve` makes of it before
 * using the index (its bytes tie it to the copy's length and CRC-64 trailer
 * only; index-file.ts holds the bytes). Pure.
 */
/**
 * The S3 object metadata (`x-amz-meta-…`) an index beside an S3 copy is put
 * with: the identity of the copy's object version its keys were read from
 * (its ETag, unquoted, and its version id when the bucket gives one). The
 * index's bytes tie it to the copy's length and CRC-64 trailer only; `serve`
 * uses an S3 copy's index only when these name the object as it is now
 * (docs/serve.md "An S3 copy's index names its object version").
 */
export const INDEX_SOURCE_META = { etag: 'redis-dr-source-etag', versionId: 'redis-dr-source-version-id' } as const;

/** The object version an index was built from (an S3 copy's ETag, and its version id when versioned). */
export interface IndexSource {
  readonly etag?: string | undefined;
  readonly versionId?: string | undefined;
}

/** An ETag as compared: without its quotes. */
function bareEtag(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

/** The metadata naming `source` on its index (none when the source has no ETag: nothing to bind to). */
export function indexSourceMetadata(source: IndexSource | undefined): Record<string, string> {
  if (!source?.etag) return {};
  return { [INDEX_SOURCE_META.etag]: bareEtag(source.etag), ...(source.versionId ? { [INDEX_SOURCE_META.versionId]: source.versionId } : {}) };
}

/**
 * Why an index whose object metadata is `metadata` cannot stand for the copy
 * `object` is now (another version, or none named), or undefined when it
 * names that very version.
 */
export function foreignIndexSource(metadata: Readonly<Record<string, string>> | undefined, object: IndexSource): string | undefined {
  const etag = metadata?.[INDEX_SOURCE_META.etag];
  if (!etag)
    return `its index names no object version (${INDEX_SOURCE_META.etag} metadata missing: written before indexes were bound to the copy's version), so it cannot be tied to the copy as it is now`;
  if (!object.etag || bareEtag(object.etag) !== etag)
    return `its index belongs to another version of the object (built from ETag ${etag}; the copy's ETag is now ${object.etag ? bareEtag(object.etag) : 'not given'})`;
  const versionId = metadata[INDEX_SOURCE_META.versionId];
  if (versionId && object.versionId !== versionId)
    return `its index belongs to another version of the object (built from version ${versionId}; the copy is now version ${object.versionId ?? 'not given'})`;
  return undefined;
}
