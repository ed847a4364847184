/**
 * `convert-rdb` as a use case: an RDB file (local or `s3://`, a compressed
 * envelope unwrapped: sources.ts) rewritten for a target format, proven
 * equal, and only then put under its name (an `s3://` output: uploaded,
 * then read back from S3 and verified again before it counts as stored).
 *
 * One read of the input, streamed: the verifier's parser reads it (so a
 * corrupt or cut file fails at its end with the CRC-64, as `verify-rdb`
 * says), each key is written as lambdas/domain/rdb/write/express.ts decides (its bytes as they
 * are where the target reads them, else re-encoded, else refused naming the
 * loss unless `--lossy` names it) into a temporary file beside the output
 * (adapters/storage/output-file.ts), each key where the parser found it
 * (views of the chunk read, no payload or name built per key:
 * RdbKeyReaderOptions.visit). Then the written file is read back through
 * the same verifier (a key copied as it is by its bounds alone, its bytes
 * proven the input's by the digest: RdbKeyReaderOptions.valueCheckedBefore,
 * passed over by the length the writer recorded, as a plain form is: KeyBits;
 * a re-encoded one with every check), and its keys held against the input's, in
 * order, in one digest (lambdas/domain/rdb/write/key-list.ts: a key copied
 * by its bytes, a re-encoded listpack value by the elements its transcoding
 * walk fed, lambdas/domain/rdb/write/transcode.ts, against those of its plain form read back);
 * on a difference the input is read again to name the first key that
 * differs (compare's canonical digests). Anything but
 * a verified, equal file removes the temporary file: no partial output.
 *
 * The input pass is convert-input.ts's, the output's checks and sinks
 * convert-output.ts's, the read-back convert-read-back.ts's. A dry run (`--dry-run`, ConvertRdbSpec.dryRun) is
 * this same run with writes off: the output checked only by what needs no
 * write, the same pass and judgments, the writer's chunks counted by a sink
 * that writes nothing, and it ends where the read-back would begin.
 *
 * Memory: the reader's two chunks and the key in hand (its bytes where
 * they lie, copied only across a seam; a re-encoded value written straight
 * into the output buffer, no copy of it first), and up to 1 MiB of output
 * before it is written (more while one key's value is bigger). A value of
 * 1 MiB or more copied as it is goes to the writer, the digest and the
 * read-back's digest in the parts the reader kept (KeyInPlace.parts): held
 * once, never gathered into a copy nor copied into the output buffer. A list
 * of 1 MiB or more re-encoded (a quicklist into a plain list) is read from
 * those parts node by node, each let go as its output is made, and written
 * out in pieces (lambdas/domain/rdb/write/transcode.ts transcodeParts,
 * RdbFileWriter.keyInPieces): its input and its output, each held once at
 * most. A stream of 1 MiB or more written in an older layout is walked in
 * those parts too, and the runs of its bytes that layout keeps go to the
 * writer and the digest as views of them (source-forms.ts
 * StreamLayout.readParts; a Redis 8.6/8.8 one as the type 21 it holds):
 * held once (the read-back still gathers it). Big listpack hashes, sets and
 * zsets (transcode-parts.ts; LZF-compressed ones expanded as they are walked)
 * and hashes with field TTLs (ttl-hash-parts.ts: 22–25, read back from parts
 * too; an LZF-compressed 23/25 expanded as it is walked) are walked across
 * the parts and written in pieces, as are Redis 8.10's template hashes (29–32: template-hash-parts.ts; a
 * listpack form, LZF-compressed or not, validated by the parser as it streams by).
 */
import { collectGarbage } from '../../adapters/host/collect-garbage.js';
import { KeyExistsError, ObjectReplacedError, PutError } from '../../adapters/storage/object-store.js';
import { createOutputFile, FolderSyncError, type OutputFile } from '../../adapters/storage/output-file.js';
import type { CutPut, StoredDeletion } from '../../adapters/storage/object-store-s3.js';
import type { S3Output } from '../../adapters/storage/s3-output.js';
import { FileChangedError } from '../../domain/rdb/block-digests.js';
import { displayKey, keyDigest, type KeyDigest } from '../../domain/rdb/fingerprint.js';
import { ENGINE_RELEASE_NAMES } from '../../domain/rdb/engine-names.js';
import { engineRelease, formatFor, type RdbFormat, rdbVersionProblem, sanitizeOnlyProblem, validatesEveryValue } from '../../domain/rdb/engines.js';
import { loadEnvironment } from '../../domain/rdb/format/lua-load.js';
import { decodeDumpPayload, streamInfo } from '../../domain/rdb/format/value.js';
import { type RdbKey, RdbKeyReader } from '../../domain/rdb/keys.js';
import type { RdbReport } from '../../domain/rdb/report.js';
import { expressValue } from '../../domain/rdb/write/express.js';
import type { LossKind } from '../../domain/rdb/write/losses.js';
export { parseLossy } from './lossy.js';
import { dirname, resolve } from 'node:path';
import { type KeyBits, keyEntryText } from '../../domain/rdb/write/key-list.js';
import { STREAM_2, STREAM_3 } from '../../domain/rdb/write/source-forms.js';
import { UsageError } from '../kernel/usage-error.js';
import { type ConvertProgress, type ConvertRdbSpec, decodedValue, InputPass, type RefusedKey } from './convert-input.js';
import { framingDifference, readBack } from './convert-read-back.js';
import { checkOutput, countingSink } from './convert-output.js';
import { counted, KeySourceError, resolveRdbSources } from './sources.js';
import type { ShardSet } from '../../domain/keys/shard-set.js';
import type { RdbFileSource } from './read-rdb-batches.js';

