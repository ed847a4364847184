/**
 * A minimal WebAssembly assembler for the verifier's hot loops (CRC-64 and
 * LZF, see crc64-wasm.ts and lzf-wasm.ts; the member walks and the
 * duplicate-key check, format/member-walks-wasm.ts and
 * format/digest-check-wasm.ts): one exported function `run` and one exported
 * memory per module, written as named opcodes in TypeScript so there is no
 * build step and no opaque binary in the repository.
 *
 * Why WebAssembly at all: these loops are pure byte crunching where
 * JavaScript pays for the lack of 64-bit integers (CRC, the member hash) or
 * for bounds-checked typed array access per byte (LZF); the benchmark in
 * bench/verify-rdb measures the difference. Everything here falls back to
 * JavaScript when WebAssembly is unavailable or fails to instantiate.
 *
 * @see https://webassembly.github.io/spec/core/binary/index.html
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;

/** The opcodes the two modules use (memory accesses take `align, offset` immediates). */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Load16U: 0x2f,
  i64Load: 0x29,
  i64Load8U: 0x31,
  i64Load16S: 0x32,
  i64Load32S: 0x34,
  i32Store: 0x36,
  i64Store: 0x37,
  f64Load: 0x2b,
  f64Store: 0x39,
  f64Const: 0x44,
  i32Store8: 0x3a,
  i32Store16: 0x3b,
  i64Store8: 0x3c,
  call: 0x10,
  select: 0x1b,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i32GeU: 0x4f,
  i64Eqz: 0x50,
  i64Ne: 0x52,
  i64LtS: 0x53,
  i64LtU: 0x54,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivU: 0x6e,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64DivU: 0x80,
  i64RemU: 0x82,
  i64And: 0x83,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i64Eq: 0x51,
  f64Eq: 0x61,
  f64Ne: 0x62,
  f64Lt: 0x63,
  f64Gt: 0x64,
  i64Or: 0x84,
  f64Abs: 0x99,
  f64Neg: 0x9a,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  i32WrapI64: 0xa7,
  i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
  f64ConvertI64S: 0xb9,
  f64ConvertI64U: 0xba,
  i64ReinterpretF64: 0xbd,
  f64ReinterpretI64: 0xbf,
  /** Block type of a block, loop or if without a result. */
  void: 0x40,
  /** Prefix of `memory.copy` (followed by 0x0a, 0x00, 0x00). */
  bulk: 0xfc,
} as const;

/** Unsigned LEB128: sizes, indices, memory offsets. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n ? byte | 0x80 : byte);
  } while (n);
  return out;
}

/** Signed LEB128 of a 64-bit integer given as a BigInt: `i64.const` operands beyond 32 bits. */
export function sleb64(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asIntN(64, n);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Signed LEB128 of a 32-bit integer: `i32.const` / `i64.const` operands. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (text: string): number[] => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];

/** One function and its memory. */
export interface ModuleSpec {
  readonly params: readonly number[];
  /** Type of the result; none when undefined. */
  readonly result?: number;
  /** Types of the locals after the parameters. */
  readonly locals: readonly number[];
  /** The function body, without its final `end`. */
  readonly code: readonly number[];
  /** Memory size in 64 KiB pages. */
  readonly pages: number;
}

/** Minimal typing of the WebAssembly global (not in the ES library typings this project uses). */
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
    }
  | undefined;

/** An instantiated module: its function and its memory. */
export interface WasmFunction<F> {
  readonly run: F;
  readonly memory: Uint8Array;
  /** Grows the memory by `pages` (64 KiB each); the whole memory afterwards (views taken before are detached). */
  readonly grow: (pages: number) => Uint8Array;
  /** Another instance of the same compiled module (its own memory, the code shared: {@link WasmModule.another}). */
  readonly another: () => WasmFunction<F> | undefined;
}

/** Assembles and instantiates `spec`; undefined when WebAssembly is unavailable or rejects the module. */
export function instantiate<F>(spec: ModuleSpec): WasmFunction<F> | undefined {
  return functionOf(instantiateModule({ functions: [{ name: 'run', ...spec }], pages: spec.pages }));
}

function functionOf<F>(m: WasmModule | undefined): WasmFunction<F> | undefined {
  return m && { run: m.exports.run as F, memory: m.memory, grow: m.grow, another: () => functionOf(m.another()) };
}

