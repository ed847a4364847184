/**
 * Whether a target engine certainly refuses a function library when it runs the library's top level on load. Redis
 * runs each library's code once on load (luaEngineCreate, src/function_lua.c: `lua_pcall` of the compiled chunk) and
 * refuses the whole file over one whose run fails ("Failed loading library, Error registering functions: …"). What a
 * run may touch is the engine's load-time environment, read from each release's source:
 * - Redis 7.0.0 to 7.4.1 (tags 7.0.0 d375595d, 7.0.15 f35f36a2, 7.2.0 29622276, 7.2.6 ae6a2aa9, 7.4.0 c9d29f6a,
 *   7.4.1 74b289a0; 8.0-m01 5fe3e74a the same): luaEngineInitEngine builds `__LIBRARY_API__`, a table holding `redis`
 *   alone, itself holding `register_function`, `log`, `LOG_DEBUG`, `LOG_VERBOSE`, `LOG_NOTICE`, `LOG_WARNING`,
 *   `REDIS_VERSION_NUM`, `REDIS_VERSION` (luaRegisterLogFunction, luaRegisterVersion in src/script_lua.c). Both
 *   tables get luaSetErrorMetatable (an `__index` raising "Script attempted to access nonexistent global variable
 *   '<name>'") and are made read-only; during a load the globals are an empty read-only table whose metatable's
 *   `__index` is that table. So at a library's top level every global but `redis` (`string`, `pcall`, `_G`, …) and
 *   every field of `redis` but those raises, and so does any assignment to a global or to a field of `redis`
 *   ("Attempt to modify a readonly table", deps/lua/src/lvm.c). Held against a real 7.0 (lua-load.test.ts);
 * - Valkey 7.2 and 8.0 (tags 7.2.4-rc1, 7.2.5 26388270, 7.2.7 357191ac, 8.0.0 2b5c7a0d, 8.0.1 4fbab574): the same
 *   tables, with `server` beside `redis` (both the same table: valkey-io/valkey#213, in every Valkey release) and
 *   `VALKEY_VERSION_NUM`, `VALKEY_VERSION`, `SERVER_NAME` among its fields.
 * - Redis 8.0 and 8.6 (8.0.2 994bc96b, 8.0.6 f49e5cb2, 8.6.3 bd3b38d4): 7.4's tables, calls and words (luaEngineInitEngine,
 *   luaEngineCreate, luaLogCommand, scripts_flags_def, functionsCreateWithLibraryCtx, rdbFunctionLoad: 8.6.3's
 *   function_lua.c is 8.0.6's byte for byte; 8.0 adds only read-only metatables for basic types, and 8.0.6 moves
 *   getfenv/setfenv to a deprecated list of the globals a script sees, which a load does not). A Redis 8.0.6 and an
 *   8.6.3 built from them agreed with every verdict given (FUNCTION LOAD: 35 hand-written libraries, and 400 mutated
 *   ones each, of which 365 and 364 called refused, none a false alarm or in other words).
 * - Valkey 8.1 and 9.1 (8.1.1, src/lua/function_lua.c luaFunctionInitializeLuaState, luaFunctionLibraryCreate; 9.1.2
 *   7f1dffed, Lua a module built in, src/modules/lua/): 8.0's tables and words, but register_function only collects
 *   the function, its name checked after the run (lua-load-calls.ts), and the code handed to Lua is cut at its first
 *   NUL (`strlen`: the walk stops there anyway). 9.1's log first asserts a run context (luaLogCommand,
 *   src/modules/lua/script_lua.c:1424-1425: `luaGetFromRegistry(lua, REGISTRY_RUN_CTX_NAME)`, then
 *   `ValkeyModule_Assert(rctx)`, before any check of its arguments) that a load never sets (luaFunctionLibraryCreate,
 *   src/modules/lua/function_lua.c:152-156, saves only REGISTRY_LOAD_CTX_NAME before its `lua_pcall`; the run context
 *   is set only around a call (luaCallFunction, script_lua.c:2069 to 2169) and while luaRegisterServerAPI loads Lua's
 *   libraries (1763-1768)), and ValkeyModule_Assert exits the server (src/valkeymodule.h:2719). A 9.1.2 built from that source aborted ("script_lua.c:1425 'rctx' is not true") on a
 *   library calling log at its top level whatever its arguments (valid ones, a level of 99, none, one, a table, a
 *   method call `server:log`, `redis.log` and `server.log`, a local holding it), by FUNCTION LOAD and on starting with
 *   a file holding one (a Redis 7.0.15 saved it; a level of 9 written in its place aborted the same), and loaded a
 *   library whose function calls log (only its call logs). So for 9.1 a call of log the walk reaches is an abort
 *   (`aborts`), refused whatever its arguments (those are read first: one that raises is refused in its words).
 * Those were read from Debian's source packages of them (redis 8.0.2, 8.0.6 and 8.6.3, valkey 9.1.2: each the
 * upstream tag's GitHub tarball, its commit in the tarball's header; valkey 8.1.1: Debian's repack, no commit kept).
 * Valkey 8.1.1 and 9.1.2 built from them agreed with every verdict given (FUNCTION LOAD: 35 and 30 hand-written
 * libraries, 9.1 sent none reaching a call of log; and 400 mutated ones each, of which 328 and 340 called refused,
 * none a false alarm or in other words).
 * Later patch releases of those lines (7.2.7 on, 7.4.2 on: security fixes, such as read-only metatables for basic
 * types) are taken as the same, and so are the patch releases of 8.0, 8.6, 8.1 and 9.1 not read. Any other release (Redis 8.2, 8.4, 8.8, 8.10, Valkey 9.0: no source at a release of
 * them was at hand; ElastiCache's; RDB versions named without an engine) is not judged: a name it added would be a
 * false alarm.
 *
 * The walk is sound and conservative: it follows the library's top-level statements in order while each certainly
 * runs and its effect is known (local bindings, calls of `register_function` and `log`, which raise or return, `do`
 * blocks, an `if` or `and`/`or` decided by a literal), and stops at the first it cannot follow (any other conditional,
 * a loop, a call of anything else), or
 * at a NUL byte (lua-syntax.ts: past one Lua and luaparse may read different tokens). It names a refusal only for an
 * access that certainly happens: a global the environment lacks, a field of `redis` (or `server`) it lacks, an
 * assignment to a global or to a field of that table; for a call of `register_function` or `log` whose arguments are
 * certain (literals, a table constructor, a function, a local holding one of those), a bad argument as the release
 * judges it (lua-load-calls.ts: a flag, a named argument, a function name, one registered twice, a log level); and
 * for a library whose whole top level was followed without meeting a call of `register_function`, "No functions
 * registered" (functionsCreateWithLibraryCtx, src/functions.c). For Valkey 9.1, a call of log it reaches, whatever its
 * arguments, is named an abort instead ({@link ABORTS_ON_LOG}: the server crashes; no words of its own). Across the libraries of one file (FileLibraries): a
 * function name an earlier library registered, where every library before was followed whole. It assumes the engine as a server starts it (no script has run
 * before the load: the load of a file at start; a live server's functions cannot change those read-only tables).
 */
