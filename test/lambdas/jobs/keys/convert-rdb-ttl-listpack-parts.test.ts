import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { hashFieldTtls } from '../../../../lambdas/domain/rdb/write/source-forms.js';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { int, listpack, str } from '../../../support/listpack-entries.js';
import { sameVerdictInChunks } from '../../../support/rdb-bytes.js';
import { frameFile } from '../../../support/rdb-newer.js';

/**
 * Issue 55: a big Redis 7.4 hash with field TTLs in listpack form (RDB 25; 23, its release candidates' form without
 * the earliest expiry before it) is validated as it streams by (its field TTLs checked as they go by: format/blob-members.ts
 * ListpackTtls) and re-encoded from the reader's parts entry by entry (write/ttl-hash-parts.ts), not gathered whole.
 * The verdicts are the gathered ones' (each file verified whole and in cut chunks), and what a conversion writes holds
 * every live field with its TTL (Valkey 9's type 22), or without (`--lossy field-ttl`, a plain hash), expired ones left out.
 */

const NOW = Date.now();
const FIELDS = 1500;
/** Field i's expiry: the first third expired an hour ago (ascending), the next third in 30 days (ascending), the rest none. */
const expiry = (i: number): bigint => (i < FIELDS / 3 ? BigInt(NOW - 3_600_000 + i) : i < (2 * FIELDS) / 3 ? BigInt(NOW + 30 * 86_400_000 + i) : 0n);
const value = (i: number): string => `${i}:`.padEnd(2000 + (i % 300), String.fromCharCode(97 + (i % 26)));

/** The listpack of (field, value, TTL) triplets, `ttl` giving each field's TTL entry. */
function triplets(ttl: (i: number) => number[] = (i) => int(expiry(i), 64), fields = FIELDS): Uint8Array {
  const entries: number[][] = [];
  for (let i = 0; i < fields; i++) entries.push(str(`field:${i}`), str(value(i)), ttl(i));
  return listpack(entries);
}

/** An RDB 12 file of one small string and key `big` of type 25 (or 23) holding `lp`. */
function fileOf(lp: Uint8Array, type: 23 | 25 = 25): Buffer {
  const object = new RdbOut(lp.length + 32);
  if (type === 25) object.int64(NOW - 3_600_000);
  object.string(lp);
  return frameFile(
    'REDIS0012',
    [
      { db: 0, name: 'a', type: 0, object: new RdbOut(16).string(Buffer.from('small')).take(), expireAtMs: null },
      { db: 0, name: 'big', type, object: object.view(), expireAtMs: null },
    ],
    [],
    { 'redis-ver': '7.4.0' },
  );
}

describe('a big hash with field TTLs in listpack form (types 23, 25): streamed, and re-encoded from parts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-ttl-lp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is validated as it streams by with the verdicts of the gathered walk: TTLs out of order, not integers, past 2^48, a field twice', () => {
    const lp = triplets();
    expect(lp.length).toBeGreaterThan(2 << 20);
    expect(sameVerdictInChunks(fileOf(lp)).ok).toBe(true);
    expect(sameVerdictInChunks(fileOf(lp, 23)).ok).toBe(true);
    const refused = (bytes: Uint8Array, message: RegExp): void => {
      const r = sameVerdictInChunks(bytes);
      expect(r.ok).toBe(false);
      expect(r.error?.message).toMatch(message);
    };
    // Deep in the value (past the first chunks): one TTL below the one before it, a TTL after the fields without one.
    refused(fileOf(triplets((i) => int(i === 900 ? expiry(899) - 5n : expiry(i), 64))), /the TTL of field 901 .* is before the one of the field ahead of it/);
    refused(fileOf(triplets((i) => int(i === 1400 ? BigInt(NOW) : expiry(i), 64))), /field 1401 has a TTL after a field without one/);
    refused(fileOf(triplets((i) => (i === 1200 ? str('soon') : int(expiry(i), 64)))), /the TTL of field 1201 is not an integer/);
    refused(fileOf(triplets((i) => int(i >= 1000 ? 2n ** 49n + BigInt(i) : expiry(i), 64))), /the TTL of field 1001 .* is outside 0 to 2\^48 - 1 ms/);
    const entries: number[][] = [];
    for (let i = 0; i < FIELDS; i++) entries.push(str(`field:${i === 1300 ? 7 : i}`), str(value(i)), int(expiry(i), 64));
    refused(fileOf(listpack(entries)), /hash fields/);
  }, 60_000);

  it('is re-encoded from the reader parts: every live field with its TTL for Valkey 9 (type 22), without for Redis 6.2 (--lossy field-ttl), expired ones left out', async () => {
    for (const type of [25, 23] as const) {
      const input = join(dir, `in-${type}.rdb`);
      writeFileSync(input, fileOf(triplets(), type));
      const live = new Map<string, { value: string; expireAt: number | null }>();
      for (let i = 0; i < FIELDS; i++)
        if (expiry(i) === 0n || expiry(i) > BigInt(NOW)) live.set(`field:${i}`, { value: value(i), expireAt: expiry(i) === 0n ? null : Number(expiry(i)) });
      for (const [engine, lossy, wantType] of [
        ['valkey-9.0', undefined, 22],
        ['redis-6.2', 'field-ttl', 4],
      ] as const) {
        const output = join(dir, `out-${type}-${engine}.rdb`);
        const r = await convertRdb({ input, output, force: true, ...convertTarget({ for: engine }), ...(lossy ? { lossy: new Set([lossy] as const) } : {}) });
        expect(r.error, `${type} for ${engine}`).toBeUndefined();
        expect(r.reencoded).toBe(1);
        expect(r.expired.fields).toBe(FIELDS / 3);
        const reader = new RdbKeyReader({ payloadVersion: 11 });
        const keys = reader.push(readFileSync(output));
        expect(reader.end().ok).toBe(true);
        const big = keys.find((k) => k.name.toString() === 'big')!;
        expect(big.type).toBe(wantType);
        // Valkey 9's type 22 read as Valkey's (its magic), a plain hash as any.
        const h = wantType === 22 ? hashFieldTtls(big.payload, true) : undefined;
        const v = h ? undefined : decodeDumpPayload(big.payload);
        const pairs = h?.fields ?? (v?.type === 'hash' ? v.fields : []);
        const got = new Map(
          pairs.map(([f, x], i) => [f.toString(), { value: x.toString(), expireAt: h ? (h.expireAt[i] === 0 ? null : h.expireAt[i]!) : null }]),
        );
        const want = engine === 'valkey-9.0' ? live : new Map([...live].map(([f, x]) => [f, { value: x.value, expireAt: null }]));
        expect(got.size).toBe(want.size);
        for (const [f, x] of want) expect(got.get(f), f).toEqual(x);
      }
    }
  }, 120_000);
});
