/**
 * Whether a function library's Lua compiles, judged by its syntax as Lua 5.1 reads it (Redis 7.0 on and every Valkey
 * embed Lua 5.1). Redis compiles a library's code when it loads a file (rdbFunctionLoad → luaEngineCreate,
 * `luaL_loadbuffer` of the code after the `#!lua` line, named `@user_function`) and refuses the whole file over one
 * that does not ("Failed loading library, Error compiling function: user_function:<line>: …", "Unrecoverable error,
 * aborting now"). Before this check verify-rdb only said the code was not compiled here, and convert-rdb wrote copies
 * a real 7.0 refused: a fuzz campaign of convert-rdb (session 50, 7,600 mutated files) met four, three of them syntax
 * errors; with it, 12,000 more mutated files gave none.
 *
 * The parser is luaparse (`luaVersion: '5.1'`, each byte one character), not hand-written: a Lua grammar is a
 * library's job. It is held to the real compiler by a differential test (test/lambdas/domain/rdb/format/lua-syntax.test.ts,
 * against `FUNCTION LOAD` of a real 7.0, 1,000 mutated libraries a run; 60,000 in session 50, NUL bytes among the
 * mutations): it never called code a syntax error that Redis compiled. One place where luaparse alone is more lenient, a comma straight after `return`, is judged here
 * ({@link returnWithoutValue}). It is more lenient in a few others (malformed numerals such as `3..2`, Lua's nesting and local-variable
 * limits): there Redis still refuses what this passes, as before. Two limits keep it from false alarms:
 * - past a NUL byte nothing is judged: Lua 5.1's numeral reader takes a NUL after digits as an exponent mark
 *   (`check_next` finds the terminator of its "Ee"), so `0\01p4` compiles in Redis where any other reader sees a stray
 *   byte (found by the same test). An error at a token before the first NUL stands: both readers met the same tokens up
 *   to it (a library whose stored length swallowed the bytes after it ends in such bytes: session 50's campaign); and so
 *   does one at the first NUL itself, unless it follows a numeral ({@link strayNul}: session 53);
 * - a parse that fails other than with a syntax error (its stack spent on deep nesting) judges nothing.
 * What the code does when run (Redis runs the library's top level on load; an unknown global there makes it refuse
 * the file too) is not judged here: it depends on the release that loads it, and lua-load.ts judges it where the
 * target is known (convert-rdb --for, migrate --from-rdb --functions); `drill local` loads the file in a real server.
 */
import { parse } from 'luaparse';

/**
 * Why Redis would not compile the Lua of library `code` (the library's string as stored, `#!lua` line included), in
 * its form `user_function:<line>: <why>` (line 1 is the `#!lua` line, as in Redis's words), or undefined when its
 * syntax holds or is not judged (see the module comment).
 */
export function luaSyntaxError(code: Uint8Array): string | undefined {
  const eol = code.indexOf(0x0a);
  if (eol < 0) return undefined;
  // From the newline on, as Redis hands it to Lua: line numbers count the `#!lua` line.
  const body = Buffer.from(code.buffer, code.byteOffset + eol, code.byteLength - eol).toString('latin1');
  const nul = body.indexOf('\0');
  const returns: number[] = [];
  const onCreateNode = (node: { type: string; range?: [number, number] }): void => {
    if (node.type === 'ReturnStatement' && node.range) returns.push(node.range[0]);
  };
  try {
    parse(body, { luaVersion: '5.1', encodingMode: 'pseudo-latin1', comments: false, scope: false, locations: false, ranges: true, onCreateNode });
    return returnWithoutValue(body, returns, nul);
  } catch (err) {
    const at = err as { line?: unknown; index?: unknown };
    if (!(err instanceof SyntaxError) || typeof at.line !== 'number' || typeof at.index !== 'number') return undefined;
    if (nul >= 0 && at.index > nul) return undefined;
    // At the first NUL itself: a stray symbol to Lua too, unless it ends a numeral's digits (then Lua reads it as an exponent mark).
    if (nul >= 0 && at.index === nul)
      return strayNul(body, nul) ? `user_function:${at.line}: a NUL byte outside a string or comment, a symbol no statement takes` : undefined;
    return `user_function:${at.line}: ${err.message.replace(/^\[\d+:\d+\] /, '')}`;
  }
}

/**
 * Whether the NUL byte at `nul` of `body`, where luaparse met an unexpected symbol, is one to Lua 5.1 too: not right after
 * a numeral's run of digits, letters, `_` and `.` (read_numeral's `check_next(ls, "Ee")` and `"+-"` find a NUL in those
 * sets: `1\0`, `1e\0` go on as one numeral), nor after a dot (found by a differential run against a real 7.0: `'x' .\0 'y'`
 * compiles). After a name, a keyword or any other symbol Lua's lexer makes the NUL a token of its own, which no rule of the grammar takes: the library does not compile (a campaign of mutated real files,
 * session 53: `… return #keys \0…` refused by a real Redis 8.0.6, "user_function:2: 'end' expected", and passed here).
 */
function strayNul(body: string, nul: number): boolean {
  // After a dot the same set test makes `.\0` the `..` operator and `..\0` `...` (llex's `case '.'`, check_next(ls, ".")).
  if (body[nul - 1] === '.') return false;
  let k = nul;
  while (k > 0 && /[A-Za-z0-9_.]/.test(body[k - 1]!)) k--;
  return !/^(\d|\.\d)/.test(body.slice(k, nul));
}

/**
 * luaparse reads `return , x` as `return x` (its parseReturnStatement takes a comma after no first expression), where
 * Lua 5.1's retstat reads an expression list and refuses the comma ("unexpected symbol near ','"; a convert-rdb fuzz
 * campaign, session 51, met it: `return ,edis.call(…)`). Judged here from each return statement's start (`returns`,
 * offsets in `body`): the first token after the keyword, past spaces and comments, a comma. Not past a NUL (`nul`).
 */
function returnWithoutValue(body: string, returns: readonly number[], nul: number): string | undefined {
  for (const start of returns) {
    const at = afterSpaceAndComments(body, start + 'return'.length);
    if (body[at] !== ',' || (nul >= 0 && at >= nul)) continue;
    let line = 1;
    for (let i = body.indexOf('\n'); i >= 0 && i < at; i = body.indexOf('\n', i + 1)) line++;
    return `user_function:${line}: unexpected symbol near ','`;
  }
  return undefined;
}

/** The offset of the first character of `s` from `i` on that is neither Lua white space nor in a comment. */
function afterSpaceAndComments(s: string, i: number): number {
  for (;;) {
    while (i < s.length && ' \t\r\n\v\f'.includes(s[i]!)) i++;
    if (!s.startsWith('--', i)) return i;
    const long = /^--\[(=*)\[/.exec(s.slice(i, i + 64));
    if (long) {
      const end = s.indexOf(`]${long[1]}]`, i + long[0].length);
      if (end < 0) return s.length;
      i = end + long[1]!.length + 2;
    } else {
      const eol = s.indexOf('\n', i);
      if (eol < 0) return s.length;
      i = eol + 1;
    }
  }
}
