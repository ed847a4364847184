/**
 * DUMP payloads (what `DUMP` returns and `RESTORE` takes) and which RDB
 * versions a server accepts in them.
 *
 * A payload is `<RDB type byte><object bytes as in an RDB file><RDB version,
 * 2 bytes little-endian><CRC-64/Jones of everything before, 8 bytes
 * little-endian>` (Redis's `createDumpPayload`). `RESTORE` refuses one whose
 * version is above the server's own RDB version, or whose checksum is wrong,
 * with "DUMP payload version or checksum are wrong" (`verifyDumpPayload`).
 *
 * @see https://github.com/redis/redis/blob/unstable/src/cluster.c
 */
import { Crc64 } from '../codecs/crc64.js';

/** The 10-byte footer: version and CRC-64. */
export const DUMP_FOOTER_BYTES = 10;

/**
 * Builds a payload from a value's RDB type and object bytes (`value[from,
 * to)`), for a server that reads RDB `version`.
 */
export function dumpPayload(type: number, value: Uint8Array, version: number, from = 0, to = value.length): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 255) throw new RangeError(`an RDB type is one byte, got ${type}`);
  if (!Number.isInteger(version) || version < 1 || version > 0xffff) throw new RangeError(`an RDB version is 1–65535, got ${version}`);
  const n = to - from;
  // A Buffer (from the pool when small: one per key of a re-encoding restore), every byte written below.
  const out = Buffer.allocUnsafe(1 + n + DUMP_FOOTER_BYTES);
  out[0] = type;
  out.set(value.subarray(from, to), 1);
  sealDumpPayload(out, version);
  return out;
}

/** The checksum {@link sealDumpPayload} reuses. */
const SEAL_CRC = new Crc64();

/**
 * Writes the footer of a payload whose type byte and object bytes already
 * fill `payload` up to its last {@link DUMP_FOOTER_BYTES} bytes.
 */

export function sealDumpPayload(payload: Uint8Array, version: number): Uint8Array {
  const body = payload.length - DUMP_FOOTER_BYTES;
  if (body < 1) throw new RangeError('a DUMP payload holds at least its type byte');
  payload[body] = version & 0xff;
  payload[body + 1] = (version >> 8) & 0xff;
  // One checksum object reused: this runs once per key of a restore.
  SEAL_CRC.reset()
    .update(payload, 0, body + 2)
    .writeLittleEndian(payload, body + 2);
  return payload;
}

/** What {@link checkDumpPayload} found: the payload's RDB version, or why Redis would refuse it. */
export type DumpPayloadCheck = { readonly ok: true; readonly version: number; readonly type: number } | { readonly ok: false; readonly problem: string };

/** Checks a payload as `RESTORE` does on a server reading RDB `maxVersion`: footer version and CRC-64. */
export function checkDumpPayload(payload: Uint8Array, maxVersion: number): DumpPayloadCheck {
  if (payload.length < DUMP_FOOTER_BYTES + 1) return { ok: false, problem: `${payload.length} bytes is too short for a DUMP payload` };
  const body = payload.length - DUMP_FOOTER_BYTES;
  const version = payload[body]! | (payload[body + 1]! << 8);
  if (version > maxVersion) return { ok: false, problem: `payload RDB version ${version} is above the ${maxVersion} the server reads` };
  const crc = new Crc64().update(payload, 0, body + 2);
  if (!crc.matchesLittleEndian(payload.subarray(body + 2))) return { ok: false, problem: 'CRC-64 mismatch' };
  return { ok: true, version, type: payload[0]! };
}

/**
 * The RDB version each release writes and reads (its `RDB_VERSION`), newest
 * first: RESTORE accepts payloads up to it. Valkey 7.2–8.x read what Redis
 * 7.2 reads; Valkey 9 writes `VALKEY080` files and reads those and Redis's up
 * to 11 (not Redis 7.4's 12).
 */
