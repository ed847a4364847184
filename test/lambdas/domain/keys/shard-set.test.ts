import { describe, expect, it } from 'vitest';
import { checkShardSet, parseSlotRanges, ShardSetError, SlotOwnership, type ShardFile } from '../../../../lambdas/domain/keys/shard-set.js';

const exportName = 'rdr-orders-20261120-0300';
const shard = (n: number, of?: number, slots?: string, name = exportName): ShardFile => {
  const file = `${name}-${String(n).padStart(4, '0')}.rdb`;
  return { location: `s3://bucket/${file}`, name: file, ...(of ? { tag: { shard: n, shards: of, ...(slots ? { slots } : {}) } } : {}) };
};
const refused = (files: ShardFile[], expected?: number) => {
  try {
    checkShardSet(files, expected);
  } catch (err) {
    expect(err).toBeInstanceOf(ShardSetError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('checkShardSet: the files of one recovery point, whole', () => {
  it('a single file is taken as it is; one tagged 1/1 too', () => {
    expect(checkShardSet([{ location: '/backups/dump.rdb', name: 'dump.rdb' }])).toEqual({
      files: [{ location: '/backups/dump.rdb', name: 'dump.rdb' }],
      shards: 1,
    });
    expect(checkShardSet([shard(1, 1)]).shards).toBe(1);
  });

  it("refuses a lone file named as an export's shard when nothing says it is the only one (no tag: an export in progress or half finished, no tagging permission, a local copy)", () => {
    for (const n of [1, 2]) {
      expect(refused([shard(n)])).toBe(
        `s3://bucket/${exportName}-000${n}.rdb is named as shard ${n} of export ${exportName}, and nothing says how many shards that recovery point has ` +
          '(no redis-dr:shard tag: an export still running or left half-finished, no s3:GetObjectTagging, or a local copy): ' +
          'give every shard, and --shards <n> (redis-dr status shows the count; --shards 1 for a recovery point of one shard)',
      );
    }
    expect(checkShardSet([shard(1)], 1).shards).toBe(1);
    expect(refused([shard(2)], 1)).toBe(
      `s3://bucket/${exportName}-0002.rdb is named as shard 2 of export ${exportName}, not as the one shard of a recovery point of one shard (--shards 1)`,
    );
    expect(checkShardSet([{ location: '/b/rdr-app-20261120-0300.rdb', name: 'rdr-app-20261120-0300.rdb' }], 1).shards).toBe(1);
  });

  it('refuses one shard of several, naming the way to give them all', () => {
    expect(refused([shard(2, 3)])).toBe(
      "s3://bucket/rdr-orders-20261120-0300-0002.rdb is shard 2 of 3 of its recovery point: restoring one shard would leave the others' keys out. " +
        'Give every shard (--from-rdb once per file), or the export as s3://<bucket>/<export name> without the -NNNN.rdb suffix',
    );
  });

  it("orders a complete tagged set by shard and keeps each shard's slots", () => {
    const set = checkShardSet([shard(3, 3, '10923-16383'), shard(1, 3, '0-5460'), shard(2, 3, '5461-10922')]);
    expect(set.files.map((f) => f.tag!.shard)).toEqual([1, 2, 3]);
    expect(set).toMatchObject({ shards: 3, exportName, slots: [[[0, 5460]], [[5461, 10922]], [[10923, 16383]]] });
  });

  it("no slots when one file's tag lacks them", () => {
    expect(checkShardSet([shard(1, 2, '0-8191'), shard(2, 2)]).slots).toBeUndefined();
  });

  it('refuses a missing shard, saying which, and a shard beyond the count', () => {
    expect(refused([shard(1, 3), shard(3, 3)])).toBe(`the recovery point ${exportName} has 3 shards; shard 2 is missing: an incomplete set is refused`);
    expect(refused([shard(1), shard(2)], 4)).toContain('shards 3, 4 are missing');
    expect(refused([shard(1), shard(2), shard(3)], 2)).toContain('shard(s) 3 are beyond it');
  });

  it('refuses untagged files without --shards, and takes them with it', () => {
    expect(refused([shard(1), shard(2)])).toMatch(/^2 files without a shard count \(local files carry no tags\): add --shards <n>/);
    expect(checkShardSet([shard(2), shard(1)], 2).files.map((f) => f.name)).toEqual([`${exportName}-0001.rdb`, `${exportName}-0002.rdb`]);
  });

  it('refuses files of two exports, a shard twice, names that are no shards, a name that disagrees with its tag, and counts that disagree', () => {
    expect(refused([shard(1, 2), shard(2, 2, undefined, 'rdr-orders-20261121-0300')])).toContain('belong to 2 different exports');
    expect(refused([shard(1, 2), { ...shard(1, 2), location: '/tmp/copy.rdb' }])).toBe(
      'shard 1 is given twice (s3://bucket/rdr-orders-20261120-0300-0001.rdb and /tmp/copy.rdb)',
    );
    expect(
      refused([
        { location: 'a.rdb', name: 'a.rdb' },
        { location: 'b.rdb', name: 'b.rdb' },
      ]),
    ).toContain('a.rdb, b.rdb are not');
    expect(refused([{ ...shard(1, 2), tag: { shard: 2, shards: 2 } }, shard(2, 2)])).toContain('is named shard 1 but tagged shard 2');
    expect(refused([shard(1, 2), shard(2, 3)])).toBe("the files' tags disagree on the shard count (2 and 3): they are not one recovery point");
    expect(refused([shard(1, 2), shard(2, 2)], 3)).toBe("--shards 3, but the objects' tags say the recovery point has 2 shards");
  });

  it('refuses tags whose slots leave some to no shard (a shard missing, the count mis-tagged) or give one slot to two (review 46)', () => {
    // A 3-shard point whose third object is gone and whose two left are tagged 0001/0002, 0002/0002: its keys of 10923-16383 were restored around, verify EQUAL.
    expect(refused([shard(1, 2, '0-5460'), shard(2, 2, '5461-10922')])).toBe(
      `the redis-dr:shard tags of the 2 shards of ${exportName} record no shard serving hash slots 10923-16383 (5461 of 16384): a shard is missing or mis-tagged; an incomplete set is refused`,
    );
    expect(refused([shard(1, 2, '1-8191,8193'), shard(2, 2, '8194-16382')])).toContain('hash slots 0, 8192, 16383 (3 of 16384)');
    expect(refused([shard(1, 2, '0-8191'), shard(2, 2, '8000-16383')])).toBe(
      `s3://bucket/${exportName}-0001.rdb and s3://bucket/${exportName}-0002.rdb are both tagged as serving hash slot 8000: their redis-dr:shard tags are not one recovery point's layout`,
    );
    expect(checkShardSet([shard(2, 2, '0-100,8192-16383'), shard(1, 2, '101-8191')]).shards).toBe(2);
  });

  it("refuses an object tagged as another snapshot's, put under this export's name (review 46)", () => {
    const other = { ...shard(2, 3, '5461-10922'), snapshot: 'rdr-orders-20261121-0300' };
    expect(refused([{ ...shard(1, 3, '0-5460'), snapshot: exportName }, other, shard(3, 3, '10923-16383')])).toBe(
      `s3://bucket/${exportName}-0002.rdb is named shard 2 of export ${exportName} but tagged as written from snapshot rdr-orders-20261121-0300: ` +
        'an object of another export put under its name; not restoring from it',
    );
    const r2 = (n: number, slots: string) => ({ ...shard(n, 2, slots, `${exportName}-r2`), snapshot: exportName });
    expect(checkShardSet([r2(1, '0-8191'), r2(2, '8192-16383')]).exportName).toBe(`${exportName}-r2`);
  });

  it('an export started again (-r2) is its own export', () => {
    expect(refused([shard(1, 2), shard(2, 2, undefined, `${exportName}-r2`)])).toContain('belong to 2 different exports');
  });
});

describe('parseSlotRanges', () => {
  it('reads ranges and single slots; refuses what is not', () => {
    expect(parseSlotRanges('0-5460,5462')).toEqual([
      [0, 5460],
      [5462, 5462],
    ]);
    for (const bad of ['', '5-4', '0-16384', 'a', '1,,2']) expect(parseSlotRanges(bad), bad).toBeUndefined();
  });
});

describe('SlotOwnership', () => {
  it("refuses a slot held by two files, and a key outside its shard's recorded slots", () => {
    const set = checkShardSet([shard(1, 2, '0-8191'), shard(2, 2, '8192-16383')]);
    const own = new SlotOwnership(set);
    expect(own.check(0, 5)).toBeUndefined();
    expect(own.check(0, 5)).toBeUndefined();
    expect(own.check(1, 9000)).toBeUndefined();
    expect(own.check(1, 5)).toBe(
      `${set.files[0]!.location} and ${set.files[1]!.location} both hold keys of hash slot 5: they are not the shards of one recovery point`,
    );
    expect(new SlotOwnership(set).check(0, 9000)).toBe(`${set.files[0]!.location} holds a key of hash slot 9000, outside the slots its shard served (0-8191)`);
  });

  it('without recorded slots, only the overlap is checked', () => {
    const own = new SlotOwnership(checkShardSet([shard(1), shard(2)], 2));
    expect(own.check(0, 9000)).toBeUndefined();
    expect(own.check(1, 9000)).toContain('both hold keys of hash slot 9000');
  });
});
