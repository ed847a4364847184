/**
 * `redis-dr restore-aof`: rebuilds a loadable Redis 7+ AOF directory
 * (manifest, base, increments) from what `ship-aof` shipped, to the newest
 * point or to a time, and proves it loads.
 *
 * 1. read the destination: its listing, every manifest, the base records;
 * 2. choose (lambdas/domain/self-managed/aof-history.ts): to the end, the newest base
 *    whose increments reach the newest shipped byte without a gap; to a
 *    time, the newest base of an earlier second, then its increments cut
 *    before the first `#TS` annotation of the second `--until` falls in
 *    (the AOF records whole seconds);
 * 3. write the files, every part checked against its SHA-256, every
 *    increment scanned (only whole commands; a truncated last command is
 *    excluded and reported; the cut found);
 * 4. refuse, removing what it wrote, when the history has a gap before the
 *    time asked for (naming it), when the time is before the oldest base
 *    (naming the oldest point), or when the commands before the cut carry
 *    no timestamp: none in the increments restored, none at the end of the
 *    increment they continue (the server writes `#TS` when the second
 *    changes, not when a rewrite opens an increment), so whether they ran
 *    before the time asked for is unknown (timestamps switched on at runtime,
 *    or off);
 * 5. refuse (unless `orShippedEnd`: written, said, not ok) an `--until` past what the shipped
 *    history is known to hold: no annotation at or after its second was shipped, and the shipper's
 *    shipped-through record (aof-layout.ts) does not vouch for the seconds before it, so
 *    commands of those seconds may never have shipped (the shipper stopped, or is behind);
 * 6. load the result into a throwaway server (a copy of it) and report its keys, and say how far
 *    the shipped history is known complete (the shipped-through record).
 */
import { createHash } from 'node:crypto';
import type { RestoreDirectory } from '../../adapters/storage/aof-dir.js';
import { readStoredManifest, StoredManifestError, type AofStore } from '../../adapters/storage/aof-store.js';
import type { LocalRedis, LocalRedisOptions } from '../../adapters/redis/local-server.js';
import {
  BaseRecordError,
  chooseRestore,
  HistoryError,
  indexHistory,
  isoSecond,
  nextTimedBase,
  parseBaseRecord,
  type BaseRecord,
  type Chain,
  type HistoryIncr,
  type HistoryIndex,
} from '../../domain/self-managed/aof-history.js';
import {
  baseRecordKey,
  coverage,
  parseShippedThrough,
  readStoredHistory,
  SHIPPED_THROUGH_KEY,
  SHIPPED_THROUGH_MARGIN_SECONDS,
  type ShippedThrough,
  type StoredHistory,
  type StoredPart,
  vouchedBeforeSecond,
} from '../../domain/self-managed/aof-layout.js';
import { formatAofManifest } from '../../domain/self-managed/aof-manifest.js';
import { type AofFlush, AofScanner, scanAof } from '../../domain/self-managed/aof-scan.js';

/** What a restore is asked to do. */
export interface RestoreAofRequest {
  readonly store: AofStore;
  readonly to: RestoreDirectory;
  /** Restore the data as of this moment (ms since the epoch); the newest point when absent. */
  readonly untilMs?: number;
  /**
   * With `untilMs` past what the shipped history is known to hold: restore everything shipped instead of refusing
   * (the report says so, `short`, and is not ok).
   */
  readonly orShippedEnd?: boolean;
  /** Load the result into a throwaway server (a server binary may be named). */
  readonly load: false | { readonly serverBin?: string };
}

/** The outside world of a restore. */
export interface RestoreAofDeps {
  readonly now: () => number;
  readonly startServer: (options: LocalRedisOptions) => Promise<LocalRedis>;
  /** Progress lines. */
  readonly say?: (line: string) => void;
}