import { parse } from 'luaparse';
import type { Expression, Identifier, Statement } from 'luaparse';
import { type CallWords, firstBadName, judgeLog, judgeRegister, type Known } from './lua-load-calls.js';
import { libraryMetadata } from './function-library.js';
import { decodeRdbString } from './encoded-string.js';
import { DUMP_FOOTER_BYTES, infoField } from './dump-payload.js';

/** What a library's top level can reach while it loads in a release. */
export interface LoadEnvironment {
  /** How messages name the release: `Redis 7.0`, `Valkey 8.0`. */
  readonly release: string;
  /** The globals it can read (each the API table). */
  readonly globals: ReadonlySet<string>;
  /** The API table's fields. */
  readonly fields: ReadonlySet<string>;
  /** How it words the errors of register_function and log (lua-load-calls.ts). */
  readonly words: CallWords;
  /** The API table's fields that are functions whose call only raises or returns (no code of the library runs). */
  readonly calls: ReadonlySet<string>;
  /** The API table's fields whose call aborts the server while a library loads, whatever its arguments: Valkey 9.1's log, the only one (module comment). */
  readonly aborts: ReadonlySet<string>;
}

const REDIS_FIELDS = ['register_function', 'log', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING', 'REDIS_VERSION_NUM', 'REDIS_VERSION'];
const VALKEY_FIELDS = [...REDIS_FIELDS, 'VALKEY_VERSION_NUM', 'VALKEY_VERSION', 'SERVER_NAME'];
/** The calls followed (lua-load-calls.ts judges them); Valkey 9.1's log aborts instead (`aborts`, module comment). */
const BOTH_CALLS = ['register_function', 'log'];

/** The words of a release: its API's name, a bad log level's, and when and how it checks a function's name (lua-load-calls.ts). */
const DEBUG_LEVEL = 'Invalid debug level.';
const LOG_LEVEL = 'Invalid log level.';
const LIBRARY_NAMES = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
const FUNCTION_NAMES = 'Function names can only contain letters, numbers, or underscores(_) and must be at least one character long';
const words = (api: string, badLevel: string, after = false): CallWords => ({
  api,
  badLevel,
  badName: after ? FUNCTION_NAMES : LIBRARY_NAMES,
  namesAfterRun: after,
});
const REDIS_7_4 = { globals: ['redis'], fields: REDIS_FIELDS, words: words('redis', LOG_LEVEL), calls: BOTH_CALLS };
const VALKEY_8_1 = { globals: ['redis', 'server'], fields: VALKEY_FIELDS, words: words('server', LOG_LEVEL, true), calls: BOTH_CALLS };
/** The releases whose load environment was read from their source (see the module comment), by engine and `major.minor`. */
const KNOWN: Readonly<
  Record<
    string,
    {
      readonly globals: readonly string[];
      readonly fields: readonly string[];
      readonly words: CallWords;
      readonly calls: readonly string[];
      readonly aborts?: readonly string[];
    }
  >
> = {
  'redis 7.0': { ...REDIS_7_4, words: words('redis', DEBUG_LEVEL) },
  'redis 7.2': { ...REDIS_7_4, words: words('redis', DEBUG_LEVEL) },
  'redis 7.4': REDIS_7_4,
  'redis 8.0': REDIS_7_4,
  'redis 8.6': REDIS_7_4,
  'valkey 7.2': { ...VALKEY_8_1, words: words('redis', DEBUG_LEVEL) },
  'valkey 8.0': { ...VALKEY_8_1, words: words('server', LOG_LEVEL) },
  'valkey 8.1': VALKEY_8_1,
  'valkey 9.1': { ...VALKEY_8_1, calls: ['register_function'], aborts: ['log'] },
};
/** The API table's fields that are numbers (luaRegisterLogFunction: LL_DEBUG to LL_WARNING). */
const LEVELS: Readonly<Record<string, number>> = { LOG_DEBUG: 0, LOG_VERBOSE: 1, LOG_NOTICE: 2, LOG_WARNING: 3 };

/** Every open-source release whose load environment is known, by its `--for` name (`redis-7.0`, `valkey-9.1`): oldest first per engine. */
export function judgedReleases(): { readonly name: string; readonly env: LoadEnvironment }[] {
  return Object.keys(KNOWN).map((k) => {
    const [engine, version] = k.split(' ') as ['redis' | 'valkey', string];
    return { name: `${engine}-${version}`, env: loadEnvironment(engine, version)! };
  });
}

/** The load environment of an open-source release (`version`: `7.0`, `7.0.15`), or undefined where it is not known. */
export function loadEnvironment(engine: 'redis' | 'valkey', version: string): LoadEnvironment | undefined {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(version.trim());
  if (!m) return undefined;
  const known = KNOWN[`${engine} ${Number(m[1])}.${Number(m[2])}`];
  if (!known) return undefined;
  const release = `${engine === 'redis' ? 'Redis' : 'Valkey'} ${Number(m[1])}.${Number(m[2])}`;
  return {
    release,
    globals: new Set(known.globals),
    fields: new Set(known.fields),
    words: known.words,
    calls: new Set(known.calls),
    aborts: new Set(known.aborts ?? []),
  };
}

/**
 * The load environment of the server whose `INFO server` this is (Valkey by `valkey_version`, else Redis by
 * `redis_version`), or undefined where it is not known: a release not read, or ElastiCache (`os:Amazon ElastiCache`),
 * whose engines' source is not public.
 */
export function loadEnvironmentOfInfo(info: string): LoadEnvironment | undefined {
  if (/elasticache/i.test(infoField(info, 'os') ?? '')) return undefined;
  const valkey = infoField(info, 'valkey_version');
  if (valkey !== undefined) return loadEnvironment('valkey', valkey);
  const redis = infoField(info, 'redis_version');
  return redis === undefined ? undefined : loadEnvironment('redis', redis);
}

/** The API table, a field of it, a value known for certain, or anything else (not followed). */
type Value = { readonly api: true } | { readonly field: string } | { readonly known: Known } | undefined;
const API: Value = { api: true };

/** A certain refusal: Redis's words for it; or, `aborts`, words saying the server aborts on it (no words of its own). */
class Refusal {
  constructor(
    readonly words: string,
    readonly aborts = false,
  ) {}
}

/** How a refusal for an abort of Valkey 9.1 on a call of log begins (after the release's name: module comment). */
export const ABORTS_ON_LOG = 'aborts loading a library that calls log at its top level';
/** Said after {@link ABORTS_ON_LOG}'s words where a step before the call may raise first. */
export const UNLESS_REFUSED_FIRST = ', unless a step before the call fails first: then it refuses it';

/** Said after a name's words (checked after the run) where a step of the run may raise, or a name not certain may be named, first. */
export const UNLESS_RUN_FAILS = ' (unless its top level fails to run first, or a function registered before it is named first)';
/** {@link UNLESS_RUN_FAILS} where the walk stopped before the end in a release that aborts on a call (Valkey 9.1: log may be called past it). */
export const UNLESS_RUN_FAILS_OR_ABORTS =
  ' (unless its top level fails to run first, or the server aborts on a call of log in it first, or a function registered before it is named first)';
/** Said after words that an earlier step which may raise (a call of `register_function` with bad arguments) can come before. */
export const UNLESS_EARLIER = ' (unless a step before it fails first)';
/** Said after a call's errors when which one it names is not certain (the order Lua reads its named arguments in, or an argument not known). */
export const WORDS_NOT_CERTAIN = ' (one of these, or another error of its arguments: which it names first depends on the order Lua reads them)';
/** The walk stops: what follows is not certain to run as walked. */
class Stop {}
const STOP = new Stop();

/** Whether literal `e` is true to Lua (all but nil and false), or undefined when it is no literal. */
function literalTruth(e: Expression): boolean | undefined {
  if (e.type === 'NilLiteral') return false;
  if (e.type === 'BooleanLiteral') return e.value;
  return e.type === 'StringLiteral' || e.type === 'NumericLiteral' ? true : undefined;
}

/** Lua 5.1's arithmetic operators (lvm.c Arith: both operands numbers, or strings luaO_str2d reads as one). */
const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '^']);
/**
 * Whether string `s` is one Lua 5.1 reads as a number (luaO_str2d: strtod of the whole, spaces around it, or a hex
 * integer): generous where unsure (glibc's strtod also takes `inf`, `nan`, hex floats), so a string called no number is none.
 */
