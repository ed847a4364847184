/**
 * The manifest of a Redis 7+ / Valkey multi-part append-only file: the file
 * `<appendfilename>.manifest` in the `appenddirname` directory, one line per
 * file, `file <name> seq <n> type <b|h|i>`:
 *
 * - `b` the base (at most one, listed first): the dataset when the last AOF
 *   rewrite started, as an RDB file (`<name>.<seq>.base.rdb`,
 *   `aof-use-rdb-preamble yes`) or as commands (`.base.aof`);
 * - `i` increments, in strictly increasing `seq`: every write since; the
 *   server appends only to the last one;
 * - `h` history: files a finished rewrite superseded, about to be deleted.
 *
 * The rules follow the server's own loader (`aofLoadManifestFromFile` in
 * redis/src/aof.c, read for this): `#` lines are comments, a blank line or a
 * line without its newline is refused, keys are case-insensitive, a name is
 * a plain file name (no `/`), and quoted names use the server's escapes.
 * Redis 8 adds two keys to increment lines (redis/redis#13773, read in
 * src/aof.c: `aofInfoFormat`, `getNewIncrAofName`): `startoffset`, the
 * replication offset when the increment was opened, and, after a clean
 * shutdown, `endoffset` on the last one (cleared when the server starts
 * again); a former increment keeps them as a history line. They place the
 * file in the replication stream and change nothing of what it holds, so
 * they are read and kept (as written: offsets may pass 2^53).
 *
 * Where the server ignores what it does not know (keys beyond these, a
 * type written as a word), this parser refuses and names the field: a key it
 * does not know may change what a file holds, and shipping it as if it did
 * not would be a guess.
 *
 * Pure: text in, structure (or an error naming the line and the field) out.
 */

/** The three kinds of AOF file. */
export type AofFileType = 'base' | 'history' | 'incr';

/** One line of a manifest. */
export interface AofManifestEntry {
  readonly name: string;
  readonly seq: number;
  readonly type: AofFileType;
  /** 1-based line number in the manifest text. */
  readonly line: number;
  /** Redis 8: the replication offset where the increment starts (decimal, as written). */
  readonly startOffset?: string;
  /** Redis 8, after a clean shutdown: the replication offset where the last increment ends (decimal, as written). */
  readonly endOffset?: string;
}

/** A parsed manifest. */
export interface AofManifest {
  readonly base?: AofManifestEntry;
  readonly history: readonly AofManifestEntry[];
  /** Increments in the order listed (strictly increasing `seq`). */
  readonly incrs: readonly AofManifestEntry[];
}

/** The manifest could not be understood: `line` (1-based) and `field` say where, when known. */
export class AofManifestError extends Error {
  override readonly name = 'AofManifestError';
  constructor(
    message: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The server's longest manifest line (MANIFEST_MAX_LINE). */
export const MANIFEST_MAX_LINE = 1024;

const TYPE_CODES: Readonly<Record<string, AofFileType>> = { b: 'base', h: 'history', i: 'incr' };
const CODE_OF: Readonly<Record<AofFileType, string>> = { base: 'b', history: 'h', incr: 'i' };

/**
 * Splits a line into arguments as the server's `sdssplitargs` does: spaces
 * separate; `"…"` takes `\n \r \t \b \a \\ \"` and `\xHH`; `'…'` takes `\'`;
 * a closing quote must be followed by a space or the end. Returns the
 * arguments as byte strings decoded as UTF-8, or undefined for unbalanced quotes.
 */
export function splitManifestArgs(line: string): string[] | undefined {
  const bytes = Buffer.from(line, 'utf8');
  const out: string[] = [];
  let i = 0;
  const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  const hex = (b: number | undefined) => b !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(b));
  for (;;) {
    while (i < bytes.length && isSpace(bytes[i])) i++;
    if (i >= bytes.length) return out;
    const current: number[] = [];
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      const c = bytes[i];
      if (inDouble) {
        if (c === undefined) return undefined;
        if (c === 0x5c && bytes[i + 1] === 0x78 && hex(bytes[i + 2]) && hex(bytes[i + 3])) {
          current.push(parseInt(String.fromCharCode(bytes[i + 2]!, bytes[i + 3]!), 16));
          i += 3;
        } else if (c === 0x5c && bytes[i + 1] !== undefined) {
          i++;
          const e = bytes[i]!;
          current.push(e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x61 ? 0x07 : e);
        } else if (c === 0x22) {
          if (bytes[i + 1] !== undefined && !isSpace(bytes[i + 1])) return undefined;
          inDouble = false;
          i++;
          break;
        } else current.push(c);
      } else if (inSingle) {
        if (c === undefined) return undefined;
        if (c === 0x5c && bytes[i + 1] === 0x27) {
          i++;
          current.push(0x27);
        } else if (c === 0x27) {
          if (bytes[i + 1] !== undefined && !isSpace(bytes[i + 1])) return undefined;
          inSingle = false;
          i++;
          break;
        } else current.push(c);
      } else {
        if (c === undefined || isSpace(c)) break;
        if (c === 0x22) inDouble = true;
        else if (c === 0x27) inSingle = true;
        else current.push(c);
      }
      i++;
    }
    out.push(Buffer.from(current).toString('utf8'));
  }
}

