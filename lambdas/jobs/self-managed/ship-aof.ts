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
 *    stored base whose chain of increments (lambdas/domain/self-managed/aof-history.ts,
 *    as restore-aof reads it) reaches the increment being written. A cycle
 *    is ok only then: until a base is stored (a first base still uploading,
 *    one refused as corrupt, one whose upload fails) nothing is restorable,
 *    and the cycle says why;
 * 6. after an ok cycle, rewrite the shipped-through record (at most once a
 *    minute, and on the last cycle when stopped): how far restore-aof may
 *    take the history as complete for an `--until` past its last `#TS`;
 * 7. report: the lag (now minus the newest moment everything the directory
 *    held was shipped and restorable), a node_exporter metrics file, and the
 *    heartbeat ping while the lag is within `rpoMs` (never before the first
 *    restorable moment).
 *
 * A part counts as shipped (in the bookkeeping, the lag, the metrics, the
 * heartbeat) only after the store read it back: length and SHA-256.
 *
 * On start it checks what the destination holds and resumes from there
 * (ship-aof-resume.ts). A destination that fails is retried every cycle,
 * nothing skipped. Stopping ships what is complete and returns.
 *
 * Point-in-time restore needs `#TS` annotations: when the server writes
 * commands without them (judged from the files: commands of a later second
 * than the last annotation, or from `INFO persistence` and `CONFIG GET` (one MULTI) when
 * the server is given), or AOF is off, the shipper says so, sets a metric
 * and withholds the heartbeat.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManifestFile } from '../../adapters/storage/aof-dir.js';
import type { ServerAofState } from '../../adapters/storage/aof-dir.js';
import {
  AOF_LAYOUT,
  AOF_MARKER_KEY,
  baseRecordKey,
  coverage,
  endKey,
  formatShippedThrough,
  manifestKey,
  partKey,
  readStoredHistory,
  SHIPPED_THROUGH_EVERY_MS,
  SHIPPED_THROUGH_KEY,
} from '../../domain/self-managed/aof-layout.js';
import { chainToEnd, heldFiles, HistoryError, indexHeld, manifestRoles, type BaseRecord, type HeldFile } from '../../domain/self-managed/aof-history.js';
import type { AofManifest } from '../../domain/self-managed/aof-manifest.js';
import { scanAof } from '../../domain/self-managed/aof-scan.js';