/** What a restore did. */
export interface RestoreAofReport {
  readonly ok: boolean;
  readonly from: string;
  readonly to: string;
  readonly until?: string;
  /** Why nothing was restored (the directory written is removed). */
  readonly refused?: {
    readonly kind: 'empty' | 'before-oldest' | 'no-timestamps' | 'gap' | 'inconsistent' | 'corrupt' | 'past-shipped';
    readonly message: string;
  };
  /** How far the shipped history is known complete: the shipper's shipped-through record, or why there is none to go by. */
  readonly shippedThrough?: { readonly at: string; readonly writtenAt: string } | { readonly missing: string };
  /**
   * `--until` is past what the shipped history is known to hold and `orShippedEnd` took everything shipped instead:
   * why, and the `--until` known complete (when there is one). The report is then not ok.
   */
  readonly short?: { readonly message: string; readonly knownUntil?: string };
  readonly base?: { readonly name: string; readonly format: BaseRecord['format']; readonly time?: string; readonly keys?: number; readonly bytes: number };
  readonly increments?: readonly { readonly name: string; readonly bytes: number; readonly commands: number }[];
  /** Where history was cut for --until. */
  readonly cut?: { readonly file: string; readonly offset: number; readonly beforeSecond: string };
  /** The second of the last `#TS` annotation restored (commands after it ran in that second). */
  readonly lastAnnotation?: string;
  /**
   * FLUSHALL and FLUSHDB commands the restored history replays (the data is as after them), each with the file and
   * offset, the second it ran in, and `untilBefore`: the --until that restores to the second before it. A restore that
   * replays one is not taken as the answer without the operator saying so (the CLI's --through-flush).
   */
  readonly flushes?: readonly {
    readonly file: string;
    readonly offset: number;
    readonly command: 'FLUSHALL' | 'FLUSHDB';
    readonly db?: number;
    readonly second?: string;
    readonly untilBefore?: string;
  }[];
  /** Bytes left out at the end of an increment (a truncated last command). */
  readonly excluded?: readonly { readonly file: string; readonly bytes: number }[];
  readonly appendFilename?: string;
  readonly load?: {
    readonly engine: string;
    readonly version: string;
    readonly loadSeconds: number;
    readonly keys: number;
    readonly keyspace: Readonly<Record<string, number>>;
  };
  /** What failed (the load, the destination). */
  readonly problem?: string;
  readonly seconds: number;
}

/** A refusal while restoring: what was written is removed. */
class Refused extends Error {
  constructor(
    readonly kind: NonNullable<RestoreAofReport['refused']>['kind'],
    message: string,
  ) {
    super(message);
  }
}

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The `appendfilename` the files were named after. */
export function appendFilenameFrom(name: string): string {
  return /^(.+)\.\d+\.(?:base\.(?:rdb|aof)|incr\.aof)$/.exec(name)?.[1] ?? name;
}

