import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { createRdbVerifier, type RdbReport, type RdbVerifierOptions } from '../../../../lambdas/domain/rdb/verifier.js';
import { mulberry32 } from '../../../support/prng.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { populate } from '../../../support/rdb-dataset.js';
import { stringsRdb } from '../../../support/rdb-strings.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** Chunk sizes from 1 byte to 64 KiB, seeded. */
function chunks(data: Uint8Array, seed: number): Uint8Array[] {
  const random = mulberry32(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; ) {
    const size = 1 + Math.floor(random() ** 3 * 65536);
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}

function inOneThread(data: Uint8Array, seed: number, options: RdbVerifierOptions = {}): RdbReport {
  const v = createRdbVerifier(options);
  for (const c of chunks(data, seed)) v.push(c);
  return v.end();
}

/**
 * The verifier with `externalChecksum`, the CRC-64 computed here over exactly
 * the bytes `checksumEnd()` allowed after each chunk (never one more).
 */
function withExternalChecksum(data: Uint8Array, seed: number, options: RdbVerifierOptions = {}): { report: RdbReport; ends: number[] } {
  const v = createRdbVerifier({ ...options, externalChecksum: true });
  const crc = new Crc64();
  let summed = 0;
  let pushed = 0;
  const ends: number[] = [];
  for (const c of chunks(data, seed)) {
    v.push(c);
    pushed += c.length;
    const end = v.checksumEnd();
    ends.push(end);
    if (end > pushed) throw new Error(`checksumEnd ${end} is past the ${pushed} bytes pushed`);
    if (end > summed && v.state !== 'failed') {
      crc.update(data, summed, end);
      summed = end;
    }
  }
  if (v.checksumPending) v.settleChecksum(crc.value);
  return { report: v.end(), ends };
}

/** The file with the byte at `at` changed. */
function flipped(data: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(data);
  copy[at] ^= 0x20;
  return copy;
}

describe('a verification whose CRC-64 is computed elsewhere (externalChecksum) gives the report of the one that computes it', () => {
  let server: RedisServer;
  let saved: Buffer;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const client = server.client();
    await populate(client);
    saved = readFileSync(await bgsave(server, client));
  });
  afterAll(async () => server?.stop());

  it.each(CORPUS_CASES.map(([file]) => file))('corpus file %s, in chunks of every size', (file) => {
    const data = readFileSync(join(CORPUS_DIR, file));
    for (const seed of [1, 2, 3]) {
      const expected = inOneThread(data, seed);
      expect(withExternalChecksum(data, seed).report).toEqual(expected);
      expect(withExternalChecksum(data, seed, { requireChecksum: true }).report).toEqual(inOneThread(data, seed, { requireChecksum: true }));
    }
  });

  it.each([1, 2, 3, 4])('a BGSAVE of every type and encoding, seed %i', (seed) => {
    const expected = inOneThread(saved, seed, { requireChecksum: true });
    expect(expected.ok).toBe(true);
    const { report, ends } = withExternalChecksum(saved, seed, { requireChecksum: true });
    expect(report).toEqual(expected);
    // The range grows as the parser commits bytes and stops at the trailer: the last 8 bytes are never checksummed.
    expect([...ends].sort((a, b) => a - b)).toEqual(ends);
    expect(ends.at(-1)).toBe(saved.length - 8);
  });

  it('a flipped byte inside a value: the same CRC-64 mismatch, at the same offset', () => {
    const data = stringsRdb(300);
    const bad = flipped(data, Math.floor(data.length / 2));
    const expected = inOneThread(bad, 5);
    expect(expected.ok).toBe(false);
    expect(expected.checksum).toBe('mismatch');
    expect(expected.error?.message).toMatch(/^CRC-64 mismatch/);
    expect(withExternalChecksum(bad, 5).report).toEqual(expected);
  });

  it('a flipped trailer byte, with bytes after the trailer: the same mismatch (and no trailing-byte count)', () => {
    const data = Buffer.concat([stringsRdb(50), Buffer.from('junk after the end')]);
    const bad = flipped(data, data.length - 20);
    const expected = inOneThread(bad, 6);
    expect(expected.error?.offset).toBe(data.length - 18);
    expect(expected.trailingBytes).toBeUndefined();
    expect(withExternalChecksum(bad, 6).report).toEqual(expected);
    // Unharmed, the trailing bytes are counted in both.
    expect(withExternalChecksum(data, 6).report).toEqual(inOneThread(data, 6));
    expect(inOneThread(data, 6).trailingBytes).toBe(18);
  });

  it('a structural error before the trailer is found where it is, with no checksum asked for', () => {
    const data = stringsRdb(50);
    const bad = Uint8Array.from(data);
    bad[11] = 0x7f; // the first key's type byte (after the 9-byte header and SELECTDB 0): no such type
    const expected = inOneThread(bad, 7);
    expect(expected.error?.message).toMatch(/unknown value type/);
    const v = createRdbVerifier({ externalChecksum: true });
    v.push(bad);
    expect(v.checksumPending).toBe(false);
    expect(v.end()).toEqual(expected);
  });

  it('never a success when the checksum computed elsewhere never arrives', () => {
    const v = createRdbVerifier({ externalChecksum: true });
    v.push(stringsRdb(10));
    expect(v.state).toBe('done');
    expect(v.checksumPending).toBe(true);
    const report = v.end();
    expect(report.ok).toBe(false);
    expect(report.error?.message).toMatch(/never arrived/);
  });

  it('a wrong CRC-64 handed in is a mismatch (the trailer is really compared)', () => {
    const data = stringsRdb(10);
    const v = createRdbVerifier({ externalChecksum: true });
    v.push(data);
    v.settleChecksum(new Crc64().update(data, 0, data.length - 9).value); // one byte short
    const report = v.end();
    expect(report.checksum).toBe('mismatch');
    expect(report.error?.offset).toBe(data.length);
  });

  it('cannot resume from a checkpoint, and does not pause', () => {
    const data = stringsRdb(10);
    const first = createRdbVerifier();
    first.push(data.subarray(0, 200));
    first.pause();
    first.push(data.subarray(200));
    const checkpoint = first.checkpoint()!;
    expect(checkpoint).toBeDefined();
    expect(() => createRdbVerifier({ externalChecksum: true, resumeFrom: checkpoint })).toThrow(RangeError);
    const v = createRdbVerifier({ externalChecksum: true });
    v.push(data.subarray(0, 200));
    v.pause();
    v.push(data.subarray(200));
    expect(v.state).toBe('done');
    expect(v.checkpoint()).toBeUndefined();
  });
});