export type { ConvertProgress, ConvertRdbSpec, RefusedKey } from './convert-input.js';

/** What a run did. */
export interface ConvertRdbResult {
  /** The output is in place, verified and equal to the input; in a dry run, a real run would go through as far as a run that writes nothing can tell. */
  readonly ok: boolean;
  /** Why not (nothing was left at the output); in a dry run, why a real run would refuse. */
  readonly error?: string;
  /**
   * With {@link error}, when the input itself was refused before anything was written: `input`, not a valid RDB file;
   * `content`, keys or parts of it the target cannot hold (named in the error), unless `--lossy` names the loss.
   */
  readonly refusal?: 'input' | 'content';
  /** A dry run: nothing was written, nothing read back; `bytesOut` is the writer's bytes counted (convert-output.ts countingSink). */
  readonly dryRun?: true;
  /** A dry run: what was checked of the output, and what was not. */
  readonly outputChecked?: string;
  /** What earlier runs on the output, killed before they ended, left beside it: named, left as they are (convert-output.ts). */
  readonly earlier?: readonly string[];
  /** The output in place, but its temporary name could not be removed after it was linked there (a second name of it): named, in words. */
  readonly leftName?: string;
  readonly input: string;
  /** Absent only in a dry run without `-o`. */
  readonly output?: string;
  readonly target: string;
  readonly format: RdbFormat;
  /** The input's format, once its header was read. */
  readonly source?: RdbFormat;
  /** Keys written, as they were and re-encoded. */
  readonly keys: number;
  readonly asIs: number;
  readonly reencoded: number;
  /** Keys left out, and keys written without part of them, per loss the operator named. */
  readonly dropped: Partial<Record<LossKind, number>>;
  readonly lost: Partial<Record<LossKind, number>>;
  /**
   * Redis 8.6/8.8 streams written without their IDMP data because it was empty (no producer, no id added, Redis 8.6's
   * default settings: stream-extras.ts idmpIsEmpty), which loses nothing and needs no `--lossy`. Absent when none.
   */
  readonly emptyIdmp?: number;
  /**
   * Redis 8.6 key metadata of classes a server without their module may skip (ALLOW_IGNORE), left out as such a server
   * leaves it (each key is written from its type on; no --lossy needed): per class, the keys that carried it. Absent when none.
   */
  readonly ignoredKeyMeta?: Readonly<Record<string, number>>;
  /** Hash fields left out because their TTL had passed at the run's time (`at`), and hashes left out because every field had. */
  readonly expired: { readonly at: number; readonly fields: number; readonly hashes: number };
  readonly functions: number;
  /** The release whose library load was judged (lua-load.ts: `Redis 7.0`), where the target's is known; absent: not judged. */
  readonly librariesRunFor?: string;
  readonly refused: readonly RefusedKey[];
  readonly refusedCount: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly seconds: number;
  /** The verifier's report of the input, and of the output when it was read back. */
  readonly inputReport?: RdbReport;
  readonly outputReport?: RdbReport;
}

/** A key's digest as compare has it (canonical), to name a difference. */
const digestOf = (k: RdbKey): KeyDigest => keyDigest(decodedValue(k.payload, k.type), k.expireAtMs);

/** What appends the file's trailer (the CRC-64 `crc` of its bytes read back) to `out`, syncs and closes it, and reads its last 8 bytes back. */
const appendTrailer =
  (out: OutputFile, w: { trailer(crc: bigint): Uint8Array }) =>
  async (crc: bigint): Promise<Uint8Array> => {
    await out.write(w.trailer(crc));
    await out.close();
    return out.readTail(8);
  };

/** Where a step's bytes so far are told (undefined: not told), the step's whole the output's bytes. */
type Told = (step: ConvertProgress['step']) => ((bytes: number) => void) | undefined;

/** Why a store failed, and whether an object of the run, not verified, may be left under the name (`left`). */
interface Unstored {
  readonly error: string;
  readonly left?: true;
}

