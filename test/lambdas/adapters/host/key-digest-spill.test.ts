import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spilledShardReader, tempKeyDigestSpill } from '../../../../lambdas/adapters/host/key-digest-spill.js';
import { KeyDigestSet } from '../../../../lambdas/domain/rdb/format/key-digests.js';
import { createRdbVerifier } from '../../../../lambdas/domain/rdb/verifier.js';
import { formatReport } from '../../../../cli/rdb-report.js';

describe('the duplicate-key check spilled to temporary files', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'spill-test-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('reads back every record appended, per shard, in order; an unused shard is empty', () => {
    const spill = tempKeyDigestSpill(parent);
    spill.append(7, Uint32Array.from([1, 2, 3, 4]));
    spill.append(7, Uint32Array.from([5, 6, 7, 8, 9, 10, 11, 12]).subarray(4));
    expect([...spill.read(7)]).toEqual([1, 2, 3, 4, 9, 10, 11, 12]);
    expect(spill.read(8).length).toBe(0);
    spill.dispose();
  });

  it('another thread reads a spill back from its folder (spilledShardReader): every record of a shard in order, an unused shard empty', () => {
    const spill = tempKeyDigestSpill(parent);
    expect(spill.dir.startsWith(parent)).toBe(true);
    spill.append(3, Uint32Array.from([1, 2, 3, 4]));
    spill.append(3, Uint32Array.from([5, 6, 7, 8]));
    spill.append(5, Uint32Array.from([9, 10, 11, 12]));
    const reader = spilledShardReader(spill.dir);
    expect([...reader.read(3)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(reader.read(4).length).toBe(0);
    expect([...reader.read(5)]).toEqual([9, 10, 11, 12]);
    spill.dispose();
    expect(existsSync(spill.dir)).toBe(false);
  });

  it('reads the shards one after another into one buffer (no array per shard), the spill and another thread alike', () => {
    const spill = tempKeyDigestSpill(parent);
    spill.append(1, Uint32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    spill.append(2, Uint32Array.from([9, 10, 11, 12]));
    const a = spill.read(1);
    const b = spill.read(2);
    expect(b.buffer).toBe(a.buffer);
    expect([...b]).toEqual([9, 10, 11, 12]);
    const reader = spilledShardReader(spill.dir);
    const first = reader.read(1);
    expect(reader.read(2).buffer).toBe(first.buffer);
    spill.dispose();
  });

  it('a spill folder that is gone is an error, never shards read as empty', () => {
    const spill = tempKeyDigestSpill(parent);
    spill.append(2, Uint32Array.from([1, 2, 3, 4]));
    const reader = spilledShardReader(spill.dir);
    expect(reader.read(9).length).toBe(0); // the folder is there: nothing went to shard 9
    spill.dispose();
    expect(() => reader.read(2)).toThrow(/ENOENT/);
    expect(() => reader.read(9)).toThrow(/ENOENT/);
  });

  it('a shard file cut inside a record (a torn write) is an error, never fewer keys checked', () => {
    const spill = tempKeyDigestSpill(parent);
    spill.append(6, Uint32Array.from([1, 2, 3, 4]));
    appendFileSync(join(spill.dir, '6.bin'), Buffer.from([1, 2, 3]));
    expect(() => spill.read(6)).toThrow(/6\.bin holds 19 bytes, not whole 16-byte records/);
    expect(() => spilledShardReader(spill.dir).read(6)).toThrow(/6\.bin holds 19 bytes, not whole 16-byte records/);
    spill.dispose();
  });

  it('finds a key seen twice among 300,000 spilled digests, none among distinct ones, and leaves no file behind', () => {
    let made = 0;
    const run = (withDuplicate: boolean) => {
      const set = new KeyDigestSet(() => {
        made++;
        return tempKeyDigestSpill(parent);
      }, 10_000);
      for (let i = 0; i < 300_000; i++) set.add(Math.imul(i, 0x9e3779b1), i, Math.imul(i + 1, 0x85ebca6b), i % 3);
      if (withDuplicate) set.add(Math.imul(123_456, 0x9e3779b1), 123_456, Math.imul(123_457, 0x85ebca6b), 123_456 % 3);
      // The same digest in another database is another key.
      set.add(Math.imul(5, 0x9e3779b1), 5, Math.imul(6, 0x85ebca6b), 9);
      const found = set.findDuplicate();
      set.dispose();
      return found;
    };
    expect(run(false)).toBeUndefined();
    expect(run(true)).toEqual({ db: 0 });
    expect(made).toBe(2);
    expect(readdirSync(parent)).toEqual([]);
    expect(existsSync(parent)).toBe(true);
  });

  it('a full temporary folder (its files /dev/full: the kernel answers ENOSPC) is an error of the verification, never CORRUPT', () => {
    // Every shard file of the spill is /dev/full, so the first record spilled fails as a full disk fails.
    const full = () => {
      const spill = tempKeyDigestSpill(parent);
      for (let s = 0; s < 256; s++) symlinkSync('/dev/full', join(spill.dir, `${s}.bin`));
      return spill;
    };
    const file = join(__dirname, '..', '..', '..', 'fixtures', 'rdb', 'encodings.rdb');
    const v = createRdbVerifier({ keyDigestSpill: full, keyDigestsInMemory: 1 });
    v.push(readFileSync(file));
    const report = v.end();
    expect(report).toMatchObject({ ok: false, verifierFailure: true, error: { message: expect.stringMatching(/^verifier failure: .*ENOSPC/) } });
    expect(formatReport(file, report)).toMatch(/^ERROR encodings\.rdb: not verified \(this is no verdict on the file\): verifier failure: .*ENOSPC/);
    // The same file with room to spill is valid.
    const roomy = createRdbVerifier({ keyDigestSpill: () => tempKeyDigestSpill(parent), keyDigestsInMemory: 1 });
    roomy.push(readFileSync(file));
    expect(roomy.end()).toMatchObject({ ok: true });
  });
});
