/**
 * Key-level recovery straight from a recovery point (issue 16): the keys of
 * an RDB file written into a live server with `RESTORE … ABSTTL`, without
 * restoring a whole cluster first.
 *
 * Order of work, so a bad file writes nothing:
 * 1. the target's `INFO server` says which RDB version it reads;
 * 2. every file is verified whole (structure, every value, CRC-64; the read
 *    is read-rdb-first.ts) and its version held against the target's: a
 *    corrupt file, or one written by a newer server than the target, is
 *    refused before any key is written.
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
import { collectGarbage } from '../../adapters/host/collect-garbage.js';
import { restoreFunctions } from '../../adapters/redis/dump-restore.js';
import type { Keyspace } from '../../adapters/redis/keyspace.js';
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import { compileGlob } from '../../domain/keys/glob.js';
import { BlockDigests, FileChangedError } from '../../domain/rdb/block-digests.js';
import { noModuleLoaded } from '../../adapters/redis/module-list.js';
import { infoField, rdbRefusal, targetRdbSupport, type TargetRdbSupport } from '../../domain/rdb/format/dump-payload.js';
import { sanitizeOnlyProblem, validatesEveryValue } from '../../domain/rdb/engines.js';
import { RdbKeyReader, type RdbKey } from '../../domain/rdb/keys.js';
import { FileLibraries, type LoadEnvironment, loadEnvironmentOfInfo } from '../../domain/rdb/format/lua-load.js';
import { KeyDigestSet } from '../../domain/rdb/format/key-digests.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';
import type { CopyCounts, KeyCopyOptions } from '../../domain/keys/key-copy.js';
import { BATCH_BYTES, KeyWriter, type WriteWindow } from './writer.js';
import type { FileReencoding } from './reencode.js';
import { keyMetaProblem, type LossKind, moduleAuxProblem } from '../../domain/rdb/write/losses.js';
import { readRdbBatches, type RdbFileSource } from './read-rdb-batches.js';
import { firstRead, newKeyTally, type FirstRead, type KeyTally } from './read-rdb-first.js';
import { SlotOwnership, type ShardSet } from '../../domain/keys/shard-set.js';
import { CLUSTER_SLOTS, fileRestoreEstimate, type EvictionReport } from '../../domain/keys/eviction.js';

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
  /** @internal Payload bytes of a batch after which a full collection is made (tests make it small). @default 32 MiB (read-rdb-batches.ts) */
  readonly collectAfterBytes?: number;
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
  /** Hash fields re-encoding left out because their TTL had passed (a hash left without fields is counted in `expired`). */
  readonly expiredFields: number;
  /** Redis 8.6/8.8 streams re-encoding wrote without their IDMP data because it was empty (stream-extras.ts idmpIsEmpty): no loss, no `--lossy`. */
  readonly emptyIdmp: number;
  /** Per file, the time (ms) its re-encoding held hash field TTLs against: a hash re-encoded without them holds the fields live then (undefined: no such file). */
  readonly fieldsCutAtMs: readonly (number | undefined)[];
  /**
   * Function libraries: in the file; and with `functions`, per library and node, restored, left alone (exists) or failed.
   * `refusedOnLoad`: without `functions`, a library the target's release would refuse to run on load (lua-load.ts), named with why.
   */
  readonly functions: { inFile: number; restored: number; skipped: number; failed: number; refusedOnLoad?: string };
  /** File database → target database of each database restored, with `targets` (empty without, or when the run ended before choosing). */
  readonly databases: readonly { readonly from: number; readonly to: number }[];
  /** When the second read found a changed file: the keys restored before (all from verified bytes), and the offset in that file from which nothing was written. */
  readonly writtenUpTo?: { readonly keys: number; readonly offset: number; readonly file: string };
}

