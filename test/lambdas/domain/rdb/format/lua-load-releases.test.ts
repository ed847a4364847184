/**
 * The releases judged past Redis 7.4 and Valkey 8.0 (lua-load.ts, lua-load-calls.ts), each read from its source at a
 * release: Redis 8.0 (8.0.6) and 8.6 (8.6.3), whose load environment and calls are 7.4's; Valkey 8.1 (8.1.1) and 9.1
 * (9.1.2), which check a function's name after the top level ran (functionsCreateWithLibraryCtx →
 * functionLibCreateFunction), and 9.1's log, which asserts a run context a load lacks: the server aborts, so a call of
 * log the walk reaches is refused for 9.1, whatever its arguments. No such server is installed here: the verdicts below
 * were held against a Redis 8.0.6 and 8.6.3 and a Valkey 8.1.1 and 9.1.2 built from those sources when they were
 * written (FUNCTION LOAD; a 9.1.2 aborted, "script_lua.c:1425 'rctx' is not true", on FUNCTION LOAD of a library calling
 * log at its top level with valid arguments, a bad level, none, a table, as `redis.log`, `server.log`, `server:log` or
 * a local, and when started on a file a Redis 7.0.15 saved with such a library; it loaded one whose function calls
 * log, and one calling a missing global before log, refused in its words). Releases not read stay not judged.
 */
import { describe, expect, it } from 'vitest';
import { DUMP_FOOTER_BYTES } from '../../../../../lambdas/domain/rdb/format/dump-payload.js';
import {
  ABORTS_ON_LOG,
  FileLibraries,
  libraryLoadRefusal,
  loadEnvironment,
  loadEnvironmentOfInfo,
  UNLESS_REFUSED_FIRST,
  UNLESS_RUN_FAILS,
  UNLESS_RUN_FAILS_OR_ABORTS,
} from '../../../../../lambdas/domain/rdb/format/lua-load.js';

const library = (body: string): Buffer => Buffer.from(`#!lua name=probe\n${body}`, 'latin1');
const fn = 'function() return 1 end';
const env = (engine: 'redis' | 'valkey', version: string) => loadEnvironment(engine, version)!;
const BAD_NAME = 'Function names can only contain letters, numbers, or underscores(_) and must be at least one character long';

describe('loadEnvironment past Redis 7.4 and Valkey 8.0', () => {
  it('judges Redis 8.0 and 8.6, Valkey 8.1 and 9.1; not Redis 8.2, 8.4, 8.8, 8.10 nor Valkey 9.0 (not read at a release)', () => {
    expect(['8.0', '8.0.6', '8.6.3'].map((v) => loadEnvironment('redis', v)?.release)).toEqual(['Redis 8.0', 'Redis 8.0', 'Redis 8.6']);
    expect(['8.1.1', '9.1.2'].map((v) => loadEnvironment('valkey', v)?.release)).toEqual(['Valkey 8.1', 'Valkey 9.1']);
    for (const named of ['redis 8.2.1', 'redis 8.4.0', 'redis 8.8', 'redis 8.10.0', 'valkey 9.0.0', 'valkey 8.2']) {
      const [engine, v] = named.split(' ') as ['redis' | 'valkey', string];
      expect(loadEnvironment(engine, v), named).toBeUndefined();
    }
    // A live target by its INFO (migrate --from-rdb --functions).
    expect(loadEnvironmentOfInfo('# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.1.2\r\n')?.release).toBe('Valkey 9.1');
    expect(loadEnvironmentOfInfo('# Server\r\nredis_version:8.6.3\r\nos:Linux\r\n')?.release).toBe('Redis 8.6');
    expect(loadEnvironmentOfInfo('# Server\r\nredis_version:8.2.1\r\nos:Linux\r\n')).toBeUndefined();
  });
});

describe('Redis 8.0 and 8.6: as Redis 7.4', () => {
  it("refuses Valkey's server, a bad log level in 7.4's words, a bad name in register_function's call", () => {
    for (const version of ['8.0.6', '8.6.3']) {
      const e = env('redis', version);
      expect(libraryLoadRefusal(library(`server.register_function('f', ${fn})`), e)).toBe(
        "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'server'",
      );
      expect(libraryLoadRefusal(library(`redis.register_function('f', ${fn})\nredis.log(4, 'x')`), e)).toBe(
        'Error registering functions: ERR Invalid log level.',
      );
      expect(libraryLoadRefusal(library(`redis.register_function('f-', ${fn})\nnope()`), e)).toBe(
        'Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long',
      );
      expect(libraryLoadRefusal(library(`redis.register_function{function_name='f', callback=${fn}, flags={'no-writes', 'bogus'}}`), e)).toBe(
        'Error registering functions: ERR unknown flag given',
      );
      // Negative: what 7.4 loads.
      expect(libraryLoadRefusal(library(`redis.log(redis.LOG_NOTICE, 'x')\nredis.register_function('f', ${fn})`), e)).toBeUndefined();
    }
  });
});

