import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borrowCrc64InputArea, Crc64, crc64, Crc64WithArea, returnCrc64InputArea } from '../../../../../lambdas/domain/rdb/codecs/crc64.js';
import { CORPUS_DIR } from '../../../../support/rdb-corpus.js';

const CORPUS = CORPUS_DIR;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bit-at-a-time reference over BigInt, straight from the CRC definition. */
function referenceCrc64(data: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 bit-reversed
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

describe('crc64', () => {
  it.each([
    ['123456789', 0xe9c6d914c4b8d9can],
    ['', 0n],
  ])('computes the CRC-64/Jones of %j as %s', (input, expected) => {
    expect(crc64(text(input))).toBe(expected);
  });

  it('matches a bit-at-a-time reference for every length from 0 to 100', () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let n = 0; n <= 100; n++) {
      expect(crc64(data.subarray(0, n))).toBe(referenceCrc64(data.subarray(0, n)));
    }
  });

  it.each([1, 3, 7, 8, 13, 64])('gives the same result when fed in %i-byte pieces', (piece) => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
    const c = new Crc64();
    for (let i = 0; i < data.length; i += piece) c.update(data, i, Math.min(i + piece, data.length));
    expect(c.value).toBe(crc64(data));
  });

  it.each(['hash-ziplist.rdb', 'list-quicklist.rdb', 'zset-ziplist.rdb', 'scriptbackup.rdb'])('matches the little-endian trailer Redis wrote in %s', (file) => {
    const rdb = readFileSync(join(CORPUS, file));
    const c = new Crc64().update(rdb, 0, rdb.length - 8);
    expect(c.matchesLittleEndian(rdb.subarray(rdb.length - 8))).toBe(true);
    expect(c.value).toBe(rdb.readBigUInt64LE(rdb.length - 8));
  });

  it('does not match a trailer with one flipped bit, or of the wrong size', () => {
    const rdb = readFileSync(join(CORPUS, 'zset-ziplist.rdb'));
    const c = new Crc64().update(rdb, 0, rdb.length - 8);
    const trailer = Uint8Array.from(rdb.subarray(rdb.length - 8));
    trailer[3]! ^= 0x10;
    expect(c.matchesLittleEndian(trailer)).toBe(false);
    expect(c.matchesLittleEndian(rdb.subarray(rdb.length - 7))).toBe(false);
  });

  it('keeps a clone independent of further updates', () => {
    const c = new Crc64().update(text('1234'));
    const copy = c.clone();
    c.update(text('56789'));
    expect(copy.update(text('56789')).value).toBe(c.value);
  });

  it('writes the checksum little-endian, as Redis stores it, at the offset given', () => {
    for (const n of [9, 300, 5000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      const c = new Crc64().update(data);
      const out = Buffer.alloc(12, 0xaa);
      c.writeLittleEndian(out, 3);
      const expected = Buffer.alloc(12, 0xaa);
      expected.writeBigUInt64LE(c.value, 3);
      expect(out, `${n} bytes`).toEqual(expected);
      expect(c.matchesLittleEndian(out.subarray(3, 11))).toBe(true);
    }
  });

  it('runs large updates in WebAssembly on Node', () => {
    expect(Crc64.usesWebAssembly).toBe(true);
  });

  it('agrees between the WebAssembly path (large updates) and the JavaScript path (small ones)', () => {
    // 300,001 bytes: more than one piece of the WebAssembly buffer, and a ragged tail.
    const data = Uint8Array.from({ length: 300_001 }, (_, i) => (i * 2654435761) >>> 24);
    const inSmallPieces = new Crc64();
    for (let i = 0; i < data.length; i += 100) inSmallPieces.update(data, i, Math.min(i + 100, data.length));
    expect(crc64(data)).toBe(inSmallPieces.value);
    const mixed = new Crc64().update(data, 0, 77).update(data, 77, 250_000).update(data, 250_000, 250_003).update(data, 250_003);
    expect(mixed.value).toBe(crc64(data));
  });

  it('matches the bit-at-a-time reference on lengths around the WebAssembly threshold', () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 97 + 13) & 0xff);
    for (const n of [255, 256, 257, 263, 264, 1023, 5000]) {
      expect(crc64(data.subarray(0, n)), `${n} bytes`).toBe(referenceCrc64(data.subarray(0, n)));
    }
  });

  it('checksums bytes read into its lent input area in place, the same as a copy of them; one borrower at a time', () => {
    const area = borrowCrc64InputArea(1 << 20);
    expect(area).toBeDefined();
    try {
      expect(borrowCrc64InputArea(1 << 20)).toBeUndefined();
      const data = Uint8Array.from({ length: 300_001 }, (_, i) => (i * 40503 + 7) >>> 3);
      area!.set(data, 12_345);
      const inPlace = area!.subarray(12_345, 12_345 + data.length);
      expect(new Crc64().update(inPlace).value).toBe(crc64(data.slice()));
      // In pieces with offsets inside the view, and with the JavaScript loop for the short ones.
      const pieces = new Crc64().update(inPlace, 0, 100).update(inPlace, 100, 200_000).update(inPlace, 200_000);
      expect(pieces.value).toBe(referenceCrc64(data));
    } finally {
      returnCrc64InputArea(area!);
    }
    // Given back, it is lent again: the same memory, for the same size or a smaller one.
    const again = borrowCrc64InputArea(1 << 20);
    expect(again?.buffer).toBe(area!.buffer);
    expect(again?.byteOffset).toBe(area!.byteOffset);
    returnCrc64InputArea(again!);
    const smaller = borrowCrc64InputArea(1 << 19);
    expect([smaller?.length, smaller?.byteOffset]).toEqual([1 << 19, area!.byteOffset]);
    // A larger one grows the area: still one borrower at a time, and returned it is free again.
    returnCrc64InputArea(smaller!);
    const larger = borrowCrc64InputArea(3 << 20);
    expect(larger?.length).toBe(3 << 20);
    expect(borrowCrc64InputArea(1 << 20)).toBeUndefined();
    returnCrc64InputArea(larger!);
    const free = borrowCrc64InputArea(1 << 20);
    expect(free).toBeDefined();
    returnCrc64InputArea(free!);
  });

  it('checksums bytes in its own area in place and bytes elsewhere by copy, as crc64 does; the area stays put while the shared one grows', () => {
    const own = Crc64WithArea.make(1 << 20);
    expect(own).toBeDefined();
    const area = own!.area;
    expect(area.length).toBe(1 << 20);
    const data = Uint8Array.from({ length: 700_001 }, (_, i) => (i * 2654435761) >>> 24);
    area.set(data, 3);
    // In place, in pieces (a short one too), then bytes outside the area copied in.
    own!
      .update(area, 3, 103)
      .update(area, 103, 3 + data.length)
      .update(data, 0, 5);
    const expected = referenceCrc64(Uint8Array.from([...data, ...data.subarray(0, 5)]));
    const trailer = new Uint8Array(8);
    own!.writeLittleEndian(trailer, 0);
    expect(Buffer.from(trailer).readBigUInt64LE(0)).toBe(expected);
    // The shared loop's area growing does not move or detach this one (another instance, another memory).
    const lent = borrowCrc64InputArea(4 << 20);
    if (lent) returnCrc64InputArea(lent);
    expect(area.length).toBe(1 << 20);
    expect(area.buffer).not.toBe(lent?.buffer);
    // A byte changed in place changes the checksum.
    const again = Crc64WithArea.make(1 << 16)!;
    again.area.set(data.subarray(0, 60_000));
    again.area[59_999]! ^= 1;
    again.update(again.area, 0, 60_000);
    again.writeLittleEndian(trailer, 0);
    expect(Buffer.from(trailer).readBigUInt64LE(0)).not.toBe(crc64(data.subarray(0, 60_000)));
    expect(Buffer.from(trailer).readBigUInt64LE(0)).toBe(crc64(again.area.subarray(0, 60_000)));
  });
});
