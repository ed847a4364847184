import { describe, expect, it } from 'vitest';
import { decodeKeySegment, encodeKeySegment } from '../../../../lambdas/domain/serve/index-segment.js';
import type { IndexedKey } from '../../../../lambdas/domain/serve/key-index.js';

const OF = { etag: '"abc"', versionId: 'v1', start: 100, end: 1_000 };
const KEYS: IndexedKey[] = [
  { db: 0, name: Buffer.from('zeta'), type: 0, valueAt: 120, valueEnd: 130, expireAtMs: null },
  { db: 3, name: Buffer.from([0, 0xff]), type: 14, valueAt: 500, valueEnd: 1_000, expireAtMs: 1_700_000_000_123 },
];

function decoded(file: Buffer, of = OF): IndexedKey[] | string {
  const out: IndexedKey[] = [];
  const problem = decodeKeySegment(file, of, (k) => out.push({ ...k, name: Buffer.from(k.name) }));
  return problem ? problem.problem : out;
}

describe('a key index segment (one verifier invocation’s keys)', () => {
  it('reads back every key it holds', () => {
    expect(decoded(encodeKeySegment(OF, KEYS))).toEqual(KEYS);
  });

  it('refuses a changed one, one of another object version or byte range, and a key outside its range', () => {
    const file = encodeKeySegment(OF, KEYS);
    const changed = Buffer.from(file);
    changed[40]! ^= 1;
    expect(decoded(changed)).toBe('its SHA-256 does not match its bytes (damaged)');
    expect(decoded(file, { ...OF, etag: '"other"' })).toBe('it indexes bytes [100, 1000) of ETag "abc", not [100, 1000) of ETag "other"');
    expect(decoded(file, { ...OF, versionId: 'v2' })).toMatch(/^it indexes bytes/);
    expect(decoded(file, { ...OF, start: 0 })).toMatch(/^it indexes bytes \[100, 1000\)/);
    expect(decoded(encodeKeySegment(OF, [{ ...KEYS[0]!, valueEnd: 1_001 }]))).toBe('its key 0 lies outside it');
    expect(decoded(Buffer.from('RDRKEYS2 not a segment, long enough to be read as one'))).toBe('not a key index segment');
  });
});
