/**
 * How large the state a paused DR verification hands to its state machine
 * may grow, and the verdict of one that would outgrow it. The state is the
 * step's whole result (the S3 event and the progress with its checkpoint),
 * carried by Step Functions from one invocation to the next; a Redis 8.10
 * file's checkpoint holds the file's hash template registry (one entry per
 * template, and a server may hold about 100,000 of them), which no other
 * part of the state bounds. Pure.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (input or output of a task, state or execution: 256 KiB as UTF-8, a hard quota)
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html (input: at most 262144 bytes in UTF-8)
 */
import type { RdbCheckpoint, RdbReport } from '../rdb/verifier.js';

/** A template registry in a checkpoint: `[id, field count]` pairs, in the order the file defined them. */
export type TemplateEntries = readonly (readonly [id: number, fields: number])[];

/** Step Functions' largest state input or output: 256 KiB of UTF-8, a hard quota. */
export const STEP_FUNCTIONS_MAX_STATE_BYTES = 262_144;

/**
 * The largest state a paused verification returns: 192 KiB, a quarter under
 * the quota, so that what Step Functions adds or re-encodes (its own JSON
 * of the same values) never meets it.
 */
export const VERIFY_STATE_MAX_BYTES = 196_608;

/** The start of the reason a verification that could not be checkpointed gives: distinct from any format problem. */
export const NOT_CHECKPOINTABLE = 'not verified: state too large to checkpoint';

/** A part of a checkpoint named in {@link notCheckpointableReport}'s reason once its JSON passes this many bytes. */
const LARGE_PART_BYTES = 4096;

/**
 * What besides the template registry grows with the file in a checkpoint, each named when large: a file may select
 * some 100,000 databases (a server configured with as many loads it), define as many function libraries (their names
 * are held against later ones), name as many modules in AUX data, or hold as many AUX fields.
 */
function largeParts(cp: RdbCheckpoint): string[] {
  const parts: [what: string, value: unknown][] = [
    [`${cp.databases?.length ?? 0} databases`, [cp.databases ?? [], cp.keysByDb ?? {}]],
    [`${cp.functionLibraryNames?.length ?? 0} function library names`, cp.functionLibraryNames ?? []],
    [`${cp.moduleAux?.length ?? 0} modules' AUX data`, cp.moduleAux ?? []],
    [`${Object.keys(cp.auxFields ?? {}).length} AUX fields`, cp.auxFields ?? {}],
  ];
  return parts.filter(([, value]) => stateBytes(value) > LARGE_PART_BYTES).map(([what]) => what);
}

/** The bytes `state` takes in a Step Functions state: its JSON, as UTF-8. */
export function stateBytes(state: unknown): number {
  return new TextEncoder().encode(JSON.stringify(state)).length;
}

/**
 * The report of a verification that paused at `checkpoint` but whose state
 * (`bytes` long) cannot be carried to the next invocation: not verified and
 * not corrupt (it is the `unsupported` verdict, a file this verifier could
 * not judge where it runs), with the counts read so far and a reason that
 * says why and what to do. `paused` is the report the verifier gives at the
 * pause (its counts; its error, an end of input, is not the file's).
 */
export function notCheckpointableReport(paused: RdbReport, checkpoint: RdbCheckpoint, bytes: number): RdbReport {
  const templates = checkpoint.hashTemplates?.length ?? 0;
  const message =
    `${NOT_CHECKPOINTABLE}: at byte ${checkpoint.offset} the paused verification's state is ${bytes} bytes ` +
    `(${[`${templates} hash template${templates === 1 ? '' : 's'} defined so far`, ...largeParts(checkpoint)].join(', ')}), over the ${VERIFY_STATE_MAX_BYTES} bytes kept under ` +
    `Step Functions' ${STEP_FUNCTIONS_MAX_STATE_BYTES}-byte state limit; verify it in one process (redis-dr verify-rdb), which keeps no checkpoint`;
  return {
    ...paused,
    ok: false,
    error: { offset: checkpoint.offset, message },
    unsupported: {
      version: checkpoint.version,
      writtenBy: templates > 0 ? 'Redis 8.10 or later (RDB 15 hash templates)' : `RDB version ${checkpoint.version}`,
    },
  };
}

/** The prefix of a packed template registry (the layout's version). */
const PACKED = 't1:';

/** Appends `n` (>= 0) as a varint: 7 bits a byte, low first, the high bit set on all but the last. */
function varint(out: number[], n: bigint): void {
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
}

/**
 * A template registry as a checkpoint carries it: base64 of, per template,
 * its id's distance from the one before (zigzag, so ids in any order) and
 * its field count less one, each a varint. A server numbers its templates
 * from 0 up (the smallest free id), so most take two bytes, under three
 * characters of JSON where `[12345,3],` takes ten: the Step Functions state
 * holds about 70,000 of them instead of about 19,000. Ids of any size
 * round-trip exactly (as the doubles the verifier keeps).
 */
export function packTemplates(entries: TemplateEntries): string {
  const out: number[] = [];
  let previous = -1n;
  for (const [id, fields] of entries) {
    const at = BigInt(id);
    const step = at - previous;
    varint(out, step >= 0n ? step * 2n : -step * 2n - 1n);
    varint(out, BigInt(fields - 1));
    previous = at;
  }
  return PACKED + Buffer.from(out).toString('base64');
}

/** The registry {@link packTemplates} packed; an Error naming what is wrong when `packed` is no such text. */
export function unpackTemplates(packed: string): [id: number, fields: number][] {
  if (!packed.startsWith(PACKED)) throw new Error(`a packed template registry starts with "${PACKED}", got ${JSON.stringify(packed.slice(0, 8))}`);
  const bytes = Buffer.from(packed.slice(PACKED.length), 'base64');
  let at = 0;
  const next = (): bigint => {
    let n = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length) throw new Error(`the packed template registry ends inside a number (byte ${at})`);
      const b = bytes[at++]!;
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return n;
    }
  };
  const entries: [number, number][] = [];
  let previous = -1n;
  while (at < bytes.length) {
    const z = next();
    previous += z % 2n === 0n ? z / 2n : -(z + 1n) / 2n;
    entries.push([Number(previous), Number(next()) + 1]);
  }
  return entries;
}

/** `checkpoint` as the state carries it: its template registry packed ({@link packTemplates}); the rest as it is. */
export function packCheckpoint<T extends { readonly hashTemplates?: TemplateEntries }>(checkpoint: T): Omit<T, 'hashTemplates'> & { hashTemplates?: string } {
  const { hashTemplates, ...rest } = checkpoint;
  return hashTemplates === undefined ? rest : { ...rest, hashTemplates: packTemplates(hashTemplates) };
}
