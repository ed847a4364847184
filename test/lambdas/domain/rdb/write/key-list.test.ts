/**
 * The key-list digest convert-rdb holds a written file against its input
 * with: equal for the same keys whatever the score's spelling, different
 * for any change of database, name, expiry, type, element, element order
 * or element boundary (the negative cases of the check).
 */
import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../../../../lambdas/domain/rdb/fingerprint.js';
import { writePlainValue } from '../../../../../lambdas/domain/rdb/write/encode-value.js';
import { KeyBits, KeyListDigest, VALUE_LENGTHS_KEPT } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';

const b = (s: string) => Buffer.from(s, 'latin1');
type Key = { db: number; name: string; value: KeyValue; expireAtMs: number | null };

function digest(keys: readonly Key[]): string {
  const d = new KeyListDigest();
  for (const k of keys) d.addValue(k.db, b(k.name), k.value, k.expireAtMs);
  return d.hex();
}

const base: Key[] = [
  {
    db: 0,
    name: 'h',
    value: {
      type: 'hash',
      fields: [
        [b('f1'), b('v1')],
        [b('f2'), b('v2')],
      ],
    },
    expireAtMs: null,
  },
  {
    db: 0,
    name: 'z',
    value: {
      type: 'zset',
      entries: [
        [b('a'), '1'],
        [b('b'), 'inf'],
      ],
    },
    expireAtMs: 1_900_000_000_000,
  },
  { db: 1, name: 'l', value: { type: 'list', items: [b('ab'), b('c')] }, expireAtMs: null },
  {
    db: 1,
    name: 's',
    value: { type: 'stream', entries: [['1-1', [b('k'), b('v')]]], groups: [{ name: b('g'), lastDeliveredId: '1-1', pending: 0 }] },
    expireAtMs: null,
  },
];
const changed = (i: number, k: Partial<Key>): Key[] => base.map((x, j) => (j === i ? { ...x, ...k } : x));

describe('KeyListDigest', () => {
  it('is equal for the same keys, a score spelled 1.0 as 1 (the double the writer stores)', () => {
    const spelled = changed(1, {
      value: {
        type: 'zset',
        entries: [
          [b('a'), '1.0'],
          [b('b'), 'inf'],
        ],
      },
    });
    expect(digest(spelled)).toBe(digest(base));
  });

  it('differs for any change of a key', () => {
    const variants: [string, Key[]][] = [
      ['database', changed(0, { db: 2 })],
      ['name', changed(0, { name: 'H' })],
      ['expiry added', changed(0, { expireAtMs: 1 })],
      ['expiry moved', changed(1, { expireAtMs: 1_900_000_000_001 })],
      ['type', changed(2, { value: { type: 'set', members: [b('ab'), b('c')] } })],
      [
        'a value',
        changed(0, {
          value: {
            type: 'hash',
            fields: [
              [b('f1'), b('v1')],
              [b('f2'), b('v3')],
            ],
          },
        }),
      ],
      [
        'a score',
        changed(1, {
          value: {
            type: 'zset',
            entries: [
              [b('a'), '1.5'],
              [b('b'), 'inf'],
            ],
          },
        }),
      ],
      ['element order', changed(2, { value: { type: 'list', items: [b('c'), b('ab')] } })],
      ['element boundary', changed(2, { value: { type: 'list', items: [b('a'), b('bc')] } })],
      ['a stream group', changed(3, { value: { type: 'stream', entries: [['1-1', [b('k'), b('v')]]], groups: [] } })],
      ['a key less', base.slice(1)],
      ['key order', [base[1]!, base[0]!, ...base.slice(2)]],
    ];
    const seen = new Set([digest(base)]);
    for (const [what, keys] of variants) {
      const d = digest(keys);
      expect(seen.has(d), what).toBe(false);
      seen.add(d);
    }
  });

  it("a hash's field TTLs are held where any field has one: a TTL changed or dropped differs; none at all digests as a plain hash", () => {
    const fields: [Buffer, Buffer][] = [
      [b('f1'), b('v1')],
      [b('f2'), b('v2')],
    ];
    const hash = (fieldExpireAtMs?: (number | null)[]): Key[] => [
      { db: 0, name: 'h', value: { type: 'hash', fields, ...(fieldExpireAtMs ? { fieldExpireAtMs } : {}) }, expireAtMs: null },
    ];
    const withTtl = digest(hash([1_900_000_000_000, null]));
    expect(digest(hash([1_900_000_000_000, null]))).toBe(withTtl);
    expect(digest(hash([1_900_000_000_001, null])), 'a TTL moved').not.toBe(withTtl);
    expect(digest(hash([null, 1_900_000_000_000])), 'a TTL on another field').not.toBe(withTtl);
    expect(digest(hash()), 'the TTLs dropped').not.toBe(withTtl);
    expect(digest(hash([null, null])), 'no field with a TTL').toBe(digest(hash()));
  });

  it('a key by its bytes is not a key by its value, and its bytes count', () => {
    const raw = (object: string) => {
      const d = new KeyListDigest();
      d.addRaw(0, b('k'), 0, b(object), null);
      return d.hex();
    };
    const byValue = digest([{ db: 0, name: 'k', value: { type: 'string', value: b('\x03abc') }, expireAtMs: null }]);
    expect(raw('\x03abc')).not.toBe(byValue);
    expect(raw('\x03abd')).not.toBe(raw('\x03abc'));
  });

  it('holds a value past its batch (a big element goes to the hash as it is)', () => {
    const big = Buffer.alloc(200 * 1024, 7);
    const one = digest([{ db: 0, name: 'big', value: { type: 'list', items: [big, b('x')] }, expireAtMs: null }]);
    const flipped = Buffer.from(big);
    flipped[150_000] = 8;
    expect(digest([{ db: 0, name: 'big', value: { type: 'list', items: [flipped, b('x')] }, expireAtMs: null }])).not.toBe(one);
    expect(digest([{ db: 0, name: 'big', value: { type: 'list', items: [Buffer.from(big), b('x')] }, expireAtMs: null }])).toBe(one);
  });
});

