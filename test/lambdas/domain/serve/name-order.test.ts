import { describe, expect, it } from 'vitest';
import { nameOrder } from '../../../../lambdas/domain/serve/name-order.js';

/** Keys as the builder holds them: one names buffer, per key where its name lies and its database. */
function columns(keys: readonly (readonly [db: number, name: Buffer])[]) {
  const names = Buffer.concat(keys.map(([, name]) => name));
  const nameAt = new Float64Array(keys.length);
  const nameLen = new Uint32Array(keys.length);
  const db = new Uint32Array(keys.length);
  let at = 0;
  keys.forEach(([d, name], k) => {
    nameAt[k] = at;
    nameLen[k] = name.length;
    db[k] = d;
    at += name.length;
  });
  return { names, nameAt, nameLen, db };
}

/** The order the index had before (and every lookup's binary search assumes): database, then Buffer.compare, twins as added. */
function reference(keys: readonly (readonly [number, Buffer])[]): number[] {
  return keys.map((_, k) => k).sort((a, b) => keys[a]![0] - keys[b]![0] || Buffer.compare(keys[a]![1], keys[b]![1]) || a - b);
}

/** A small seeded generator (the same keys every run). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function keysOf(count: number, seed: number): [number, Buffer][] {
  const r = random(seed);
  const prefixes = ['', 'user:session:', 'user:', 'key:000000', '\u00ff\u00ff', 'a'];
  const keys: [number, Buffer][] = [];
  for (let i = 0; i < count; i++) {
    const roll = r();
    if (roll < 0.05 && keys.length > 0) {
      // A twin of an earlier key (two shards' keys served as one hold some).
      const [d, name] = keys[Math.floor(r() * keys.length)]!;
      keys.push([d, Buffer.from(name)]);
      continue;
    }
    const prefix = Buffer.from(prefixes[Math.floor(r() * prefixes.length)]!, 'latin1');
    // Bytes 0, 0xff and text; lengths 0 to 40, so names end inside others' common prefixes.
    const tail = Buffer.alloc(Math.floor(r() * (roll < 0.5 ? 4 : 40)));
    for (let j = 0; j < tail.length; j++) tail[j] = r() < 0.1 ? 0 : r() < 0.1 ? 0xff : 48 + Math.floor(r() * 10);
    keys.push([[0, 15, 3, 0, 0][Math.floor(r() * 5)]!, Buffer.concat([prefix, tail])]);
  }
  return keys;
}

describe('nameOrder', () => {
  it.each([
    [0, 1],
    [1, 2],
    [31, 3],
    [200, 4],
    [20_000, 5],
    // A database of over 16,384 keys: ordered three bytes at a time first.
    [40_000, 6],
  ])('puts %i keys in the order of database, Buffer.compare and insertion (seed %i)', (count, seed) => {
    const keys = keysOf(count, seed);
    const c = columns(keys);
    expect([...nameOrder(keys.length, c.names, c.nameAt, c.nameLen, c.db)]).toEqual(reference(keys));
  });

  it('keeps twins in the order added and a name before every longer one it begins', () => {
    const keys: [number, Buffer][] = [
      [0, Buffer.from('ab\u0000', 'latin1')],
      [0, Buffer.from('ab')],
      [0, Buffer.from('ab')],
      [0, Buffer.from('')],
      [0, Buffer.from('ab\u00ff', 'latin1')],
      ...Array.from({ length: 40 }, (_, i): [number, Buffer] => [0, Buffer.from(`ab${i % 2 ? '' : '\u0000'}`, 'latin1')]),
      [0, Buffer.from('b')],
    ];
    const c = columns(keys);
    const order = [...nameOrder(keys.length, c.names, c.nameAt, c.nameLen, c.db)];
    expect(order).toEqual(reference(keys));
    expect(order.slice(0, 4)).toEqual([3, 1, 2, 6]);
    expect(order.at(-1)).toBe(keys.length - 1);
    // The keys tell a wrong order apart: by length first is not it.
    const byLength = keys.map((_, k) => k).sort((a, b) => keys[a]![1].length - keys[b]![1].length || Buffer.compare(keys[a]![1], keys[b]![1]) || a - b);
    expect(byLength).not.toEqual(order);
  });

  it('orders a big database by the bytes after its common prefix, ties past them going on byte by byte', () => {
    // 30,000 names in one database sharing `tenant:42:user:`, then 4 to 12 bytes: many alike in the 7 bytes after the prefix.
    const r = random(7);
    const keys: [number, Buffer][] = Array.from({ length: 30_000 }, () => {
      const tail = Buffer.alloc(4 + Math.floor(r() * 9));
      for (let j = 0; j < tail.length; j++) tail[j] = j < 5 ? 48 + Math.floor(r() * 2) : Math.floor(r() * 256);
      return [0, Buffer.concat([Buffer.from('tenant:42:user:'), tail])];
    });
    keys.push([0, Buffer.from('tenant:42:user:')], [0, Buffer.from('tenant:42:user:0000')], [0, Buffer.from('tenant:42:user:0000')]);
    const c = columns(keys);
    expect([...nameOrder(keys.length, c.names, c.nameAt, c.nameLen, c.db)]).toEqual(reference(keys));
  });

  it('leaves a big database given in name order as it is, and orders one whose last two keys are swapped', () => {
    const all = keysOf(40_000, 8).map(([, name]): [number, Buffer] => [0, name]);
    const sorted = reference(all).map((k) => all[k]![1]);
    const inOrder = sorted.map((name): [number, Buffer] => [0, name]);
    const c = columns(inOrder);
    expect([...nameOrder(inOrder.length, c.names, c.nameAt, c.nameLen, c.db)]).toEqual(reference(inOrder));
    // Not in order at the very end: the keys must move (the last key is the greatest, now second to last).
    const swapped = [...inOrder.slice(0, -2), inOrder.at(-1)!, inOrder.at(-2)!];
    expect(Buffer.compare(swapped.at(-2)![1], swapped.at(-1)![1])).toBe(1);
    const s = columns(swapped);
    const order = [...nameOrder(swapped.length, s.names, s.nameAt, s.nameLen, s.db)];
    expect(order).toEqual(reference(swapped));
    expect(order.slice(-2)).toEqual([swapped.length - 1, swapped.length - 2]);
  });
});