/**
 * Puts the verified temporary file under its name: a local file renamed
 * (linked) into place; an S3 object uploaded (its checksum matched), then
 * read back from S3 through the verifier and its keys' digest held against
 * the input's, and removed unless they match. Returns why it is not stored, or undefined.
 */
async function storeOutput(
  out: OutputFile,
  s3: S3Output | undefined,
  /** `replaces`: an object was at the key when the run began, which the put (`force`) replaced. */
  put: { readonly force: boolean; readonly replaces: boolean },
  expected: { keys: number; digest: string; streamIds: boolean; keysInParts: number },
  reencoded: KeyBits,
  signal?: AbortSignal,
  /** Where each step's bytes so far are told: the upload's, then the stored object's read back. */
  tell?: Told,
): Promise<Unstored | undefined> {
  if (!s3) return void (await out.commit());
  const uploaded = tell?.('upload');
  try {
    await s3.put(uploaded ? counted(out.read(), uploaded) : out.read(), put.force, signal);
  } catch (err) {
    if (err instanceof KeyExistsError) return { error: `an object appeared at ${s3.url} during the run (give --force to replace it): it was left as it is` };
    // An answer lost, and whether S3 stored the object could not be told (s3-output.ts put).
    if (err instanceof PutError && err.stage === 'unsettled')
      return { error: `the upload of ${s3.url} failed (${err.message}): ${unverifiedAt(s3.url)}`, left: true };
    throw err;
  } finally {
    await out.discard();
  }
  // Read back the object this run's put stored (pinned to its ETag), and taken back only while it is that one.
  let back: Awaited<ReturnType<typeof readBack>>;
  try {
    // The upload's and the local read-back's chunks of a big key go before the stored object's are read.
    collectAfterBigKeys(expected.keysInParts);
    back = await readBack(await s3.read(), reencoded, expected.streamIds, false, undefined, tell?.('stored read-back'));
  } catch (err) {
    if (err instanceof ObjectReplacedError)
      return {
        error: `${s3.url} was replaced by another writer after this run stored it, before it was read back: that object was left as it is; nothing of this run is stored`,
      };
    const why = err instanceof Error ? err.message : String(err);
    return takenBack(s3, `the object stored at ${s3.url} could not be read back (${why})`, put.replaces);
  }
  if (back.report.ok && back.report.keys === expected.keys && back.digest === expected.digest) return undefined;
  const why = back.report.ok ? 'its keys differ from the input' : `${back.report.error?.message}, at byte ${back.report.error?.offset}`;
  return takenBack(s3, `the object read back from ${s3.url} fails the verification (${why})`, put.replaces);
}

/**
 * Before a read-back of a file that held a key read in the reader's parts: a full collection, so that what the pass
 * before left of it (its parts, the output's pieces, the walk's garbage) goes before the read-back takes its bytes
 * again; else the process can peak at both, as migrate --from-rdb's passes did (adapters/host/collect-garbage.ts).
 * Measured on 64 MiB values (bench/README.md, convert-rdb, session 43): a listpack hash copied as it is peaked at
 * 140.2-176.5 MB without it, 140.0-140.5 with; re-encoded once at 246.0 MB against its bound of 244.2 without it;
 * Redis 8.10 template hashes 148-165 MB without, 137.3-137.5 with. By keys in parts, not by their size: a value's
 * size in the file is not its size written (an LZF-compressed one's plain form is two or three times it), and one
 * collection costs little beside such a key's conversion (5-12 ms of full mark-compact here with a heap of 8-10 MB, by
 * --trace-gc, after a 2 MiB and a 64 MiB value; more in a larger heap).
 */
export function collectAfterBigKeys(keysInParts: number): void {
  if (keysInParts > 0) collectGarbage();
}

/** What may be left at `url` by an upload whose outcome is not known: an object of the run, never verified. */
export const unverifiedAt = (url: string): string => `${url} may hold an object of this run, not verified: remove it, or run verify-rdb on it`;

/**
 * Takes back the object this run stored, and says what became of it after `why` (never a stored object left unsaid).
 * `replaced`: the put replaced an object that was at the key before the run (--force), which is then gone: said.
 */
async function takenBack(s3: S3Output, why: string, replaced: boolean): Promise<Unstored> {
  try {
    const done = await s3.remove();
    if (done === 'replaced') return { error: `${why}: another writer replaced it meanwhile and that object was left as it is; nothing of this run is stored` };
    // The key left empty: the object --force replaced is not put back (S3 kept no copy to put back).
    const gone = replaced ? `; the object at ${s3.url} before the run, which --force replaced, is gone (S3 kept no copy of it)` : '';
    // Removed by another writer before this run could take it back: said as such, not as this run's removal.
    if (done === 'gone') return { error: `${why}: another writer removed it meanwhile; nothing of this run is stored${gone}` };
    return { error: `${why}: it was removed, nothing is stored${gone}` };
  } catch (err) {
    return { error: `${why}: it could not be removed (${err instanceof Error ? err.message : String(err)}): remove ${s3.url}, it is not verified`, left: true };
  }
}

