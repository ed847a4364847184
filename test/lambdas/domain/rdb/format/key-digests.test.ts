import { describe, expect, it } from 'vitest';
import { KeyDigestSet, keyDigestFinish, keyDigestOf, keyDigestStart, keyDigestUpdate } from '../../../../../lambdas/domain/rdb/format/key-digests.js';

/** A set holding `names` (in database `db` each, unless given per name). */
function setOf(names: readonly (string | [string, number])[], inMemory?: number): KeyDigestSet {
  const set = new KeyDigestSet(undefined, inMemory);
  const d = new Int32Array(3);
  for (const n of names) {
    const [name, db] = typeof n === 'string' ? [n, 0] : n;
    keyDigestOf(Buffer.from(name), d);
    set.add(d[0]!, d[1]!, d[2]!, db);
  }
  return set;
}

describe('key digests: a key stored twice in one database', () => {
  it.each([
    ['distinct names', ['a', 'b', 'ab', 'ba', ''], undefined],
    ['one name twice', ['user:1', 'user:2', 'user:1'], { db: 0 }],
    ['the same name in two databases', [['k', 0] as [string, number], ['k', 1] as [string, number]], undefined],
    ['the same name twice in database 7', [['k', 7] as [string, number], ['j', 7] as [string, number], ['k', 7] as [string, number]], { db: 7 }],
    ['names that differ in their last byte only', ['session:000000001', 'session:000000002'], undefined],
  ])('%s', (_what, names, expected) => {
    expect(setOf(names).findDuplicate()).toEqual(expected);
  });

  it('100,000 distinct names of one shape: no false duplicate', () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `order:${i}:line`);
    expect(setOf(names).findDuplicate()).toBeUndefined();
    expect(setOf([...names, 'order:99999:line']).findDuplicate()).toEqual({ db: 0 });
  });

  it('a name digested in pieces equals the name digested whole', () => {
    const name = Buffer.from('a-longer-key-name-that-arrives-in-three-pieces');
    const whole = new Int32Array(3);
    keyDigestOf(name, whole);
    const pieces = new Int32Array(3);
    keyDigestStart(pieces);
    keyDigestUpdate(pieces, name, 0, 5);
    keyDigestUpdate(pieces, name, 5, 20);
    keyDigestUpdate(pieces, name, 20, name.length);
    keyDigestFinish(pieces, name.length);
    expect([...pieces]).toEqual([...whole]);
  });

  it('without a spill, past its memory it samples: the probability is said, a sampled duplicate may be missed but never invented', () => {
    const names = Array.from({ length: 50_000 }, (_, i) => `k${i}`);
    const set = setOf(names, 4096);
    expect(set.detectionProbability).toBeLessThan(1);
    expect(set.detectionProbability).toBeGreaterThanOrEqual(1 / 32);
    expect(set.findDuplicate()).toBeUndefined();
    expect(set.size).toBe(50_000);
  });
});
