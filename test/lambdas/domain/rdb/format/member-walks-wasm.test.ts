import { describe, expect, it } from 'vitest';
import { walkListpack } from '../../../../../lambdas/domain/rdb/format/blobs.js';
import {
  LONG_MEMBER,
  loadWasmListpack,
  loadWasmSetMembers,
  loadWasmStreamNode,
  MEMBER_WALK_MAX_BYTES,
  MEMBER_WALK_MAX_MEMBERS,
} from '../../../../../lambdas/domain/rdb/format/member-walks-wasm.js';
import { checkStreamNode, lastLive } from '../../../../../lambdas/domain/rdb/format/stream-node.js';
import { int, judged, listpack, str } from '../../../../support/listpack-entries.js';
import { mulberry32 } from '../../../../support/prng.js';

const wasm = loadWasmListpack();
if (!wasm) throw new Error('WebAssembly is unavailable: these tests need it');
const walk = wasm;

const membersOf = (lp: Uint8Array, stride: number): number => (stride === 0 ? 0 : Math.ceil((lp[4]! | (lp[5]! << 8)) / stride));
/** The WebAssembly walk: a count it vouches for, or -1 (JavaScript decides), or -2 (too large for it). */
const fast = (lp: Uint8Array, stride: number): number => walk(lp, stride, membersOf(lp, stride));

/** The first bytes of `lp` in hex, to name it in a failed check. */
const named = (lp: Uint8Array): string => `${lp.length} bytes ${Buffer.from(lp.subarray(0, 48)).toString('hex')}${lp.length > 48 ? '...' : ''}`;

/*
 * The checks of this file's loops are gathered: each that fails is named in the test's `failed` list, which one expect()
 * at the test's end holds empty. An expect() a check was about 55,000 a run of this file, at 7-27 us of CPU each
 * (vitest's assertion state, chai's proxies).
 */

/**
 * The rule: whenever the WebAssembly walk answers, the JavaScript walk (the
 * judge) finds the listpack valid, with that count and no member twice.
 */
function expectAgrees(lp: Uint8Array, stride: number, failed: string[]): number {
  const answer = fast(lp, stride);
  if (answer >= 0) {
    const verdict = judged(lp, stride);
    if (!('count' in verdict && Object.is(verdict.count, answer) && verdict.duplicate === false))
      failed.push(`stride ${stride}, ${named(lp)}: answered ${answer}, the JavaScript walk ${JSON.stringify(verdict)}`);
  }
  return answer;
}

