import { describe, expect, it } from 'vitest';
import { ClusterTopologyError, formatSlotRanges, keySlot, parseClusterSlots, parseRedirect, slotOwners } from '../../../../lambdas/adapters/redis/cluster.js';

const b = (s: string) => Buffer.from(s);

describe('Redis Cluster topology', () => {
  it('computes the slot of a key as Redis does, hash tags included (values from CLUSTER KEYSLOT)', () => {
    expect(keySlot(b('k:1'))).toBe(10166);
    expect(keySlot(b('123456789'))).toBe(12739);
    expect(keySlot(b('{user1000}.following'))).toBe(keySlot(b('{user1000}.followers')));
    expect(keySlot(b('foo{}{bar}'))).toBe(keySlot(b('foo{}{bar}'))); // empty tag: the whole key
    expect(keySlot(Buffer.from([0xff, 0xfe, 0x00, 0x41]))).toBeGreaterThanOrEqual(0);
  });

  it('reads CLUSTER SLOTS into one shard per primary with its replicas and ranges; an unknown address is the node asked', () => {
    const reply = [
      [5461, 10922, [b('10.0.0.2'), 6379, b('id2')], [b('10.0.0.5'), 6379, b('id5')]],
      [0, 5460, [b(''), 6379, b('id1')]],
      [10923, 16383, [b('10.0.0.3'), 6379, b('id3'), [b('hostname'), b('node-3')]]],
      [16000, 16000, [b('10.0.0.2'), 6379, b('id2')]],
    ];
    const shards = parseClusterSlots(reply, 'seed.example');
    expect(shards.map((s) => [s.primary.host, formatSlotRanges(s.slots), s.replicas.length])).toEqual([
      ['seed.example', '0-5460', 0],
      ['10.0.0.2', '5461-10922,16000', 1],
      ['10.0.0.3', '10923-16383', 0],
    ]);
  });

  it('refuses a cluster with slots no primary serves, naming them', () => {
    const shards = parseClusterSlots(
      [
        [0, 99, [b('a'), 1, b('x')]],
        [200, 16383, [b('b'), 2, b('y')]],
      ],
      'a',
    );
    expect(() => slotOwners(shards, 'a:1')).toThrow(ClusterTopologyError);
    expect(() => slotOwners(shards, 'a:1')).toThrow(/has hash slots no primary serves \(100-199\)/);
    const owner = slotOwners(parseClusterSlots([[0, 16383, [b('a'), 1, b('x')]]], 'a'), 'a:1');
    expect(owner.every((o) => o === 0)).toBe(true);
  });

  it('parses MOVED and ASK replies (IPv6 too) and nothing else', () => {
    expect(parseRedirect(new Error('MOVED 3999 127.0.0.1:6381'))).toEqual({ kind: 'MOVED', slot: 3999, to: { host: '127.0.0.1', port: 6381 } });
    expect(parseRedirect(new Error('ASK 1 [::1]:7000'))).toEqual({ kind: 'ASK', slot: 1, to: { host: '::1', port: 7000 } });
    expect(parseRedirect(new Error('BUSYKEY Target key name already exists.'))).toBeUndefined();
    expect(parseRedirect(Buffer.from('MOVED 1 a:1'))).toBeUndefined();
  });
});