const NUMERIC =
  /^[ \t\n\v\f\r]*[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|0x[0-9a-f]*\.?[0-9a-f]*(?:p[-+]?\d+)?|inf(?:inity)?|nan(?:\([0-9a-z_]*\))?)[ \t\n\v\f\r]*$/i;
/** A literal operand's type to Lua (its error words name it), or undefined where `e` is no literal. */
function literalType(e: Expression): string | undefined {
  const types: Partial<Record<Expression['type'], string>> = {
    StringLiteral: 'string',
    NumericLiteral: 'number',
    BooleanLiteral: 'boolean',
    NilLiteral: 'nil',
    FunctionDeclaration: 'function',
  };
  return types[e.type];
}

/**
 * The error Lua 5.1 raises for binary `operator` on literal operands that have no such operation, in its words, or
 * undefined (no error certain, or an operand not a literal: a variable's name would be in its words). Arithmetic on a
 * string no number, a boolean, nil or a function (luaG_aritherror names the first operand that is no number, else the
 * second); concatenation of other than strings and numbers (luaG_concaterror names the first such). Found by a campaign
 * of mutated real files (session 53): `redis.register_function('interop_fn' + function(keys) … end)` passed, and a real
 * Valkey 8.1.1 refused the file ("ERR user_function:2: attempt to perform arithmetic on a string value").
 */
