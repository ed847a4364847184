/**
 * The random reads' replies to a negative count (picks that may repeat): each pick a reference to one reply per member
 * picked, not replies of its own, so a reply of serve's most picks (MAX_RANDOM_PICKS, 2^24) holds about a pointer or
 * two a pick. Each pick was its own objects (a bulk, a double, a pair: about 150 bytes), 2.4 GB for one
 * `ZRANDMEMBER z -16777216 WITHSCORES`; three such clients at once ran serve out of heap (V8's fatal OOM: the process
 * ended). Counted here: the distinct objects a reply holds.
 */
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../../lambdas/domain/serve/resp.js';
import { encodeReply } from '../../../../lambdas/domain/serve/resp.js';
import { heldPoint } from '../../../support/held-point.js';

const b = (s: string) => Buffer.from(s);
/** The three as 7.0 writes small ones (RDB types: a set, a sorted-set listpack, a hash listpack). */
const point = () =>
  heldPoint([
    { name: 's', type: 2, value: { type: 'set', members: [b('a'), b('b'), b('c')] } },
    {
      name: 'z',
      type: 17,
      value: {
        type: 'zset',
        entries: [
          [b('a'), '1'],
          [b('b'), '2.5'],
          [b('c'), '3'],
        ],
      },
    },
    {
      name: 'h',
      type: 16,
      value: {
        type: 'hash',
        fields: [
          [b('f1'), b('v1')],
          [b('f2'), b('v2')],
          [b('f3'), b('v3')],
        ],
      },
    },
  ]);

/** The distinct objects of a reply tree (a shared one counted once). */
function distinct(r: Reply, seen = new Set<Reply>()): number {
  if (seen.has(r)) return seen.size;
  seen.add(r);
  if (r.t === 'array' || r.t === 'set') for (const x of r.items) distinct(x, seen);
  return seen.size;
}

const PICKS = 10_000;

describe('SRANDMEMBER, HRANDFIELD, ZRANDMEMBER with a negative count', () => {
  it.each([
    [2, 'SRANDMEMBER', 's', []],
    [2, 'HRANDFIELD', 'h', []],
    [2, 'HRANDFIELD', 'h', ['WITHVALUES']],
    [3, 'HRANDFIELD', 'h', ['WITHVALUES']],
    [2, 'ZRANDMEMBER', 'z', ['WITHSCORES']],
    [3, 'ZRANDMEMBER', 'z', ['WITHSCORES']],
  ] as const)('RESP%d %s %s -10000 %s: one reply per member picked, shared by its picks (was one, or three, a pick)', async (proto, cmd, key, more) => {
    const call = point();
    const r = await call(proto, cmd, key, `-${PICKS}`, ...more);
    expect(r.t).toBe('array');
    const items = r.t === 'array' ? r.items.length : 0;
    expect(items).toBe(more.length > 0 && proto === 2 ? 2 * PICKS : PICKS);
    // The reply, its items (3 members: a name and a value each, and for RESP3 a pair each): a handful of objects.
    expect(distinct(r)).toBeLessThanOrEqual(1 + 3 * 3);
    // What it says is unchanged: each pick a member of the key with its own value or score.
    const out: (Buffer | string)[] = [];
    encodeReply(r, proto, out);
    const text = out.map((p) => p.toString()).join('');
    const pairs = cmd === 'ZRANDMEMBER' ? ['a\r\n,1', 'b\r\n,2.5', 'c\r\n,3'] : ['f1\r\n$2\r\nv1', 'f2\r\n$2\r\nv2', 'f3\r\n$2\r\nv3'];
    if (more.length > 0 && proto === 3) for (const p of pairs) expect(text).toContain(p);
  });

  it('negative: a positive count answers distinct members (at most the set) and counts as before', async () => {
    const call = point();
    const r = await call(2, 'ZRANDMEMBER', 'z', '2', 'WITHSCORES');
    expect(r.t === 'array' && r.items.length).toBe(4);
    const all = await call(2, 'SRANDMEMBER', 's', '100');
    expect(all.t === 'array' && all.items.map((x) => (x.t === 'bulk' ? x.b.toString() : '')).sort()).toEqual(['a', 'b', 'c']);
  });
});