describe('the WebAssembly listpack walk vouches only for what the JavaScript walk accepts', () => {
  const random = mulberry32(39);
  const pick = (n: number): number => Math.floor(random() * n);
  const words = ['a', 'bb', 'ccc', 'hello', 'field:17', 'x'.repeat(40), 'y'.repeat(63), 'z'.repeat(100), '-12', '007', '3.5', ''];
  /** A random entry: strings of every length encoding, integers of every width (as Redis writes them or wider). */
  function entry(): number[] {
    const r = pick(10);
    if (r < 4) return str(words[pick(words.length)]! + (pick(2) ? String(pick(50)) : ''));
    if (r < 5) return str('w'.repeat(pick(300)));
    const v = [0n, 5n, 127n, -1n, 300n, -4096n, 40_000n, -(2n ** 23n), 2n ** 31n - 1n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(pick(100_000))][pick(12)]!;
    return int(v);
  }
  const generated = Array.from({ length: 3000 }, () => {
    const entries = Array.from({ length: 1 + pick(60) }, entry);
    return { lp: listpack(entries), stride: [0, 1, 2, 3][pick(4)]! };
  });

  it('answers for most valid listpacks of short, distinct members, and agrees on every one', () => {
    let answered = 0;
    const failed: string[] = [];
    for (let i = 0; i < 2000; i++) {
      // Distinct short members: "m<i>" strings and integers, values anything.
      const n = 2 + pick(40);
      const entries = Array.from({ length: n }, (_, j) => (j % 2 === 0 ? (j % 4 === 0 ? str(`m${j}-${i}`) : int(BigInt(j * 1000 + i))) : entry()));
      if (expectAgrees(listpack(entries), 2, failed) >= 0) answered++;
    }
    expect(failed).toEqual([]);
    // Values over 127 bytes (from entry()) send some to JavaScript; the rest it must answer itself.
    expect(answered).toBeGreaterThan(1000);
  });

  it('agrees with the JavaScript walk on random listpacks of every encoding, at every stride', () => {
    const failed: string[] = [];
    for (const { lp, stride } of generated) expectAgrees(lp, stride, failed);
    expect(failed).toEqual([]);
  });

  it('agrees on 20,000 listpacks with bytes changed at random (a problem is never vouched for)', () => {
    let problems = 0;
    const failed: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const { lp, stride } = generated[pick(generated.length)]!;
      const bad = Uint8Array.from(lp);
      for (let k = 0, flips = 1 + pick(3); k < flips; k++) bad[pick(bad.length)] = pick(2) ? pick(256) : bad[pick(bad.length)]! ^ (1 << pick(8));
      const answer = expectAgrees(bad, stride, failed);
      if ('problem' in judged(bad, stride)) {
        problems++;
        if (!(answer < 0)) failed.push(`stride ${stride}, ${named(bad)}: answered ${answer} for a problem`);
      }
    }
    expect(failed).toEqual([]);
    expect(problems).toBeGreaterThan(3000); // a changed byte inside a string is no problem
  });

  it.each([
    ['a string twice', [str('a'), str('v'), str('a'), str('w')], 2],
    ['an integer and its text (Redis compares members as text)', [int(7n), str('v'), str('7'), str('w')], 2],
    ['a negative 13-bit integer and its text', [int(-100n), str('v'), str('-100'), str('w')], 2],
    ['a 16-bit integer and the same in 32 bits', [int(-2000n), int(-2000n, 32)], 1],
    ['a 24-bit integer and its text', [int(-70_000n), str('-70000')], 1],
    ['the smallest 64-bit integer and its text', [int(-(2n ** 63n)), str('-9223372036854775808')], 1],
    ['the largest 64-bit integer and its text', [int(2n ** 63n - 1n), str('9223372036854775807')], 1],
    ['a 30-byte string twice (several words)', [str('abcdefghijklmnopqrstuvwxyz0123'), str('abcdefghijklmnopqrstuvwxyz0123')], 1],
    ['the empty string twice', [str(''), str('')], 1],
    ['a member twice among 3,000', [...Array.from({ length: 3000 }, (_, j) => str(`k${j}`)), str('k1234')], 1],
  ])('hands a member twice to JavaScript: %s', (_, entries, stride) => {
    const lp = listpack(entries);
    expect(fast(lp, stride)).toBe(-1);
    expect(judged(lp, stride)).toMatchObject({ duplicate: true });
  });

  it('vouches for members that differ only in their last byte, their length or their sign', () => {
    const lp = listpack([
      str('abcdefghijklmnopqrstuvwxyz0123'),
      str('abcdefghijklmnopqrstuvwxyz0124'),
      str('abcdefgh'),
      str('abcdefgh\0'),
      int(5n),
      int(-5n),
      str('5 '),
    ]);
    expect(fast(lp, 1)).toBe(7);
  });

  it('does not count a repeated value (entries between the members) as a member twice', () => {
    expect(fast(listpack([str('a'), str('x'), str('b'), str('x')]), 2)).toBe(4);
    expect(fast(listpack([str('a'), str('x'), str('x'), str('b'), str('y'), str('y')]), 3)).toBe(6);
  });

  it('hands over a header that promises fewer members than there are (the table never fills)', () => {
    const lp = listpack(
      Array.from({ length: 5000 }, (_, j) => str(`m${j}`)),
      4,
    );
    expect(fast(lp, 1)).toBe(-1);
    expect(judged(lp, 1)).toEqual({ problem: 'listpack header counts 4 elements, found 5000' });
  });

  it('does not take a one-byte back length for an entry of more than 127 bytes', () => {
    // 130 bytes with the one byte 130 after it: JavaScript wants two back length bytes there and refuses it.
    const entry = [0xe0, 128, ...new Array(128).fill(0x61)];
    const body = [...entry, 130, ...str('b'), 2];
    const total = 6 + body.length + 1;
    const lp = Uint8Array.from([total, 0, 0, 0, 2, 0, ...body, 0xff]);
    expect(judged(lp, 1)).toHaveProperty('problem');
    expect(fast(lp, 1)).toBe(-1);
  });

  it('leaves what it does not read to JavaScript: 32-bit string lengths, entries over 127 bytes, large blobs', () => {
    expect(fast(listpack([str('a'), [0xf0, 1, 0, 0, 0, 0x62]]), 1)).toBe(-1);
    expect(fast(listpack([str('a'), str('b'.repeat(126))]), 1)).toBe(-1);
    expect(fast(listpack([str('a'), str('b'.repeat(125))]), 1)).toBe(2);
    const big = listpack(Array.from({ length: 7000 }, (_, j) => str(`member-${j}`)));
    expect(big.length).toBeGreaterThan(MEMBER_WALK_MAX_BYTES);
    expect(fast(big, 0)).toBe(-2);
    expect(walk(listpack([str('a'), str('b')]), 1, MEMBER_WALK_MAX_MEMBERS + 1)).toBe(-2);
  });
});