/** Runs `fn` over `items`, `limit` at a time, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Runs a restore. Never throws: the report says what happened. */
export async function restoreAof(req: RestoreAofRequest, deps: RestoreAofDeps): Promise<RestoreAofReport> {
  const started = deps.now();
  const say = deps.say ?? (() => undefined);
  const common = { from: req.store.url, to: req.to.dir, ...(req.untilMs !== undefined ? { until: new Date(req.untilMs).toISOString() } : {}) };
  const seconds = () => (deps.now() - started) / 1000;
  let prepared = false;
  // What the report says so far: a refusal or a failure later still reports what was written before it.
  let partial: Omit<RestoreAofReport, 'ok' | 'from' | 'to' | 'seconds'> = {};
  try {
    const { stored, index, through } = await readDestination(req.store);
    const { chain, cutSecond } = chooseChain(index, req.untilMs, say);
    await req.to.prepare();
    prepared = true;
    partial = { base: await writeBase(req, stored, chain) };
    const incrs = await writeIncrements(req, stored, chain, cutSecond);
    partial = { ...partial, ...reportIncrements(incrs, say) };
    if (cutSecond !== undefined) await refuseUnplaceable(req, index, stored, chain, cutSecond, incrs);
    const short = cutSecond !== undefined ? shortOfUntil(req, through, cutSecond, chain.base.record!.timeSeconds!, incrs) : undefined;
    if (short && !req.orShippedEnd) throw new Refused('past-shipped', short.message);
    const appendFilename = appendFilenameFrom(chain.base.name);
    partial = {
      ...partial,
      ...(await writeManifest(req, chain, incrs, appendFilename, say)),
      shippedThrough: throughPart(through),
      ...(short ? { short } : {}),
    };
    if (short) say(`restore-aof: SHORT of --until: ${short.message}`);
    if (req.load === false) return { ok: !short, ...common, ...partial, seconds: seconds() };
    // The seconds are taken before the throwaway server stops (it is not part of the restore).
    const loaded = await loadRestored(req.to.dir, appendFilename, req.load, deps, seconds);
    if ('problem' in loaded) return { ok: false, ...common, ...partial, problem: loaded.problem, seconds: loaded.seconds };
    return { ok: !short, ...common, ...partial, load: loaded.load, seconds: loaded.seconds };
  } catch (err) {
    if (prepared) await req.to.discard().catch(() => undefined);
    if (err instanceof Refused) return { ok: false, ...common, ...partial, refused: { kind: err.kind, message: err.message }, seconds: seconds() };
    return { ok: false, ...common, ...partial, problem: err instanceof Error ? err.message : String(err), seconds: seconds() };
  }
}

/** The shipped-through record as read: the record, or why there is none to go by. */
type Through = ShippedThrough | { readonly missing: string };

/** The shipped-through record, or why there is none to go by (none stored, or one that cannot be read). */
async function readThrough(store: AofStore, stored: StoredHistory): Promise<Through> {
  if (!stored.shippedThrough)
    return {
      missing: `the destination holds no shipped-through record (${SHIPPED_THROUGH_KEY}, which ship-aof rewrites after an ok cycle once a minute and when it stops; a history shipped by an older ship-aof has none)`,
    };
  const r = parseShippedThrough((await store.get(SHIPPED_THROUGH_KEY)).toString('utf8'));
  return 'damaged' in r ? { missing: `its shipped-through record ${SHIPPED_THROUGH_KEY} cannot be read: ${r.damaged}` } : r;
}

/** The report's words about the shipped-through record. */
function throughPart(t: Through): NonNullable<RestoreAofReport['shippedThrough']> {
  return 'missing' in t ? { missing: t.missing } : { at: new Date(t.shippedThroughMs).toISOString(), writtenAt: t.writtenAt };
}

/**
 * Why a restore to `cutSecond` would be short of it, when it would: no cut was found (no annotation of that second or
 * later was shipped) and the shipped-through record does not vouch for the seconds before it. Names the `--until`
 * known complete: the record's vouched second, or the last annotation restored (a cut there is found).
 */
function shortOfUntil(req: RestoreAofRequest, through: Through, cutSecond: number, baseSecond: number, w: WrittenIncrements): RestoreAofReport['short'] {
  if (w.cut !== undefined) return undefined;
  const vouched = 'missing' in through ? undefined : vouchedBeforeSecond(through);
  if (vouched !== undefined && cutSecond <= vouched) return undefined;
  const candidates = [...(vouched !== undefined ? [vouched] : []), ...(w.annotations > 0 && w.lastSecond !== undefined ? [w.lastSecond] : [])];
  // An --until at or before the base's second restores from an older base, if any: none is named then (to the end is).
  const known = candidates.length > 0 && Math.max(...candidates) > baseSecond ? Math.max(...candidates) : undefined;
  const held =
    'missing' in through
      ? `${through.missing}, and the last timestamp annotation shipped is ${w.lastSecond !== undefined ? isoSecond(w.lastSecond) : 'the base'}'s (commands of that second may still have been on their way)`
      : `ship-aof recorded it complete through ${new Date(through.shippedThroughMs).toISOString()} (its record written ${through.writtenAt}), taken for the commands before ${isoSecond(vouched!)} (${SHIPPED_THROUGH_MARGIN_SECONDS} s of margin: the server dates a command before it writes it)` +
        (w.lastSecond !== undefined && w.annotations > 0 ? `, and the last timestamp annotation shipped is ${isoSecond(w.lastSecond)}'s` : '');
  const knownUntil = known !== undefined ? isoSecond(known) : undefined;
  return {
    message:
      `--until ${new Date(req.untilMs!).toISOString()} is past what the shipped history is known to hold: ${held}. ` +
      'Commands run after that may never have been shipped (the shipper stopped or is behind), so this would be the data as of then, not as of --until. ' +
      (knownUntil !== undefined
        ? `Restore to what is known complete: redis-dr restore-aof --from ${req.store.url} --to <a new directory> --until ${knownUntil}`
        : `Restore everything shipped: redis-dr restore-aof --from ${req.store.url} --to <a new directory>`) +
      '; or give --or-shipped-end to keep everything shipped (written, said, and exit 1)',
    ...(knownUntil !== undefined ? { knownUntil } : {}),
  };
}

