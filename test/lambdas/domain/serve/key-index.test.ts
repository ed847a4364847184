import { describe, expect, it } from 'vitest';
import { KeyIndexBuilder, typeNameOf } from '../../../../lambdas/domain/serve/key-index.js';

describe('KeyIndex', () => {
  const build = () => {
    const b = new KeyIndexBuilder();
    // File order: databases as written, names in the writer's table order.
    const keys: [number, string, number, number | null][] = [
      [0, 'zeta', 0, null],
      [0, 'alpha', 14, 1_000],
      [0, 'mid', 4, null],
      [3, 'only', 15, 2_000],
    ];
    let at = 100;
    for (const [db, name, type, expireAtMs] of keys) {
      b.add({ db, name: Buffer.from(name), type, valueAt: at, valueEnd: at + 10, expireAtMs });
      at += 50;
    }
    return b.finish(10);
  };

  it('finds every key by database and name, positions in file order (no sort by name)', () => {
    const index = build();
    expect(index.databases()).toEqual([0, 3]);
    expect([0, 1, 2].map((p) => index.nameAt(0, p).toString())).toEqual(['zeta', 'alpha', 'mid']);
    expect(index.entry(0, index.find(0, Buffer.from('zeta')))).toMatchObject({ type: 0, valueAt: 100, valueEnd: 110, expireAtMs: null });
    expect(index.entry(3, index.find(3, Buffer.from('only')))).toMatchObject({ type: 15, expireAtMs: 2_000 });
    expect(index.expiries(0, 400)).toEqual({ expired: 0, live: 1, ttlSumMs: 600 });
    // At its very millisecond a key is still held (Redis: gone once `now > when`); a millisecond later it is not.
    expect(index.expiries(0, 1_000)).toEqual({ expired: 0, live: 1, ttlSumMs: 0 });
    expect(index.expiries(0, 1_001)).toEqual({ expired: 1, live: 0, ttlSumMs: 0 });
  });

  it('does not find a key of another database or a name it lacks', () => {
    const index = build();
    expect(index.find(3, Buffer.from('alpha'))).toBe(-1);
    expect(index.find(0, Buffer.from('alphabet'))).toBe(-1);
    expect(index.find(7, Buffer.from('alpha'))).toBe(-1);
    expect(() => index.nameAt(0, 3)).toThrow(/no key at position 3/);
  });

  it('holds many keys across growth of its arrays', () => {
    const b = new KeyIndexBuilder();
    for (let i = 0; i < 5000; i++) b.add({ db: i % 2, name: Buffer.from(`key:${i}`), type: 0, valueAt: i, valueEnd: i + 1, expireAtMs: null });
    const index = b.finish(10);
    expect(index.keys).toBe(5000);
    expect(index.entry(1, index.find(1, Buffer.from('key:4999'))).valueAt).toBe(4999);
  });

  it('groups keys by database, ascending, file order within each, when a database comes back later (a stitched index)', () => {
    const b = new KeyIndexBuilder();
    for (const [db, name] of [
      [2, 'b'],
      [0, 'z'],
      [2, 'a'],
      [0, 'y'],
    ] as const)
      b.add({ db, name: Buffer.from(name), type: 0, valueAt: 0, valueEnd: 1, expireAtMs: null });
    const index = b.finish(10);
    expect(index.databases()).toEqual([0, 2]);
    expect([0, 1].map((p) => index.nameAt(0, p).toString())).toEqual(['z', 'y']);
    expect([0, 1].map((p) => index.nameAt(2, p).toString())).toEqual(['b', 'a']);
    expect(index.find(2, Buffer.from('a'))).toBe(1);
    expect(index.find(0, Buffer.from('a'))).toBe(-1);
    expect(index.firstDuplicate()).toBeUndefined();
  });

  it('finds a name held twice in one database (two clusters served as one), not one in two databases', () => {
    const b = new KeyIndexBuilder();
    for (const [db, name] of [
      [0, 'k'],
      [1, 'k'],
      [0, 'j'],
      [0, 'k'],
    ] as const)
      b.add({ db, name: Buffer.from(name), type: 0, valueAt: 0, valueEnd: 1, expireAtMs: null });
    expect(b.finish(10).firstDuplicate()?.toString()).toBe('k');
    const c = new KeyIndexBuilder();
    for (const db of [0, 1]) c.add({ db, name: Buffer.from('k'), type: 0, valueAt: 0, valueEnd: 1, expireAtMs: null });
    expect(c.finish(10).firstDuplicate()).toBeUndefined();
  });

  it('names types as TYPE does', () => {
    expect([0, 14, 11, 5, 16, 21, 99].map(typeNameOf)).toEqual(['string', 'list', 'set', 'zset', 'hash', 'stream', 'none']);
  });
});