describe('the WebAssembly walk of a hash-table set vouches only for members read alike and none twice', () => {
  const sets = loadWasmSetMembers();
  if (!sets) throw new Error('WebAssembly is unavailable: these tests need it');
  const walkSet = sets;
  /** An RDB string: a 6-, 14- or 32-bit length and the bytes. */
  const rdbString = (text: string): number[] => {
    const b = Buffer.from(text);
    const n = b.length;
    const head = n < 64 ? [n] : n < 16384 ? [0x40 | (n >> 8), n & 0xff] : [0x80, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
    // The bytes copied in a loop, not spread (as listpack-entries.ts str).
    const out = head.concat(new Array<number>(n));
    for (let i = 0; i < n; i++) out[head.length + i] = b[i]!;
    return out;
  };
  /** The members' bytes, then `after`: written into one array (a spread of every member into a list first was most of this describe's CPU). */
  const bytes = (members: number[][], after: number[] = [0xff, 0x00]): Uint8Array => {
    const out = new Uint8Array(members.reduce((n, m) => n + m.length, after.length));
    let at = 0;
    for (const m of [...members, after]) {
      out.set(m, at);
      at += m.length;
    }
    return out;
  };

  it('takes the bytes of every member, and flags a member longer than a listpack takes', () => {
    const members = ['alpha-1', 'beta-22', 'x'.repeat(64), ''].map(rdbString);
    const buf = bytes(members);
    const taken = members.flat().length;
    expect(walkSet(buf, 0, buf.length, 4)).toBe(taken);
    const long = bytes([...members, rdbString('y'.repeat(65))]);
    expect(walkSet(long, 0, long.length, 5)).toBe((taken + 67) | LONG_MEMBER);
  });

  it('walks from an offset, the bytes before and after untouched', () => {
    const buf = Uint8Array.from([9, 9, 9, ...rdbString('a'), ...rdbString('b'), 7]);
    expect(walkSet(buf, 3, buf.length, 2)).toBe(4);
  });

  it.each([
    ['a member twice', [rdbString('a'), rdbString('b'), rdbString('a')]],
    ['a member of 100 bytes twice', [rdbString('q'.repeat(100)), rdbString('q'.repeat(100))]],
    ['an integer-encoded member (it may equal another one as text)', [rdbString('7'), [0xc0, 0x07]]],
    ['an LZF member', [rdbString('a'), [0xc3, 0x02, 0x03, 0x01, 0x61, 0x62]]],
    ['a member with a 32-bit length', [rdbString('a'), rdbString('z'.repeat(16_384))]],
  ])('asks JavaScript for %s', (_, members) => {
    const buf = bytes(members);
    expect(walkSet(buf, 0, buf.length, members.length)).toBe(-1);
  });

  it('asks JavaScript when the members run past the bytes in hand (the next chunk holds the rest)', () => {
    const buf = bytes([rdbString('a'), rdbString('bcdef')], []);
    expect(walkSet(buf, 0, buf.length - 1, 2)).toBe(-1);
    expect(walkSet(buf, 0, buf.length, 2)).toBe(buf.length);
    // The first guess at the bytes a set takes is too short for long members: the walk then takes all in hand.
    const wide = bytes(Array.from({ length: 20 }, (_, j) => rdbString(`${'w'.repeat(60)}${j}`)));
    expect(walkSet(wide, 0, wide.length, 20)).toBe(wide.length - 2);
  });

  it('agrees with an exact reading of 5,000 random sets', () => {
    const random = mulberry32(2);
    let answered = 0;
    const failed: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const n = 2 + Math.floor(random() * 60);
      const texts = Array.from({ length: n }, () => `m${Math.floor(random() * (i % 2 ? 40 : 1e6))}`.repeat(1 + Math.floor(random() * 12)));
      const buf = bytes(texts.map(rdbString));
      const answer = walkSet(buf, 0, buf.length, n);
      const twice = new Set(texts).size < n;
      const long = texts.some((t) => t.length > 64);
      const right = twice ? -1 : (buf.length - 2) | (long ? LONG_MEMBER : 0);
      if (!Object.is(answer, right)) failed.push(`set ${i} (${JSON.stringify(texts)}): answered ${answer}, not ${right}`);
      if (!twice) answered++;
    }
    expect(failed).toEqual([]);
    expect(answered).toBeGreaterThan(2000);
  });
});