const REDIS_RDB_VERSIONS: readonly (readonly [major: number, minor: number, rdb: number])[] = [
  [8, 10, 15], // 8.10: hash templates (opcode 242, types 29–32)
  [8, 8, 14], // 8.8: streams with NACKed entries (27), sparse arrays (28)
  [8, 6, 13], // 8.6: key metadata, streams with idempotent-producer data
  [7, 4, 12], // 7.4 to 8.4: hash field expiry (types 22–25)
  [7, 2, 11], // set listpack (20), stream listpacks 3 (21)
  [7, 0, 10], // listpack hashes, zsets, quicklist 2, stream listpacks 2 (16–19)
  [5, 0, 9], // streams (15); 6.x too
  [4, 0, 8], // module values 2 (7)
  [3, 2, 7], // quicklist (14)
  [2, 6, 6],
];

/** What a target server reads, from its `INFO server`. */
export interface TargetRdbSupport {
  /** `redis 7.0.15`, `valkey 8.1.1`. */
  readonly server: string;
  /**
   * Highest RDB version after the `REDIS` magic it may accept (in files and in DUMP payloads): what a check that
   * refuses holds a file against, so it never refuses what the release may read.
   */
  readonly maxRedisVersion: number;
  /**
   * Highest `REDIS` RDB version written for it (convert-rdb, migrate's re-encoding), where that is below
   * {@link maxRedisVersion} because what the release reads is not known for sure; absent: the same. See {@link ELASTICACHE_REDIS_7_1}.
   */
  readonly writeRedisVersion?: number;
  /** Whether it reads Valkey 9's `VALKEY080` format. */
  readonly valkeyFormat: boolean;
  /** Highest RDB version after the `VALKEY` magic it accepts (80 for Valkey 9.0 and 9.1, 81 from 9.2); absent when none. */
  readonly maxValkeyVersion?: number;
}

/** Field `name` of `INFO` text (`name:value` lines), trimmed; undefined when absent. */
export function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * Reads `INFO server` text. An unknown newer release is taken to read what
 * the newest known one reads; one older than Redis 2.6 is refused.
 * @throws Error when the text names no version, or one too old
 */
export function targetRdbSupport(info: string): TargetRdbSupport {
  const valkey = infoField(info, 'valkey_version');
  const redis = infoField(info, 'redis_version');
  if (valkey !== undefined) {
    const major = Number(/^(\d+)/.exec(valkey)?.[1]);
    const minor = Number(/^\d+\.(\d+)/.exec(valkey)?.[1] ?? 0);
    if (major >= 9) return { server: `valkey ${valkey}`, maxRedisVersion: 11, valkeyFormat: true, maxValkeyVersion: major > 9 || minor >= 2 ? 81 : 80 };
    return { server: `valkey ${valkey}`, maxRedisVersion: 11, valkeyFormat: false };
  }
  if (redis === undefined) throw new Error('INFO server names no redis_version: cannot tell which RDB version the target reads');
  return engineRdbSupport('redis', redis);
}

/**
 * ElastiCache's Redis OSS 7.1 has no OSS release of its own, and AWS does not
 * name its RDB version. Its "Supported engines and versions" page
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html)
 * describes 7.1 as performance enhancements over 7.0, and lists for
 * ElastiCache Valkey 7.2 "memory optimizations for list and set type keys" as
 * new compared with Redis OSS 7.1: Redis 7.2's listpack sets (RDB type 20),
 * which came with RDB 11. So 7.1 most likely reads RDB 10 only. The two uses
 * part ways: a check that refuses takes the permissive 11 (it never refuses
 * what the release may read; a wrong guess fails loudly at the restore),
 * while anything written for or into 7.1 takes 10 (what 7.0 reads, which 7.1
 * surely reads), so no type-20 set reaches a 7.1 that may refuse it.
 */
export const ELASTICACHE_REDIS_7_1 = { mayRead: 11, write: 10 } as const;

