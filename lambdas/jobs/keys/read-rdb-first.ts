/**
 * The first read of a file `restoreRdbKeys` restores (read-rdb.ts, pass 1):
 * every byte through the block CRCs the second read holds its bytes against,
 * the whole file verified by the parser (its CRC-64 from the block CRCs),
 * every key counted for the plan of databases and the eviction guard and,
 * with several files, held against the shard set; a key to re-encode that
 * the target may not hold exactly is judged here, before any write. What it
 * found is judged by the caller (read-rdb.ts), which refuses the file or not.
 */
import { keySlot } from '../../adapters/redis/cluster.js';
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import { FileChangedError, type BlockDigests } from '../../domain/rdb/block-digests.js';
import { Crc64 } from '../../domain/rdb/codecs/crc64.js';
import type { TargetRdbSupport } from '../../domain/rdb/format/dump-payload.js';
import { type KeyDigestSet, keyDigestOf, newKeyDigest } from '../../domain/rdb/format/key-digests.js';
import { RdbKeyReader } from '../../domain/rdb/keys.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';
import type { LossKind } from '../../domain/rdb/write/losses.js';
import { CLUSTER_SLOTS, RDB_KEY_OVERHEAD_BYTES } from '../../domain/keys/eviction.js';
import type { SlotOwnership } from '../../domain/keys/shard-set.js';
import type { RdbFileSource } from './read-rdb-batches.js';
import { FileReencoding } from './reencode.js';

/** What the first reads found of the files' keys, added to file after file: the plan's counts and the eviction guard's sizes. */
export interface KeyTally {
  /** Keys per database (all of them), and those `match` selects. */
  readonly keysByDb: Record<number, number>;
  readonly matchingByDb: Record<number, number>;
  /** The matching keys' sizes in the files per database (and per hash slot for a cluster target). */
  readonly bytesByDb: Map<number, number>;
  readonly perSlotByDb: Map<number, Float64Array>;
  /** Every key's size. */
  allBytes: number;
  /** The databases the files hold. */
  readonly databases: Set<number>;
}

/** A new, empty {@link KeyTally}. */
export function newKeyTally(): KeyTally {
  return { keysByDb: {}, matchingByDb: {}, bytesByDb: new Map(), perSlotByDb: new Map(), allBytes: 0, databases: new Set() };
}

/** One file's first read: the file, its place, and what the run's reads share. */
export interface FirstReadOf {
  readonly index: number;
  readonly source: RdbFileSource;
  /** The file's block CRCs, filled by this read (the caller keeps them for the second). */
  readonly digests: BlockDigests;
  readonly tally: KeyTally;
  /** Several files: every key's hash slot held against the set's, and every key's digest against the other files'. */
  readonly ownership: SlotOwnership | undefined;
  readonly across: KeyDigestSet | undefined;
  readonly cluster: boolean;
  readonly matches: ((name: Buffer) => boolean) | undefined;
  readonly targetServer: TargetRdbSupport;
  /** The target has no module loaded (`MODULE LIST` empty; false where not known): its module values are judged in this read. */
  readonly noModules?: boolean;
  readonly lossy: ReadonlySet<LossKind>;
}

/** What a first read found: the parser's report, or the file changed while it was read. */
export type FirstRead =
  | {
      readonly report: RdbReport;
      /** The offsets of the empty keys (undefined: too many to keep), for the second read. */
      readonly emptyKeys: ReadonlySet<number> | undefined;
      /** How its keys are re-encoded for the target (undefined: sent as they are), or why they cannot be. */
      readonly reencoding: FileReencoding | undefined;
      readonly reencodeProblem: string | undefined;
      /** A key outside the slots its shard's tag recorded. */
      readonly misplaced: string | undefined;
      /** The file's function libraries (DUMP-style payloads), in order. */
      readonly libraries: readonly Buffer[];
    }
  | { readonly changed: FileChangedError };

