/**
 * The element count of a value over proto-max-bulk-len (LLEN, HLEN, SCARD, ZCARD, XLEN), from the bytes the file
 * stores for it read forward in ranges each within the limit (ctx.stored), never the value whole: a hash table's,
 * set's or skiplist's count is its first length; a quicklist's is the sum of its nodes' listpack (ziplist) header
 * counts; a stream's length follows its nodes. Hand-written: the decoders (value.ts) read a value whole.
 * Undefined where the count is not in those heads (another encoding, a node whose count its header does not hold):
 * the caller refuses as before.
 */
import { decodeRdbString } from '../rdb/format/encoded-string.js';
import { listpackElementsOf } from '../rdb/format/listpack.js';
import { isStreamType } from '../rdb/format/opcodes.js';
import { Cursor, fail } from '../rdb/format/value-cursor.js';
import type { KeyValue } from '../rdb/fingerprint.js';
import { type CommandSpec, isReply, lookup, typed } from './context.js';
import type { IndexedKey } from './key-index.js';
import { R } from './resp.js';
import { SERVE_MAX_VALUE_BYTES, ValueTooBig } from './value-limit.js';

type Read = (key: IndexedKey, from: number, to: number) => Buffer | Promise<Buffer>;

/** Bytes read at a time: 1 MiB, or the limit when it is lower. */
const WINDOW = 1024 * 1024;

/** RDB value types whose count is their first length: set, zset, zset with binary scores, hash (hash tables, skiplists). */
const COUNTED_FIRST = new Set([2, 3, 4, 5]);
const QUICKLIST = 14;
const QUICKLIST_2 = 18;
/** A listpack's (ziplist's) header count when it holds 65535 elements or more: they must be walked. */
const COUNT_UNKNOWN = 0xffff;

/** A value's stored bytes, read forward through a window of at most `window` bytes. */
class Ranges {
  private buf: Buffer = Buffer.alloc(0);
  private from = 0;

  constructor(
    private readonly read: (from: number, to: number) => Buffer | Promise<Buffer>,
    readonly size: number,
    private readonly window: number,
  ) {}

  async bytes(at: number, n: number): Promise<Buffer> {
    if (at < this.from || at + n > this.from + this.buf.length) {
      this.buf = await this.read(at, Math.min(this.size, at + Math.max(n, this.window)));
      this.from = at;
    }
    if (at + n > this.from + this.buf.length) fail(`${n} bytes needed at byte ${at} of a value of ${this.size}`);
    return this.buf.subarray(at - this.from, at - this.from + n);
  }

  /** The RDB length at `at`, and where it ends. */
  async length(at: number): Promise<[number, number]> {
    const head = await this.bytes(at, Math.min(9, this.size - at));
    const c = new Cursor(head, 0, head.length);
    return [c.length(), at + c.at];
  }

  /** The RDB string at `at`: where its stored bytes start, where they end, and whether they are LZF-compressed. */
  async string(at: number): Promise<{ dataAt: number; end: number; lzf: boolean }> {
    const first = (await this.bytes(at, 1))[0]!;
    if (first >> 6 !== 3) {
      const [n, dataAt] = await this.length(at);
      return { dataAt, end: dataAt + n, lzf: false };
    }
    const enc = first & 0x3f;
    if (enc <= 2) return { dataAt: at + 1, end: at + 1 + [1, 2, 4][enc]!, lzf: false };
    if (enc !== 3) fail(`string encoding 0x${first.toString(16)} at byte ${at}`);
    const [compressed, plainAt] = await this.length(at + 1);
    const [, dataAt] = await this.length(plainAt);
    return { dataAt, end: dataAt + compressed, lzf: true };
  }
}

/** The elements of the listpack (`packed`: else a ziplist) stored as the string at `at`; undefined when not in its header. */
async function nodeCount(r: Ranges, at: number, packed: boolean): Promise<[number | undefined, number]> {
  const s = await r.string(at);
  // A compressed node is read whole (a node is list-max-listpack-size, 8 KiB by default) and decompressed.
  const bytes = s.lzf ? decodeRdbString(await r.bytes(at, s.end - at)) : await r.bytes(s.dataAt, packed ? 6 : 10);
  const n = packed ? bytes.readUInt16LE(4) : bytes.readUInt16LE(8);
  if (n !== COUNT_UNKNOWN) return [n, s.end];
  if (!packed) return [undefined, s.end];
  const whole = s.lzf ? bytes : await r.bytes(s.dataAt, s.end - s.dataAt);
  return [listpackElementsOf(whole).length, s.end];
}

/** A quicklist's element count: its nodes' header counts (a plain node, one element over the packed threshold: 1). */
async function quicklistCount(r: Ranges, v2: boolean): Promise<number | undefined> {
  let [nodes, at] = await r.length(0);
  let count = 0;
  for (; nodes > 0; nodes--) {
    let container = 2;
    if (v2) [container, at] = await r.length(at);
    if (container === 1) {
      at = (await r.string(at)).end;
      count += 1;
      continue;
    }
    const [n, end] = await nodeCount(r, at, v2);
    if (n === undefined) return undefined;
    count += n;
    at = end;
  }
  return count;
}

/** A stream's length: after its nodes (each a master ID and a listpack, as RDB strings). */
async function streamLength(r: Ranges): Promise<number> {
  let [nodes, at] = await r.length(0);
  for (; nodes > 0; nodes--) {
    at = (await r.string(at)).end;
    at = (await r.string(at)).end;
  }
  return (await r.length(at))[0];
}

/**
 * The element count of `key`'s value from its stored bytes read in ranges of at most `limit` (and 1 MiB);
 * undefined when its type or encoding keeps the count elsewhere.
 */
export async function storedCount(read: Read, key: IndexedKey, limit = SERVE_MAX_VALUE_BYTES): Promise<number | undefined> {
  const r = new Ranges((from, to) => read(key, from, to), key.valueEnd - key.valueAt, Math.min(WINDOW, limit));
  if (COUNTED_FIRST.has(key.type)) return (await r.length(0))[0];
  if (key.type === QUICKLIST || key.type === QUICKLIST_2) return quicklistCount(r, key.type === QUICKLIST_2);
  // Every stream type (Redis 5-6.2, 7.0-7.2, 7.4-8.4, 8.6's 26, 8.8's 27) begins with its nodes, then its length.
  if (isStreamType(key.type)) return streamLength(r);
  return undefined;
}

/**
 * LLEN, HLEN, SCARD, ZCARD or XLEN: `count` of the value; of a value over proto-max-bulk-len (ValueTooBig), the
 * count its stored bytes hold ({@link storedCount}), else the refusal as before.
 */
export function countCommand<T extends KeyValue['type']>(type: T, count: (v: Extract<KeyValue, { type: T }>) => number): CommandSpec {
  return {
    arity: 2,
    async run(ctx, s, [, key]) {
      try {
        const v = await typed(ctx, s, key!, type);
        return isReply(v) ? v : R.int(v === null ? 0 : count(v));
      } catch (err) {
        if (!(err instanceof ValueTooBig) || !ctx.stored) throw err;
        const n = await storedCount(ctx.stored, ctx.index.entry(s.db, lookup(ctx, s.db, key!)), ctx.maxValueBytes);
        if (n === undefined) throw err;
        return R.int(n);
      }
    },
  };
}
