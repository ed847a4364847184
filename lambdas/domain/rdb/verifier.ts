/**
 * A streaming, pure verifier for Redis RDB files (versions 1–12): it checks the
 * structure of every opcode and value, validates the compact encodings stored
 * inside strings, decompresses LZF to check lengths, counts keys, and compares
 * the CRC-64 trailer. Bytes arrive in chunks of any size; only the value being
 * parsed is held (plain strings are skipped without buffering at all).
 *
 * Internally the parser is a generator that yields how many bytes it needs
 * (`n > 0` to receive them, `-n` to skip them); the driver feeds it from the
 * pushed chunks and keeps the running CRC over exactly the bytes consumed.
 *
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.h
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.c
 */
import { Crc64 } from './crc64.js';
import { lzfDecompress, RdbFormatError, validateIntset, validateListpack, validateZiplist, validateZipmap } from './blobs.js';

export { RdbFormatError } from './blobs.js';

/** Outcome of the CRC-64 trailer check. */
export type ChecksumStatus = 'ok' | 'mismatch' | 'absent';

/** What the verifier found in one RDB file. */
export interface RdbReport {
  /** True when the whole file parsed, nothing followed it, and the checksum was not a mismatch. */
  readonly ok: boolean;
  /** RDB format version from the header (0 when the header was unreadable). */
  readonly version: number;
  /** `absent` for versions before 5 or an all-zero trailer (rdbchecksum no). */
  readonly checksum: ChecksumStatus;
  /** Keys read (including already expired ones, as redis-check-rdb counts them). */
  readonly keys: number;
  /** Keys that carried an expire time. */
  readonly expires: number;
  /** Database numbers selected in the file, in order of appearance. */
  readonly databases: readonly number[];
  /** Keys per Redis type name (`string`, `list`, `set`, `zset`, `hash`, `stream`, `module`). */
  readonly byType: Readonly<Record<string, number>>;
  /** AUX fields (`redis-ver`, `ctime`, `used-mem`, …); values longer than 1024 characters are cut. */
  readonly auxFields: Readonly<Record<string, string>>;
  /** Function libraries (FUNCTION2 opcodes) stored in the file. */
  readonly functionLibraries: number;
  /** First problem found: `offset` is the number of bytes consumed when it was detected. */
  readonly error?: { readonly offset: number; readonly message: string };
}

/** Options for {@link createRdbVerifier}. */
export interface RdbVerifierOptions {
  /**
   * Largest single value the verifier buffers (an LZF string's compressed or
   * decompressed size, a ziplist/listpack/intset blob, an AUX value). Larger
   * declared sizes are reported as errors instead of allocated.
   * @default 536870912 (512 MiB, Redis's default proto-max-bulk-len)
   */
  readonly maxValueBytes?: number;
}

/** A verifier that is fed chunks and produces a report at the end. */
export interface RdbVerifier {
  /** Feeds the next bytes of the file. Never throws; problems are kept for {@link RdbVerifier.end}. */
  push(chunk: Uint8Array): void;
  /** Declares the end of input and returns the report. Never throws. */
  end(): RdbReport;
}

const MAX_AUX_CHARS = 1024;
/** An LZF back reference of 3 bytes expands to at most 264 bytes; literals never expand. */
const LZF_MAX_RATIO = 88;

const OP_SLOT_INFO = 0xf4;
const OP_FUNCTION2 = 0xf5;
const OP_FUNCTION_PRE_GA = 0xf6;
const OP_MODULE_AUX = 0xf7;
const OP_IDLE = 0xf8;
const OP_FREQ = 0xf9;
const OP_AUX = 0xfa;
const OP_RESIZEDB = 0xfb;
const OP_EXPIRETIME_MS = 0xfc;
const OP_EXPIRETIME = 0xfd;
const OP_SELECTDB = 0xfe;
const OP_EOF = 0xff;

