/**
 * The check that makes convert-rdb's output count: a writer that writes a
 * valid file holding another value (one member's byte changed in its
 * re-encoding, after the walk fed the digest: the file still passes the
 * verifier; or one byte of a key copied as it is, which the read-back reads
 * by its bounds alone; or one byte of a stream written in an older layout,
 * which the read-back reads by its bounds alone too) is caught by the
 * key-list digest, the key named, and nothing left at the output.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { transcodeWalksInWasm } from '../../../../lambdas/domain/rdb/write/transcode.js';
import type { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { type ConvertRdbResult, convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { keysOf, frameFile } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

const bug = vi.hoisted(() => ({ on: false, duplicateField: false }));
vi.mock('../../../../lambdas/domain/rdb/write/transcode.js', async (original) => {
  const real = await original<typeof import('../../../../lambdas/domain/rdb/write/transcode.js')>();
  /** The bug in what was written into `out` for a value of the RDB `type` written. */
  const buggy = (type: number, out: RdbOut): number => {
    // The last byte of the last value of a plain hash (the digest had the right one): a valid file, another value.
    const written = out.view();
    if (bug.on && type === 4) written[written.length - 1]! ^= 1;
    // The second field written as the first ("f2" as "f1"): a hash Redis refuses (a field twice), read back by its bounds.
    if (bug.duplicateField && type === 4) written[written.indexOf('f2', 0, 'latin1') + 1] = 0x31;
    return type;
  };
  // Both ways a conversion writes a listpack value: from the walk that stood in for the validation, or from its bytes.
  class BuggyWalked extends real.WalkedListpacks {
    override write(...args: Parameters<InstanceType<typeof real.WalkedListpacks>['write']>): number {
      const type = super.write(...args);
      return type < 0 ? type : buggy(type, args[5]);
    }
  }
  return {
    ...real,
    transcodeObject: (...args: Parameters<typeof real.transcodeObject>) => buggy(real.transcodeObject(...args), args[4]),
    WalkedListpacks: BuggyWalked,
  };
});

// The WebAssembly walk (write/transcode-wasm.ts) writing a wrong byte: into the output after the digest had the right one, or into the
// input's digest; or the read-back's digest of the plain form (its bytes as they lie: key-list.ts plainAt) given a wrong byte.
const wasmBug = vi.hoisted(() => ({ output: false, inputDigest: false, readBackDigest: false, walks: 0 }));
vi.mock('../../../../lambdas/domain/rdb/write/key-list.js', async (original) => {
  const real = await original<typeof import('../../../../lambdas/domain/rdb/write/key-list.js')>();
  class BuggyDigest extends real.KeyListDigest {
    override plainAt(...[kind, b, from, to]: Parameters<InstanceType<typeof real.KeyListDigest>['plainAt']>): void {
      if (!wasmBug.readBackDigest) {
        super.plainAt(kind, b, from, to);
        return;
      }
      const changed = Uint8Array.from(b.subarray(from, to));
      changed[changed.length - 1]! ^= 1;
      super.plainAt(kind, changed, 0, changed.length);
    }
  }
  // The value lengths the read-back passes values over by (KeyBits.valueBytes): counted when asked, and recorded wrong
  // (one byte more or fewer: the read-back then lands inside a value, or short of its end).
  class BuggyBits extends real.KeyBits {
    override push(on: boolean, valueBytes?: number): void {
      super.push(on, valueBytes !== undefined && valueBytes >= 0 ? valueBytes + lengthBug.delta : valueBytes);
    }
    override valueBytes(i: number): number {
      const n = super.valueBytes(i);
      if (n >= 0) lengthBug.known++;
      return n;
    }
  }
  return { ...real, KeyListDigest: BuggyDigest, KeyBits: BuggyBits };
});
const lengthBug = vi.hoisted(() => ({ delta: 0, known: 0 }));
vi.mock('../../../../lambdas/domain/rdb/write/transcode-wasm.js', async (original) => {
  const real = await original<typeof import('../../../../lambdas/domain/rdb/write/transcode-wasm.js')>();
  return {
    ...real,
    loadTranscodeWasm: (...args: Parameters<typeof real.loadTranscodeWasm>) => {
      const w = real.loadTranscodeWasm(...args);
      if (w === undefined) return undefined;
      return {
        ...w,
        lp: (...a: Parameters<typeof w.lp>) => {
          const n = w.lp(...a);
          wasmBug.walks++;
          // The last byte written of the value ("v2" of the hash): a valid file, another value.
          if (n > 0 && wasmBug.output) w.memory[w.outEnd() - 1]! ^= 1;
          if (n > 0 && wasmBug.inputDigest) w.memory[w.digEnd() - 1]! ^= 1;
          return n;
        },
      };
    },
  };
});

