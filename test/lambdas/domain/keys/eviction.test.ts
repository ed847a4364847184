import { describe, expect, it } from 'vitest';
import {
  EVICTION_MARGIN_PCT,
  datasetBytesOf,
  evictedKeysOf,
  evictedMessage,
  evictionFailed,
  evictionRefusal,
  evictionRisks,
  fileRestoreEstimate,
  memoryOf,
  parseSlotMap,
  policyCanEvict,
  splitBySlot,
  type NodeMemory,
} from '../../../../lambdas/domain/keys/eviction.js';

const MiB = 2 ** 20;
const node = (policy: string, maxmemory: number, usedMemory: number, name = 'n:1'): NodeMemory => ({ node: name, policy, maxmemory, usedMemory });
const whole = (bytes: number) => ({ bytes, basis: 'a test figure' });

describe('policyCanEvict', () => {
  it.each([
    ['allkeys-lru', true],
    ['allkeys-lfu', true],
    ['allkeys-random', true],
    ['volatile-lru', true], // ElastiCache's default: restored and live keys with a TTL are at risk
    ['volatile-lfu', true],
    ['volatile-random', true],
    ['volatile-ttl', true],
    ['some-future-policy', true], // unknown counts as one that can
    ['noeviction', false],
  ])('%s → %s', (policy, can) => expect(policyCanEvict(policy)).toBe(can));
});

describe('evictionRisks', () => {
  // The limit less the 10 % margin of a 100 MiB node is 90 MiB.
  it.each([
    ['fits with room to spare', node('allkeys-lru', 100 * MiB, 10 * MiB), 50 * MiB, false],
    ['exactly at the limit less the margin fits', node('allkeys-lru', 100 * MiB, 40 * MiB), 50 * MiB, false],
    ['one byte past the limit less the margin is refused', node('allkeys-lru', 100 * MiB, 40 * MiB), 50 * MiB + 1, true],
    ['under maxmemory but inside the margin is refused', node('allkeys-lru', 100 * MiB, 40 * MiB), 55 * MiB, true],
    ['volatile-lru (ElastiCache default) past the limit is refused', node('volatile-lru', 100 * MiB, 80 * MiB), 20 * MiB, true],
    ['used memory alone past the limit is refused even for a tiny restore', node('allkeys-lfu', 100 * MiB, 95 * MiB), 1, true],
    ['noeviction never: a write that does not fit fails with OOM, counted', node('noeviction', 100 * MiB, 95 * MiB), 500 * MiB, false],
    ['maxmemory 0 (no limit) never', node('allkeys-lru', 0, 95 * MiB), 500 * MiB, false],
  ])('%s', (_why, n, bytes, refused) => {
    expect(evictionRisks([n], whole(bytes)).length > 0).toBe(refused);
  });

  it('a cluster target: each node judged on its own share, the others not blamed', () => {
    const nodes = [node('allkeys-lru', 100 * MiB, 10 * MiB, 'a:1'), node('allkeys-lru', 100 * MiB, 10 * MiB, 'b:1')];
    const byNode = new Map([
      ['a:1', 90 * MiB],
      ['b:1', 10 * MiB],
    ]);
    const risks = evictionRisks(nodes, { bytes: 100 * MiB, byNode, basis: 'x' });
    expect(risks.map((r) => [r.node, r.estimate, r.allowed])).toEqual([['a:1', 90 * MiB, 90 * MiB]]);
    // A node missing from the split receives nothing.
    expect(evictionRisks([node('allkeys-lru', 100 * MiB, 10 * MiB, 'c:1')], { bytes: 1e12, byNode, basis: 'x' })).toEqual([]);
  });

  it('the margin is a parameter (default 10 %)', () => {
    expect(EVICTION_MARGIN_PCT).toBe(10);
    const n = node('allkeys-lru', 100 * MiB, 0);
    expect(evictionRisks([n], whole(95 * MiB), 0)).toEqual([]);
    expect(evictionRisks([n], whole(95 * MiB), 10)).toHaveLength(1);
  });
});

describe('the messages', () => {
  it('the refusal names the node, policy, limit, used memory, estimate, basis and every fix, in one message', () => {
    const n = node('volatile-lru', 4 * MiB, 1 * MiB, '10.0.0.1:6379');
    const estimate = whole(5 * MiB);
    const text = evictionRefusal(evictionRisks([n], estimate), estimate);
    expect(text).toMatch(/^refused, nothing was written: the target can evict keys/);
    expect(text).toContain(
      '10.0.0.1:6379 (maxmemory-policy volatile-lru, maxmemory 4.0 MiB (4194304 bytes), used_memory 1.0 MiB (1048576 bytes), estimated restore 5.0 MiB (5242880 bytes)',
    );
    expect(text).toContain('the limit less a 10 % margin');
    expect(text).toContain('The estimate is a test figure.');
    for (const fix of ['a bigger node', 'maxmemory-policy noeviction for the duration of the recovery', '--match to restore less', '--allow-eviction'])
      expect(text).toContain(fix);
    expect(text).not.toContain('\n');
  });

  it('the eviction line gives the count and says other clients may have caused some', () => {
    expect(evictedMessage(1, false)).toMatch(/^1 key evicted by the target during the recovery — restored or live keys may be gone \(.*other clients.*\)$/);
    expect(evictedMessage(7, true)).toMatch(/^7 keys evicted .*stopped at the first eviction/);
  });

  it('evictionFailed: any eviction, or not knowing, fails; none and no report do not', () => {
    const base = { allowed: false, nodes: [], basis: '', stopped: false };
    expect(evictionFailed(undefined)).toBe(false);
    expect(evictionFailed({ ...base, evictedKeys: 0 })).toBe(false);
    expect(evictionFailed({ ...base, evictedKeys: 1 })).toBe(true);
    expect(evictionFailed({ ...base, allowed: true, evictedKeys: 3 })).toBe(true);
    expect(evictionFailed({ ...base, evictedKeys: 0, unknown: 'connection lost' })).toBe(true);
  });
});