describe('Valkey 8.1 and 9.1: a function name checked after the top level ran', () => {
  const both = [env('valkey', '8.1.1'), env('valkey', '9.1.2')];

  it('a bad or repeated name: refused in its words, without the run error prefix, where nothing before or after may fail first', () => {
    for (const e of both) {
      expect(libraryLoadRefusal(library(`server.register_function('bad-name', ${fn})`), e)).toBe(BAD_NAME);
      expect(libraryLoadRefusal(library(`server.register_function{function_name='', callback=${fn}}`), e)).toBe(BAD_NAME);
      expect(libraryLoadRefusal(library(`local f = ${fn}\nserver.register_function('g', f)\nserver.register_function('g', f)`), e)).toBe(
        'Function already exists in the library',
      );
      // Names compared byte for byte in the library: G and g both taken; the bad one after them is named.
      expect(
        libraryLoadRefusal(library(`server.register_function('G', ${fn})\nserver.register_function('g', ${fn})\nserver.register_function('x-y', ${fn})`), e),
      ).toBe(BAD_NAME);
      // Negative: good names load.
      expect(libraryLoadRefusal(library(`server.register_function('G', ${fn})\nserver.register_function(2, ${fn})`), e)).toBeUndefined();
    }
  });

  it('a run that fails after the bad name is refused in its own words (the name is checked only after a run without error)', () => {
    for (const e of both) {
      expect(libraryLoadRefusal(library(`server.register_function('bad-name', ${fn})\nnope()`), e)).toBe(
        "Error registering functions: ERR user_function:3: Script attempted to access nonexistent global variable 'nope'",
      );
      expect(libraryLoadRefusal(library(`server.register_function('bad-name', ${fn})\nserver.register_function('f', ${fn}, 1)`), e)).toBe(
        'Error registering functions: ERR wrong number of arguments to server.register_function',
      );
    }
  });

  it('refused all the same where the run may fail later or an earlier name is not certain: the words hedged', () => {
    for (const e of both) {
      // Past a step not followed 9.1 may abort on a call of log first: its hedge says so.
      expect(libraryLoadRefusal(library(`server.register_function('f', ${fn})\nserver.register_function('bad-name', ${fn})\nfor i = 1, 2 do end`), e)).toBe(
        `${BAD_NAME}${e.release === 'Valkey 9.1' ? UNLESS_RUN_FAILS_OR_ABORTS : UNLESS_RUN_FAILS}`,
      );
      for (const body of [
        `local f = server.REDIS_VERSION\nserver.register_function(f, ${fn})\nserver.register_function('b-', ${fn})`,
        `local f = server.REDIS_VERSION\nserver.register_function('b-', f)`,
      ])
        expect(libraryLoadRefusal(library(body), e)).toBe(`${BAD_NAME}${UNLESS_RUN_FAILS}`);
    }
  });

  it('the libraries of one file: a function an earlier library registered, ignoring case', () => {
    const payload = (code: string): Uint8Array =>
      Uint8Array.from([0xf5, 0x40 | (code.length >> 8), code.length & 0xff, ...Buffer.from(code, 'latin1'), ...new Array<number>(DUMP_FOOTER_BYTES).fill(0)]);
    for (const e of both) {
      const file = new FileLibraries(e);
      expect(file.refusedOnLoad(payload(`#!lua name=a\nserver.register_function('fx', ${fn})`))).toBeUndefined();
      expect(file.refusedOnLoad(payload(`#!lua name=b\nserver.register_function('FX', ${fn})`))?.reason).toBe(
        `${e.release} refuses it on load ("Failed loading library, Function FX already exists")`,
      );
      expect(file.refusedOnLoad(payload(`#!lua name=c\nserver.register_function('fy', ${fn})`))).toBeUndefined();
    }
  });

  it("log: judged by 8.1 ('Invalid log level.', server.log()); an abort in 9.1, whose log asserts a run context a load lacks", () => {
    const [v81, v91] = both as [ReturnType<typeof env>, ReturnType<typeof env>];
    const level = library(`server.register_function('f', ${fn})\nserver.log(4, 'x')`);
    const few = library(`server.register_function('f', ${fn})\nserver.log(server.LOG_NOTICE)`);
    const logOnly = library("server.log(server.LOG_NOTICE, 'x')");
    expect(libraryLoadRefusal(level, v81)).toBe('Error registering functions: ERR Invalid log level.');
    expect(libraryLoadRefusal(few, v81)).toBe('Error registering functions: ERR server.log() requires two arguments or more.');
    expect(libraryLoadRefusal(logOnly, v81)).toBe('No functions registered');
    // 9.1 aborts before it reads the arguments (the assertion comes first): no "Invalid log level.", no "No functions registered".
    expect([level, few, logOnly].map((code) => libraryLoadRefusal(code, v91))).toEqual([3, 3, 2].map(aborts));
    // What comes before a log call is judged by 9.1 all the same.
    expect(libraryLoadRefusal(library(`nope()\nserver.log(server.LOG_NOTICE, 'x')`), v91)).toBe(
      "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'nope'",
    );
  });
});

