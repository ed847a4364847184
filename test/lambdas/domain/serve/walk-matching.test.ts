import { describe, expect, it } from 'vitest';
import { SLICE_STEPS, walkMatching } from '../../../../lambdas/domain/serve/commands-keyspace.js';

const N = 10_000;
const names = Array.from({ length: N }, (_, i) => Buffer.from(`key:${i}`));
const pattern = Buffer.from('key:1*');
const matching = names.flatMap((n, i) => (n.toString().startsWith('key:1') ? [i] : []));

/** The walk of `names` under `ctx`: the positions taken and the turns of the event loop between its slices. */
async function walk(ctx: { clock?: () => number }, keys = names): Promise<{ taken: number[]; turns: number; atOnce: boolean }> {
  let turns = 0;
  const taken: number[] = [];
  const done = walkMatching(
    {
      turn: async () => {
        turns++;
      },
      ...ctx,
    },
    {},
    [0, keys.length],
    (i) => keys[i]!,
    keys === names ? pattern : undefined,
    (pos) => taken.push(pos),
  );
  const atOnce = done === undefined;
  await done;
  return { taken, turns, atOnce };
}

describe('walkMatching: KEYS and SCAN walk in slices of about a millisecond (review 22)', () => {
  it('ends a slice when the clock says SLICE_MS has passed, looking at it every 256 keys; the keys taken are the whole walk’s', async () => {
    // A clock that moves a millisecond each time it is read: every look ends the slice.
    let t = 0;
    const r = await walk({ clock: () => (t += 1) });
    expect(r.taken).toEqual(matching);
    expect(r.atOnce).toBe(false);
    expect(r.turns).toBe(Math.ceil(N / 256) - 1);
  });

  it('negative: a clock that does not move leaves the walk to its steps (10,000 short keys: one slice, at once)', async () => {
    const r = await walk({ clock: () => 0 });
    expect(r.taken).toEqual(matching);
    expect(r.atOnce).toBe(true);
    expect(r.turns).toBe(0);
  });

  it('without a clock a slice is bounded by its steps alone: a key visited is one step', async () => {
    const many = Array.from({ length: SLICE_STEPS + 10 }, () => Buffer.from('k'));
    const r = await walk({}, many);
    expect(r.taken).toHaveLength(many.length);
    expect(r.turns).toBe(1);
  });

  it('stops at the next slice once the connection has closed', async () => {
    let t = 0;
    const session: { gone?: boolean } = {};
    const taken: number[] = [];
    const done = walkMatching(
      {
        turn: async () => {
          session.gone = true;
        },
        clock: () => (t += 1),
      },
      session,
      [0, N],
      (i) => names[i]!,
      undefined,
      (pos) => taken.push(pos),
    );
    await expect(done).rejects.toThrow('the connection closed');
    expect(taken).toHaveLength(256);
  });
});