function literalOperandError(operator: string, left: Expression, right: Expression): string | undefined {
  const [l, r] = [literalType(left), literalType(right)];
  if (l === undefined || r === undefined) return undefined;
  if (ARITHMETIC.has(operator)) {
    // A string whose value luaparse did not decode counts as a number (not judged).
    const number = (e: Expression, t: string) => t === 'number' || (e.type === 'StringLiteral' && (e.value === null || NUMERIC.test(e.value)));
    const bad = !number(left, l) ? l : !number(right, r) ? r : undefined;
    return bad === undefined ? undefined : `attempt to perform arithmetic on a ${bad} value`;
  }
  if (operator === '..') {
    const bad = l !== 'string' && l !== 'number' ? l : r !== 'string' && r !== 'number' ? r : undefined;
    return bad === undefined ? undefined : `attempt to concatenate a ${bad} value`;
  }
  return undefined;
}

/** The top level of one library walked against an environment (see the module comment). */
class TopLevel {
  /** The locals in scope and what each holds: the top level's, then each block's walked into (innermost last). */
  private readonly scopes: Map<string, Value>[] = [new Map()];
  /** Whether a step walked may have raised (then a refusal after it is certain, its words are not). */
  mayHaveRaised = false;
  /** The calls of register_function walked, and the names they register where certain. */
  registers = 0;
  readonly names = new Set<string>();
  /** Whether every register_function call walked has a certain name. */
  namesCertain = true;
  /** The names registered, in order (undefined: a call whose name is not certain). */
  readonly order: (string | undefined)[] = [];

  constructor(readonly env: LoadEnvironment) {}

  private refuse(line: number | undefined, why: string): never {
    return this.refuseWith(`user_function:${line ?? '?'}: ${why}`);
  }