/**
 * Parses a manifest. `source` names it in messages (e.g. its path).
 * @throws AofManifestError naming the line and the field
 */
export function parseAofManifest(text: string, source = 'the manifest'): AofManifest {
  const lines = text.split('\n');
  // The text ends with a newline: the last piece is empty. Anything else is a line cut short.
  const last = lines.pop();
  if (last !== '') {
    const n = lines.length + 1;
    if (last!.length > MANIFEST_MAX_LINE) throw new AofManifestError(`${source}: line ${n} is longer than ${MANIFEST_MAX_LINE} bytes`, n);
    throw new AofManifestError(`${source}: line ${n} does not end with a newline (the manifest was cut short?): ${JSON.stringify(last!.slice(0, 80))}`, n);
  }
  let base: AofManifestEntry | undefined;
  const history: AofManifestEntry[] = [];
  const incrs: AofManifestEntry[] = [];
  let any = false;
  lines.forEach((raw, index) => {
    const n = index + 1;
    const at = `${source}, line ${n}`;
    if (Buffer.byteLength(raw, 'utf8') + 1 > MANIFEST_MAX_LINE) throw new AofManifestError(`${at}: longer than ${MANIFEST_MAX_LINE} bytes`, n);
    if (raw.startsWith('#')) return;
    any = true;
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '') throw new AofManifestError(`${at}: blank line (the server refuses it too)`, n);
    const args = splitManifestArgs(line);
    if (!args) throw new AofManifestError(`${at}: unbalanced quotes in ${JSON.stringify(line.slice(0, 80))}`, n);
    if (args.length % 2 !== 0) throw new AofManifestError(`${at}: ${args.length} words, expected key value pairs (file <name> seq <n> type <b|h|i>)`, n);
    let name: string | undefined;
    let seq: number | undefined;
    let type: AofFileType | undefined;
    const offsets: { startOffset?: string; endOffset?: string } = {};
    for (let i = 0; i < args.length; i += 2) {
      const key = args[i]!.toLowerCase();
      const value = args[i + 1]!;
      if (key === 'file') {
        if (value === '' || value.includes('/') || value === '.' || value === '..') {
          throw new AofManifestError(`${at}: field "file" must be a plain file name, got ${JSON.stringify(value)}`, n, 'file');
        }
        name = value;
      } else if (key === 'seq') {
        if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
          throw new AofManifestError(`${at}: field "seq" must be a whole number >= 1, got ${JSON.stringify(value)}`, n, 'seq');
        }
        seq = Number(value);
      } else if (key === 'type') {
        const t = TYPE_CODES[value];
        if (!t) throw new AofManifestError(`${at}: field "type" must be b (base), h (history) or i (incr), got ${JSON.stringify(value)}`, n, 'type');
        type = t;
      } else if (key === 'startoffset' || key === 'endoffset') {
        if (!/^\d{1,19}$/.test(value)) {
          throw new AofManifestError(`${at}: field "${key}" must be a replication offset (a whole number >= 0), got ${JSON.stringify(value)}`, n, key);
        }
        offsets[key === 'startoffset' ? 'startOffset' : 'endOffset'] = value;
      } else {
        throw new AofManifestError(
          `${at}: unknown field ${JSON.stringify(args[i])} (value ${JSON.stringify(value)}): redis-dr knows file, seq, type, startoffset and endoffset (the fields Redis 7 and 8 write); a newer server may record something that changes what the file holds, so it is not guessed`,
          n,
          args[i],
        );
      }
    }
    for (const [field, value] of [
      ['file', name],
      ['seq', seq],
      ['type', type],
    ] as const) {
      if (value === undefined) throw new AofManifestError(`${at}: field "${field}" is missing`, n, field);
    }
    const entry: AofManifestEntry = { name: name!, seq: seq!, type: type!, line: n, ...offsets };
    if (type === 'base') {
      if (base) throw new AofManifestError(`${at}: a second base file (${name}; line ${base.line} names ${base.name})`, n, 'type');
      base = entry;
    } else if (type === 'history') history.push(entry);
    else {
      const prev = incrs[incrs.length - 1];
      if (prev && entry.seq <= prev.seq) {
        throw new AofManifestError(
          `${at}: increment seq ${entry.seq} does not follow ${prev.seq} (line ${prev.line}): increments must be listed in increasing seq`,
          n,
          'seq',
        );
      }
      incrs.push(entry);
    }
    const twice = [base, ...history, ...incrs].filter((e) => e && e.name === entry.name);
    if (twice.length > 1) throw new AofManifestError(`${at}: ${entry.name} is listed twice`, n, 'file');
  });
  if (!any) throw new AofManifestError(`${source}: empty manifest (no file line)`);
  return { ...(base ? { base } : {}), history, incrs };
}