/** Redis type name per RDB value type. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'string', 1: 'list', 2: 'set', 3: 'zset', 4: 'hash', 5: 'zset', 6: 'module', 7: 'module',
  9: 'hash', 10: 'list', 11: 'set', 12: 'zset', 13: 'hash', 14: 'list', 15: 'stream', 16: 'hash',
  17: 'zset', 18: 'list', 19: 'stream', 20: 'set', 21: 'stream', 22: 'hash', 23: 'hash', 24: 'hash', 25: 'hash',
};

/** Bytes the parser asks for: `n > 0` delivers n bytes, `-n` skips n bytes. */
type Parse<T> = Generator<number, T, Uint8Array>;

const EMPTY = new Uint8Array(0);
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

interface State {
  version: number;
  checksum: ChecksumStatus;
  keys: number;
  expires: number;
  databases: number[];
  byType: Record<string, number>;
  auxFields: Record<string, string>;
  functionLibraries: number;
  /** What is being read, for truncation messages. */
  what: string;
}

function fail(message: string): never {
  throw new RdbFormatError(message);
}

/**
 * Creates a streaming verifier. Push chunks in file order, then call `end()`.
 *
 * @example
 * const v = createRdbVerifier();
 * for await (const chunk of body) v.push(chunk);
 * const report = v.end();
 */
export function createRdbVerifier(options: RdbVerifierOptions = {}): RdbVerifier {
  const maxValueBytes = options.maxValueBytes ?? 512 * 1024 * 1024;
  const state: State = {
    version: 0, checksum: 'absent', keys: 0, expires: 0, databases: [], byType: {}, auxFields: {}, functionLibraries: 0, what: 'header',
  };
  const crc = new Crc64();
  const parser = parseRdb(state, maxValueBytes, crc);
  let offset = 0;
  let request = 0;
  let done = false;
  let error: { offset: number; message: string } | undefined;
  let parts: Uint8Array[] = [];
  let partsLength = 0;

  /** Resumes the parser with `value` until it asks for a non-empty read or finishes. */
  const resume = (value: Uint8Array): void => {
    try {
      let r = parser.next(value);
      while (!r.done && r.value === 0) r = parser.next(EMPTY);
      if (r.done) done = true;
      else request = r.value;
    } catch (e) {
      error = { offset, message: e instanceof RdbFormatError ? e.message : `verifier failure: ${String(e)}` };
    }
  };
  resume(EMPTY);

  const push = (chunk: Uint8Array): void => {
    let pos = 0;
    const n = chunk.length;
    while (pos < n && !error) {
      if (done) {
        error = { offset, message: `${n - pos} unexpected bytes after the end of the RDB file` };
        return;
      }
      const avail = n - pos;
      if (request < 0) {
        const take = Math.min(-request, avail);
        crc.update(chunk, pos, pos + take);
        pos += take;
        offset += take;
        request += take;
        if (request === 0) resume(EMPTY);
      } else if (partsLength === 0 && avail >= request) {
        const out = chunk.subarray(pos, pos + request);
        crc.update(chunk, pos, pos + request);
        pos += request;
        offset += request;
        resume(out);
      } else {
        // Not all here yet: copy what there is, so the caller may reuse its chunk.
        const take = Math.min(request - partsLength, avail);
        parts.push(chunk.slice(pos, pos + take));
        crc.update(chunk, pos, pos + take);
        partsLength += take;
        pos += take;
        offset += take;
        if (partsLength === request) {
          const out = new Uint8Array(request);
          let at = 0;
          for (const part of parts) {
            out.set(part, at);
            at += part.length;
          }
          parts = [];
          partsLength = 0;
          resume(out);
        }
      }
    }
  };

  const end = (): RdbReport => {
    if (!error && !done) {
      error = { offset, message: `unexpected end of input while reading ${state.what}` };
    }
    return {
      ok: error === undefined,
      version: state.version,
      checksum: state.checksum,
      keys: state.keys,
      expires: state.expires,
      databases: [...state.databases],
      byType: { ...state.byType },
      auxFields: { ...state.auxFields },
      functionLibraries: state.functionLibraries,
      ...(error ? { error: { ...error } } : {}),
    };
  };

  return {
    push(chunk) {
      try {
        push(chunk);
      } catch (e) {
        error ??= { offset, message: `verifier failure: ${String(e)}` };
      }
    },
    end,
  };
}

