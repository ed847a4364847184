/**
 * `redis-dr ship-aof`: ships a Redis 7+ / Valkey multi-part AOF to a
 * destination continuously, for point-in-time restore (`restore-aof`).
 *
 * Every cycle (`intervalMs`), and whenever the directory changes:
 * 1. read the manifest (refused, naming the field, when not understood);
 *    store it when it is new (before any byte of a file it introduces);
 * 2. open every file it names and keep the descriptor: an increment the
 *    server removes after a rewrite is still read to its end;
 * 3. ship the new bytes of each increment up to its last whole command
 *    (a command still being written, or a transaction without its EXEC, is
 *    held back), as parts named by their offsets with a SHA-256; an
 *    increment the server no longer writes is shipped to its end and its
 *    end recorded (a truncated last command excluded and reported);
 * 4. upload each new base whole, once, in the background (verified first:
 *    an RDB base or preamble by the RDB verifier, an AOF base by the scanner),
 *    with its record (format, time, keys);
 * 5. judge whether the destination restores to the newest command: a
 *    stored base whose chain of increments (lambdas/domain/aof-history.ts,
 *    as restore-aof reads it) reaches the increment being written. A cycle
 *    is ok only then: until a base is stored (a first base still uploading,
 *    one refused as corrupt, one whose upload fails) nothing is restorable,
 *    and the cycle says why;
 * 6. report: the lag (now minus the newest moment everything the directory
 *    held was shipped and restorable), a node_exporter metrics file, and the
 *    heartbeat ping while the lag is within `rpoMs` (never before the first
 *    restorable moment).
 *
 * A part counts as shipped (in the bookkeeping, the lag, the metrics, the
 * heartbeat) only after the store read it back: length and SHA-256.
 *
 * On start it removes what a killed run left (temporary files, unfinished
 * uploads), reads what the destination holds (its listing and manifests)
 * and checks it: every part's stored length against the one its name gives,
 * and (a folder, where files can be cut or edited after they were stored)
 * the SHA-256 of the parts of the files (increments and base) the server
 * still has; and every base record (one that does not parse, or does not
 * match its parts, makes its base torn: not stored). A torn part or base the
 * server still has the bytes of is removed and shipped again; one it has not
 * is reported every cycle (the history is not restorable across it; a
 * metric counts it). Then it resumes from there (a restart of the
 * shipper or of the server loses nothing the server still has); it refuses
 * a directory whose files differ from the shipped ones (another server's
 * history). A destination that fails is retried every cycle, nothing
 * skipped. Stopping ships what is complete and returns.
 *
 * Point-in-time restore needs `#TS` annotations: when the server writes
 * commands without them (judged from the files: commands of a later second
 * than the last annotation, or from `INFO persistence`/`CONFIG GET` when
 * the server is given), or AOF is off, the shipper says so, sets a metric
 * and withholds the heartbeat.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AofDirectory, AofFileHandle, ManifestFile } from '../adapters/aof-dir.js';
import { AofDirError, type ServerAofState } from '../adapters/aof-dir.js';
import { readStoredManifest, StoredManifestError, type AofStore } from '../adapters/aof-store.js';
import { pingHeartbeat } from '../adapters/heartbeat.js';
import { mapConcurrent } from '../adapters/retry.js';
import { writeFileAtomic } from '../adapters/textfile.js';
import {
  AOF_LAYOUT,
  AOF_MARKER_KEY,
  baseRecordKey,
  baseRecordMismatch,
  BaseRecordError,
  chainToEnd,
  coverage,
  describeTorn,
  endKey,
  heldFiles,
  HistoryError,
  indexHeld,
  manifestKey,
  isoSecond,
  manifestRoles,
  parseBaseRecord,
  partKey,
  readStoredHistory,
  type BaseRecord,
  type HeldFile,
  type StoredHistory,
} from '../domain/aof-history.js';
import { AofManifestError, parseAofManifest, type AofManifest } from '../domain/aof-manifest.js';
import { formatAofMetrics } from '../domain/aof-metrics.js';
import { AofScanner, scanAof } from '../domain/aof-scan.js';
import { createRdbVerifier } from '../domain/rdb/verifier.js';

/** What the shipper is asked to do. */
export interface ShipAofRequest {
  readonly dir: AofDirectory;
  readonly store: AofStore;
  readonly intervalMs: number;
  readonly rpoMs: number;
  /** Pinged (success) at most every `everyMs` while the lag is within `rpoMs`. */
  readonly heartbeat?: { readonly url: string; readonly everyMs: number };
  readonly metricsFile?: string;
  /** Largest part (a command larger than this makes one part of its own). @default 64 MiB */
  readonly maxPartBytes?: number;
  /** Written into the destination's marker (which host ships). */
  readonly host?: string;
}

/** The outside world of the shipper. */
export interface ShipAofDeps {
  readonly now: () => number;
  /** Log lines (stderr in the CLI). */
  readonly say: (line: string) => void;
  /** After every cycle (tests, the bench). */
  readonly onCycle?: (cycle: CycleReport) => void;
  /** After every part stored: its file, its end offset, when. */
  readonly onPart?: (file: string, end: number, atMs: number) => void;
  readonly ping?: (url: string) => Promise<string | undefined>;
  /** Asks the server about its AOF every cycle (`--redis`); a failure is said and changes nothing. */
  readonly serverState?: () => Promise<ServerAofState>;
}

