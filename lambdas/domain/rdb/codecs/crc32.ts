/**
 * CRC-32 (ISO-HDLC: zlib's, gzip's, PNG's; reflected, polynomial 0x04c11db7,
 * initial and final xor 0xffffffff; the check value of `"123456789"` is
 * 0xcbf43926) of a range of bytes: the block checksum of the `RDRKEYS5` key
 * index (domain/serve/index-file.ts). Node's own `zlib.crc32` where it has
 * it (Node 20.15 and 22.2 on: zlib's table loop in C, about twice the
 * project's CRC-64 in WebAssembly over a 2 M-key index's ~3 KB blocks,
 * which copies each block into its memory: bench/README.md, h56e), else a
 * byte-at-a-time table loop here (slower, the same values; a test holds the
 * two equal). Called through the namespace import: a named import would not
 * link where Node lacks it.
 */
import * as zlib from 'node:zlib';

const nodeCrc32: ((data: NodeJS.ArrayBufferView, value?: number) => number) | undefined = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

/** The reflected polynomial's table, a byte at a time: for the loop where Node has no zlib.crc32. */
const TABLE = new Uint32Array(256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[b] = c >>> 0;
}

/** The CRC-32 of `data[from, to)` by the table loop (what {@link crc32} does where Node has no zlib.crc32). */
export function crc32ByTable(data: Uint8Array, from: number, to: number): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The CRC-32 of `data[from, to)` (an unsigned 32-bit number). */
export function crc32(data: Uint8Array, from: number, to: number): number {
  if (nodeCrc32 === undefined) return crc32ByTable(data, from, to);
  return nodeCrc32(new Uint8Array(data.buffer, data.byteOffset + from, to - from)) >>> 0;
}

/** Whether Node's zlib.crc32 is used (false: the table loop only). */
export const crc32IsNodes = nodeCrc32 !== undefined;