describe('KeyListDigest.plainAt: a plain form read back, digested by its bytes as they lie', () => {
  const KIND = { 1: 'list', 2: 'set', 5: 'zset', 4: 'hash' } as const;
  /** The value written plain by the writer's encoder (write/encode-value.ts), then digested by its bytes: against addValue's element by element. */
  const both = (value: KeyValue): { byBytes: string; byValue: string; object: Buffer } => {
    const out = new RdbOut();
    const type = writePlainValue(value, out) as keyof typeof KIND;
    const object = out.take();
    const back = new KeyListDigest();
    back.valueHead(0, b('k'), null);
    back.plainAt(KIND[type], object, 0, object.length);
    const fed = new KeyListDigest();
    fed.addValue(0, b('k'), value, null);
    return { byBytes: back.hex(), byValue: fed.hex(), object };
  };
  const long = (n: number, c: string) => b(c.repeat(n));
  const values: KeyValue[] = [
    { type: 'list', items: [b('ab'), b('c'), b(''), long(63, 'x'), long(64, 'y'), long(16383, 'z'), long(16384, 'w'), long(70_000, 'v')] },
    { type: 'set', members: Array.from({ length: 300 }, (_, i) => b(`m${i}`)) },
    {
      type: 'zset',
      entries: [
        [b('a'), '1.5'],
        [b('b'), '-inf'],
        [long(100, 'c'), '0'],
      ],
    },
    { type: 'hash', fields: Array.from({ length: 20_000 }, (_, i) => [b(`f${i}`), b(`v${i}`)] as [Buffer, Buffer]) },
    { type: 'list', items: [] },
  ];

  it('equals the elements fed one by one (counts and lengths of every form the writer writes: 6-, 14- and 32-bit)', () => {
    for (const v of values) {
      const { byBytes, byValue } = both(v);
      expect(byBytes, v.type).toBe(byValue);
    }
  });

  it('negative: another element, element boundary or count differs; a count in a form the writer does not write is refused', () => {
    const one = both({ type: 'list', items: [b('ab'), b('c')] });
    expect(both({ type: 'list', items: [b('a'), b('bc')] }).byBytes).not.toBe(one.byBytes);
    expect(both({ type: 'list', items: [b('ab'), b('d')] }).byBytes).not.toBe(one.byBytes);
    expect(both({ type: 'set', members: [b('ab'), b('c')] }).byBytes).not.toBe(one.byBytes);
    // The same elements under a count of 3 (the verifier would refuse such a file; the digest differs all the same).
    const counted = Buffer.from(one.object);
    counted[0] = 3;
    const d = new KeyListDigest();
    d.valueHead(0, b('k'), null);
    d.plainAt('list', counted, 0, counted.length);
    expect(d.hex()).not.toBe(one.byBytes);
    // Its count of 2 as 0x80 and 32 bits (a longer form RDB allows): the same value, the same digest.
    const wide = Buffer.concat([Buffer.from([0x80, 0, 0, 0, 2]), one.object.subarray(1)]);
    const w = new KeyListDigest();
    w.valueHead(0, b('k'), null);
    w.plainAt('list', wide, 0, wide.length);
    expect(w.hex()).toBe(one.byBytes);
    // A 64-bit count (the writer writes none): refused, not digested as another value.
    const odd = Buffer.concat([Buffer.from([0x81, 0, 0, 0, 0, 0, 0, 0, 2]), one.object.subarray(1)]);
    expect(() => new KeyListDigest().plainAt('list', odd, 0, odd.length)).toThrow(/count starts with 0x81/);
    expect(() => new KeyListDigest().plainAt('list', Buffer.from([0x40]), 0, 1)).toThrow(/runs past its bytes/);
  });
});