/** The highest `REDIS` RDB version written for a target (below what it may read only for ElastiCache Redis OSS 7.1). */
export function writtenRedisVersion(target: TargetRdbSupport): number {
  return target.writeRedisVersion ?? target.maxRedisVersion;
}

/** The target as a writer sees it: reading no more than {@link writtenRedisVersion}, so a file above it is re-encoded. */
export function forWriting(target: TargetRdbSupport): TargetRdbSupport {
  return { ...target, maxRedisVersion: writtenRedisVersion(target) };
}

/**
 * What an engine release reads, from its engine and version (`redis 7.1`,
 * `valkey 8.0`, as ElastiCache names them). A major version alone (`7`, as a
 * serverless cache records it) is taken as that major's newest known minor;
 * ElastiCache's Redis OSS 7.1 as {@link ELASTICACHE_REDIS_7_1} says.
 * @throws Error when the version is not a number, or older than Redis 2.6
 */
export function engineRdbSupport(engine: string, version: string): TargetRdbSupport {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) throw new Error(`${engine} version ${JSON.stringify(version)} is not a version number`);
  const major = Number(m[1]);
  const minor = m[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  if (engine.toLowerCase() === 'valkey') {
    if (major >= 9) return { server: `valkey ${version}`, maxRedisVersion: 11, valkeyFormat: true, maxValkeyVersion: major > 9 || minor >= 2 ? 81 : 80 };
    return { server: `valkey ${version}`, maxRedisVersion: 11, valkeyFormat: false };
  }
  if (major === 7 && minor === 1)
    return { server: `redis ${version}`, maxRedisVersion: ELASTICACHE_REDIS_7_1.mayRead, writeRedisVersion: ELASTICACHE_REDIS_7_1.write, valkeyFormat: false };
  for (const [ma, mi, rdb] of REDIS_RDB_VERSIONS) {
    if (major > ma || (major === ma && minor >= mi)) return { server: `redis ${version}`, maxRedisVersion: rdb, valkeyFormat: false };
  }
  throw new Error(`redis ${version} is older than 2.6: not supported`);
}

/** The oldest Redis release that reads RDB `version` (`8.8` for 14), or undefined for a version no known release writes. */
export function redisReleaseFor(version: number): string | undefined {
  let found: string | undefined;
  for (const [ma, mi, rdb] of REDIS_RDB_VERSIONS) if (rdb >= version) found = `${ma}.${mi}`;
  return found;
}

/** The RDB version a DUMP payload's footer names (a payload in parts: read across them). */
export function dumpPayloadVersion(payload: Uint8Array | readonly Uint8Array[]): number {
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  const tail: number[] = [];
  // The 2 version bytes sit before the 8 CRC bytes: the last 10 bytes, read from the end across parts.
  for (let i = parts.length - 1; i >= 0 && tail.length < DUMP_FOOTER_BYTES; i--) {
    const p = parts[i]!;
    for (let j = p.length - 1; j >= 0 && tail.length < DUMP_FOOTER_BYTES; j--) tail.unshift(p[j]!);
  }
  return tail.length < DUMP_FOOTER_BYTES ? 0 : tail[0]! | (tail[1]! << 8);
}

/** The Valkey RDB versions (after the `VALKEY` magic, and in Valkey 9's DUMP payloads) start here; Redis's end well below. */
const VALKEY_VERSIONS_FROM = 80;

/**
 * Why a target would refuse DUMP payloads of RDB `version` (a live source's,
 * copied by `migrate --from <server>`): undefined when it reads them. One
 * line naming both versions and the fix: a backup file, which `migrate
 * --from-rdb` re-encodes for the target key by key (or `convert-rdb`).
 */
