/**
 * `convert-rdb` of whatever its input names: one RDB file (convert-rdb.ts, as ever), or every shard file of one
 * cluster-mode recovery point (`<dir>/<export name>`, `s3://bucket/<export name>`, or the shard files given one by
 * one), resolved and checked as `migrate --from-rdb` resolves them (sources.ts, domain/keys/shard-set.ts: one
 * export, every shard once, none missing), each converted by the one-file run into `-o <folder>/` or
 * `-o s3://bucket/<prefix>/` under its own name; every key's hash slot is held against the set as migrate's read holds
 * it (SlotOwnership: two files with keys of one slot, or a key outside the slots its shard's tag recorded, refuse it).
 *
 * All or nothing: every shard's output is checked before any input is read (a name taken is refused without
 * `--force`, for every shard); each shard is converted and verified into its temporary file; only once every one
 * is does any go under its name (a local file linked into place; an object uploaded, read back and verified), and
 * a shard that fails then takes back the ones already stored (convert-rdb.ts StagedOutput.unstore: only what this
 * run put there). An interrupt while converting leaves temporary files only, removed as the process exits
 * (adapters/storage/output-file.ts); while storing, {@link ConvertRdbRun.interrupt} stops the run, takes back what
 * it stored, and only then says so. A dry run judges every shard.
 *
 * Room: the converted point is whole on the disk before anything is stored (beside the outputs, or for an `s3://`
 * output in the temporary folder): the price of storing nothing until every shard is proven.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { slotOfBytes } from '../../domain/keys/hash-slot.js';
import { SlotOwnership } from '../../domain/keys/shard-set.js';
import type { RdbFormat } from '../../domain/rdb/engines.js';
import { UsageError } from '../kernel/usage-error.js';
import type { CutPut } from '../../adapters/storage/object-store-s3.js';
import { FolderSyncError } from '../../adapters/storage/output-file.js';
import { collectAfterBigKeys, convertRdbStaged, type ConvertRdbResult, type ConvertRdbSpec, convertSources, type StagedOutput } from './convert-rdb.js';
import { checkOutput } from './convert-output.js';

/** What to convert: one file, or the shard files of one recovery point. */
export interface ConvertPointSpec extends Omit<ConvertRdbSpec, 'input'> {
  /** What `convert-rdb` was given: a file, `<dir>/<export name>`, `s3://bucket/key.rdb` or `s3://bucket/<export name>`, or several shard files. */
  readonly inputs: readonly string[];
  /** The recovery point's shard count, for local shard files (S3 objects carry it in their tags). */
  readonly shards?: number;
  /** A shard (1…N) converted and verified under its temporary name, then stored under its name (a promise returned is awaited). */
  readonly onShard?: (shard: number, stage: 'converted' | 'stored') => void | Promise<void>;
}

/** What a run over the shard files of one recovery point did. */
export interface ConvertPointResult {
  /** Every shard's output stored and verified (a dry run: every shard would go through). */
  readonly ok: boolean;
  /** Why not: nothing of the run was left at the output. */
  readonly error?: string;
  readonly dryRun?: true;
  readonly inputs: readonly string[];
  /** The folder or prefix (absent only in a dry run without `-o`). */
  readonly output?: string;
  readonly target: string;
  readonly format: RdbFormat;
  readonly shards: number;
  readonly exportName?: string;
  /** Each shard's run, in shard order: every shard in a dry run; those run before a failure otherwise. */
  readonly files: readonly ConvertRdbResult[];
  readonly keys: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly seconds: number;
}

/** A run under way. */
export interface ConvertRdbRun {
  readonly done: Promise<ConvertRdbResult | ConvertPointResult>;
  /**
   * A signal came. Before anything is stored it resolves at once (the temporary files go as the process exits);
   * while outputs are being stored (a one-file run's too) it stops the run (an upload cut short: its object looked for
   * by the put's mark and removed), takes back what it stored, then resolves with what to say; after the run ended,
   * with what it ended with. Undefined: the caller's own words (nothing stored: a one-file run converting, a dry run).
   */
  interrupt(): Promise<string | undefined>;
}

