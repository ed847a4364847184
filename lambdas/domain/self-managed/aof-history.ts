/**
 * The shipped history of a multi-part AOF (its layout: aof-layout.ts), and
 * what a point-in-time restore can make of it. Pure: keys and parsed
 * manifests in, decisions out.
 *
 * History: increments are ordered by `seq`; increment n+1 continues n only
 * when a manifest listed both as increments (a rewrite starting: the server
 * opens n+1 and keeps n until the rewrite ends). A base is the dataset at
 * the start of the first increment listed with it (its anchor). A restore
 * replays one base and the increments from its anchor on, each whole
 * (finished, with its end recorded) but the last.
 */
import type { AofManifest } from './aof-manifest.js';
import { coverage, describeTorn, type StoredHistory, type StoredPart, type TornPart } from './aof-layout.js';
// ---- what the shipper does with the local directory ------------------------------------

/** Roles of the files a manifest lists, for the shipper. */
export interface ManifestRoles {
  /** The increment the server appends to (the last one listed). */
  readonly active?: string;
  /** Increments the server no longer writes (all but the last; history files): ship to their end, then record it. */
  readonly finished: readonly string[];
  /** The base (shipped whole, once). */
  readonly base?: string;
}

/** Whether a history entry names a former increment (the server names them `<appendfilename>.<seq>.incr.aof`; anything else was a base). */
export function isIncrName(name: string): boolean {
  return name.endsWith('.incr.aof');
}

/** What the shipper makes of a manifest. Former bases in the history are left alone: a newer base supersedes them. */
export function manifestRoles(m: AofManifest): ManifestRoles {
  const last = m.incrs[m.incrs.length - 1];
  const finished = [...m.history.filter((h) => isIncrName(h.name)), ...m.incrs.slice(0, -1)].sort((a, b) => a.seq - b.seq).map((e) => e.name);
  return { ...(last ? { active: last.name } : {}), finished, ...(m.base ? { base: m.base.name } : {}) };
}

// ---- the history as a whole -----------------------------------------------------------

/** A base's record (files/<base>/base.json). */
export interface BaseRecord {
  /** `rdb` (aof-use-rdb-preamble yes), `aof` (commands), `rdb+aof` (an old single-file AOF with an RDB preamble). */
  readonly format: 'rdb' | 'aof' | 'rdb+aof';
  /**
   * The dataset's time, unix seconds: the last `#TS` annotation of its
   * commands, or the RDB's `ctime` when no command follows the RDB; absent
   * when it has neither, and when commands follow with no annotation before
   * them (their time is unknown: see `untimedCommands`). The base holds
   * everything done before this second ended, nothing done after.
   */
  readonly timeSeconds?: number;
  readonly bytes: number;
  readonly sha256: string;
  /** Keys in its RDB part (the verifier's count), when it has one. */
  readonly keys?: number;
  readonly rdbVersion?: number;
  /** Complete commands in its AOF part. */
  readonly commands?: number;
  /** `rdb+aof`: commands after the RDB preamble with no `#TS` annotation (Redis before 7 wrote none): the base records no time. */
  readonly untimedCommands?: number;
}

/** A stored base record that cannot be used: it does not parse, or is not a record of the layout. */
export class BaseRecordError extends Error {
  override readonly name = 'BaseRecordError';
}

/**
 * Reads a stored base record (`key` names it in messages).
 * @throws BaseRecordError when it is not valid JSON or not a base record
 */
