/**
 * What a call of the API table's `register_function` or `log` does when a library's top level runs on load, where its
 * arguments are certain (lua-load.ts walks the top level; this judges one call). Read from each release's source:
 * - register_function (luaRegisterFunction, luaRegisterFunctionReadArgs / ReadNamedArgs / ReadPositionalArgs /
 *   ReadFlags, src/function_lua.c; functionLibCreateFunction, functionsVerifyName, src/functions.c; the flags table
 *   scripts_flags_def, src/script.c), the same in Redis 7.0.15 f35f36a2, 7.2.6 ae6a2aa9, 7.4.1 74b289a0, 8.0.6
 *   f49e5cb2, 8.6.3 bd3b38d4 and Valkey 7.2.5 26388270, 8.0.1 4fbab574, but that Valkey 8.0's words say `server.register_function` for
 *   `redis.register_function`: one argument (a table of named arguments) or two (a name, a function), else "wrong
 *   number of arguments"; a name a string or a number; named arguments' keys matched ignoring case as C strings (cut
 *   at a NUL): `function_name`, `description` (strings), `callback` (a function), `flags` (a table whose entries 1, 2, …
 *   up to the first nil are each one of no-writes, allow-oom, allow-stale, no-cluster, allow-cross-slot-keys, ignoring
 *   case), any other "unknown argument", the first bad one met (in `lua_next`'s order) raising; then the name must be
 *   letters, digits and `_`, at least one ("Library names can only contain …", the words 7.0 on use for a function's
 *   name too), and not one the library registered already (compared byte for byte: "Function already exists in the
 *   library"). Its errors carry no line (luaPushError: `ERR <words>`).
 *   Valkey 8.1 and 9.1 (8.1.1, src/lua/function_lua.c; 9.1.2 7f1dffed, src/modules/lua/function_lua.c) read the
 *   arguments in the same words as 8.0 (the flags the same five, 9.1's own table lua_scripts_flags), but the call only
 *   collects the function (luaFunctionRegisterFunction → load_ctx->functions): its name is checked once the top level
 *   ran without error, in the order registered (functionsCreateWithLibraryCtx → functionLibCreateFunction,
 *   src/functions.c), its words "Function names can only contain …" or "Function already exists in the library",
 *   without `Error registering functions: ERR` (see {@link firstBadName}).
 * - log (luaLogCommand, src/script_lua.c): two arguments or more, the first a number whose integer part is 0 to 3
 *   (LOG_DEBUG to LOG_WARNING); "Invalid debug level." in Redis 7.0, 7.2 and Valkey 7.2, "Invalid log level." in Redis
 *   7.4 to 8.6 and Valkey 8.0 and 8.1, whose words also say `server.log()`. Valkey 9.1's (src/modules/lua/script_lua.c
 *   luaLogCommand) first asserts a run context that a load does not set, before it reads its arguments: any call of
 *   it at the top level aborts the server, whatever its arguments; lua-load.ts refuses it (LoadEnvironment.aborts).
 * Their files read: Redis 8.0.6 and 8.6.3 and Valkey 9.1.2 from Debian's source packages (each upstream tag's GitHub
 * tarball, its commit in the tarball's header), Valkey 8.1.1 from Debian's repack of its tarball (no commit kept).
 * Held against a real 7.0's FUNCTION LOAD (lua-load.test.ts). A call whose arguments are not certain (a value the walk
 * does not know, a last argument that may give several values, a table with keys that may collide) is not judged; one
 * certain to raise whose words are not (two bad named arguments, of which `lua_next`'s order decides the one named) is
 * judged all the same, the errors it may name said (`raisesOneOf`): a file written with it is refused either way.
 */
import type { Expression, TableConstructorExpression } from 'luaparse';

/** A value known for certain (tables are not: the library may change them; a table constructor is judged as written). */
export type Known =
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly v: number }
  | { readonly t: 'nil' }
  | { readonly t: 'boolean' }
  | { readonly t: 'function' };