/** The history the destination holds, indexed: its listing (with lengths), every manifest and every base record, and the shipped-through record. */
async function readDestination(store: AofStore): Promise<{ stored: StoredHistory; index: HistoryIndex; through: Through }> {
  // With lengths: a part whose stored length is not its name's is torn, and the history stops there (as ship-aof judges it).
  const stored = readStoredHistory(await store.objects());
  if (!stored.marker && stored.files.size === 0)
    throw new Refused('empty', `${store.url} holds no shipped AOF history: is it the destination ship-aof writes to?`);
  const manifests = await mapLimit(stored.manifests, 16, (m) =>
    readStoredManifest(store, m).catch((err: unknown) => {
      throw err instanceof StoredManifestError ? new Refused(err.kind, err.message) : err;
    }),
  );
  const withRecords = [...stored.files.values()].filter((f) => f.hasBaseRecord);
  const records = new Map<string, BaseRecord>(
    await mapLimit(withRecords, 16, async (f) => {
      const key = baseRecordKey(f.name);
      try {
        return [f.name, parseBaseRecord((await store.get(key)).toString('utf8'), key)] as const;
      } catch (err) {
        if (err instanceof BaseRecordError)
          throw new Refused(
            'corrupt',
            `${store.url}: ${err.message}: the history's base ${f.name} is damaged; ship-aof ships it again on start if the server still has it`,
          );
        throw err;
      }
    }),
  );
  const through = await readThrough(store, stored);
  try {
    return { stored, index: indexHistory(manifests, stored, records), through };
  } catch (err) {
    if (err instanceof HistoryError) throw new Refused('inconsistent', err.message);
    throw err;
  }
}

/** The base and increments to restore (to the end, or to `untilMs`), said; refused when the history cannot give them. */
function chooseChain(index: HistoryIndex, untilMs: number | undefined, say: (line: string) => void): { chain: Chain; cutSecond: number | undefined } {
  const choice = chooseRestore(index, untilMs);
  if (!choice.ok) throw new Refused(choice.kind, choice.message);
  const { chain, cutSecond } = choice;
  const record = chain.base.record!;
  say(
    `restore-aof: base ${chain.base.name} (${record.format}${record.timeSeconds !== undefined ? `, dataset as of ${isoSecond(record.timeSeconds)}` : ''}), ${chain.incrs.length} increment(s) after it`,
  );
  return { chain, cutSecond };
}

/** Writes the base, whole, checked against its part's checksum and the record's. */
async function writeBase(req: RestoreAofRequest, stored: StoredHistory, chain: Chain): Promise<NonNullable<RestoreAofReport['base']>> {
  const record = chain.base.record!;
  const baseFile = stored.files.get(chain.base.name)!;
  const baseSlices = coverage(baseFile.parts).slices;
  const baseBytes = await req.to.write(chain.base.name, verifiedSlices(req.store, baseSlices, record.sha256));
  return {
    name: chain.base.name,
    format: record.format,
    ...(record.timeSeconds !== undefined ? { time: isoSecond(record.timeSeconds) } : {}),
    ...(record.keys !== undefined ? { keys: record.keys } : {}),
    bytes: baseBytes,
  };
}

