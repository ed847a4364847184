/**
 * The last position of each 3-byte prefix (by its 24 bits), offset by {@link base}: one table for every call, not a
 * Map per call (the Map and an output list of numbers were 7 of lzf-listpack.test's 31 CPU-s; this is about 4 times
 * faster, its output byte for byte the same). 64 MiB, made at the first call; a call moves {@link base} past every
 * position stored before it, so an earlier call's entries read as farther back than the window, as absent ones do.
 */
let table: Int32Array | undefined;
let base = 0;
/**
 * A plain LZF compressor for test data: literal runs of up to 32 bytes and back references of 3–264 bytes up to 8 KiB
 * back, found greedily through a table of 3-byte prefixes, the format liblzf writes (lzf_c.c) and Redis stores
 * (`rdbcompression yes`). Its streams are checked by the project's decoder (codecs/lzf.ts lzfDecompress) wherever a
 * test uses them; RDB files written by a real server's compression are in the memory tests.
 */
export function lzfCompress(input: Uint8Array): Uint8Array {
  const n = input.length;
  // At most a run byte per 32 literals beside them.
  const out = new Uint8Array(n + (n >> 5) + 1);
  let o = 0;
  if (table === undefined || base + n + 8194 > 0x7fffffff) {
    table = new Int32Array(1 << 24);
    base = 8194;
  }
  const at = base;
  base += n + 8194;
  let literalAt = -1;
  let i = 0;
  while (i < n) {
    if (i + 3 <= n) {
      const key = input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16);
      const ref = table[key]! - at;
      table[key] = at + i;
      if (ref >= 0 && i - ref <= 8192) {
        let len = 3;
        while (len < 264 && i + len < n && input[ref + len] === input[i + len]) len++;
        const distance = i - ref - 1;
        const short = Math.min(len - 2, 7);
        out[o++] = (short << 5) | (distance >> 8);
        if (short === 7) out[o++] = len - 9;
        out[o++] = distance & 0xff;
        literalAt = -1;
        i += len;
        continue;
      }
    }
    // A literal: a new run (its length byte, 0 for one byte) when none is open or the open one holds 32.
    if (literalAt < 0 || out[literalAt] === 31) {
      literalAt = o;
      out[o++] = 0;
    } else out[literalAt]!++;
    out[o++] = input[i]!;
    i++;
  }
  return out.slice(0, o);
}

/** Text of `n` characters that LZF compresses about in half (a random word from a short list, with a counter). */
export function compressibleText(n: number, random: () => number): string {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  let s = '';
  while (s.length < n) s += `${words[Math.floor(random() * words.length)]}${Math.floor(random() * 1000)} `;
  return s.slice(0, n);
}
