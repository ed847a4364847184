/**
 * An index held in memory put in (database, name) order, as indexes were
 * before `RDRKEYS3`: what the tests write an `RDRKEYS2` file from (indexes
 * of that layout stand beside locked copies and are still read), and the
 * positions such a file's reader answers with.
 */
import { type IndexedCopy, NAME_ORDER_MAGIC } from '../../lambdas/domain/serve/index-file.js';
import { encodeKeyIndex } from '../../lambdas/domain/serve/index-write.js';
import { ColumnKeyIndex } from '../../lambdas/domain/serve/key-index.js';

/** `index`'s keys in (database, name bytes) order, twins in the order they were added. */
export function nameOrdered(index: ColumnKeyIndex): ColumnKeyIndex {
  const c = index.columns();
  const { names, runs } = c;
  const nameAt = index.nameStarts();
  // Each key's database, from the runs (the rows do not hold it).
  const dbs: number[] = [];
  for (const [d, keys] of runs) for (let i = 0; i < keys; i++) dbs.push(d);
  const db = (k: number): number => dbs[k]!;
  // `names.compare(names, …a, …b)` compares b's bytes (the source) to a's (the target): b − a, so a − b is its negation.
  const byName = (a: number, b: number): number => -names.compare(names, nameAt[a]!, nameAt[a + 1]!, nameAt[b]!, nameAt[b + 1]!);
  const keys = c.order ? [...c.order] : Array.from({ length: index.keys }, (_, k) => k);
  const order = Uint32Array.from(keys.sort((a, b) => db(a) - db(b) || byName(a, b) || a - b));
  return new ColumnKeyIndex(index.rdbVersion, { ...c, order });
}

/** The `RDRKEYS2` file of `index` (its keys put in name order first). */
export function nameOrderFile(index: ColumnKeyIndex, copy: IndexedCopy, valkey = false): Buffer {
  return encodeKeyIndex(nameOrdered(index), copy, valkey, NAME_ORDER_MAGIC);
}