/** What writing the increments found: the files written, what was left out, the flushes replayed, the last second seen and the cut. */
interface WrittenIncrements {
  readonly increments: { name: string; seq: number; startOffset?: string; bytes: number; commands: number }[];
  readonly excluded: { file: string; bytes: number }[];
  readonly flushes: NonNullable<RestoreAofReport['flushes']>[number][];
  readonly lastSecond: number | undefined;
  readonly annotations: number;
  readonly commands: number;
  readonly cut: RestoreAofReport['cut'];
  /** The second of the annotation the cut was made before. */
  readonly cutAnnotation: number | undefined;
}

/** Writes the increments, scanned: whole commands only, cut at `cutSecond`. */
async function writeIncrements(req: RestoreAofRequest, stored: StoredHistory, chain: Chain, cutSecond: number | undefined): Promise<WrittenIncrements> {
  const increments: WrittenIncrements['increments'] = [];
  const excluded: WrittenIncrements['excluded'] = [];
  const flushes: WrittenIncrements['flushes'] = [];
  let lastSecond = chain.base.record!.timeSeconds;
  let annotations = 0;
  let commands = 0;
  let cut: RestoreAofReport['cut'];
  let cutAnnotation: number | undefined;
  for (const incr of chain.incrs) {
    const r = await writeIncrement(req.store, req.to, incr, stored.files.get(incr.name)?.parts ?? [], cutSecond);
    increments.push({
      name: incr.name,
      seq: incr.seq,
      ...(incr.startOffset !== undefined ? { startOffset: incr.startOffset } : {}),
      bytes: r.bytes,
      commands: r.commands,
    });
    annotations += r.annotations;
    commands += r.commands;
    if (r.lastSecond !== undefined) lastSecond = r.lastSecond;
    if (r.excluded > 0) excluded.push({ file: incr.name, bytes: r.excluded });
    for (const f of r.flushes)
      flushes.push({
        file: incr.name,
        offset: f.offset,
        command: f.command,
        ...(f.db !== undefined ? { db: f.db } : {}),
        // --until S cuts at the first annotation of second S: the data as of the second before the flush.
        ...(f.second !== undefined ? { second: isoSecond(f.second), untilBefore: isoSecond(f.second) } : {}),
      });
    if (r.cutAt !== undefined) {
      cut = { file: incr.name, offset: r.cutAt, beforeSecond: isoSecond(cutSecond!) };
      cutAnnotation = r.cutSecond;
      break;
    }
  }
  return { increments, excluded, flushes, lastSecond, annotations, commands, cut, cutAnnotation };
}

/** The increments' part of the report, with the bytes left out and the flushes replayed said. */
function reportIncrements(
  { increments, excluded, flushes }: WrittenIncrements,
  say: (line: string) => void,
): Omit<RestoreAofReport, 'ok' | 'from' | 'to' | 'seconds'> {
  for (const e of excluded) say(`restore-aof: ${e.file} ends with ${e.bytes} bytes of a truncated command: excluded`);
  const part = {
    increments: increments.map(({ name, bytes, commands: c }) => ({ name, bytes, commands: c })),
    ...(excluded.length ? { excluded } : {}),
    ...(flushes.length ? { flushes } : {}),
  };
  for (const f of flushes)
    say(
      `restore-aof: ${f.file} byte ${f.offset}: ${f.command}${f.db !== undefined ? ` of database ${f.db}` : ''} replayed${f.second ? ` (second ${f.second})` : ''}`,
    );
  return part;
}

/**
 * With --until: refuses a restore whose history has a gap before the time
 * asked for, or whose commands before the cut carry no timestamp (so whether
 * they ran before that time is unknown).
 */
