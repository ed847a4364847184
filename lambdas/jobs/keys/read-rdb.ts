/**
 * Key-level recovery straight from a recovery point (issue 16): the keys of
 * an RDB file written into a live server with `RESTORE … ABSTTL`, without
 * restoring a whole cluster first.
 *
 * Order of work, so a bad file writes nothing:
 * 1. the target's `INFO server` says which RDB version it reads;
 * 2. every file is verified whole (structure, every value, CRC-64) and its
 *    version held against the target's: a corrupt file, or one written by
 *    a newer server than the target, is refused before any key is written.
 *    The same pass counts the keys that will be restored (the progress
 *    bar's total) and, for the several files of a cluster-mode recovery
 *    point, holds every key's hash slot against the set: two files with
 *    keys of one slot, or a key outside the slots its shard's tag
 *    recorded, are not one recovery point, and are refused;
 * 3. the files are read again, in shard order, and each key of the chosen
 *    databases (`targets`, planned from what step 2 counted: each into its
 *    own target database) that matches is sent as `RESTORE key <expire-at> <payload>
 *    ABSTTL [REPLACE]` (the payload is the key's bytes in the file, see
 *    rdb/keys.ts), pipelined in batches through the writer `migrate`
 *    uses (jobs/keys/writer.ts). Keys whose expiry has passed are skipped and
 *    counted. The first read recorded a CRC-64 per 1 MiB block
 *    (rdb/block-digests.ts), and the second passes on no byte whose block
 *    differs: a file changed or replaced in between stops the run at that
 *    block, with every key written so far read from verified bytes, and
 *    says how many. So the second read's parser reads only the keys' bounds
 *    (RdbKeyReaderOptions.verifiedBefore): the checks of the first are not
 *    run again, and the first read's file CRC-64 comes from its block CRCs
 *    (each byte is checksummed once per read, and once more in a payload).
 *
 * Between 2 and 3, the eviction guard (adapters/redis/memory.ts, the one
 * `migrate` uses) holds the selected keys' sizes in the file against every
 * target node that can evict and refuses the run when they would not fit
 * (unless `allowEviction`); during 3 it samples `evicted_keys`: an eviction
 * stops the run (unless `allowEviction`) and is reported.
 *
 * Memory: the reader's chunk, the open key (at most 512 MiB) while its
 * payload is built (a key pass 2 does not select, and every key in pass 1,
 * only up to its name: the value's bytes go by), one batch of payloads (at
 * most BATCH_BYTES, or one key) and its encoded RESTOREs, the writes in
 * flight without their payloads
 * (jobs/keys/writer.ts), the block the second read holds back until it
 * matched (1 MiB), and 8 bytes per MiB of the files (their block CRCs).
 */
import { restoreFunctions } from '../../adapters/redis/dump-restore.js';
import { keySlot } from '../../adapters/redis/cluster.js';
import type { Keyspace } from '../../adapters/redis/keyspace.js';
import { compileGlob } from '../../domain/keys/glob.js';
import { BlockDigests, FileChangedError } from '../../domain/rdb/block-digests.js';
import { Crc64 } from '../../domain/rdb/codecs/crc64.js';
import { rdbRefusal, targetRdbSupport, type TargetRdbSupport } from '../../domain/rdb/format/dump-payload.js';
import { RdbKeyReader } from '../../domain/rdb/keys.js';
import { KeyDigestSet, keyDigestOf, newKeyDigest } from '../../domain/rdb/format/key-digests.js';
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';
import type { CopyCounts, KeyCopyOptions } from '../../domain/keys/key-copy.js';
import { BATCH_BYTES, KeyWriter, type WriteWindow } from './writer.js';
import { FileReencoding } from './reencode.js';
import type { LossKind } from '../../domain/rdb/write/losses.js';
import { readRdbBatches, type RdbFileSource } from './read-rdb-batches.js';
import { SlotOwnership, type ShardSet } from '../../domain/keys/shard-set.js';
import { CLUSTER_SLOTS, fileRestoreEstimate, RDB_KEY_OVERHEAD_BYTES, type EvictionReport } from '../../domain/keys/eviction.js';

export type { OnConflict } from '../../domain/keys/key-copy.js';

