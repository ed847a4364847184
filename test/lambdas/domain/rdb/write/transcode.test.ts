/**
 * The listpack transcoder (write/transcode.ts) against a real redis-server
 * 7.0: every listpack encoding it writes plain — quicklist 2 lists (packed
 * and plain nodes, LZF-compressed nodes), listpack hashes, zsets and (Redis
 * 7.2's) sets — with every listpack entry encoding (7-, 13-, 16-, 24-, 32-
 * and 64-bit integers, 6-, 12- and 32-bit string lengths), big elements and
 * an empty listpack. For each key, from the server's own DUMP payload:
 * the plain form the transcoder writes is taken by RESTORE (RDB 9 footer)
 * and holds the same value as the source key; the elements it fed the
 * digest are the independent decoder's (format/value.ts) and the ones the
 * read-back walk (`digestPlainForm`) finds in the written form.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUMP_FOOTER_BYTES } from '../../../../../lambdas/domain/rdb/format/dump-payload.js';
import { decodeDumpPayload } from '../../../../../lambdas/domain/rdb/format/value.js';
import { KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { dumpPayloadFor } from '../../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import {
  digestPlainForm,
  lastWalkInWasm,
  scoreInWasm,
  shortDecimal,
  transcodeListpacks,
  transcodeParts,
  transcodes,
  transcodeWalksInWasm,
} from '../../../../../lambdas/domain/rdb/write/transcode.js';
import { mulberry32 } from '../../../../support/prng.js';
import { listpack } from '../../../../support/rdb-newer.js';
import { startRedisServer, type RedisServer } from '../../../../support/redis-server.js';

const NAME = Buffer.from('k');
const RDB9 = { magic: 'REDIS', version: 9 } as const;

/** The three digests of one payload: the transcoder's walk, the independent decoder's value, the written form's read-back (its bytes as they lie). */
function digestsBy(payload: Buffer, inWasm: boolean): { type: number; object: Buffer; walk: string; decoded: string; back: string; walked: boolean[] } {
  transcodeWalksInWasm(inWasm ? 'always' : false);
  try {
    const out = new RdbOut();
    const walk = new KeyListDigest();
    walk.valueHead(0, NAME, null);
    const type = transcodeListpacks(payload, out, walk);
    const walked = [lastWalkInWasm()];
    const decoded = new KeyListDigest();
    decoded.addValue(0, NAME, decodeDumpPayload(payload), null);
    const back = new KeyListDigest();
    back.valueHead(0, NAME, null);
    digestPlainForm(dumpPayloadFor(type, out.view(), RDB9), back);
    return { type, object: out.take(), walk: walk.hex(), decoded: decoded.hex(), back: back.hex(), walked };
  } finally {
    transcodeWalksInWasm('always');
  }
}

/**
 * {@link digestsBy} of both paths, held against each other: the WebAssembly
 * walks (write/transcode-wasm.ts) and JavaScript's write the same bytes and
 * feed the same digests. Returns the WebAssembly path's.
 */
function digests(payload: Buffer): { type: number; object: Buffer; walk: string; decoded: string; back: string; walked: boolean[] } {
  const js = digestsBy(payload, false);
  expect(js.walked).toEqual([false]);
  const wasm = digestsBy(payload, true);
  expect({ ...wasm, walked: undefined }).toEqual({ ...js, walked: undefined });
  return wasm;
}

/** A key's value as the server answers it, comparable across encodings. */
async function serverValue(c: Redis, key: string): Promise<unknown> {
  const type = await c.type(key);
  if (type === 'list') return c.lrangeBuffer(key, 0, -1);
  if (type === 'set') return (await c.smembersBuffer(key)).map((m) => m.toString('hex')).sort();
  if (type === 'zset') return c.call('ZRANGE', key, '0', '-1', 'WITHSCORES');
  if (type === 'hash') {
    const flat = await c.hgetallBuffer(key);
    return Object.entries(flat)
      .map(([f, v]) => `${Buffer.from(f).toString('hex')}=${v.toString('hex')}`)
      .sort();
  }
  throw new Error(`${key} is a ${type}`);
}