async function refuseUnplaceable(
  req: RestoreAofRequest,
  index: HistoryIndex,
  stored: StoredHistory,
  chain: Chain,
  cutSecond: number,
  { increments, lastSecond, annotations, commands, cut, cutAnnotation }: WrittenIncrements,
): Promise<void> {
  const record = chain.base.record!;
  if (cut === undefined && chain.break) {
    const last = lastSecond !== undefined ? isoSecond(lastSecond) : 'its base';
    const next = nextTimedBase(index, chain.base);
    const resumes = next?.record?.timeSeconds !== undefined ? `${isoSecond(next.record.timeSeconds + 1)} (base ${next.name})` : 'no later base';
    throw new Refused(
      'gap',
      `the history needed for --until ${new Date(req.untilMs!).toISOString()} is missing: it is shipped into ${last} and resumes at ${resumes}; ${chain.break.why}. Restorable: --until up to ${lastSecond !== undefined ? isoSecond(lastSecond) : 'the base time'}, or from ${resumes}`,
    );
  }
  if (annotations !== 0 || commands === 0) return;
  // Every command restored precedes the first annotation after the base (if any): only the increment they continue can date them.
  const before = await lastSecondBefore(req.store, index, stored, chain.incrs[0]!);
  if (typeof before === 'number' && before < cutSecond) return;
  const n = commands;
  const where =
    cutAnnotation !== undefined ? `before its annotation #TS:${cutAnnotation} (${isoSecond(cutAnnotation)})` : 'before the end of the shipped history';
  const files = increments.filter((i) => i.commands > 0).map((i) => i.name);
  if (before !== undefined && typeof before !== 'number') {
    // Timestamps were on: the annotation dating them is in the increment before, which the shipped history lacks.
    const from = before.lastSecond ?? record.timeSeconds!;
    throw new Refused(
      'gap',
      `--until ${new Date(req.untilMs!).toISOString()} cannot be placed among the ${n} command${n === 1 ? '' : 's'} in ${files.join(', ')} ${where}: they carry no #TS annotation, and the one that would date them (the server writes #TS only when the second changes) is in ${before.prev}, but ${before.gap}. ` +
        `So they ran between ${isoSecond(from)} and the end of ${cutAnnotation !== undefined ? isoSecond(cutAnnotation) : 'the shipped history'} (the history of seconds ${from}..${cutAnnotation ?? 'end'} is missing), and --until falls in between. ` +
        `Restore to the end without --until${cutAnnotation !== undefined ? `, or give --until from ${isoSecond(cutAnnotation + 1)} on` : ''}; keep ship-aof running through rewrites (a shorter --interval) so it sees the manifest that links the increments`,
    );
  }
  throw new Refused(
    'no-timestamps',
    `--until needs the AOF timestamp annotations (aof-timestamp-enabled yes): the ${n} command${n === 1 ? '' : 's'} in ${files.join(', ')} ${where} ${n === 1 ? 'carries' : 'carry'} none (aof-timestamp-enabled was off when they were written), so when they ran is unknown: ` +
      `at or after ${isoSecond(record.timeSeconds!)} (base ${chain.base.name})${cutAnnotation !== undefined ? ` and by the end of ${isoSecond(cutAnnotation)}` : ''}, and --until ${new Date(req.untilMs!).toISOString()} falls in between. ` +
      `Restore to the end without --until${cutAnnotation !== undefined ? `, or give --until from ${isoSecond(cutAnnotation + 1)} on` : ', or enable aof-timestamp-enabled for future history'}`,
  );
}

