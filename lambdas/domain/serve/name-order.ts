/**
 * The order of an index's keys: by database, then by name as Redis and
 * `Buffer.compare` compare names (byte by byte, unsigned; a name before
 * every longer one it begins), twins in the order they were added. The
 * index file's blocks and every lookup (a binary search by
 * `Buffer.compare`) rely on exactly this order.
 *
 * A most-significant-byte radix sort over the key numbers, reading the
 * names' bytes where they lie in the one names buffer: no object a key, and
 * a common prefix (`user:session:…`) costs a pass over its bytes, not a
 * comparison of it per pair of keys as a comparison sort of the key
 * numbers does (about 40 million `Buffer.compare` calls for 2 million keys,
 * the index's largest cost before). Hand-written: the sort libraries on npm
 * sort arrays of values (strings, Buffers: an object a key), not key
 * numbers by bytes they point at.
 */

/** Groups of fewer keys than this are put in order by insertion (stable, comparing from the group's common prefix on). */
const SMALL = 32;

/** Key numbers 0 … n−1 in (database, name bytes) order, stable; the names are `names[nameAt[k], nameAt[k] + nameLen[k])`. */
export function nameOrder(n: number, names: Uint8Array, nameAt: Float64Array, nameLen: Uint32Array, db: Uint32Array): Uint32Array {
  const order = new Uint32Array(n);
  // By database first: a counting sort (stable), databases ascending.
  const perDb = new Map<number, number>();
  for (let k = 0; k < n; k++) perDb.set(db[k]!, (perDb.get(db[k]!) ?? 0) + 1);
  const dbs = [...perDb.keys()].sort((a, b) => a - b);
  const next = new Map<number, number>();
  const ranges: [number, number][] = [];
  let at = 0;
  for (const d of dbs) {
    next.set(d, at);
    ranges.push([at, at + perDb.get(d)!]);
    at += perDb.get(d)!;
  }
  if (dbs.length === 1) for (let k = 0; k < n; k++) order[k] = k;
  else
    for (let k = 0; k < n; k++) {
      const p = next.get(db[k]!)!;
      order[p] = k;
      next.set(db[k]!, p + 1);
    }
  const tmp = new Uint32Array(n);
  // Bucket 0: names that end before the byte at this depth; bucket b + 1: names whose byte there is b.
  const count = new Uint32Array(257);
  const start = new Uint32Array(257);
  // Groups still to order, as [from, to, depth]: every name in a group shares its first `depth` bytes.
  const stack: number[] = [];
  for (const [from, to] of ranges) if (to - from > 1) stack.push(from, to, 0);
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const to = stack.pop()!;
    const from = stack.pop()!;
    if (to - from < SMALL) {
      insertion(order, from, to, depth, names, nameAt, nameLen);
      continue;
    }
    // Only the buckets between the least and greatest byte seen are visited (names are mostly text: a few dozen).
    let lo = 256;
    let hi = 0;
    for (let i = from; i < to; i++) {
      const k = order[i]!;
      const b = nameLen[k]! > depth ? names[nameAt[k]! + depth]! + 1 : 0;
      count[b]!++;
      if (b < lo) lo = b;
      if (b > hi) hi = b;
    }
    if (lo === hi) {
      count[lo] = 0;
      // One bucket: nothing moves. All ended: twins, kept in the order added; else the next byte decides.
      if (lo > 0) stack.push(from, to, depth + 1);
      continue;
    }
    let s = from;
    for (let b = lo; b <= hi; b++) {
      start[b] = s;
      s += count[b]!;
    }
    for (let i = from; i < to; i++) {
      const k = order[i]!;
      tmp[start[nameLen[k]! > depth ? names[nameAt[k]! + depth]! + 1 : 0]!++] = k;
    }
    order.set(tmp.subarray(from, to), from);
    // start[b] is now bucket b's end; bucket 0 (names ended: twins) stays in the order added.
    for (let b = lo; b <= hi; b++) {
      const end = start[b]!;
      const begin = end - count[b]!;
      if (b > 0 && end - begin > 1) stack.push(begin, end, depth + 1);
      count[b] = 0;
    }
  }
  return order;
}

/** Orders `order[from, to)` by name from byte `depth` on (the bytes before are the same), stable. */
function insertion(order: Uint32Array, from: number, to: number, depth: number, names: Uint8Array, nameAt: Float64Array, nameLen: Uint32Array): void {
  for (let i = from + 1; i < to; i++) {
    const k = order[i]!;
    let j = i;
    while (j > from && after(order[j - 1]!, k, depth, names, nameAt, nameLen)) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = k;
  }
}

/** Whether name `a` sorts strictly after name `b` (their first `depth` bytes the same). */
function after(a: number, b: number, depth: number, names: Uint8Array, nameAt: Float64Array, nameLen: Uint32Array): boolean {
  const la = nameLen[a]!;
  const lb = nameLen[b]!;
  const pa = nameAt[a]!;
  const pb = nameAt[b]!;
  const m = la < lb ? la : lb;
  for (let i = depth; i < m; i++) {
    const x = names[pa + i]!;
    const y = names[pb + i]!;
    if (x !== y) return x > y;
  }
  return la > lb;
}
