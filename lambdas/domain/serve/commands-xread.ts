/**
 * XREAD as a Redis 7.0 server answers it (src/t_stream.c xreadCommand) at
 * a point nothing writes to: the entries after each id given, at once; with
 * `BLOCK ms` and nothing to answer, a null after the timeout, as a server
 * that no client writes to answers (`BLOCK 0`: it waits as long as the
 * client stays, as that server does); inside EXEC at once.
 */
import type { StreamId } from '../rdb/format/stream-ids.js';
import { type CommandSpec, isReply, type ServeContext, type Session, typed } from './context.js';
import { cmpId, idOf, streamRange } from './commands-sorted.js';
import { R, type Reply } from './resp.js';
import { ERR, parseInteger } from './reply-text.js';

const U64_MAX = 2n ** 64n - 1n;
/** The largest stream id: XREAD's range runs from the id given to it. */
const MAX_ID: StreamId = [U64_MAX, U64_MAX];

/**
 * A part of a stream id as 7.0's string2ull reads it: a canonical integer (string2ll) not below 0, or what C's strtoull
 * takes whole (leading whitespace, a sign, digits; a minus wraps modulo 2^64; past 2^64−1 refused).
 */
function string2ull(text: string): bigint | undefined {
  const canonical = parseInteger(Buffer.from(text, 'latin1'));
  if (canonical !== undefined) return canonical < 0 ? undefined : BigInt(text);
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (!m) return undefined;
  const n = BigInt(m[2]!);
  if (n > U64_MAX) return undefined;
  return m[1] === '-' ? (2n ** 64n - n) % 2n ** 64n : n;
}

/** An id as XREAD's streamParseStrictIDOrReply reads it: `ms` or `ms-seq` (split at the first `-`), no `-`, `+` or `$` here. */
function strictId(arg: Buffer): StreamId | undefined {
  const text = arg.toString('latin1');
  if (text.length > 127 || text === '-' || text === '+') return undefined;
  const dash = text.indexOf('-');
  const ms = string2ull(dash < 0 ? text : text.slice(0, dash));
  const seq = dash < 0 ? 0n : string2ull(text.slice(dash + 1));
  return ms === undefined || seq === undefined ? undefined : [ms, seq];
}

/** What XREAD's options say, or the error 7.0 answers first. */
interface XreadArgs {
  readonly count: number;
  /** Milliseconds; undefined: no BLOCK; 0: as long as the client stays. */
  readonly block?: number;
  readonly keys: readonly Buffer[];
  readonly ids: readonly Buffer[];
}

/** XREAD's options, read in order up to STREAMS (which takes the rest: as many ids as keys). */
function xreadArgs(args: readonly Buffer[]): XreadArgs | Reply {
  let count = 0;
  let block: number | undefined;
  for (let i = 1; i < args.length; i++) {
    const opt = args[i]!.toString('latin1').toLowerCase();
    const more = args.length - i - 1;
    if (opt === 'block' && more > 0) {
      const t = parseInteger(args[++i]!);
      if (t === undefined) return R.error('ERR timeout is not an integer or out of range');
      if (t < 0) return R.error('ERR timeout is negative');
      block = t;
    } else if (opt === 'count' && more > 0) {
      const c = parseInteger(args[++i]!);
      if (c === undefined) return R.error(ERR.notInteger);
      count = Math.max(0, c);
    } else if (opt === 'streams' && more > 0) {
      const rest = args.slice(i + 1);
      if (rest.length % 2 !== 0) return R.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      return { count, ...(block !== undefined ? { block } : {}), keys: rest.slice(0, rest.length / 2), ids: rest.slice(rest.length / 2) };
    } else if (opt === 'group' && more >= 2) return R.error('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
    else if (opt === 'noack') return R.error('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
    else return R.error(ERR.syntax);
  }
  // STREAMS is mandatory.
  return R.error(ERR.syntax);
}

/** The longest a timer waits (setTimeout's limit, about 24.8 days): a longer BLOCK waits as BLOCK 0 does. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * The null a blocked XREAD answers once `ms` have passed with nothing written (never, for 0 or past a timer's reach), or
 * at once when its client leaves (`left`: nothing will be written meanwhile either, and the connection is then freed).
 */
function afterTimeout(ms: number, left: AbortSignal | undefined): Promise<Reply> {
  return new Promise<Reply>((resolve) => {
    if (left?.aborted) return resolve(R.nullArray);
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      left?.removeEventListener('abort', done);
      resolve(R.nullArray);
    };
    left?.addEventListener('abort', done, { once: true });
    // Unref'd: a client waiting keeps no serve process from stopping.
    if (ms !== 0 && ms <= LONGEST_TIMER_MS) timer = setTimeout(done, ms).unref();
  });
}

/** XREAD: per stream with entries after its id, the stream's name and those entries (COUNT of them at most); a map in RESP3. */
async function xread(ctx: ServeContext, s: Session, args: Buffer[]): Promise<Reply> {
  const a = xreadArgs(args);
  if (isReply(a)) return a;
  const after: { key: Buffer; gt: StreamId; entries: readonly (readonly [string, readonly Buffer[]])[] }[] = [];
  // Each key looked up and type-checked, then its id read, in turn (a later key's WRONGTYPE after an earlier bad id).
  for (let i = 0; i < a.keys.length; i++) {
    const v = await typed(ctx, s, a.keys[i]!, 'stream');
    if (isReply(v)) return v;
    const text = a.ids[i]!.toString('latin1');
    let gt: StreamId | undefined;
    if (text === '$') gt = v?.meta ? idOf(v.meta.lastId) : v && v.entries.length > 0 ? idOf(v.entries.at(-1)![0]) : [0n, 0n];
    else if (text === '>') return R.error('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
    else gt = strictId(a.ids[i]!);
    if (!gt) return R.error(ERR.streamId);
    if (v) after.push({ key: a.keys[i]!, gt, entries: v.entries });
  }
  const served: [Reply, Reply][] = [];
  for (const { key, gt, entries } of after) {
    // Served when the last entry there (streamLastValidID) is past the id: entries after it, in order.
    if (entries.length === 0 || cmpId(idOf(entries.at(-1)![0]), gt) <= 0) continue;
    const newer = streamRange(entries, gt, MAX_ID, { after: true, count: a.count });
    served.push([R.bulk(key), R.array(newer.map(([id, fields]) => R.array([R.bulk(id), R.bulks(fields)])))]);
  }
  if (served.length > 0) return s.proto === 3 ? R.map(served) : R.array(served.map((pair) => R.array(pair)));
  // Nothing to answer: BLOCK waits for a write that never comes (inside EXEC a server answers at once).
  if (a.block !== undefined && !s.inExec) return afterTimeout(a.block, s.left);
  return R.nullArray;
}

export const XREAD_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  xread: { arity: -4, run: xread },
};
