/**
 * One member of a big hash, set or sorted set looked up without walking the value (member-lookup.ts): each held
 * value's lookup map and order are made at the first call and kept with it, so the calls after the first read none of
 * its members. Before, HGET, HEXISTS, HSTRLEN, SISMEMBER and ZSCORE walked the value at each call, HMGET, SMISMEMBER
 * and ZMSCORE made a map of all of it, ZRANK walked the set's order, ZRANGEBYSCORE and ZCOUNT filtered the whole set,
 * and each HSCAN page or SRANDMEMBER listed the whole value: a client reading member by member was quadratic. The
 * replies are held against a redis-server 7.0 in test/lambdas/jobs/serve/member-lookup-parity.test.ts; here the members
 * read are counted: the value's own arrays (countedReads), and any walk of an array as big as the value (its order).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Reply } from '../../../../lambdas/domain/serve/resp.js';
import { countedReads, heldPoint } from '../../../support/held-point.js';

const N = 20_000;

/** Items walked by the array methods a linear lookup uses, over arrays of N items or more (a big value or its order). */
let walked = 0;
// Not slice: a slice of a few items of the set's order is no walk.
const WALKS = ['filter', 'find', 'findIndex', 'some', 'every', 'map', 'reverse', 'forEach'] as const;
beforeEach(() => {
  walked = 0;
  for (const name of WALKS) {
    const original = Array.prototype[name] as (...a: unknown[]) => unknown;
    vi.spyOn(Array.prototype, name).mockImplementation(function (this: unknown[], ...args: unknown[]) {
      if (this.length >= N) walked += this.length;
      return original.apply(this, args);
    } as never);
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** What was read since the last look: the value's items, and the items of big arrays walked. */
function reads(counted: { reads(): number }): { items: number; walked: number } {
  const out = { items: counted.reads(), walked };
  walked = 0;
  return out;
}

const text = (r: Reply): unknown =>
  r.t === 'bulk' ? r.b.toString() : r.t === 'array' || r.t === 'set' ? r.items.map(text) : r.t === 'int' ? String(r.n) : r.t === 'double' ? r.s : r.t;

function hashPoint() {
  const fields = Array.from({ length: N }, (_, i) => [Buffer.from(`f${i}`), Buffer.from(`value-${i}`)] as const);
  const counted = countedReads(fields);
  const call = heldPoint([{ name: 'h', type: 4, value: { type: 'hash', fields: counted.items } }]);
  return { call: (...args: string[]) => call(2, ...args), counted };
}

function setPoint() {
  const members = Array.from({ length: N }, (_, i) => Buffer.from(`m${i}`));
  const counted = countedReads(members);
  const call = heldPoint([
    { name: 's', type: 2, value: { type: 'set', members: counted.items } },
    { name: 'small', type: 2, value: { type: 'set', members: [Buffer.from('m7'), Buffer.from('m9'), Buffer.from('nope')] } },
  ]);
  return { call: (...args: string[]) => call(2, ...args), counted };
}

function zsetPoint() {
  // Scores descending with the index (so the set's order is not the stored one), two members on each score.
  const entries = Array.from({ length: N }, (_, i) => [Buffer.from(`m${i}`), String(N - Math.floor(i / 2))] as const);
  const counted = countedReads(entries);
  const call = heldPoint([{ name: 'z', type: 5, value: { type: 'zset', entries: counted.items } }]);
  return { call: (...args: string[]) => call(2, ...args), counted };
}

describe('a big hash read field by field', () => {
  it('HGET, HMGET, HEXISTS, HSTRLEN: the hash read once, at the first call (it was walked at each)', async () => {
    const p = hashPoint();
    expect(text(await p.call('HGET', 'h', 'f1'))).toBe('value-1');
    // Every field for the map, and the one answered.
    expect(reads(p.counted).items).toBe(N + 1);
    for (let i = 2; i < 40; i++) {
      expect(text(await p.call('HGET', 'h', `f${i * 500}`))).toBe(`value-${i * 500}`);
      expect(text(await p.call('HMGET', 'h', `f${i}`, 'nope', 'f1'))).toEqual([`value-${i}`, 'null', 'value-1']);
      expect(text(await p.call('HEXISTS', 'h', `f${i}`))).toBe('1');
      expect(text(await p.call('HSTRLEN', 'h', `f${i}`))).toBe(String(`value-${i}`.length));
    }
    // Negative: a field not there is not found (the lookup is not vacuous).
    expect(text(await p.call('HGET', 'h', 'nope'))).toBe('null');
    expect(text(await p.call('HEXISTS', 'h', 'f20000'))).toBe('0');
    expect(text(await p.call('HSTRLEN', 'h', 'nope'))).toBe('0');
    // The fields answered alone: 38 calls of 5 fields found (HGET, HMGET's two, HEXISTS, HSTRLEN).
    expect(reads(p.counted)).toEqual({ items: 38 * 5, walked: 0 });
  });

  it('HSCAN pages: each reads its own fields, not the whole hash (paging a big hash was quadratic)', async () => {
    const p = hashPoint();
    let cursor = '0';
    const seen = new Set<string>();
    for (let page = 0; page < 50; page++) {
      const r = await p.call('HSCAN', 'h', cursor, 'COUNT', '10');
      const [next, items] = text(r) as [string, string[]];
      for (let i = 0; i < items.length; i += 2) seen.add(items[i]!);
      cursor = next;
      const { items: read } = reads(p.counted);
      expect(read).toBeGreaterThan(0);
      expect(read).toBeLessThanOrEqual(2 * 10);
    }
    expect(seen.size).toBe(500);
  });

  it('HRANDFIELD: the picks read, not the whole hash', async () => {
    const p = hashPoint();
    const r = text(await p.call('HRANDFIELD', 'h', '3', 'WITHVALUES')) as string[];
    expect(r).toHaveLength(6);
    expect(r[1]).toBe(`value-${r[0]!.slice(1)}`);
    expect(reads(p.counted).items).toBe(3);
    expect(text(await p.call('HRANDFIELD', 'h'))).toMatch(/^f\d+$/);
    expect(reads(p.counted).items).toBe(1);
  });
});

describe('a big set read member by member', () => {
  it('SISMEMBER, SMISMEMBER, SINTERCARD with a small set: the set read once, at the first call', async () => {
    const p = setPoint();
    expect(text(await p.call('SISMEMBER', 's', 'm1'))).toBe('1');
    expect(reads(p.counted).items).toBe(N);
    for (let i = 2; i < 40; i++) {
      expect(text(await p.call('SISMEMBER', 's', `m${i * 500}`))).toBe('1');
      expect(text(await p.call('SMISMEMBER', 's', `m${i}`, 'nope'))).toEqual(['1', '0']);
      expect(text(await p.call('SINTERCARD', '2', 's', 'small'))).toBe('2');
    }
    expect(text(await p.call('SISMEMBER', 's', 'm20000'))).toBe('0');
    expect(text(await p.call('SINTER', 'small', 's'))).toEqual(expect.arrayContaining(['m7', 'm9']));
    expect(reads(p.counted)).toEqual({ items: 0, walked: 0 });
  });

  it('SRANDMEMBER: the picks read, not the whole set', async () => {
    const p = setPoint();
    const r = text(await p.call('SRANDMEMBER', 's', '5')) as string[];
    expect(new Set(r).size).toBe(5);
    expect(reads(p.counted).items).toBe(5);
    expect(text(await p.call('SRANDMEMBER', 's'))).toMatch(/^m\d+$/);
    expect(reads(p.counted).items).toBe(1);
  });
});

describe('a big sorted set read member by member', () => {
  it('ZSCORE, ZMSCORE, ZRANK, ZREVRANK: the set read and sorted once, at the first call', async () => {
    const p = zsetPoint();
    expect(text(await p.call('ZSCORE', 'z', 'm1'))).toBe(String(N));
    expect(reads(p.counted).items).toBe(N);
    for (let i = 2; i < 40; i++) {
      expect(text(await p.call('ZSCORE', 'z', `m${i * 500}`))).toBe(String(N - i * 250));
      expect(text(await p.call('ZMSCORE', 'z', `m${i}`, 'nope'))).toEqual([String(N - Math.floor(i / 2)), 'null']);
      // m19999 and m19998 score lowest: ranks 0 and 1 (member bytes order them); m0 and m1 highest.
      expect(text(await p.call('ZRANK', 'z', 'm19998'))).toBe('0');
      expect(text(await p.call('ZREVRANK', 'z', 'm1'))).toBe('0');
      expect(text(await p.call('ZRANK', 'z', `m${2 * i}`))).toBe(String(N - 2 - 2 * i));
    }
    expect(text(await p.call('ZRANK', 'z', 'nope'))).toBe('null');
    expect(text(await p.call('ZSCORE', 'z', 'nope'))).toBe('null');
    expect(reads(p.counted)).toEqual({ items: 0, walked: 0 });
  });

  it('a held set whose order does not fit in the cache: sorted once still (as before the memos), its members walked', async () => {
    const entries = Array.from({ length: N }, (_, i) => [Buffer.from(`m${i}`), String(i % 100)] as const);
    const counted = countedReads(entries);
    // A cache of 1 MiB: the set (50 bytes here) is held, its order (N × 88 bytes) is not counted in it.
    const call = heldPoint([{ name: 'z', type: 5, value: { type: 'zset', entries: counted.items } }], 1024 * 1024);
    expect(text(await call(2, 'ZRANGE', 'z', '0', '1'))).toEqual(['m0', 'm100']);
    expect(counted.reads()).toBe(N);
    expect(text(await call(2, 'ZRANGE', 'z', '-1', '-1'))).toEqual(['m9999']);
    expect(counted.reads()).toBe(0);
    // ZSCORE has no memo then: the set walked, as before.
    expect(text(await call(2, 'ZSCORE', 'z', 'm5'))).toBe('5');
    expect(counted.reads()).toBe(6);
  });

  it('ZRANGEBYSCORE, ZREVRANGEBYSCORE … LIMIT, ZCOUNT: found from the bounds (a binary search), the set not walked', async () => {
    const p = zsetPoint();
    expect(text(await p.call('ZCOUNT', 'z', '10100', '(10110'))).toBe('20');
    reads(p.counted);
    for (let i = 0; i < 20; i++) {
      expect(text(await p.call('ZCOUNT', 'z', `${11000 + i}`, `${11004 + i}`))).toBe('10');
      expect(text(await p.call('ZRANGEBYSCORE', 'z', `(${N - 1}`, '+inf'))).toEqual(['m0', 'm1']);
      expect(text(await p.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '1', '2'))).toEqual(['m19999', 'm19996']);
      expect(text(await p.call('ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '1', '2', 'WITHSCORES'))).toEqual(['m0', String(N), 'm3', String(N - 1)]);
      expect(text(await p.call('ZRANGE', 'z', `${N}`, `(${N - 2}`, 'BYSCORE', 'REV'))).toEqual(['m1', 'm0', 'm3', 'm2']);
    }
    // Negative: bounds that hold nothing, or cross.
    expect(text(await p.call('ZCOUNT', 'z', '5', '4'))).toBe('0');
    expect(text(await p.call('ZRANGEBYSCORE', 'z', `(${N}`, '+inf'))).toEqual([]);
    expect(reads(p.counted)).toEqual({ items: 0, walked: 0 });
  });

  it('ZRANGEBYLEX, ZREVRANGEBYLEX, ZLEXCOUNT on a set of one score: the bounds found by binary search, not a walk from the first member', async () => {
    const entries = Array.from({ length: N }, (_, i) => [Buffer.from(`w${String(i).padStart(5, '0')}`), '0'] as const);
    const call = heldPoint([{ name: 'zl', type: 5, value: { type: 'zset', entries } }]);
    const lex = async (...args: string[]) => text(await call(2, ...args));
    expect(await lex('ZLEXCOUNT', 'zl', '-', '+')).toBe(String(N));
    const compare = vi.spyOn(Buffer, 'compare');
    for (let i = 0; i < 20; i++) {
      const from = 10_000 + i * 100;
      expect(await lex('ZRANGEBYLEX', 'zl', `[w${from}`, `(w${from + 3}`)).toEqual([0, 1, 2].map((k) => `w${from + k}`));
      expect(await lex('ZREVRANGEBYLEX', 'zl', `[w${from + 2}`, `(w${from}`)).toEqual([`w${from + 2}`, `w${from + 1}`]);
      expect(await lex('ZLEXCOUNT', 'zl', `(w${from}`, '+')).toBe(String(N - from - 1));
    }
    // Negative: a range that holds nothing.
    expect(await lex('ZRANGEBYLEX', 'zl', '(w19999', '+')).toEqual([]);
    // A few dozen comparisons a call (each bound's binary search, the members answered): the walks made 10,000 or more.
    expect(compare.mock.calls.length).toBeLessThan(61 * 100);
  });
});