describe('transcodeListpacks against redis-server 7.0', () => {
  let server: RedisServer;
  let c: Redis;
  const ints = [
    0, 127, 128, -1, 4095, -4096, 4096, 32767, -32768, 32768, 8388607, -8388608, 8388608, 2147483647, -2147483648, 2147483648, 4294967295, -4294967295,
    4294967296, -4294967296,
  ];
  const bigInts = ['9007199254740993', '9223372036854775807', '-9223372036854775808'];
  const strings = ['', 'a', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096), 'v'.repeat(5000), '12a', '007', '-0', '1.5'];

  beforeAll(async () => {
    // Every value walked in WebAssembly, with a digest or without (by default migrate's, without, only from 192 bytes on).
    transcodeWalksInWasm('always');
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    c = server.client();
    await c.config('SET', 'hash-max-listpack-value', '300000');
    await c.config('SET', 'zset-max-listpack-value', '300000');
    await c.config('SET', 'hash-max-listpack-entries', '10000');
    await c.config('SET', 'zset-max-listpack-entries', '10000');
    // Small nodes, the inner ones LZF-compressed in memory (and so in the DUMP).
    await c.config('SET', 'list-max-listpack-size', '4');
    await c.config('SET', 'list-compress-depth', '1');
    await c.rpush('list:mixed', ...ints, ...bigInts, ...strings.filter((s) => s.length < 4096));
    await c.config('SET', 'list-max-listpack-size', '-2');
    await c.rpush('list:long-strings', 'w'.repeat(4096), 'v'.repeat(5000), 'a', ...ints);
    // Elements over the threshold are PLAIN nodes (one element each), one of them 1 MiB.
    await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '100');
    await c.rpush('list:plain-nodes', 'small', 'p'.repeat(200), '42', 'q'.repeat(1 << 20), 'tail');
    await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1073741824');
    const pairs = [...ints.map(String), ...bigInts, ...strings].flatMap((s, i) => [`${s}`, `${i % 3 === 0 ? i : s}`]);
    await c.hset('hash:mixed', ...pairs);
    await c.hset('hash:big-value', 'f', 'b'.repeat(200_000), '1', '2');
    // Distinct members throughout: its listpack, relabelled type 20, is a valid set listpack (Redis 7.0 writes none).
    await c.hset('hash:distinct', ...[...ints.map(String), ...bigInts, ...strings.filter((s) => s !== '-0').map((s) => `s${s}`), 'extra']);
    const scores = ['1', '-2', '1.5', '0.1', '1e300', '-1e-300', 'inf', '-inf', '9007199254740993', '3.141592653589793', '-0.5'];
    await c.zadd('zset:mixed', ...scores.flatMap((s, i) => [s, strings[i] ?? String(ints[i])]), ...ints.flatMap((n) => [String(n), `int-${n}`]));
    await c.zadd('zset:big-member', '7', 'm'.repeat(100_000), '8', '123');
  }, 60_000);
  afterAll(async () => {
    transcodeWalksInWasm(true);
    await server?.stop();
  });

  for (const key of ['list:mixed', 'list:long-strings', 'list:plain-nodes', 'hash:mixed', 'hash:big-value', 'zset:mixed', 'zset:big-member']) {
    it(`${key}: written plain, RESTOREd as RDB 9, the same value; the three digests agree`, async () => {
      const payload = await c.dumpBuffer(key);
      expect(transcodes(payload[0]!)).toBe(true);
      const d = digests(payload);
      expect(d.walk).toBe(d.decoded);
      expect(d.back).toBe(d.walk);
      // Walked in WebAssembly, but for a quicklist's plain nodes (JavaScript writes those) and values over the walk's 1 MiB.
      expect(d.walked).toEqual([key !== 'list:plain-nodes']);
      await c.call('RESTORE', `${key}:plain`, '0', dumpPayloadFor(d.type, d.object, RDB9));
      expect(await serverValue(c, `${key}:plain`)).toEqual(await serverValue(c, key));
    });
  }

  it('a list from parts (transcodeParts: a big value the reader kept in parts), cut anywhere: the same bytes and digest as from its bytes whole, in both walks', async () => {
    for (const key of ['list:mixed', 'list:long-strings', 'list:plain-nodes']) {
      const payload = await c.dumpBuffer(key);
      const whole = digests(payload);
      const object = payload.subarray(1, payload.length - DUMP_FOOTER_BYTES);
      for (const inWasm of [true, false])
        for (const cut of [1, 7, 4096, 1 << 20]) {
          const parts: Uint8Array[] = [];
          for (let i = 0; i < object.length; i += cut) parts.push(object.subarray(i, i + cut));
          const pieces: Uint8Array[] = [];
          const written: { type: number; head: Uint8Array }[] = [];
          const digest = new KeyListDigest();
          digest.valueHead(0, NAME, null);
          transcodeWalksInWasm(inWasm ? 'always' : false);
          try {
            transcodeParts(payload[0]!, parts, { piece: (p) => pieces.push(p), piecesWritten: (type, head) => written.push({ type, head }) }, digest);
          } finally {
            transcodeWalksInWasm('always');
          }
          const at = `${key} cut every ${cut} bytes, ${inWasm ? 'WebAssembly' : 'JavaScript'}`;
          expect(
            written.map((w) => w.type),
            at,
          ).toEqual([whole.type]);
          expect(Buffer.concat([written[0]!.head, ...pieces]).equals(whole.object), at).toBe(true);
          expect(digest.hex(), at).toBe(whole.walk);
          expect(lastWalkInWasm(), at).toBe(inWasm);
          // The 1 MiB plain node fills a piece: the value goes out in more than one, and the parts read before it are let
          // go from the caller's array (KeyInPlace.parts) as it is made.
          if (key === 'list:plain-nodes') {
            expect(pieces.length, at).toBeGreaterThan(1);
            // (Its LZF string, about 12 KB, ends past the first part when there are several.)
            if (parts.length > 1) expect(parts[0]!.length, at).toBe(0);
          }
        }
    }
  });

  it('the encodings are the ones meant: quicklist (plain and packed nodes), listpacks', async () => {
    for (const key of ['list:mixed', 'list:plain-nodes']) expect(await c.object('ENCODING', key)).toBe('quicklist');
    for (const key of ['hash:mixed', 'hash:big-value', 'zset:mixed', 'zset:big-member']) expect(await c.object('ENCODING', key)).toBe('listpack');
    const list = await c.dumpBuffer('list:mixed');
    expect(list[0]).toBe(18);
  });

  it("by default a value fed to a digest takes the WebAssembly walk, and one without (migrate's) from 192 bytes on: the same bytes", () => {
    const hashOf = (fields: number) => {
      const lp = Uint8Array.from(listpack(Array.from({ length: 2 * fields }, (_, i) => `field-or-value-${i}`)));
      return Buffer.from(
        dumpPayloadFor(16, Uint8Array.from([...(lp.length < 64 ? [lp.length] : [0x40 | (lp.length >> 8), lp.length & 0xff]), ...lp]), {
          magic: 'REDIS',
          version: 11,
        }),
      );
    };
    transcodeWalksInWasm(true);
    try {
      for (const [fields, bare] of [
        [1, false],
        [20, true],
      ] as const) {
        const out = new RdbOut();
        transcodeListpacks(hashOf(fields), out);
        expect(lastWalkInWasm(), `${fields} fields, no digest`).toBe(bare);
        transcodeListpacks(hashOf(fields), new RdbOut(), new KeyListDigest());
        expect(lastWalkInWasm(), `${fields} fields, a digest`).toBe(true);
        expect(digests(hashOf(fields)).object).toEqual(out.take());
      }
    } finally {
      transcodeWalksInWasm('always');
    }
  });

  it('a set listpack (RDB type 20, Redis 7.2): written as a plain set the server loads, its members', async () => {
    const payload = Buffer.from(await c.dumpBuffer('hash:distinct'));
    payload[0] = 20;
    const d = digests(payload);
    expect(d.type).toBe(2);
    expect(d.walked).toEqual([true]);
    expect(d.walk).toBe(d.decoded);
    expect(d.back).toBe(d.walk);
    await c.call('RESTORE', 'set:from-listpack', '0', dumpPayloadFor(d.type, d.object, RDB9));
    const flat = Object.entries(await c.hgetallBuffer('hash:distinct')).flatMap(([f, v]) => [Buffer.from(f).toString('hex'), v.toString('hex')]);
    expect(await serverValue(c, 'set:from-listpack')).toEqual(flat.sort());
  });

  it('a set listpack of integers only: written as the intset (type 11) the server loads, in each width; the digest as the read-back decodes it', async () => {
    const cases: [string, (number | bigint)[], number][] = [
      ['set:int16', [5, -3, 300, 0, -32768, 32767], 2],
      ['set:int32', [7, 70000, -2147483648, 1], 4],
      ['set:int64', [2n ** 40n, -9007199254740991n, 3], 8],
    ];
    for (const [key, items, width] of cases) {
      const lp = Uint8Array.from(listpack(items));
      const payload = Buffer.from(
        dumpPayloadFor(20, Uint8Array.from([...(lp.length < 64 ? [lp.length] : [0x40 | (lp.length >> 8), lp.length & 0xff]), ...lp]), {
          magic: 'REDIS',
          version: 11,
        }),
      );
      const out = new RdbOut();
      const walk = new KeyListDigest();
      walk.valueHead(0, NAME, null);
      expect(transcodeListpacks(payload, out, walk), key).toBe(11);
      expect(lastWalkInWasm(), key).toBe(true); // the WebAssembly path's (its intset by JavaScript's intsetOf, as there)
      const written = dumpPayloadFor(11, out.view(), RDB9);
      expect(written.readUInt32LE(2), key).toBe(width);
      const back = new KeyListDigest();
      back.addValue(0, NAME, decodeDumpPayload(written), null);
      expect(walk.hex(), key).toBe(back.hex());
      await c.call('RESTORE', key, '0', written);
      expect(((await c.smembers(key)) as string[]).sort(), key).toEqual(items.map(String).sort());
    }
    // One string member: the plain set, as before.
    const mixed = Uint8Array.from(listpack([1, 2, 'x']));
    const payload = Buffer.from(dumpPayloadFor(20, Uint8Array.from([mixed.length, ...mixed]), { magic: 'REDIS', version: 11 }));
    expect(transcodeListpacks(payload, new RdbOut())).toBe(2);
    // Negative: a member twice (no server writes it) is refused, not written as an intset Redis would refuse.
    const twice = Uint8Array.from(listpack([4, 9, 4]));
    const dup = Buffer.from(dumpPayloadFor(20, Uint8Array.from([twice.length, ...twice]), { magic: 'REDIS', version: 11 }));
    expect(() => transcodeListpacks(dup, new RdbOut())).toThrow(/holds 4 twice/);
  });

  it('an empty listpack: an empty plain value, digests agree', () => {
    // Type 16, a 7-byte listpack (header, 0 entries, end byte), an RDB 10 footer.
    const lp = Buffer.from([7, 0, 0, 0, 0, 0, 0xff]);
    const payload = Buffer.from(dumpPayloadFor(16, Buffer.concat([Buffer.from([lp.length]), lp]), { magic: 'REDIS', version: 10 }));
    const d = digests(payload);
    expect(d).toMatchObject({ type: 4, object: Buffer.from([0]) });
    expect(d.walk).toBe(d.decoded);
    expect(d.back).toBe(d.walk);
  });

  it('negative: a listpack cut short, or with an unknown entry encoding, is refused, not written', () => {
    const lp = Buffer.from([9, 0, 0, 0, 1, 0, 0xf5, 1, 0xff]);
    const bad = Buffer.from(dumpPayloadFor(20, Buffer.concat([Buffer.from([lp.length]), lp]), { magic: 'REDIS', version: 11 }));
    expect(() => transcodeListpacks(bad, new RdbOut())).toThrow(/encoding 0xf5/);
    const cut = Buffer.from([9, 0, 0, 0, 1, 0, 0x85, 1, 0xff]);
    const short = Buffer.from(dumpPayloadFor(20, Buffer.concat([Buffer.from([cut.length]), cut]), { magic: 'REDIS', version: 11 }));
    expect(() => transcodeListpacks(short, new RdbOut())).toThrow(/runs past its end/);
  });

  it('negative: a listpack whose header counts other entries than it holds is refused (its count is written first)', () => {
    const asSet = (header: number, items: (string | number)[] = ['a', 'b']) => {
      const lp = Uint8Array.from(listpack(items));
      lp[4] = header; // the header's entry count
      return Buffer.from(dumpPayloadFor(20, Buffer.concat([Buffer.from([lp.length]), lp]), { magic: 'REDIS', version: 11 }));
    };
    const out = new RdbOut();
    expect(transcodeListpacks(asSet(2), out)).toBe(2);
    expect(out.take()).toEqual(Buffer.from([2, 1, 0x61, 1, 0x62]));
    // Integers only (written as an intset): the same check.
    expect(() => transcodeListpacks(asSet(3, [1, 2]), new RdbOut())).toThrow(/declares 3 entries and holds 2/);
    expect(() => transcodeListpacks(asSet(3), new RdbOut())).toThrow(/declares 3 entries and holds 2/);
    expect(() => transcodeListpacks(asSet(1), new RdbOut())).toThrow(/declares 1 entries and holds 2/);
  });

  it('negative: a digest of another element order or boundary differs (the walk feeds elements, not bytes)', () => {
    const listOf = (items: readonly string[]): KeyListDigest => {
      const d = new KeyListDigest();
      d.valueHead(0, NAME, null);
      d.kind('list');
      for (const s of items) d.element(Buffer.from(s), 0, s.length);
      d.end(items.length);
      return d;
    };
    const one = listOf(['ab', 'c']);
    const other = listOf(['a', 'bc']);
    expect(one.hex()).not.toBe(other.hex());
  });
});

