/**
 * A function library's Lua syntax judged as Redis compiles it (lua-syntax.ts), held against a real redis-server 7.0's
 * FUNCTION LOAD, which compiles a library as a file's load does: a library we call a syntax error is one the server
 * refuses to compile ("Error compiling function"), over a thousand mutated libraries a run (a file holding one, refused by
 * verify-rdb and convert-rdb as the server refuses to start on it: function-library.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { luaSyntaxError } from '../../../../../lambdas/domain/rdb/format/lua-syntax.js';
import { functionLoadVerdicts } from '../../../../support/function-load.js';
import { mulberry32 } from '../../../../support/prng.js';

/** Libraries the server compiles (written for this test): functions, closures, tables, strings and numerals of every form. */
const LIBRARIES = [
  `#!lua name=ratelimit
local function check(keys, args)
  local current = redis.call('INCR', keys[1])
  if current == 1 then redis.call('EXPIRE', keys[1], tonumber(args[2]) or 60) end
  if current > tonumber(args[1]) then return {err = "limit exceeded: " .. current} end
  return current
end
redis.register_function('ratelimit_check', check)
redis.register_function{function_name='ratelimit_peek', callback=function(keys) return redis.call('GET', keys[1]) or 0 end, flags={'no-writes'}}`,
  `#!lua name=syntax
local t = {1, 2, 3; x = 0x1F, y = 1e3, z = .5, w = 3., v = 0XaBc, ['k'] = [[long
string]], [ [==[key]==] ] = [=[with ]] inside]=]}
--[[ block
comment ]] local s = 'esc \\65\\066\\0677 \\n\\t\\\\ \\" \\' \\
next line' -- line comment
local u = "a\\qb\\z"
local function va(...) local a, b = ..., select('#', ...) return a, b end
local r = not nil and (1 < 2 or 3 >= 4) and 'x' ~= 'y' and -2 <= 5 and #"ab" % 3 ^ 2
for i = 10, 1, -1 do if i == 5 then break end end
while false do end
repeat local q = 1 until q == 1
do local x; x = 1; end
local obj = {n = 0}
function obj:inc(d) self.n = self.n + (d or 1); return self end
obj:inc(2):inc()
redis.register_function('syntax_probe', function()
  local g = string.format"%s" .. string.format[[%d]] .. type{}
  return cjson.encode({r = r, n = obj.n, g = g})
end)`,
  `#!lua name=queue
local function pop(keys, args)
  local n, out = tonumber(args[1] or '1'), {}
  while n > 0 do
    local v = redis.call('LPOP', keys[1])
    if not v then break end
    out[#out + 1] = v
    n = n - 1
  end
  return out
end
redis.register_function('q_pop', pop)`,
  `#!lua name=edge
local a = 0x1p4 + 1e+2 + 2E-1 + 3.25e0
local c = "\\0\\255\\1234x"
local f = (function(...) return ... end)(1, 2)
local g = { [1]=1, 2; 3, }
local m = 2^-3^2 .. - - 1
redis.register_function('edge', function() return {a, c, f, m} end)`,
];

/** Bytes a mutation puts in: Lua's punctuation, digits, keyword letters, and bytes no Lua token holds. */
const ALPHABET = Buffer.from(' \n\t()[]{}=.,;:\'"\\-+*/%^#<>~0123456789abcdefxXeEpP_lnrtfoendifthwhileoal\x00\x80\xff', 'latin1');

