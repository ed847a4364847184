/**
 * `redis-dr ship-aof` on start: what the destination holds, checked before
 * shipping resumes — parts whose bytes no longer match their names, torn
 * parts and bases (removed and shipped again when the server still has the
 * bytes, else reported every cycle), another directory's history (refused),
 * the stored manifests — and how a base is judged before it is uploaded.
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
 * history).
 */
import { createHash } from 'node:crypto';
import { AofDirError, type AofDirectory, type AofFileHandle, type ManifestFile } from '../../adapters/storage/aof-dir.js';
import { readStoredManifest, StoredManifestError, type AofStore } from '../../adapters/storage/aof-store.js';
import { mapConcurrent } from '../../adapters/aws/retry.js';
import { baseRecordKey, coverage, describeTorn, type StoredHistory } from '../../domain/self-managed/aof-layout.js';
import { baseRecordMismatch, BaseRecordError, parseBaseRecord, type BaseRecord } from '../../domain/self-managed/aof-history.js';
import { AofManifestError, parseAofManifest, type AofManifest } from '../../domain/self-managed/aof-manifest.js';
import { AofScanner } from '../../domain/self-managed/aof-scan.js';
import { createRdbVerifier } from '../../domain/rdb/verifier.js';
import { LineageError, sha256hex, ShipInputError, type Tracked } from './ship-aof-types.js';

/** The shipper's state the start-up checks read and record. */
export interface ResumeContext {
  readonly store: AofStore;
  /** The AOF directory's path, for messages. */
  readonly dirPath: string;
  readonly tracked: ReadonlyMap<string, Tracked>;
  readonly say: (line: string) => void;
  /** Torn history the server no longer has: reported every cycle. */
  readonly tornLeft: string[];
  /** The base records read from the destination. */
  readonly records: Map<string, BaseRecord>;
}

/**
 * Parts of the files the server still has (increments and the base) whose
 * bytes do not match the SHA-256 in their names. Read in a folder only: S3
 * checked each object's checksum when it was stored and objects do not
 * change there, while a file can be cut or edited after it was stored.
 */
