/**
 * A stream read by pages (XREAD COUNT n from the last id read, XRANGE … COUNT n, XREVRANGE): each page costs its own
 * entries and a binary search, not a walk of the whole stream, as 7.0's radix tree answers it; a stream whose entries
 * a Redis before 7.2 left out of order (stream-node.ts) is walked whole, as before. The stream's entries are counted
 * as they are read (a proxy over the decoded value's array).
 */
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../../lambdas/domain/serve/resp.js';
import { countedReads, heldPoint } from '../../../support/held-point.js';

type Entry = readonly [string, readonly Buffer[]];

/** A point of one stream, `big`, whose entries are `ids`; `reads()` counts the entries read since the last call. */
function streamPoint(ids: readonly string[]) {
  const entries: Entry[] = ids.map((id) => [id, [Buffer.from('f'), Buffer.from('v')]]);
  const counted = countedReads(entries);
  // The decoded value as the cache holds it (a big stream's is kept): the same array at each read.
  const held = heldPoint([{ name: 'big', type: 15, value: { type: 'stream', entries: counted.items } }]);
  const call = async (...args: string[]): Promise<string[]> => ids_(await held(2, ...args));
  return { call, reads: counted.reads };
}

/** The entry ids of an XRANGE or XREAD reply. */
function ids_(r: Reply): string[] {
  const out: string[] = [];
  const walk = (x: Reply): void => {
    const [id, fields] = x.t === 'array' ? x.items : [];
    if (id?.t === 'bulk' && fields?.t === 'array' && x.t === 'array' && x.items.length === 2 && /^\d+-\d+$/.test(id.b.toString())) out.push(id.b.toString());
    else if (x.t === 'array') for (const y of x.items) walk(y);
    else if (x.t === 'map') for (const [k, v] of x.entries) walk(k), walk(v);
  };
  walk(r);
  return out;
}

const N = 100_000;
const inOrder = Array.from({ length: N }, (_, i) => `${i + 1}-0`);

describe('a stream read by pages', () => {
  it('XREAD COUNT 10 from the last id read: each page the same entries as a walk gives, reading about log2(n) + 10 of them (was every one)', async () => {
    const p = streamPoint(inOrder);
    expect(await p.call('XREAD', 'COUNT', '10', 'STREAMS', 'big', '0')).toEqual(inOrder.slice(0, 10));
    p.reads(); // the first read of a decoded value looks at its order once
    let last = '10-0';
    for (let page = 1; page < 50; page++) {
      const got = await p.call('XREAD', 'COUNT', '10', 'STREAMS', 'big', last);
      expect(got).toEqual(inOrder.slice(page * 10, page * 10 + 10));
      last = got.at(-1)!;
      expect(p.reads()).toBeLessThanOrEqual(2 * 17 + 10 + 2); // a walk read 100,000 a page
    }
    expect(await p.call('XREAD', 'COUNT', '10', 'STREAMS', 'big', `${N}-0`)).toEqual([]);
    expect(await p.call('XREAD', 'COUNT', '3', 'STREAMS', 'big', '99998-5')).toEqual(['99999-0', '100000-0']);
  });

  it('XRANGE and XREVRANGE with COUNT: the page at either end and in the middle, exclusive bounds, reading about log2(n) + COUNT', async () => {
    const p = streamPoint(inOrder);
    await p.call('XRANGE', 'big', '-', '+', 'COUNT', '1');
    p.reads();
    expect(await p.call('XRANGE', 'big', '-', '+', 'COUNT', '5')).toEqual(inOrder.slice(0, 5));
    expect(await p.call('XRANGE', 'big', '(500-0', '+', 'COUNT', '3')).toEqual(['501-0', '502-0', '503-0']);
    expect(await p.call('XRANGE', 'big', '500', '502')).toEqual(['500-0', '501-0', '502-0']);
    expect(await p.call('XREVRANGE', 'big', '+', '-', 'COUNT', '3')).toEqual(['100000-0', '99999-0', '99998-0']);
    expect(await p.call('XREVRANGE', 'big', '(700-0', '690', 'COUNT', '3')).toEqual(['699-0', '698-0', '697-0']);
    expect(await p.call('XRANGE', 'big', '7', '5')).toEqual([]);
    expect(p.reads()).toBeLessThanOrEqual(6 * (2 * 17 + 5) + 50);
  });

  it('negative: a stream out of order (a Redis before 7.2 after XSETID below deleted entries) is walked whole: every entry in range, in its order', async () => {
    const ids = ['1-1', '1-3', '1-2', '1-6', '1-5', '1-7'];
    const p = streamPoint(ids);
    expect(await p.call('XRANGE', 'big', '1-2', '1-5')).toEqual(['1-3', '1-2', '1-5']);
    expect(await p.call('XREAD', 'STREAMS', 'big', '1-2')).toEqual(['1-3', '1-6', '1-5', '1-7']);
    p.reads();
    await p.call('XRANGE', 'big', '-', '+', 'COUNT', '1');
    expect(p.reads()).toBeGreaterThanOrEqual(ids.length);
  });
});
