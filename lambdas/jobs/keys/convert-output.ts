/**
 * `convert-rdb`'s output, before and around the write (convert-rdb.ts runs the rest): the `-o` checks every run makes
 * before anything is read, and where the writer's chunks go — the temporary file of a real run
 * (adapters/storage/output-file.ts), or in a dry run (`--dry-run`) a sink that counts them and writes nothing.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  earlierLeftovers,
  longestNameBeside,
  NAME_MAX_BYTES,
  type OutputFile,
  outputFolderExists,
  outputPathState,
  samePath,
} from '../../adapters/storage/output-file.js';
import type { S3Output } from '../../adapters/storage/s3-output.js';
import { s3UrlMeant } from '../../domain/keys/s3-url-meant.js';
import { UsageError } from '../kernel/usage-error.js';
import type { ConvertRdbSpec } from './convert-input.js';

/** What the checks found: where a real run writes, and in a dry run what was checked and why a real run would refuse. */
export interface OutputChecked {
  /** The local path the output (an `s3://` output's temporary file) is written at; none in a dry run without `-o`. */
  readonly local?: string;
  readonly s3?: S3Output;
  /** An `s3://` output: an object was at the key when checked, which --force replaces (S3 keeps no copy of it). */
  readonly replaces?: true;
  /** Dry run: what was checked of the output, and what was not (what only a write tells), in words. */
  readonly checked?: string;
  /** Dry run: why a real run would refuse the output before reading anything (a real run throws it, a UsageError). */
  readonly refused?: string;
  /** What earlier runs killed before they ended left beside the output (or its local temporary file), named: output-file.ts earlierLeftovers. */
  readonly earlier?: readonly string[];
}

/** Not checked by a dry run: what only a write tells. */
const UNCHECKED = 'not checked: the permission to write there (only a write tells)';

/**
 * Checks the output before any work: one line naming it and the fix. For an
 * `s3://` output, the object (an object there is refused without --force),
 * and the local path its temporary file is verified at before the upload.
 * A dry run makes the same checks, none of which writes: a malformed `-o` is a
 * usage error as ever, while what the output's place holds (a file or object
 * there without --force, no folder or bucket) is said as what a real run would
 * refuse, and the input is still judged.
 */