/** What one cycle did. */
export interface CycleReport {
  readonly observedAtMs: number;
  readonly endedAtMs: number;
  /** Everything whole the directory held at `observedAtMs` is at the destination, and restorable from it. */
  readonly ok: boolean;
  /** Why a restore to the end would not reach the newest command (no base stored whole, a gap), when it would not. */
  readonly notRestorable?: string;
  /** The base a restore to the end would start from, when there is one. */
  readonly restoreBase?: string;
  readonly lagMs: number;
  readonly parts: number;
  readonly bytes: number;
  readonly heldBackBytes: number;
  readonly errors: readonly string[];
  /** Why the history shipped cannot serve a point-in-time restore (no #TS annotations, AOF off): the heartbeat is withheld. */
  readonly warnings: readonly string[];
  /** Bytes held at the destination per file tracked. */
  readonly files: Readonly<Record<string, number>>;
}

/** The directory or its manifest cannot be shipped (exit 2: the input is wrong). */
export class ShipInputError extends Error {
  override readonly name = 'ShipInputError';
}

/** The destination holds another directory's history (exit 1). */
export class LineageError extends Error {
  override readonly name = 'LineageError';
}

interface Tracked {
  readonly name: string;
  readonly kind: 'base' | 'incr';
  readonly seq: number;
  handle?: AofFileHandle;
  /** Bytes held at the destination from 0. */
  covered: number;
  /** Size when last looked at (for the appended-bytes count). */
  lastSize: number;
  /** Its end is recorded at the destination. */
  ended: boolean;
  /** The server no longer writes it. */
  finished: boolean;
  /** A manifest naming it is stored (its bytes may be shipped). */
  announced: boolean;
  heldBack: number;
  /** A problem that stops shipping it (reported every cycle). */
  problem?: string;
  /** Base: stored whole with its record. */
  baseDone?: boolean;
  /** Base: refused by the verifier (never uploaded). */
  baseRejected?: string;
}

