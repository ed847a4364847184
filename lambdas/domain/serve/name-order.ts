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
/** Groups of this many keys or more are put in order three bytes at a time ({@link threeBytes}). */
const WIDE = 1 << 14;

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
  // Each key's bucket at the depth its group is at (0 to 256), or its next three bytes' (threeBytes).
  const digit = new Uint32Array(n);
  const spare = n >= WIDE ? new Uint32Array(n) : digit;
  // Bucket 0: names that end before the byte at this depth; bucket b + 1: names whose byte there is b.
  const count = new Uint32Array(257);
  const start = new Uint32Array(257);
  // Groups still to order, as [from, to, depth]: every name in a group shares its first `depth` bytes.
  const stack: number[] = [];
  for (const [from, to] of ranges) {
    if (to - from >= WIDE) prefixes(order, tmp, from, to, names, nameAt, nameLen, stack);
    else if (to - from > 1) stack.push(from, to, 0);
  }
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const to = stack.pop()!;
    const from = stack.pop()!;
    if (to - from < SMALL) {
      insertion(order, from, to, depth, names, nameAt, nameLen);
      continue;
    }
    if (to - from >= WIDE) {
      threeBytes(order, tmp, digit, spare, from, to, depth, names, nameAt, nameLen, stack);
      continue;
    }
    // Only the buckets between the least and greatest byte seen are visited (names are mostly text: a few dozen).
    let lo = 256;
    let hi = 0;
    for (let i = from; i < to; i++) {
      const k = order[i]!;
      const b = nameLen[k]! > depth ? names[nameAt[k]! + depth]! + 1 : 0;
      // Kept for the distribution below (the names are read in the group's order, far apart: once a byte, not twice).
      digit[i] = b;
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
    for (let i = from; i < to; i++) tmp[start[digit[i]!]!++] = order[i]!;
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

/** Bytes of each name (after the database's common prefix) {@link prefixes} orders by at once. */
const WINDOW = 7;
/** The radix passes of {@link prefixes}, least significant first: [which word (0 the low one), shift, bits]. */
const DIGITS = [
  [0, 0, 11],
  [0, 11, 11],
  [0, 22, 6],
  [1, 0, 11],
  [1, 11, 11],
  [1, 22, 10],
] as const;

/**
 * Orders a database's keys (`order[from, to)`, a big one) by the
 * {@link WINDOW} bytes after the prefix all its names share, a name that
 * ends among them before every longer one: one 60-bit number a key (the
 * bytes, 0 past the name's end, then how many of them the name has, 8:
 * more), read from the names in the order they lie (file order: the reads
 * go along the names buffer, not across it, as a byte-at-a-time pass over
 * keys in a file's hash-table order does), then a least significant digit
 * radix sort of the numbers (stable: twins stay in the order added), a pass
 * skipped where every key has the same digit. Runs still tied whose names
 * go on are pushed as groups for the byte-at-a-time order.
 */
function prefixes(
  order: Uint32Array,
  tmp: Uint32Array,
  from: number,
  to: number,
  names: Uint8Array,
  nameAt: Float64Array,
  nameLen: Uint32Array,
  stack: number[],
): void {
  // The prefix every name of the database shares.
  const k0 = order[from]!;
  const p0 = nameAt[k0]!;
  let common = nameLen[k0]!;
  for (let i = from + 1; i < to && common > 0; i++) {
    const k = order[i]!;
    const p = nameAt[k]!;
    const m = nameLen[k]! < common ? nameLen[k]! : common;
    let j = 0;
    while (j < m && names[p + j] === names[p0 + j]) j++;
    common = j;
  }
  const n = to - from;
  let words = [new Uint32Array(n), new Uint32Array(n)];
  let spare = [new Uint32Array(n), new Uint32Array(n)];
  const counts = DIGITS.map(([, , bits]) => new Uint32Array(1 << bits));
  const [c0, c1, c2, c3, c4, c5] = counts as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  // Whether the keys come in order already (a file written in name order): then no pass moves them.
  let ascending = true;
  let lastHi = 0;
  let lastLo = 0;
  for (let i = 0; i < n; i++) {
    const k = order[from + i]!;
    const rest = nameLen[k]! - common;
    const p = nameAt[k]! + common;
    let hi = 0;
    let lo = 0;
    if (rest > WINDOW) {
      hi = (names[p]! << 24) | (names[p + 1]! << 16) | (names[p + 2]! << 8) | names[p + 3]!;
      lo = (names[p + 4]! << 20) | (names[p + 5]! << 12) | (names[p + 6]! << 4) | (WINDOW + 1);
    } else {
      for (let j = 0; j < rest; j++) {
        if (j < 4) hi |= names[p + j]! << (24 - 8 * j);
        else lo |= names[p + j]! << (20 - 8 * (j - 4));
      }
      lo |= rest;
    }
    hi >>>= 0;
    if (ascending && i > 0 && (hi < lastHi || (hi === lastHi && lo < lastLo))) ascending = false;
    lastHi = hi;
    lastLo = lo;
    words[0]![i] = lo;
    words[1]![i] = hi;
    // Each pass's digit counted now (DIGITS, written out).
    c0[lo & 2047]!++;
    c1[(lo >>> 11) & 2047]!++;
    c2[lo >>> 22]!++;
    c3[hi & 2047]!++;
    c4[(hi >>> 11) & 2047]!++;
    c5[hi >>> 22]!++;
  }
  let src = order.subarray(from, to);
  let dst = tmp.subarray(from, to);
  for (let d = 0; d < DIGITS.length; d++) {
    const [w, shift, bits] = DIGITS[d]!;
    const mask = (1 << bits) - 1;
    const count = counts[d]!;
    const key = words[w]!;
    // Every key the same digit, or the keys in order already: nothing moves.
    if (ascending || count[(key[0]! >>> shift) & mask] === n) continue;
    let s = 0;
    for (let b = 0; b <= mask; b++) {
      const c = count[b]!;
      count[b] = s;
      s += c;
    }
    const [lo, hi] = words as [Uint32Array, Uint32Array];
    const [toLo, toHi] = spare as [Uint32Array, Uint32Array];
    for (let i = 0; i < n; i++) {
      const p = count[(key[i]! >>> shift) & mask]!++;
      dst[p] = src[i]!;
      toLo[p] = lo[i]!;
      toHi[p] = hi[i]!;
    }
    [src, dst] = [dst, src];
    [words, spare] = [spare, words];
  }
  if (src.byteOffset !== order.byteOffset + from * 4) order.set(src, from);
  const [lo, hi] = words as [Uint32Array, Uint32Array];
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && lo[j] === lo[i] && hi[j] === hi[i]) j++;
    if (j - i > 1 && (lo[i]! & 15) === WINDOW + 1) stack.push(from + i, from + j, common + WINDOW);
    i = j;
  }
}

