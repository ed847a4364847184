import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RdbReport } from '../../../../lambdas/domain/rdb/report.js';
import { RdbFileWriter } from '../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { int, listpack, str } from '../../../support/listpack-entries.js';
import { compressibleText, lzfCompress } from '../../../support/lzf-compress.js';
import { mulberry32 } from '../../../support/prng.js';
import { sameVerdictInChunks, verify } from '../../../support/rdb-bytes.js';
import { frameFile, redis24 } from '../../../support/rdb-newer.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';
/**
 * Issue 55: a big Redis 7.4 hash with field TTLs in listpack form (RDB 25, and 23 of its release candidates) stored
 * LZF-compressed, as `rdbcompression yes` stores a big listpack. The parser expands and validates it as it streams by
 * (format/lzf-listpack.ts into listpack-stream.ts, its TTLs checked as they go by), with the verdicts of the gathered
 * walk (each file verified whole and in cut chunks); a conversion re-encodes it from the reader's parts as it expands
 * them (write/ttl-hash-parts.ts on transcode-parts.ts lzfExpanding), neither its compressed body nor its expansion held
 * whole, into the bytes the same fields give stored plain (types 25, 23) or field by field (24).
 */
/** A field: name, value, and its TTL (absolute ms, 0 for none; a string: stored as that text). */
type Field = readonly [name: string, value: string, ttl: number | string];

/** The triplets' listpack entries (a TTL of 0 in 7 bits, else in 64; a string TTL as a string entry). */
const entries = (fields: readonly Field[]): number[][] =>
  fields.flatMap(([f, v, t]) => [str(f), str(v), typeof t === 'string' ? str(t) : int(BigInt(t), t === 0 ? 7 : 64)]);

/** The LZF form of each listpack compressed so far: a listpack used in several files is compressed once. */
const compressedForms = new WeakMap<Uint8Array, Uint8Array>();
function compressed(lp: Uint8Array): Uint8Array {
  let z = compressedForms.get(lp);
  if (z === undefined) compressedForms.set(lp, (z = lzfCompress(lp)));
  return z;
}

/** An RDB 12 file of one small string and key `big` of RDB `type` (23 or 25) whose listpack is `lp`, LZF-compressed (`lzf`) or plain. */
function rdbOf(type: 23 | 25, lp: Uint8Array, lzf = false, plainLength = lp.length): Uint8Array {
  const w = new RdbFileWriter({ magic: 'REDIS', version: 12 }, [['redis-ver', '7.4.0']]);
  const chunks: Buffer[] = [];
  w.key(0, Buffer.from('a'), 0, new RdbOut(16).string(Buffer.from('small')).take(), null);
  const z = lzf ? compressed(lp) : lp;
  const object = new RdbOut(z.length + 32);
  if (type === 25) object.int64(1_900_000_000_000);
  if (lzf) object.byte(0xc3).len(z.length).len(plainLength).bytes(z);
  else object.string(lp);
  w.key(0, Buffer.from('big'), type, object.take(), null);
  while (w.full) chunks.push(Buffer.from(w.chunk()));
  chunks.push(w.end());
  return Buffer.concat(chunks);
}

const text = compressibleText;

/**
 * `count` fields of 1-2 KB values (12-bit string lengths; a few over 64 KiB: streamed, not gathered), the first third
 * with ascending TTLs (one stored as text), the rest without. 1,200 of them: a listpack of about 2.6 MB (over 2 MiB:
 * three 1 MiB pieces of expansion) compressed to about 1.3 MB (over the 1 MiB a listpack streams from), both checked.
 */
function fields(count: number, seed: number): Field[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, i): Field => {
    const ttl = i < count / 3 ? 1_900_000_000_000 + i * 1000 : 0;
    return [`f${i}`, text(i % 97 === 5 ? 70_000 + i : 1000 + (i % 900), random), i === 7 ? String(ttl) : ttl];
  });
}

const refused = (bytes: Uint8Array, message: RegExp): RdbReport => {
  const r = sameVerdictInChunks(bytes);
  expect(r.ok).toBe(false);
  expect(r.error?.message).toMatch(message);
  return r;
};