/** Running counts (the same as migrate's). */
export type RestoreRdbCounts = CopyCounts;

/** The options of every key copy, and the file's own. */
export interface RestoreRdbOptions extends KeyCopyOptions {
  /** Database of the file to restore, into `target` (unless `targets`). @default 0 */
  readonly db?: number;
  /**
   * The databases of the file to restore and where each goes, decided once
   * the files are verified from what they hold: file database → the target
   * keyspace of its database (opened by the caller, who closes them).
   * Instead of `db`; an error it throws (a plan that cannot be) is thrown
   * by {@link restoreRdbKeys} as it is, nothing written.
   */
  readonly targets?: (held: RdbDatabasesHeld) => Promise<ReadonlyMap<number, RdbTarget>>;
  /**
   * Also restore the file's function libraries (`FUNCTION RESTORE`, on every
   * primary; never FLUSH): `skip` leaves a library of the same name alone,
   * `replace` replaces it, `fail` stops on it. @default false (only reported)
   */
  readonly functions?: boolean;
  /** Losses accepted when a key is re-encoded for a target that cannot read the file (reencode.ts): `field-ttl`. @default none */
  readonly lossy?: ReadonlySet<LossKind>;
  /** @internal Bytes per block of the second read's check (rdb/block-digests.ts; tests make blocks small). @default 1 MiB */
  readonly checkBlockBytes?: number;
  /** @internal Payload bytes per batch: one is sent once it holds this much (tests make it small). @default {@link BATCH_BYTES} */
  readonly batchBytes?: number;
  /** @internal Value bytes from which a payload is kept in parts, the file's chunks (tests make it small). @default 1 MiB */
  readonly partsFromBytes?: number;
}

export type { RdbFileSource } from './read-rdb-batches.js';

/** Where a database of the file goes: the target's database (its number, and the keyspace open on it). */
export interface RdbTarget {
  readonly db: number;
  readonly keyspace: Keyspace;
}

/** What the verified files hold per database: every key, and those `match` selects. */
export interface RdbDatabasesHeld {
  readonly keysByDb: Readonly<Record<number, number>>;
  readonly matchingByDb: Readonly<Record<number, number>>;
}

/**
 * What to restore: one file (a function that streams it), or the files of
 * one recovery point in shard order with the checked set they form (see
 * domain/keys/shard-set.ts: with several files, every key's hash slot is held
 * against the set while the files are verified).
 */
export type RdbSources = (() => AsyncIterable<Uint8Array>) | { readonly files: readonly RdbFileSource[]; readonly set?: ShardSet };

