import { describe, expect, it } from 'vitest';
import {
  diffKey,
  displayKey,
  jsonKey,
  keyDigest,
  normaliseScore,
  valueDigest,
  type KeyDigest,
  type KeyValue,
  type StreamGroup,
} from '../../../../lambdas/domain/rdb/fingerprint.js';

const b = (s: string) => Buffer.from(s);

describe('valueDigest', () => {
  const equal: [string, KeyValue, KeyValue][] = [
    ['sets in any member order', { type: 'set', members: [b('a'), b('b'), b('c')] }, { type: 'set', members: [b('c'), b('a'), b('b')] }],
    [
      'hashes in any field order',
      {
        type: 'hash',
        fields: [
          [b('f1'), b('1')],
          [b('f2'), b('2')],
        ],
      },
      {
        type: 'hash',
        fields: [
          [b('f2'), b('2')],
          [b('f1'), b('1')],
        ],
      },
    ],
    [
      'zsets in any order, scores written differently',
      {
        type: 'zset',
        entries: [
          [b('x'), '1'],
          [b('y'), 'inf'],
        ],
      },
      {
        type: 'zset',
        entries: [
          [b('y'), '+inf'],
          [b('x'), '1.0'],
        ],
      },
    ],
    [
      'streams with groups in any order',
      {
        type: 'stream',
        entries: [['1-1', [b('f'), b('v')]]],
        groups: [
          { name: b('g1'), lastDeliveredId: '1-1', pending: 0 },
          { name: b('g2'), lastDeliveredId: '0-0', pending: 0 },
        ],
      },
      {
        type: 'stream',
        entries: [['1-1', [b('f'), b('v')]]],
        groups: [
          { name: b('g2'), lastDeliveredId: '0-0', pending: 0 },
          { name: b('g1'), lastDeliveredId: '1-1', pending: 0 },
        ],
      },
    ],
  ];
  it.each(equal)('is equal for %s', (_, x, y) => expect(valueDigest(x)).toBe(valueDigest(y)));

  const different: [string, KeyValue, KeyValue][] = [
    ['lists in another order', { type: 'list', items: [b('a'), b('b')] }, { type: 'list', items: [b('b'), b('a')] }],
    ['a set and a list of the same members', { type: 'set', members: [b('a')] }, { type: 'list', items: [b('a')] }],
    ['a member boundary moved', { type: 'list', items: [b('ab'), b('c')] }, { type: 'list', items: [b('a'), b('bc')] }],
    ['one differing score', { type: 'zset', entries: [[b('x'), '1']] }, { type: 'zset', entries: [[b('x'), '2']] }],
    ['one differing hash value', { type: 'hash', fields: [[b('f'), b('1')]] }, { type: 'hash', fields: [[b('f'), b('2')]] }],
    ['hash field and value swapped', { type: 'hash', fields: [[b('a'), b('b')]] }, { type: 'hash', fields: [[b('b'), b('a')]] }],
    ['a missing set member', { type: 'set', members: [b('a'), b('b')] }, { type: 'set', members: [b('a')] }],
    ['bytes that differ only beyond UTF-8', { type: 'string', value: Buffer.from([0xff]) }, { type: 'string', value: Buffer.from([0xfe]) }],
    ['a stream entry id', { type: 'stream', entries: [['1-1', [b('f'), b('v')]]] }, { type: 'stream', entries: [['1-2', [b('f'), b('v')]]] }],
    [
      'a stream group position',
      {
        type: 'stream',
        entries: [],
        groups: [{ name: b('g'), lastDeliveredId: '0-0', pending: 0 }],
      },
      { type: 'stream', entries: [], groups: [{ name: b('g'), lastDeliveredId: '1-1', pending: 0 }] },
    ],
  ];
  it.each(different)('differs for %s', (_, x, y) => expect(valueDigest(x)).not.toBe(valueDigest(y)));
});

describe('normaliseScore', () => {
  it.each([
    ['1', '1'],
    ['1.0', '1'],
    ['1.5', '1.5'],
    ['inf', 'inf'],
    ['+inf', 'inf'],
    ['-inf', '-inf'],
    ['1e3', '1000'],
    ['-0.25', '-0.25'],
    ['-0', '-0'],
    ['-0.0', '-0'],
    ['0', '0'],
  ])('%s → %s', (input, out) => expect(normaliseScore(input)).toBe(out));
});