/** How a release words the errors of its API's calls. */
export interface CallWords {
  /** The API's name in its words: `redis` (Valkey 8.0: `server`). */
  readonly api: string;
  /** Its words for a log level out of range. */
  readonly badLevel: string;
  /** Its words for a function name other than letters, digits and `_`. */
  readonly badName: string;
  /** Whether it checks the names registered after the top level ran (Valkey 8.1 and 9.1), not in register_function's call. */
  readonly namesAfterRun: boolean;
}

/**
 * A call judged: it raises, in these words; it certainly raises, in words not certain (`raisesOneOf`: the errors it
 * certainly meets, of which it names the first it reads, or another of an argument not known); or it returns or may
 * raise (`maybe`), registering `name` where that is certain.
 */
export type CallOutcome = { readonly raises: string } | { readonly raisesOneOf: readonly string[] } | { readonly maybe: boolean; readonly name?: string };

/** The value of an expression where it is certain; undefined where not. */
export type Resolve = (e: Expression) => Known | undefined;

const FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

/** A C string's view of a Lua string: up to its first NUL. */
const cString = (s: string): string => s.split('\0')[0]!;

/** Whether a call's last argument may give more or fewer values than one (a call, `...`). */
const multi = (e: Expression | undefined): boolean =>
  e !== undefined && (e.type === 'CallExpression' || e.type === 'StringCallExpression' || e.type === 'TableCallExpression' || e.type === 'VarargLiteral');

/** The name a string or a number gives (lua_tolstring), where certain: a number only as a small whole one (Lua's %.14g; -0 is `-0`). */
function nameOf(k: Known): string | undefined {
  if (k.t === 'string') return k.v;
  return k.t === 'number' && Number.isInteger(k.v) && k.v >= 0 && !Object.is(k.v, -0) && k.v < 1e14 ? String(k.v) : undefined;
}

const stringy = (k: Known): boolean => k.t === 'string' || k.t === 'number';

/** Whether function name `name` passes functionsVerifyName. */
export const validFunctionName = (name: string): boolean => /^[A-Za-z0-9_]+$/.test(name);

/** Flags table `e`'s verdict: ok, bad (an unknown flag, or an entry no string), or undefined where not certain. */
function flagsVerdict(e: TableConstructorExpression, resolve: Resolve): boolean | undefined {
  if (e.fields.some((f) => f.type === 'TableKey' && f.key.type !== 'StringLiteral')) return undefined; // [n] = …: may be an entry read
  const values = e.fields.flatMap((f) => (f.type === 'TableValue' ? [f.value] : []));
  for (const [i, v] of values.entries()) {
    if (i === values.length - 1 && multi(v)) return undefined;
    if (v.type === 'TableConstructorExpression') return false; // not a string
    const k = resolve(v);
    if (k === undefined) return undefined;
    if (k.t === 'nil') return true; // the entries read end here
    if (k.t !== 'string' || !FLAGS.has(cString(k.v).toLowerCase())) return false; // a number is never a flag's name
  }
  return true;
}

/** What one named argument does: `ok`, raises in these words, or undefined where not certain. */
function namedVerdict(key: string, value: Expression, resolve: Resolve, w: CallWords): string | 'ok' | undefined {
  const rf = `${w.api}.register_function`;
  const k = value.type === 'TableConstructorExpression' ? undefined : resolve(value);
  const isTable = value.type === 'TableConstructorExpression';
  switch (cString(key).toLowerCase()) {
    case 'function_name':
      if (isTable) return `function_name argument given to ${rf} must be a string`;
      return k === undefined ? undefined : stringy(k) ? 'ok' : `function_name argument given to ${rf} must be a string`;
    case 'description':
      if (isTable) return `description argument given to ${rf} must be a string`;
      return k === undefined ? undefined : stringy(k) ? 'ok' : `description argument given to ${rf} must be a string`;
    case 'callback':
      if (isTable) return `callback argument given to ${rf} must be a function`;
      return k === undefined ? undefined : k.t === 'function' ? 'ok' : `callback argument given to ${rf} must be a function`;
    case 'flags': {
      if (!isTable) return k === undefined ? undefined : `flags argument to ${rf} must be a table representing function flags`;
      const ok = flagsVerdict(value, resolve);
      return ok === undefined ? undefined : ok ? 'ok' : 'unknown flag given';
    }
    default:
      return `unknown argument given to ${rf}`;
  }
}