const MIB = 1024 * 1024;
const MAX_COMMAND_PART = 1024 * MIB;
const QUIET_LOG_MS = 60_000;

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Formats bytes for a log line. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MIB) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / MIB).toFixed(1)} MiB`;
}

/** The shipper (see the module comment). */
export class AofShipper {
  private readonly tracked = new Map<string, Tracked>();
  private readonly storedManifests = new Set<string>();
  /** Manifests seen and not stored yet, oldest first (each one may be the only proof two increments are continuous). */
  private pendingManifests: { text: string; sha: string; atMs: number; manifest: AofManifest }[] = [];
  /** The manifests stored at the destination, parsed, oldest first. */
  private readonly storedParsed: AofManifest[] = [];
  /** What the destination holds of each file: listed on start, then kept up to date with what this shipper stores. */
  private readonly held = new Map<string, HeldFile>();
  /** The base of the newest manifest read. */
  private currentBase?: string;
  /** Finished increments that were gone before they could be opened (reported once). */
  private readonly lost = new Set<string>();
  private startedAtMs = 0;
  private shippedThroughMs?: number;
  private readonly totals = { appended: 0, uploaded: 0, parts: 0, errors: 0 };
  private baseUpload?: { name: string; done: Promise<void>; abort: AbortController };
  private lock: Promise<unknown> = Promise.resolve();
  private unwatch?: () => void;
  private lastPingMs = -Infinity;
  private lastLogMs = -Infinity;
  private lastError = '';
  private overRpo = false;
  /** Torn parts the server no longer has the bytes of (reported every cycle). */
  private readonly tornLeft: string[] = [];
  /** Newest `#TS` second seen in the bytes shipped by this run. */
  private lastTsSecond?: number;
  /** When the previous cycle looked at the directory (commands shipped since were written after it). */
  private prevObservedMs?: number;
  /** Set when commands of a second with no annotation were shipped; cleared by the next annotation. */
  private untimed?: { file: string; offset: number; second: number };
  /** The server's answer to the last `--redis` question. */
  private serverState?: ServerAofState;
  private lastWarning = '';
  /** The base records read on start or stored since (a damaged one is not here). */
  private readonly records = new Map<string, BaseRecord>();
  /** Seq of the newest base stored whole at the destination (0: none). */
  private newestBaseSeq = 0;
  private readonly maxPart: number;

  constructor(
    private readonly req: ShipAofRequest,
    private readonly deps: ShipAofDeps,
  ) {
    this.maxPart = req.maxPartBytes ?? 64 * MIB;
  }

  /** Serializes the cycle and the watcher's looks at the directory. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads the directory and the destination, checks they belong together,
   * and starts watching the directory.
   * @throws ShipInputError (not an AOF directory, a manifest not understood), LineageError, or the destination's error
   */
  async start(): Promise<void> {
    this.startedAtMs = this.deps.now();
    const { manifestFile, manifest } = await this.readManifest();
    const swept = await this.req.store.sweep();
    if (swept.length > 0) this.deps.say(`ship-aof: removed what a killed run left at ${this.req.store.url}: ${swept.slice(0, 3).join(', ')}${swept.length > 3 ? `, … (${swept.length})` : ''}`);
    const objects = await this.req.store.objects();
    const damaged = await this.damagedParts(readStoredHistory(objects));
    let stored = readStoredHistory(objects, damaged);
    for (const m of stored.manifests) this.storedManifests.add(m.sha);
    await this.checkLineage(stored);
    const removed = await this.dropTorn(stored);
    const tornBases = await this.checkBases(stored, removed);
    if (removed.size > 0) stored = readStoredHistory(objects.filter((o) => !removed.has(o.key)), damaged);
    for (const [name, h] of heldFiles(stored, this.records)) this.held.set(name, h);
    // A base whose record is damaged and that the server no longer has: not stored (reported every cycle).
    for (const name of tornBases) this.hold(name, { baseStored: false });
    this.storedParsed.push(...(await this.readStoredManifests(stored)));
    if (!stored.marker) {
      const marker = { layout: AOF_LAYOUT, shipper: 'redis-dr ship-aof', appendFilename: manifestFile.appendFilename, dir: this.req.dir.dir, ...(this.req.host ? { host: this.req.host } : {}), createdAt: new Date(this.startedAtMs).toISOString() };
      this.totals.uploaded += await this.req.store.put(AOF_MARKER_KEY, Buffer.from(`${JSON.stringify(marker, null, 2)}\n`));
    }
    // What the destination holds of each file decides where shipping resumes.
    for (const [name, f] of stored.files) {
      const t = this.tracked.get(name);
      if (!t) continue;
      t.covered = this.held.get(name)!.covered;
      t.lastSize = t.covered;
      t.ended = f.end !== undefined && t.covered >= f.end;
      t.announced = true;
      if (t.kind === 'base') t.baseDone = this.held.get(name)!.baseStored;
      if (t.kind === 'base' && t.baseDone) await this.release(t);
      if (t.ended) await this.release(t);
    }
    const inManifest = new Set(this.tracked.keys());
    const lost = [...stored.files.values()].filter((f) => f.name.endsWith('.incr.aof') && f.end === undefined && f.parts.length > 0 && !inManifest.has(f.name));
    for (const f of lost) {
      this.deps.say(
        `ship-aof: ${f.name}: the destination holds ${coverage(f.parts).end} bytes of it and the server has removed it (a rewrite while the shipper was stopped): the history after them is missing until the next base; restore-aof names this gap`,
      );
    }
    const incr = manifest.incrs[manifest.incrs.length - 1];
    const resumed = incr ? this.tracked.get(incr.name) : undefined;
    this.deps.say(
      `ship-aof: ${this.req.dir.dir} (${manifestFile.file}: ${manifest.base ? `base ${manifest.base.name}, ` : ''}${manifest.incrs.length} increment${manifest.incrs.length === 1 ? '' : 's'}) to ${this.req.store.url}: ` +
        (stored.files.size === 0 ? 'an empty destination, shipping from the start' : `the destination holds ${stored.files.size} files${resumed ? `; ${resumed.name} resumes at byte ${resumed.covered}` : ''}`),
    );
    let queued = false;
    this.unwatch = this.req.dir.watch(() => {
      if (queued) return; // one look is queued already: it will see this change too
      queued = true;
      void this.locked(() => {
        queued = false;
        return this.observe();
      }).catch(() => undefined);
    });
  }

  /**
   * Parts of the files the server still has (increments and the base) whose
   * bytes do not match the SHA-256 in their names. Read in a folder only: S3
   * checked each object's checksum when it was stored and objects do not
   * change there, while a file can be cut or edited after it was stored.
   */
  private async damagedParts(stored: StoredHistory): Promise<Set<string>> {
    const damaged = new Set<string>();
    if (!this.req.store.url.startsWith('file://')) return damaged;
    for (const t of this.tracked.values()) {
      if (!t.handle) continue;
      for (const part of stored.files.get(t.name)?.parts ?? []) {
        const hash = createHash('sha256');
        for await (const c of await this.req.store.getStream(part.key)) hash.update(c);
        if (hash.digest('hex') !== part.sha256) damaged.add(part.key);
      }
    }
    return damaged;
  }

  /**
   * Reads every stored base record: one that does not parse, or does not
   * match its parts, makes the base torn. A torn base the server still has
   * is removed (record first, then its parts; the cycles upload it again);
   * one it no longer has is reported every cycle (the keys removed are added
   * to `removed`). Resolves to the torn bases left.
   */
  private async checkBases(stored: StoredHistory, removed: Set<string>): Promise<string[]> {
    const left: string[] = [];
    for (const f of stored.files.values()) {
      if (!f.hasBaseRecord) continue;
      const key = baseRecordKey(f.name);
      let why: string | undefined;
      let unreadable = false;
      try {
        const record = parseBaseRecord((await this.req.store.get(key)).toString('utf8'), key);
        const parts = f.parts.filter((p) => !removed.has(p.key));
        // Torn parts are dropTorn's (removed and shipped again, or reported).
        const mismatch = parts.length > 0 && f.torn.length === 0 ? baseRecordMismatch(record, parts) : undefined;
        if (mismatch) why = `${key} does not match its parts (${mismatch})`;
        else this.records.set(f.name, record);
      } catch (err) {
        if (!(err instanceof BaseRecordError)) throw err;
        why = err.message;
        unreadable = true;
      }
      if (why === undefined) continue;
      const t = this.tracked.get(f.name);
      if (t?.kind === 'base' && t.handle) {
        for (const k of [key, ...f.parts.map((p) => p.key), ...f.torn.map((p) => p.key)]) {
          if (removed.has(k)) continue;
          await this.req.store.remove(k);
          removed.add(k);
        }
        this.deps.say(`ship-aof: ${this.req.store.url}: ${why}: the stored base ${f.name} is torn; removed, the server still has it: it is shipped again`);
      } else {
        const report = `${this.req.store.url}: ${why}: the stored base ${f.name} is torn and the server no longer has it: a restore cannot start from it${unreadable ? ' (restore-aof refuses the destination while this record is there)' : ''}; move files/${encodeURIComponent(f.name)}/ aside and restart ship-aof (a later base restores the newest data)`;
        this.tornLeft.push(report);
        this.deps.say(`ship-aof: ${report}`);
        left.push(f.name);
      }
    }
    return left;
  }

  /**
   * Torn parts: removed when the server's file still holds their bytes (the
   * cycles ship them again, read back), else reported. Resolves to the keys removed.
   */
  private async dropTorn(stored: StoredHistory): Promise<Set<string>> {
    const removed = new Set<string>();
    for (const f of stored.files.values()) {
      for (const torn of f.torn) {
        const t = this.tracked.get(f.name);
        const size = t?.handle ? await t.handle.size() : -1;
        if (t?.handle && size >= torn.end) {
          await this.req.store.remove(torn.key);
          removed.add(torn.key);
          this.deps.say(`ship-aof: ${f.name}: ${describeTorn(torn)}: removed; the server still has these bytes, they are shipped again`);
        } else {
          const why = `${this.req.store.url}: ${f.name}: ${describeTorn(torn)} and the server no longer has ${t?.handle ? 'these bytes' : 'the file'}: the history is not restorable across byte ${torn.start} of ${f.name} (restore-aof names it); a base stored after it restores the newest data again`;
          this.tornLeft.push(why);
          this.deps.say(`ship-aof: ${why}`);
        }
      }
    }
    return removed;
  }

  /** The manifests the destination holds, parsed; one damaged or not understood is left out (said): a restore would refuse it too. */
  private async readStoredManifests(stored: StoredHistory): Promise<AofManifest[]> {
    const read = await mapConcurrent(stored.manifests, 16, (m) =>
      readStoredManifest(this.req.store, m).catch((err: unknown) => {
        if (!(err instanceof StoredManifestError)) throw err;
        this.deps.say(`ship-aof: ${err.message}: left out when judging whether the history is restorable`);
        return undefined;
      }),
    );
    return read.filter((m): m is AofManifest => m !== undefined);
  }

  /** Records what the destination now holds of a file. */
  private hold(name: string, change: Partial<HeldFile>): void {
    const h: { -readonly [K in keyof HeldFile]: HeldFile[K] } = { covered: 0, baseStored: false, ...this.held.get(name), ...change };
    if (h.nextAfterHole !== undefined && h.covered >= h.nextAfterHole) delete h.nextAfterHole;
    if (h.torn !== undefined && h.covered >= h.torn.end) delete h.torn;
    this.held.set(name, h);
  }

  private async readManifest(): Promise<{ manifestFile: ManifestFile; manifest: AofManifest }> {
    let manifestFile: ManifestFile;
    try {
      manifestFile = await this.req.dir.readManifest();
    } catch (err) {
      if (err instanceof AofDirError) throw new ShipInputError(err.message);
      throw err;
    }
    let manifest: AofManifest;
    try {
      manifest = parseAofManifest(manifestFile.text, `${this.req.dir.dir}/${manifestFile.file}`);
    } catch (err) {
      if (err instanceof AofManifestError) throw new ShipInputError(`${err.message}: nothing shipped`);
      throw err;
    }
    await this.track(manifest);
    this.currentBase = manifest.base?.name;
    const sha = sha256hex(Buffer.from(manifestFile.text));
    if (!this.storedManifests.has(sha.slice(0, 16)) && !this.pendingManifests.some((p) => p.sha === sha)) this.pendingManifests.push({ text: manifestFile.text, sha, atMs: this.deps.now(), manifest });
    return { manifestFile, manifest };
  }

  /** Opens the files a manifest names that are not open yet, and marks the ones the server no longer writes. */
  private async track(m: AofManifest): Promise<void> {
    const roles = manifestRoles(m);
    const seqOf = new Map([...(m.base ? [m.base] : []), ...m.history, ...m.incrs].map((e) => [e.name, e.seq]));
    const wanted: [string, 'base' | 'incr'][] = [...(roles.base ? [[roles.base, 'base'] as [string, 'base']] : []), ...roles.finished.map((n) => [n, 'incr'] as [string, 'incr']), ...(roles.active ? [[roles.active, 'incr'] as [string, 'incr']] : [])];
    for (const [name, kind] of wanted) {
      const known = this.tracked.get(name);
      if (known) {
        if (known.handle && !known.problem && !(await this.req.dir.sameFile(name, known.handle))) {
          known.problem = `${name} was replaced by another file of the same name (the AOF directory was recreated?): nothing more is shipped from it; ship the new history to a new destination`;
        }
        continue;
      }
      if (this.lost.has(name)) continue;
      const handle = await this.req.dir.open(name);
      if (!handle) {
        // Removed between the manifest and the open: a finished increment's unshipped bytes are lost; anything else, a newer manifest names its successor.
        if (kind === 'incr' && name !== roles.active) {
          this.lost.add(name);
          this.deps.say(`ship-aof: ${name} was removed by the server before the shipper could open it: its unshipped bytes are missing from the history (restore-aof names the gap)`);
        }
        continue;
      }
      this.tracked.set(name, { name, kind, seq: seqOf.get(name)!, handle, covered: 0, lastSize: 0, ended: false, finished: false, announced: false, heldBack: 0 });
    }
    for (const t of this.tracked.values()) if (t.kind === 'incr' && t.name !== roles.active) t.finished = true;
  }

  /** A look at the directory (the watcher's, and each cycle's first step). */
  private async observe(): Promise<void> {
    const { manifest } = await this.readManifest();
    while (this.pendingManifests.length > 0) {
      const p = this.pendingManifests[0]!;
      this.totals.uploaded += await this.req.store.put(manifestKey(p.atMs, p.sha), Buffer.from(p.text));
      this.storedManifests.add(p.sha.slice(0, 16));
      this.storedParsed.push(p.manifest);
      this.pendingManifests.shift();
    }
    const named = new Set([...(manifest.base ? [manifest.base.name] : []), ...manifest.history.map((h) => h.name), ...manifest.incrs.map((i) => i.name)]);
    for (const t of this.tracked.values()) if (named.has(t.name)) t.announced = true;
  }

  /** Refuses a directory whose files differ from what the destination holds of them. */
  private async checkLineage(stored: StoredHistory): Promise<void> {
    for (const t of this.tracked.values()) {
      const f = stored.files.get(t.name);
      if (!f || f.parts.length === 0 || !t.handle) continue;
      const cov = coverage(f.parts);
      const size = await t.handle.size();
      const last = cov.slices[cov.slices.length - 1];
      const differs = (why: string) =>
        new LineageError(
          `${this.req.store.url} holds a different ${t.name} than ${this.req.dir.dir} (${why}): it is the history of another AOF directory (or this one was recreated). Ship to a new destination, or move the old history aside`,
        );
      if (t.kind === 'base') {
        if (cov.end !== size) throw differs(`${cov.end} bytes shipped, ${size} here`);
        continue;
      }
      if (size < cov.end) throw differs(`${cov.end} bytes shipped, only ${size} here`);
      if (last) {
        const bytes = await t.handle.read(last.part.start, last.part.end - last.part.start);
        if (sha256hex(bytes) !== last.part.sha256) throw differs(`bytes ${last.part.start}-${last.part.end} differ`);
      }
    }
  }

  /** Closes a file's descriptor (it needs no more reading). */
  private async release(t: Tracked): Promise<void> {
    const h = t.handle;
    delete t.handle;
    await h?.close().catch(() => undefined);
  }

  /** One cycle (see the module comment). Never throws: problems are in the report. */
  cycle(): Promise<CycleReport> {
    return this.locked(() => this.cycleLocked());
  }

  private async cycleLocked(): Promise<CycleReport> {
    const observedAtMs = this.deps.now();
    const errors: string[] = [];
    let parts = 0;
    let bytes = 0;
    let observed = true;
    if (this.deps.serverState) {
      try {
        this.serverState = await this.deps.serverState();
      } catch (err) {
        this.deps.say(`ship-aof: --redis: the server's AOF state not read (judged from the files only): ${message(err)}`);
      }
    }
    try {
      await this.observe();
    } catch (err) {
      observed = false;
      errors.push(message(err));
    }
    const incrs = [...this.tracked.values()].filter((t) => t.kind === 'incr').sort((a, b) => Number(b.finished) - Number(a.finished) || a.seq - b.seq);
    for (const t of incrs) {
      if (t.ended || !t.announced) continue;
      if (t.problem) {
        errors.push(t.problem);
        continue;
      }
      try {
        const r = await this.shipIncr(t);
        parts += r.parts;
        bytes += r.bytes;
      } catch (err) {
        errors.push(message(err));
        break; // the destination failed: the next cycle retries from here
      }
    }
    this.startBaseUpload();
    const restorable = this.restorable();
    const endedAtMs = this.deps.now();
    const ok = observed && errors.length === 0 && restorable.ok;
    if (ok) this.shippedThroughMs = observedAtMs;
    this.prevObservedMs = observedAtMs;
    if (!observed || errors.length > 0) this.totals.errors++;
    const files: Record<string, number> = {};
    for (const t of this.tracked.values()) files[t.name] = t.covered;
    const report: CycleReport = {
      observedAtMs,
      endedAtMs,
      ok,
      ...(restorable.ok ? { restoreBase: restorable.base } : { notRestorable: restorable.why }),
      lagMs: endedAtMs - (this.shippedThroughMs ?? this.startedAtMs),
      parts,
      bytes,
      heldBackBytes: incrs.reduce((n, t) => n + (t.ended ? 0 : t.heldBack), 0),
      errors,
      warnings: this.pitrWarnings(),
      files,
    };
    this.deps.onCycle?.(report);
    return report;
  }

  /**
   * Whether a restore to the end would reach the newest command the
   * destination holds: a stored base whose chain reaches the newest
   * increment, judged as restore-aof judges it, from what this shipper knows
   * the destination holds. Also notes the newest base stored.
   */
  private restorable(): { ok: true; base: string } | { ok: false; why: string } {
    if (this.tornLeft.length > 0) {
      // Stored bytes that were trusted are gone: not claimed restorable until someone looked (a restart after the torn part was moved aside).
      return { ok: false, why: `${this.tornLeft.join('; ')}. To accept the loss, move the torn part aside and restart ship-aof (restore-aof then names the gap)` };
    }
    let index;
    try {
      // `held` counts a base stored only when its parts and record were found sound on start, or this run stored them.
      index = indexHeld(this.storedParsed, this.held, this.records);
    } catch (err) {
      if (err instanceof HistoryError) return { ok: false, why: `${this.req.store.url} cannot be restored: ${err.message}` };
      throw err;
    }
    this.newestBaseSeq = Math.max(0, ...index.bases.filter((b) => b.stored).map((b) => b.seq));
    const chain = chainToEnd(index);
    if (chain && !chain.break) return { ok: true, base: chain.base.name };
    const why = chain ? `the history after base ${chain.base.name} stops: ${chain.break!.why}` : 'no base is stored whole';
    const t = this.currentBase !== undefined ? this.tracked.get(this.currentBase) : undefined;
    const base =
      !t || t.baseDone
        ? ''
        : t.baseRejected
          ? `; base ${t.name} was refused: ${t.baseRejected}`
          : this.baseUpload?.name === t.name
            ? `; base ${t.name} is still being uploaded`
            : `; base ${t.name} is not stored yet${t.handle ? ' (its upload failed: retried every cycle)' : ''}`;
    return { ok: false, why: `${this.req.store.url} cannot be restored to the newest commands yet: ${why}${base}` };
  }

  /** Ships an increment's new whole commands; records its end when the server no longer writes it. */
  private async shipIncr(t: Tracked): Promise<{ parts: number; bytes: number }> {
    if (!t.handle) throw new Error(`${t.name} is not open`);
    const size = await t.handle.size();
    if (size > t.lastSize) {
      this.totals.appended += size - t.lastSize;
      t.lastSize = size;
    }
    if (size < t.covered) {
      t.problem = `${t.name} is ${size} bytes, shorter than the ${t.covered} bytes already shipped: it was truncated or replaced (redis-check-aof --fix?); the shipped history is kept, nothing more of this file is shipped`;
      throw new Error(t.problem);
    }
    let parts = 0;
    let bytes = 0;
    let cap = this.maxPart;
    while (t.covered < size) {
      const want = Math.min(cap, size - t.covered);
      const buf = await t.handle.read(t.covered, want);
      const scan = scanAof(buf, { start: t.covered });
      if (scan.error && scan.safeEnd === t.covered) {
        t.problem = `${t.name} is not a valid AOF at byte ${scan.error.offset}: ${scan.error.message}; shipped up to byte ${t.covered}`;
        throw new Error(t.problem);
      }
      if (scan.safeEnd === t.covered) {
        if (want === cap && t.covered + cap < size && cap < MAX_COMMAND_PART) {
          cap *= 2; // one command larger than a part
          continue;
        }
        break; // only a command still being written
      }
      const body = buf.subarray(0, scan.safeEnd - t.covered);
      this.judgeTimestamps(t.name, t.covered, scan);
      this.totals.uploaded += await this.req.store.put(partKey(t.name, t.covered, scan.safeEnd, sha256hex(body)), body);
      this.totals.parts++;
      parts++;
      bytes += body.byteLength;
      t.covered = scan.safeEnd;
      this.hold(t.name, { covered: t.covered });
      this.deps.onPart?.(t.name, t.covered, this.deps.now());
      cap = this.maxPart;
    }
    t.heldBack = size - t.covered;
    if (t.finished) {
      const record = { end: t.covered, excludedBytes: t.heldBack, recordedAt: new Date(this.deps.now()).toISOString() };
      this.totals.uploaded += await this.req.store.put(endKey(t.name, t.covered), Buffer.from(`${JSON.stringify(record)}\n`));
      this.hold(t.name, { end: t.covered });
      t.ended = true;
      if (t.heldBack > 0) {
        this.deps.say(`ship-aof: ${t.name} ended with ${t.heldBack} bytes of a truncated last command (or a transaction without EXEC): excluded from the history, as the server's loader drops them`);
      }
      await this.release(t);
    }
    return { parts, bytes };
  }

  /**
   * Whether the server writes `#TS` annotations, from the bytes about to be
   * shipped. With aof-timestamp-enabled yes the server writes one before the
   * first command of every second, so commands with none can only be of the
   * second of the last annotation. Judged only on bytes appended after the
   * previous cycle caught up (so written after it), a second of margin for
   * the server's cached clock, and after a second of this run passed.
   */
  private judgeTimestamps(file: string, offset: number, scan: { commands: number; annotations: number; lastSecond?: number }): void {
    if (scan.annotations > 0) {
      this.lastTsSecond = Math.max(this.lastTsSecond ?? 0, scan.lastSecond ?? 0);
      this.untimed = undefined;
      return;
    }
    if (scan.commands === 0 || this.prevObservedMs === undefined || this.prevObservedMs !== this.shippedThroughMs) return;
    const writtenFrom = Math.floor(this.prevObservedMs / 1000) - 1;
    if (writtenFrom > Math.floor(this.startedAtMs / 1000) + 1 && writtenFrom > (this.lastTsSecond ?? -Infinity)) {
      this.untimed ??= { file, offset, second: writtenFrom };
    }
  }

  /** Why the shipped history cannot serve a point-in-time restore, if it cannot. */
  private pitrWarnings(): string[] {
    const out: string[] = [];
    const st = this.serverState;
    if (st && !st.aofEnabled) {
      out.push('AOF is switched off on the server (INFO persistence aof_enabled:0): nothing new is written to the AOF, so nothing new is shipped; switch it on (CONFIG SET appendonly yes, and appendonly yes in redis.conf)');
    }
    if (st?.timestampsEnabled === false) {
      out.push('the server writes no #TS annotations (CONFIG GET aof-timestamp-enabled: no): restore-aof --until cannot date the commands shipped; set aof-timestamp-enabled yes (CONFIG SET and redis.conf)');
    } else if (this.untimed) {
      out.push(
        `the server writes commands with no #TS annotation (${this.untimed.file} from byte ${this.untimed.offset}, written after ${isoSecond(this.untimed.second)} and none since ${this.lastTsSecond !== undefined ? isoSecond(this.lastTsSecond) : 'this shipper started'}): aof-timestamp-enabled is no, so restore-aof --until cannot date them (point-in-time restore impossible); set aof-timestamp-enabled yes (CONFIG SET and redis.conf)`,
      );
    }
    return out;
  }

  /** Starts uploading the oldest base not stored yet, unless an upload runs. */
  private startBaseUpload(): void {
    if (this.baseUpload) return;
    const t = [...this.tracked.values()].filter((b) => b.kind === 'base' && !b.baseDone && !b.baseRejected && b.handle && b.announced).sort((a, b) => a.seq - b.seq)[0];
    if (!t) return;
    const abort = new AbortController();
    const done = this.uploadBase(t, abort.signal)
      .catch((err) => {
        if (abort.signal.aborted) return;
        this.totals.errors++;
        this.deps.say(`ship-aof: base ${t.name} not stored yet (retried next cycle): ${message(err)}`);
      })
      .finally(() => {
        if (this.baseUpload?.done === done) this.baseUpload = undefined;
      });
    this.baseUpload = { name: t.name, done, abort };
  }

  private async uploadBase(t: Tracked, signal: AbortSignal): Promise<void> {
    const handle = t.handle!;
    const size = await handle.size();
    const info = await inspectBase(handle, size, t.name);
    if ('rejected' in info) {
      t.baseRejected = info.rejected;
      this.totals.errors++;
      this.deps.say(`ship-aof: base ${t.name} is not shipped: ${info.rejected}`);
      await this.release(t);
      return;
    }
    const hash = createHash('sha256');
    const tapped = (async function* () {
      for await (const c of handle.stream(0, size)) {
        hash.update(c);
        yield c;
      }
    })();
    const sent = await this.req.store.putStream(partKey(t.name, 0, size, info.record.sha256), tapped, () => {
      if (hash.digest('hex') !== info.record.sha256) throw new Error(`${t.name} changed while it was uploaded`);
    }, signal);
    this.totals.uploaded += sent;
    this.totals.uploaded += await this.req.store.put(baseRecordKey(t.name), Buffer.from(`${JSON.stringify(info.record, null, 2)}\n`));
    this.records.set(t.name, info.record);
    this.totals.appended += size;
    this.totals.parts++;
    t.covered = size;
    t.baseDone = true;
    this.hold(t.name, { covered: size, baseStored: true });
    const when =
      info.record.timeSeconds !== undefined
        ? `, dataset as of ${new Date(info.record.timeSeconds * 1000).toISOString()}`
        : info.record.untimedCommands !== undefined
          ? `, no time: ${info.record.untimedCommands} commands follow its RDB preamble with no #TS annotation before them (restore-aof --until cannot use it; to the end can)`
          : ', no time recorded in it';
    this.deps.say(`ship-aof: base ${t.name} stored (${formatBytes(size)}, ${info.record.format}${info.record.keys !== undefined ? `, ${info.record.keys} keys` : ''}${when})`);
    await this.release(t);
  }

  /** Waits for a base upload in progress (tests). */
  async settled(): Promise<void> {
    while (this.baseUpload) await this.baseUpload.done;
  }

  /** The metrics, the heartbeat and the log line after a cycle. */
  private async report(c: CycleReport): Promise<void> {
    const lagS = c.lagMs / 1000;
    // Before the first restorable moment there is nothing the lag can be measured from: not within.
    const restorableOnce = this.shippedThroughMs !== undefined;
    const within = restorableOnce && c.lagMs <= this.req.rpoMs;
    const now = this.deps.now();
    const progress = () => {
      const where = Object.entries(c.files)
        .filter(([n]) => n.endsWith('.incr.aof'))
        .map(([n, b]) => `${n} to byte ${b}`)
        .slice(-2)
        .join(', ');
      return `${c.parts > 0 ? `shipped ${formatBytes(c.bytes)} in ${c.parts} part${c.parts === 1 ? '' : 's'}` : 'up to date'} (${where}); lag ${lagS.toFixed(1)} s${c.heldBackBytes > 0 ? `, ${formatBytes(c.heldBackBytes)} held back` : ''}`;
    };
    const problem = c.errors.length > 0 ? c.errors.join('; ') : c.notRestorable;
    if (problem !== undefined) {
      if (problem !== this.lastError || now - this.lastLogMs >= QUIET_LOG_MS) {
        this.deps.say(
          c.errors.length > 0
            ? `ship-aof: cycle failed (retried every ${this.req.intervalMs / 1000} s, nothing skipped): ${problem}; lag ${lagS.toFixed(1)} s`
            : `ship-aof: ${progress()}; ${problem}; the heartbeat is not pinged until it can`,
        );
        this.lastLogMs = now;
      }
      this.lastError = problem;
    } else {
      if (this.lastError) this.deps.say(`ship-aof: caught up, restorable to the newest command (base ${c.restoreBase})`);
      this.lastError = '';
      if (c.parts > 0 || now - this.lastLogMs >= QUIET_LOG_MS) {
        this.deps.say(`ship-aof: ${progress()}`);
        this.lastLogMs = now;
      }
    }
    const warning = c.warnings.join('; ');
    if (warning && (warning !== this.lastWarning || now - this.lastLogMs >= QUIET_LOG_MS)) {
      this.deps.say(`ship-aof: WARNING: ${warning}; the heartbeat is not pinged until it is fixed`);
      this.lastLogMs = now;
    }
    if (!warning && this.lastWarning) this.deps.say('ship-aof: timestamps and AOF are on again: point-in-time restore is possible for what is shipped from now on');
    this.lastWarning = warning;
    const over = restorableOnce && !within;
    if (over && !this.overRpo) this.deps.say(`ship-aof: lag ${lagS.toFixed(1)} s is over --rpo ${this.req.rpoMs / 1000} s: the heartbeat is not pinged until it is back within`);
    if (within && this.overRpo) this.deps.say(`ship-aof: lag back within --rpo (${lagS.toFixed(1)} s)`);
    this.overRpo = over;
    if (this.req.metricsFile) {
      const text = formatAofMetrics({
        dir: this.req.dir.dir,
        lagSeconds: lagS,
        ...(this.shippedThroughMs !== undefined ? { shippedThroughMs: this.shippedThroughMs } : {}),
        rpoSeconds: this.req.rpoMs / 1000,
        cycleEndedMs: c.endedAtMs,
        appendedBytes: this.totals.appended,
        uploadedBytes: this.totals.uploaded,
        parts: this.totals.parts,
        errors: this.totals.errors,
        heldBackBytes: c.heldBackBytes,
        baseSeq: this.newestBaseSeq,
        cycleOk: c.ok,
        tornParts: this.tornLeft.length,
        timestampsMissing: this.serverState?.timestampsEnabled === false || this.untimed !== undefined,
        ...(this.serverState ? { aofEnabled: this.serverState.aofEnabled } : {}),
      });
      await writeFileAtomic(this.req.metricsFile, text).catch((err: unknown) => this.deps.say(`ship-aof: metrics file ${this.req.metricsFile} not written: ${message(err)}`));
    }
    // A cycle that failed (a part not stored, or not read back), or history that cannot serve --until: no success ping, whatever the lag.
    if (this.req.heartbeat && within && c.ok && !warning && now - this.lastPingMs >= this.req.heartbeat.everyMs) {
      this.lastPingMs = now;
      const problem = await (this.deps.ping ?? ((url: string) => pingHeartbeat(url, 'success', `lag ${lagS.toFixed(1)} s`)))(this.req.heartbeat.url);
      if (problem) this.deps.say(`ship-aof: ${problem}`);
    }
  }

  /** Totals since start (the bench reads them). */
  get counts(): Readonly<{ appended: number; uploaded: number; parts: number; errors: number }> {
    return { ...this.totals };
  }

  /**
   * Runs until `signal` aborts: start (retried while the destination cannot
   * be listed), then a cycle every `intervalMs`; on abort one last cycle
   * ships what is complete, a base upload in progress is abandoned (its
   * file is uploaded on the next start if the server still has it), and
   * every descriptor is closed. Resolves to the last cycle (undefined when
   * it stopped before it could start: nothing was shipped).
   * @throws ShipInputError, LineageError
   */
  async run(signal: AbortSignal): Promise<CycleReport | undefined> {
    for (let wait = 1000; ; wait = Math.min(wait * 2, 60_000)) {
      try {
        await this.start();
        break;
      } catch (err) {
        if (err instanceof ShipInputError || err instanceof LineageError) throw err;
        this.deps.say(`ship-aof: cannot start (retrying in ${wait / 1000} s): ${message(err)}`);
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return undefined;
        }
      }
    }
    try {
      while (!signal.aborted) {
        await this.report(await this.cycle());
        try {
          await sleep(this.req.intervalMs, undefined, { signal });
        } catch {
          break;
        }
      }
      const last = await this.cycle();
      await this.report(last);
      this.deps.say(
        last.ok
          ? 'ship-aof: stopped, every whole command shipped'
          : last.errors.length > 0
            ? `ship-aof: stopped, last cycle failed: ${last.errors.join('; ')}`
            : `ship-aof: stopped: ${last.notRestorable} (every whole command the directory holds is shipped)`,
      );
      return last;
    } finally {
      await this.stop();
    }
  }

  /** Stops watching, abandons a base upload in progress, closes every descriptor. */
  async stop(): Promise<void> {
    this.unwatch?.();
    this.unwatch = undefined;
    const upload = this.baseUpload;
    if (upload) {
      upload.abort.abort();
      await upload.done;
    }
    await this.locked(async () => {
      for (const t of this.tracked.values()) await this.release(t);
    });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads a base whole: its SHA-256, its format and time, and whether it is
 * sound (an RDB, or RDB preamble, through the RDB verifier; commands through
 * the scanner, whole to the last byte).
 */
async function inspectBase(handle: AofFileHandle, size: number, name: string): Promise<{ record: BaseRecord } | { rejected: string }> {
  const hash = createHash('sha256');
  const head = await handle.read(0, Math.min(size, 9));
  const isRdb = head.subarray(0, 5).toString('latin1') === 'REDIS' || head.subarray(0, 6).toString('latin1') === 'VALKEY';
  if (!isRdb) {
    const scanner = new AofScanner();
    for await (const c of handle.stream(0, size)) {
      hash.update(c);
      scanner.push(c);
    }
    const r = scanner.found;
    if (r.error) return { rejected: `not a valid AOF base at byte ${r.error.offset}: ${r.error.message}` };
    if (r.safeEnd !== size) return { rejected: `the AOF base ends with ${size - r.safeEnd} bytes of an incomplete command (the server's loader would refuse it)` };
    return { record: { format: 'aof', ...(r.lastSecond !== undefined ? { timeSeconds: r.lastSecond } : {}), bytes: size, sha256: hash.digest('hex'), commands: r.commands } };
  }
  const verifier = createRdbVerifier();
  for await (const c of handle.stream(0, size)) {
    hash.update(c);
    verifier.push(c);
  }
  const report = verifier.end();
  if (!report.ok) return { rejected: `its RDB ${report.error ? `is corrupt at byte ${report.error.offset}: ${report.error.message}` : `checksum ${report.checksum}`}` };
  const ctime = /^\d+$/.test(report.auxFields.ctime ?? '') ? Number(report.auxFields.ctime) : undefined;
  const rdbPart = { keys: report.keys, rdbVersion: report.version };
  const trailing = report.trailingBytes ?? 0;
  if (trailing === 0) {
    return { record: { format: 'rdb', ...(ctime !== undefined ? { timeSeconds: ctime } : {}), bytes: size, sha256: hash.digest('hex'), ...rdbPart } };
  }
  // An old single-file AOF with an RDB preamble: commands follow the RDB.
  const scanner = new AofScanner({ start: size - trailing });
  for await (const c of handle.stream(size - trailing, size)) scanner.push(c);
  const r = scanner.found;
  if (r.error) return { rejected: `the commands after its RDB preamble are not a valid AOF at byte ${r.error.offset}: ${r.error.message}` };
  if (r.safeEnd !== size) return { rejected: `${name} ends with ${size - r.safeEnd} bytes of an incomplete command after its RDB preamble` };
  // Commands after the preamble ran after its ctime, at a time only an annotation tells (a later one bounds those before it).
  const untimed = r.commands > 0 && r.annotations === 0;
  const time = untimed ? undefined : (r.lastSecond ?? ctime);
  return {
    record: { format: 'rdb+aof', ...(time !== undefined ? { timeSeconds: time } : {}), bytes: size, sha256: hash.digest('hex'), ...rdbPart, commands: r.commands, ...(untimed ? { untimedCommands: r.commands } : {}) },
  };
}