  /** A refusal raised in `words` (`ERR <words>`: a call's own errors carry no line). */
  private refuseWith(words: string): never {
    throw new Refusal(`Error registering functions: ERR ${words}${this.mayHaveRaised ? UNLESS_EARLIER : ''}`);
  }

  /** A call of log reached in Valkey 9.1, its arguments read: the server aborts (module comment). */
  private abortsOnLog(at: { loc?: { start: { line: number } } }): never {
    const where = `user_function:${at.loc?.start.line ?? '?'}; an assertion in luaLogCommand, src/modules/lua/script_lua.c`;
    throw new Refusal(`${ABORTS_ON_LOG} (${where})${this.mayHaveRaised ? UNLESS_REFUSED_FIRST : ''}`, true);
  }

  private missing(name: string, at: { loc?: { start: { line: number } } }): never {
    // luaProtectedTableError formats the name with %s: a C string, cut at its first NUL.
    return this.refuse(at.loc?.start.line, `Script attempted to access nonexistent global variable '${name.split('\0')[0]}'`);
  }

  private readonly(at: { loc?: { start: { line: number } } }): never {
    return this.refuse(at.loc?.start.line, 'Attempt to modify a readonly table');
  }

  name(id: Identifier): Value {
    const scope = this.scopeOf(id.name);
    if (scope) return scope.get(id.name);
    if (this.env.globals.has(id.name)) return API;
    return this.missing(id.name, id);
  }

  /** A field of `base` read: of the API table, what it holds or a refusal; of anything else, not followed. */
  field(base: Value, key: string, at: { loc?: { start: { line: number } } }): Value {
    if (base === undefined || !('api' in base)) {
      this.mayHaveRaised = true; // indexing nil, a number, a function raises
      return undefined;
    }
    if (this.env.fields.has(key)) return { field: key };
    return this.missing(key, at);
  }

  expr(e: Expression): Value {
    switch (e.type) {
      case 'Identifier':
        return this.name(e);
      case 'StringLiteral':
      case 'NumericLiteral':
      case 'BooleanLiteral':
      case 'NilLiteral':
      case 'FunctionDeclaration':
        return { known: this.resolve(e)! };
      case 'VarargLiteral':
        return undefined;
      case 'TableConstructorExpression':
        for (const f of e.fields) {
          if (f.type === 'TableKey') this.expr(f.key);
          this.expr(f.value);
        }
        return undefined;
      case 'BinaryExpression': {
        this.expr(e.left);
        this.expr(e.right);
        const wrong = literalOperandError(e.operator, e.left, e.right);
        if (wrong !== undefined) this.refuse(e.loc?.end.line, wrong);
        // A concatenation of certain strings cannot raise: its value is known (a name built from a prefix).
        const known = this.resolve(e);
        if (known !== undefined) return { known };
        this.mayHaveRaised = true; // arithmetic, concatenation or an order on values that have none raises
        return undefined;
      }
      case 'UnaryExpression': {
        this.expr(e.argument);
        const k = this.resolve(e);
        if (k !== undefined) return { known: k };
        this.mayHaveRaised ||= e.operator !== 'not';
        return undefined;
      }
      case 'LogicalExpression': {
        // The right side runs only on some values of the left: followed where the left is a literal that decides it.
        this.expr(e.left);
        const left = literalTruth(e.left);
        if (left === undefined) throw STOP;
        return left === (e.operator === 'and') ? this.expr(e.right) : undefined;
      }
      case 'MemberExpression':
        return this.field(this.expr(e.base), e.identifier.name, e.identifier);
      case 'IndexExpression': {
        const base = this.expr(e.base);
        this.expr(e.index);
        if (e.index.type === 'StringLiteral') return this.field(base, e.index.value, e.index);
        this.mayHaveRaised = true;
        return undefined;
      }
      case 'CallExpression':
      case 'StringCallExpression':
      case 'TableCallExpression': {
        // The function first (a method's table and name), then the arguments, then the call.
        const callee = this.expr(e.base);
        const args = e.type === 'CallExpression' ? e.arguments : [e.type === 'StringCallExpression' ? e.argument : e.arguments];
        for (const a of args) this.expr(a);
        if (callee !== undefined && 'field' in callee && this.env.aborts.has(callee.field)) this.abortsOnLog(e);
        if (callee !== undefined && 'field' in callee && this.env.calls.has(callee.field)) {
          this.call(callee.field, e.base.type === 'MemberExpression' && e.base.indexer === ':' ? undefined : args);
          return undefined;
        }
        throw STOP;
      }
      default:
        throw STOP;
    }
  }