const copyBug = vi.hoisted(() => ({ on: false }));
// The bytes besides the keys' (the file's CRC-64 is that of the bytes read back, so it passes them): an AUX value other
// than the one asked, a function library's code changed, the trailer appended wrong.
const framingBug = vi.hoisted(() => ({ aux: false, longAux: false, functionCode: false, trailer: false }));
vi.mock('../../../../lambdas/domain/rdb/write/rdb-file.js', async (original) => {
  const real = await original<typeof import('../../../../lambdas/domain/rdb/write/rdb-file.js')>();
  class BuggyWriter extends real.RdbFileWriter {
    constructor(...[format, aux, options]: ConstructorParameters<typeof real.RdbFileWriter>) {
      // aux: redis-ver with a character added; longAux: the 501st character of a value over 1,000 characters changed.
      const changed = aux.map(([k, v]) => {
        if (framingBug.aux && k === 'redis-ver') return [k, `${v}1`] as const;
        if (framingBug.longAux && v.length > 1000) return [k, `${v.slice(0, 500)}#${v.slice(501)}`] as const;
        return [k, v] as const;
      });
      super(format, changed, options);
    }

    override functionLibrary(payload: Uint8Array, footerBytes: number): void {
      const changed = Uint8Array.from(payload);
      // The last byte of the library's code (a Lua comment's), the file still valid.
      if (framingBug.functionCode) changed[changed.length - footerBytes - 1]! ^= 1;
      super.functionLibrary(changed, footerBytes);
    }

    override trailer(crc: bigint): Buffer {
      return super.trailer(framingBug.trailer ? crc ^ (1n << 40n) : crc);
    }

    override keyAt(...args: Parameters<InstanceType<typeof real.RdbFileWriter>['keyAt']>): void {
      const [k, type, b, from, to] = args;
      // A key copied as it is (its bytes are read back by their bounds alone): its last byte written changed, the file valid.
      if (copyBug.on && type !== 4 && Buffer.from(k.nameBytes.subarray(k.nameFrom, k.nameTo)).toString() === 'plain') {
        const changed = Uint8Array.from(b.subarray(from, to));
        changed[changed.length - 1]! ^= 1;
        super.keyAt(k, type, changed, 0, changed.length);
        return;
      }
      super.keyAt(...args);
    }
  }
  return { ...real, RdbFileWriter: BuggyWriter };
});

const streamBug = vi.hoisted(() => ({ on: false }));
vi.mock('../../../../lambdas/domain/rdb/write/source-forms.js', async (original) => {
  const real = await original<typeof import('../../../../lambdas/domain/rdb/write/source-forms.js')>();
  class BuggyLayout extends real.StreamLayout {
    override writeAs(...args: Parameters<InstanceType<typeof real.StreamLayout>['writeAs']>): void {
      super.writeAs(...args);
      // The stream's last byte written (its consumer's pending id: 1-0 as 1-1, an id its group's PEL lacks), after the digest had the right one.
      if (streamBug.on) args[1].view()[args[1].view().length - 1]! ^= 1;
    }
  }
  return { ...real, StreamLayout: BuggyLayout };
});