/** The first read of one file (see the module's comment). */
export async function firstRead(of: FirstReadOf): Promise<FirstRead> {
  const { index, source, digests, tally, ownership, across, cluster, matches } = of;
  const digest = newKeyDigest();
  let misplaced: string | undefined;
  // Decided once the header is in: whether this file's keys must be re-encoded for the target.
  let reencoding: FileReencoding | undefined | null = null;
  let reencodeProblem: string | undefined;
  const reencode = (): FileReencoding | undefined => {
    if (reencoding !== null || reader.fileVersion.version === 0) return reencoding ?? undefined;
    try {
      reencoding = FileReencoding.of(reader.fileVersion, of.targetServer, of.lossy, of.noModules);
    } catch (err) {
      reencoding = undefined;
      reencodeProblem = err instanceof Error ? err.message : String(err);
    }
    return reencoding;
  };
  const reader = new RdbKeyReader({
    keepChunks: true,
    // The block CRCs run over every byte: the file's own CRC-64 comes from them, not from a second run in the parser.
    externalChecksum: true,
    keyDigestSpill: () => tempKeyDigestSpill(),
    // Nothing is built in this pass (a big value's bytes go by, only its name is held) but a key to re-encode that the
    // target may not hold exactly: it is judged here, before any write.
    // Every database's keys are judged: which databases are restored is planned after this read (FileReencoding.refusal).
    wantName: (_kdb, name, type) => (reencode()?.mayBuild(type) ?? false) && (matches === undefined || matches(name)),
    want: (kdb, name, size, at) => {
      tally.keysByDb[kdb] = (tally.keysByDb[kdb] ?? 0) + 1;
      tally.allBytes += size;
      const matching = matches === undefined || matches(name); // the glob once per key: `selected` without a second match
      if (matching) {
        tally.matchingByDb[kdb] = (tally.matchingByDb[kdb] ?? 0) + 1;
        tally.bytesByDb.set(kdb, (tally.bytesByDb.get(kdb) ?? 0) + size);
        if (cluster) {
          let perSlot = tally.perSlotByDb.get(kdb);
          if (!perSlot) tally.perSlotByDb.set(kdb, (perSlot = new Float64Array(CLUSTER_SLOTS)));
          perSlot[keySlot(name)]! += size + RDB_KEY_OVERHEAD_BYTES;
        }
      }
      if (ownership && !misplaced) misplaced = ownership.check(index, keySlot(name));
      // A set or zset listpack with a member twice, to be re-encoded: refused here, before any write (not at its RESTORE);
      // a hash's built to be judged (FileReencoding.check).
      const twice = at.memberTwice && matching && (reencode()?.memberTwice(kdb, name, at.type) ?? false);
      if (across) {
        keyDigestOf(name, digest);
        across.add(digest[0]!, digest[1]!, digest[2]!, kdb);
      }
      return twice || (matching && (reencode()?.mayRefuse(at.type) ?? false));
    },
  });
  try {
    for await (const chunk of source.open()) {
      digests.update(chunk);
      for (const k of reader.push(chunk)) reencode()?.check(k, reader.templates);
      if (reader.error) break;
    }
  } catch (err) {
    // The file rewritten while this read went on (sources.ts, at the read's end): refused as one changed between reads.
    if (!(err instanceof FileChangedError)) throw err;
    return { changed: err };
  }
  digests.finish();
  if (reader.checksumPending) {
    const end = reader.checksumEnd();
    let crc = digests.crcBefore(end);
    if (crc === undefined) {
      // Over a block of bytes after the trailer (never written by a server): the checksum from a read of its own,
      // of the bytes just verified (block by block).
      try {
        crc = await crcOfPrefix(digests.check(source.open()), end);
      } catch (err) {
        if (!(err instanceof FileChangedError)) throw err;
        return { changed: err };
      }
    }
    reader.settleChecksum(crc);
  }
  digests.release();
  const report = reader.end();
  return { report, emptyKeys: reader.emptyKeyOffsets, reencoding: reencode(), reencodeProblem, misplaced, libraries: reader.functions };
}

/** The CRC-64 of the first `end` bytes of a read (which may end early: a shorter read gives a checksum that cannot match). */
async function crcOfPrefix(source: AsyncIterable<Uint8Array>, end: number): Promise<bigint> {
  const crc = new Crc64();
  let at = 0;
  for await (const chunk of source) {
    const take = Math.min(chunk.length, end - at);
    crc.update(chunk, 0, take);
    at += take;
    if (at >= end) break;
  }
  return crc.value;
}
