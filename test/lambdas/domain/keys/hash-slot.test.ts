import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot, SLOT_COUNT, slotOfBytes } from '../../../../lambdas/domain/keys/hash-slot.js';
import { bytesView, copyHash, copyHashAndSlot, hashAndSlot, keyHash } from '../../../../lambdas/domain/serve/key-hash.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';

/** A small seeded generator (the same names every run). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Names full of hash-tag edge cases: `{`, `}`, empty tags, tags after empty ones, NUL and 0xff bytes. */
function names(): Buffer[] {
  const fixed = [
    '',
    '123456789',
    'k:1',
    '{user1000}.following',
    '{user1000}.followers',
    'foo{}{bar}',
    '{}a}',
    'x{}y{z}',
    '{a}}',
    '{',
    '}',
    '{{}}',
    '{{a}}',
    'a{b',
    'x{}',
    '}{a}',
  ];
  const r = random(56);
  const alphabet = [0x7b, 0x7d, 0x00, 0xff, 0x61, 0x62, 0x3a];
  const made = Array.from({ length: 3_000 }, () =>
    Buffer.from(Array.from({ length: Math.floor(r() * 24) }, () => (r() < 0.5 ? alphabet[Math.floor(r() * alphabet.length)]! : Math.floor(r() * 256)))),
  );
  return [...fixed.map((n) => Buffer.from(n, 'latin1')), ...made];
}

describe('keySlot and slotOfBytes', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer({ args: ['--cluster-enabled', 'yes'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("give redis-server's own CLUSTER KEYSLOT for every name, hash tags and their edge cases included ({}a} and x{}y{z}, where the cluster-key-slot package differs)", async () => {
    const all = names();
    const client = server.client();
    const pipeline = client.pipeline();
    for (const name of all) pipeline.call('CLUSTER', 'KEYSLOT', name);
    const answers = (await pipeline.exec())!.map(([err, slot]) => {
      if (err) throw err;
      return slot as number;
    });
    const mine = all.map((name) => keySlot(name));
    const differing = all.flatMap((name, i) => (mine[i] === answers[i] ? [] : [`${JSON.stringify(name.toString('latin1'))}: ${mine[i]} vs ${answers[i]}`]));
    expect(differing).toEqual([]);
    expect(keySlot(Buffer.from('{}a}'))).toBe(4370);
    // The names spread over the slots: a constant answer would not pass.
    expect(new Set(mine).size).toBeGreaterThan(1_500);
  });

  it('reads a name where it lies in one buffer (its bounds kept: a byte of `{` between names)', () => {
    const all = names();
    const buffer = Buffer.concat(all.flatMap((n) => [Buffer.from([0x7b]), n]));
    let at = 0;
    for (const name of all) {
      at += 1;
      expect(slotOfBytes(buffer, at, at + name.length)).toBe(keySlot(name));
      at += name.length;
    }
    expect(slotOfBytes(Buffer.from('123456789'), 0, 9)).toBe(12739);
  });

  it("the key index's CRC16 two bytes at a time (hashAndSlot) marks each name's slot and gives its keyHash, for names of odd and even lengths, tags or none", () => {
    const next = random(56);
    const alphabet = Buffer.from('ab{}xyz0\x00\xff');
    for (let n = 0; n < 3000; n++) {
      const name = Buffer.from(Array.from({ length: Math.floor(next() * 41) }, () => alphabet[Math.floor(next() * alphabet.length)]!));
      const padded = Buffer.concat([Buffer.from('pre'), name, Buffer.from('post')]);
      const slots = new Uint8Array(2048);
      const db = n % 3;
      expect(hashAndSlot(db, padded, 3, 3 + name.length, slots)).toBe(keyHash(db, name, 0, name.length));
      const slot = keySlot(name);
      expect(slots[slot >> 3]! & (1 << (slot & 7))).not.toBe(0);
      expect(slots.reduce((sum, b) => sum + (b === 0 ? 0 : 1), 0)).toBe(1);
    }
  });

  it("copies a name with its hash and slot taken in the same loop (copyHashAndSlot, the DR index's place): the bytes, keyHash and keySlot, the bytes around left alone", () => {
    const next = random(57);
    const alphabet = Buffer.from('ab{}xyz0\x00\xff');
    const hashes = new Uint32Array(4);
    const slots = new Uint8Array(SLOT_COUNT / 8);
    for (let n = 0; n < 3000; n++) {
      const name = Buffer.from(Array.from({ length: Math.floor(next() * 41) }, () => alphabet[Math.floor(next() * alphabet.length)]!));
      const padded = Buffer.concat([Buffer.from('pre'), name, Buffer.from('post')]);
      const into = Buffer.alloc(name.length + 10, 0xee);
      const db = n % 3;
      const k = n % 4;
      slots.fill(0);
      copyHashAndSlot(db, padded, bytesView(padded), 3, 3 + name.length, bytesView(into), 5, hashes, slots, k);
      expect(into.subarray(5, 5 + name.length)).toEqual(name);
      expect([...into.subarray(0, 5), ...into.subarray(5 + name.length)].every((b) => b === 0xee)).toBe(true);
      expect(hashes[k]).toBe(keyHash(db, name, 0, name.length));
      const slot = keySlot(name);
      expect(slots[slot >> 3]! & (1 << (slot & 7))).not.toBe(0);
      expect(slots.reduce((sum, b) => sum + (b === 0 ? 0 : 1), 0)).toBe(1);
    }
  });

  it('says whether the slot was new (copyHashAndSlot returns 1 once a slot, 0 after), and copyHash copies and hashes as it does, no slot taken', () => {
    const next = random(91);
    const alphabet = Buffer.from('ab{}xyz0\x00\xff');
    const hashes = new Uint32Array(2);
    const slots = new Uint8Array(SLOT_COUNT / 8);
    const seen = new Set<number>();
    for (let n = 0; n < 3000; n++) {
      const name = Buffer.from(Array.from({ length: Math.floor(next() * 9) }, () => alphabet[Math.floor(next() * alphabet.length)]!));
      const into = Buffer.alloc(name.length + 4, 0xee);
      const slot = keySlot(name);
      expect(copyHashAndSlot(n % 3, name, bytesView(name), 0, name.length, bytesView(into), 2, hashes, slots, 0)).toBe(seen.has(slot) ? 0 : 1);
      seen.add(slot);
      const plain = Buffer.alloc(name.length + 4, 0xee);
      const before = Buffer.from(slots);
      copyHash(n % 3, name, bytesView(name), 0, name.length, bytesView(plain), 2, hashes, 1);
      expect(plain).toEqual(into);
      expect(hashes[1]).toBe(hashes[0]);
      expect(Buffer.from(slots).equals(before)).toBe(true);
    }
    expect(slots.reduce((sum, b) => sum + popCount(b), 0)).toBe(seen.size);
  });
});

/** The bits set in byte `b`. */
function popCount(b: number): number {
  let n = 0;
  for (let x = b; x > 0; x >>= 1) n += x & 1;
  return n;
}
