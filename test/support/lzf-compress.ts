/**
 * A plain LZF compressor for test data: literal runs of up to 32 bytes and back references of 3–264 bytes up to 8 KiB
 * back, found greedily through a table of 3-byte prefixes, the format liblzf writes (lzf_c.c) and Redis stores
 * (`rdbcompression yes`). Its streams are checked by the project's decoder (codecs/lzf.ts lzfDecompress) wherever a
 * test uses them; RDB files written by a real server's compression are in the memory tests.
 */
export function lzfCompress(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  const table = new Map<number, number>();
  let literalAt = -1;
  const literal = (b: number): void => {
    if (literalAt < 0 || out[literalAt] === 31) {
      literalAt = out.length;
      out.push(-1);
    }
    out[literalAt]!++;
    out.push(b);
  };
  let i = 0;
  while (i < input.length) {
    if (i + 3 <= input.length) {
      const key = input[i]! | (input[i + 1]! << 8) | (input[i + 2]! << 16);
      const ref = table.get(key);
      table.set(key, i);
      if (ref !== undefined && i - ref <= 8192) {
        let len = 3;
        while (len < 264 && i + len < input.length && input[ref + len] === input[i + len]) len++;
        const distance = i - ref - 1;
        const short = Math.min(len - 2, 7);
        out.push((short << 5) | (distance >> 8));
        if (short === 7) out.push(len - 9);
        out.push(distance & 0xff);
        literalAt = -1;
        i += len;
        continue;
      }
    }
    literal(input[i]!);
    i++;
  }
  return Uint8Array.from(out);
}
