import { describe, expect, it } from 'vitest';
import { nanScoreEntry } from '../../../../../lambdas/domain/rdb/format/blob-members.js';
import { payloadDigest } from '../../../../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../../../../lambdas/domain/rdb/keys.js';
import { int, listpack as listpackOf, str as lpStr } from '../../../../support/listpack-entries.js';
import { both } from '../../../../support/rdb-bytes.js';
import { ziplist } from '../../../../support/ziplist-bytes.js';
import { LISTPACK_CASES, loadedZset, TYPE3_CASES, type12, type17, type3, ZIPLIST_CASES } from '../../../../support/zset-score-texts.js';

/**
 * Issue 55: a zset score stored as text that is not a plain number, read as
 * Redis 7.0 reads it when it loads the file: RDB type 3 by sscanf("%lg")
 * (`1.5x` is 1.5, `abc` and the empty text refuse the file), listpack
 * entries (ziplists, type 12, as listpacks) by strtod (`abc` is 0). Each case is a byte-built file loaded by a
 * real redis-server 7.0: the verifier's verdict is ok exactly when it loads,
 * and the key's digest from the file is the one read from the server.
 */

/** The digest compare computes for the file's key `z`. */
function fileDigest(bytes: Uint8Array): unknown {
  const reader = new RdbKeyReader();
  const [key] = reader.push(bytes);
  reader.end();
  return payloadDigest(key!.payload, key!.expireAtMs);
}

describe('zset score texts as Redis 7.0 loads them (issue 55)', () => {
  for (const [score, held] of TYPE3_CASES) {
    it(`RDB type 3, score ${JSON.stringify(score)}: ${held === null ? 'refused by 7.0 and corrupt to the verifier' : `7.0 holds ${held}; the verifier says ok and the file's digest is the server's`}`, async () => {
      const bytes = type3(score);
      const loaded = await loadedZset(bytes);
      const report = both(bytes);
      if (held === null) {
        expect(loaded).toBeUndefined();
        expect(report.ok).toBe(false);
        return;
      }
      expect(loaded?.range).toEqual(held === 'inf' || Number(held) > 7 ? ['b', '7', 'a', held] : ['a', held, 'b', '7']);
      expect(report).toMatchObject({ ok: true, keys: 1 });
      expect(fileDigest(bytes)).toEqual(loaded!.digest);
    });
  }

  for (const [score, held] of LISTPACK_CASES) {
    it(`listpack (type 17), score entry ${JSON.stringify(score)}: 7.0 holds ${held}; the verifier says ok and the file's digest is the server's`, async () => {
      const bytes = type17(score);
      const loaded = await loadedZset(bytes);
      // A listpack is held in its stored order (7.0 does not re-sort it at load), so ZRANGE replies in that order.
      expect(loaded?.range).toEqual(['a', held, 'b', '7']);
      expect(both(bytes)).toMatchObject({ ok: true, keys: 1 });
      expect(fileDigest(bytes)).toEqual(loaded!.digest);
    });
  }
  // 7.0 converts a ziplist to a listpack entry by entry at load, the score entries copied as they are (and held in that order).
  for (const [score, held] of ZIPLIST_CASES) {
    it(`ziplist (type 12), score entry ${typeof score === 'bigint' ? `integer ${score}` : JSON.stringify(score)}: 7.0 holds ${held}; the verifier says ok and the file's digest is the server's`, async () => {
      const bytes = type12(score);
      const loaded = await loadedZset(bytes);
      expect(loaded?.range).toEqual(['a', held, 'b', '7']);
      expect(both(bytes)).toMatchObject({ ok: true, keys: 1 });
      expect(fileDigest(bytes)).toEqual(loaded!.digest);
    });
  }
});

describe('a ziplist or listpack score entry that reads as NaN (issue 55)', () => {
  // 7.0 does not check listpack scores at load: a small set keeps its NaN (ZRANGE says nan), and converting one to a
  // skiplist aborts the server (t_zset.c zslInsert: '!isnan(score)'), at load past zset-max-listpack-entries (128) or at
  // any later write that converts it. The verifier refuses both: a file that loads only while the set stays small.
  const BUILT: [string, (score: string, more?: number) => Uint8Array][] = [
    ['ziplist (type 12)', type12],
    ['listpack (type 17)', type17],
  ];
  for (const [name, build] of BUILT) {
    for (const [score, shown] of [
      ['nan', 'nan'],
      ['-NaN', '-nan'],
      [' nanx', 'nan'],
    ]) {
      it(`${name}, score entry ${JSON.stringify(score)}: 7.0 holds ${shown} in a small set, aborts on a set of 130 members; the verifier refuses both`, async () => {
        const small = build(score);
        expect((await loadedZset(small))?.range).toEqual(['a', shown, 'b', '7']);
        const refused = { ok: false, error: { message: expect.stringMatching(/score .* reads as NaN: .*aborts/) } };
        expect(both(small)).toMatchObject(refused);
        const big = build(score, 128);
        expect(await loadedZset(big)).toBeUndefined();
        expect(both(big)).toMatchObject(refused);
      });
    }
  }

  it('the NaN score entry is found past entries of every string length and integer width, and only in a score place', () => {
    // Pairs whose members and scores take every encoding; a member `nan` (a member, not a score) and last the score tested.
    const zl = (last: string) =>
      Uint8Array.from(ziplist(['a', -2n, 'b'.repeat(100), 300n, 5n, 40_000n, 'c'.repeat(20_000), 9_000_000n, -200n, 3_000_000_000n, 'nan', 12n, 'd', last]));
    expect(nanScoreEntry(zl(' NaNx'), false)).toBe(' NaNx');
    expect(nanScoreEntry(zl('1'), false)).toBeUndefined();
    const lp = (last: string) =>
      listpackOf([
        lpStr('a'),
        int(-2n),
        lpStr('b'.repeat(100)),
        int(300n),
        int(5n),
        int(40_000n),
        lpStr('c'.repeat(5_000)),
        int(9_000_000n),
        int(-200n),
        int(3_000_000_000n),
        lpStr('nan'),
        int(1n, 64),
        lpStr('d'),
        lpStr(last),
      ]);
    expect(nanScoreEntry(lp('-nan'), true)).toBe('-nan');
    expect(nanScoreEntry(lp('1'), true)).toBeUndefined();
  });
});