export function parseBaseRecord(text: string, key: string): BaseRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new BaseRecordError(`${key} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const r = v as Record<string, unknown> | null;
  const bad = (why: string) => new BaseRecordError(`${key} is not a base record (${why})`);
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw bad('not an object');
  if (r.format !== 'rdb' && r.format !== 'aof' && r.format !== 'rdb+aof') throw bad(`format ${JSON.stringify(r.format)}`);
  if (!Number.isSafeInteger(r.bytes) || (r.bytes as number) < 0) throw bad(`bytes ${JSON.stringify(r.bytes)}`);
  if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) throw bad(`sha256 ${JSON.stringify(r.sha256)}`);
  for (const n of ['timeSeconds', 'keys', 'rdbVersion', 'commands', 'untimedCommands'] as const) {
    if (r[n] !== undefined && (!Number.isSafeInteger(r[n]) || (r[n] as number) < 0)) throw bad(`${n} ${JSON.stringify(r[n])}`);
  }
  return r as unknown as BaseRecord;
}

/**
 * Why a base's parts do not hold what its record says (undefined when they
 * do): the run from byte 0 must end at the record's size, and a part of the
 * whole base (as ship-aof stores it) must carry the record's SHA-256.
 */
export function baseRecordMismatch(record: BaseRecord, parts: readonly StoredPart[]): string | undefined {
  const cov = coverage(parts);
  if (cov.end !== record.bytes) return `its record gives ${record.bytes} bytes, its parts hold ${cov.end}`;
  const whole = parts.find((p) => p.start === 0 && p.end === record.bytes);
  if (whole && whole.sha256 !== record.sha256) return `its record's SHA-256 is not its part's`;
  return undefined;
}

/** Why a base records no time (for --until refusals). */
export function whyNoTime(b: HistoryBase): string {
  const r = b.record;
  if (r?.untimedCommands !== undefined)
    return `base ${b.name}: ${r.untimedCommands} commands follow its RDB preamble with no #TS annotation before them, so when they ran is unknown`;
  return `base ${b.name}: ${r?.format === 'rdb' ? 'its RDB records no ctime' : 'its commands carry no #TS annotation'}`;
}

/** One increment in the history. */
export interface HistoryIncr {
  readonly name: string;
  readonly seq: number;
  /** Bytes held from 0. */
  readonly covered: number;
  /** Recorded end (finished), when recorded. */
  readonly end?: number;
  /** Held whole: finished, and every byte up to its end held. */
  readonly complete: boolean;
  readonly nextAfterHole?: number;
  /** A torn part beyond what is held: the increment's history stops there. */
  readonly torn?: TornPart;
  /** Redis 8: its replication offset at the start, as a manifest recorded it. */
  readonly startOffset?: string;
}

/** One base in the history. */
export interface HistoryBase {
  readonly name: string;
  readonly seq: number;
  /** Seq of the first increment after it; undefined when no manifest listed one with it. */
  readonly anchor?: number;
  /** Stored whole (a part [0, bytes) with the record's size). */
  readonly stored: boolean;
  readonly record?: BaseRecord;
  /** Its stored part is torn (so it is not stored whole). */
  readonly torn?: TornPart;
}

/** The shipped history, indexed. */
export interface HistoryIndex {
  /** Oldest seq first. */
  readonly bases: readonly HistoryBase[];
  /** By seq, ascending. */
  readonly incrs: readonly HistoryIncr[];
  /** Seqs n such that increment n+1 continues n. */
  readonly links: ReadonlySet<number>;
  /** Manifests that were read. */
  readonly manifests: number;
}

/** The destination does not hold one consistent history. */
export class HistoryError extends Error {
  override readonly name = 'HistoryError';
}

/** What the destination holds of one file, as the index needs it. */
export interface HeldFile {
  /** Bytes [0, covered) are held. */
  readonly covered: number;
  /** Recorded end (the file is finished), when recorded. */
  readonly end?: number;
  /** Start of the first part after a hole, when there is one. */
  readonly nextAfterHole?: number;
  /** A base: stored whole (its part, then its record). */
  readonly baseStored: boolean;
  /** The first torn part beyond what is held (the history of the file stops there). */
  readonly torn?: TornPart;
}

/**
 * The listing, file by file. A base is whole when its record is there and
 * its parts hold the record's size; without the record read, the record's
 * presence is taken (it is written after the whole part).
 */
