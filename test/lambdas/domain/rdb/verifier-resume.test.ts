import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRdbVerifier, type RdbCheckpoint, type RdbReport, type RdbVerifierOptions } from '../../../../lambdas/domain/rdb/verifier.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { mulberry32 } from '../../../support/prng.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { populate } from '../../../support/rdb-dataset.js';
import { file as rdbFile, str } from '../../../support/rdb-bytes.js';
import { streamBelowNode } from '../../../support/stream-below-node.js';

/** One pass over the whole file, in one chunk. */
function onePass(data: Uint8Array, options: RdbVerifierOptions = {}): RdbReport {
  const v = createRdbVerifier(options);
  v.push(data);
  return v.end();
}

/**
 * Verifies `data` as the DR region does across Lambda invocations: chunks of
 * random sizes; after a random number of them a pause is asked for; once
 * paused, the checkpoint goes through JSON (a Step Functions state) and a new
 * verifier resumes from it, reading from its offset.
 */
function inPieces(data: Uint8Array, seed: number, options: Omit<RdbVerifierOptions, 'resumeFrom'> = {}) {
  const rand = mulberry32(seed);
  let checkpoint: RdbCheckpoint | undefined;
  const offsets: number[] = [];
  for (;;) {
    const v = createRdbVerifier({ ...options, ...(checkpoint ? { resumeFrom: checkpoint } : {}) });
    let at = checkpoint?.offset ?? 0;
    let pushes = 0;
    const pauseAfter = 1 + Math.floor(rand() * 6);
    while (at < data.length && v.state !== 'paused') {
      const size = 1 + Math.floor(rand() * (rand() < 0.3 ? 16 : 1024));
      v.push(data.subarray(at, at + size));
      at += size;
      // Asked again after every push once due, as a caller watching a deadline does.
      if (++pushes >= pauseAfter) v.pause();
    }
    if (v.state !== 'paused') return { report: withoutKeyCheck(v.end(), offsets), offsets };
    checkpoint = JSON.parse(JSON.stringify(v.checkpoint())) as RdbCheckpoint;
    offsets.push(checkpoint.offset);
  }
}

/**
 * The report without what only a resumed verification says: that its duplicate-key check covered the keys from
 * the last checkpoint on (the digests of earlier keys do not travel in a checkpoint), checked here to say so.
 */
function withoutKeyCheck(report: RdbReport, offsets: readonly number[]): RdbReport {
  const { duplicateKeyCheck, ...rest } = report;
  expect(duplicateKeyCheck).toEqual(offsets.length > 0 ? { fromOffset: offsets.at(-1), detectionProbability: 1 } : undefined);
  return rest;
}

describe('a verification paused at checkpoints and resumed gives the one-pass verdict and counts', () => {
  let server: RedisServer;
  let saved: Buffer;

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const client = server.client();
    await populate(client);
    saved = readFileSync(await bgsave(server, client));
  });
  afterAll(async () => server?.stop());

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('a BGSAVE of every type and encoding, seed %i', (seed) => {
    const expected = onePass(saved, { requireChecksum: true });
    expect(expected.ok).toBe(true);
    const { report, offsets } = inPieces(saved, seed, { requireChecksum: true });
    expect(report).toEqual(expected);
    // It really paused (more than once) and moved forward every time.
    expect(offsets.length).toBeGreaterThan(2);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
  });

  it.each(CORPUS_CASES.map(([file]) => file))('the corpus file %s (older RDB versions, encodings)', (file) => {
    const data = readFileSync(join(CORPUS_DIR, file));
    const expected = onePass(data);
    for (const seed of [11, 12, 13]) expect(inPieces(data, seed).report).toEqual(expected);
  });

  it('a byte flipped after a checkpoint fails at the same offset with the same message as one pass', () => {
    const damaged = Buffer.from(saved);
    const at = Math.floor(saved.length * 0.7);
    damaged[at] = damaged[at]! ^ 0x40;
    const expected = onePass(damaged, { requireChecksum: true });
    expect(expected.ok).toBe(false);
    for (const seed of [21, 22, 23]) {
      const { report, offsets } = inPieces(damaged, seed, { requireChecksum: true });
      expect(offsets.length).toBeGreaterThan(0);
      expect(report.ok).toBe(false);
      expect(report.error).toEqual(expected.error);
      expect(report.checksum).toBe(expected.checksum);
    }
  });

  it("warnings before and after a checkpoint: counted by kind as in one pass (real 7.0 streams with entries below their node's ID)", async () => {
    const c = server.client();
    await c.flushall();
    await streamBelowNode(c, 's1', 'repeat');
    await c.eval("for i=0,1999 do redis.call('SET', 'k:'..i, i) end", 0);
    await streamBelowNode(c, 's2', 'in-order');
    const data = readFileSync(await bgsave(server, c));
    const expected = onePass(data);
    expect(expected).toMatchObject({ ok: true, warningCount: 2, warningKinds: { 'server-held': 2 } });
    for (const seed of [31, 32, 33, 34]) {
      const { report, offsets } = inPieces(data, seed);
      expect(offsets.length).toBeGreaterThan(0);
      expect(report).toEqual(expected);
    }
  });

  it('the checkpoint is small plain JSON and names the CRC of the bytes before it', () => {
    const v = createRdbVerifier();
    v.push(saved.subarray(0, Math.floor(saved.length / 2)));
    v.pause();
    v.push(saved.subarray(Math.floor(saved.length / 2)));
    expect(v.state).toBe('paused');
    const cp = v.checkpoint()!;
    expect(cp.offset).toBeGreaterThanOrEqual(Math.floor(saved.length / 2));
    expect(cp.offset).toBeLessThan(saved.length);
    expect(cp.crc).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(cp).length).toBeLessThan(4096);
    // Pushes after the pause change nothing.
    v.push(saved);
    expect(v.checkpoint()).toEqual(cp);
  });
});

