import { describe, expect, it } from 'vitest';
import { I32, instantiate, OP, sleb, uleb } from '../../../../../lambdas/domain/rdb/codecs/wasm.js';

describe('WebAssembly assembler', () => {
  it.each([
    [0, [0x00]],
    [63, [0x3f]],
    [64, [0xc0, 0x00]],
    [255, [0xff, 0x01]],
    [-1, [0x7f]],
    [-64, [0x40]],
    [-65, [0xbf, 0x7f]],
  ])('encodes %i as signed LEB128 %j', (n, bytes) => {
    expect(sleb(n)).toEqual(bytes);
  });

  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [624485, [0xe5, 0x8e, 0x26]],
  ])('encodes %i as unsigned LEB128 %j', (n, bytes) => {
    expect(uleb(n)).toEqual(bytes);
  });

  it('assembles a module whose function runs and whose memory is shared with JavaScript', () => {
    // (func (param $p i32) (param $n i32) (result i32): load8_u(p) + n
    const wasm = instantiate<(p: number, n: number) => number>({
      params: [I32, I32],
      result: I32,
      locals: [],
      code: [OP.localGet, 0, OP.i32Load8U, 0, 0, OP.localGet, 1, OP.i32Add],
      pages: 1,
    });
    expect(wasm).toBeDefined();
    wasm!.memory[10] = 200;
    expect(wasm!.run(10, -1)).toBe(199);
    expect(wasm!.memory).toHaveLength(65536);
  });

  it('returns undefined for a module WebAssembly rejects', () => {
    expect(instantiate({ params: [I32], result: I32, locals: [], code: [OP.i32Add], pages: 1 })).toBeUndefined();
  });
});