describe('KeyBits', () => {
  it('answers each key as pushed across its pages (2^16 keys a page), false past the end', () => {
    const bits = new KeyBits();
    const on = (i: number) => i % 3 === 0 || i % 7 === 5 || i === 65_535 || i === 65_536;
    const n = 3 * 65_536 + 11;
    expect(bits.get(0)).toBe(false);
    for (let i = 0; i < n; i++) bits.push(on(i));
    const wrong: number[] = [];
    for (let i = 0; i < n; i++) if (bits.get(i) !== on(i)) wrong.push(i);
    expect(wrong).toEqual([]);
    expect([n, n + 1, 10 * n].map((i) => bits.get(i))).toEqual([false, false, false]);
    // A bit pushed false stays false beside true neighbours (the page and byte each key lands in are its own).
    const one = new KeyBits();
    for (let i = 0; i < 65_540; i++) one.push(i !== 65_537);
    expect([65_536, 65_537, 65_538].map((i) => one.get(i))).toEqual([true, false, true]);
  });

  it('keeps each value length pushed under 65,535 bytes, for the first VALUE_LENGTHS_KEPT keys; -1 for the rest', () => {
    const bits = new KeyBits();
    const length = (i: number) => (i % 5 === 0 ? -1 : i % 11 === 0 ? 65_535 + i : i % 65_535);
    const n = 2 * 65_536 + 3;
    for (let i = 0; i < n; i++) bits.push(i % 2 === 0, length(i));
    const wrong: number[] = [];
    for (let i = 0; i < n; i++) {
      const want = length(i) >= 0 && length(i) < 65_535 ? length(i) : -1;
      if (bits.valueBytes(i) !== want || bits.get(i) !== (i % 2 === 0)) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    expect([n, 10 * n].map((i) => bits.valueBytes(i))).toEqual([-1, -1]);
    expect(new KeyBits().valueBytes(0)).toBe(-1);
    // Past the keys whose lengths are kept: -1 (their values are walked), the bits still kept.
    const many = new KeyBits();
    for (let i = 0; i < VALUE_LENGTHS_KEPT + 2; i++) many.push(i === VALUE_LENGTHS_KEPT + 1, 7);
    expect([VALUE_LENGTHS_KEPT - 1, VALUE_LENGTHS_KEPT, VALUE_LENGTHS_KEPT + 1].map((i) => many.valueBytes(i))).toEqual([7, -1, -1]);
    expect(many.get(VALUE_LENGTHS_KEPT + 1)).toBe(true);
  });

  it('a value in parts (a big value the reader kept in parts) digests as its bytes joined: addRawParts, plainPartsAt', () => {
    const out = new RdbOut(1 << 16).len(300);
    for (let i = 0; i < 300; i++) out.string(Buffer.from(`element-${i}`.repeat(i % 7)));
    const bytes = out.take();
    const head = { db: 0, nameBytes: Buffer.from('k'), nameFrom: 0, nameTo: 1, expireAtMs: null, storedName: undefined };
    // Cut where the count's two bytes are split, and at random places.
    const parts = [bytes.subarray(0, 1), bytes.subarray(1, 7), bytes.subarray(7, 2000), bytes.subarray(2000)];
    const joined = new KeyListDigest();
    joined.addRawAt(head, 1, bytes, 0, bytes.length);
    joined.valueHeadAt(head);
    joined.plainAt('list', bytes, 0, bytes.length);
    const inParts = new KeyListDigest();
    inParts.addRawParts(head, 1, parts);
    inParts.valueHeadAt(head);
    inParts.plainPartsAt('list', parts);
    expect(inParts.hex()).toBe(joined.hex());
    const other = new KeyListDigest();
    other.addRawParts(head, 1, [parts[0]!, parts[2]!, parts[1]!, parts[3]!]);
    other.valueHeadAt(head);
    other.plainPartsAt('list', parts);
    expect(other.hex()).not.toBe(joined.hex());
  });
});