/** Valkey 9.1's words for an abort on the call of log at `line` (line 1 the `#!lua` line). */
const aborts = (line: number): string => `${ABORTS_ON_LOG} (user_function:${line}; an assertion in luaLogCommand, src/modules/lua/script_lua.c)`;

describe('Valkey 9.1: a call of log at the top level aborts the server (luaLogCommand asserts a run context)', () => {
  const v91 = env('valkey', '9.1.2');

  it('refuses a call of log that certainly runs, whatever its arguments and however log is reached', () => {
    for (const [body, line] of [
      [`server.log(server.LOG_NOTICE, 'x')\nserver.register_function('f', ${fn})`, 2],
      [`redis.log(redis.LOG_WARNING, 'x')\nredis.register_function('f', ${fn})`, 2],
      [`server.register_function('f', ${fn})\nserver.log(99, 'x')`, 3],
      [`server.register_function('f', ${fn})\nserver.log()`, 3],
      [`server.register_function('f', ${fn})\nserver.log({}, 'x')`, 3],
      [`server.register_function('f', ${fn})\nserver:log('x')`, 3],
      [`local l = redis.log\nserver.register_function('f', ${fn})\nl(0, 'x')`, 4],
      [`server.register_function('f', ${fn})\nserver['log'](0, 'x')`, 3],
      [`server.register_function('f', ${fn})\ndo if true then local _ = false or server.log(0, 'x') end end`, 3],
      // The abort comes before the names are checked (after the run): not "Function names can only contain …".
      [`server.register_function('bad-name', ${fn})\nserver.log(0, 'x')`, 3],
    ] as const)
      expect(libraryLoadRefusal(library(body), v91), body).toBe(aborts(line));
    // The whole reason convert-rdb and migrate give.
    const payload = (code: string): Uint8Array =>
      Uint8Array.from([0xf5, code.length, ...Buffer.from(code, 'latin1'), ...new Array<number>(DUMP_FOOTER_BYTES).fill(0)]);
    expect(new FileLibraries(v91).refusedOnLoad(payload("#!lua name=a\nserver.log(0, 'x')"))).toEqual({
      name: 'a',
      reason: `Valkey 9.1 ${aborts(2)}`,
    });
  });

  it('a step before the call that may raise: refused, hedged; one that certainly raises: refused in its words', () => {
    expect(libraryLoadRefusal(library(`local x = server.REDIS_VERSION_NUM + 1\nserver.log(0, 'x')`), v91)).toBe(`${aborts(3)}${UNLESS_REFUSED_FIRST}`);
    expect(libraryLoadRefusal(library('server.log(0, nope)'), v91)).toBe(
      "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'nope'",
    );
  });

  it("a bad name before a step not followed and a call of log past it: refused, its hedge naming 9.1's abort (which a real 9.1.2 met)", () => {
    const body = `server.register_function('bad-name', ${fn})\nlocal f = function() end\nf()\nserver:log('x')\nserver.register_function('f', ${fn})`;
    expect(libraryLoadRefusal(library(body), v91)).toBe(`${BAD_NAME}${UNLESS_RUN_FAILS_OR_ABORTS}`);
    expect(libraryLoadRefusal(library(body), env('valkey', '8.1.1'))).toBe(`${BAD_NAME}${UNLESS_RUN_FAILS}`);
  });

  it('not judged past a step not followed; not refused where log is only in a function (called later, with a run context)', () => {
    for (const body of [
      `if server.REDIS_VERSION_NUM > 0 then server.log(0, 'x') end\nserver.register_function('f', ${fn})`,
      `local function f() end\nf()\nserver.log(0, 'x')\nserver.register_function('f', ${fn})`,
      "server.register_function('f', function() server.log(server.LOG_NOTICE, 'x') return 1 end)",
    ])
      expect(libraryLoadRefusal(library(body), v91), body).toBeUndefined();
  });

  it('Redis 7.0 to 8.6 and Valkey 7.2 to 8.1 load a library calling log at its top level (7.0: lua-load.test.ts, against the real server)', () => {
    for (const named of ['redis 7.0', 'redis 7.2', 'redis 7.4', 'redis 8.0', 'redis 8.6', 'valkey 7.2', 'valkey 8.0', 'valkey 8.1']) {
      const [engine, v] = named.split(' ') as ['redis' | 'valkey', string];
      const body = `redis.log(redis.LOG_NOTICE, 'x')\nredis.register_function('f', ${fn})\nredis.log(0, 'y')`;
      expect(libraryLoadRefusal(library(body), env(engine, v)), named).toBeUndefined();
    }
  });
});
