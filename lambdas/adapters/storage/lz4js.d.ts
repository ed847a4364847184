/** The part of lz4js (plain JavaScript, no types of its own) the envelope reader uses. */
declare module 'lz4js' {
  /** Decompresses `src[sIndex, sIndex + sLength)` into `dst` from `dIndex` on; returns where the output ends. */
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
}