export async function checkOutput(spec: ConvertRdbSpec): Promise<OutputChecked> {
  const output = spec.output;
  if (output === undefined) {
    if (!spec.dryRun) throw new UsageError('give -o <file> or -o s3://<bucket>/<key>: the file to write');
    return { checked: 'no -o given: the output was not checked' };
  }
  // An empty -o (an unset shell variable) named no file: the run went on and ended in 'a file appeared there during the run'.
  if (output === '') throw new UsageError('-o is empty: give the path of the .rdb file to write, or s3://<bucket>/<key>.rdb');
  // What the place holds: a real run refuses it here; a dry run says so and goes on judging the input.
  const refuse = (why: string, realRunSays = ''): OutputChecked => {
    if (!spec.dryRun) throw new UsageError(`${why}${realRunSays}`);
    return { refused: why, checked: why };
  };
  // The input is the only copy of its data until the output is proven: never written over, even with --force.
  if (sameLocation(spec.input, output))
    throw new UsageError(`-o ${output}: that is the input; write the converted copy to another path or key (the input stays as it is)`);
  if (output.startsWith('s3://')) {
    // The AWS SDK loads only for s3:// outputs.
    const s3 = (await import('../../adapters/storage/s3-output.js')).s3Output(output);
    // s3:///b/k.rdb (a slash too many) names the URL meant.
    if (!s3)
      throw new UsageError(`-o ${output}: not an S3 object; write it as ${s3UrlMeant(output) ?? 's3://<bucket>/<key>.rdb'}; nothing was read or written`);
    if (s3.keyProblem) throw new UsageError(`-o ${output}: ${s3.keyProblem}; nothing was read or written`);
    const missing = await s3.missingBucket();
    if (missing) return refuse(`-o ${output}: ${missing}`, '; nothing was read or written');
    const there = await s3.exists();
    if (there && !spec.force) return refuse(`-o ${output}: the object exists; give --force to replace it, or another key`);
    // The key's last segment names the local file, or (one too long for the temporary name beside it) its digest does.
    const named = join(tmpdir(), `redis-dr-convert-${s3.name}`);
    const local =
      longestNameBeside(named, false) > NAME_MAX_BYTES
        ? join(tmpdir(), `redis-dr-convert-${createHash('sha256').update(s3.name).digest('hex').slice(0, 32)}.rdb`)
        : named;
    const object = there ? 'an object is at the key, which --force replaces' : 'no object at the key (HeadObject)';
    return {
      local,
      s3,
      ...earlierOf(local),
      ...(there ? { replaces: true as const } : {}),
      checked: `-o ${output}: the bucket is there (HeadBucket: it answered, or refused this caller) and ${object}; ${UNCHECKED}`,
    };
  }
  // S3:// (any case but s3), s3:/… (a slash short), s3:b/…, s3//b/…, s3:///b/…, a space before s3://: an S3 object meant,
  // and otherwise taken as a local path in a folder that is not there (s3:b); a folder of that name that is there is written in.
  const meant = s3UrlMeant(output);
  if (meant && !outputFolderExists(output))
    throw new UsageError(`-o ${output}: an S3 object is written s3://<bucket>/<key>, lower case, two slashes; write it as ${meant}`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(output)?.[1];
  // Another scheme (file://, https://) would be taken as a relative path beginning with it; file:///<path> names the local path meant.
  if (scheme) {
    const local = scheme.toLowerCase() === 'file' && output.startsWith('/', scheme.length + 3) ? ` (${output.slice(scheme.length + 3)})` : '';
    throw new UsageError(`-o ${output}: ${scheme}:// is not an output redis-dr writes; give a local path${local} or s3://<bucket>/<key>.rdb`);
  }
  // A path ending in '/' names a folder (as -o does for a recovery point's shard files): one file's output was written
  // as a file without the slash (-o out/ made a file named out, said as 'out/: …'), not into the folder meant.
  if (output.endsWith('/'))
    throw new UsageError(
      `-o ${output}: ends in '/', a folder; give the path of the .rdb file to write (a folder is -o only for the shard files of a recovery point)`,
    );
  const state = outputPathState(output);
  if (state.is === 'folder') return refuse(`-o ${output}: a folder; give the path of the .rdb file to write`);
  if (state.is === 'other') return refuse(`-o ${output}: not a regular file (a device, a socket or a pipe); give the path of the .rdb file to write`);
  if (state.is === 'file' && !spec.force) return refuse(`-o ${output}: the file exists; give --force to replace it, or another path`);
  if (state.is === 'link' && !spec.force)
    return refuse(
      `-o ${output}: a symbolic link is there (to ${state.to}); give --force to replace the link (what it points to is left as it is), or another path`,
    );
  if (!outputFolderExists(output)) return refuse(`-o ${output}: the folder it goes into does not exist; create it first`);
  // The output is written first under a longer name beside it (and, with --force, the file it replaces kept aside under one).
  const longest = longestNameBeside(output, spec.force ?? false);
  if (longest > NAME_MAX_BYTES) {
    const name = Buffer.byteLength(basename(output));
    return refuse(
      `-o ${output}: its name is ${name} bytes, and the run writes it first under a name ${longest - name} bytes longer beside it, over the ${NAME_MAX_BYTES} bytes a file name may have; give a name of at most ${NAME_MAX_BYTES - (longest - name)} bytes`,
    );
  }
  const file =
    state.is === 'file'
      ? 'a file is there, which --force replaces'
      : state.is === 'link'
        ? `a symbolic link is there (to ${state.to}), which --force replaces (not what it points to)`
        : 'no file there';
  return { local: output, checked: `-o ${output}: ${file}, and its folder exists; ${UNCHECKED}`, ...earlierOf(output) };
}

/** `{ earlier }` when earlier runs killed before they ended left files beside `local`; else nothing. */
function earlierOf(local: string): { earlier?: readonly string[] } {
  const earlier = earlierLeftovers(local);
  return earlier.length > 0 ? { earlier } : {};
}

/** Whether two locations name the same file (resolved, links followed where it exists) or the same `s3://` object. */
function sameLocation(a: string, b: string): boolean {
  if (a.startsWith('s3://') || b.startsWith('s3://')) return a.replace(/^s3:\/\/([^/]+)\/+/, 's3://$1/') === b.replace(/^s3:\/\/([^/]+)\/+/, 's3://$1/');
  return samePath(a, b);
}

/** Where the writer's chunks go while the input is read: a real run's temporary file, or a dry run's {@link countingSink}. */
export type ChunkSink = Pick<OutputFile, 'write' | 'discard'>;

/** A dry run's sink: every byte the writer hands out counted, none kept (no checksum: a trailer is 8 bytes whatever it holds). */
export interface CountingSink extends ChunkSink {
  /** Bytes handed to {@link write} so far: the size the written file would have. */
  readonly counted: number;
}

/** A {@link CountingSink}: nothing is written anywhere (no file, no temporary file, no object). */
export function countingSink(): CountingSink {
  let counted = 0;
  return {
    get counted() {
      return counted;
    },
    async write(chunk) {
      counted += chunk.length;
    },
    async discard() {},
  };
}