/** One entry of a named-arguments table: its key (undefined where not certain), whether it is there, its verdict. */
interface Entry {
  readonly key: string | number | boolean | undefined;
  readonly present: boolean | undefined;
  readonly verdict: string | 'ok' | undefined;
  readonly value: Expression;
}

/** The entries of table constructor `e` as the named arguments read them. */
function entries(e: TableConstructorExpression, resolve: Resolve, w: CallWords): Entry[] | undefined {
  const out: Entry[] = [];
  let index = 0;
  for (const [i, f] of e.fields.entries()) {
    const value = f.value;
    const k = value.type === 'TableConstructorExpression' ? undefined : resolve(value);
    const present = value.type === 'TableConstructorExpression' ? true : k === undefined ? undefined : k.t !== 'nil';
    if (f.type === 'TableValue') {
      index++;
      const more = i === e.fields.length - 1 && multi(value);
      out.push({ key: index, present: more ? undefined : present, verdict: `unknown argument given to ${w.api}.register_function`, value });
      continue;
    }
    let key: string | number | boolean | undefined;
    if (f.type === 'TableKeyString') key = f.key.name;
    else if (f.key.type === 'StringLiteral') key = f.key.value;
    else if (f.key.type === 'NumericLiteral') key = f.key.value;
    else if (f.key.type === 'BooleanLiteral') key = f.key.value;
    else return undefined; // a key not known (or nil: the constructor raises)
    const verdict =
      typeof key === 'string'
        ? namedVerdict(key, value, resolve, w)
        : typeof key === 'number'
          ? `unknown argument given to ${w.api}.register_function`
          : `named argument key given to ${w.api}.register_function is not a string`;
    out.push({ key, present, verdict, value });
  }
  // Keys that may be one table entry (the same key twice: which value stays; a number and a position) or two read as
  // one argument (case apart): not judged.
  const seen = new Set<string>();
  for (const x of out) {
    const id = typeof x.key === 'string' ? `s${cString(x.key).toLowerCase()}` : `${typeof x.key}${String(x.key)}`;
    if (seen.has(id)) return undefined;
    seen.add(id);
  }
  return out;
}

/** register_function with one table constructor of named arguments. */
function named(e: TableConstructorExpression, resolve: Resolve, w: CallWords): CallOutcome {
  const all = entries(e, resolve, w);
  if (all === undefined) return { maybe: true };
  const certainErrors = new Set(all.filter((x) => x.present === true && x.verdict !== undefined && x.verdict !== 'ok').map((x) => x.verdict!));
  const unsure = all.some((x) => x.present === undefined || (x.present && x.verdict === undefined));
  if (certainErrors.size > 0) return certainErrors.size === 1 && !unsure ? { raises: [...certainErrors][0]! } : { raisesOneOf: [...certainErrors] };
  const arg = (n: string) => all.find((x) => typeof x.key === 'string' && cString(x.key).toLowerCase() === n);
  const name = arg('function_name');
  const callback = arg('callback');
  const rf = `${w.api}.register_function`;
  const missing =
    name?.present === false || !name
      ? `${rf} must get a function name argument`
      : callback?.present === false || !callback
        ? `${rf} must get a callback argument`
        : undefined;
  if (missing !== undefined) return unsure ? { raisesOneOf: [missing] } : { raises: missing };
  const k = name!.value.type === 'TableConstructorExpression' ? undefined : resolve(name!.value);
  const certainName = k === undefined || !name!.present ? undefined : nameOf(k);
  return certainName === undefined ? { maybe: unsure } : { maybe: unsure, name: certainName };
}

