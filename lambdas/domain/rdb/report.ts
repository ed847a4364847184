/**
 * What a verification of an RDB file says: the report, its verdict, the
 * checkpoint a paused verification resumes from, and the verifier's states.
 * Types only (and the verdict rule), so the parser that fills them and the
 * verifier that is its public face both import this module and not each other.
 */

/**
 * What a warning says Redis does with the file:
 * - `sanitize-only`: Redis loads it; only `sanitize-dump-payload yes` (deep
 *   sanitization, redis-check-rdb) refuses it (a duplicate field in a small
 *   hash, an intset out of order, a pending entry no consumer owns);
 * - `server-held`: Redis loads it, with deep sanitization too: a server
 *   wrote it so (a live stream entry below its node's ID, Redis before 7.2);
 * - `load-time`: Redis loads it or refuses it depending on when (a stream's
 *   idempotent producer twice: loaded once the first one's entries expired).
 */
export const RDB_WARNING_KINDS = ['sanitize-only', 'server-held', 'load-time'] as const;
export type RdbWarningKind = (typeof RDB_WARNING_KINDS)[number];

/** Warnings counted by {@link RdbWarningKind}. */
export type WarningKinds = Readonly<Partial<Record<RdbWarningKind, number>>>;

/** Outcome of the CRC-64 trailer check. */
export type ChecksumStatus = 'ok' | 'mismatch' | 'absent';

/** What the verifier found in one RDB file. */
export interface RdbReport {
  /** True when the whole file parsed and the checksum was not a mismatch (nor absent when one is required). */
  readonly ok: boolean;
  /** RDB format version from the header (0 when the header was unreadable). */
  readonly version: number;
  /** `VALKEY` for Valkey 9's magic (version 80 on); absent for `REDIS`. */
  readonly magic?: 'VALKEY';
  /** `absent` for versions before 5 or an all-zero trailer (rdbchecksum no); a failure instead with `requireChecksum`. */
  readonly checksum: ChecksumStatus;
  /**
   * Keys a restore loads (already expired ones included, as redis-check-rdb
   * counts them); not the empty keys (see `emptyKeys`).
   */
  readonly keys: number;
  /**
   * Keys (counted in `keys`) whose expiry had passed when the file was
   * written, per its `ctime` AUX field: a server loading the file as a
   * primary drops them. Absent when none (or the file has no `ctime`).
   */
  readonly expiredKeys?: number;
  /**
   * When the keys with an expiry expire: an expiry histogram in its text form
   * (domain/rdb/expiry-histogram.ts) based at the file's `ctime`, every key with an expiry
   * counted (the already expired ones in its first bucket). Absent when no
   * key has an expiry, or the file has no `ctime` to base it on.
   */
  readonly expiryHistogram?: string;
  /** Keys whose collection holds no element: Redis and Valkey skip them on load. Absent when none. */
  readonly emptyKeys?: number;
  /**
   * Module values by module type name (e.g. `ReJSON-RL`), and keys carrying Redis 8.6 key metadata of a class a server
   * without its module refuses (as `META-<class>`): the restore server must load those modules. Absent when none.
   */
  readonly moduleTypes?: Readonly<Record<string, number>>;
  /** Modules whose AUX data (MODULE_AUX) the file carries: Redis refuses the file unless they are loaded. Absent when none. */
  readonly moduleAux?: readonly string[];
  /**
   * Keys carrying Redis 8.6 key metadata of a class a server without its module may skip (ALLOW_IGNORE), per class name:
   * no module is needed to load the file, but a conversion or restore leaves that metadata out. Absent when none.
   */
  readonly ignorableKeyMeta?: Readonly<Record<string, number>>;
  /**
   * Hash keys whose field names are a template of the file (Redis 8.10, RDB
   * types 30 and 32): they load only with the file's templates, so no RESTORE
   * payload of them stands alone. Absent when none.
   */
  readonly templateHashes?: number;
  /** Keys that carried an expire time. */
  readonly expires: number;
  /** Database numbers selected in the file, in order of appearance. */
  readonly databases: readonly number[];
  /**
   * Keys per database number (`{"0": 147000, "3": 53000}`), ascending; absent when the verification resumed from a
   * checkpoint (the keys before it were not counted by database).
   */
  readonly keysByDb?: Readonly<Record<string, number>>;
  /** Keys per Redis type name (`string`, `list`, `set`, `zset`, `hash`, `stream`, `module`). */
  readonly byType: Readonly<Record<string, number>>;
  /** The RDB value type bytes of its keys, ascending (what loads it: engines.ts requiredFormat); absent when resumed from a checkpoint that did not keep them. */
  readonly rdbTypes?: readonly number[];
  /** AUX fields (`redis-ver`, `ctime`, `used-mem`, …); values longer than 1024 characters are cut. */
  readonly auxFields: Readonly<Record<string, string>>;
  /** Function libraries (FUNCTION2 opcodes) stored in the file. */
  readonly functionLibraries: number;
  /**
   * Each release whose load is known (lua-load.ts judgedReleases, by `--for` name) that certainly refuses to run one of
   * the file's libraries on load, with the first such refusal in its words (engines.ts leaves it out of the releases
   * that load the file). Absent when none (or when the libraries were read before a checkpoint this read resumed from).
   */
  readonly libraryRefusals?: Readonly<Record<string, string>>;
  /**
   * Valkey 9 atomic slot migrations this node was importing when it saved
   * (opcode 243 in `VALKEY` files): the keys of those slots are in the file
   * and counted; a node loading it resumes tracking the imports. At most 16
   * kept, `slotImportJobs` counts them all. Absent when none.
   */
  readonly slotImports?: readonly SlotImport[];
  readonly slotImportJobs?: number;
  /** Bytes after the end of the file (EOF opcode and checksum): ignored, as Redis ignores them. Absent when none. */
  readonly trailingBytes?: number;
  /**
   * What Redis loads with default settings though the file is not as a
   * server keeps it: the file is still `ok`. Each says what Redis does with
   * it (its kind: {@link RdbWarningKind}). At most 20 kept; `warningCount`
   * counts them all, `warningKinds` each kind. Absent when none.
   */
  readonly warnings?: readonly { readonly offset: number; readonly message: string }[];
  readonly warningCount?: number;
  /** The warnings of each kind, all of them counted (absent kinds: none). */
  readonly warningKinds?: WarningKinds;
  /**
   * Collections too large for the exact duplicate check (more than 2^20
   * members) were checked on a sample: a duplicate pair in them is found
   * with at least `minDetectionProbability`. Absent when every check was exact.
   */
  readonly duplicateCheck?: { readonly sampledCollections: number; readonly minDetectionProbability: number };
  /**
   * The check for a key stored twice in one database (format/key-digests.ts)
   * when it did not cover the whole file exactly: `fromOffset` > 0 when the
   * verification resumed there from a checkpoint: only the keys from there
   * on were looked for (a run that pauses checks none of its keys, and no
   * checkpoint carries digests, so a key stored twice before the last
   * checkpoint is not found here: the DR verifier completes it from the copy's key index,
   * jobs/dr-copies/copy-key-index.ts duplicatesOverAll); `detectionProbability` < 1 when it ran out of memory without a
   * spill and kept a sample. Absent when the check was exact over the
   * whole file.
   */
  readonly duplicateKeyCheck?: { readonly fromOffset: number; readonly detectionProbability: number };
  /**
   * The file selects a database beyond the usual 16 (`databases 16`, the
   * default and ElastiCache's): only a server configured with at least this
   * many databases loads it (Redis refuses it otherwise: "Data file was
   * created with a Redis server configured to handle more than N
   * databases"). A valid file still: not corrupt. Absent when 16 do.
   */
  readonly needsDatabases?: number;
  /** First problem found: `offset` is the number of bytes consumed when it was detected. */
  readonly error?: { readonly offset: number; readonly message: string };
  /**
   * The verification itself failed (its spill folder out of space, a digest not read back): `error` says why, and it is
   * no verdict on the file. Callers report an error of the run (exit 1 with the cause), never CORRUPT. Absent otherwise.
   */
  readonly verifierFailure?: true;
  /**
   * The file is in a format this verifier does not know (a newer RDB
   * version, a type or envelope it cannot read): it was not judged, so it is
   * neither valid nor corrupt (`ok` is false, `error` says where and why).
   * Absent otherwise.
   */
  readonly unsupported?: { readonly version: number; readonly writtenBy: string };
}

