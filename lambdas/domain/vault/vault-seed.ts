/**
 * A drill from the vault seeds from a copy, never from the vault itself:
 * the drill copies the verified replica versions into the DR bucket of the
 * workload account (the same account as the drill cluster: ElastiCache's
 * documented seeding route) under a prefix the drill owns, reads the copy
 * back, seeds from it and deletes it when the drill ends, whatever the
 * outcome. Pure: keys, the copy's verdict and the step's shapes.
 */
import { z } from 'zod';

/** Where the drill's copies live in the DR bucket; nothing else writes there (the DR verifier and drills list `rdr-` only). */
export const SEED_COPY_PREFIX = 'redis-dr-drill-seeds/';

/** Whether a DR bucket key is a copy (an export's `.rdb`): a vault drill's seed copies under {@link SEED_COPY_PREFIX} are not. */
export function isDrCopyKey(key: string): boolean {
  return key.endsWith('.rdb') && !key.startsWith(SEED_COPY_PREFIX);
}

/** S3's limit for one CopyObject; larger objects are copied part by part. */
export const COPY_OBJECT_MAX_BYTES = 5 * 1024 ** 3;

/** The copy of `key` for execution `execution`: `redis-dr-drill-seeds/<execution>/<key>`. */
export function seedCopyKey(execution: string, key: string): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(execution)) {
    throw new Error(`execution name ${JSON.stringify(execution)} cannot name a seed copy: use 1-80 letters, digits, - and _`);
  }
  return `${SEED_COPY_PREFIX}${execution}/${key}`;
}

/** One verified replica version the drill copies (the verdict object names it). */
export const seedReplicaSchema = z.strictObject({
  key: z.string().min(1),
  versionId: z.string().min(1),
  etag: z.string().min(1),
  size: z.number().int().nonnegative(),
});
export type SeedReplica = z.infer<typeof seedReplicaSchema>;

/** The copy step's input, as the state machine builds it. */
export const seedCopyEventSchema = z.strictObject({
  /** `copy`: make and read back the copies; `delete`: remove every version of them (idempotent). */
  action: z.enum(['copy', 'delete']),
  execution: z.string().min(1),
  /** The DR bucket of this account. */
  bucket: z.string().min(3),
  /** The chosen vault replicas (`$.drill.choice.vault`). */
  vault: z.looseObject({
    account: z.string().regex(/^\d{12}$/),
    bucket: z.string().min(3),
    keys: z.array(z.string().min(1)).min(1),
    replicas: z.array(seedReplicaSchema).optional(),
  }),
  partition: z.string().min(1).default('aws'),
});
export type SeedCopyEvent = z.input<typeof seedCopyEventSchema>;

/** What the copy step returns (`$.drill.seedCopy`). */
export interface SeedCopyResult {
  readonly bucket: string;
  readonly keys: readonly string[];
  /** The copies as S3 ARNs, shard order: what the create step seeds from. */
  readonly snapshotArns: readonly string[];
  /** How each copy was read back. */
  readonly verified: readonly string[];
}

/**
 * The copy step's result for `keys` (the copies' keys, shard order): the copies' ARNs, and how each was read back
 * (`replicaOf(i)`: the verified replica version copied to `keys[i]`). One shape for the step and its state budget
 * (domain/drills/state-size.ts).
 */
export function seedCopyResult(
  bucket: string,
  partition: string,
  keys: readonly string[],
  replicaOf: (i: number) => Pick<SeedReplica, 'size' | 'etag'>,
): SeedCopyResult {
  return {
    bucket,
    keys,
    snapshotArns: keys.map((k) => `arn:${partition}:s3:::${bucket}/${k}`),
    verified: keys.map((k, i) => `s3://${bucket}/${k}: ${replicaOf(i).size} bytes, ETag ${replicaOf(i).etag} as verified`),
  };
}

/** What the delete returns (`$.drill.seedCleanup`). */
export interface SeedCleanupResult {
  readonly deleted: boolean;
  readonly bucket: string;
  readonly keys: readonly string[];
  /** Versions removed (0 when the copy was never made). */
  readonly versions: number;
}

/** Whether an ETag is a multipart upload's (`"<md5 of part md5s>-<parts>"`). */
export function multipartParts(etag: string): number | undefined {
  const m = /-(\d+)"?$/.exec(etag);
  return m ? Number(m[1]) : undefined;
}

/**
 * Why the copy read back is not the verified replica, or undefined when it
 * is: the same length and the same ETag. Part for part (a multipart source is
 * copied with its own part sizes), S3's ETag of SSE-S3 objects is the MD5 of
 * the bytes (of each part's MD5s for multipart), so equal ETags mean equal
 * bytes for this copy.
 */
export function seedCopyProblem(source: SeedReplica, copy: { readonly size?: number; readonly etag?: string }): string | undefined {
  if (copy.size !== source.size) return `length ${copy.size ?? '(none)'} read back, the verified replica has ${source.size}`;
  const norm = (e: string | undefined) => e?.replace(/"/g, '');
  if (norm(copy.etag) !== norm(source.etag)) return `ETag ${copy.etag ?? '(none)'} read back, the verified replica has ${source.etag}`;
  return undefined;
}

/**
 * Byte ranges of each part of a multipart copy, from the source's part
 * lengths (HeadObject with PartNumber), as `bytes=<first>-<last>`.
 */
export function partRanges(partLengths: readonly number[], size: number): string[] {
  const ranges: string[] = [];
  let first = 0;
  for (const length of partLengths) {
    if (length <= 0) throw new Error(`a part of length ${length}: the source's parts cannot be mirrored`);
    ranges.push(`bytes=${first}-${first + length - 1}`);
    first += length;
  }
  if (first !== size) throw new Error(`the parts add up to ${first} bytes, the object has ${size}: the source's parts cannot be mirrored`);
  return ranges;
}