describe('pause and checkpoint edges', () => {
  const file = readFileSync(join(CORPUS_DIR, 'list-quicklist.rdb'));

  it('a pause asked before the header takes effect right after it (offset 9)', () => {
    const v = createRdbVerifier();
    v.pause();
    expect(v.state).toBe('reading');
    v.push(file);
    expect(v.state).toBe('paused');
    expect(v.checkpoint()!.offset).toBe(9);
  });

  it('a pause asked where the input so far ends at a boundary takes effect at once', () => {
    const v = createRdbVerifier();
    v.push(file.subarray(0, 9)); // the header
    v.pause();
    expect(v.state).toBe('paused');
    expect(v.checkpoint()!.offset).toBe(9);
  });

  it('a file that ends before the boundary is reached is done, not paused', () => {
    const v = createRdbVerifier();
    v.push(file);
    v.pause();
    expect(v.state).toBe('done');
    expect(v.checkpoint()).toBeUndefined();
    expect(v.end().ok).toBe(true);
  });

  it('a failed verification has no checkpoint', () => {
    const v = createRdbVerifier();
    v.push(new TextEncoder().encode('NOTAREDISFILE'));
    v.pause();
    expect(v.state).toBe('failed');
    expect(v.checkpoint()).toBeUndefined();
  });

  it('refuses a checkpoint of another layout, another checksum policy or a malformed CRC', () => {
    const v = createRdbVerifier();
    v.pause();
    v.push(file);
    const cp = v.checkpoint()!;
    expect(() => createRdbVerifier({ resumeFrom: { ...cp, format: 2 as 1 } })).toThrow(/layout 2/);
    expect(() => createRdbVerifier({ resumeFrom: cp, requireChecksum: true })).toThrow(/requireChecksum false/);
    expect(() => createRdbVerifier({ resumeFrom: { ...cp, crc: 'xyz' } })).toThrow(/16 hex digits/);
    expect(() => createRdbVerifier({ resumeFrom: { ...cp, byType: { blob: 1 } } })).toThrow(/unknown type "blob"/);
  });

  it('a wrong CRC in the checkpoint makes the trailer mismatch: the CRC really carries over', () => {
    const v = createRdbVerifier();
    v.pause();
    v.push(file);
    const cp = v.checkpoint()!;
    const resumed = createRdbVerifier({ resumeFrom: { ...cp, crc: (BigInt(`0x${cp.crc}`) ^ 1n).toString(16).padStart(16, '0') } });
    resumed.push(file.subarray(cp.offset));
    const report = resumed.end();
    expect(report.ok).toBe(false);
    expect(report.checksum).toBe('mismatch');
  });

  it('a key stored twice before the last checkpoint is not found (no run checks the keys it paused after): the report says from which byte keys were looked for', () => {
    const kv = (k: string): number[] => [0x00, ...str(k), ...str('v')];
    const bytes = rdbFile('REDIS0010', [0xfe, 0, ...kv('a'), ...kv('a'), ...kv('b'), 0xfe, 1, ...kv('c'), ...kv('d')]);
    const boundary = bytes.indexOf(0xfe, 10); // the second SELECTDB: both copies of "a" are before it
    expect(onePass(bytes).error?.message).toMatch(/^a key is stored twice in database 0/);
    const first = createRdbVerifier();
    first.push(bytes.subarray(0, boundary));
    first.pause();
    const cp = first.checkpoint()!;
    expect(cp.offset).toBe(boundary);
    const resumed = createRdbVerifier({ resumeFrom: JSON.parse(JSON.stringify(cp)) as RdbCheckpoint });
    resumed.push(bytes.subarray(cp.offset));
    expect(resumed.end()).toMatchObject({ ok: true, keys: 5, duplicateKeyCheck: { fromOffset: boundary, detectionProbability: 1 } });
  });
});
