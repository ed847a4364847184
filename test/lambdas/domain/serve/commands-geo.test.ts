/**
 * The geo reads over a big set: each decoded set's scores by member and its order made once and kept with the value
 * (a big one stays in the ValueCache), and a search walks each of its cells from its first member on (a binary
 * search), not the whole set. GEOPOS of one member built the whole map at each call (120 ms at 200,000 members), and
 * GEOSEARCH sorted the whole set at each call: a client asking member by member was quadratic. What the replies say
 * is held against a redis-server 7.0 in test/lambdas/jobs/serve/triage-geo.test.ts; here the members read are counted.
 */
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../../lambdas/domain/serve/resp.js';
import { countedReads, heldPoint } from '../../../support/held-point.js';

const N = 20_000;

/** A geo set of N members on a grid (scores as GEOADD writes them: 52-bit geohashes), its entries counted as read. */
function geoPoint() {
  // Scores spread over the 52 bits (a geohash of each cell of a coarse grid), ascending with the index.
  const entries = Array.from({ length: N }, (_, i) => [Buffer.from(`m${i}`), String(Math.floor((i / N) * 2 ** 52))] as const);
  const counted = countedReads(entries);
  const call = heldPoint([{ name: 'g', type: 5, value: { type: 'zset', entries: counted.items } }]);
  return { call: (...args: string[]) => call(2, ...args), reads: counted.reads };
}

const size = (r: Reply) => (r.t === 'array' ? r.items.length : -1);

describe('the geo reads of a big set', () => {
  it('GEOPOS, GEOHASH and GEODIST of a few members: the set read once, at the first (it was read whole at each call)', async () => {
    const p = geoPoint();
    expect(size(await p.call('GEOPOS', 'g', 'm1'))).toBe(1);
    expect(p.reads()).toBe(N);
    for (let i = 2; i < 40; i++) {
      const r = await p.call('GEOPOS', 'g', `m${i}`, 'nope');
      expect(r.t === 'array' && r.items.map((x) => x.t)).toEqual(['array', 'nullArray']);
      await p.call('GEOHASH', 'g', `m${i}`);
      await p.call('GEODIST', 'g', `m${i}`, 'm1', 'km');
    }
    expect(p.reads()).toBe(0);
  });

  it('GEOSEARCH and GEORADIUS_RO: the same members found as a walk of the whole set, the set read and sorted once', async () => {
    const p = geoPoint();
    const search = ['GEOSEARCH', 'g', 'FROMMEMBER', 'm10000', 'BYRADIUS', '500', 'km', 'ASC'];
    const first = await p.call(...search);
    expect(p.reads()).toBe(N);
    for (let i = 0; i < 20; i++) expect(await p.call(...search)).toEqual(first);
    expect(await p.call('GEORADIUS_RO', 'g', '0', '0', '20000', 'km', 'COUNT', '3')).toMatchObject({ t: 'array' });
    expect(p.reads()).toBe(0);
    // Negative: the search finds members (not vacuous), and the centre itself among them.
    expect(size(first)).toBeGreaterThan(1);
    expect(first).toMatchObject({ t: 'array', items: expect.arrayContaining([{ t: 'bulk', b: Buffer.from('m10000') }]) });
  });
});