/**
 * Restores the keys of the file(s) (each read twice: verification, then the
 * restore; files in shard order) into `target`. The steps, each a method of
 * {@link RdbRestore}: verify every file, plan the databases (`targets`),
 * guard the target's memory, write the keys, restore the function libraries.
 */
export async function restoreRdbKeys(sources: RdbSources, target: Keyspace, options: RestoreRdbOptions = {}): Promise<RestoreRdbResult> {
  const run = new RdbRestore(sources, target, options);
  try {
    if (!(await run.verifyFiles())) return run.result();
  } catch (err) {
    return run.failedBeforeWriting(err);
  }
  // The caller's plan of databases, from what the verification counted: an error it throws is its refusal, thrown as it is (nothing written).
  if (options.targets) run.targets = await options.targets({ keysByDb: run.tally.keysByDb, matchingByDb: run.tally.matchingByDb });
  try {
    if (!run.judgeReencoding() || !(await run.guardMemory())) return run.result();
  } catch (err) {
    return run.failedBeforeWriting(err);
  }
  await run.writeKeys();
  // After every batch sent was answered: the last sample of evicted_keys.
  run.eviction = await run.writer.finish();
  if (run.functions.inFile === 0) run.functions.inFile = Math.max(0, ...run.files.map((f) => f.report.functionLibraries));
  return run.result();
}

/**
 * One run of {@link restoreRdbKeys}: its steps as methods, and what each
 * finds (the verification's reports, the plan, the writer's counts) kept for
 * the next and for the result. A step that refuses the run says why through
 * the writer (`writer.fail`) and returns false.
 */
class RdbRestore {
  readonly list: readonly RdbFileSource[];
  readonly set: ShardSet | undefined;
  readonly writer: KeyWriter;
  readonly started: number;
  readonly db: number;
  readonly many: boolean;
  readonly matches: ((name: Buffer) => boolean) | undefined;
  notSelected = 0;
  readonly files: { location: string; report: RdbReport }[] = [];
  /** What the verification counted of the files' keys (per database, matching or not) and their sizes. */
  readonly tally: KeyTally = newKeyTally();
  /** Per file, how its keys are re-encoded for the target (undefined: sent as they are). */
  readonly reencodings: (FileReencoding | undefined)[] = [];
  /** Per file, the CRC-64 of each 1 MiB block as verified: the second read passes on only bytes that match. */
  readonly blocks: BlockDigests[] = [];
  /** Per file, the empty keys its verification found (a second read takes them as found): undefined when too many to keep. */
  readonly verifiedEmpty: (ReadonlySet<number> | undefined)[] = [];
  eviction: EvictionReport | undefined;
  targetServer: TargetRdbSupport | undefined;
  /** What the target's library load can reach, where its release's is known (lua-load.ts). */
  targetLoads: LoadEnvironment | undefined;
  /** The target's Valkey release where it validates every value on load (domain/rdb/engines.ts validatesEveryValue), else undefined. */
  validatesAll: string | undefined;
  writtenUpTo: RestoreRdbResult['writtenUpTo'];
  readonly functions: RestoreRdbResult['functions'] = { inFile: 0, restored: 0, skipped: 0, failed: 0 };
  /** File database → where its keys go; chosen after the verification (`targets`), or `db` into `target`. */
  targets: ReadonlyMap<number, RdbTarget>;
  readonly databasesChosen: { from: number; to: number }[] = [];

  constructor(
    sources: RdbSources,
    readonly target: Keyspace,
    readonly options: RestoreRdbOptions,
  ) {
    this.list = typeof sources === 'function' ? [{ location: 'the file', open: sources }] : sources.files;
    this.set = typeof sources === 'function' ? undefined : sources.set;
    this.writer = new KeyWriter(target, options);
    this.started = this.writer.now();
    this.db = options.db ?? 0;
    this.targets = new Map([[this.db, { db: this.db, keyspace: target }]]);
    this.many = this.list.length > 1;
    this.matches = options.match === undefined ? undefined : compileGlob(options.match);
  }

