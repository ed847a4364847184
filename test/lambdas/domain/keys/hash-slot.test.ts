import { describe, expect, it } from 'vitest';
import { keySlot, slotOfBytes } from '../../../../lambdas/domain/keys/hash-slot.js';

/** A small seeded generator (the same names every run). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('slotOfBytes', () => {
  it("gives cluster-key-slot's slot for names read where they lie in one buffer, hash tags and their edge cases included", () => {
    const fixed = ['', '123456789', 'k:1', '{user1000}.following', '{user1000}.followers', 'foo{}{bar}', '{}a}', '{a}}', '{', '}', '{{}}', 'a{b', 'x{}'];
    const r = random(56);
    const alphabet = [0x7b, 0x7d, 0x00, 0xff, 0x61, 0x62, 0x3a];
    const made = Array.from({ length: 20_000 }, () =>
      Buffer.from(Array.from({ length: Math.floor(r() * 24) }, () => (r() < 0.5 ? alphabet[Math.floor(r() * alphabet.length)]! : Math.floor(r() * 256)))),
    );
    const names = [...fixed.map((n) => Buffer.from(n, 'latin1')), ...made];
    // One buffer with a byte of garbage between names: the bounds must be kept.
    const buffer = Buffer.concat(names.flatMap((n) => [Buffer.from([0x7b]), n]));
    let at = 0;
    const slots = new Set<number>();
    for (const name of names) {
      at += 1;
      expect(slotOfBytes(buffer, at, at + name.length)).toBe(keySlot(name));
      slots.add(keySlot(name));
      at += name.length;
    }
    expect(slotOfBytes(Buffer.from('123456789'), 0, 9)).toBe(12739);
    // The names spread over the slots: a constant answer would not pass.
    expect(slots.size).toBeGreaterThan(5_000);
  });
});