describe('convertRdb: a writer bug', () => {
  let server: RedisServer;
  let dir: string;
  let input: string;
  let streamInput: string;
  let functionInput: string;

  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    await c.set('plain', 'v');
    await c.hset('h', 'f1', 'v1', 'f2', 'v2');
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-bug-'));
    input = join(dir, 'in.rdb');
    writeFileSync(input, readFileSync(await bgsave(server, c)));
    // A stream RDB 9 expresses exactly (its group read to the end): written as type 15 for redis-6.2, no --lossy needed.
    await c.flushall();
    await c.set('plain', 'v');
    await c.xadd('s', '1-0', 'f', 'v');
    await c.xgroup('CREATE', 's', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 's', '>');
    streamInput = join(dir, 'stream.rdb');
    writeFileSync(streamInput, readFileSync(await bgsave(server, c)));
    // A function library (RDB 10 keeps it: copied for redis-7.0).
    await c.flushall();
    await c.set('plain', 'v');
    await c.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function() return 1 end) -- one");
    functionInput = join(dir, 'function.rdb');
    writeFileSync(functionInput, readFileSync(await bgsave(server, c)));
    await c.call('FUNCTION', 'FLUSH');
  }, 60_000);

  afterAll(async () => {
    bug.on = false;
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (out: string) => convertRdb({ input, output: join(dir, out), ...convertTarget({ for: 'redis-6.2' }) });

  it('without the bug the hash is re-encoded and the output verified', async () => {
    const r = await run('good.rdb');
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, reencoded: 1, asIs: 1 });
  });

  it('with it: refused, the key named, nothing left', async () => {
    bug.on = true;
    const r = await run('bad.rdb');
    bug.on = false;
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(
      /^the written file does not hold what the input holds \(key \d: input h \(db 0\) hash [0-9a-f]{64} no expiry, output h \(db 0\) hash [0-9a-f]{64} no expiry\): a bug in the writer; nothing was written to /,
    );
    expect(existsSync(join(dir, 'bad.rdb'))).toBe(false);
  });

  it('a re-encoded hash written with a field twice (the read-back reads a plain form by its bounds): refused, nothing left', async () => {
    bug.duplicateField = true;
    try {
      const r = await run('dup.rdb');
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(
        /^the written file does not hold what the input holds \(key \d: input h \(db 0\) hash [0-9a-f]{64} no expiry, output h \(db 0\) hash /,
      );
      expect(existsSync(join(dir, 'dup.rdb'))).toBe(false);
    } finally {
      bug.duplicateField = false;
    }
  });

  it('the read-back passes each value over by the length the writer recorded: a length one byte off fails the run, nothing left', async () => {
    lengthBug.known = 0;
    expect((await run('lengths.rdb')).ok).toBe(true);
    expect(lengthBug.known).toBe(2); // the string copied as it was and the hash written plain
    for (const delta of [1, -1]) {
      lengthBug.delta = delta;
      try {
        const r = await run(`length${delta}.rdb`);
        expect(r.ok, `a length off by ${delta}`).toBe(false);
        // Read by the wrong length the next key's framing is misread (a key cut short, a byte that is no opcode).
        expect(r.error).toMatch(/^the written file fails verification \(.+, at byte \d+\): a bug in the writer; nothing was written to /);
        expect(existsSync(join(dir, `length${delta}.rdb`))).toBe(false);
      } finally {
        lengthBug.delta = 0;
      }
    }
  });

  it("JavaScript's walks (where WebAssembly is unavailable) write the same file, byte for byte", async () => {
    expect((await run('by-wasm.rdb')).ok).toBe(true);
    transcodeWalksInWasm(false);
    try {
      const before = wasmBug.walks;
      expect((await run('by-js.rdb')).ok).toBe(true);
      expect(wasmBug.walks).toBe(before);
    } finally {
      transcodeWalksInWasm(true);
    }
    expect(readFileSync(join(dir, 'by-js.rdb')).equals(readFileSync(join(dir, 'by-wasm.rdb')))).toBe(true);
  });

  it('the WebAssembly walk is the one writing the hash', async () => {
    const before = wasmBug.walks;
    expect((await run('walked.rdb')).ok).toBe(true);
    expect(wasmBug.walks - before).toBe(1); // the input's listpack (the read-back digests the plain hash by its bytes, no walk)
  });

  // A wrong output byte names the key; a wrong digest byte (the file itself right) is refused all the same: the digests differ.
  for (const [bug, what, why] of [
    ['output', 'a wrong byte in the output (the digest had the right one)', /key \d: input h \(db 0\) hash [0-9a-f]{64} no expiry, output h \(db 0\) hash /],
    ['inputDigest', "a wrong byte in the input walk's digest", /the digests differ, yet every key compared equal on a second read/],
    ['readBackDigest', "a wrong byte in the read-back's digest of the plain form", /the digests differ, yet every key compared equal on a second read/],
  ] as const)
    it(`the WebAssembly walks writing ${what}: refused, nothing left`, async () => {
      wasmBug[bug] = true;
      try {
        const r = await run(`wasm-${bug}.rdb`);
        expect(r.ok).toBe(false);
        expect(r.error).toMatch(/^the written file does not hold what the input holds \(/);
        expect(r.error).toMatch(why);
        expect(existsSync(join(dir, `wasm-${bug}.rdb`))).toBe(false);
      } finally {
        wasmBug[bug] = false;
      }
    });

  it('a stream written as type 15 (the read-back reads it by its bounds), one byte changed in the writing: refused, the key named, nothing left', async () => {
    const good = join(dir, 'stream-good.rdb');
    expect((await convertRdb({ input: streamInput, output: good, ...convertTarget({ for: 'redis-6.2' }) })).error).toBeUndefined();
    expect(new RdbKeyReader().push(readFileSync(good)).find((k) => k.name.toString() === 's')?.type).toBe(15);
    streamBug.on = true;
    try {
      // --lossy stream-ids: the read-back digests the stream's bytes alone (no ids derived from them): the digest catches it.
      const out = join(dir, 'stream-bad.rdb');
      const lossy = await convertRdb({ input: streamInput, output: out, ...convertTarget({ for: 'redis-6.2' }), lossy: parseLossy('stream-ids') });
      expect(lossy.ok).toBe(false);
      // The key named: the second read's full verification of the output stops at it (a pending id its group's PEL lacks).
      expect(lossy.error).toMatch(
        /^the written file does not hold what the input holds \(key \d, s, is missing from the output\): a bug in the writer; nothing/,
      );
      expect(existsSync(out)).toBe(false);
      // Without it the read-back derives the ids from the written groups, and the pending id their PEL lacks fails that.
      const exact = await convertRdb({ input: streamInput, output: out, ...convertTarget({ for: 'redis-6.2' }) });
      expect(exact.ok).toBe(false);
      expect(exact.error).toMatch(/^the written file fails verification \(malformed stream \(RDB type 15, .*consumer c holds 1-1, which its group's PEL lacks/);
      expect(existsSync(out)).toBe(false);
    } finally {
      streamBug.on = false;
    }
  });

  describe('the bytes besides the keys (the CRC-64 is of the file as read back: these are held against what was written)', () => {
    const withBug = async (bug: keyof typeof framingBug, convert: () => Promise<ConvertRdbResult>): Promise<ConvertRdbResult> => {
      framingBug[bug] = true;
      try {
        return await convert();
      } finally {
        framingBug[bug] = false;
      }
    };

    it('without a bug the function library is copied and the output verified', async () => {
      const out = join(dir, 'fn-good.rdb');
      const r = await convertRdb({ input: functionInput, output: out, ...convertTarget({ for: 'redis-7.0' }) });
      expect(r.error).toBeUndefined();
      expect(r).toMatchObject({ ok: true, functions: 1, outputReport: { checksum: 'ok', functionLibraries: 1 } });
    });

    it('an AUX value written other than asked: refused, named, nothing left', async () => {
      const out = join(dir, 'aux-bad.rdb');
      const r = await withBug('aux', () => run('aux-bad.rdb'));
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(
        /^the written file does not hold what was written \(AUX field redis-ver: "6\.2\.0" written, "6\.2\.01" read back\): a bug in the writer; nothing was written to /,
      );
      expect(existsSync(out)).toBe(false);
    });

    // Review 23: the output's redis-dr-converted-from embeds the input's redis-ver; a crafted one near 1,024 characters made
    // a value the writer wrote whole and the read-back reported cut ("…"), and a valid input was refused as a writer bug.
    const longVersions: [string, string][] = [
      ['plain', `7.0.0-${'x'.repeat(1010)}`],
      // A surrogate pair across the report's cut (at the converted-from value's 1,024th character): kept whole.
      ['a pair at the cut', `${'x'.repeat(993)}\u{1F600}${'z'.repeat(20)}`],
      // Longer than a report holds: already cut on the input's side, written as reported.
      ['over 1,024 characters', `7.0.0-${'x'.repeat(3000)}`],
    ];
    for (const [what, version] of longVersions) {
      it(`an input whose redis-ver is long (${what}): converted, the AUX values written as the read-back reports them`, async () => {
        const long = join(dir, 'long-aux.rdb');
        // frameFile writes an AUX value's characters as bytes (latin1): given the UTF-8 bytes of the version so.
        const utf8 = Buffer.from(version).toString('latin1');
        writeFileSync(long, frameFile('REDIS0010', keysOf(readFileSync(input)).keys, [], { 'redis-ver': utf8 }));
        for (const target of ['redis-7.0', 'redis-6.2']) {
          const out = join(dir, `long-aux-${target}.rdb`);
          const r = await convertRdb({ input: long, output: out, ...convertTarget({ for: target }) });
          expect(r.error).toBeUndefined();
          expect(r.ok).toBe(true);
          const from = r.outputReport!.auxFields['redis-dr-converted-from']!;
          expect(from.startsWith(`REDIS RDB 10 written by redis ${version.slice(0, 100)}`)).toBe(true);
          expect(from.endsWith('…')).toBe(true);
          // What the file holds is what was reported: read again from disk, the same value.
          const again = new RdbKeyReader();
          again.push(readFileSync(out));
          expect(again.end().auxFields['redis-dr-converted-from']).toBe(from);
          rmSync(out);
        }
      });
    }

    it('a long AUX value written other than asked (a character within the reported part changed): refused, named, nothing left', async () => {
      const long = join(dir, 'long-aux-bad-in.rdb');
      writeFileSync(long, frameFile('REDIS0010', keysOf(readFileSync(input)).keys, [], { 'redis-ver': `7.0.0-${'x'.repeat(1010)}` }));
      const out = join(dir, 'long-aux-bad.rdb');
      const r = await withBug('longAux', () => convertRdb({ input: long, output: out, ...convertTarget({ for: 'redis-6.2' }) }));
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(
        /^the written file does not hold what was written \(AUX field redis-dr-converted-from: "REDIS RDB 10 written by redis 7\.0\.0-x+…" written, "REDIS RDB 10 written by redis 7\.0\.0-x+#x+…" read back\): a bug in the writer; nothing was written to /,
      );
      expect(existsSync(out)).toBe(false);
    });

    it("a function library's code changed in the writing (the file valid): refused, nothing left", async () => {
      const out = join(dir, 'fn-bad.rdb');
      const r = await withBug('functionCode', () => convertRdb({ input: functionInput, output: out, ...convertTarget({ for: 'redis-7.0' }) }));
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(
        /^the written file does not hold what was written \(function library 1 differs from the one written\): a bug in the writer; nothing/,
      );
      expect(existsSync(out)).toBe(false);
    });

    it('a trailer appended other than the CRC-64 of the bytes read back: the trailer read back from the file fails, nothing left', async () => {
      const out = join(dir, 'trailer-bad.rdb');
      const r = await withBug('trailer', () => run('trailer-bad.rdb'));
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^the written file fails verification \(CRC-64 mismatch.*\): a bug in the writer; nothing was written to /);
      expect(existsSync(out)).toBe(false);
    });
  });

  it('a key copied as it is, changed in the writing: refused by the read-back, the key named, nothing left (as is and re-encoding)', async () => {
    copyBug.on = true;
    try {
      for (const target of ['redis-7.0', 'redis-6.2']) {
        const out = join(dir, `bad-copy-${target}.rdb`);
        const r = await convertRdb({ input, output: out, ...convertTarget({ for: target }) });
        expect(r.ok, target).toBe(false);
        expect(r.error).toMatch(
          /^the written file does not hold what the input holds \(key \d: input plain \(db 0\) string [0-9a-f]{64} no expiry, output plain \(db 0\) string [0-9a-f]{64} no expiry\): a bug in the writer; nothing was written to /,
        );
        expect(existsSync(out)).toBe(false);
      }
    } finally {
      copyBug.on = false;
    }
  });
});