  /** The value of `e` where certain, without walking it (it was walked): a literal, a function, a local's, a level of the API table. */
  resolve(e: Expression): Known | undefined {
    switch (e.type) {
      case 'StringLiteral':
        return { t: 'string', v: e.value };
      case 'NumericLiteral':
        return { t: 'number', v: e.value };
      case 'NilLiteral':
        return { t: 'nil' };
      case 'BooleanLiteral':
        return { t: 'boolean' };
      case 'FunctionDeclaration':
        return { t: 'function' };
      case 'UnaryExpression': {
        const k = e.operator === '-' ? this.resolve(e.argument) : undefined;
        return k?.t === 'number' ? { t: 'number', v: -k.v } : undefined;
      }
      case 'BinaryExpression': {
        // A concatenation of certain strings (a name built from a local prefix: `prefix .. 'get'`, a campaign's find, session 53),
        // and of integers Lua writes as their digits ("%.14g"); anything else is not followed.
        const text = (k: Known | undefined): string | undefined =>
          k?.t === 'string' ? k.v : k?.t === 'number' && Number.isInteger(k.v) && !Object.is(k.v, -0) && Math.abs(k.v) < 1e14 ? String(k.v) : undefined;
        if (e.operator !== '..') return undefined;
        const [a, b] = [text(this.resolve(e.left)), text(this.resolve(e.right))];
        return a !== undefined && b !== undefined ? { t: 'string', v: a + b } : undefined;
      }
      case 'Identifier': {
        const v = this.scopeOf(e.name)?.get(e.name);
        return v !== undefined && 'known' in v ? v.known : undefined;
      }
      case 'MemberExpression': {
        const base =
          e.base.type === 'Identifier'
            ? this.scopeOf(e.base.name)
              ? this.scopeOf(e.base.name)!.get(e.base.name)
              : this.env.globals.has(e.base.name)
                ? API
                : undefined
            : undefined;
        const level = LEVELS[e.identifier.name];
        return base === API && e.indexer === '.' && level !== undefined ? { t: 'number', v: level } : undefined;
      }
      default:
        return undefined;
    }
  }

  /** A call of the API's register_function or log: judged where its arguments are certain (`args` undefined: a method call, not judged). */
  private call(field: string, args: readonly Expression[] | undefined): void {
    const resolve = (e: Expression) => this.resolve(e);
    const outcome =
      args === undefined
        ? { maybe: true }
        : field === 'register_function'
          ? judgeRegister(args, resolve, this.env.words, this.names)
          : judgeLog(args, resolve, this.env.words);
    if ('raises' in outcome) this.refuseWith(outcome.raises);
    // It certainly raises, in words not certain: refused all the same (a file written with it is refused), its likely words said as such.
    if ('raisesOneOf' in outcome) this.refuseWith(`${outcome.raisesOneOf.join(' | ')}${WORDS_NOT_CERTAIN}`);
    this.mayHaveRaised ||= outcome.maybe;
    if (field !== 'register_function') return;
    this.registers++;
    const name = 'name' in outcome ? outcome.name : undefined;
    this.order.push(name);
    if (name !== undefined) this.names.add(name);
    else this.namesCertain = false;
  }

  statement(s: Statement): void {
    switch (s.type) {
      case 'LocalStatement': {
        const values = s.init.map((e) => this.expr(e));
        for (const [i, v] of s.variables.entries()) this.scopes.at(-1)!.set(v.name, values[i]);
        return;
      }
      case 'CallStatement':
        this.expr(s.expression);
        return;
      case 'FunctionDeclaration':
        if (s.identifier === null) return;
        if (s.identifier.type === 'Identifier') {
          const scope = s.isLocal ? this.scopes.at(-1)! : this.scopeOf(s.identifier.name);
          if (scope) scope.set(s.identifier.name, { known: { t: 'function' } });
          else this.readonly(s.identifier);
          return;
        }
        if (this.expr(s.identifier.base) === API) this.readonly(s.identifier.identifier);
        this.mayHaveRaised = true;
        return;
      case 'AssignmentStatement':
        this.assignment(s.variables, s.init);
        return;
      case 'ReturnStatement':
        for (const e of s.arguments) this.expr(e);
        throw STOP;
      case 'DoStatement':
        this.block(s.body);
        return;
      case 'IfStatement':
        // Each condition in turn while it is a literal that is false; a literal true one's body walked; any other stops.
        for (const c of s.clauses) {
          if (c.type !== 'ElseClause') {
            this.expr(c.condition);
            const truth = literalTruth(c.condition);
            if (truth === undefined) throw STOP;
            if (!truth) continue;
          }
          this.block(c.body);
          return;
        }
        return;
      default:
        throw STOP;
    }
  }