/** The input as one file. */
async function inputFile(spec: ConvertRdbSpec): Promise<RdbFileSource> {
  const { files } = await convertSources([spec.input], spec.readPartBytes);
  if (files.length !== 1)
    throw new UsageError(`${spec.input}: names ${files.length} shard files of one recovery point; convert each file on its own (give its path)`);
  return files[0]!;
}

/** What `convert-rdb`'s inputs name, resolved and checked as `migrate --from-rdb`'s are (sources.ts), a source naming nothing readable a usage error. */
export async function convertSources(inputs: readonly string[], readPartBytes?: number, shards?: number): Promise<{ set: ShardSet; files: RdbFileSource[] }> {
  try {
    return await resolveRdbSources({ fromRdb: inputs, ...(readPartBytes ? { readPartBytes } : {}), ...(shards !== undefined ? { shards } : {}) });
  } catch (err) {
    if (err instanceof KeySourceError) throw new UsageError(err.message.replace(/^--from-rdb /, ''));
    throw err;
  }
}

/** A converted output read back and verified, not yet under its name (convertRdbStaged): put it there, or remove it. */
export interface StagedOutput {
  /** The output's name (`-o`). */
  readonly location: string;
  /** An object was at the key when the run began, which --force replaces: {@link unstore} leaves none there (no copy kept). */
  readonly replaces?: true;
  /** Puts it under its name (a local file linked or renamed into place; an S3 object uploaded, read back and verified): the run's result. */
  store(signal?: AbortSignal): Promise<ConvertRdbResult>;
  /** Removes the temporary file, and the file a local output replaced, kept aside for {@link unstore} (idempotent). */
  discard(): Promise<void>;
  /** {@link store} failed and may have left an object of the run under the name, not verified (its error names it). */
  leftUnverified(): boolean;
  /** {@link store} failed once the output was under its name (its folder's sync): it is there, and {@link unstore} takes it back. */
  inPlace(): boolean;
  /**
   * Removes what {@link store} put under the name, only while it is still what the run put there (a local file: the
   * same file; an object: the ETag its put stored), and says which: `removed`, `replaced` (another writer's, left) or
   * `gone`; undefined when nothing was stored.
   */
  unstore(): Promise<StoredDeletion | undefined>;
  /** An S3 output whose upload a signal cut short: what it left at the key (S3Output.cut); else undefined. */
  cut(): CutPut | undefined;
}

/** What `--for <engine>` or `--rdb-version N` names: the format, how messages name it, the `redis-ver` written. */
export function convertTarget(o: {
  readonly for?: string;
  readonly rdbVersion?: number;
}): Pick<ConvertRdbSpec, 'format' | 'target' | 'redisVer' | 'loads' | 'validatesEveryValue'> {
  if (o.for !== undefined && o.rdbVersion !== undefined)
    throw new UsageError(
      `--for ${o.for} and --rdb-version ${o.rdbVersion}: give one of them, not both (--for names an engine release, which decides the RDB version)`,
    );
  if (o.for === undefined && o.rdbVersion === undefined) throw new UsageError('give one of --for <engine> (e.g. --for redis-7.0) or --rdb-version <n>');
  if (o.rdbVersion !== undefined) {
    const problem = rdbVersionProblem(o.rdbVersion);
    if (problem) throw new UsageError(problem);
    return { format: { magic: 'REDIS', version: o.rdbVersion }, target: `RDB ${o.rdbVersion}` };
  }
  const r = engineRelease(o.for!);
  if (!r) throw new UsageError(`--for ${o.for}: not an engine release redis-dr knows; one of ${ENGINE_RELEASE_NAMES.join(', ')}`);
  // A release whose libraries' load is judged (lua-load.ts): an open-source one whose load environment was read.
  const loads = r.elasticache ? undefined : loadEnvironment(r.engine, r.version);
  return {
    format: formatFor(r.reads),
    target: r.name,
    redisVer: `${r.version}.0`,
    ...(loads ? { loads } : {}),
    ...(validatesEveryValue(r) ? { validatesEveryValue: true } : {}),
  };
}

/**
 * Converts `spec.input` for `spec.format` into `spec.output` (see the module's comment). No V8 flag is changed while
 * it runs: turning TurboFan's inlining off mid-run took about 7 % off a re-encoding's CPU (bench/README.md,
 * convert-rdb, 2026-11-26 02:00), but Node documents flags set after start as unsupported ("unpredictable
 * behavior, including crashes and data loss"). The CLI's `convert-rdb` sets a smaller inlining budget as its
 * process's first step instead, before any of this code has run (lambdas/adapters/host/command-v8-flags.ts).
 */
export async function convertRdb(spec: ConvertRdbSpec): Promise<ConvertRdbResult> {
  const { result, staged } = await convertRdbStaged(spec);
  return staged ? storedFor(staged) : result;
}

