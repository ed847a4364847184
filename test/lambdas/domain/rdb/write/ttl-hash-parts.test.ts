/**
 * A big hash with field TTLs read back from parts (write/ttl-hash-parts.ts digestTtlHashParts, convert-rdb's read-back
 * of one it re-encoded, issue 55) digests as KeyListDigest.addValue digests its decoded value, wherever the parts are
 * cut: Valkey 9's type 22 and Redis 7.4's 24, with TTLs and without any; and a TTL changed is another digest.
 */
import { describe, expect, it } from 'vitest';
import { decodeDumpPayload } from '../../../../../lambdas/domain/rdb/format/value.js';
import { KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { dumpPayloadFor } from '../../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { digestTtlHashParts } from '../../../../../lambdas/domain/rdb/write/ttl-hash-parts.js';
import { redis24 } from '../../../../support/rdb-newer.js';

const cut = (b: Uint8Array, size: number): Uint8Array[] => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.slice(i * size, (i + 1) * size));

type Field = readonly [string, string, number];

function valkey22(fields: readonly Field[]): Uint8Array {
  const out = new RdbOut(1024).len(fields.length);
  for (const [f, v, t] of fields)
    out
      .string(Buffer.from(f))
      .string(Buffer.from(v))
      .int64(t === 0 ? -1 : t);
  return out.take();
}

const FORMATS = { 22: { magic: 'VALKEY', version: 80 }, 24: { magic: 'REDIS', version: 12 } } as const;

describe('digestTtlHashParts: a hash with field TTLs in parts, digested as its decoded value', () => {
  const withTtls: Field[] = Array.from({ length: 300 }, (_, i) => [`field-${i}`, `value ${i} `.repeat(i % 7), i % 3 === 0 ? 0 : 1_900_000_000_000 + i * 1000]);
  const noTtl: Field[] = withTtls.map(([f, v]) => [f, v, 0]);

  const byValue = (type: 22 | 24, object: Uint8Array): string => {
    const d = new KeyListDigest();
    const value = decodeDumpPayload(dumpPayloadFor(type, object, FORMATS[type]));
    d.addValue(0, Buffer.from('h'), value, null);
    return d.hex();
  };
  const byParts = (type: 22 | 24, parts: Uint8Array[]): string => {
    const d = new KeyListDigest();
    d.valueHead(0, Buffer.from('h'), null);
    digestTtlHashParts(type, type === 22, parts, d);
    return d.hex();
  };

  it.each([22, 24] as const)('type %i: the same digest from parts cut every 1, 7, 4096 bytes or whole, with TTLs and without', (type) => {
    for (const fields of [withTtls, noTtl]) {
      if (type === 24 && fields === noTtl) continue; // Redis writes a hash without TTLs as a plain one
      const object = (type === 22 ? valkey22 : redis24)(fields);
      const expected = byValue(type, object);
      for (const size of [1, 7, 4096, object.length]) expect(byParts(type, cut(object, size)), `parts of ${size}`).toBe(expected);
    }
    // Negative: one TTL moved by a millisecond is another digest.
    const moved = withTtls.map(([f, v, t], i): Field => [f, v, i === 1 ? t + 1 : t]);
    expect(byParts(type, cut((type === 22 ? valkey22 : redis24)(moved), 7))).not.toBe(byValue(type, (type === 22 ? valkey22 : redis24)(withTtls)));
  });
});