  /** The innermost scope holding local `name`, or undefined for a global. */
  private scopeOf(name: string): Map<string, Value> | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) if (this.scopes[i]!.has(name)) return this.scopes[i];
    return undefined;
  }

  /** A block's statements in a scope of their own: its locals are gone after it (what it assigned to outer ones stays). */
  block(body: readonly Statement[]): void {
    this.scopes.push(new Map());
    for (const s of body) this.statement(s);
    this.scopes.pop();
  }

  /** Lua 5.1's order: each target's table and key, then the values, then the stores from the last target to the first. */
  private assignment(targets: readonly Expression[], init: readonly Expression[]): void {
    // Per target: a local (its scope and name), a global or a field of the API table (a store that raises), or anything else (null).
    const stores: ([Map<string, Value>, string] | Expression | null)[] = [];
    for (const t of targets) {
      if (t.type === 'Identifier') {
        const scope = this.scopeOf(t.name);
        stores.push(scope ? [scope, t.name] : t);
      } else if (t.type === 'MemberExpression' || t.type === 'IndexExpression') {
        const base = this.expr(t.base);
        if (t.type === 'IndexExpression') this.expr(t.index);
        stores.push(base === API ? t : null);
      } else throw STOP;
    }
    const values = init.map((e) => this.expr(e));
    for (let i = stores.length - 1; i >= 0; i--) {
      const store = stores[i]!;
      if (Array.isArray(store)) store[0].set(store[1], values[i]);
      else if (store !== null) this.readonly(store);
      else this.mayHaveRaised = true;
    }
  }
}

/**
 * Why `env`'s release certainly refuses library `code` (as stored, `#!lua` line included) when it runs its top level,
 * in its words (`Error registering functions: ERR user_function:<line>: …`, line 1 the `#!lua` line, or `… ERR <words>`
 * for a call's bad arguments, or `No functions registered`; followed by
 * {@link UNLESS_EARLIER} where a step before it may raise first, with other words; or, where the release aborts on it,
 * {@link ABORTS_ON_LOG}'s words), or undefined when it loads it or that is not judged (see the module comment).
 */
export function libraryLoadRefusal(code: Uint8Array, env: LoadEnvironment): string | undefined {
  return refusalOf(walkLibrary(code, env));
}

/**
 * The refusal a walk found; for a release that checks names after the run, a bad name registered (refused whether or
 * not a later step raises: then in that step's words); or "No functions registered" for one that followed the whole
 * top level and met no register_function.
 */
function refusalOf(walked: ReturnType<typeof walkLibrary>): string | undefined {
  if (walked === undefined || 'refusal' in walked) return walked?.refusal;
  const bad = walked.walk.env.words.namesAfterRun ? firstBadName(walked.walk.order, walked.walk.env.words) : undefined;
  if (bad !== undefined) {
    // Past a step not followed, Valkey 9.1 may meet a call of log first: the load aborts instead (the library refused either way).
    const hedge = !walked.complete && walked.walk.env.aborts.size > 0 ? UNLESS_RUN_FAILS_OR_ABORTS : UNLESS_RUN_FAILS;
    return `${bad.words}${bad.certain && walked.complete && !walked.walk.mayHaveRaised ? '' : hedge}`;
  }
  // Its whole top level followed and no register_function call met: functionsCreateWithLibraryCtx's "No functions registered".
  if (walked.complete && walked.walk.registers === 0) return `No functions registered${walked.walk.mayHaveRaised ? UNLESS_EARLIER : ''}`;
  return undefined;
}

/**
 * The last library parsed, by its text: a file's library is walked against each release (lua-load-writers.ts), parsed once
 * for all. Keyed by the text, not the array, so a caller that changes its bytes in place (a test's mutations) is parsed anew.
 */
let lastParsed: { readonly body: string; readonly parsed: { readonly chunk: { body: Statement[] }; readonly nul: number } | undefined } | undefined;

/** Library `code` parsed (from its first newline on, as Redis hands it to Lua), or undefined where it does not parse. */
function parsedLibrary(code: Uint8Array): { readonly chunk: { body: Statement[] }; readonly nul: number } | undefined {
  const eol = code.indexOf(0x0a);
  if (eol < 0) return undefined;
  const body = Buffer.from(code.buffer, code.byteOffset + eol, code.byteLength - eol).toString('latin1');
  if (lastParsed?.body === body) return lastParsed.parsed;
  let parsed: { readonly chunk: { body: Statement[] }; readonly nul: number } | undefined;
  try {
    const chunk = parse(body, { luaVersion: '5.1', encodingMode: 'pseudo-latin1', comments: false, scope: false, locations: true, ranges: true });
    parsed = { chunk, nul: body.indexOf('\0') };
  } catch {
    parsed = undefined; // not compiled (lua-syntax.ts judges that), or past what the parser takes: not judged
  }
  lastParsed = { body, parsed };
  return parsed;
}

