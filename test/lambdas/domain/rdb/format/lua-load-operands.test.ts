/**
 * lua-load.ts judges arithmetic and concatenation on literal operands that have no such operation, held against a real
 * redis-server 7.0's FUNCTION LOAD (which runs the library's top level as a file's load does): refused in the server's
 * words where it refuses, passed where it loads. Found by a campaign of mutated real files (session 53): a real Valkey
 * 8.1.1 file whose library read `register_function('interop_fn' + function(keys) … end)` passed verify-rdb, and the
 * real 8.1.1 refused it ("attempt to perform arithmetic on a string value").
 */
import { describe, expect, it } from 'vitest';
import { libraryLoadRefusal, loadEnvironment } from '../../../../../lambdas/domain/rdb/format/lua-load.js';
import { functionLoadVerdicts } from '../../../../support/function-load.js';

const REDIS_7_0 = loadEnvironment('redis', '7.0.15')!;
const library = (body: string): Buffer => Buffer.from(`#!lua name=probe\n${body}`, 'latin1');
const REGISTER = "redis.register_function('f', function() return 1 end)";

describe('libraryLoadRefusal: arithmetic and concatenation on literal operands', () => {
  const theirs = functionLoadVerdicts().refusal;

  it("refuses, in the server's words, what the server refuses", async () => {
    const cases: [body: string, words: string][] = [
      ["redis.register_function('interop_fn' + function(keys) return #keys end)", 'user_function:2: attempt to perform arithmetic on a string value'],
      [`local x = 'abc' * 2\n${REGISTER}`, 'user_function:2: attempt to perform arithmetic on a string value'],
      [`local x = '10' - true\n${REGISTER}`, 'user_function:2: attempt to perform arithmetic on a boolean value'],
      [`local x = 1 + nil\n${REGISTER}`, 'user_function:2: attempt to perform arithmetic on a nil value'],
      [`local x = function() end % 3\n${REGISTER}`, 'user_function:2: attempt to perform arithmetic on a function value'],
      [`local x = 'a' .. false\n${REGISTER}`, 'user_function:2: attempt to concatenate a boolean value'],
      [`local x = nil .. 'a'\n${REGISTER}`, 'user_function:2: attempt to concatenate a nil value'],
      [`${REGISTER}\nlocal x = 'a' ..\n  function() end`, 'user_function:4: attempt to concatenate a function value'],
    ];
    for (const [body, words] of cases) {
      expect({ body, theirs: await theirs(library(body)) }).toEqual({ body, theirs: `Error registering functions: ERR ${words}` });
      expect({ body, ours: libraryLoadRefusal(library(body), REDIS_7_0) }).toEqual({ body, ours: `Error registering functions: ERR ${words}` });
    }
  });

  it('passes what the server loads: numeric strings, numbers, and operands that are not literals', async () => {
    for (const body of [
      `local x = '10' + 1\n${REGISTER}`,
      `local x = ' 0x1F ' * '2e3'\n${REGISTER}`,
      `local x = '.5' / ' inf '\n${REGISTER}`,
      `local x = 'a' .. 1 .. 'b'\n${REGISTER}`,
      `local x = 2 ^ 10 % 7\n${REGISTER}`,
    ]) {
      expect({ body, theirs: await theirs(library(body)) }).toEqual({ body, theirs: undefined });
      expect({ body, ours: libraryLoadRefusal(library(body), REDIS_7_0) }).toEqual({ body, ours: undefined });
    }
    // A variable's value would be named in the server's words ("… on local 'y' (a string value)"): not judged here.
    const named = library(`local y = 'abc'\nlocal x = y + 1\n${REGISTER}`);
    expect(await theirs(named)).toMatch(/local 'y'/);
    expect(libraryLoadRefusal(named, REDIS_7_0)).toBeUndefined();
  });
});

describe('libraryLoadRefusal: a function name built by concatenation of certain strings', () => {
  const theirs = functionLoadVerdicts().refusal;

  it("judges the name it builds, in the server's words (a campaign's find: `prefix .. 'get'` with a prefix of 'rich^')", async () => {
    const bad = library("local prefix = 'rich^'\nredis.register_function{function_name=prefix .. 'get', callback=function() return 1 end}");
    const words = await theirs(bad);
    expect(words).toMatch(/^Error registering functions: ERR .*can only contain letters, numbers, or underscores/);
    expect(libraryLoadRefusal(bad, REDIS_7_0)).toBe(words);
    // Built from a string and an integer: a good name, loaded; the same name twice in one library is refused as the server refuses it.
    const good = library("local p = 'ok_'\nredis.register_function(p .. 1, function() return 1 end)");
    expect(await theirs(good)).toBeUndefined();
    expect(libraryLoadRefusal(good, REDIS_7_0)).toBeUndefined();
    const twice = library(
      "local p = 'ok_'\nredis.register_function(p .. 1, function() return 1 end)\nredis.register_function('ok_' .. '1', function() return 2 end)",
    );
    const twiceWords = await theirs(twice);
    expect(twiceWords).toMatch(/^Error registering functions: /);
    expect(libraryLoadRefusal(twice, REDIS_7_0)).toBe(twiceWords);
    // A number Lua writes otherwise than its digits (1.5, "%.14g") is not followed: not judged.
    expect(libraryLoadRefusal(library("redis.register_function('a^' .. 1.5, function() return 1 end)"), REDIS_7_0)).toBeUndefined();
  });
});