describe('a big LZF-compressed listpack hash with field TTLs (RDB 23, 25) validated as it streams by', () => {
  const good = fields(1200, 1);
  const lp = listpack(entries(good));

  it('accepts a valid one as the gathered walk does (and the same stored plain)', () => {
    expect(lp.length).toBeGreaterThan(2 << 20);
    expect(compressed(lp).length).toBeGreaterThan(1 << 20);
    for (const type of [23, 25] as const) {
      for (const lzf of [false, true]) {
        const r = sameVerdictInChunks(rdbOf(type, lp, lzf));
        expect(r.ok, `type ${type}, lzf ${lzf}: ${r.error?.message}`).toBe(true);
        expect(r.keys).toBe(2);
      }
    }
  }, 60_000);

  it('refuses each TTL Redis refuses, in the gathered walk’s words (a TTL long enough to stream, in the plain form too)', () => {
    const at = (i: number, ttl: number | string): Field[] => good.map((f, j): Field => (j === i ? [f[0], f[1], ttl] : f));
    const cases: [Field[], RegExp][] = [
      [at(300, '1900000300000x'), /hash listpack with field TTLs: the TTL of field 301 is not an integer/],
      [at(200, 'x'.repeat(70_000)), /the TTL of field 201 is not an integer/], // a TTL longer than an entry gathered whole
      [at(900, 1_900_000_900_000), /field 901 has a TTL after a field without one/],
    ];
    for (const [i, [changed, message]] of cases.entries()) {
      for (const lzf of i === 1 ? [false, true] : [true]) {
        const r = refused(rdbOf(25, listpack(entries(changed)), lzf), message);
        expect(r.error?.message).toMatch(/Redis refuses it \("Hash listpack integrity check failed"\)/);
      }
    }
    // A TTL problem and, further on, a corrupt entry: the listpack's problem is said, as the gathered walk (which checks the TTLs after the listpack) says it.
    const both = listpack(entries(at(100, 'x')));
    const entryAt = Buffer.from(both).indexOf(Buffer.from('f1100')) - 1;
    expect(both[entryAt]).toBe(0x85);
    both[entryAt] = 0xf5;
    refused(rdbOf(25, both), /listpack/);
    expect(verify(rdbOf(25, both)).error?.message).not.toMatch(/TTL/);
  }, 120_000);

  it('refuses a corrupt, cut or misdeclared LZF body with the gathered walk’s verdict', () => {
    refused(rdbOf(25, lp, true, lp.length + 1), /LZF output is \d+ bytes, declared \d+/);
    refused(rdbOf(25, lp, true, lp.length - 1), /LZF output exceeds the declared length/);
    const file = rdbOf(25, lp, true);
    const body = compressed(lp);
    const bodyAt = Buffer.from(file).indexOf(Buffer.from(body.subarray(0, 64)));
    expect(bodyAt).toBeGreaterThan(0);
    const random = mulberry32(9);
    for (let i = 0; i < 8; i++) {
      const changed = Uint8Array.from(file);
      changed[bodyAt + Math.floor(random() * body.length)] ^= 1 + Math.floor(random() * 255);
      expect(sameVerdictInChunks(changed).ok).toBe(false);
    }
    // Cut inside the compressed body: a file that ends too soon.
    const cut = file.subarray(0, bodyAt + (body.length >> 1));
    expect(sameVerdictInChunks(cut).ok).toBe(false);
  }, 120_000);
});

/** About 3.1 MB of listpack, some 1.5 MB LZF-compressed: each form over the 1 MiB the reader keeps in parts (checked). */
const FIELDS = 1800;
/** A field's expiry: 0 (none), or absolute ms. */
type TtlField = readonly [name: string, value: string, expireAt: number];

/** The fields' listpack, made once for its four forms. */
const listpacks = new WeakMap<readonly TtlField[], Uint8Array>();
function listpackOf(fields: readonly TtlField[]): Uint8Array {
  let lp = listpacks.get(fields);
  if (lp === undefined) {
    // An integer field name, an integer value and a TTL stored as text among them, as a listpack may hold them.
    lp = listpack(
      fields.flatMap(([f, v, t], i) => [
        i === 5 ? int(12345n) : str(f),
        i === 6 ? int(-7n, 16) : str(v),
        i === 8 ? str(String(t)) : int(BigInt(t), t === 0 ? 7 : 64),
      ]),
    );
    listpacks.set(fields, lp);
  }
  return lp;
}

/** Redis 7.4's type 25 (the earliest expiry, then the listpack) or 23 (the listpack alone), its listpack LZF-compressed with `lzf`. */
function listpackForm(type: 23 | 25, fields: readonly TtlField[], lzf: boolean): Uint8Array {
  const lp = listpackOf(fields);
  const out = new RdbOut(lp.length + 32);
  if (type === 25) out.int64(Math.min(...fields.map(([, , t]) => t).filter((t) => t !== 0)));
  if (!lzf) return out.string(lp).take();
  const z = compressed(lp);
  return out.byte(0xc3).len(z.length).len(lp.length).bytes(z).take();
}

