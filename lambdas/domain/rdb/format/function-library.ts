/**
 * A function library's first line as Redis judges it when it loads a file (rdbFunctionLoad →
 * functionsCreateWithLibraryCtx → functionExtractLibMetaData, src/functions.c, 7.0 on; Valkey the same): a library
 * whose `#!<engine> name=<name>` line it refuses makes it refuse the whole file ("Failed loading library, …",
 * "Unrecoverable error, aborting now"). So the verifier refuses such a file as Redis does (review 45: a fuzzed file
 * with its library's first newline changed passed verify-rdb, and convert-rdb wrote a copy Redis 7.0 refused to load).
 * The code after that line is Lua: its syntax is judged in lua-syntax.ts, what its top level does when run in
 * lua-load.ts, for a target release whose load environment is known (`drill local` loads it in a real server).
 */

/** Whether `c` is a space as C's isspace() is in the C locale (sdssplitargs' blanks). */
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const hexValue = (c: number): number => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10);
const ESCAPES: Readonly<Record<number, number>> = { 110: 0x0a, 114: 0x0d, 116: 0x09, 98: 0x08, 97: 0x07 };

/**
 * Redis's sdssplitargs over `line` (a C string: it ends at the first NUL): the arguments, or undefined where it fails
 * (an unterminated quote, a closing quote not followed by a space). Hand-written: it is Redis's tokenizer, quotes and
 * escapes as it reads them, which no library spells the same.
 */
export function splitArgs(line: Uint8Array): Uint8Array[] | undefined {
  const nul = line.indexOf(0);
  const end = nul < 0 ? line.length : nul;
  const at = (i: number): number => (i < end ? line[i]! : 0);
  const args: Uint8Array[] = [];
  let p = 0;
  for (;;) {
    while (p < end && isSpace(at(p))) p++;
    if (p >= end) return args;
    const current: number[] = [];
    let inq = false;
    let insq = false;
    for (let done = false; !done; ) {
      const c = at(p);
      if (inq) {
        if (c === 0x5c && at(p + 1) === 0x78 && isHex(at(p + 2)) && isHex(at(p + 3))) {
          current.push(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
        } else if (c === 0x5c && at(p + 1) !== 0) {
          p++;
          current.push(ESCAPES[at(p)] ?? at(p));
        } else if (c === 0x22) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return undefined;
          done = true;
        } else if (c === 0) return undefined;
        else current.push(c);
      } else if (insq) {
        if (c === 0x5c && at(p + 1) === 0x27) {
          p++;
          current.push(0x27);
        } else if (c === 0x27) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return undefined;
          done = true;
        } else if (c === 0) return undefined;
        else current.push(c);
      } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0) done = true;
      else if (c === 0x22) inq = true;
      else if (c === 0x27) insq = true;
      else current.push(c);
      if (c !== 0) p++;
    }
    args.push(Uint8Array.from(current));
  }
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const startsWithCi = (b: Uint8Array, prefix: string): boolean => b.length >= prefix.length && latin1(b.subarray(0, prefix.length)).toLowerCase() === prefix;

/** The engines a server has: Lua alone (Redis 7.0 on, Valkey; the name compared ignoring case, as Redis's engine dict does). */
const ENGINES = new Set(['lua']);

/**
 * Why Redis refuses the library `code` (its words, as FUNCTION LOAD and the load of a file give them), or its name
 * (latin1) when its first line passes. `code` is the library's string as stored, LZF expanded.
 */
export function libraryMetadata(code: Uint8Array): string | { readonly name: string } {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) return 'Missing library metadata';
  // strchr on the payload: its first NUL ends the search, as the first newline does.
  let eol = -1;
  for (let i = 0; i < code.length && code[i] !== 0; i++)
    if (code[i] === 0x0a) {
      eol = i;
      break;
    }
  if (eol < 0) return 'Invalid library metadata';
  const parts = splitArgs(code.subarray(0, eol));
  if (parts === undefined || parts.length === 0) return 'Invalid library metadata';
  let name: Uint8Array | undefined;
  for (const part of parts.slice(1)) {
    if (!startsWithCi(part, 'name=')) return `Invalid metadata value given: ${latin1(part)}`;
    if (name !== undefined) return 'Invalid metadata value, name argument was given multiple times';
    name = part.subarray(5);
  }
  if (name === undefined) return 'Library name was not given';
  // functionsCreateWithLibraryCtx: the name (functionsVerifyName), then the engine.
  if (name.length === 0 || name.some((c) => !((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f)))
    return 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
  const engine = latin1(parts[0]!.subarray(2));
  if (!ENGINES.has(engine.toLowerCase())) return `Engine '${engine}' not found`;
  return { name: latin1(name) };
}
