import { describe, expect, it } from 'vitest';
import { DatabasePlanError, parseDatabasePair, planDatabases } from '../../../../lambdas/domain/keys/databases.js';

describe('planDatabases: every database, the one a URL names, or --db mappings', () => {
  const keysByDb = { 0: 310_095, 1: 100, 3: 0, 5: 2 };
  it('no database in either URL: every database holding keys, each into its own number', () => {
    expect(planDatabases({ keysByDb })).toEqual({
      pairs: [
        { from: 0, to: 0 },
        { from: 1, to: 1 },
        { from: 5, to: 5 },
      ],
      leftOut: [],
    });
  });
  it('an empty source: database 0 (the run says it found nothing)', () => {
    expect(planDatabases({ keysByDb: {} }).pairs).toEqual([{ from: 0, to: 0 }]);
  });
  it('the source URL names one: that one (into the target URL’s, else its own number), the others holding keys left out', () => {
    expect(planDatabases({ sourceDb: 0, keysByDb })).toEqual({
      pairs: [{ from: 0, to: 0 }],
      leftOut: [
        { db: 1, keys: 100 },
        { db: 5, keys: 2 },
      ],
    });
    expect(planDatabases({ sourceDb: 1, targetDb: 2, keysByDb }).pairs).toEqual([{ from: 1, to: 2 }]);
  });
  it('only the target URL names one: the source’s one database goes there; several are refused', () => {
    expect(planDatabases({ targetDb: 4, keysByDb: { 2: 7 } }).pairs).toEqual([{ from: 2, to: 4 }]);
    expect(() => planDatabases({ targetDb: 4, keysByDb })).toThrow(
      /--to names database 4, but the source holds keys in databases 0 \(310095 keys\), 1 \(100 keys\), 5 \(2 keys\)/,
    );
    // compare: no --db and nothing copied; its counts are both sides'.
    let said = '';
    try {
      planDatabases({ targetDb: 0, keysByDb, names: { source: '--a', target: '--b' } });
    } catch (err) {
      said = (err as Error).message;
    }
    expect(said).toMatch(
      /^--b names database 0, but --a names none and the two sides hold keys in databases 0 .*: name the database in both URLs \(\/0 in --a too\)/,
    );
    expect(said).not.toMatch(/--db|copy/);
  });
  it('--db mappings: exactly those, nothing left out; a database in a URL too, or a source twice, is refused', () => {
    const mappings = [
      { from: 1, to: 3 },
      { from: 0, to: 0 },
    ];
    expect(planDatabases({ mappings, keysByDb })).toEqual({ pairs: mappings, leftOut: [] });
    expect(() => planDatabases({ mappings, sourceDb: 1, keysByDb })).toThrow(DatabasePlanError);
    expect(() => planDatabases({ mappings: [...mappings, { from: 1, to: 2 }], keysByDb })).toThrow(/--db 1:… is given twice/);
    // Two sources into one target: refused, naming both mappings.
    expect(() => planDatabases({ mappings: [...mappings, { from: 2, to: 3 }], keysByDb })).toThrow(
      /--db 1:3 and --db 2:3 write two source databases into target database 3/,
    );
  });
  it.each([
    ['1:3', { from: 1, to: 3 }],
    ['2', { from: 2, to: 2 }],
    [' 0 : 15 ', { from: 0, to: 15 }],
    ['a:b', undefined],
    ['1:', undefined],
    ['-1', undefined],
  ])('parses --db %j', (text, pair) => {
    expect(parseDatabasePair(text)).toEqual(pair);
  });
});