  /** A file as messages name it: by its location when there are several. */
  named(location: string): string {
    return this.many ? `the file ${location}` : 'the file';
  }

  /** A key the run restores: of a database it writes, matching `match`. */
  readonly selected = (kdb: number, name: Buffer): boolean => this.targets.has(kdb) && (this.matches === undefined || this.matches(name));

  result(): RestoreRdbResult {
    const { writer } = this;
    return {
      ...writer.counts,
      seconds: (writer.now() - this.started) / 1000,
      interrupted: writer.interrupted,
      error: writer.error,
      conflict: writer.conflict,
      file: this.files[0]?.report,
      files: this.files,
      targetServer: this.targetServer,
      notSelected: this.notSelected,
      keysByDb: this.tally.keysByDb,
      matchingByDb: this.tally.matchingByDb,
      ...(this.eviction ? { eviction: this.eviction } : {}),
      digests: this.blocks,
      emptyKeys: this.verifiedEmpty,
      skippedKeys: writer.skippedKeys,
      writtenUpTo: this.writtenUpTo,
      moduleRefused: writer.moduleRefused,
      reencoded: this.reencodings.reduce((n, r) => n + (r?.reencoded ?? 0), 0),
      lost: lostOf(this.reencodings),
      expiredFields: this.reencodings.reduce((n, r) => n + (r?.expiredFields ?? 0), 0),
      emptyIdmp: this.reencodings.reduce((n, r) => n + (r?.emptyIdmp ?? 0), 0),
      fieldsCutAtMs: this.reencodings.map((r) => r?.now),
      functions: this.functions,
      databases: this.databasesChosen,
    };
  }

  /** An error before any key was written (the target unreachable, a read failing): the run ends with it. */
  async failedBeforeWriting(err: unknown): Promise<RestoreRdbResult> {
    this.writer.fail(err);
    this.eviction = await this.writer.finish();
    return this.result();
  }

  /**
   * Pass 1: the target's RDB support read, then every file verified whole
   * (and, for several, every key's hash slot held against the set, and no key
   * in two files) before any key is written. False when the files are refused.
   */
  async verifyFiles(): Promise<boolean> {
    const { writer, target, db, many, set, list, options } = this;
    if (!options.targets && target.cluster && db !== 0) {
      writer.fail(`a Redis Cluster target has only database 0; --db ${db} cannot be written to it`);
      return false;
    }
    const client = await target.clientFor(Buffer.alloc(0));
    const info = await client.info('server');
    const targetServer = targetRdbSupport(info);
    // A target with no module loaded cannot take a module value: such keys are judged before any write (reencode.ts). Where MODULE
    // LIST is refused (ElastiCache, an ACL), not known: they go as they are, and the target's refusal is counted per key.
    const noModules = await noModuleLoaded(client);
    this.targetServer = targetServer;
    this.targetLoads = loadEnvironmentOfInfo(info);
    const valkey = infoField(info, 'valkey_version');
    this.validatesAll = valkey !== undefined && validatesEveryValue({ engine: 'valkey', version: valkey }) ? valkey : undefined;
    const ownership = many && set ? new SlotOwnership(set) : undefined;
    // The shard files of one point hold each key once between them: a key in two (a point taken while a slot moved) is
    // refused, not restored from whichever file came first. Each file's own keys are checked by its verification.
    const across = many ? new KeyDigestSet(() => tempKeyDigestSpill()) : undefined;
    const shared = { tally: this.tally, ownership, across, cluster: target.cluster, matches: this.matches };
    try {
      for (const [index, source] of list.entries()) {
        const digests = new BlockDigests(options.checkBlockBytes);
        this.blocks.push(digests);
        const read = await firstRead({ ...shared, index, source, digests, targetServer, noModules, lossy: options.lossy ?? new Set() });
        if ('changed' in read) {
          writer.fail(`${this.named(source.location)} is refused, nothing was written: it changed while it was verified (${read.changed.message})`);
          return false;
        }
        this.verifiedEmpty.push(read.emptyKeys);
        this.files.push({ location: source.location, report: read.report });
        if (!this.judgeFile(source.location, read)) return false;
        for (const d of read.report.databases) this.tally.databases.add(d);
      }
      const twice = across?.findDuplicate();
      if (twice) {
        writer.fail(
          `the files are refused, nothing was written: a key of database ${twice.db} is held by two of the ${list.length} files (Redis holds a key in one shard; ` +
            `a point taken while a slot moved between shards can hold it in both, and which copy is the current one is not known). Take another recovery point`,
        );
        return false;
      }
    } finally {
      across?.dispose();
    }
    return true;
  }