/** A name as the server writes it: bare, or double-quoted with escapes when it holds spaces, quotes or unprintable bytes. */
export function formatManifestName(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  const plain = [...bytes].every((b) => b > 0x20 && b < 0x7f && b !== 0x22 && b !== 0x27 && b !== 0x5c);
  if (plain) return name;
  let out = '"';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x22) out += '\\"';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x07) out += '\\a';
    else if (b === 0x08) out += '\\b';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** A file line to write: an increment may carry its Redis 8 start offset. */
export interface ManifestLine {
  readonly name: string;
  readonly seq: number;
  readonly startOffset?: string;
}

/**
 * The manifest text for a base and increments (history left out), in the
 * server's own layout. A start offset is written as Redis 8 writes it;
 * an end offset never is (it says where the server stopped writing at a
 * clean shutdown: a file written again, or cut, ends elsewhere, and the
 * server then counts from the start offset and the file's size).
 */
export function formatAofManifest(m: { readonly base?: ManifestLine; readonly incrs: readonly ManifestLine[] }): string {
  const line = (e: ManifestLine, type: AofFileType) =>
    `file ${formatManifestName(e.name)} seq ${e.seq} type ${CODE_OF[type]}${e.startOffset !== undefined ? ` startoffset ${e.startOffset}` : ''}\n`;
  return `${m.base ? line(m.base, 'base') : ''}${m.incrs.map((e) => line(e, 'incr')).join('')}`;
}

/**
 * The `appendfilename` a manifest's file name implies (`appendonly.aof` for
 * `appendonly.aof.manifest`), or undefined when it is not a manifest name
 * (temporary `temp-…` manifests are not).
 */
export function appendFilenameOf(manifestFile: string): string | undefined {
  if (manifestFile.startsWith('temp-') || !manifestFile.endsWith('.manifest')) return undefined;
  const name = manifestFile.slice(0, -'.manifest'.length);
  return name === '' ? undefined : name;
}