export function heldFiles(stored: StoredHistory, records: ReadonlyMap<string, BaseRecord> = new Map()): Map<string, HeldFile> {
  const held = new Map<string, HeldFile>();
  for (const [name, f] of stored.files) {
    const cov = coverage(f.parts);
    const record = records.get(name);
    const baseStored = f.hasBaseRecord && cov.end > 0 && (record === undefined || cov.end === record.bytes);
    const torn = f.torn.filter((t) => t.end > cov.end).sort((a, b) => a.start - b.start)[0];
    held.set(name, {
      covered: cov.end,
      ...(f.end !== undefined ? { end: f.end } : {}),
      ...(cov.nextAfterHole ? { nextAfterHole: cov.nextAfterHole.start } : {}),
      baseStored,
      ...(torn ? { torn } : {}),
    });
  }
  return held;
}

/**
 * Indexes the history from the parsed manifests (oldest first), the listing
 * and the base records read.
 * @throws HistoryError when two manifests give one file different seqs or types (two AOF lineages in one destination)
 */
export function indexHistory(manifests: readonly AofManifest[], stored: StoredHistory, records: ReadonlyMap<string, BaseRecord>): HistoryIndex {
  return indexHeld(manifests, heldFiles(stored, records), records);
}

/**
 * Indexes the history from the parsed manifests (oldest first) and what is
 * held of each file (the shipper keeps this as it stores, without listing).
 * @throws HistoryError as {@link indexHistory}
 */
export function indexHeld(manifests: readonly AofManifest[], held: ReadonlyMap<string, HeldFile>, records: ReadonlyMap<string, BaseRecord>): HistoryIndex {
  const seqOf = new Map<string, { seq: number; kind: 'base' | 'incr' }>();
  const note = (name: string, seq: number, kind: 'base' | 'incr') => {
    const known = seqOf.get(name);
    if (known && (known.seq !== seq || known.kind !== kind)) {
      throw new HistoryError(
        `${name} is ${known.kind} seq ${known.seq} in one manifest and ${kind} seq ${seq} in another: the destination holds the history of two different AOF directories (ship each to its own destination)`,
      );
    }
    seqOf.set(name, { seq, kind });
  };
  const anchors = new Map<string, number>();
  const links = new Set<number>();
  const startOffsets = new Map<string, string>();
  for (const m of manifests) {
    if (m.base) note(m.base.name, m.base.seq, 'base');
    for (const i of m.incrs) note(i.name, i.seq, 'incr');
    for (const h of m.history) {
      // History entries keep their seq; a former base is told by its name (or an earlier manifest).
      const kind = seqOf.get(h.name)?.kind ?? (isIncrName(h.name) ? 'incr' : 'base');
      note(h.name, h.seq, kind);
    }
    for (const e of [...m.incrs, ...m.history]) if (e.startOffset !== undefined) startOffsets.set(e.name, e.startOffset);
    if (m.base && m.incrs.length > 0) {
      const first = m.incrs[0]!.seq;
      const known = anchors.get(m.base.name);
      anchors.set(m.base.name, known === undefined ? first : Math.min(known, first));
    }
    for (let k = 1; k < m.incrs.length; k++) if (m.incrs[k]!.seq === m.incrs[k - 1]!.seq + 1) links.add(m.incrs[k - 1]!.seq);
  }
  const bases: HistoryBase[] = [];
  const incrs: HistoryIncr[] = [];
  for (const [name, { seq, kind }] of seqOf) {
    const file = held.get(name);
    if (kind === 'base') {
      const record = records.get(name);
      bases.push({
        name,
        seq,
        ...(anchors.has(name) ? { anchor: anchors.get(name)! } : {}),
        stored: file?.baseStored ?? false,
        ...(record ? { record } : {}),
        ...(file?.torn ? { torn: file.torn } : {}),
      });
    } else {
      const covered = file?.covered ?? 0;
      const end = file?.end;
      incrs.push({
        name,
        seq,
        covered,
        ...(end !== undefined ? { end } : {}),
        complete: end !== undefined && covered >= end,
        ...(file?.nextAfterHole !== undefined ? { nextAfterHole: file.nextAfterHole } : {}),
        ...(file?.torn ? { torn: file.torn } : {}),
        ...(startOffsets.has(name) ? { startOffset: startOffsets.get(name)! } : {}),
      });
    }
  }
  bases.sort((a, b) => a.seq - b.seq);
  incrs.sort((a, b) => a.seq - b.seq);
  return { bases, incrs, links, manifests: manifests.length };
}