describe('INFO parsing', () => {
  const memory =
    '# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nused_memory_dataset:524288\r\nmaxmemory:4194304\r\nmaxmemory_policy:allkeys-lru\r\n';
  it('reads maxmemory, the policy and used memory from INFO memory', () => {
    expect(memoryOf('h:1', memory)).toEqual({ node: 'h:1', maxmemory: 4194304, policy: 'allkeys-lru', usedMemory: 1048576 });
    expect(datasetBytesOf('h:1', memory)).toBe(524288);
    expect(datasetBytesOf('h:1', 'used_memory:77\r\n')).toBe(77); // a server without used_memory_dataset
    expect(evictedKeysOf('h:1', '# Stats\r\nevicted_keys:12\r\nexpired_keys:3\r\n')).toBe(12);
  });
  it('a reply without the limit or policy is unknown (taken as at risk, said why); a garbled value is an error naming node and field', () => {
    const unknown = memoryOf('h:1', 'used_memory:1048576\r\n');
    expect(unknown).toMatchObject({
      node: 'h:1',
      usedMemory: 1048576,
      unknown: expect.stringMatching(/^INFO memory reports no maxmemory, maxmemory_policy, so whether this node can evict/),
    });
    const risks = evictionRisks([unknown], whole(1));
    expect(risks).toHaveLength(1);
    expect(evictionRefusal(risks, whole(1))).toMatch(
      /^refused, nothing was written: the target may evict keys and nothing shows this recovery fits, .*h:1 \(INFO memory reports no maxmemory, maxmemory_policy, .*--allow-eviction/,
    );
    expect(() => memoryOf('h:1', 'maxmemory_policy:noeviction\r\nmaxmemory:x\r\nused_memory:1\r\n')).toThrow(
      /^h:1: INFO memory has no usable maxmemory \(got "x"\)/,
    );
    expect(() => evictedKeysOf('h:1', '# Stats\r\n')).toThrow(/^h:1: INFO stats has no usable evicted_keys \(got nothing\)/);
  });
});

describe('splitBySlot', () => {
  const ranges = parseSlotMap('10.0.0.1:7000=0-8191 [::1]:7001=8192-12287,12288-16383');
  it('parses the slot map, IPv6 labels included', () => {
    expect([...ranges.keys()]).toEqual(['10.0.0.1:7000', '[::1]:7001']);
    expect(ranges.get('[::1]:7001')).toEqual([
      [8192, 12287],
      [12288, 16383],
    ]);
  });
  it('by the share of slots without per-slot figures, exactly per slot with them', () => {
    expect(splitBySlot(1000, ranges)).toEqual(
      new Map([
        ['10.0.0.1:7000', 500],
        ['[::1]:7001', 500],
      ]),
    );
    const perSlot = new Float64Array(16384);
    perSlot[5] = 300;
    perSlot[16000] = 7;
    expect(splitBySlot(307, ranges, perSlot)).toEqual(
      new Map([
        ['10.0.0.1:7000', 300],
        ['[::1]:7001', 7],
      ]),
    );
  });
});

describe('fileRestoreEstimate', () => {
  it.each([
    // why, sizes, bytes, scale
    ['no used-mem in the file: its sizes plus 64 bytes per key', { selectedKeys: 10, selectedBytes: 1000, allBytes: 2000 }, 1640, 1],
    [
      'used-mem smaller than the file sizes (incompressible values): the file sizes',
      { selectedKeys: 10, selectedBytes: 1000, allBytes: 1000, usedMem: 900 },
      1640,
      1,
    ],
    ['compressed values: used-mem, whole', { selectedKeys: 10, selectedBytes: 1000, allBytes: 1000, usedMem: 16_400 }, 16_400, 10],
    [
      'compressed values, a quarter of the file selected: a quarter of used-mem',
      { selectedKeys: 10, selectedBytes: 1000, allBytes: 4000, usedMem: 65_600 },
      16_400,
      10,
    ],
    ['nothing selected: 0', { selectedKeys: 0, selectedBytes: 0, allBytes: 4000, usedMem: 65_600 }, 0, 1],
  ])('%s', (_why, sizes, bytes, scale) => {
    const e = fileRestoreEstimate(sizes);
    expect([e.bytes, e.scale]).toEqual([bytes, scale]);
  });
  it('says which figure it took', () => {
    expect(fileRestoreEstimate({ selectedKeys: 1, selectedBytes: 100, allBytes: 100 }).basis).toBe(
      '0.0 MiB (164 bytes) for the 1 key selected as the file stores them, plus 64 bytes per key (the file records no used-mem of its source to compare)',
    );
    expect(fileRestoreEstimate({ selectedKeys: 10, selectedBytes: 1000, allBytes: 4000, usedMem: 65_600 }).basis).toMatch(
      /^the memory the source used when it wrote the file \(used-mem .*\) times the share of the file selected \(25 %\), .*: more than the file's own sizes/,
    );
  });
});