describe('luaSyntaxError: as Redis 7.0 compiles a library', () => {
  const theirs = functionLoadVerdicts().refusal;

  it('passes each library the server compiles', async () => {
    for (const library of LIBRARIES) {
      const code = Buffer.from(library, 'latin1');
      expect(await theirs(code)).toBeUndefined();
      expect(luaSyntaxError(code)).toBeUndefined();
    }
  });

  it('1,000 mutated libraries: every one called a syntax error is one the server will not compile, and it finds almost all of those', async () => {
    const random = mulberry32(50);
    let caught = 0;
    let compileErrors = 0;
    for (let i = 0; i < 1000; i++) {
      let code = Buffer.from(LIBRARIES[i % LIBRARIES.length]!, 'latin1');
      const at = code.indexOf(0x0a) + 1 + Math.floor(random() * (code.length - code.indexOf(0x0a) - 1));
      const byte = Buffer.from([ALPHABET[Math.floor(random() * ALPHABET.length)]!]);
      const how = Math.floor(random() * 3);
      if (how === 0) code[at] = byte[0]!;
      else if (how === 1) code = Buffer.concat([code.subarray(0, at), code.subarray(at + 1 + Math.floor(random() * 3))]);
      else code = Buffer.concat([code.subarray(0, at), byte, code.subarray(at)]);
      const ours = luaSyntaxError(code);
      const verdict = await theirs(code);
      const notCompiled = verdict?.startsWith('Error compiling function') ?? false;
      if (ours !== undefined)
        expect({ code: code.toString('latin1'), ours, verdict }).toMatchObject({ verdict: expect.stringMatching(/^Error compiling function: /) });
      if (notCompiled) compileErrors++;
      if (notCompiled && ours !== undefined) caught++;
    }
    // The check can fail (the mutations made compile errors), and it catches nearly all of them (measured: all but the
    // malformed numerals, a few stray symbols Lua's reader takes apart differently, and code past a NUL byte, not judged).
    expect(compileErrors).toBeGreaterThan(350);
    expect(caught / compileErrors).toBeGreaterThan(0.98);
  });

  it('names the line as Redis does; judges nothing from a NUL byte on (Lua 5.1 takes one after digits as an exponent mark)', async () => {
    const missingEnd = Buffer.from("#!lua name=m\nlocal function f()\n  return 1\nredis.register_function('f', f)", 'latin1');
    expect(await theirs(missingEnd)).toMatch(/^Error compiling function: user_function:4: 'end' expected \(to close 'function' at line 2\) near 'redis'/);
    expect(luaSyntaxError(missingEnd)).toMatch(/^user_function:4: 'end' expected/);
    const nulAfterDigits = Buffer.from("#!lua name=n\nlocal a = 0\u00001p4\nredis.register_function('n', function() return a end)", 'latin1');
    expect(await theirs(nulAfterDigits)).toBeUndefined();
    expect(luaSyntaxError(nulAfterDigits)).toBeUndefined();
    // An error before the first NUL stands (the campaign's find: a stored length that swallowed the next bytes).
    const errorBeforeNul = Buffer.from("#!lua name=t\nredis.register_function('one', function(return 1 end)\xfe\u0000", 'latin1');
    expect(await theirs(errorBeforeNul)).toMatch(/^Error compiling function: user_function:2: <name> or '\.\.\.' expected near 'return'/);
    expect(luaSyntaxError(errorBeforeNul)).toBe("user_function:2: <name> or '...' expected near 'return'");
  });

  it('judges a NUL byte where Lua meets it as a symbol of its own (after a name, a space, punctuation), not one that ends a numeral', async () => {
    // Session 53's campaign: a real Redis 8.0.6 file's library cut short before `end`, a NUL after `#keys `: refused by the
    // server ("'end' expected"), passed here before.
    const cases: [code: string, refused: boolean][] = [
      ["#!lua name=a\nredis.register_function('f', function(keys) return #keys \u0000\xfb end)", true],
      ["#!lua name=b\nlocal x = y\u0000\nredis.register_function('f', function() return 1 end)", true],
      ["#!lua name=c\nlocal x = (\u0000)\nredis.register_function('f', function() return 1 end)", true],
      ["#!lua name=d\nlocal x = 12\u0000\nredis.register_function('f', function() return 1 end)", false],
      ["#!lua name=e\nlocal x = 1.5e\u0000\nredis.register_function('f', function() return 1 end)", false],
      ["#!lua name=f\nlocal x = 'a\u0000b'\nredis.register_function('f', function() return x end)", false],
      ["#!lua name=g\n-- a\u0000b\nredis.register_function('f', function() return 1 end)", false],
      // After a dot Lua's lexer takes the NUL as a second dot: `'x' .\0 'y'` is `'x' .. 'y'`, which compiles (a differential run's find).
      ["#!lua name=h\nlocal x = 'x' .\u0000 'y'\nredis.register_function('f', function() return x end)", false],
    ];
    for (const [text, refused] of cases) {
      const code = Buffer.from(text, 'latin1');
      const ours = luaSyntaxError(code);
      if (refused) {
        expect({ text, verdict: await theirs(code) }).toEqual({ text, verdict: expect.stringMatching(/^Error compiling function: user_function:2: /) });
        expect(ours).toBe('user_function:2: a NUL byte outside a string or comment, a symbol no statement takes');
      } else expect({ text, ours }).toEqual({ text, ours: undefined }); // compiled by the server, or past what is judged
    }
    expect(await theirs(Buffer.from(cases.at(-1)![0], 'latin1'))).toBeUndefined();
  });

  it('refuses a comma straight after return, which luaparse alone takes (`return ,x` read as `return x`); passes one in a comment or after a value', async () => {
    const lib = (body: string) => Buffer.from(`#!lua name=r\nredis.register_function('r', function(k)\n${body}\nend)`, 'latin1');
    // Found by a convert-rdb fuzz campaign (session 51): the output's library a real 7.0 would not compile.
    const refused = ["return ,redis.call('GET', k[1])", 'return --[==[ c ]==] , 1', 'return -- a comment\n  , 1', 'do return\t,1 end'];
    for (const body of refused) {
      expect(await theirs(lib(body))).toMatch(/^Error compiling function: user_function:\d+: unexpected symbol near ','$/);
      expect(`Error compiling function: ${luaSyntaxError(lib(body))}`).toBe(await theirs(lib(body)));
    }
    const compiles = ['return --[[ , ]] 1', 'return 1, 2', "return ', x'", 'return -- ,\n 1', 'return;', 'do return end'];
    for (const body of compiles) {
      expect(await theirs(lib(body))).toBeUndefined();
      expect(luaSyntaxError(lib(body))).toBeUndefined();
    }
  });
});