/** Where a base's chain of increments stops before the newest increment, and why. */
export interface ChainBreak {
  /** The last increment of the chain (its held bytes are replayed); absent when the chain holds none. */
  readonly after?: HistoryIncr;
  /** Why the history does not go on from there. */
  readonly why: string;
}

/** A base and the increments replayed after it. */
export interface Chain {
  readonly base: HistoryBase;
  /** From the anchor on, in seq order; all but the last are complete. */
  readonly incrs: readonly HistoryIncr[];
  /** Set when the chain stops before the newest point of the history. */
  readonly break?: ChainBreak;
}

/** The chain of increments a base starts, as far as the history goes on without a gap. */
export function chainOf(index: HistoryIndex, base: HistoryBase): Chain {
  const bySeq = new Map(index.incrs.map((i) => [i.seq, i]));
  const newest = index.incrs[index.incrs.length - 1];
  const incrs: HistoryIncr[] = [];
  if (base.anchor === undefined) {
    // A base no manifest listed with an increment: only itself, and only when nothing came after.
    const later = index.incrs.length > 0;
    return later ? { base, incrs, break: { why: `no manifest lists an increment after base ${base.name}` } } : { base, incrs };
  }
  let seq = base.anchor;
  for (;;) {
    const incr = bySeq.get(seq);
    if (!incr) {
      const prev = incrs[incrs.length - 1];
      return prev
        ? { base, incrs, break: { after: prev, why: `increment seq ${seq} after ${prev.name} is unknown to the destination` } }
        : { base, incrs, break: { why: `increment seq ${seq}, the first after base ${base.name}, is unknown to the destination` } };
    }
    incrs.push(incr);
    const isNewest = incr.seq === newest?.seq;
    if (incr.torn) {
      // Also the newest increment: a restore to its end would silently leave out what the destination was trusted to hold.
      return { base, incrs, break: { after: incr, why: `${incr.name} is held up to byte ${incr.covered}, then ${describeTorn(incr.torn)}` } };
    }
    if (incr.nextAfterHole !== undefined) {
      return {
        base,
        incrs,
        break: { after: incr, why: `${incr.name} is held up to byte ${incr.covered}, then bytes ${incr.covered}-${incr.nextAfterHole} are missing` },
      };
    }
    if (isNewest) return { base, incrs };
    if (!incr.complete) {
      return {
        base,
        incrs,
        break: {
          after: incr,
          why:
            incr.end !== undefined
              ? `${incr.name} ends at byte ${incr.end} but the destination holds only ${incr.covered} bytes of it`
              : `${incr.name} was shipped up to byte ${incr.covered} and its end was never recorded (the server removed it before the shipper read the rest: was the shipper stopped during an AOF rewrite?)`,
        },
      };
    }
    if (!index.links.has(incr.seq)) {
      const next = bySeq.get(incr.seq + 1);
      return {
        base,
        incrs,
        break: {
          after: incr,
          why: next
            ? `no manifest shows ${next.name} continuing ${incr.name} (the AOF was switched off and on, or the shipper missed the rewrite's start)`
            : `increment seq ${incr.seq + 1} after ${incr.name} is unknown to the destination`,
        },
      };
    }
    seq++;
  }
}

/**
 * The chain a restore to the end uses: the newest stored base whose chain
 * reaches the newest increment; when none does, the newest stored base's
 * chain with its break; undefined when no base is stored.
 */
export function chainToEnd(index: HistoryIndex): Chain | undefined {
  const chains = index.bases
    .filter((b) => b.stored)
    .sort((a, b) => b.seq - a.seq)
    .map((b) => chainOf(index, b));
  return chains.find((c) => !c.break) ?? chains[0];
}