import { readDirManifest, checkBases, checkLineage, damagedParts, dropTorn, inspectBase, readStoredManifests, type ResumeContext } from './ship-aof-resume.js';
import { AnnotationWatch, baseStoredLine, CycleReporter, pitrWarnings, type ShipperState } from './ship-aof-report.js';
import {
  LineageError,
  MAX_COMMAND_PART,
  message,
  MIB,
  sha256hex,
  ShipInputError,
  type CycleReport,
  type ShipAofDeps,
  type ShipAofRequest,
  type Tracked,
} from './ship-aof-types.js';

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
  /** The moment the shipped-through record at the destination last said. */
  private recordedThroughMs?: number;
  private readonly totals = { appended: 0, uploaded: 0, parts: 0, errors: 0 };
  private baseUpload?: { name: string; done: Promise<void>; abort: AbortController };
  private lock: Promise<unknown> = Promise.resolve();
  private unwatch?: () => void;
  /** Torn parts the server no longer has the bytes of (reported every cycle). */
  private readonly tornLeft: string[] = [];
  /** When the previous cycle looked at the directory (commands shipped since were written after it). */
  private prevObservedMs?: number;
  /** The `#TS` annotations seen in the bytes shipped (point-in-time restore needs them). */
  private readonly annotations = new AnnotationWatch();
  /** The server's answer to the last `--redis` question. */
  private serverState?: ServerAofState;
  /** The base records read on start or stored since (a damaged one is not here). */
  private readonly records = new Map<string, BaseRecord>();
  /** Seq of the newest base stored whole at the destination (0: none). */
  private newestBaseSeq = 0;
  private readonly maxPart: number;

  private readonly reporter: CycleReporter;

  constructor(
    private readonly req: ShipAofRequest,
    private readonly deps: ShipAofDeps,
  ) {
    this.maxPart = req.maxPartBytes ?? 64 * MIB;
    this.reporter = new CycleReporter(req, deps);
  }

  /** What the start-up checks read and record. */
  private resumeContext(): ResumeContext {
    return { store: this.req.store, dirPath: this.req.dir.dir, tracked: this.tracked, say: this.deps.say, tornLeft: this.tornLeft, records: this.records };
  }

  /** The figures a cycle's report reads. */
  private state(): ShipperState {
    return {
      ...(this.shippedThroughMs !== undefined ? { shippedThroughMs: this.shippedThroughMs } : {}),
      totals: { ...this.totals },
      newestBaseSeq: this.newestBaseSeq,
      tornParts: this.tornLeft.length,
      timestampsMissing: this.serverState?.timestampsEnabled === false || this.annotations.untimed !== undefined,
      ...(this.serverState ? { aofEnabled: this.serverState.aofEnabled } : {}),
    };
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
    if (swept.length > 0)
      this.deps.say(
        `ship-aof: removed what a killed run left at ${this.req.store.url}: ${swept.slice(0, 3).join(', ')}${swept.length > 3 ? `, … (${swept.length})` : ''}`,
      );
    const objects = await this.req.store.objects();
    const damaged = await damagedParts(this.resumeContext(), readStoredHistory(objects));
    let stored = readStoredHistory(objects, damaged);
    for (const m of stored.manifests) this.storedManifests.add(m.sha);
    await checkLineage(this.resumeContext(), stored);
    const removed = await dropTorn(this.resumeContext(), stored);
    const tornBases = await checkBases(this.resumeContext(), stored, removed);
    if (removed.size > 0)
      stored = readStoredHistory(
        objects.filter((o) => !removed.has(o.key)),
        damaged,
      );
    for (const [name, h] of heldFiles(stored, this.records)) this.held.set(name, h);
    // A base whose record is damaged and that the server no longer has: not stored (reported every cycle).
    for (const name of tornBases) this.hold(name, { baseStored: false });
    this.storedParsed.push(...(await readStoredManifests(this.resumeContext(), stored, sha256hex(Buffer.from(manifestFile.text)).slice(0, 16))));
    if (!stored.marker) {
      const marker = {
        layout: AOF_LAYOUT,
        shipper: 'redis-dr ship-aof',
        appendFilename: manifestFile.appendFilename,
        dir: this.req.dir.dir,
        ...(this.req.host ? { host: this.req.host } : {}),
        createdAt: new Date(this.startedAtMs).toISOString(),
      };
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
        (stored.files.size === 0
          ? 'an empty destination, shipping from the start'
          : `the destination holds ${stored.files.size} files${resumed ? `; ${resumed.name} resumes at byte ${resumed.covered}` : ''}`),
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

  /** Records what the destination now holds of a file. */
  private hold(name: string, change: Partial<HeldFile>): void {
    const h: { -readonly [K in keyof HeldFile]: HeldFile[K] } = { covered: 0, baseStored: false, ...this.held.get(name), ...change };
    if (h.nextAfterHole !== undefined && h.covered >= h.nextAfterHole) delete h.nextAfterHole;
    if (h.torn !== undefined && h.covered >= h.torn.end) delete h.torn;
    this.held.set(name, h);
  }

  private async readManifest(): Promise<{ manifestFile: ManifestFile; manifest: AofManifest }> {
    const { manifestFile, manifest } = await readDirManifest(this.req.dir);
    await this.track(manifest);
    this.currentBase = manifest.base?.name;
    const sha = sha256hex(Buffer.from(manifestFile.text));
    if (!this.storedManifests.has(sha.slice(0, 16)) && !this.pendingManifests.some((p) => p.sha === sha))
      this.pendingManifests.push({ text: manifestFile.text, sha, atMs: this.deps.now(), manifest });
    return { manifestFile, manifest };
  }

  /** Opens the files a manifest names that are not open yet, and marks the ones the server no longer writes. */
  private async track(m: AofManifest): Promise<void> {
    const roles = manifestRoles(m);
    const seqOf = new Map([...(m.base ? [m.base] : []), ...m.history, ...m.incrs].map((e) => [e.name, e.seq]));
    const wanted: [string, 'base' | 'incr'][] = [
      ...(roles.base ? [[roles.base, 'base'] as [string, 'base']] : []),
      ...roles.finished.map((n) => [n, 'incr'] as [string, 'incr']),
      ...(roles.active ? [[roles.active, 'incr'] as [string, 'incr']] : []),
    ];
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
          this.deps.say(
            `ship-aof: ${name} was removed by the server before the shipper could open it: its unshipped bytes are missing from the history (restore-aof names the gap)`,
          );
        }
        continue;
      }
      this.tracked.set(name, {
        name,
        kind,
        seq: seqOf.get(name)!,
        handle,
        covered: 0,
        lastSize: 0,
        ended: false,
        finished: false,
        announced: false,
        heldBack: 0,
      });
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

  /** Closes a file's descriptor (it needs no more reading). */
  private async release(t: Tracked): Promise<void> {
    const h = t.handle;
    delete t.handle;
    await h?.close().catch(() => undefined);
  }

  /**
   * One cycle (see the module comment). Never throws: problems are in the report. `last`: the run's last cycle, which
   * rewrites the shipped-through record whenever it is ok (not only once a minute).
   */
  cycle(last = false): Promise<CycleReport> {
    return this.locked(() => this.cycleLocked(last));
  }

  private async cycleLocked(last: boolean): Promise<CycleReport> {
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
    if (observed && errors.length === 0 && restorable.ok) await this.recordThrough(observedAtMs, last).catch((err: unknown) => errors.push(message(err)));
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
      warnings: pitrWarnings(this.serverState, this.annotations.untimed, this.annotations.lastTsSecond),
      files,
    };
    this.deps.onCycle?.(report);
    return report;
  }

  /** Rewrites the shipped-through record to `observedAtMs` when it is due (the first time, a minute after the last, or `last`). */
  private async recordThrough(observedAtMs: number, last: boolean): Promise<void> {
    if (!last && this.recordedThroughMs !== undefined && observedAtMs - this.recordedThroughMs < SHIPPED_THROUGH_EVERY_MS) return;
    this.totals.uploaded += await this.req.store.replace(SHIPPED_THROUGH_KEY, formatShippedThrough(observedAtMs, this.deps.now()));
    this.recordedThroughMs = observedAtMs;
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
      return {
        ok: false,
        why: `${this.tornLeft.join('; ')}. To accept the loss, move the torn part aside and restart ship-aof (restore-aof then names the gap)`,
      };
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
      this.annotations.judge(t.name, t.covered, scan, {
        prevObservedMs: this.prevObservedMs,
        shippedThroughMs: this.shippedThroughMs,
        startedAtMs: this.startedAtMs,
      });
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
        this.deps.say(
          `ship-aof: ${t.name} ended with ${t.heldBack} bytes of a truncated last command (or a transaction without EXEC): excluded from the history, as the server's loader drops them`,
        );
      }
      await this.release(t);
    }
    return { parts, bytes };
  }

  /** Starts uploading the oldest base not stored yet, unless an upload runs. */
  private startBaseUpload(): void {
    if (this.baseUpload) return;
    const t = [...this.tracked.values()]
      .filter((b) => b.kind === 'base' && !b.baseDone && !b.baseRejected && b.handle && b.announced)
      .sort((a, b) => a.seq - b.seq)[0];
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
    const sent = await this.req.store.putStream(
      partKey(t.name, 0, size, info.record.sha256),
      tapped,
      () => {
        if (hash.digest('hex') !== info.record.sha256) throw new Error(`${t.name} changed while it was uploaded`);
      },
      signal,
    );
    this.totals.uploaded += sent;
    this.totals.uploaded += await this.req.store.put(baseRecordKey(t.name), Buffer.from(`${JSON.stringify(info.record, null, 2)}\n`));
    this.records.set(t.name, info.record);
    this.totals.appended += size;
    this.totals.parts++;
    t.covered = size;
    t.baseDone = true;
    this.hold(t.name, { covered: size, baseStored: true });
    this.deps.say(baseStoredLine(t.name, size, info.record));
    await this.release(t);
  }

  /** Waits for a base upload in progress (tests). */
  async settled(): Promise<void> {
    while (this.baseUpload) await this.baseUpload.done;
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
        // The files the start opened are closed when it ends the run here (a refused directory or destination, a stop
        // while waiting to retry): left to the garbage collector, Node closes them with a warning on stderr.
        if (err instanceof ShipInputError || err instanceof LineageError) {
          await this.stop();
          throw err;
        }
        this.deps.say(`ship-aof: cannot start (retrying in ${wait / 1000} s): ${message(err)}`);
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          await this.stop();
          return undefined;
        }
      }
    }
    try {
      while (!signal.aborted) {
        await this.reporter.report(await this.cycle(), this.state());
        try {
          await sleep(this.req.intervalMs, undefined, { signal });
        } catch {
          break;
        }
      }
      const last = await this.cycle(true);
      await this.reporter.report(last, this.state());
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