export async function damagedParts(ctx: ResumeContext, stored: StoredHistory): Promise<Set<string>> {
  const damaged = new Set<string>();
  if (!ctx.store.url.startsWith('file://')) return damaged;
  for (const t of ctx.tracked.values()) {
    if (!t.handle) continue;
    for (const part of stored.files.get(t.name)?.parts ?? []) {
      const hash = createHash('sha256');
      for await (const c of await ctx.store.getStream(part.key)) hash.update(c);
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
export async function checkBases(ctx: ResumeContext, stored: StoredHistory, removed: Set<string>): Promise<string[]> {
  const left: string[] = [];
  for (const f of stored.files.values()) {
    if (!f.hasBaseRecord) continue;
    const key = baseRecordKey(f.name);
    let why: string | undefined;
    let unreadable = false;
    try {
      const record = parseBaseRecord((await ctx.store.get(key)).toString('utf8'), key);
      const parts = f.parts.filter((p) => !removed.has(p.key));
      // Torn parts are dropTorn's (removed and shipped again, or reported).
      const mismatch = parts.length > 0 && f.torn.length === 0 ? baseRecordMismatch(record, parts) : undefined;
      if (mismatch) why = `${key} does not match its parts (${mismatch})`;
      else ctx.records.set(f.name, record);
    } catch (err) {
      if (!(err instanceof BaseRecordError)) throw err;
      why = err.message;
      unreadable = true;
    }
    if (why === undefined) continue;
    const t = ctx.tracked.get(f.name);
    if (t?.kind === 'base' && t.handle) {
      for (const k of [key, ...f.parts.map((p) => p.key), ...f.torn.map((p) => p.key)]) {
        if (removed.has(k)) continue;
        await ctx.store.remove(k);
        removed.add(k);
      }
      ctx.say(`ship-aof: ${ctx.store.url}: ${why}: the stored base ${f.name} is torn; removed, the server still has it: it is shipped again`);
    } else {
      const report = `${ctx.store.url}: ${why}: the stored base ${f.name} is torn and the server no longer has it: a restore cannot start from it${unreadable ? ' (restore-aof refuses the destination while this record is there)' : ''}; move files/${encodeURIComponent(f.name)}/ aside and restart ship-aof (a later base restores the newest data)`;
      ctx.tornLeft.push(report);
      ctx.say(`ship-aof: ${report}`);
      left.push(f.name);
    }
  }
  return left;
}

/**
 * Torn parts: removed when the server's file still holds their bytes (the
 * cycles ship them again, read back), else reported. Resolves to the keys removed.
 */
export async function dropTorn(ctx: ResumeContext, stored: StoredHistory): Promise<Set<string>> {
  const removed = new Set<string>();
  for (const f of stored.files.values()) {
    for (const torn of f.torn) {
      const t = ctx.tracked.get(f.name);
      const size = t?.handle ? await t.handle.size() : -1;
      if (t?.handle && size >= torn.end) {
        await ctx.store.remove(torn.key);
        removed.add(torn.key);
        ctx.say(`ship-aof: ${f.name}: ${describeTorn(torn)}: removed; the server still has these bytes, they are shipped again`);
      } else {
        const why = `${ctx.store.url}: ${f.name}: ${describeTorn(torn)} and the server no longer has ${t?.handle ? 'these bytes' : 'the file'}: the history is not restorable across byte ${torn.start} of ${f.name} (restore-aof names it); a base stored after it restores the newest data again`;
        ctx.tornLeft.push(why);
        ctx.say(`ship-aof: ${why}`);
      }
    }
  }
  return removed;
}

/**
 * The manifests the destination holds, parsed. One damaged or not understood
 * makes restore-aof refuse the whole destination, so it is not left to sit
 * there while the cycles say "restorable": a damaged copy of the server's
 * current manifest (`currentSha`, the 16 hex its key names) is removed (the
 * first cycle stores the manifest again); any other is reported every cycle
 * (`tornLeft`), naming the key to move aside.
 */
export async function readStoredManifests(ctx: ResumeContext, stored: StoredHistory, currentSha: string): Promise<AofManifest[]> {
  const read = await mapConcurrent(stored.manifests, 16, (m) =>
    readStoredManifest(ctx.store, m).catch(async (err: unknown) => {
      if (!(err instanceof StoredManifestError)) throw err;
      if (err.kind === 'corrupt' && m.sha === currentSha) {
        await ctx.store.remove(m.key);
        ctx.say(`ship-aof: ${err.message}: removed; the server's manifest is stored again`);
        return undefined;
      }
      const why = `${err.message}, so restore-aof refuses ${ctx.store.url} while it is there; move ${m.key} aside and restart ship-aof (a link between increments only it recorded is then a gap, which restore-aof names)`;
      ctx.tornLeft.push(why);
      ctx.say(`ship-aof: ${why}`);
      return undefined;
    }),
  );
  return read.filter((m): m is AofManifest => m !== undefined);
}

/** Refuses a directory whose files differ from what the destination holds of them. */
export async function checkLineage(ctx: ResumeContext, stored: StoredHistory): Promise<void> {
  for (const t of ctx.tracked.values()) {
    const f = stored.files.get(t.name);
    if (!f || f.parts.length === 0 || !t.handle) continue;
    const cov = coverage(f.parts);
    const size = await t.handle.size();
    const last = cov.slices[cov.slices.length - 1];
    const differs = (why: string) =>
      new LineageError(
        `${ctx.store.url} holds a different ${t.name} than ${ctx.dirPath} (${why}): it is the history of another AOF directory (or this one was recreated). Ship to a new destination, or move the old history aside`,
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

/**
 * Reads a base whole: its SHA-256, its format and time, and whether it is
 * sound (an RDB, or RDB preamble, through the RDB verifier; commands through
 * the scanner, whole to the last byte).
 */
export async function inspectBase(handle: AofFileHandle, size: number, name: string): Promise<{ record: BaseRecord } | { rejected: string }> {
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
    if (r.safeEnd !== size)
      return { rejected: `the AOF base ends with ${size - r.safeEnd} bytes of an incomplete command (the server's loader would refuse it)` };
    return {
      record: {
        format: 'aof',
        ...(r.lastSecond !== undefined ? { timeSeconds: r.lastSecond } : {}),
        bytes: size,
        sha256: hash.digest('hex'),
        commands: r.commands,
      },
    };
  }
  const verifier = createRdbVerifier();
  for await (const c of handle.stream(0, size)) {
    hash.update(c);
    verifier.push(c);
  }
  const report = verifier.end();
  if (!report.ok)
    return { rejected: `its RDB ${report.error ? `is corrupt at byte ${report.error.offset}: ${report.error.message}` : `checksum ${report.checksum}`}` };
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
    record: {
      format: 'rdb+aof',
      ...(time !== undefined ? { timeSeconds: time } : {}),
      bytes: size,
      sha256: hash.digest('hex'),
      ...rdbPart,
      commands: r.commands,
      ...(untimed ? { untimedCommands: r.commands } : {}),
    },
  };
}

/**
 * The directory's manifest, read and parsed.
 * @throws ShipInputError when the directory or its manifest cannot be shipped
 */
export async function readDirManifest(dir: AofDirectory): Promise<{ manifestFile: ManifestFile; manifest: AofManifest }> {
  let manifestFile: ManifestFile;
  try {
    manifestFile = await dir.readManifest();
  } catch (err) {
    if (err instanceof AofDirError) throw new ShipInputError(err.message);
    throw err;
  }
  let manifest: AofManifest;
  try {
    manifest = parseAofManifest(manifestFile.text, `${dir.dir}/${manifestFile.file}`);
  } catch (err) {
    if (err instanceof AofManifestError) throw new ShipInputError(`${err.message}: nothing shipped`);
    throw err;
  }
  return { manifestFile, manifest };
}