/** Writes the manifest naming the base and increments written; the report's part about where the history ends. */
async function writeManifest(
  req: RestoreAofRequest,
  chain: Chain,
  { increments, lastSecond, cut }: WrittenIncrements,
  appendFilename: string,
  say: (line: string) => void,
): Promise<Omit<RestoreAofReport, 'ok' | 'from' | 'to' | 'seconds'>> {
  const manifest = formatAofManifest({ base: { name: chain.base.name, seq: chain.base.seq }, incrs: increments });
  await req.to.write(`${appendFilename}.manifest`, [Buffer.from(manifest)]);
  say(
    `restore-aof: wrote ${req.to.dir} (${appendFilename}.manifest, ${1 + increments.length} files)${cut ? `, cut at ${cut.file} byte ${cut.offset} (before ${cut.beforeSecond})` : ''}`,
  );
  return {
    appendFilename,
    ...(cut ? { cut } : {}),
    ...(lastSecond !== undefined ? { lastAnnotation: isoSecond(lastSecond) } : {}),
  };
}

/** Loads the restored directory into a throwaway server (a copy of it): its keys, or why it did not load. */
async function loadRestored(
  dir: string,
  appendFilename: string,
  load: { readonly serverBin?: string },
  deps: RestoreAofDeps,
  seconds: () => number,
): Promise<{ load: NonNullable<RestoreAofReport['load']>; seconds: number } | { problem: string; seconds: number }> {
  let server: LocalRedis | undefined;
  try {
    server = await deps.startServer({
      aof: { dir, appendFilename },
      ...(load.serverBin ? { serverBin: load.serverBin } : {}),
      tmpPrefix: 'redis-dr-restore-aof-',
    });
    const client = server.client();
    const info = await client.info('keyspace');
    const keyspace: Record<string, number> = {};
    for (const m of info.matchAll(/^(db\d+):keys=(\d+)/gm)) keyspace[m[1]!] = Number(m[2]);
    const keys = Object.values(keyspace).reduce((a, b) => a + b, 0);
    return { load: { engine: server.engine, version: server.version, loadSeconds: server.loadSeconds, keys, keyspace }, seconds: seconds() };
  } catch (err) {
    return { problem: `the restored AOF did not load: ${err instanceof Error ? err.message : String(err)}`, seconds: seconds() };
  } finally {
    await server?.stop();
  }
}

/** The bytes of slices of parts, each part checked against the SHA-256 in its name (and the whole against `wholeSha256`, when given). */
async function* verifiedSlices(store: AofStore, slices: ReturnType<typeof coverage>['slices'], wholeSha256?: string): AsyncGenerator<Uint8Array> {
  const whole = createHash('sha256');
  for (const s of slices) {
    const hash = createHash('sha256');
    let at = 0;
    for await (const chunk of await store.getStream(s.part.key)) {
      hash.update(chunk);
      const from = Math.max(0, s.offset - at);
      const to = Math.min(chunk.byteLength, s.offset + s.length - at);
      if (to > from) {
        const piece = chunk.subarray(from, to);
        whole.update(piece);
        yield piece;
      }
      at += chunk.byteLength;
    }
    if (hash.digest('hex') !== s.part.sha256)
      throw new Refused('corrupt', `${store.url}: ${s.part.key} does not match its SHA-256: the stored part is damaged`);
  }
  if (wholeSha256 !== undefined && whole.digest('hex') !== wholeSha256)
    throw new Refused('corrupt', `${store.url}: the stored base does not match the SHA-256 its record holds`);
}

/** A stored part whole, checked against the SHA-256 in its name. */
async function verifiedPart(store: AofStore, part: StoredPart): Promise<Buffer> {
  const body = await store.get(part.key);
  if (sha256hex(body) !== part.sha256) throw new Refused('corrupt', `${store.url}: ${part.key} does not match its SHA-256: the stored part is damaged`);
  return body;
}

/** How far back {@link lastSecondBefore} reads. */
const LOOK_BACK_BYTES = 64 * 1024 * 1024;

/**
 * The second of the last `#TS` annotation of the increment `first`
 * continues (a manifest listed both: a rewrite started), read from its last
 * parts back (each starts at a command boundary); undefined when there is
 * none before it (`first` is the first increment: with timestamps on its
 * first command carries one) or its last 64 MiB hold no annotation; and
 * when the shipped history lacks what would say it — the increment before
 * never shipped, no manifest linking the two (a rewrite that started and
 * ended between two cycles of the shipper), or its end never shipped — what
 * is missing (`gap`), with the last second the history does hold.
 */