describe('convertRdb: a big listpack hash with field TTLs (RDB 23, 25) re-encoded from the reader’s parts (issue 55)', () => {
  let dir: string;
  const servers: RedisServer[] = [];
  const now = Date.now();
  const past = now - 3_600_000;
  const later = now + 30 * 86_400_000;
  const random = mulberry32(25);
  /** Text LZF compresses about in half. */
  const text = (n: number): string => {
    let t = '';
    while (t.length < n) t += `${['alpha', 'bravo', 'charlie', 'delta'][Math.floor(random() * 4)]}${Math.floor(random() * 1000)} `;
    return t;
  };
  /** A third expired, a third with a TTL to come (ascending, fields with a TTL first, as Redis keeps them), a third with none. */
  const fields: TtlField[] = Array.from({ length: FIELDS }, (_, i) => [
    i === 5 ? '12345' : `f${i}`,
    i === 6 ? '-7' : `${i}:${text(i % 97 === 50 ? 70_000 + i : 1000 + (i % 13))}`,
    i < FIELDS / 3 ? past + i : i < (2 * FIELDS) / 3 ? later + i : 0,
  ]);
  const live = Object.fromEntries(fields.filter(([, , t]) => t === 0 || t >= now).map(([f, v]) => [f, v]));
  const files: Record<string, string> = {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-ttl-listpack-parts-'));
    const plain = { db: 0, name: 'plain', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null };
    const inputs: [string, number, Uint8Array][] = [
      ['24', 24, redis24(fields)],
      ['25', 25, listpackForm(25, fields, false)],
      ['25-lzf', 25, listpackForm(25, fields, true)],
      ['23', 23, listpackForm(23, fields, false)],
      ['23-lzf', 23, listpackForm(23, fields, true)],
    ];
    for (const [name, type, object] of inputs) {
      expect(object.length, name).toBeGreaterThan(1 << 20); // kept in parts by the reader
      files[name] = join(dir, `${name}.rdb`);
      writeFileSync(
        files[name],
        frameFile('REDIS0012', [plain, { db: 0, name: 'big', type, object, expireAtMs: null }], [], { 'redis-ver': '7.4.0', ctime: '1790000000' }),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes for Redis 7.0 (--lossy field-ttl) and Valkey 9 the bytes the same fields give stored plain (25, 23) and field by field (24); the real 7.0 loads the plain one', async () => {
    for (const [engine, lossy] of [
      ['redis-7.0', 'field-ttl'],
      ['valkey-9.0', ''],
    ] as const) {
      const outputs: Record<string, Buffer> = {};
      for (const name of ['24', '25', '25-lzf', '23', '23-lzf']) {
        const output = join(dir, `${name}-${engine}.rdb`);
        const r = await convertRdb({ input: files[name]!, output, ...convertTarget({ for: engine }), lossy: parseLossy(lossy) });
        expect(r.error, `${name} → ${engine}`).toBeUndefined();
        expect(r.reencoded).toBe(1);
        expect(r.expired).toMatchObject({ hashes: 0, fields: FIELDS / 3 });
        outputs[name] = readFileSync(output);
      }
      for (const name of ['25', '25-lzf', '23', '23-lzf']) expect(outputs[name]!.equals(outputs['24']!), `${name} → ${engine}: as type 24's`).toBe(true);
    }
    const server = await startRedisServer({ loadRdb: join(dir, '25-lzf-redis-7.0.rdb') });
    servers.push(server);
    const c = server.client();
    expect(await c.hgetall('big')).toEqual(live);
    expect(await c.get('plain')).toBe('v');
  }, 120_000);

  it('copies a type 25 as it is for Redis 7.4, which reads it', async () => {
    const output = join(dir, '25-74.rdb');
    const r = await convertRdb({ input: files['25-lzf']!, output, ...convertTarget({ for: 'redis-7.4' }) });
    expect(r.error).toBeUndefined();
    expect(r.reencoded).toBe(0);
    const input = readFileSync(files['25-lzf']!);
    // The last MiB of its compressed listpack (before EOF and the CRC-64), in the output as it was.
    expect(readFileSync(output).includes(input.subarray(input.length - (1 << 20), input.length - 9))).toBe(true);
  }, 60_000);
});