  /**
   * The keys the first reads found the target cannot hold exactly, in the
   * databases the plan restores: the run is refused, naming them, before any write.
   */
  judgeReencoding(): boolean {
    for (const [i, re] of this.reencodings.entries()) {
      const refused = re?.refusal(this.named(this.list[i]!.location), (db) => this.targets.has(db));
      if (refused) {
        this.writer.fail(refused);
        return false;
      }
    }
    return true;
  }

  /**
   * A file's first read held against the target: refused when it is not a
   * whole valid file, the target cannot read it and it cannot be re-encoded
   * (or only with a loss not accepted), or a key sits outside its shard's slots.
   */
  judgeFile(location: string, read: Exclude<FirstRead, { changed: unknown }>): boolean {
    const { writer } = this;
    const { report, reencoding, reencodeProblem } = read;
    const named = this.named(location);
    if (!report.ok) {
      writer.fail(`${named} is refused, nothing was written: ${report.error?.message ?? 'not a valid RDB file'} (at byte ${report.error?.offset ?? 0})`);
      return false;
    }
    // Module data redis-dr does not carry (module AUX data, key metadata a server without its module refuses): never dropped unsaid.
    const lossy = this.options.lossy ?? new Set();
    const notCarried = moduleAuxProblem(report.moduleAux, lossy) ?? keyMetaProblem(report.moduleTypes, lossy);
    if (notCarried) {
      writer.fail(`${named} is refused, nothing was written: ${notCarried}`);
      return false;
    }
    // A target that validates every value on load (Valkey from 9.1) refuses by RESTORE what only deep sanitization refuses:
    // judged here, before any write, not met as a failed RESTORE after other keys were written.
    const deep = this.validatesAll ? sanitizeOnlyProblem(`the target (Valkey ${this.validatesAll})`, report) : undefined;
    if (deep) {
      writer.fail(`${named} is refused, nothing was written: it holds ${deep}`);
      return false;
    }
    const refusal = rdbRefusal(
      {
        version: report.version,
        valkey: report.magic === 'VALKEY',
        byType: report.byType,
        ...(report.templateHashes !== undefined ? { templateHashes: report.templateHashes } : {}),
      },
      this.targetServer!,
    );
    this.reencodings.push(reencoding);
    if (reencodeProblem) {
      writer.fail(`${named} is refused, nothing was written: ${reencodeProblem}`);
      return false;
    }
    // A file the target cannot read as it is goes re-encoded: only a refusal of another kind stands.
    if (refusal && (!reencoding || reencoding.readsVersion)) {
      writer.fail(`${named} is refused, nothing was written: ${refusal}`);
      return false;
    }
    if (read.misplaced) {
      writer.fail(`the files are refused, nothing was written: ${read.misplaced}`);
      return false;
    }
    // A library the target would refuse to run on load: with --functions, refused before FUNCTION RESTORE of any library;
    // without, said (the keys go, the libraries do not).
    const loads = this.targetLoads;
    const file = loads && new FileLibraries(loads);
    const refused = file && read.libraries.map((l) => file.refusedOnLoad(l)).find((r) => r !== undefined);
    if (refused && !this.options.functions) this.functions.refusedOnLoad ??= `function library '${refused.name}': ${refused.reason}`;
    else if (refused) {
      writer.fail(
        `${named} is refused, nothing was written: function library '${refused.name}': ${refused.reason}, and the target is ${this.targetServer!.server}: ` +
          'leave out --functions to restore the keys alone',
      );
      return false;
    }
    return true;
  }

