import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AofScanner, scanAof } from '../../../../lambdas/domain/self-managed/aof-scan.js';

/** A command as the server appends it. */
const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`;
const ts = (s: number) => `#TS:${s}\r\n`;

const SET_A = cmd('set', 'a', '1');
const SELECT = cmd('SELECT', '0');
const MULTI = cmd('MULTI');
const EXEC = cmd('EXEC');
const INCR = cmd('incr', 'n');

describe('AOF scanning', () => {
  const whole = ts(100) + SELECT + SET_A + ts(101) + INCR;
  it.each([
    ['whole commands and annotations', whole, whole.length, 3, [100, 101]],
    ['a command cut in its bulk data', whole + SET_A.slice(0, 15), whole.length, 3, [100, 101]],
    ['a command cut in its header', `${whole}*3\r`, whole.length, 3, [100, 101]],
    ['a command cut before its final CRLF', whole + SET_A.slice(0, -1), whole.length, 3, [100, 101]],
    ['an annotation cut short', `${whole}#TS:10`, whole.length, 3, [100, 101]],
    ['a transaction without its EXEC yet', whole + MULTI + SET_A + INCR, whole.length, 3, [100, 101]],
    ['a whole transaction', whole + MULTI + SET_A + EXEC, whole.length + MULTI.length + SET_A.length + EXEC.length, 6, [100, 101]],
    ['an empty file', '', 0, 0, []],
    ['no annotations (aof-timestamp-enabled no)', SELECT + SET_A, SELECT.length + SET_A.length, 2, []],
    ['other annotations', `#anything\r\n${SET_A}`, 11 + SET_A.length, 1, []],
    ['binary values with CRLF inside', cmd('set', 'k', 'a\r\n*1\r\n$1\r\n'), cmd('set', 'k', 'a\r\n*1\r\n$1\r\n').length, 1, []],
  ])('ends the whole part where the last complete unit ends: %s', (_what, text, safeEnd, commands, seconds) => {
    const r = scanAof(Buffer.from(text, 'latin1'));
    expect(r.error).toBeUndefined();
    expect(r.safeEnd).toBe(safeEnd);
    expect(r.scanned).toBe(Buffer.byteLength(text, 'latin1'));
    expect(r.commands).toBe(commands);
    expect(r.annotations).toBe(seconds.length);
    expect([r.firstSecond, r.lastSecond].filter((s) => s !== undefined)).toEqual(seconds.length ? [seconds[0], seconds[seconds.length - 1]] : []);
  });

  it.each([
    ['garbage where a command starts', `${SET_A}hello\r\n`, SET_A.length, SET_A.length, /expected a command \(\*\) or an annotation \(#\), got "hello"/],
    ['a command of no arguments', '*0\r\n', 0, 0, /bad command header "\*0"/],
    ['a bad bulk header', `${SET_A}*1\r\n:5\r\n`, SET_A.length + 4, SET_A.length, /bad bulk string header ":5" \(argument 1 of 1\)/],
    ['a bulk string not followed by CRLF', '*1\r\n$1\r\nab\r\n', 9, 0, /bulk string of 1 bytes not followed by CRLF/],
    ['an RDB where commands belong', 'REDIS0010\xfa\x09redis-ver\n', 0, 0, /expected a command/],
    ['a line longer than 1024 bytes', `#${'x'.repeat(1100)}\r\n`, 0, 0, /longer than 1024 bytes/],
  ])('reports the first format problem where it is: %s', (_what, text, offset, safeEnd, message) => {
    const r = scanAof(Buffer.from(text, 'latin1'));
    expect(r.error?.offset).toBe(offset);
    expect(r.error?.message).toMatch(message);
    expect(r.safeEnd).toBe(safeEnd);
  });

  it('continues from an offset', () => {
    const r = scanAof(Buffer.from(SET_A + INCR), { start: 1000 });
    expect(r).toMatchObject({ safeEnd: 1000 + SET_A.length + INCR.length, scanned: 1000 + SET_A.length + INCR.length, commands: 2 });
  });

  it.each([
    ['at the first annotation of the cut second', ts(100) + SET_A + ts(101) + INCR + ts(102) + SET_A, 101, ts(100).length + SET_A.length, 1],
    ['at a later second when the cut second has no annotation', ts(100) + SET_A + ts(105) + INCR, 103, ts(100).length + SET_A.length, 1],
    ['nowhere when every annotation is before it', ts(100) + SET_A + ts(101) + INCR, 200, undefined, 2],
    ['before the whole file when its first annotation is at the cut', ts(150) + SET_A, 150, 0, 0],
    ['before a transaction an annotation falls inside', ts(100) + SET_A + MULTI + INCR + ts(101) + INCR + EXEC, 101, ts(100).length + SET_A.length, 1],
  ])('cuts for --until %s', (_what, text, cutAtSecond, cutAt, commands) => {
    const r = scanAof(Buffer.from(text), { cutAtSecond });
    expect(r.cutAt).toBe(cutAt);
    expect(r.commands).toBe(commands);
    if (cutAt !== undefined) expect(r.safeEnd).toBe(cutAt);
  });

  it('finds the same boundaries however the bytes are split into chunks (property)', () => {
    const units = fc.oneof(
      fc.constantFrom(SET_A, SELECT, INCR, ts(100), ts(101)),
      fc.tuple(fc.string({ unit: 'binary-ascii' }), fc.uint8Array({ maxLength: 40 })).map(([k, v]) => cmd('set', k, Buffer.from(v).toString('latin1'))),
      fc.constant(MULTI + SET_A + EXEC),
    );
    fc.assert(
      fc.property(
        fc.array(units, { maxLength: 12 }),
        fc.nat(60),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 }),
        (parts, tear, sizes) => {
          const full = Buffer.from(parts.join(''), 'latin1');
          const torn = full.subarray(0, Math.max(0, full.length - tear));
          const expected = scanAof(torn);
          const s = new AofScanner();
          let at = 0;
          for (let i = 0; at < torn.length; i++) {
            const n = sizes[i % sizes.length]!;
            s.push(torn.subarray(at, at + n));
            at += n;
          }
          expect(s.found).toEqual(expected);
          // Whole units: the whole part ends exactly at a unit boundary, and re-scanning it finds it whole.
          const again = scanAof(torn.subarray(0, expected.safeEnd));
          expect(again.safeEnd).toBe(expected.safeEnd);
          if (tear === 0) expect(expected.safeEnd).toBe(full.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