/** One slot import in progress when the file was saved (Valkey 9, opcode 243). */
export interface SlotImport {
  /** The migration job's id (40 hex characters). */
  readonly job: string;
  /** Its slot ranges, first and last slot; at most 32 kept, `rangeCount` counts them all. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly rangeCount: number;
}

/** What a report says about the file: `ok`, `corrupt`, or `unsupported` (a format this verifier cannot judge). */
export type RdbVerdict = 'ok' | 'corrupt' | 'unsupported';

/** The verdict of a report: an unsupported format is never `ok`, and never `corrupt` either. */
export function rdbVerdict(report: Pick<RdbReport, 'ok' | 'unsupported'>): RdbVerdict {
  return report.ok ? 'ok' : report.unsupported ? 'unsupported' : 'corrupt';
}

/**
 * Where a paused verification stopped, and everything it had found up to
 * there: enough to continue in another process (a later Lambda invocation)
 * with one verdict and one set of counts for the whole file. Plain JSON
 * (a Step Functions state carries it), a few KB at most: AUX values are cut
 * at 1024 characters and at most 20 warnings are kept.
 *
 * A checkpoint is only ever taken at a boundary between two top-level
 * entries (keys, AUX fields, SELECTDB, …), where no collection is open: the
 * per-collection state (duplicate tables, stream PELs) is empty there, so
 * nothing large needs saving.
 */
export interface RdbCheckpoint {
  /** Layout of this record; another layout is refused on resume. */
  readonly format: 1;
  /** Bytes of the file consumed: the next read starts here. */
  readonly offset: number;
  /** CRC-64 of bytes [0, offset), 16 hex digits. */
  readonly crc: string;
  /** Whether the verification requires a checksum (must match on resume). */
  readonly requireChecksum: boolean;
  readonly version: number;
  readonly valkey: boolean;
  readonly keys: number;
  readonly expires: number;
  readonly expiredKeys: number;
  /** Keys with an expiry per expiry-grid bucket; added later: absent in older checkpoints (the report then has no histogram). */
  readonly expiryCounts?: readonly number[];
  /** Keys with an expiry not in `expiryCounts`. */
  readonly expiryUnbased?: number;
  readonly emptyKeys: number;
  /** The file's `ctime` in ms, -1 when not (yet) seen. */
  readonly fileTimeMs: number;
  /** An EXPIRETIME opcode read, its key not yet: the expiry applies to the next key. */
  readonly pendingExpireMs?: number;
  readonly moduleTypes: Readonly<Record<string, number>>;
  /** Added after the first checkpoints were written: absent in those (none). */
  readonly moduleAux?: readonly string[];
  /** Added later: absent in older checkpoints, and when none. */
  readonly ignorableKeyMeta?: Readonly<Record<string, number>>;
  readonly databases: readonly number[];
  /**
   * The database selected at the checkpoint; added later: absent in older checkpoints (then the last of `databases`,
   * which a server's file, selecting each database once, ascending, has selected last).
   */
  readonly db?: number;
  /** Keys per database filed up to the checkpoint; absent in checkpoints taken before they were counted (then the report has none). */
  readonly keysByDb?: Readonly<Record<string, number>>;
  /** Keys per type, in order of first appearance. */
  readonly byType: Readonly<Record<string, number>>;
  /** Added with the engines' judgement by type: the RDB value type bytes read so far (absent in older checkpoints: unknown). */
  readonly rdbTypes?: readonly number[];
  readonly auxFields: Readonly<Record<string, string>>;
  readonly functionLibraries: number;
  /** Added with the library name check: the names of the libraries before the checkpoint (absent: none, or an older checkpoint). */
  readonly functionLibraryNames?: readonly string[];
  /** Added with Valkey 9's slot import state: absent in older checkpoints (none). */
  readonly slotImports?: readonly SlotImport[];
  readonly slotImportJobs?: number;
  /** Added with Redis 8.10's hash templates: keys that reference them (absent: none). */
  readonly templateHashes?: number;
  /** Added with Redis 8.10's hash templates: each template's id and field count (keys after the checkpoint reference them); absent when none. */
  readonly hashTemplates?: readonly (readonly [id: number, fields: number])[];
  readonly warnings: readonly { readonly offset: number; readonly message: string }[];
  readonly warningCount: number;
  /** Added with the warnings' kinds: absent in older checkpoints (their warnings then counted under none). */
  readonly warningKinds?: WarningKinds;
  readonly sampledCollections: number;
  readonly minDetectionProbability: number;
}

/**
 * Where a verifier stands: `reading` wants more bytes; `paused` stopped at a
 * checkpoint ({@link RdbVerifier.pause}); `failed` found a problem (more bytes
 * change nothing); `done` read the EOF opcode and trailer (later bytes are
 * only counted as trailing).
 */
export type RdbVerifierState = 'reading' | 'paused' | 'failed' | 'done';

/** The RDB value type bytes marked in `seen` (ParseState.rdbTypesSeen), ascending; undefined when not kept. */
export function typesSeen(seen: Uint8Array | undefined): number[] | undefined {
  return seen && [...seen.keys()].filter((t) => seen[t] === 1);
}

/** Databases or modules a line a person reads names; the others counted ({@link namedFirst}). */
export const NAMED_ON_A_LINE = 16;

/**
 * The first {@link NAMED_ON_A_LINE} of `parts` joined by `sep`, then how many more (`… 129984 more databases`): what
 * verify-rdb's and serve's lines say of a file's databases and modules. A file may hold keys in 130,000 databases (a
 * server configured with as many loads it), or a crafted one name 300,000 modules: a line of each was megabytes. The
 * JSON reports list every one.
 */
export function namedFirst(parts: readonly string[], sep: string, noun: string): string {
  if (parts.length <= NAMED_ON_A_LINE) return parts.join(sep);
  const more = parts.length - NAMED_ON_A_LINE;
  return `${parts.slice(0, NAMED_ON_A_LINE).join(sep)}${sep}… ${more} more ${noun}${more === 1 ? '' : 's'}`;
}

/** The slot ranges a file saved during a Valkey atomic slot migration was importing, and in how many jobs: `0-99 5000-16383 in 1 job(s)`. */
export function slotImportRanges(report: Pick<RdbReport, 'slotImports' | 'slotImportJobs'>): string {
  const imports = report.slotImports ?? [];
  const shown = imports.flatMap((i) => i.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)));
  const more = imports.some((i) => i.rangeCount > i.ranges.length) || (report.slotImportJobs ?? 0) > imports.length;
  return `${shown.join(' ')}${more ? ' …' : ''} in ${report.slotImportJobs} job(s)`;
}