  /**
   * Between the passes: every database planned is in the files, and the
   * selected keys fit the target (the eviction guard, from their sizes in
   * the files). False when the run is refused.
   */
  async guardMemory(): Promise<boolean> {
    const { writer, targets, files, many, options, tally } = this;
    const absent = [...targets.keys()].filter((d) => !tally.databases.has(d));
    if (absent.length > 0 && files.some((f) => f.report.keys > 0)) {
      writer.fail(
        `the file${many ? 's hold' : ' holds'} no database ${absent.join(', ')} (${many ? 'they hold' : 'it holds'} ${[...tally.databases].join(', ')}): choose one with --db`,
      );
      return false;
    }
    let total = 0;
    let bytes = 0;
    let perSlot: Float64Array | undefined = this.target.cluster ? new Float64Array(CLUSTER_SLOTS) : undefined;
    for (const d of targets.keys()) {
      total += tally.matchingByDb[d] ?? 0;
      bytes += tally.bytesByDb.get(d) ?? 0;
      const slots = tally.perSlotByDb.get(d);
      if (perSlot && slots) perSlot = perSlot.map((n, s) => n + slots[s]!);
    }
    const usedMems = files.map((f) => Number(f.report.auxFields['used-mem']));
    const usedMem = usedMems.every((n) => Number.isFinite(n) && n > 0) ? usedMems.reduce((a, b) => a + b, 0) : undefined;
    const size = fileRestoreEstimate({ selectedKeys: total, selectedBytes: bytes, allBytes: tally.allBytes, ...(usedMem !== undefined ? { usedMem } : {}) });
    if (perSlot && size.scale !== 1) for (let s = 0; s < perSlot.length; s++) perSlot[s]! *= size.scale;
    if (!(await writer.startGuard({ bytes: size.bytes, basis: size.basis, ...(perSlot ? { perSlot } : {}) }))) {
      this.eviction = await writer.finish();
      return false;
    }
    if (options.targets) for (const [from, into] of targets) this.databasesChosen.push({ from, to: into.db });
    options.onStart?.(total);
    return true;
  }

  /**
   * Pass 2: the keys, file after file, through a window of batches in flight
   * per database written into, the first file's function libraries before its
   * first key (the rest after the last file). A file
   * changed since its verification stops the run at the first block that
   * differs, saying how many keys were written before it.
   */
  async writeKeys(): Promise<void> {
    const { writer } = this;
    const windows = new WindowPerDb(writer, this.targets);
    let changed: FileChangedError | undefined;
    let current = '';
    const libraries = new Map<string, Buffer>();
    // What the verification's read left (its big keys' bytes) goes before this pass takes the first ones.
    collectGarbage();
    try {
      for (const [i, source] of this.list.entries()) {
        current = source.location;
        await this.writeFile(i, source, windows, libraries);
        if (writer.stopped) break;
      }
      await this.restoreLibraries(libraries);
    } catch (err) {
      if (err instanceof FileChangedError) changed = err;
      else writer.fail(err);
    } finally {
      await windows.drain();
    }
    if (changed?.atEnd && !writer.error) {
      // Rewritten while this read went on (sources.ts): every block read matched the verification's, but where the file
      // changed is not known, and the keys of the last batches were not sent (no writtenUpTo: no byte it stopped at).
      writer.fail(
        `${this.named(current)} was rewritten while its keys were restored (${changed.message}): ${writer.counts.copied} keys were restored, ` +
          'all from bytes that matched its verification block by block, and the run stopped before its last keys. ' +
          'Verify the file again (or take another recovery point) and rerun',
      );
    } else if (changed && !writer.error) {
      // Every key sent was read from verified bytes; counted now that every batch has been answered.
      this.writtenUpTo = { keys: writer.counts.copied, offset: changed.offset, file: current };
      writer.fail(
        `${this.named(current)} changed since it was verified: ${changed.message}. Nothing from byte ${changed.offset} on was written; ` +
          `${writer.counts.copied} keys were restored before it, all from verified bytes. Verify the file again (or take another recovery point) and rerun`,
      );
    }
  }