/** The binary module of `spec` (what {@link instantiate} instantiates; another thread can compile it too). */
export function assemble(spec: ModuleSpec): Uint8Array {
  return assembleModule({ functions: [{ name: 'run', ...spec }], pages: spec.pages });
}

/** A function's signature. */
export interface Signature {
  readonly params: readonly number[];
  /** Type of the result; none when undefined. */
  readonly result?: number;
}

/** A module of several functions over one memory, which may call functions it imports from JavaScript (`js.<name>`). */
export interface MultiModuleSpec {
  /** Imported functions (indices 0…, before the module's own); each is called as `js.<name>` of the import object. */
  readonly imports?: readonly (Signature & { readonly name: string })[];
  /** The module's functions (indices after the imports), each exported under its name. */
  readonly functions: readonly (Signature & { readonly name: string; readonly locals: readonly number[]; readonly code: readonly number[] })[];
  /** Memory size in 64 KiB pages. */
  readonly pages: number;
  /**
   * The memory is imported (`js.memory`, at least {@link pages} pages), not the module's own: modules that hand each
   * other bytes share one (codecs/shared-area.ts), so a copy between them is a `memory.copy`, not a view's `set`.
   */
  readonly importMemory?: boolean;
}

/** The binary module of `spec`. */
export function assembleModule(spec: MultiModuleSpec): Uint8Array {
  const imports = spec.imports ?? [];
  const signatures: Signature[] = [...imports, ...spec.functions];
  const type = (s: Signature): number[] => [0x60, ...vector(s.params.map((t) => [t])), ...vector(s.result === undefined ? [] : [[s.result]])];
  const bodies = spec.functions.map((f) => {
    const body = [...vector(f.locals.map((t) => [1, t])), ...f.code, OP.end];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vector(signatures.map(type))), // one type per function, imported ones first
    ...(imports.length > 0 || spec.importMemory
      ? section(
          2,
          vector([
            ...imports.map((f, i) => [...name('js'), ...name(f.name), 0x00, ...uleb(i)]),
            ...(spec.importMemory ? [[...name('js'), ...name('memory'), 0x02, 0x00, ...uleb(spec.pages)]] : []),
          ]),
        )
      : []),
    ...section(3, vector(spec.functions.map((_, i) => uleb(imports.length + i)))),
    ...(spec.importMemory ? [] : section(5, vector([[0x00, ...uleb(spec.pages)]]))), // memory of `pages` pages, no maximum
    ...section(7, vector([...spec.functions.map((f, i) => [...name(f.name), 0x00, ...uleb(imports.length + i)]), [...name('memory'), 0x02, 0]])), // exports
    ...section(10, vector(bodies)), // code
  ]);
}

/** An instantiated {@link MultiModuleSpec}: its exported functions and its memory. */
export interface WasmModule {
  readonly exports: Record<string, unknown>;
  readonly memory: Uint8Array;
  /** Grows the memory by `pages` (64 KiB each); the whole memory afterwards (views taken before are detached). */
  readonly grow: (pages: number) => Uint8Array;
  /**
   * Another instance of the same compiled module: a memory of its own, the
   * code shared (compiled once, and optimized once for both: V8 tiers a
   * module's functions up by the calls of all its instances).
   */
  readonly another: () => WasmModule | undefined;
}

/** Assembles and instantiates `spec` with `js` as its imports; undefined when WebAssembly is unavailable or rejects the module. */
export function instantiateModule(spec: MultiModuleSpec, js: Record<string, ((...args: number[]) => number) | object> = {}): WasmModule | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  try {
    return instanceOf(new WebAssembly.Module(assembleModule(spec)), js);
  } catch {
    return undefined;
  }
}

function instanceOf(module: object, js: Record<string, ((...args: number[]) => number) | object>): WasmModule | undefined {
  try {
    const { exports } = new WebAssembly!.Instance(module, { js });
    const memory = exports.memory as { buffer: ArrayBuffer; grow(pages: number): number };
    return {
      exports,
      memory: new Uint8Array(memory.buffer),
      grow: (pages) => {
        memory.grow(pages);
        return new Uint8Array(memory.buffer);
      },
      another: () => instanceOf(module, js),
    };
  } catch {
    return undefined;
  }
}
