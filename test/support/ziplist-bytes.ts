/**
 * A ziplist (the encoding Redis < 7 wrote small hashes, lists and sorted sets
 * in: RDB types 10, 12, 13 and quicklist nodes), built byte by byte as
 * ziplist.c lays it out, for the format tests of files no local server
 * writes any more: strings (6, 14 and 32-bit lengths, bytes as latin1) and
 * integers in every encoding (0–12 in the byte, 8, 16, 24, 32, 64 bits).
 */

const bigEndian = (v: bigint, width: number): number[] => Array.from({ length: width }, (_, i) => Number((v >> BigInt(8 * (width - 1 - i))) & 0xffn));
/** `v` in `width` bytes, little-endian two's complement. */
const le = (v: bigint, width: number): number[] => bigEndian(BigInt.asUintN(8 * width, v), width).reverse();

/** A ziplist of `items`: a string is stored as its latin1 bytes, a bigint in the narrowest integer encoding. */
export function ziplist(items: readonly (string | bigint)[]): number[] {
  const body: number[] = [];
  let previous = 0;
  let tail = 10;
  for (const x of items) {
    let encoded: number[];
    if (typeof x === 'string') {
      const b = [...Buffer.from(x, 'latin1')];
      const n = b.length;
      encoded = [...(n < 64 ? [n] : n < 16384 ? [0x40 | (n >> 8), n & 0xff] : [0x80, ...bigEndian(BigInt(n), 4)]), ...b];
    } else if (x >= 0n && x <= 12n) encoded = [0xf1 + Number(x)];
    else {
      const [enc, width] = [
        [0xfe, 1],
        [0xc0, 2],
        [0xf0, 3],
        [0xd0, 4],
        [0xe0, 8],
      ].find(([, w]) => BigInt.asIntN(8 * w!, x) === x)!;
      encoded = [enc!, ...le(x, width!)];
    }
    const entry = [...(previous < 254 ? [previous] : [0xfe, ...le(BigInt(previous), 4)]), ...encoded];
    tail = 10 + body.length;
    body.push(...entry);
    previous = entry.length;
  }
  return [...le(BigInt(10 + body.length + 1), 4), ...le(BigInt(tail), 4), ...le(BigInt(items.length), 2), ...body, 0xff];
}