  /**
   * One file's second read: its selected keys, each run of one database into
   * that database's window; its function libraries kept (restored once for
   * every file); the read held against the first.
   */
  async writeFile(i: number, source: RdbFileSource, windows: WindowPerDb, libraries: Map<string, Buffer>): Promise<void> {
    const { writer, selected, options } = this;
    // Sources read fresh buffers (sources.ts); a big key left out is never held.
    // Every block is checked against the first read's CRC before the parser sees it: the parser reads only the keys'
    // bounds (verifiedBefore), the checks of the verification are not run again.
    const emptyKeys = this.verifiedEmpty[i];
    const re = this.reencodings[i];
    const reader = new RdbKeyReader({
      want: selected,
      wantName: selected,
      keepChunks: true,
      reread: true,
      // A payload re-encoded before its RESTORE is read, not sent: only those that go as they are get their CRC-64.
      ...(re ? { payloadVersion: re.payloadVersion, sealPayloads: (type: number) => re.passesAsIs(type) } : {}),
      partsFromBytes: options.partsFromBytes,
      ...(emptyKeys ? { verifiedBefore: { emptyKeys } } : {}),
    });
    const batches = readRdbBatches(source, reader, {
      batchSize: options.batchSize ?? 1000,
      batchBytes: options.batchBytes ?? BATCH_BYTES,
      collectAfterBytes: options.collectAfterBytes,
      digests: this.blocks[i]!,
      onKey: () => writer.counts.scanned++,
    });
    for await (const { keys } of batches) {
      // A file's libraries come before its first key: restored before any key is written, so a library the target
      // cannot load (a name taken with --on-conflict fail, no FUNCTION) stops the run with nothing written.
      if (libraries.size === 0 && reader.functions.length > 0) {
        for (const library of reader.functions) libraries.set(library.toString('latin1'), library);
        await this.restoreLibraries(libraries);
      }
      if (writer.stopped || !(await this.writeBatch(keys, windows, re))) break;
    }
    await windows.drain();
    this.notSelected += reader.unwanted;
    // A cluster-mode recovery point holds its function libraries in every shard's file: restored once.
    for (const library of reader.functions) libraries.set(library.toString('latin1'), library);
    this.compareReads(source.location, reader.end(), this.files[i]?.report);
  }

  /**
   * One batch of the second read, each run of keys of one database into its
   * own window; false once the writer stops. A big key's payload in parts
   * (the file's chunks) is written as they are, never joined. In a call of
   * its own: what it built is let go when it returns, not held by the
   * suspended read loop while the next batch is read.
   */
  async writeBatch(keys: readonly RdbKey[], windows: WindowPerDb, re: FileReencoding | undefined): Promise<boolean> {
    for (let from = 0, to = 0; from < keys.length; from = to) {
      const d = keys[from]!.db;
      for (to = from + 1; to < keys.length && keys[to]!.db === d; ) to++;
      const batch = keys.slice(from, to).flatMap((k) => {
        const read = re ? re.payload(k) : (k.payloadParts ?? k.payload);
        // A big key's parts in a list of the writer's own: the key's list is emptied when the next batch is read (releasePayload),
        // and a cluster's router keeps its RESTOREs until they are answered (a MOVED sends one again).
        const payload = Array.isArray(read) ? [...(read as readonly Buffer[])] : (read as Buffer | null | undefined);
        // A module value left out (--lossy module): counted by the re-encoding, not written.
        if (payload === null) return [];
        // A hash every field of which had expired is gone: counted as an expired key, not written.
        return [
          payload === undefined
            ? { key: k.name, gone: true as const }
            : { key: k.name, payload, expireAtMs: k.expireAtMs, expireAtExact: k.expireAtExact, module: k.module },
        ];
      });
      if (!(await (await windows.for(d)).write(batch))) return false;
    }
    return true;
  }

