/**
 * Listpacks built entry by entry for the tests of the walks that check them (format/member-walks-wasm.ts,
 * write/transcode.ts `WalkedListpacks`): every string length encoding and integer width, the back lengths as
 * listpack.c writes them; and the validation's verdict, the judge they are held against.
 */
import { type ListpackMembers, walkListpack } from '../../lambdas/domain/rdb/format/blobs.js';
import { DuplicateCheck } from '../../lambdas/domain/rdb/format/duplicates.js';

/** A listpack of entries (encoding byte and content; the back length is added), header count `count`. */
export function listpack(entries: number[][], count = entries.length): Uint8Array {
  // Written into one array (each number taken modulo 256, as Uint8Array.from takes it): spreading the entries into one
  // list first cost this file about 3 of its 6 CPU-s.
  const backs = entries.map((e) => backlen(e.length));
  let total = 6 + 1;
  for (const [i, e] of entries.entries()) total += e.length + backs[i]!.length;
  const out = new Uint8Array(total);
  out.set([total & 0xff, (total >>> 8) & 0xff, (total >>> 16) & 0xff, total >>> 24, count & 0xff, count >>> 8]);
  let at = 6;
  for (const [i, e] of entries.entries()) {
    out.set(e, at);
    at += e.length;
    out.set(backs[i]!, at);
    at += backs[i]!.length;
  }
  out[at] = 0xff;
  return out;
}
/**
 * A listpack back length (right to left, 7 bits a byte, "more" on all but the first byte read), in as many bytes as
 * listpack.c's lpEncodeBacklen gives it: 1 up to 127, 2 below 16,383, 3 below 2,097,151, 4 below 268,435,455, else 5.
 */
export function backlen(size: number): number[] {
  const bytes = size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
  const out: number[] = [];
  for (let k = bytes - 1; k >= 0; k--) out.push(((size / 2 ** (7 * k)) & 0x7f) | (k < bytes - 1 ? 0x80 : 0));
  return out;
}
export const str = (text: string): number[] => {
  const b = Buffer.from(text);
  const head =
    b.length < 64
      ? [0x80 | b.length]
      : b.length < 4096
        ? [0xe0 | (b.length >> 8), b.length & 0xff]
        : [0xf0, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24];
  // Copied in a loop, not spread: the spreads of a big value's bytes were about a sixth of lzf-listpack.test's CPU.
  const out = head.concat(new Array<number>(b.length));
  for (let i = 0; i < b.length; i++) out[head.length + i] = b[i]!;
  return out;
};
/** An integer in the smallest encoding Redis uses for it, or in `width` when given. */
export function int(v: bigint, width?: 7 | 13 | 16 | 24 | 32 | 64): number[] {
  const w =
    width ??
    (v >= 0n && v < 128n
      ? 7
      : v >= -4096n && v < 4096n
        ? 13
        : v >= -32768n && v < 32768n
          ? 16
          : v >= -(2n ** 23n) && v < 2n ** 23n
            ? 24
            : v >= -(2n ** 31n) && v < 2n ** 31n
              ? 32
              : 64);
  const bytes = (n: number): number[] => Array.from({ length: n }, (_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));
  if (w === 7) return [Number(v)];
  if (w === 13) return [0xc0 | ((Number(v) >> 8) & 0x1f), Number(v) & 0xff];
  return [{ 16: 0xf1, 24: 0xf2, 32: 0xf3, 64: 0xf4 }[w], ...bytes(w / 8)];
}

/** The validation's verdict (format/blobs.ts `walkListpack`, the judge): the count and whether a member was there twice, or the problem. */
export function judged(lp: Uint8Array, stride: number): { count: number; duplicate: boolean } | { problem: string } {
  const table = new DuplicateCheck();
  const members: ListpackMembers = { stride, seen: (h1, h2) => table.seen(h1, h2), duplicate: false };
  try {
    if (stride === 0) return { count: walkListpack(lp), duplicate: false };
    table.begin(Math.ceil((lp[4]! | (lp[5]! << 8)) / stride));
    const count = walkListpack(lp, members);
    return { count, duplicate: members.duplicate };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

/**
 * A listpack of string elements given as bytes (each encoded as {@link str} encodes a string: 6-, 12- or 32-bit length),
 * header count `count`, built from Buffers: for the big values of the memory tests, where a number array per element
 * ({@link listpack}) would cost several times the listpack's size.
 */
export function listpackOfBytes(elements: readonly Uint8Array[], count = elements.length): Buffer {
  const parts: Uint8Array[] = [Buffer.alloc(6)];
  for (const b of elements) {
    const n = b.length;
    const head = n < 64 ? [0x80 | n] : n < 4096 ? [0xe0 | (n >> 8), n & 0xff] : [0xf0, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    parts.push(Uint8Array.from(head), b, Uint8Array.from(backlen(head.length + n)));
  }
  parts.push(Uint8Array.of(0xff));
  const lp = Buffer.concat(parts);
  lp.writeUInt32LE(lp.length, 0);
  lp.writeUInt16LE(Math.min(count, 0xffff), 4);
  return lp;
}