/**
 * {@link convertRdb} up to the output verified, under its temporary name: `staged` when it is (`result` then says
 * what it holds, not yet that it is stored), else the result of a run that left nothing. `file`: the input already
 * resolved (`spec.input` names it in messages). `spec.signal`: an abort stops the read between chunks (nothing left).
 */
export async function convertRdbStaged(
  spec: ConvertRdbSpec & { readonly signal?: AbortSignal },
  file?: RdbFileSource,
): Promise<{ result: ConvertRdbResult; staged?: StagedOutput; keysInParts: number }> {
  const started = Date.now();
  const checked = await checkOutput(spec);
  file ??= await inputFile(spec);
  const lossy = spec.lossy ?? new Set<LossKind>();
  // A plain local input in reused page-aligned buffers (the verifier's own reads): every key is handled inside its push.
  const read = file.openTransient ?? file.open;
  const pass = new InputPass(spec, lossy, spec.maxNamed ?? 20, file.openTransient !== undefined, started);
  let bytesIn = 0;
  let inputReport: RdbReport | undefined;
  let outputReport: RdbReport | undefined;
  // A dry run: the output's refusal (a real run's, before reading) said first, the input judged all the same.
  const dryError = (error?: string) =>
    [checked.refused && `a real run refuses this output before reading the input: ${checked.refused}`, error].filter(Boolean).join('\n') || undefined;
  const result = (conversionError?: string, refusal?: ConvertRdbResult['refusal']): ConvertRdbResult => {
    // Files of the run its take-back could not remove (a folder that refuses unlinks): named with the failure, not left unsaid.
    const stuck = 'leftBehind' in out ? out.leftBehind() : [];
    const leftWords = stuck.length > 0 ? `; the run could not remove its own files beside it: ${stuck.join(', ')}: remove them` : '';
    const error = spec.dryRun ? dryError(conversionError) : conversionError && conversionError + leftWords;
    return {
      ok: error === undefined,
      ...(error !== undefined ? { error, ...(refusal ? { refusal } : {}) } : {}),
      ...(spec.dryRun ? { dryRun: true as const, ...(checked.checked ? { outputChecked: checked.checked } : {}) } : {}),
      input: spec.input,
      ...(spec.output !== undefined ? { output: spec.output } : {}),
      ...(checked.earlier ? { earlier: checked.earlier } : {}),
      target: spec.target,
      format: spec.format,
      ...(pass.source ? { source: pass.source } : {}),
      keys: pass.writer?.keys ?? 0,
      asIs: pass.asIs,
      reencoded: pass.reencoded,
      dropped: pass.dropped,
      lost: pass.lost,
      ...(pass.emptyIdmp > 0 ? { emptyIdmp: pass.emptyIdmp } : {}),
      ...(inputReport?.ignorableKeyMeta ? { ignoredKeyMeta: inputReport.ignorableKeyMeta } : {}),
      expired: { at: started, ...pass.expired },
      functions: pass.functions,
      ...(spec.loads ? { librariesRunFor: spec.loads.release } : {}),
      refused: pass.refused,
      refusedCount: pass.refusedCount,
      bytesIn,
      bytesOut: 'counted' in out ? out.counted : (pass.writer?.bytes ?? 0),
      seconds: (Date.now() - started) / 1000,
      ...(inputReport ? { inputReport } : {}),
      ...(outputReport ? { outputReport } : {}),
    };
  };
  const done = (conversionError?: string, refusal?: ConvertRdbResult['refusal']) => ({
    result: result(conversionError, refusal),
    keysInParts: pass.keysInParts,
  });
  // Writes off (a dry run): the same writer's chunks counted, not written (no file, no temporary file, no object).
  const out =
    spec.dryRun || checked.local === undefined
      ? countingSink()
      : await outputFileAt(checked.local, checked.s3 !== undefined || (spec.force ?? false), spec.output!);
  const nothingLeft = spec.dryRun ? 'a real run refuses the same (dry run: nothing written)' : `nothing was written to ${spec.output}`;
  const { reader, problems, reencodedKeys } = pass;
  try {
    for await (const chunk of read()) {
      bytesIn += chunk.length;
      reader.push(chunk);
      pass.takeFunctions();
      while (pass.writer?.full) await out.write(pass.writer.chunk());
      // The input's bytes as stored, against its size (a compressed envelope's decoded bytes run ahead of them).
      spec.onProgress?.({ step: 'input', input: spec.input, bytes: file.storedRead?.() ?? bytesIn, ...(file.size !== undefined ? { total: file.size } : {}) });
      spec.signal?.throwIfAborted();
      if (reader.error) break;
    }
    inputReport = reader.end();
    if (!inputReport.ok) {
      const e = inputReport.error;
      await out.discard();
      return done(`the input is refused (${e?.message ?? 'not a valid RDB file'}, at byte ${e?.offset ?? 0}): ${nothingLeft}`, 'input');
    }
    const source = (pass.source ??= { magic: inputReport.magic === 'VALKEY' ? 'VALKEY' : 'REDIS', version: inputReport.version });
    pass.judgeModuleData(inputReport);
    const deep = spec.validatesEveryValue ? sanitizeOnlyProblem(spec.target, inputReport) : undefined;
    if (deep !== undefined) problems.push(deep);
    if (pass.refusedCount > 0 || problems.length > 0) {
      await out.discard();
      return done(`${refusalText(spec.target, problems, pass.refused, pass.refusedCount)}; ${nothingLeft}`, 'content');
    }
    const w = pass.started();
    while (w.full) await out.write(w.chunk());
    await out.write(w.end());
    // A dry run ends here: its file's trailer counted (8 bytes: what they would hold needs the bytes, which are not kept), nothing to read back or store.
    if ('counted' in out) {
      await out.write(w.trailer(0n));
      return done();
    }
    // Read back through the verifier; keys held against the input's, in order. The file's CRC-64 is that of its bytes
    // as read back, appended once they are read, synced, then read back and judged as every trailer is (one pass over
    // the output, not the writer's and the read-back's: bench/README.md, convert-rdb, 2026-11-26 16:40). What the
    // writer's own checksum also held, the bytes besides the keys' (which the digest holds), is held below.
    const streamIds = !lossy.has('stream-ids');
    // The disk takes the body while it is read back (from the device where it went past the page cache: adapters/storage/direct-append.ts).
    out.syncAhead();
    collectAfterBigKeys(pass.keysInParts);
    const outBytes = w.bytes + 8; // the body written and its trailer, appended once read back
    const tell: Told = (step) => spec.onProgress && ((bytes) => spec.onProgress!({ step, input: spec.input, bytes, total: outBytes }));
    const back = await readBack(out.readTransient(), reencodedKeys, streamIds, true, appendTrailer(out, w), tell('read-back'), true);
    outputReport = back.report;
    if (!outputReport.ok) {
      await out.discard();
      return done(
        `the written file fails verification (${outputReport.error?.message}, at byte ${outputReport.error?.offset}): a bug in the writer; ${nothingLeft}`,
      );
    }
    const framing = framingDifference(outputReport, back.functions, spec.format, pass.aux, pass.functionsWritten);
    if (framing) {
      await out.discard();
      return done(`the written file does not hold what was written (${framing}): a bug in the writer; ${nothingLeft}`);
    }
    if (outputReport.keys !== w.keys || back.digest !== pass.digest.hex()) {
      const where = await firstDifference(file.open, out.read, source, spec.format, lossy, started);
      await out.discard();
      return done(`${where}; ${nothingLeft}`);
    }
    const expected = { keys: w.keys, digest: back.digest, streamIds, keysInParts: pass.keysInParts };
    const store = (signal?: AbortSignal) =>
      storeOutput(out as OutputFile, checked.s3, { force: spec.force ?? false, replaces: checked.replaces === true }, expected, reencodedKeys, signal, tell);
    const staged = stagedOutput(spec.output!, out as OutputFile, checked.s3, store, result, failed);
    return { result: result(), staged: checked.replaces ? { ...staged, replaces: true } : staged, keysInParts: pass.keysInParts };
  } catch (err) {
    await out.discard();
    // The input rewritten while it was read (sources.ts): its bytes may be of two versions; a dry run's too.
    if (err instanceof FileChangedError) return done(`the input is refused (${err.message}): ${nothingLeft}`, 'input');
    if (spec.dryRun) throw err; // nothing was being written: a read's own error
    return { result: failed(err), keysInParts: pass.keysInParts };
  }

  /** A write, commit or upload that threw: the run's result (nothing of the run left). */
  function failed(err: unknown): ConvertRdbResult {
    if (spec.signal?.aborted && err === spec.signal.reason) throw err;
    // Another's file put at the name after the run checked it (the link refuses to replace it): a failed run, as an object
    // that appears at an s3:// output is (exit 1; a recovery point's stored shards taken back, said by the caller).
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return result(`a file appeared at ${spec.output} during the run (give --force to replace it, or another path): it was left as it is`);
    return result(`${writeFailure(err, spec.output!, checked, { written: pass.writer?.bytes ?? 0, inputSize: file?.size })}${nothingLeft}`);
  }
}