  /** The second read of a file held against its verification: it must meet the same keys, and end as cleanly. */
  compareReads(location: string, second: RdbReport, first: RdbReport | undefined): void {
    const { writer } = this;
    if (!writer.stopped && second.ok && first && (second.keys !== first.keys || second.expires !== first.expires)) {
      // The second read skims by the keys' bounds (verifiedBefore): it must meet every key the verification met.
      // (No writtenUpTo: the keys went through to the file's end; which of them is wrong is not known.)
      writer.fail(
        `${this.named(location)}: the second read met ${second.keys} keys (${second.expires} with a TTL), the verification ${first.keys} (${first.expires}); ` +
          `${writer.counts.copied} keys were restored: compare the target with the file (redis-dr compare) before trusting it`,
      );
    }
    if (!writer.stopped && !second.ok) {
      // Not expected: the bytes matched the verified ones block by block. A guard, saying what was written.
      this.writtenUpTo = { keys: writer.counts.copied, offset: second.error?.offset ?? 0, file: location };
      writer.fail(
        `${this.named(location)} now fails at byte ${second.error?.offset}: ${second.error?.message}; ${writer.counts.copied} keys were restored before it, nothing after`,
      );
    }
  }

  /** The libraries {@link restoreLibraries} restored (or tried), by their bytes: each once, whichever file held it first. */
  private readonly librariesDone = new Set<string>();

  /**
   * With `functions`, the files' libraries on every primary (`FUNCTION RESTORE`, never FLUSH), each once: the first
   * file's before its first key, any other after the last file; counted either way.
   */
  async restoreLibraries(libraries: ReadonlyMap<string, Buffer>): Promise<void> {
    const { writer, functions, options } = this;
    const mode = writer.mode;
    functions.inFile = libraries.size;
    const todo = [...libraries].filter(([text]) => !this.librariesDone.has(text));
    for (const [text] of todo) this.librariesDone.add(text);
    if (writer.stopped || !options.functions || options.dryRun || todo.length === 0) return;
    const outcomes = await restoreFunctions(
      this.target,
      todo.map(([, bytes]) => bytes),
      mode === 'replace',
    );
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
}

/**
 * The write window of the database being written into. A file holds its
 * databases one after another: the window changes once per database, the
 * one before drained first.
 */
class WindowPerDb {
  private window: WriteWindow | undefined;
  private db: number | undefined;

  constructor(
    private readonly writer: KeyWriter,
    private readonly targets: ReadonlyMap<number, RdbTarget>,
  ) {}

  async for(d: number): Promise<WriteWindow> {
    if (this.window && d === this.db) return this.window;
    await this.window?.drain();
    this.db = d;
    this.window = this.writer.window(this.targets.get(d)!.keyspace, d);
    return this.window;
  }

  async drain(): Promise<void> {
    await this.window?.drain();
  }
}

/** The losses of every file's re-encoding, added up. */
function lostOf(reencodings: readonly (FileReencoding | undefined)[]): Partial<Record<LossKind, number>> {
  const lost: Partial<Record<LossKind, number>> = {};
  for (const r of reencodings) for (const [k, n] of Object.entries(r?.lost ?? {}) as [LossKind, number][]) lost[k] = (lost[k] ?? 0) + n;
  return lost;
}
