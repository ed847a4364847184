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

// The loops below gather what each step gives and hold it equal to what it should be once (an expect() a check was about
// 39,000 a run, at 7-27 us of CPU each): a step that differs is named by its `n` in the one diff.
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
    const got: number[] = [];
    const want: number[] = [];
    for (const name of all) {
      at += 1;
      got.push(slotOfBytes(buffer, at, at + name.length));
      want.push(keySlot(name));
      at += name.length;
    }
    expect(got).toEqual(want);
    expect(slotOfBytes(Buffer.from('123456789'), 0, 9)).toBe(12739);
  });

  it("the key index's CRC16 two bytes at a time (hashAndSlot) marks each name's slot and gives its keyHash, for names of odd and even lengths, tags or none", () => {
    const next = random(56);
    const alphabet = Buffer.from('ab{}xyz0\x00\xff');
    const got: unknown[] = [];
    const want: unknown[] = [];
    for (let n = 0; n < 3000; n++) {
      const name = Buffer.from(Array.from({ length: Math.floor(next() * 41) }, () => alphabet[Math.floor(next() * alphabet.length)]!));
      const padded = Buffer.concat([Buffer.from('pre'), name, Buffer.from('post')]);
      const slots = new Uint8Array(2048);
      const db = n % 3;
      const hash = hashAndSlot(db, padded, 3, 3 + name.length, slots);
      const slot = keySlot(name);
      got.push({ n, hash, slotMarked: !Object.is(slots[slot >> 3]! & (1 << (slot & 7)), 0), slotBytes: slots.reduce((sum, b) => sum + (b === 0 ? 0 : 1), 0) });
      want.push({ n, hash: keyHash(db, name, 0, name.length), slotMarked: true, slotBytes: 1 });
    }
    expect(got).toEqual(want);
  });

  it("copies a name with its hash and slot taken in the same loop (copyHashAndSlot, the DR index's place): the bytes, keyHash and keySlot, the bytes around left alone", () => {
    const next = random(57);
    const alphabet = Buffer.from('ab{}xyz0\x00\xff');
    const hashes = new Uint32Array(4);
    const slots = new Uint8Array(SLOT_COUNT / 8);
    const got: unknown[] = [];
    const want: unknown[] = [];
    for (let n = 0; n < 3000; n++) {
      const name = Buffer.from(Array.from({ length: Math.floor(next() * 41) }, () => alphabet[Math.floor(next() * alphabet.length)]!));
      const padded = Buffer.concat([Buffer.from('pre'), name, Buffer.from('post')]);
      const into = Buffer.alloc(name.length + 10, 0xee);
      const db = n % 3;
      const k = n % 4;
      slots.fill(0);
      copyHashAndSlot(db, padded, bytesView(padded), 3, 3 + name.length, bytesView(into), 5, hashes, slots, k);
      const slot = keySlot(name);
      got.push({
        n,
        bytes: into.subarray(5, 5 + name.length).toString('hex'),
        aroundLeft: [...into.subarray(0, 5), ...into.subarray(5 + name.length)].every((b) => b === 0xee),
        hash: hashes[k],
        slotMarked: !Object.is(slots[slot >> 3]! & (1 << (slot & 7)), 0),
        slotBytes: slots.reduce((sum, b) => sum + (b === 0 ? 0 : 1), 0),
      });
      want.push({ n, bytes: name.toString('hex'), aroundLeft: true, hash: keyHash(db, name, 0, name.length), slotMarked: true, slotBytes: 1 });
    }
    expect(got).toEqual(want);
  });

  it('says whether the slot was new (copyHashAndSlot returns 1 once a slot, 0 after), and copyHash copies and hashes as it does, no slot taken', () => {
    const next = random(91);
    const alphabet = Buffer.from('ab{}xyz0\x00\xff');
    const hashes = new Uint32Array(2);
    const slots = new Uint8Array(SLOT_COUNT / 8);
    const seen = new Set<number>();
    const got: unknown[] = [];
    const want: unknown[] = [];
    for (let n = 0; n < 3000; n++) {
      const name = Buffer.from(Array.from({ length: Math.floor(next() * 9) }, () => alphabet[Math.floor(next() * alphabet.length)]!));
      const into = Buffer.alloc(name.length + 4, 0xee);
      const slot = keySlot(name);
      const isNew = copyHashAndSlot(n % 3, name, bytesView(name), 0, name.length, bytesView(into), 2, hashes, slots, 0);
      const wasNew = seen.has(slot) ? 0 : 1;
      seen.add(slot);
      const plain = Buffer.alloc(name.length + 4, 0xee);
      const before = Buffer.from(slots);
      copyHash(n % 3, name, bytesView(name), 0, name.length, bytesView(plain), 2, hashes, 1);
      got.push({ n, isNew, plain: plain.toString('hex'), hash: hashes[1], slotsLeft: Buffer.from(slots).equals(before) });
      want.push({ n, isNew: wasNew, plain: into.toString('hex'), hash: hashes[0], slotsLeft: true });
    }
    expect(got).toEqual(want);
    expect(slots.reduce((sum, b) => sum + popCount(b), 0)).toBe(seen.size);
  });
});

/** The bits set in byte `b`. */
function popCount(b: number): number {
  let n = 0;
  for (let x = b; x > 0; x >>= 1) n += x & 1;
  return n;
}