describe('the WebAssembly stream node walk vouches only for what the JavaScript walks accept', () => {
  const streamWalk = loadWasmStreamNode();
  if (!streamWalk) throw new Error('WebAssembly is unavailable: these tests need it');
  const random = mulberry32(20);
  const pick = (n: number): number => Math.floor(random() * n);
  const masterId = Buffer.alloc(16, 1); // 0x0101010101010101-0x0101010101010101
  const wasmLast: { ms: number | bigint; seq: number | bigint; some: boolean } = { ms: 0, seq: 0, some: false };
  const values = [
    int(0n),
    int(5n),
    int(-1n),
    int(300n),
    int(40_000n),
    int(-(2n ** 23n)),
    int(2n ** 31n - 1n),
    int(-(2n ** 63n)),
    str(''),
    str('v'),
    str('value:17'),
    str('x'.repeat(60)),
  ];
  const value = (): number[] => (pick(20) === 0 ? str('w'.repeat(100 + pick(100))) : values[pick(values.length)]!);
  const MASTER = 0x0101010101010101n;
  const MAX = 2n ** 64n - 1n;
  /**
   * The next entry's id after `ms`-`seq`: above it (milliseconds up by 0, 1, 7, 1,000, 2^40 or 2^62 within 64 bits, the
   * sequence then any value, or up), as a server writes them.
   */
  function nextId(ms: bigint, seq: bigint): [bigint, bigint] {
    const step = [0n, 0n, 1n, 7n, 1000n, 2n ** 40n, 2n ** 62n][pick(7)]!;
    if (step > 0n && ms + step <= MAX) return [ms + step, [0n, 5n, seq, MASTER, 2n ** 63n + 1n, MAX][pick(6)]!];
    const up = [1n, 3n, 2n ** 40n][pick(3)]!;
    return seq + up <= MAX ? [ms, seq + up] : ms < MAX ? [ms + 1n, 0n] : [ms, seq];
  }
  /** An id as the node stores it: its deltas from the master id, as 64-bit two's complement (Redis's uint64 subtraction). */
  const deltas = (ms: bigint, seq: bigint): number[][] => [int(BigInt.asIntN(64, ms - MASTER)), int(BigInt.asIntN(64, seq - MASTER))];

  /**
   * A stream node's elements as Redis lays them out: master entry, then entries (same fields or their own, some deleted) with
   * rising ids from the master's; now and then a deleted entry out of that order (a Redis before 7.2 leaves one: JavaScript reads
   * it, the WebAssembly walk leaves it to JavaScript).
   */
  function nodeElements(fault: 'first' | 'same' | 'below' | null = null): number[][] {
    const fields = Array.from({ length: pick(4) }, (_, j) => str(`f${j}`));
    const entries: number[][][] = [];
    let live = 0;
    let dead = 0;
    let [ms, seq] = [MASTER, MASTER];
    let before: [bigint, bigint] = [MASTER, MASTER]; // the last live entry's id
    let disordered = false;
    for (let e = 0, n = (fault ? 2 : 1) + pick(30); e < n; e++) {
      // With a fault: the first and last entries live; the last at the live id before it ('same') or below it ('below').
      const deleted = (!fault || (e > 0 && e < n - 1)) && pick(4) === 0;
      if (deleted) dead++;
      else live++;
      const same = pick(3) > 0;
      const flags = (deleted ? 1 : 0) | (same ? 2 : 0);
      if (e > 0) [ms, seq] = nextId(ms, seq);
      let id = deltas(ms, seq);
      if (e > 0 && deleted && pick(20) === 0) {
        id = deltas(MASTER, MASTER - 1n);
        disordered = true;
      }
      if (e === 0 && fault === 'first')
        id = [
          [int(0n), int(1n)],
          [int(-1n), int(0n)],
          [int(2n ** 40n), int(0n)],
        ][pick(3)]!;
      if (e === n - 1 && fault === 'same') id = deltas(...before);
      if (e === n - 1 && fault === 'below') id = before[1] > 0n ? deltas(before[0], before[1] - 1n) : deltas(before[0] - 1n, MAX);
      if (!deleted) before = [ms, seq];
      const body: number[][] = [int(BigInt(flags)), ...id];
      if (same) for (let j = 0; j < fields.length; j++) body.push(value());
      else {
        const own = pick(4);
        body.push(int(BigInt(own)));
        for (let j = 0; j < own; j++) body.push(str(`g${j}`), value());
      }
      body.push(int(BigInt(body.length)));
      entries.push(body);
    }
    const elements = [int(BigInt(live)), int(BigInt(dead)), int(BigInt(fields.length)), ...fields, int(0n), ...entries.flat()];
    if (disordered) deletedOutOfOrder.add(elements);
    return elements;
  }
  /** The nodes {@link nodeElements} gave a deleted entry below the node's id. */
  const deletedOutOfOrder = new WeakSet<number[][]>();

  /** The JavaScript walks' verdict (the judges): the live entries, or the problem. */
  function judgedNode(lp: Uint8Array): number | string {
    try {
      walkListpack(lp);
      return checkStreamNode(lp, masterId);
    } catch (err) {
      return (err as Error).message;
    }
  }
  /**
   * The rule: whenever the WebAssembly walk answers, the JavaScript walks find the node valid with that many live entries; whenever
   * they refuse it, it does not answer. Its answer, and whether they refused.
   */
  function expectNodeAgrees(lp: Uint8Array, failed: string[]): { answer: number; refused: boolean } {
    const answer = streamWalk!(lp, masterId, wasmLast);
    const judged = judgedNode(lp);
    const wrong: string[] = [];
    if (answer >= 0) {
      if (!Object.is(judged, answer)) wrong.push(`the JavaScript walks: ${judged}`);
      // Its entries' ids rise from the node's: as valid where the node is not the stream's first (live entries not below its id).
      const notFirst = checkStreamNode(lp, masterId, false);
      if (!Object.is(notFirst, answer)) wrong.push(`as not the stream's first node: ${notFirst}`);
      // The last live entry's id, handed to the checks across nodes, is the JavaScript walk's.
      if (!Object.is(wasmLast.some, lastLive.some)) wrong.push(`some ${wasmLast.some}, the JavaScript walk's ${lastLive.some}`);
      if (answer > 0 && !(Object.is(wasmLast.ms, lastLive.ms) && Object.is(wasmLast.seq, lastLive.seq)))
        wrong.push(`last live ${wasmLast.ms}-${wasmLast.seq}, the JavaScript walk's ${lastLive.ms}-${lastLive.seq}`);
    }
    if (typeof judged === 'string' && !(answer < 0)) wrong.push(`refused by the JavaScript walks: ${judged}`);
    if (wrong.length > 0) failed.push(`${named(lp)}: answered ${answer}; ${wrong.join('; ')}`);
    return { answer, refused: typeof judged === 'string' };
  }
  const generated = Array.from({ length: 2000 }, nodeElements);
  /** Each generated node's listpack, made once (the random changes below copy one). */
  const generatedLps = new Map(generated.map((elements) => [elements, listpack(elements)]));

  it('answers for most valid nodes (as many live entries as JavaScript counts), and agrees on every one', () => {
    let answered = 0;
    const failed: string[] = [];
    for (const elements of generated) {
      const lp = generatedLps.get(elements)!;
      const { answer, refused } = expectNodeAgrees(lp, failed);
      if (refused) failed.push(`${named(lp)}: refused`);
      if (deletedOutOfOrder.has(elements)) {
        if (!Object.is(answer, -1)) failed.push(`${named(lp)}: a deleted entry out of order, answered ${answer}`);
      } else if (answer >= 0) answered++;
    }
    expect(failed).toEqual([]);
    // Values over 127 bytes send some to JavaScript (about half of these nodes hold one); the rest it must answer itself.
    expect(answered).toBeGreaterThan(800);
  });

  it('never vouches for a node whose counts, flags, element counts or integers are wrong (each changed alone)', () => {
    let refused = 0;
    const failed: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const elements = generated[pick(generated.length)]!.slice();
      const at = pick(elements.length);
      const e = elements[at]!;
      const isInt = e.length === 1 ? e[0]! < 0x80 : e[0]! >= 0xc0 && e[0]! < 0xe0;
      if (isInt) {
        const v = e.length === 1 ? e[0]! : ((((e[0]! & 0x1f) << 8) | e[1]!) << 19) >> 19;
        const changes = [int(BigInt(v + 1)), int(BigInt(v - 1)), int(BigInt(v ^ 1)), int(BigInt(v ^ 2)), str(''), str(String(v)), str(`0${v}`)];
        elements[at] = changes[pick(changes.length)]!;
      } else if (pick(2)) elements.splice(at, 1);
      else elements.splice(at, 0, int(0n));
      if (expectNodeAgrees(listpack(elements), failed).refused) refused++;
    }
    expect(failed).toEqual([]);
    expect(refused).toBeGreaterThan(2000);
  });

  it("never vouches for a node whose entries' ids are out of order (the first not at the node's id, a live one not above the live one before it)", () => {
    const failed: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const fault = (['first', 'same', 'below'] as const)[i % 3];
      const lp = listpack(nodeElements(fault));
      const { refused } = expectNodeAgrees(lp, failed);
      if (!refused) failed.push(`${named(lp)} (${fault}): not refused`);
      const message = judgedNode(lp);
      const says = fault === 'first' ? /entry 1 \(.*\): a node's first entry is at the node's ID/ : /not above the live entry before it/;
      if (typeof message !== 'string' || !says.test(message)) failed.push(`${named(lp)} (${fault}): ${message}`);
    }
    expect(failed).toEqual([]);
  });

  it('agrees on 20,000 nodes with bytes changed at random (a problem is never vouched for)', () => {
    let problems = 0;
    const failed: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const bad = Uint8Array.from(generatedLps.get(generated[pick(generated.length)]!)!);
      for (let k = 0, flips = 1 + pick(3); k < flips; k++) bad[pick(bad.length)] = pick(2) ? pick(256) : bad[pick(bad.length)]! ^ (1 << pick(8));
      if (expectNodeAgrees(bad, failed).refused) problems++;
    }
    expect(failed).toEqual([]);
    expect(problems).toBeGreaterThan(3000);
  });

  it('leaves to JavaScript what Redis reads but it does not: a deleted entry out of order (a Redis before 7.2 writes one)', () => {
    // 7.0: XADD 1-0 2-0 3-0, XDEL 3-0, XSETID 2-5, XADD 2-6 (node 1-0): 1-0, 2-0, 3-0 (deleted), 2-6.
    const key = Buffer.from('00000000000000010000000000000000', 'hex');
    const entry = (flags: number, ms: number, seq: number): number[][] => [int(BigInt(flags)), int(BigInt(ms)), int(BigInt(seq)), str('v'), int(4n)];
    const lp = listpack([int(3n), int(1n), int(1n), str('f'), int(0n), ...entry(2, 0, 0), ...entry(2, 1, 0), ...entry(3, 2, 0), ...entry(2, 1, 6)]);
    expect(streamWalk(lp, key, wasmLast)).toBe(-1);
    expect(checkStreamNode(lp, key)).toBe(3);
    expect(lastLive).toEqual({ ms: 2, seq: 6, some: true });
    // The same node with 3-0 live: refused.
    const live = listpack([int(4n), int(0n), int(1n), str('f'), int(0n), ...entry(2, 0, 0), ...entry(2, 1, 0), ...entry(2, 2, 0), ...entry(2, 1, 6)]);
    expect(streamWalk(live, key, wasmLast)).toBe(-1);
    expect(() => checkStreamNode(live, key)).toThrow(/stream node 1-0, entry 4 \(2-6\): not above the live entry before it \(3-0\)/);
  });

  it('leaves to JavaScript what Redis reads but it does not: a decimal string where an integer belongs', () => {
    const lp = listpack([str('1'), int(0n), int(1n), str('f'), int(0n), int(2n), int(0n), int(0n), str('v'), int(4n)]);
    expect(streamWalk(lp, masterId, wasmLast)).toBe(-1);
    expect(judgedNode(lp)).toBe(1);
    expect(streamWalk(listpack([int(1n), int(0n), int(1n), str('f'), int(0n), int(2n), int(0n), int(0n), str('v'), int(4n)]), masterId, wasmLast)).toBe(1);
  });
});