export interface RestoreRdbResult extends RestoreRdbCounts {
  readonly seconds: number;
  readonly interrupted: boolean;
  readonly error?: string;
  readonly conflict?: Buffer;
  /** The (first) file: what the verification found (undefined when the target could not be asked first). */
  readonly file?: RdbReport;
  /** Every file verified, in shard order, with what the verification found. */
  readonly files: readonly { readonly location: string; readonly report: RdbReport }[];
  readonly targetServer?: TargetRdbSupport;
  /** Keys of the file not restored because they are in another database or do not match. */
  readonly notSelected: number;
  /** Per file, the block CRCs its verification recorded: a later read (--verify) checks it reads the same bytes. */
  readonly digests: readonly BlockDigests[];
  /** Per file, the offsets of the empty keys its verification found (undefined: too many to keep), for a later read of the same bytes. */
  readonly emptyKeys: readonly (ReadonlySet<number> | undefined)[];
  /** Keys of the files per database (all of them, selected or not), counted while they were verified. */
  readonly keysByDb: Readonly<Record<number, number>>;
  /** Keys of the files per database that match `match` (all keys without one): what a restore of that database would select. */
  readonly matchingByDb: Readonly<Record<number, number>>;
  /** The eviction guard's findings: a refusal before writing, or the keys the target evicted during the run (undefined when the run ended before the guard read the target). */
  readonly eviction?: EvictionReport;
  readonly skippedKeys: ReadonlySet<string>;
  /**
   * Module values the target refused, per module type name (it lacks the
   * module): counted in `failed` too, but the run goes on with other keys.
   */
  readonly moduleRefused: Readonly<Record<string, number>>;
  /** Keys re-encoded for a target that cannot read the file's version or fork (reencode.ts), and keys written without part of them per loss named. */
  readonly reencoded: number;
  readonly lost: Partial<Record<LossKind, number>>;
  /** Function libraries: in the file; and with `functions`, per library and node, restored, left alone (exists) or failed. */
  readonly functions: { inFile: number; restored: number; skipped: number; failed: number };
  /** File database → target database of each database restored, with `targets` (empty without, or when the run ended before choosing). */
  readonly databases: readonly { readonly from: number; readonly to: number }[];
  /** When the second read found a changed file: the keys restored before (all from verified bytes), and the offset in that file from which nothing was written. */
  readonly writtenUpTo?: { readonly keys: number; readonly offset: number; readonly file: string };
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

/**
 * Restores the keys of the file(s) (each read twice: verification, then the
 * restore; files in shard order) into `target`.
 */
export async function restoreRdbKeys(sources: RdbSources, target: Keyspace, options: RestoreRdbOptions = {}): Promise<RestoreRdbResult> {
  const list: readonly RdbFileSource[] = typeof sources === 'function' ? [{ location: 'the file', open: sources }] : sources.files;
  const set = typeof sources === 'function' ? undefined : sources.set;
  const writer = new KeyWriter(target, options);
  const started = writer.now();
  const mode = writer.mode;
  const db = options.db ?? 0;
  let notSelected = 0;
  const files: { location: string; report: RdbReport }[] = [];
  const keysByDb: Record<number, number> = {};
  /** Per file, how its keys are re-encoded for the target (undefined: sent as they are). */
  const reencodings: (FileReencoding | undefined)[] = [];
  const matchingByDb: Record<number, number> = {};
  let eviction: EvictionReport | undefined;
  let targetServer: TargetRdbSupport | undefined;
  let writtenUpTo: RestoreRdbResult['writtenUpTo'];
  const functions = { inFile: 0, restored: 0, skipped: 0, failed: 0 };
  /** File database → where its keys go; chosen after the verification (`targets`), or `db` into `target`. */
  let targets: ReadonlyMap<number, RdbTarget> = new Map([[db, { db, keyspace: target }]]);
  const databasesChosen: { from: number; to: number }[] = [];
  const many = list.length > 1;
  const named = (location: string) => (many ? `the file ${location}` : 'the file');
  const result = (): RestoreRdbResult => ({
    ...writer.counts,
    seconds: (writer.now() - started) / 1000,
    interrupted: writer.interrupted,
    error: writer.error,
    conflict: writer.conflict,
    file: files[0]?.report,
    files,
    targetServer,
    notSelected,
    keysByDb,
    matchingByDb,
    ...(eviction ? { eviction } : {}),
    digests: blocks,
    emptyKeys: verifiedEmpty,
    skippedKeys: writer.skippedKeys,
    writtenUpTo,
    moduleRefused: writer.moduleRefused,
    reencoded: reencodings.reduce((n, r) => n + (r?.reencoded ?? 0), 0),
    lost: lostOf(reencodings),
    functions,
    databases: databasesChosen,
  });
  const matches = options.match === undefined ? undefined : compileGlob(options.match);
  /** Per file, the CRC-64 of each 1 MiB block as verified: the second read passes on only bytes that match. */
  const blocks: BlockDigests[] = [];
  /** Per file, the empty keys its verification found (a second read takes them as found): undefined when too many to keep. */
  const verifiedEmpty: (ReadonlySet<number> | undefined)[] = [];
  const selected = (kdb: number, name: Buffer) => targets.has(kdb) && (matches === undefined || matches(name));
  /** The error of `targets`: thrown as it is (the caller's refusal, before anything is written). */
  let planError: unknown;

  try {
    if (!options.targets && target.cluster && db !== 0) {
      writer.fail(`a Redis Cluster target has only database 0; --db ${db} cannot be written to it`);
      return result();
    }
    const info = await (await target.clientFor(Buffer.alloc(0))).info('server');
    targetServer = targetRdbSupport(info);
    // Pass 1: every file verified whole (and, for several, every key's hash slot held against the set) before any key is written.
    const ownership = many && set ? new SlotOwnership(set) : undefined;
    // The memory estimate for the eviction guard: the matching keys' sizes in the file per database (per slot for a cluster target).
    const bytesByDb = new Map<number, number>();
    let allBytes = 0;
    const perSlotByDb = new Map<number, Float64Array>();
    const databases = new Set<number>();
    // The shard files of one point hold each key once between them: a key in two (a point taken while a slot moved) is
    // refused, not restored from whichever file came first. Each file's own keys are checked by its verification.
    const across = many ? new KeyDigestSet(() => tempKeyDigestSpill()) : undefined;
    const digest = newKeyDigest();
    try {
      for (const [i, source] of list.entries()) {
        const digests = new BlockDigests(options.checkBlockBytes);
        blocks.push(digests);
        let misplaced: string | undefined;
        // Decided once the header is in: whether this file's keys must be re-encoded for the target.
        let reencoding: FileReencoding | undefined | null = null;
        let reencodeProblem: string | undefined;
        const reencode = (): FileReencoding | undefined => {
          if (reencoding !== null || reader.fileVersion.version === 0) return reencoding ?? undefined;
          try {
            reencoding = FileReencoding.of(reader.fileVersion, targetServer!, options.lossy ?? new Set());
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
          // Nothing is built in this pass: a big value's bytes go by, only its name is held.
          // Nothing is built in this pass (a big value's bytes go by, only its name is held) but a key to re-encode that the
          // target may not hold exactly: it is judged here, before any write.
          wantName: (kdb, name, type) => (reencode()?.mayRefuse(type) ?? false) && selected(kdb, name),
          want: (kdb, name, size, at) => {
            keysByDb[kdb] = (keysByDb[kdb] ?? 0) + 1;
            allBytes += size;
            const matching = matches === undefined || matches(name); // the glob once per key: `selected` without a second match
            if (matching) matchingByDb[kdb] = (matchingByDb[kdb] ?? 0) + 1;
            if (matching) {
              bytesByDb.set(kdb, (bytesByDb.get(kdb) ?? 0) + size);
              if (target.cluster) {
                let perSlot = perSlotByDb.get(kdb);
                if (!perSlot) perSlotByDb.set(kdb, (perSlot = new Float64Array(CLUSTER_SLOTS)));
                perSlot[keySlot(name)]! += size + RDB_KEY_OVERHEAD_BYTES;
              }
            }
            if (ownership && !misplaced) misplaced = ownership.check(i, keySlot(name));
            if (across) {
              keyDigestOf(name, digest);
              across.add(digest[0]!, digest[1]!, digest[2]!, kdb);
            }
            return matching && kdb === db && (reencode()?.mayRefuse(at.type) ?? false);
          },
        });
        for await (const chunk of source.open()) {
          digests.update(chunk);
          for (const k of reader.push(chunk)) reencode()?.check(k);
          if (reader.error) break;
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
              writer.fail(`${named(source.location)} is refused, nothing was written: it changed while it was verified (${err.message})`);
              return result();
            }
          }
          reader.settleChecksum(crc);
        }
        digests.release();
        const report = reader.end();
        verifiedEmpty.push(reader.emptyKeyOffsets);
        files.push({ location: source.location, report });
        if (!report.ok) {
          writer.fail(
            `${named(source.location)} is refused, nothing was written: ${report.error?.message ?? 'not a valid RDB file'} (at byte ${report.error?.offset ?? 0})`,
          );
          return result();
        }
        const refusal = rdbRefusal(
          {
            version: report.version,
            valkey: report.magic === 'VALKEY',
            byType: report.byType,
            ...(report.templateHashes !== undefined ? { templateHashes: report.templateHashes } : {}),
          },
          targetServer,
        );
        reencodings.push(reencode());
        const notExpressed = reencodeProblem ?? reencodings[i]?.refusal(named(source.location));
        if (notExpressed) {
          writer.fail(reencodeProblem ? `${named(source.location)} is refused, nothing was written: ${reencodeProblem}` : notExpressed);
          return result();
        }
        // A file the target cannot read as it is goes re-encoded: only a refusal of another kind stands.
        if (refusal && !reencodings[i]) {
          writer.fail(`${named(source.location)} is refused, nothing was written: ${refusal}`);
          return result();
        }
        if (misplaced) {
          writer.fail(`the files are refused, nothing was written: ${misplaced}`);
          return result();
        }
        for (const d of report.databases) databases.add(d);
      }
      const twice = across?.findDuplicate();
      if (twice) {
        writer.fail(
          `the files are refused, nothing was written: a key of database ${twice.db} is held by two of the ${list.length} files (Redis holds a key in one shard; ` +
            `a point taken while a slot moved between shards can hold it in both, and which copy is the current one is not known). Take another recovery point`,
        );
        return result();
      }
    } finally {
      across?.dispose();
    }
    if (options.targets) {
      try {
        targets = await options.targets({ keysByDb, matchingByDb });
      } catch (err) {
        planError = err;
        throw err;
      }
    }
    const absent = [...targets.keys()].filter((d) => !databases.has(d));
    if (absent.length > 0 && files.some((f) => f.report.keys > 0)) {
      writer.fail(
        `the file${many ? 's hold' : ' holds'} no database ${absent.join(', ')} (${many ? 'they hold' : 'it holds'} ${[...databases].join(', ')}): choose one with --db`,
      );
      return result();
    }
    let total = 0;
    let bytes = 0;
    let perSlot: Float64Array | undefined = target.cluster ? new Float64Array(CLUSTER_SLOTS) : undefined;
    for (const d of targets.keys()) {
      total += matchingByDb[d] ?? 0;
      bytes += bytesByDb.get(d) ?? 0;
      const slots = perSlotByDb.get(d);
      if (perSlot && slots) perSlot = perSlot.map((n, s) => n + slots[s]!);
    }
    const usedMems = files.map((f) => Number(f.report.auxFields['used-mem']));
    const usedMem = usedMems.every((n) => Number.isFinite(n) && n > 0) ? usedMems.reduce((a, b) => a + b, 0) : undefined;
    const size = fileRestoreEstimate({ selectedKeys: total, selectedBytes: bytes, allBytes, ...(usedMem !== undefined ? { usedMem } : {}) });
    if (perSlot && size.scale !== 1) for (let s = 0; s < perSlot.length; s++) perSlot[s]! *= size.scale;
    if (!(await writer.startGuard({ bytes: size.bytes, basis: size.basis, ...(perSlot ? { perSlot } : {}) }))) {
      eviction = await writer.finish();
      return result();
    }
    if (options.targets) for (const [from, into] of targets) databasesChosen.push({ from, to: into.db });
    options.onStart?.(total);
  } catch (err) {
    if (planError !== undefined) throw err;
    writer.fail(err);
    eviction = await writer.finish();
    return result();
  }

  // Pass 2: the keys, file after file, through a window of batches in flight per database written into. A file holds
  // its databases one after another: the window changes once per database, the one before drained first.
  let window: WriteWindow | undefined;
  let windowDb: number | undefined;
  const windowFor = async (d: number): Promise<WriteWindow> => {
    if (window && d === windowDb) return window;
    await window?.drain();
    windowDb = d;
    window = writer.window(targets.get(d)!.keyspace, d);
    return window;
  };
  const batchSize = options.batchSize ?? 1000;
  const maxBatchBytes = options.batchBytes ?? BATCH_BYTES;
  let changed: FileChangedError | undefined;
  let current = '';
  const libraries = new Map<string, Buffer>();
  try {
    for (const [i, source] of list.entries()) {
      // Sources read fresh buffers (sources.ts); a big key left out is never held.
      // Every block is checked against the first read's CRC before the parser sees it: the parser reads only the keys'
      // bounds (verifiedBefore), the checks of the verification are not run again.
      const emptyKeys = verifiedEmpty[i];
      const reader = new RdbKeyReader({
        want: selected,
        wantName: selected,
        keepChunks: true,
        reread: true,
        ...(reencodings[i] ? { payloadVersion: reencodings[i].payloadVersion } : {}),
        partsFromBytes: options.partsFromBytes,
        ...(emptyKeys ? { verifiedBefore: { emptyKeys } } : {}),
      });
      current = source.location;
      const batches = readRdbBatches(source, reader, {
        batchSize,
        batchBytes: maxBatchBytes,
        digests: blocks[i]!,
        onKey: () => writer.counts.scanned++,
      });
      let writing = true;
      for await (const { keys } of batches) {
        if (writer.stopped) break;
        // Each run of keys of one database into its own; a big key's payload in parts (the file's chunks): written as they are, never joined.
        for (let from = 0, to = 0; writing && from < keys.length; from = to) {
          const d = keys[from]!.db;
          for (to = from + 1; to < keys.length && keys[to]!.db === d; ) to++;
          const re = reencodings[i];
          const batch = keys
            .slice(from, to)
            .map((k) => ({ key: k.name, payload: re ? re.payload(k) : (k.payloadParts ?? k.payload), expireAtMs: k.expireAtMs, module: k.module }));
          writing = await (await windowFor(d)).write(batch);
        }
        if (!writing) break;
      }
      await window?.drain();
      notSelected += reader.unwanted;
      // A cluster-mode recovery point holds its function libraries in every shard's file: restored once.
      for (const library of reader.functions) libraries.set(library.toString('latin1'), library);
      const second = reader.end();
      const first = files[i]?.report;
      if (!writer.stopped && second.ok && first && (second.keys !== first.keys || second.expires !== first.expires)) {
        // The second read skims by the keys' bounds (verifiedBefore): it must meet every key the verification met.
        // (No writtenUpTo: the keys went through to the file's end; which of them is wrong is not known.)
        writer.fail(
          `${named(source.location)}: the second read met ${second.keys} keys (${second.expires} with a TTL), the verification ${first.keys} (${first.expires}); ` +
            `${writer.counts.copied} keys were restored: compare the target with the file (redis-dr compare) before trusting it`,
        );
      }
      if (!writer.stopped && !second.ok) {
        // Not expected: the bytes matched the verified ones block by block. A guard, saying what was written.
        writtenUpTo = { keys: writer.counts.copied, offset: second.error?.offset ?? 0, file: source.location };
        writer.fail(
          `${named(source.location)} now fails at byte ${second.error?.offset}: ${second.error?.message}; ${writer.counts.copied} keys were restored before it, nothing after`,
        );
      }
      if (writer.stopped) break;
    }
    functions.inFile = libraries.size;
    if (!writer.stopped && options.functions && !options.dryRun && libraries.size > 0) {
      const outcomes = await restoreFunctions(target, [...libraries.values()], mode === 'replace');
      for (const [i, nodes] of outcomes.entries()) {
        for (const o of nodes) {
          if (o === 'restored') functions.restored++;
          else if (o === 'exists' && mode !== 'fail') functions.skipped++;
          else {
            functions.failed++;
            writer.fail(
              `FUNCTION RESTORE of the file's library ${i + 1} failed: ${o === 'exists' ? 'a library of that name exists on the target (--on-conflict fail)' : o.message}`,
            );
          }
        }
      }
    }
  } catch (err) {
    if (err instanceof FileChangedError) changed = err;
    else writer.fail(err);
  } finally {
    await window?.drain();
  }
  if (changed && !writer.error) {
    // Every key sent was read from verified bytes; counted now that every batch has been answered.
    writtenUpTo = { keys: writer.counts.copied, offset: changed.offset, file: current };
    writer.fail(
      `${named(current)} changed since it was verified: ${changed.message}. Nothing from byte ${changed.offset} on was written; ` +
        `${writer.counts.copied} keys were restored before it, all from verified bytes. Verify the file again (or take another recovery point) and rerun`,
    );
  }
  // After every batch sent was answered: the last sample of evicted_keys.
  eviction = await writer.finish();
  if (functions.inFile === 0) functions.inFile = Math.max(0, ...files.map((f) => f.report.functionLibraries));
  return result();
}

/** The losses of every file's re-encoding, added up. */
function lostOf(reencodings: readonly (FileReencoding | undefined)[]): Partial<Record<LossKind, number>> {
  const lost: Partial<Record<LossKind, number>> = {};
  for (const r of reencodings) for (const [k, n] of Object.entries(r?.lost ?? {}) as [LossKind, number][]) lost[k] = (lost[k] ?? 0) + n;
  return lost;
}
