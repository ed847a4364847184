/**
 * The duplicate-member check of the RDB verifier: Redis refuses a set,
 * sorted set or hash that holds the same member (field) twice
 * ("Duplicate set members detected"), so the verifier must too, within
 * bounded memory. Pure.
 *
 * Each member arrives as a 64-bit fingerprint (two 32-bit hash lanes). An
 * open-addressing table holds the fingerprints of the current collection; a
 * generation stamp per slot makes starting the next collection O(1) instead
 * of clearing the table. Exact up to {@link DUP_EXACT_MEMBERS} members; a
 * larger collection is checked on a sample (see {@link DuplicateCheck.begin}).
 * Hand-written rather than a JS Set: a Set of 2^20 BigInt fingerprints costs
 * ~100 MB; these tables cost 24 MiB at most.
 */
import { decimalInto } from './bytes.js';

/**
 * Members of one collection whose fingerprints are held exactly (2^20: three
 * tables of 2^21 32-bit slots, 24 MiB). Beyond it, only members whose
 * fingerprint falls in 1 of every ceil(length / 2^20) buckets are compared,
 * so a duplicate pair is found with probability 1 / that number. Two
 * different members share a fingerprint with a probability near 2^-64 per
 * pair: about 3e-8 for a full table (a false "duplicate").
 */
export const DUP_EXACT_MEMBERS = 1 << 20;

export class DuplicateCheck {
  private keys1 = new Uint32Array(0);
  private keys2 = new Uint32Array(0);
  private gens = new Uint32Array(0);
  private gen = 0;
  private mask = 0;
  private sample = 1;
  private held = 0;
  private room = 0;
  /** Begun without its count ({@link beginGrowing}): the table doubles as it fills, then the sample halves. */
  private growing = false;

  /** @param exactMembers members held exactly (a larger collection is sampled): {@link DUP_EXACT_MEMBERS}, or fewer where the bytes were checked before. */
  constructor(private readonly exactMembers = DUP_EXACT_MEMBERS) {}

  /** A collection of `count` members starts; returns the probability that a duplicate pair in it is found (1: exact). */
  begin(count: number): number {
    const kept = Math.min(count, this.exactMembers);
    let size = 16;
    while (size < 2 * kept) size *= 2;
    this.table(size);
    this.sample = count > this.exactMembers ? Math.ceil(count / this.exactMembers) : 1;
    this.growing = false;
    return 1 / this.sample;
  }

  /**
   * A collection whose count is not known until its end starts (a listpack whose header counts 65535 elements, read
   * once as it streams by): exact while it holds up to the members {@link begin} holds exactly (its table doubling as it
   * fills); past that, checked on a sample that halves each time the table is full again (1 of 2, 4, … buckets: a
   * duplicate pair found with probability {@link grownDetection}). The same members in the same order give the same verdict
   * whether the listpack streamed by or was gathered (both check it this way).
   */
  beginGrowing(): void {
    this.table(1024);
    this.sample = 1;
    this.growing = true;
  }

  /** For a collection {@link beginGrowing} began, the probability that a duplicate pair in it is found (1: exact); 1 for one {@link begin} began (it said its own). */
  get grownDetection(): number {
    return this.growing ? 1 / this.sample : 1;
  }

  /** The table begun again at `size` slots (none held; a new generation). */
  private table(size: number): void {
    if (size > this.gens.length) {
      this.keys1 = new Uint32Array(size);
      this.keys2 = new Uint32Array(size);
      this.gens = new Uint32Array(size);
      this.gen = 0;
    }
    if (++this.gen === 0xffffffff) {
      this.gens.fill(0);
      this.gen = 1;
    }
    this.mask = size - 1;
    this.held = 0;
    // Keep the load factor at most 3/4, whatever the sample lets through.
    this.room = (size * 3) / 4;
  }

  /** A growing table full: twice the size, or at the most {@link begin} takes, the sample halved; what it held kept as the new sample lets it. */
  private grow(): void {
    const n = this.held;
    const a = new Uint32Array(n);
    const b = new Uint32Array(n);
    for (let i = 0, k = 0; i <= this.mask; i++) {
      if (this.gens[i] === this.gen) {
        a[k] = this.keys1[i]!;
        b[k++] = this.keys2[i]!;
      }
    }
    let size = 2 * (this.mask + 1);
    if (size > 2 * this.exactMembers) {
      size = this.mask + 1;
      this.sample *= 2;
    }
    this.table(size);
    for (let k = 0; k < n; k++) if (b[k]! % this.sample === 0) this.insert(a[k]!, b[k]!);
  }

  /** Whether this fingerprint was seen before in the collection (then it is a duplicate); remembers it otherwise. */
  seen(h1: number, h2: number): boolean {
    const a = h1 >>> 0;
    const b = h2 >>> 0;
    if (this.sample > 1 && b % this.sample !== 0) return false;
    if (this.held >= this.room) {
      if (!this.growing) return false; // a sample that ran over: the rest goes unchecked (never a false alarm)
      this.grow();
      if (b % this.sample !== 0) return false;
    }
    return this.insert(a, b);
  }

  /** {@link seen} of a fingerprint the sample lets through, with room in the table. */
  private insert(a: number, b: number): boolean {
    let i = (a ^ (a >>> 15)) & this.mask;
    for (;;) {
      if (this.gens[i] !== this.gen) {
        this.gens[i] = this.gen;
        this.keys1[i] = a;
        this.keys2[i] = b;
        this.held++;
        return false;
      }
      if (this.keys1[i] === a && this.keys2[i] === b) return true;
      i = (i + 1) & this.mask;
    }
  }
}

/** Whether a fingerprint was seen before in the current collection (DuplicateCheck.seen). */
export type SeenCheck = (h1: number, h2: number) => boolean;

/**
 * A member's 64-bit fingerprint: two 32-bit FNV-1a lanes (different offsets
 * and primes) in `fp`. {@link fingerprintStart}, then {@link fingerprintUpdate}
 * over the content in as many pieces as it arrives (streamed members hash the same).
 */
export function fingerprintStart(fp: Int32Array): void {
  fp[0] = 0x811c9dc5;
  fp[1] = 0x050c5d1f;
}

export function fingerprintUpdate(fp: Int32Array, b: Uint8Array, from: number, to: number): void {
  let h1 = fp[0]!;
  let h2 = fp[1]!;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000197);
  }
  fp[0] = h1;
  fp[1] = h2;
}

/** The fingerprint of `b[from, to)` ({@link fingerprintUpdate}'s lanes, in locals: it runs per member of every small collection), checked against `seen`. */
export function seenBytes(b: Uint8Array, from: number, to: number, seen: SeenCheck): boolean {
  // `| 0`: the offset basis as the int32 Math.imul makes of it (the same hash). 0x811c9dc5 itself is above 2^31,
  // and a loop variable that starts as a double stays one, converted to and from int32 every byte.
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x050c5d1f;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000197);
  }
  return seen(h1, h2);
}

/** The fingerprint of an integer's decimal text (as Redis compares an integer-encoded member), without building the text, checked against `seen`. */
export function seenInteger(value: number | bigint, seen: SeenCheck): boolean {
  return seenBytes(DIGITS, decimalInto(value, DIGITS), DIGITS.length, seen);
}

const DIGITS = new Uint8Array(24);