/**
 * Library `code`'s top level walked against `env`: a refusal, or the walk and whether it followed every statement
 * (`complete`); undefined where its code is not judged (not parsed, or the walk's own stack spent on deep nesting).
 */
function walkLibrary(
  code: Uint8Array,
  env: LoadEnvironment,
): { readonly refusal: string; readonly aborts: boolean } | { readonly walk: TopLevel; readonly complete: boolean } | undefined {
  const parsed = parsedLibrary(code);
  if (parsed === undefined) return undefined;
  const { chunk, nul } = parsed;
  const walk = new TopLevel(env);
  try {
    for (const s of chunk.body) {
      if (nul >= 0 && ((s as { range?: [number, number] }).range?.[1] ?? Number.POSITIVE_INFINITY) >= nul) return { walk, complete: false };
      walk.statement(s);
    }
  } catch (err) {
    if (err instanceof Refusal) return { refusal: err.words, aborts: err.aborts };
    return err instanceof Stop ? { walk, complete: false } : undefined;
  }
  return { walk, complete: true };
}

const refusedWords = (env: LoadEnvironment, refusal: string, aborts = false): string =>
  aborts ? `${env.release} ${refusal}` : `${env.release} refuses it on load ("Failed loading library, ${refusal}")`;

/** A library's code and name from its payload (the FUNCTION2 opcode, its code as an RDB string, the footer); undefined where every release refuses its first line (function-library.ts: the verifier's) or it does not decode. */
function decodedLibrary(payload: Uint8Array): { readonly code: Uint8Array; readonly name: string } | undefined {
  let code: Uint8Array;
  try {
    code = decodeRdbString(payload.subarray(1, payload.length - DUMP_FOOTER_BYTES));
  } catch {
    return undefined;
  }
  const meta = libraryMetadata(code);
  return typeof meta === 'string' ? undefined : { code, name: meta.name };
}

/**
 * The libraries of one file, in its order, as `env`'s release loads them one after the other (rdbFunctionLoad →
 * functionsCreateWithLibraryCtx, src/functions.c): besides each one's own refusal ({@link libraryLoadRefusal}, in the words of the release's log: `Failed loading
 * library, …`), a
 * library that registers a function an earlier one registered (names compared ignoring case: the server's dict of
 * functions, functionDictType) makes the load fail: "Function <its name> already exists". That is judged only while
 * every library before was followed whole (each statement walked, every name registered certain, no step that may
 * raise) and for a library followed whole that meets exactly one such name (with more, which one the server names
 * depends on its dict's order). Each library not refused is taken as loaded (the caller writes it).
 */
export class FileLibraries {
  /** The functions the libraries taken registered, lower-cased. */
  private readonly taken = new Set<string>();
  /** Whether every library taken was followed whole. */
  private whole = true;

  constructor(private readonly env: LoadEnvironment) {}

  /** Why the release refuses this next library of the file (its name and the refusal), or undefined: then it is taken as loaded. */
  refusedOnLoad(payload: Uint8Array): { readonly name: string; readonly reason: string } | undefined {
    return this.refusedCode(decodedLibrary(payload));
  }

  /** {@link refusedOnLoad} of a library by its code and name (undefined: one that does not decode, not judged but taken). */
  refusedCode(library: { readonly code: Uint8Array; readonly name: string } | undefined): { readonly name: string; readonly reason: string } | undefined {
    const walked = library && walkLibrary(library.code, this.env);
    const refusal = refusalOf(walked);
    if (refusal !== undefined)
      return { name: library!.name, reason: refusedWords(this.env, refusal, walked !== undefined && 'aborts' in walked && walked.aborts) };
    const walk = walked && !('refusal' in walked) && walked.complete && !walked.walk.mayHaveRaised && walked.walk.namesCertain ? walked.walk : undefined;
    const names = walk ? [...walk.names].map((n) => n.toLowerCase()) : [];
    // Two names of one library equal but for case: every release read loads it, one of the two unreachable (its context's
    // dictionary of functions ignores case), and FUNCTION DELETE of it aborts on an assertion (libraryUnlink; a real 7.0.15
    // loaded such a library by FUNCTION LOAD and from a file, then aborted on its FUNCTION DELETE): not followed past it.
    if (walk === undefined || new Set(names).size < names.length) {
      this.whole = false;
      return undefined;
    }
    const clashes = [...walk.names].filter((n) => this.taken.has(n.toLowerCase()));
    if (this.whole && clashes.length === 1) return { name: library!.name, reason: refusedWords(this.env, `Function ${clashes[0]} already exists`) };
    if (clashes.length > 0) this.whole = false;
    for (const n of names) this.taken.add(n);
    return undefined;
  }
}