const scoreReaders: [string, (b: Uint8Array, from: number, to: number) => number][] = [
  ['shortDecimal', shortDecimal],
  ['the WebAssembly walk (transcode-wasm.ts)', (b, from, to) => scoreInWasm(b, from, to) ?? Number.POSITIVE_INFINITY],
];
for (const [reader, read] of scoreReaders)
  describe(`${reader}: a score read without a string, exactly as Number reads it`, () => {
    const at = (text: string) => {
      const b = Buffer.from(`##${text}##`, 'latin1');
      return read(b, 2, b.length - 2);
    };

    it('equals Number(text), bit for bit, on 50,000 seeded decimals of up to 15 significant digits (and -0)', () => {
      const rand = mulberry32(55);
      const digits = (n: number) => {
        let text = '';
        for (let k = 0; k < n; k++) text += Math.floor(rand() * 10);
        return text;
      };
      // Each text's reading judged here and the wrong ones listed, held empty once: an assertion a text cost more than the reads.
      const wrong: string[] = [];
      let checked = 0;
      const check = (text: string) => {
        checked++;
        if (!Object.is(at(text), Number(text))) wrong.push(`${text}: ${at(text)} against ${Number(text)}`);
      };
      for (let i = 0; i < 50_000; i++) {
        const whole = digits(Math.floor(rand() * 9));
        const fraction = digits(Math.floor(rand() * (16 - whole.length)));
        const text = `${rand() < 0.3 ? '-' : ''}${whole}${fraction || rand() < 0.5 ? `.${fraction}` : ''}`;
        if (!/\d/.test(text)) continue;
        check(text);
      }
      for (const text of ['0', '-0', '007', '1.', '.5', '-.5', '0.1', '0.000000000000000000001', '999999999999999', '900719925.474099', '269.01', '6440.5'])
        check(text);
      expect(wrong).toEqual([]);
      expect(checked).toBeGreaterThan(45_000);
    });

    it('16–17 significant digits (Redis 7.0 writes %.17g): equal to Number(text), bit for bit, on 400,000 seeded texts, ties and binade edges', () => {
      const rand = mulberry32(5517);
      const f64 = new Float64Array(1);
      const u32 = new Uint32Array(f64.buffer);
      let read = 0;
      const wrong: string[] = [];
      const check = (text: string) => {
        const v = at(text);
        if (Number.isNaN(v)) return; // left to Number: never a wrong double
        read++;
        if (!Object.is(v, Number(text))) wrong.push(`${text}: ${v} against ${Number(text)}`);
      };
      for (let i = 0; i < 100_000; i++) {
        // The texts Redis 7.0 writes: %.17g of a double (toPrecision(17) is the correctly rounded 17 digits).
        const x = rand() * 10 ** Math.floor(rand() * 12) * (rand() < 0.2 ? -1 : 1);
        const t = x.toPrecision(17);
        if (!t.includes('e')) check(t);
        // A double of random bits in [1e-4, 1e16): any mantissa, 17 digits.
        u32[0] = Math.floor(rand() * 2 ** 32);
        u32[1] = (Math.floor(rand() * 2 ** 20) | ((1010 + Math.floor(rand() * 43)) << 20)) >>> 0;
        const y = f64[0]!.toPrecision(17);
        if (!y.includes('e')) check(y);
        // Random digit strings of 16–17 significant digits, the point anywhere (not a double's text: rounding between two).
        const n = 16 + Math.floor(rand() * 2);
        // Appended in a loop (the same draws in the same order): an array of one-digit strings joined per text was a quarter of
        // this test's CPU.
        let digits = String(1 + Math.floor(rand() * 9));
        for (let k = 1; k < n; k++) digits += Math.floor(rand() * 10);
        const cut = Math.floor(rand() * (n + 1));
        check(`${digits.slice(0, cut)}${cut < n ? '.' : ''}${digits.slice(cut)}`);
        // Halfway between two doubles of [2^53, 2^57) (integers: spacing 2, 4, 8, 16): ties to even, and one off either side.
        const e = 53 + Math.floor(rand() * 4);
        const spacing = 2 ** (e - 52);
        const mid = BigInt(2 ** e) + BigInt(Math.floor(rand() * 2 ** 52)) * BigInt(spacing) + BigInt(spacing / 2);
        for (const d of [mid - 1n, mid, mid + 1n]) {
          const s = String(d);
          check(s);
          check(`${s.slice(0, 5)}.${s.slice(5)}`);
        }
      }
      // Just below and above the exact halfway point between a double of [1, 1e15) and the next (17 digits of it, truncated and one up).
      for (let i = 0; i < 20_000; i++) {
        const x = (1 + rand() * 10 ** Math.floor(rand() * 15)) * (1 + 2 ** -30);
        f64[0] = x;
        const bits = (BigInt(u32[1]!) << 32n) | BigInt(u32[0]!);
        const exponent = Number((bits >> 52n) & 0x7ffn) - 1075;
        const mantissa = ((bits & ((1n << 52n) - 1n)) | (1n << 52n)) * 2n + 1n; // the midpoint: (2m + 1) · 2^(e - 1)
        const scale = -(exponent - 1);
        const exact = String(mantissa * 5n ** BigInt(scale)); // midpoint · 10^scale
        const whole = exact.length - scale;
        const lead = exact.slice(0, 17);
        for (const digits of [lead, String(BigInt(lead) + 1n)])
          if (digits.length === 17 && whole > 0 && whole < 17) check(`${digits.slice(0, whole)}.${digits.slice(whole)}`);
      }
      for (const text of [
        '9007199254740993',
        '9007199254740995',
        '9007199254740997',
        '1184.9000000000001',
        '1023.3200000000001',
        '18014398509481986',
        '18014398509481990',
        '18014398509481984',
        '36028797018963968',
        '72057594037927928',
        '99999999999999999',
        '0.10000000000000001',
        '269.00999999999999',
        '0.00012345678901234567',
      ])
        check(text);
      expect(wrong.slice(0, 5)).toEqual([]);
      // Most of these are read here (not left to Number): the fast path is taken.
      expect(read).toBeGreaterThan(300_000);
    });

    it('leaves every other form to Number (NaN here): 18+ significant digits, exponents, signs, infinities, text', () => {
      for (const text of [
        '269.019999999999981',
        '123456789012345678',
        '1e300',
        '-1e-300',
        '+5',
        'inf',
        '-inf',
        'nan',
        '',
        '-',
        '.',
        '1.2.3',
        '12a',
        ' 1',
        '0.00000000000000000000001',
      ])
        expect(at(text), text).toBeNaN();
    });
  });