/** Why a run stopped on {@link ConvertRdbRun.interrupt}: what it stored was taken back, and the interrupt says so. */
export class ConvertInterrupted extends Error {
  override readonly name = 'ConvertInterrupted';
  constructor() {
    super('interrupted');
  }
}

/** Runs {@link startConvertRdb} to its end. */
export function convertRdbPoint(spec: ConvertPointSpec): Promise<ConvertRdbResult | ConvertPointResult> {
  return startConvertRdb(spec).done;
}

/** Whether a result is a recovery point's (several shard files). */
export const isPointResult = (r: ConvertRdbResult | ConvertPointResult): r is ConvertPointResult => 'files' in r;

/** Starts converting what `spec.inputs` names (see the module's comment). */
export function startConvertRdb(spec: ConvertPointSpec): ConvertRdbRun {
  const abort = new AbortController();
  let phase: 'resolving' | 'one' | 'converting' | 'storing' | 'done' = 'resolving';
  let takenBack = '';
  /** What the run ended with, for a signal that comes after it ended (the process not yet gone). */
  let ended = '';
  const run = async (): Promise<ConvertRdbResult | ConvertPointResult> => {
    const { set, files } = await convertSources(spec.inputs, spec.readPartBytes, spec.shards);
    if (files.length === 1) {
      phase = 'one';
      const input = spec.inputs.length === 1 ? spec.inputs[0]! : files[0]!.location;
      const { result, staged } = await convertRdbStaged({ ...spec, input }, files[0]);
      if (!staged) return result;
      phase = 'storing';
      try {
        return await storeOne(staged, abort.signal, (words) => {
          takenBack = words;
        });
      } finally {
        phase = 'done';
      }
    }
    phase = 'converting';
    const started = Date.now();
    const outputs = await outputsOf(spec, set.files, set.exportName);
    // A failed run keeps no shard's output: one converted and verified (or stored, then taken back) says so, not `ok`.
    const notKept = 'converted and verified, but not kept: the run stores every shard or none, and it failed (see its error)';
    const point = (results: readonly ConvertRdbResult[], error?: string): ConvertPointResult => {
      const files = error === undefined || spec.dryRun ? results : results.map((f) => (f.ok ? { ...f, ok: false, error: notKept } : f));
      return pointResult(files, error);
    };
    const pointResult = (files: readonly ConvertRdbResult[], error?: string): ConvertPointResult => ({
      ok: error === undefined && files.every((f) => f.ok),
      ...(error !== undefined ? { error } : {}),
      ...(spec.dryRun ? { dryRun: true as const } : {}),
      inputs: spec.inputs,
      ...(spec.output !== undefined ? { output: spec.output } : {}),
      target: spec.target,
      format: spec.format,
      shards: set.shards,
      ...(set.exportName !== undefined ? { exportName: set.exportName } : {}),
      files,
      keys: files.reduce((n, f) => n + f.keys, 0),
      bytesIn: files.reduce((n, f) => n + f.bytesIn, 0),
      bytesOut: files.reduce((n, f) => n + f.bytesOut, 0),
      seconds: (Date.now() - started) / 1000,
    });
    // Every key's hash slot held against the set, as migrate --from-rdb holds it (two files with keys of one slot, or a
    // key outside the slots its shard's tag recorded: not the shards of one recovery point).
    const ownership = new SlotOwnership(set);
    let misplaced: string | undefined;
    const shardSpec = (i: number): ConvertRdbSpec & { signal: AbortSignal } => ({
      ...spec,
      input: set.files[i]!.location,
      ...(outputs[i] !== undefined ? { output: outputs[i] } : {}),
      signal: abort.signal,
      onKeyName: (names, from, to) => {
        misplaced ??= ownership.check(i, slotOfBytes(names, from, to));
      },
    });
    const notOnePoint = () => `the files are refused: ${misplaced}; ${nothing}`;
    const nothing = spec.dryRun ? 'a real run stores nothing' : `nothing of the run was left at ${spec.output}`;
    const results: ConvertRdbResult[] = [];
    const staged: StagedOutput[] = [];
    const stored: StagedOutput[] = [];
    /** The output whose store is under way. */
    let inFlight: StagedOutput | undefined;
    const dropAll = async () => {
      for (const s of staged) await s.discard();
    };
    try {
      for (const [i, file] of files.entries()) {
        const r = await convertRdbStaged(shardSpec(i), file);
        // What a shard's big key left (its parts, its read-back's) goes before the next shard, or the store, takes more.
        collectAfterBigKeys(r.keysInParts);
        results.push(r.result);
        if (r.staged) staged.push(r.staged);
        if (r.staged) await spec.onShard?.(i + 1, 'converted');
        if (!r.result.ok && !spec.dryRun) {
          await dropAll();
          return point(results, `shard ${i + 1} of ${set.shards}, ${file.location}: ${r.result.error}; ${nothing}`);
        }
        if (misplaced !== undefined && !spec.dryRun) {
          await dropAll();
          return point(results, notOnePoint());
        }
      }
      if (spec.dryRun) return point(results, dryRefusal(results, set.shards, misplaced, nothing));
      phase = 'storing';
      for (const [i, s] of staged.entries()) {
        inFlight = s;
        const r = await s.store(abort.signal);
        inFlight = undefined;
        results[i] = r;
        if (!r.ok) {
          // An interrupt meanwhile (its abort no longer stops anything) says this too, not an empty line. An object of
          // the run the failed store may have left (not verified) is named, not counted as nothing left.
          // One put under its name before its store failed (its folder's sync) is taken back with the others.
          const ours = s.inPlace() ? [...stored, s] : stored;
          const back = (takenBack = await takeBack(ours, s.leftUnverified() ? { location: s.location, said: true } : undefined));
          await dropAll();
          return point(results, `shard ${i + 1} of ${set.shards}, ${r.input}: ${r.error}; ${back}`);
        }
        stored.push(s);
        await spec.onShard?.(i + 1, 'stored');
        abort.signal.throwIfAborted();
      }
      // Every shard stored: the files they replaced (--force), kept aside to be put back, go.
      await dropAll();
      return point(results);
    } catch (err) {
      // A put the abort cut short may have been stored by S3 all the same (its answer never came back, no ETag to
      // take it back by): named, not counted as nothing left.
      if (phase === 'storing') takenBack = await takeBack(stored, inFlight && { location: inFlight.location, said: false, cut: inFlight.cut() });
      await dropAll();
      throw err;
    } finally {
      phase = 'done';
    }
  };
  // A signal after the run ended (its words not yet printed, or printed): what it ended with, never "nothing written".
  const done = run().then(
    (r) => {
      if (!spec.dryRun) ended = endedWords(r);
      phase = 'done';
      return r;
    },
    (err: unknown) => {
      if (!spec.dryRun && !(err instanceof ConvertInterrupted)) ended = thrownWords(err, takenBack);
      phase = 'done';
      throw err;
    },
  );
  return {
    done,
    async interrupt() {
      if (phase === 'done') return ended || undefined;
      if (phase === 'resolving' || phase === 'one') return undefined;
      if (phase === 'converting') return `the temporary files were removed, nothing was written to ${spec.output ?? 'the output'}`;
      abort.abort(new ConvertInterrupted());
      await done.catch(() => undefined);
      // Nothing taken back (the abort came after the last store's check): what the run ended with, never an empty reason.
      return takenBack || ended || undefined;
    },
  };
}