/** Seconds since the epoch as an ISO time without milliseconds. */
export function isoSecond(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Why a restore cannot be planned. */
export type RestoreRefusal =
  | { readonly kind: 'empty'; readonly message: string }
  | { readonly kind: 'before-oldest'; readonly message: string; readonly oldestMs: number }
  | { readonly kind: 'no-timestamps'; readonly message: string }
  | { readonly kind: 'gap'; readonly message: string };

/** The base to restore from and its chain, or why there is none. */
export type RestoreChoice = { readonly ok: true; readonly chain: Chain; readonly cutSecond?: number } | ({ readonly ok: false } & RestoreRefusal);

/**
 * Picks the base a restore starts from.
 *
 * To the end (`untilMs` undefined): the newest stored base whose chain
 * reaches the newest increment without a gap.
 *
 * To a time: the AOF records whole seconds, so the restore holds what was
 * done in the seconds before the one `untilMs` falls in (cut second C =
 * floor(untilMs / 1000)): the newest stored base whose time is before C,
 * then its increments up to the first annotation of second C or later
 * (`cutSecond`; where exactly is found by reading them). A gap met before
 * the cut is the caller's to report (the chain's `break`).
 */
export function chooseRestore(index: HistoryIndex, untilMs?: number): RestoreChoice {
  const stored = index.bases.filter((b) => b.stored);
  if (stored.length === 0) {
    const known = index.bases.map((b) => b.name);
    return {
      ok: false,
      kind: 'empty',
      message:
        known.length === 0
          ? 'the destination holds no shipped AOF history (no base file): is it a ship-aof destination?'
          : `no base file is stored whole at the destination (known: ${index.bases.map((b) => (b.torn ? `${b.name}: ${describeTorn(b.torn)}` : b.name)).join(', ')}): a restore needs one`,
    };
  }
  if (untilMs === undefined) {
    const c = chainToEnd(index)!;
    if (!c.break) return { ok: true, chain: c };
    return { ok: false, kind: 'gap', message: `the history has a gap: ${c.break.why}; restore to a time before it with --until` };
  }
  const cutSecond = Math.floor(untilMs / 1000);
  const timed = stored.filter((b) => b.record?.timeSeconds !== undefined);
  if (timed.length === 0) {
    return {
      ok: false,
      kind: 'no-timestamps',
      message: `--until needs times in the AOF: no stored base records one (${stored.map(whyNoTime).join('; ')}); an AOF base has one only with aof-timestamp-enabled yes`,
    };
  }
  const usable = timed.filter((b) => b.record!.timeSeconds! < cutSecond).sort((a, b) => b.seq - a.seq);
  if (usable.length === 0) {
    const oldest = [...timed].sort((a, b) => a.record!.timeSeconds! - b.record!.timeSeconds!)[0]!;
    const oldestMs = (oldest.record!.timeSeconds! + 1) * 1000;
    const untimedOlder = stored.filter((b) => b.seq < oldest.seq && b.record?.timeSeconds === undefined);
    return {
      ok: false,
      kind: 'before-oldest',
      oldestMs,
      message:
        `--until ${new Date(untilMs).toISOString()} is before the oldest point available, ${isoSecond(oldest.record!.timeSeconds! + 1)} (base ${oldest.name}, its dataset as of ${isoSecond(oldest.record!.timeSeconds!)}): give --until at or after it` +
        (untimedOlder.length > 0 ? `; older bases record no time, so --until cannot use them (${untimedOlder.map(whyNoTime).join('; ')})` : ''),
    };
  }
  return { ok: true, chain: chainOf(index, usable[0]!), cutSecond };
}

/** The base stored after `base` with a recorded time (the first point after a gap), if any. */
export function nextTimedBase(index: HistoryIndex, base: HistoryBase): HistoryBase | undefined {
  return index.bases.find((b) => b.seq > base.seq && b.stored && b.record?.timeSeconds !== undefined);
}
