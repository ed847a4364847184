/**
 * lz4-napi's native LZ4 block decoder (lz4_flex, prebuilt for Linux x64 and
 * arm64), about 2.5 times as fast as lz4js's: for the CLI, which runs from
 * node_modules. Never import it into a Lambda handler's graph: esbuild, as the
 * Lambdas are bundled, has no loader for its `.node` binary.
 */
import { uncompressSync } from 'lz4-napi';
import type { Lz4BlockDecoder } from './rdb-envelope.js';

/** lz4_flex's size-prepended form: the plain size (here its bound) as 4 bytes, then the block; the window as its dictionary. */
export const nativeLz4Blocks: Lz4BlockDecoder = (block, window, max) => {
  const input = new Uint8Array(4 + block.length);
  new DataView(input.buffer).setUint32(0, max, true);
  input.set(block, 4);
  const plain = window.length === 0 ? uncompressSync(input) : uncompressSync(input, window);
  if (plain.length > max) throw new Error(`the block expands to ${plain.length} bytes, beyond the frame's ${max}-byte maximum`);
  return plain;
};