/**
 * One file's verified output stored under `signal`: a signal meanwhile cuts an upload short (its object looked for by
 * the put's mark and removed), then what was stored is taken back, and `said` gets the words for it.
 */
async function storeOne(staged: StagedOutput, signal: AbortSignal, said: (words: string) => void): Promise<ConvertRdbResult> {
  let stored = false;
  try {
    const r = await staged.store(signal);
    stored = r.ok || staged.inPlace();
    signal.throwIfAborted();
    return r;
  } catch (err) {
    const cut = staged.cut();
    const unsure = staged.leftUnverified();
    said(
      await takeBack(stored ? [staged] : [], !stored && (cut !== undefined || unsure) ? { location: staged.location, said: unsure, cut } : undefined, 'output'),
    );
    throw err;
  } finally {
    await staged.discard();
  }
}

/** A dry run's verdict over a recovery point's shards: each refusal on its line, and the set's; undefined when a real run would go through. */
function dryRefusal(results: readonly ConvertRdbResult[], shards: number, misplaced: string | undefined, nothing: string): string | undefined {
  const refused = results.flatMap((r, i) => (r.ok ? [] : [`shard ${i + 1} of ${shards}, ${r.input}: ${r.error}`]));
  if (misplaced !== undefined) refused.push(`the files are refused: ${misplaced}`);
  return refused.length > 0 ? `${refused.join('\n')}\n${nothing}` : undefined;
}