/**
 * Orders a big group (names shared up to `depth`) by their next three bytes
 * at once, a name that ends among them before every longer one: a least
 * significant digit radix sort (two passes, stable) of one 27-bit number a
 * key, read from the names once. Where the names lie far apart (a file's
 * keys come in hash order), that is a third of the reads of one byte at a
 * time. Runs still tied and going on are pushed as groups at `depth` + 3.
 */
function threeBytes(
  order: Uint32Array,
  tmp: Uint32Array,
  key: Uint32Array,
  tmpKey: Uint32Array,
  from: number,
  to: number,
  depth: number,
  names: Uint8Array,
  nameAt: Float64Array,
  nameLen: Uint32Array,
  stack: number[],
): void {
  for (let i = from; i < to; i++) {
    const k = order[i]!;
    const rest = nameLen[k]! - depth;
    const p = nameAt[k]! + depth;
    const b = ((rest > 0 ? names[p]! : 0) << 16) | ((rest > 1 ? names[p + 1]! : 0) << 8) | (rest > 2 ? names[p + 2]! : 0);
    // The bytes (0 past the name's end), then how many of them the name has (4: more than three): 27 bits.
    key[i] = b * 8 + (rest < 4 ? rest : 4);
  }
  // The same three bytes in every name (a common prefix: `user:session:`): nothing moves, the next three decide.
  const first = key[from]!;
  let same = true;
  for (let i = from + 1; i < to && same; i++) same = key[i] === first;
  if (same) {
    if ((first & 7) === 4) stack.push(from, to, depth + 3);
    return;
  }
  const count = new Uint32Array(1 << 14);
  // Low 14 bits into tmp, then high 13 bits back into order: stable, so twins stay in the order added.
  for (const [shift, mask, src, srcKey, dst, dstKey] of [
    [0, (1 << 14) - 1, order, key, tmp, tmpKey],
    [14, (1 << 13) - 1, tmp, tmpKey, order, key],
  ] as const) {
    count.fill(0);
    for (let i = from; i < to; i++) count[(srcKey[i]! >>> shift) & mask]!++;
    let s = from;
    for (let d = 0; d <= mask; d++) {
      const c = count[d]!;
      count[d] = s;
      s += c;
    }
    for (let i = from; i < to; i++) {
      const p = count[(srcKey[i]! >>> shift) & mask]!++;
      dst[p] = src[i]!;
      dstKey[p] = srcKey[i]!;
    }
  }
  for (let i = from; i < to; ) {
    let j = i + 1;
    while (j < to && key[j] === key[i]) j++;
    if (j - i > 1 && (key[i]! & 7) === 4) stack.push(i, j, depth + 3);
    i = j;
  }
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