export function payloadVersionRefusal(version: number, target: TargetRdbSupport): string | undefined {
  if (version <= target.maxRedisVersion) return undefined;
  if (target.valkeyFormat && version >= VALKEY_VERSIONS_FROM && version <= (target.maxValkeyVersion ?? VALKEY_VERSIONS_FROM)) return undefined;
  const writer =
    version >= VALKEY_VERSIONS_FROM
      ? 'Valkey 9 or later'
      : `Redis ${redisReleaseFor(version) ?? `newer than ${REDIS_RDB_VERSIONS[0]![0]}.${REDIS_RDB_VERSIONS[0]![1]}`}`;
  return (
    `the source writes DUMP payloads of RDB ${version} (${writer}), newer than the target (${target.server}) reads (RDB up to ${target.maxRedisVersion}): ` +
    `RESTORE would refuse every key ("DUMP payload version or checksum are wrong"), so nothing was written. ${NEWER_SOURCE_FIX}`
  );
}

/** What to do when a live source writes payloads a target does not read. */
export const NEWER_SOURCE_FIX =
  'Copy from a backup file of the source instead: redis-dr migrate --from-rdb <file> --to <target> re-encodes each key for the target (or redis-dr convert-rdb <file> --for <engine> writes a file it loads)';

/** What {@link rdbRefusal} needs to know of a file: its format, and (after its verification) what its keys are. */
export interface RdbFileFormat {
  readonly version: number;
  readonly valkey: boolean;
  /** Keys per type name, from the file's verification: named in a refusal. */
  readonly byType?: Readonly<Record<string, number>>;
  /** Hash keys that reference the file's hash templates (Redis 8.10, types 30 and 32). */
  readonly templateHashes?: number;
}

/**
 * Whether a target takes the keys of a file of this RDB version (and magic)
 * through RESTORE: undefined when it does, else why not, naming both
 * versions, the keys' types and the oldest release that reads them. The
 * version decides for every key: each value type Redis added came with a new
 * RDB version (listpack sets and stream listpacks 3 with 11, hash field expiry
 * with 12, arrays and streams with NACKs with 14, hash templates with 15), so
 * a file no newer than the target holds no encoding the target cannot read.
 * A hash that references the file's templates (Redis 8.10) is refused
 * whatever the target: its payload would name a template the target does not
 * hold (or, worse, holds under the same id with other fields).
 */
export function rdbRefusal(file: RdbFileFormat, target: TargetRdbSupport): string | undefined {
  if (file.valkey) {
    if (target.valkeyFormat && file.version <= (target.maxValkeyVersion ?? 80)) return undefined;
    if (target.valkeyFormat) {
      return `the file is Valkey RDB version ${file.version}, newer than the target (${target.server}) reads (VALKEY up to ${target.maxValkeyVersion ?? 80}): restore into a Valkey at least as new as the one that wrote the file`;
    }
    return `the file is in Valkey 9's format (VALKEY magic, RDB version ${file.version}), which the target (${target.server}, reads RDB up to ${target.maxRedisVersion}) cannot read`;
  }
  if (file.version > target.maxRedisVersion) {
    const release = redisReleaseFor(file.version);
    const types = Object.entries(file.byType ?? {})
      .filter(([, n]) => n > 0)
      .map(([type, n]) => `${type}=${n}`);
    const needs = release === undefined ? '' : `; its keys${types.length > 0 ? ` (${types.join(' ')})` : ''} need Redis ${release} or later`;
    return `the file is RDB version ${file.version}, newer than the target (${target.server}) reads (RDB up to ${target.maxRedisVersion}): RESTORE would refuse every key ("DUMP payload version or checksum are wrong")${needs}; restore into a server at least as new as the one that wrote the file`;
  }
  if ((file.templateHashes ?? 0) > 0) {
    return `${file.templateHashes} hash key${file.templateHashes === 1 ? '' : 's'} of the file reference its hash templates (Redis 8.10, RDB types 30 and 32): a RESTORE payload cannot carry the template, and converting them into self-contained hashes is not built yet; load the .rdb file itself into Redis 8.10 or later instead`;
  }
  return undefined;
}