/** A write that failed, in words, up to what is left (its separator included): a full disk or quota with how far it got, how much it needs and the fix. */
export function writeFailure(
  err: unknown,
  output: string,
  checked: { readonly local?: string; readonly s3?: unknown },
  sizes: { readonly written: number; readonly inputSize: number | undefined },
): string {
  const code = (err as NodeJS.ErrnoException).code;
  const plain: Record<string, string> = {
    ENOSPC: 'the file system is full (no space, or no inode, left)', // ENOSPC says either: a review's tmpfs of 2 inodes gave it at the link
    EDQUOT: 'the disk quota is used up',
    EFBIG: 'a file-size limit (ulimit -f) was reached',
  };
  const why = (code && plain[code]) ?? (err instanceof Error ? err.message : String(err));
  // An s3:// output is written and verified in the temporary folder first: a full disk there is named, with the fix,
  // not said of the bucket ('writing s3://… failed (the file system is full)').
  if (checked.s3 && code && plain[code])
    return (
      `writing the temporary file ${checked.local} of ${output} failed (${why}): it is written and verified there before the upload; ` +
      'set TMPDIR to a folder with room for the whole output; '
    );
  // No room: how much was written when it ran out, and how much the output takes (about the input's size), with the fix.
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    // The writer's count (the failed chunk's bytes in it) and the input as stored: a floor, said as one.
    const size =
      sizes.inputSize !== undefined
        ? `; it takes at least about ${sizes.inputSize} bytes, the input's size as stored (more where values are re-encoded or the input is compressed, and a recovery point's other shard outputs wait beside it)`
        : '';
    return `writing ${output} failed (${why} when ${sizes.written} bytes of the output had been produced${size}): free room in ${dirname(resolve(checked.local ?? '.'))}, or give -o on a file system with room; `;
  }
  return `writing ${output} failed (${why}): `;
}