/** What a run ended with, for a signal that comes after it ended. */
const endedWords = (r: ConvertRdbResult | ConvertPointResult): string =>
  r.ok
    ? `the run had ended: ${'files' in r ? `every shard output in ${r.output} is` : `${r.output} is`} stored and verified`
    : `the run had ended, and failed: ${r.error}`;

/** The same for a run that threw (a usage error, a read that failed; the caller prints it), with what was `takenBack`. */
const thrownWords = (err: unknown, takenBack: string): string =>
  `the run had ended, and failed: ${err instanceof Error ? err.message : String(err)}${takenBack ? `; ${takenBack}` : ''}`;

/**
 * Removes what the run stored (each only while it is what the run put there), and says so: what could not be
 * removed is named, with why. `underWay`: an output whose store did not end in a known state (an upload cut short, or
 * one whose failure left an object of the run unverified, `said` in its own error), which may hold an object of the run;
 * `cut`: what an upload a signal cut short left (the put looked for its own object by its mark, and removed it).
 * `noun`: what an output is called (`output` for a one-file run).
 */
async function takeBack(
  stored: readonly StagedOutput[],
  underWay?: { location: string; said: boolean; cut?: CutPut | undefined },
  noun = 'shard output',
): Promise<string> {
  const left: string[] = [];
  const replaced: string[] = [];
  /** Objects that were there before the run, which --force replaced: S3 kept no copy to put back. */
  const lost: string[] = [];
  /** Taken back, but their folder's sync then failed: a crash may undo it. */
  const unsynced: FolderSyncError[] = [];
  for (const s of stored) {
    try {
      const done = await s.unstore();
      if (done === 'replaced') replaced.push(s.location);
      if (done === 'removed' && s.replaces) lost.push(s.location);
    } catch (err) {
      if (err instanceof FolderSyncError) unsynced.push(err);
      else left.push(`${s.location} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  // An upload cut short whose object was found and removed (or none was there) leaves nothing to name but that.
  const cutGone = underWay && !underWay.said && (underWay.cut === 'removed' || underWay.cut === 'none');
  const cutNote = !cutGone
    ? ''
    : underWay.cut === 'removed'
      ? `; the object S3 had stored of the upload under way (${underWay.location}) was removed`
      : `; the upload under way (${underWay.location}) left no object of the run (looked for by its mark)`;
  const cut =
    underWay &&
    !cutGone &&
    (underWay.said
      ? `what ${underWay.location} may hold of this run is left as said`
      : `${underWay.location}, whose upload was under way, may hold an object of this run, not verified: remove it, or run verify-rdb on it`);
  // The folders whose sync failed after the take-back, each once.
  const folders = [...new Map(unsynced.map((e) => [e.folder, e.reason])).entries()];
  const note =
    folders.length > 0
      ? `; ${folders.map(([f, why]) => `the folder ${f} could not be synced after the take-back (${why})`).join('; ')}: a crash may undo it`
      : '';
  const n = stored.length;
  const outputs = n === 1 ? noun : `${n} ${noun}s`;
  if (left.length > 0)
    return `the ${n === 1 ? noun : `${noun}s`} already stored could not ${n === 1 ? 'be' : 'all be'} removed: remove ${left.join(', ')}${cutNote}${cut ? `; ${cut}` : ''}${note}`;
  const gone = lost.length > 0 ? `; the objects at ${lost.join(', ')} before the run, which --force replaced, are gone (S3 kept no copy of them)` : '';
  const rest = `${cut || 'nothing of the run is left'}${gone}${note}`;
  if (n === 0) return `no ${noun} was stored${cut ? `; ${cut}` : cutGone ? `${cutNote}, nothing of the run is left` : ''}`;
  if (replaced.length === 0) return `the ${outputs} already stored ${n === 1 ? 'was' : 'were'} removed${cutNote}, ${rest}`;
  // Another writer's file or object that took a stored output's place meanwhile is not the run's: left, and named.
  const removed = n - replaced.length;
  return (
    `of the ${outputs} already stored, ${removed} ${removed === 1 ? 'was' : 'were'} removed and ` +
    `${replaced.join(', ')} ${replaced.length === 1 ? 'was' : 'were'} replaced by another writer meanwhile (left as found)${cutNote}, ${rest}`
  );
}

/**
 * Where each shard goes: `-o` a folder (one there, or a path ending in `/`) or an `s3://bucket/<prefix>/`, the shard
 * under its input's name. Each output checked as the one-file run checks it, every one before anything is read: a
 * real run refuses (a usage error) naming every shard refused; a dry run's shards say it in their results.
 */
async function outputsOf(spec: ConvertPointSpec, files: readonly { location: string; name: string }[], exportName?: string): Promise<(string | undefined)[]> {
  const n = files.length;
  const output = spec.output;
  const point = `the input names the ${n} shard files of one recovery point${exportName ? ` (${exportName})` : ''}`;
  if (output === undefined) {
    if (spec.dryRun) return files.map(() => undefined);
    throw new UsageError(`${point}: give -o <folder>/ or -o s3://<bucket>/<prefix>/, where they are written under their names`);
  }
  let place: (name: string) => string;
  if (output.startsWith('s3://')) {
    if (!/^s3:\/\/[^/]+\/(.*\/)?$/.test(output))
      throw new UsageError(`-o ${output}: ${point}, written under their names: -o names the prefix they go under, ending in '/' (write it as ${output}/)`);
    place = (name) => `${output}${name}`;
  } else {
    const folder = folderState(output);
    if (folder === 'file' || (folder === 'none' && !output.endsWith('/')))
      throw new UsageError(
        `-o ${output}: ${point}, written under their names: -o names the folder they go into, not a file (an existing folder, or a path ending in '/')`,
      );
    // A dry run says it per shard (checkOutput: the folder it goes into does not exist).
    if (folder === 'none' && !spec.dryRun) throw new UsageError(`-o ${output}: the folder does not exist; create it first`);
    place = (name) => join(output, name);
  }
  const outputs = files.map((f) => place(f.name));
  const refused: string[] = [];
  for (const [i, f] of files.entries()) {
    // A dry run's check says what a real run refuses without throwing it: gathered here, so that a real run names every shard refused.
    const checked = await checkOutput({ ...spec, input: f.location, output: outputs[i]!, dryRun: true });
    if (checked.refused) refused.push(checked.refused);
  }
  if (refused.length > 0 && !spec.dryRun)
    throw new UsageError(`${refused.join('; ')} (${refused.length} of the ${n} shard outputs refused; nothing was read or written)`);
  return outputs;
}

/** What a local `-o` names: a folder, a file (or anything else there), or nothing. */
function folderState(path: string): 'folder' | 'file' | 'none' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'none';
  }
}