describe('diffKey', () => {
  const d = (expireAtMs: number | null, digest = 'x', type = 'string'): KeyDigest => ({ type, digest, expireAtMs });
  it.each([
    ['equal without TTL', d(null), d(null), undefined],
    ['equal expiry', d(1000), d(1000), undefined],
    ['expiry within the tolerance', d(1000), d(1500), undefined],
    ['expiry beyond the tolerance', d(1000), d(2001), 'ttl'],
    ['TTL on one side only', d(1000), d(null), 'ttl'],
    ['value', d(null, 'x'), d(null, 'y'), 'value'],
    ['type', d(null, 'x', 'set'), d(null, 'x', 'list'), 'type'],
    ['only in B', undefined, d(null), 'missing-in-a'],
    ['only in A', d(null), undefined, 'missing-in-b'],
    ['gone on both sides', undefined, undefined, undefined],
  ] as const)('%s', (_, a, bb, reason) => expect(diffKey(a, bb, 1000)).toBe(reason));

  it('types module values by their type name', () => {
    expect(keyDigest({ type: 'other', typeName: 'ReJSON-RL', dump: b('x') }, null).type).toBe('ReJSON-RL');
  });
});

describe('displayKey and jsonKey', () => {
  it.each([
    [b('user:1'), 'user:1'],
    [b('a b'), '"a b"'],
    [b('line\nbreak'), '"line\\nbreak"'],
    [b('back\\slash'), '"back\\\\slash"'],
    [Buffer.from([0x6b, 0xff, 0x00]), '"k\\xff\\x00"'],
    [b(''), '""'],
  ])('shows %j as %s', (key, shown) => expect(displayKey(key)).toBe(shown));

  it('adds base64 only when the bytes are not valid UTF-8', () => {
    expect(jsonKey(b('ключ'))).toEqual({ key: 'ключ' });
    expect(jsonKey(Buffer.from([0xff, 0x41]))).toEqual({ key: '\ufffdA', keyBase64: '/0E=' });
  });
});

describe('valueDigest: hash field TTLs and a stream beyond its entries (review 17, findings 1 and 2a)', () => {
  const fields = [
    [b('f1'), b('v1')],
    [b('f2'), b('v2')],
  ] as const;
  const hash = (fieldExpireAtMs?: (number | null)[]): KeyValue => ({ type: 'hash', fields, ...(fieldExpireAtMs ? { fieldExpireAtMs } : {}) });

  it('a hash whose fields have no TTL digests as it did before field TTLs; one TTL dropped or shifted by 1 ms differs', () => {
    expect(valueDigest(hash([null, null]))).toBe(valueDigest(hash()));
    const timed = valueDigest(hash([1_900_000_000_000, null]));
    expect(timed).not.toBe(valueDigest(hash()));
    expect(timed).not.toBe(valueDigest(hash([1_900_000_000_001, null])));
    expect(timed).not.toBe(valueDigest(hash([null, 1_900_000_000_000])));
    // In any field order, with their TTLs.
    expect(valueDigest({ type: 'hash', fields: [fields[1], fields[0]], fieldExpireAtMs: [null, 1_900_000_000_000] })).toBe(timed);
  });

  it('with the reader clock, a field whose TTL has passed is left out; one still to come stays', () => {
    // Redis 7.4's hashTypeIsExpired: expireAt < now. At the very millisecond the field is still there.
    expect(valueDigest(hash([999, null]), 1_000)).toBe(valueDigest({ type: 'hash', fields: [fields[1]] }));
    expect(valueDigest(hash([1_000, null]), 1_000)).toBe(valueDigest(hash([1_000, null])));
    expect(valueDigest(hash([1_001, null]), 1_000)).toBe(valueDigest(hash([1_001, null])));
  });

  const group: StreamGroup = {
    name: b('g'),
    lastDeliveredId: '1-2',
    pending: 2,
    pel: [
      ['1-1', b('alice'), '1'],
      ['1-2', b('bob'), '1'],
    ],
    consumers: [b('alice'), b('bob')],
  };
  const stream = (g = group, meta = { lastId: '1-2', entriesAdded: '2', maxDeletedId: '0-0' }): KeyValue => ({
    type: 'stream',
    entries: [
      ['1-1', [b('a'), b('1')]],
      ['1-2', [b('a'), b('2')]],
    ],
    groups: [g],
    meta,
  });

  it('a stream differs by its ids, a PEL entry owned by another consumer, a delivery more, a consumer more; not by consumer order', () => {
    const base = valueDigest(stream());
    expect(valueDigest(stream({ ...group, consumers: [b('bob'), b('alice')] }))).toBe(base);
    const other = [
      stream(undefined, { lastId: '1-3', entriesAdded: '2', maxDeletedId: '0-0' }),
      stream(undefined, { lastId: '1-2', entriesAdded: '3', maxDeletedId: '0-0' }),
      stream(undefined, { lastId: '1-2', entriesAdded: '2', maxDeletedId: '1-3' }),
      stream({ ...group, pel: [['1-1', b('bob'), '1'], group.pel![1]!] }),
      stream({ ...group, pel: [['1-1', b('alice'), '2'], group.pel![1]!] }),
      stream({ ...group, consumers: [...group.consumers!, b('carol')] }),
    ];
    for (const v of other) expect(valueDigest(v)).not.toBe(base);
    expect(new Set(other.map((v) => valueDigest(v))).size).toBe(other.length);
  });
});