/**
 * The temporary file beside `local` (an `s3://` output's: in the temporary folder), before anything is read: one the
 * run may not create there (a folder this user may not write, a read-only file system) is a usage error naming the
 * folder and the fix, not the errno of a temporary name the operator never gave.
 */
async function outputFileAt(local: string, replace: boolean, output: string): Promise<OutputFile> {
  try {
    return await createOutputFile(local, replace);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === undefined || e.code === 'EEXIST') throw err;
    const folder = dirname(resolve(local));
    const fix = output.startsWith('s3://')
      ? 'set TMPDIR to a folder this user may write, with room for the whole output (it is written and verified there before the upload)'
      : 'give a path in a folder this user may write';
    throw new UsageError(
      `-o ${output}: no file can be created in ${folder} (${e.code}: ${e.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}): ${fix}; nothing was read or written`,
    );
  }
}

/** `staged` stored for good: the file it replaced (--force), kept aside to be put back, goes. */
export async function storedFor(staged: StagedOutput): Promise<ConvertRdbResult> {
  try {
    return await staged.store();
  } finally {
    await staged.discard();
  }
}

/** The verified temporary file `out` as a {@link StagedOutput}: `store` puts it under its name (storeOutput), `result` and `failed` say the run's outcome. */
function stagedOutput(
  location: string,
  out: OutputFile,
  s3: S3Output | undefined,
  store: (signal?: AbortSignal) => Promise<Unstored | undefined>,
  result: (error?: string) => ConvertRdbResult,
  failed: (err: unknown) => ConvertRdbResult,
): StagedOutput {
  let stored = false;
  let left = false;
  let inPlace = false;
  return {
    location,
    store: async (signal) => {
      try {
        const unstored = await store(signal);
        stored = unstored === undefined;
        left = unstored?.left === true;
        return { ...result(unstored?.error), ...leftNameOf(out, location) };
      } catch (err) {
        if (err instanceof FolderSyncError) {
          // Under its name (the rename or link was done): only the folder's sync failed. Not a success (a crash may
          // lose it), not "nothing was written": named, and taken back like a stored one (unstore) if the run says so.
          stored = inPlace = true;
          return {
            ...result(
              `${location} is in place (verified before it was put there), but its folder could not be synced after it was (${err.reason}): a crash may lose it (run sync to write it out)`,
            ),
            ...leftNameOf(out, location),
          };
        }
        await out.discard();
        return failed(err);
      }
    },
    discard: () => out.discard(),
    cut: () => s3?.cut(),
    leftUnverified: () => left,
    inPlace: () => inPlace,
    unstore: async () => {
      if (!stored) return undefined;
      stored = false;
      return s3 ? s3.remove() : out.uncommit();
    },
  };
}

/**
 * `{ leftName }` when the commit could not remove the temporary name after it linked the file under `location` (the
 * same file under two names: the output is in place, so the run is not failed for it, and the name is said); else nothing.
 */
function leftNameOf(out: OutputFile, location: string): Pick<ConvertRdbResult, 'leftName'> {
  const left = out.leftName();
  if (!left) return {};
  return {
    leftName: `${left.path} is a second name of ${location} (the same file), which the run could not remove once the output was in place (${left.reason}): remove it (rm ${left.path})`,
  };
}