describe("the WebAssembly walk's score reading (transcode-wasm.ts scoreCode) of short texts", () => {
  it('negative: 60,000 seeded texts of up to 9 characters of digits, points, signs, letters and spaces, read where they lie between other bytes: whatever it takes or leaves (NaN), the same as shortDecimal', () => {
    const rand = mulberry32(2612);
    const alphabet = '0123456789..--+e x/:';
    const inWasm = (text: string, after: string) => {
      const b = Buffer.from(`#${text}${after}`, 'latin1');
      return scoreInWasm(b, 1, 1 + text.length);
    };
    const wrong: string[] = [];
    const check = (text: string, after: string) => {
      const b = Buffer.from(text, 'latin1');
      if (!Object.is(inWasm(text, after), shortDecimal(b, 0, b.length)))
        wrong.push(`${JSON.stringify(text)}: ${inWasm(text, after)} against ${shortDecimal(b, 0, b.length)}`);
    };
    for (let i = 0; i < 60_000; i++) {
      let text = '';
      for (let k = 1 + Math.floor(rand() * 9); k > 0; k--) text += alphabet[Math.floor(rand() * alphabet.length)];
      check(text, i % 2 === 0 ? '' : '9.9.9.9.9');
    }
    for (const text of [
      '.',
      '-',
      '-.',
      '..',
      '1..',
      '1.2.',
      '.1.',
      '12345678.',
      '.12345678',
      '1234.5678',
      '-1234567',
      '00000000',
      '-0',
      '9999.999',
      '1/',
      ':1',
    ])
      check(text, '9.9.9.9.9');
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