/** A call of register_function with `args` (undefined where their count is not certain). */
function registerCall(args: readonly Expression[], resolve: Resolve, w: CallWords): CallOutcome {
  const rf = `${w.api}.register_function`;
  if (multi(args.at(-1))) return { maybe: true };
  if (args.length < 1 || args.length > 2) return { raises: `wrong number of arguments to ${rf}` };
  if (args.length === 1) {
    const a = args[0]!;
    if (a.type === 'TableConstructorExpression') return named(a, resolve, w);
    const k = resolve(a);
    if (k === undefined) return { maybe: true };
    return { raises: `calling ${rf} with a single argument is only applicable to Lua table (representing named arguments).` };
  }
  const first = args[0]!.type === 'TableConstructorExpression' ? undefined : resolve(args[0]!);
  const second = args[1]!.type === 'TableConstructorExpression' ? ({ t: 'nil' } as const) : resolve(args[1]!);
  const firstBad = args[0]!.type === 'TableConstructorExpression' || (first !== undefined && !stringy(first));
  if (firstBad) return { raises: `first argument to ${rf} must be a string` };
  const secondBad = second !== undefined && second.t !== 'function';
  if (first !== undefined && secondBad) return { raises: `second argument to ${rf} must be a function` };
  if (secondBad) return { raisesOneOf: [`first argument to ${rf} must be a string`, `second argument to ${rf} must be a function`] };
  const name = first === undefined ? undefined : nameOf(first);
  const maybe = first === undefined || second === undefined;
  return name === undefined ? { maybe } : { maybe, name };
}

/**
 * A call of register_function with `args`, against the names the library registered so far (`names`): what it does,
 * its name validated and compared (a bad name or one registered raises after the arguments were read).
 */
export function judgeRegister(args: readonly Expression[], resolve: Resolve, w: CallWords, names: ReadonlySet<string>): CallOutcome {
  const out = registerCall(args, resolve, w);
  if (!('maybe' in out) || out.name === undefined || w.namesAfterRun) return out;
  const bad = !validFunctionName(out.name) ? w.badName : names.has(out.name) ? 'Function already exists in the library' : undefined;
  if (bad === undefined) return out;
  return out.maybe ? { raisesOneOf: [bad] } : { raises: bad };
}

/**
 * For a release that checks names after the run ({@link CallWords.namesAfterRun}): the words of the first bad name of
 * those registered, in their order (undefined where a call's name is not certain), or undefined where none is certainly
 * bad; `certain` false where a name not certain comes before it (it may be the one named).
 */
export function firstBadName(order: readonly (string | undefined)[], w: CallWords): { readonly words: string; readonly certain: boolean } | undefined {
  const seen = new Set<string>();
  let certain = true;
  for (const name of order) {
    if (name === undefined) {
      certain = false;
      continue;
    }
    const bad = !validFunctionName(name) ? w.badName : seen.has(name) ? 'Function already exists in the library' : undefined;
    if (bad !== undefined) return { words: bad, certain };
    seen.add(name);
  }
  return undefined;
}

/** A call of log with `args`: what it does. `level` is the first argument's value where certain. */
export function judgeLog(args: readonly Expression[], resolve: Resolve, w: CallWords): CallOutcome {
  if (multi(args.at(-1))) return { maybe: true };
  if (args.length < 2) return { raises: `${w.api}.log() requires two arguments or more.` };
  const first = args[0]!;
  if (first.type === 'TableConstructorExpression') return { raises: 'First argument must be a number (log level).' };
  const k = resolve(first);
  if (k === undefined || k.t === 'string') return { maybe: true }; // a string may read as a number
  if (k.t !== 'number') return { raises: 'First argument must be a number (log level).' };
  if (Math.abs(k.v) >= 2 ** 31) return { maybe: true }; // its conversion to a C int is not defined
  const level = Math.trunc(k.v);
  return level < 0 || level > 3 ? { raises: w.badLevel } : { maybe: false };
}