async function lastSecondBefore(
  store: AofStore,
  index: HistoryIndex,
  stored: StoredHistory,
  first: HistoryIncr,
): Promise<number | { prev: string; gap: string; lastSecond?: number } | undefined> {
  if (first.seq <= 1) return undefined;
  const prev = index.incrs.find((i) => i.seq === first.seq - 1);
  if (!prev) {
    return {
      prev: `increment seq ${first.seq - 1}`,
      gap: 'the destination never received it (a rewrite started and finished between two cycles of the shipper, or while it was stopped)',
    };
  }
  const lastSecond = async (): Promise<number | undefined> => {
    const slices = coverage(stored.files.get(prev.name)?.parts ?? []).slices;
    let read = 0;
    for (let k = slices.length - 1; k >= 0 && read < LOOK_BACK_BYTES; k--) {
      const s = slices[k]!;
      const body = await verifiedPart(store, s.part);
      read += s.length;
      const second = scanAof(body.subarray(s.offset, s.offset + s.length), { start: s.part.start + s.offset }).lastSecond;
      if (second !== undefined) return second;
    }
    return undefined;
  };
  const second = await lastSecond();
  const held = second !== undefined ? { lastSecond: second } : {};
  if (!index.links.has(prev.seq)) {
    return {
      prev: prev.name,
      gap: `no manifest the shipper stored shows ${prev.name} continuing into ${first.name} (a rewrite started and finished between two cycles of the shipper, or while it was stopped)`,
      ...held,
    };
  }
  if (!prev.complete) {
    return { prev: prev.name, gap: `its end was never shipped (held up to byte ${prev.covered}${prev.end !== undefined ? ` of ${prev.end}` : ''})`, ...held };
  }
  return second;
}

/** Writes an increment from its parts, whole commands only, cut at `cutSecond`. */
async function writeIncrement(
  store: AofStore,
  to: RestoreDirectory,
  incr: HistoryIncr,
  parts: Parameters<typeof coverage>[0],
  cutSecond: number | undefined,
): Promise<{
  bytes: number;
  commands: number;
  annotations: number;
  lastSecond?: number;
  excluded: number;
  cutAt?: number;
  cutSecond?: number;
  flushes: readonly AofFlush[];
}> {
  const scanner = new AofScanner(cutSecond !== undefined ? { cutAtSecond: cutSecond } : {});
  const slices = coverage(parts).slices;
  let written = 0;
  let pending: Buffer = Buffer.alloc(0);
  async function* whole(): AsyncGenerator<Uint8Array> {
    for (const s of slices) {
      if (scanner.stopped) break;
      // Each part whole and checked before a byte of it is used (parts are at most a few MiB to 64 MiB).
      const body = await verifiedPart(store, s.part);
      const chunk = body.subarray(s.offset, s.offset + s.length);
      scanner.push(chunk);
      pending = pending.byteLength ? Buffer.concat([pending, chunk]) : chunk;
      const safe = scanner.found.safeEnd;
      if (safe > written) {
        yield pending.subarray(0, safe - written);
        pending = pending.subarray(safe - written);
        written = safe;
      }
    }
  }
  const bytes = await to.write(incr.name, whole());
  const found = scanner.found;
  if (found.error) throw new Refused('corrupt', `${incr.name} as shipped is not a valid AOF at byte ${found.error.offset}: ${found.error.message}`);
  return {
    bytes,
    commands: found.commands,
    annotations: found.annotations,
    ...(found.lastSecond !== undefined ? { lastSecond: found.lastSecond } : {}),
    excluded: found.cutAt !== undefined ? 0 : pending.byteLength,
    ...(found.cutAt !== undefined ? { cutAt: found.cutAt, cutSecond: found.cutSecond! } : {}),
    flushes: found.flushes ?? [],
  };
}
