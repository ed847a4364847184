import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { createRdbBytesDecoder } from '../../../../lambdas/adapters/storage/rdb-envelope.js';
import { rdbVerifierParser } from '../../../../lambdas/domain/rdb/verifier.js';
import { LastBytes, VerifiedKeys } from '../../../../lambdas/jobs/keys/rdb-index-pass.js';
import { indexPassOf } from '../../../support/key-index-beside.js';

const FIXTURE = join(__dirname, '..', '..', '..', 'fixtures', 'rdb', 'encodings.rdb');

describe('indexRdbPass', () => {
  const saved = process.env.TMPDIR;
  let dir: string | undefined;
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves nothing in the temporary folder after a pass that never spilled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-index-pass-'));
    // os.tmpdir() reads TMPDIR on every call: the spill folder, if one were made, would be made in `dir`.
    process.env.TMPDIR = dir;
    const bytes = readFileSync(FIXTURE);
    const builder = new KeyIndexBuilder();
    const result = await indexPassOf(FIXTURE, bytes, builder);
    expect(result.bytes).toBe(bytes.length);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("VerifiedKeys (an index from a verification's own parse)", () => {
  it("keeps no key of a file in Valkey's compressed envelope (its parse's offsets are the decoded bytes'), told by its first 4 bytes even one byte at a time", async () => {
    const plain = readFileSync(FIXTURE);
    const frame = execFileSync('lz4', ['-c', '-q', '-B4', '-BI', '-BX', '--no-frame-crc'], { input: plain });
    const enveloped = Buffer.concat([Buffer.from('VKCS'), Buffer.from([1, 1, 1, 0]), frame]);
    for (const [bytes, envelope] of [
      [enveloped, true],
      [plain, false],
    ] as const) {
      const builder = new KeyIndexBuilder();
      const keys = new VerifiedKeys('f', builder);
      const v = keys.verifying((sink) => rdbVerifierParser({}, sink));
      const unwrap = await createRdbBytesDecoder();
      // One byte at a time at first: the envelope's magic across four chunks.
      for (let at = 0; at < bytes.length; at += at < 8 ? 1 : 4096) {
        const chunk = bytes.subarray(at, at < 8 ? at + 1 : at + 4096);
        keys.seen(chunk);
        for (const b of unwrap.push(chunk)) v.push(b);
      }
      for (const b of unwrap.end()) v.push(b);
      // Verified either way; only the plain file's keys are placed (the index then has them all).
      const report = v.end();
      expect(report.ok).toBe(true);
      expect(keys.envelope).toBe(envelope);
      expect(builder.finish(report.version).keys).toBe(envelope ? 0 : report.keys);
      // The plain file's version (from its first 9 bytes, parsed one at a time) and its trailer (its last 8 bytes).
      if (!envelope) expect(keys.finish()).toMatchObject({ version: Number(plain.subarray(5, 9).toString()), trailer: plain.subarray(-8).toString('hex') });
    }
  });

  it('keeps the last 8 bytes of chunks of any size (LastBytes: the trailer an index is tied to)', () => {
    const all = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff));
    for (const sizes of [[300], [1], [3, 5], [7, 1, 9], [8], [2, 13, 1]]) {
      const last = new LastBytes();
      let at = 0;
      for (let i = 0; at < all.length; i++) {
        const n = sizes[i % sizes.length]!;
        last.push(all.subarray(at, at + n));
        at += n;
        expect(Buffer.from(last.bytes)).toEqual(all.subarray(Math.max(0, Math.min(at, all.length) - 8), Math.min(at, all.length)));
      }
      expect(last.hex()).toBe(all.subarray(-8).toString('hex'));
    }
  });
});