/** Verifies an RDB file from an async stream of chunks (e.g. an S3 `GetObject` body). */
export async function verifyRdbStream(source: AsyncIterable<Uint8Array>, options: RdbVerifierOptions = {}): Promise<RdbReport> {
  const verifier = createRdbVerifier(options);
  for await (const chunk of source) verifier.push(chunk);
  return verifier.end();
}

/** The whole-file parser; see the module comment for the yield protocol. */
function* parseRdb(state: State, maxValueBytes: number, crc: Crc64): Parse<void> {
  // ---- primitives -------------------------------------------------------
  function* bytes(n: number): Parse<Uint8Array> {
    if (n > maxValueBytes) fail(`${state.what}: length ${n} exceeds the verifier limit of ${maxValueBytes} bytes`);
    if (n === 0) return EMPTY;
    return yield n;
  }
  function* skip(n: number): Parse<void> {
    if (n > 0) yield -n;
  }
  function* u8(): Parse<number> {
    return (yield 1)[0]!;
  }
  /** An RDB length; returns `-1 - encoding` for the special string encodings. */
  function* lengthOrEncoding(allowHuge = false): Parse<number> {
    const first = yield* u8();
    switch (first >> 6) {
      case 0:
        return first & 0x3f;
      case 1:
        return ((first & 0x3f) << 8) | (yield* u8());
      case 2: {
        if (first === 0x80) {
          const b = yield 4;
          return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
        }
        if (first === 0x81) {
          const b = yield 8;
          const hi = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
          const lo = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0;
          if (hi > 0x1fffff && !allowHuge) fail(`${state.what}: 64-bit length 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is beyond any real file`);
          return hi * 0x100000000 + lo;
        }
        return fail(`${state.what}: invalid length prefix 0x${first.toString(16)}`);
      }
      default:
        return -1 - (first & 0x3f);
    }
  }
  function* length(allowHuge = false): Parse<number> {
    const n = yield* lengthOrEncoding(allowHuge);
    if (n < 0) fail(`${state.what}: expected a length, found string encoding ${-1 - n}`);
    return n;
  }
  /** A string; returned only when `keep`, otherwise validated and dropped. */
  function* string(keep: boolean): Parse<Uint8Array> {
    const n = yield* lengthOrEncoding();
    if (n >= 0) {
      if (keep) return yield* bytes(n);
      yield* skip(n);
      return EMPTY;
    }
    const encoding = -1 - n;
    if (encoding <= 2) {
      const raw = yield 1 << encoding;
      if (!keep) return EMPTY;
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const v = encoding === 0 ? view.getInt8(0) : encoding === 1 ? view.getInt16(0, true) : view.getInt32(0, true);
      return new TextEncoder().encode(String(v));
    }
    if (encoding === 3) {
      const compressed = yield* length();
      const plain = yield* length();
      if (compressed === 0) fail(`${state.what}: LZF string with an empty compressed body`);
      if (plain > maxValueBytes) fail(`${state.what}: LZF string of ${plain} bytes exceeds the verifier limit of ${maxValueBytes} bytes`);
      if (plain > compressed * LZF_MAX_RATIO) fail(`${state.what}: LZF string claims ${plain} bytes from ${compressed} compressed bytes, more than LZF can expand`);
      const body = yield* bytes(compressed);
      return lzfDecompress(body, plain);
    }
    return fail(`${state.what}: unknown string encoding ${encoding}`);
  }
  function* doubleString(): Parse<void> {
    const n = yield* u8();
    if (n >= 253) return; // NaN, +inf, -inf
    const text = latin1.decode(yield* bytes(n));
    if (Number.isNaN(Number(text)) && !/^[+-]?(nan|inf)/i.test(text)) fail(`${state.what}: score ${JSON.stringify(text)} is not a number`);
  }
  function* moduleBody(): Parse<void> {
    // Values written through the module API are self-describing: opcode, value, …, EOF.
    for (;;) {
      const opcode = yield* length();
      if (opcode === 0) return;
      if (opcode === 1 || opcode === 2) yield* length(true);
      else if (opcode === 3) yield* skip(4);
      else if (opcode === 4) yield* skip(8);
      else if (opcode === 5) yield* string(false);
      else fail(`${state.what}: unknown module data opcode ${opcode}`);
    }
  }
  function* streamValue(type: number): Parse<void> {
    const nodes = yield* length();
    for (let i = 0; i < nodes; i++) {
      const key = yield* string(true);
      if (key.length !== 16) fail(`${state.what}: stream node key is ${key.length} bytes, expected a 16-byte stream ID`);
      const lp = yield* string(true);
      if (validateListpack(lp) === 0) fail(`${state.what}: empty listpack inside stream`);
    }
    const entries = yield* length();
    yield* length(true); // last id ms
    yield* length(true); // last id seq
    if (type >= 19) {
      for (let i = 0; i < 5; i++) yield* length(true); // first id, max deleted id, entries added
    }
    if (entries > 0 && nodes === 0) fail(`${state.what}: stream length ${entries} but no listpacks`);
    const groups = yield* length();
    for (let g = 0; g < groups; g++) {
      yield* string(false); // group name
      yield* length(true);
      yield* length(true); // last delivered id
      if (type >= 19) yield* length(true); // entries read
      const pelSize = yield* length();
      const pel = new Set<string>();
      for (let i = 0; i < pelSize; i++) {
        const id = latin1.decode(yield 16);
        if (pel.has(id)) fail(`${state.what}: duplicate entry in a consumer group PEL`);
        pel.add(id);
        yield* skip(8); // delivery time
        yield* length(true); // delivery count
      }
      const consumers = yield* length();
      for (let c = 0; c < consumers; c++) {
        yield* string(false); // consumer name
        yield* skip(type >= 21 ? 16 : 8); // seen time (+ active time in v3)
        const owned = yield* length();
        for (let i = 0; i < owned; i++) {
          const id = latin1.decode(yield 16);
          if (!pel.has(id)) fail(`${state.what}: consumer PEL entry not found in the group PEL`);
        }
      }
    }
  }
  function* value(type: number): Parse<void> {
    switch (type) {
      case 0:
        yield* string(false);
        return;
      case 1:
      case 2: {
        const n = yield* length();
        for (let i = 0; i < n; i++) yield* string(false);
        return;
      }
      case 3: {
        const n = yield* length();
        for (let i = 0; i < n; i++) {
          yield* string(false);
          yield* doubleString();
        }
        return;
      }
      case 4: {
        const n = yield* length();
        for (let i = 0; i < 2 * n; i++) yield* string(false);
        return;
      }
      case 5: {
        const n = yield* length();
        for (let i = 0; i < n; i++) {
          yield* string(false);
          yield* skip(8);
        }
        return;
      }
      case 7:
        yield* length(true); // module id
        yield* moduleBody();
        return;
      case 9:
        validateZipmap(yield* string(true));
        return;
      case 10:
        validateZiplist(yield* string(true));
        return;
      case 11:
        validateIntset(yield* string(true));
        return;
      case 12:
      case 13:
        if (validateZiplist(yield* string(true)) % 2 !== 0) fail(`${state.what}: ziplist of pairs has an odd entry count`);
        return;
      case 14: {
        const n = yield* length();
        for (let i = 0; i < n; i++) validateZiplist(yield* string(true));
        return;
      }
      case 15:
      case 19:
      case 21:
        yield* streamValue(type);
        return;
      case 16:
      case 17:
        if (validateListpack(yield* string(true)) % 2 !== 0) fail(`${state.what}: listpack of pairs has an odd element count`);
        return;
      case 18: {
        const n = yield* length();
        for (let i = 0; i < n; i++) {
          const container = yield* length();
          if (container === 1) yield* string(false); // PLAIN: one large element
          else if (container === 2) validateListpack(yield* string(true)); // PACKED
          else fail(`${state.what}: quicklist node container ${container} is neither plain (1) nor packed (2)`);
        }
        return;
      }
      case 20:
        validateListpack(yield* string(true));
        return;
      case 6:
        return fail(`${state.what}: module types not supported (pre-GA module value, RDB type 6)`);
      case 22:
      case 23:
      case 24:
      case 25:
        return fail(`${state.what}: hashes with field expiration (RDB type ${type}) are not supported`);
      default:
        return fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
    }
  }

  // ---- file -------------------------------------------------------------
  const header = yield 9;
  if (latin1.decode(header.subarray(0, 5)) !== 'REDIS') fail('not an RDB file: missing "REDIS" magic');
  const digits = latin1.decode(header.subarray(5, 9));
  if (!/^\d{4}$/.test(digits)) fail(`RDB version ${JSON.stringify(digits)} is not 4 digits`);
  const version = Number(digits);
  if (version < 1 || version > 12) fail(`RDB version ${version} is not supported (1–12)`);
  state.version = version;

  let expirePending = false;
  for (;;) {
    state.what = `opcode after key ${state.keys}`;
    const type = yield* u8();
    switch (type) {
      case OP_EOF: {
        if (expirePending) fail('expire time not followed by a key');
        if (version >= 5) {
          // The running CRC covers exactly the bytes before the trailer now.
          const expected = crc.clone();
          state.what = 'CRC-64 trailer';
          const trailer = yield 8;
          if (trailer.every((b) => b === 0)) state.checksum = 'absent';
          else if (expected.matchesLittleEndian(trailer)) state.checksum = 'ok';
          else {
            state.checksum = 'mismatch';
            const stored = new DataView(trailer.buffer, trailer.byteOffset, 8).getBigUint64(0, true);
            fail(`CRC-64 mismatch: trailer 0x${stored.toString(16)}, computed 0x${expected.value.toString(16)}`);
          }
        }
        return;
      }
      case OP_SELECTDB: {
        state.what = 'SELECTDB';
        const db = yield* length();
        if (!state.databases.includes(db)) state.databases.push(db);
        continue;
      }
      case OP_EXPIRETIME:
        state.what = 'EXPIRETIME';
        yield* skip(4);
        expirePending = true;
        continue;
      case OP_EXPIRETIME_MS:
        state.what = 'EXPIRETIME_MS';
        yield* skip(8);
        expirePending = true;
        continue;
      case OP_RESIZEDB:
        state.what = 'RESIZEDB';
        yield* length();
        yield* length();
        continue;
      case OP_SLOT_INFO:
        state.what = 'SLOT_INFO';
        for (let i = 0; i < 3; i++) yield* length();
        continue;
      case OP_AUX: {
        state.what = 'AUX field';
        const key = utf8.decode(yield* string(true));
        state.what = `AUX field ${JSON.stringify(key.slice(0, 64))}`;
        const val = utf8.decode(yield* string(true));
        state.auxFields[key] = val.length > MAX_AUX_CHARS ? `${val.slice(0, MAX_AUX_CHARS)}…` : val;
        continue;
      }
      case OP_FREQ:
        state.what = 'FREQ';
        yield* skip(1);
        continue;
      case OP_IDLE:
        state.what = 'IDLE';
        yield* length(true);
        continue;
      case OP_MODULE_AUX: {
        state.what = 'MODULE_AUX';
        yield* length(true); // module id
        const whenOpcode = yield* length();
        if (whenOpcode !== 2) fail(`MODULE_AUX: "when" opcode is ${whenOpcode}, expected 2 (unsigned int)`);
        yield* length();
        yield* moduleBody();
        continue;
      }
      case OP_FUNCTION2:
        state.what = 'FUNCTION2 library';
        yield* string(false);
        state.functionLibraries++;
        continue;
      case OP_FUNCTION_PRE_GA:
        return fail('pre-release function format (Redis 7.0 RC, opcode 0xF6) is not supported');
      default: {
        if (!(type in TYPE_NAMES)) fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
        const typeName = TYPE_NAMES[type]!;
        state.what = `key ${state.keys + 1} name (${typeName})`;
        yield* string(false);
        state.what = `key ${state.keys + 1} value (${typeName}, RDB type ${type})`;
        yield* value(type);
        state.keys++;
        if (expirePending) state.expires++;
        expirePending = false;
        state.byType[typeName] = (state.byType[typeName] ?? 0) + 1;
      }
    }
  }
}