/** Why the input cannot be written for `target`: what the file holds, then the keys named. */
function refusalText(target: string, problems: readonly string[], refused: readonly RefusedKey[], refusedCount: number): string {
  const named = refused.map((r) => `${r.key}${r.db === 0 ? '' : ` (db ${r.db})`}: ${r.reason}`);
  const more = refusedCount > refused.length ? [`and ${refusedCount - refused.length} more keys`] : [];
  const what = [...problems, ...named, ...more].join('; ');
  // Keys and what the file holds besides them (function libraries, module AUX data) both named: the count is the keys' alone
  // (review 45: "1 key of the input cannot be expressed: function libraries: …; t: …").
  const besides = problems.length > 0 ? ', and what it holds besides its keys,' : '';
  const head = refusedCount > 0 ? `${refusedCount} key${refusedCount === 1 ? '' : 's'} of the input${besides}` : 'the input';
  return `${head} cannot be expressed for ${target}: ${what}`;
}

/** The keys a file holds, each with its digest, in order; `keep` filters them. */
async function* digests(
  open: () => AsyncIterable<Uint8Array>,
  keep: (k: RdbKey) => boolean,
  digest: (k: RdbKey) => KeyDigest = digestOf,
): AsyncGenerator<{ k: RdbKey; d: KeyDigest }> {
  const reader = new RdbKeyReader();
  for await (const chunk of open()) for (const k of reader.push(chunk)) if (keep(k)) yield { k, d: digest(k) };
  reader.end();
}

/** Reads the input and output in step and names the first key that differs. */
async function firstDifference(
  input: () => AsyncIterable<Uint8Array>,
  output: () => AsyncIterable<Uint8Array>,
  source: RdbFormat,
  format: RdbFormat,
  lossy: ReadonlySet<LossKind>,
  now: number,
): Promise<string> {
  const outKeys = digests(output, () => true);
  let i = 0;
  // Each input key as the output should hold it (a hash without its expired fields: Expressed.value).
  const expressed = (k: RdbKey) => expressValue(k.payload, source, format, lossy, now);
  const inKeys = digests(
    input,
    (k) => expressed(k).action === 'write',
    (k) => {
      const e = expressed(k);
      return e.action === 'write' && e.value ? keyDigest(e.value, k.expireAtMs) : digestOf(k);
    },
  );
  const writerBug = (where: string) => `the written file does not hold what the input holds (${where}): a bug in the writer`;
  let inconsistent: string | undefined;
  for await (const a of inKeys) {
    const b = (await outKeys.next()).value;
    if (!b) return writerBug(`key ${i + 1}, ${displayKey(a.k.name)}, is missing from the output`);
    const same = a.k.db === b.k.db && a.k.name.equals(b.k.name) && keyEntryText(a.d) === keyEntryText(b.d);
    if (!same)
      return writerBug(
        `key ${i + 1}: input ${displayKey(a.k.name)} (db ${a.k.db}) ${keyEntryText(a.d)}, output ${displayKey(b.k.name)} (db ${b.k.db}) ${keyEntryText(b.d)}`,
      );
    if (format.version < 10 && !lossy.has('stream-ids')) inconsistent ??= firstIdNotFirstEntrys(a.k, i + 1);
    i++;
  }
  const extra = (await outKeys.next()).value;
  if (extra) return writerBug(`the output holds a key more: ${displayKey(extra.k.name)}`);
  return inconsistent ?? writerBug('the digests differ, yet every key compared equal on a second read');
}

/**
 * A newer stream (type 19/21) whose stored first id is not its first entry's, named; undefined for any other key. A Redis
 * before 7.2 writes one after an XSETID below deleted entries (a node made later, with a lower id, then lies before
 * the one holding the stored first id: review 22's 1-5 stored over a first entry 1-6), or the file was crafted. Such a
 * real state carries a largest deleted id, which RDB 9 cannot hold either, so it is mostly refused before this is
 * asked. The conversion's digest reads the stored id without decoding the first node (a tenth of a re-encoding's CPU),
 * and RDB 9 has no field for it: the read-back derives it from the entries, so such an input differs from its output
 * where compare's fingerprint (no first id) sees none. Asked only once a conversion has failed: it decodes the stream.
 */
function firstIdNotFirstEntrys(k: RdbKey, n: number): string | undefined {
  if (k.type !== STREAM_2 && k.type !== STREAM_3) return undefined;
  const info = streamInfo(k.payload);
  const value = decodeDumpPayload(k.payload);
  const first = value.type === 'stream' ? value.entries[0]?.[0] : undefined;
  if (!info || first === undefined) return undefined;
  const stored = `${info.firstId[0]}-${info.firstId[1]}`;
  if (stored === first) return undefined;
  return `key ${n}, ${displayKey(k.name)}: its stored first id ${stored} is not its first entry's ${first}, which an RDB 9 server derives loading it (the input is inconsistent: written by a Redis before 7.2 after an XSETID below deleted entries, or crafted); --lossy stream-ids writes it with ${first}`;
}
